//! Query-string builder for collection reads (`name`, `name.in`, `cloud_ref.name`, `fields`, ...).

/// Default page size for collection lists; the controller's maximum.
pub const DEFAULT_PAGE_SIZE: u32 = 200;

/// Query parameters for a collection or object GET. Order is preserved; values are
/// percent-encoded when the URL is built.
///
/// ```
/// use avi_client::Query;
/// let q = Query::new().name_in(["a", "b"]).cloud_ref_name("Default-Cloud").include_name();
/// assert_eq!(q.get("name.in"), Some("a,b"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    params: Vec<(String, String)>,
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Query::default()
    }

    /// Set `key=value`, replacing an earlier value for the same key.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
        self
    }

    fn list<I, S>(self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = values
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join(",");
        self.param(key, joined)
    }

    /// Exact name match.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.param("name", name)
    }

    /// Name substring match.
    pub fn name_contains(self, part: impl Into<String>) -> Self {
        self.param("name.contains", part)
    }

    /// Name is one of these.
    pub fn name_in<I: IntoIterator<Item = S>, S: AsRef<str>>(self, names: I) -> Self {
        self.list("name.in", names)
    }

    /// UUID is one of these.
    pub fn uuid_in<I: IntoIterator<Item = S>, S: AsRef<str>>(self, uuids: I) -> Self {
        self.list("uuid.in", uuids)
    }

    /// Objects in the cloud with this name.
    pub fn cloud_ref_name(self, cloud: impl Into<String>) -> Self {
        self.param("cloud_ref.name", cloud)
    }

    /// Objects whose `created_by` equals this.
    pub fn created_by(self, creator: impl Into<String>) -> Self {
        self.param("created_by", creator)
    }

    /// Objects carrying the marker/label `key=value`.
    pub fn label(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.param("label_key", key).param("label_value", value)
    }

    /// Return only these fields (plus the ones the controller always returns).
    pub fn fields<I: IntoIterator<Item = S>, S: AsRef<str>>(self, fields: I) -> Self {
        self.list("fields", fields)
    }

    /// Add `#name` suffixes to refs.
    pub fn include_name(self) -> Self {
        self.param("include_name", "true")
    }

    /// Results per page (1..=200 on the controller).
    pub fn page_size(self, n: u32) -> Self {
        self.param("page_size", n.to_string())
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// All parameters in insertion order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True if no parameter is set.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_params() {
        let q = Query::new()
            .name("p1")
            .label("created_by", "ako-c1")
            .fields(["name", "uuid"])
            .uuid_in(vec!["u1".to_string(), "u2".to_string()])
            .page_size(50)
            .page_size(100);
        let pairs: Vec<_> = q.pairs().collect();
        assert_eq!(
            pairs,
            vec![
                ("name", "p1"),
                ("label_key", "created_by"),
                ("label_value", "ako-c1"),
                ("fields", "name,uuid"),
                ("uuid.in", "u1,u2"),
                ("page_size", "100"),
            ]
        );
        assert!(Query::new().is_empty());
    }
}
