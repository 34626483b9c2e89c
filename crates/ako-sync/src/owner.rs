//! Who owns an object: the one place that decides whether the sync engine may touch it.
//!
//! AKO marks its objects with `created_by = ako-<cluster>` (`-<namespace>` appended for a
//! non-primary instance). VsVip and ApplicationPersistenceProfile have no `created_by`; AKO finds
//! them by the name prefix `<cluster>--`. We accept those by prefix too (to adopt what Go AKO
//! created), but refuse one whose `created_by` or `clustername` marker names someone else.
//! StringGroups carry the owner as a `created_by` marker.

use avi_model::ObjectType;
use serde_json::Value;

/// The identity of this AKO instance on the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    cluster: String,
    created_by: String,
}

impl Owner {
    /// The primary instance of cluster `cluster`: `created_by = ako-<cluster>`.
    pub fn new(cluster: impl Into<String>) -> Self {
        let cluster = cluster.into();
        let created_by = format!("ako-{cluster}");
        Owner { cluster, created_by }
    }

    /// Use another `created_by` (AKO appends `-<namespace>` for a non-primary instance).
    pub fn with_created_by(mut self, created_by: impl Into<String>) -> Self {
        self.created_by = created_by.into();
        self
    }

    /// The cluster name.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The `created_by` value of our objects.
    pub fn created_by(&self) -> &str {
        &self.created_by
    }

    /// `<cluster>--`, the prefix of every name AKO builds.
    pub fn name_prefix(&self) -> String {
        format!("{}--", self.cluster)
    }

    /// Whether the object of type `kind` with this controller body is ours. Anything that
    /// cannot be proven ours is not.
    pub fn owns(&self, kind: ObjectType, body: &Value) -> bool {
        let created_by = body.get("created_by").and_then(Value::as_str);
        match kind {
            ObjectType::VsVip | ObjectType::ApplicationPersistenceProfile => {
                let named = body
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.starts_with(&self.name_prefix()));
                let claimed_by_other = created_by.is_some_and(|c| c != self.created_by)
                    || marker_values(body, "clustername").is_some_and(|v| !v.contains(&self.cluster.as_str()));
                named && !claimed_by_other
            }
            ObjectType::StringGroup => {
                created_by == Some(self.created_by.as_str())
                    || (created_by.is_none()
                        && marker_values(body, "created_by").is_some_and(|v| v.contains(&self.created_by.as_str())))
            }
            _ => created_by == Some(self.created_by.as_str()),
        }
    }
}

/// The values of marker `key` (`markers: [{key, values: [..]}]`), if the object has that marker.
fn marker_values<'a>(body: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    body.get("markers")?
        .as_array()?
        .iter()
        .find(|m| m.get("key").and_then(Value::as_str) == Some(key))
        .map(|m| {
            m.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn created_by_decides_for_most_types() {
        let o = Owner::new("c1");
        assert!(o.owns(ObjectType::Pool, &json!({"name": "x", "created_by": "ako-c1"})));
        assert!(!o.owns(ObjectType::Pool, &json!({"name": "c1--x", "created_by": "ako-c2"})));
        assert!(
            !o.owns(ObjectType::Pool, &json!({"name": "c1--x"})),
            "no created_by: not ours"
        );
        assert!(!o.owns(
            ObjectType::VirtualService,
            &json!({"name": "c1--x", "created_by": "ako-c1-ns"})
        ));
        let secondary = Owner::new("c1").with_created_by("ako-c1-ns");
        assert!(secondary.owns(ObjectType::Pool, &json!({"created_by": "ako-c1-ns"})));
    }

    #[test]
    fn vsvips_by_prefix_unless_claimed_by_another() {
        let o = Owner::new("c1");
        assert!(o.owns(ObjectType::VsVip, &json!({"name": "c1--ns-svc"})));
        assert!(o.owns(
            ObjectType::VsVip,
            &json!({"name": "c1--ns-svc", "markers": [{"key": "clustername", "values": ["c1"]}]})
        ));
        assert!(
            !o.owns(ObjectType::VsVip, &json!({"name": "xc1--ns-svc"})),
            "contains is not a prefix"
        );
        assert!(!o.owns(ObjectType::VsVip, &json!({"name": "c1-ns-svc"})));
        assert!(!o.owns(
            ObjectType::VsVip,
            &json!({"name": "c1--ns-svc", "markers": [{"key": "clustername", "values": ["c2"]}]})
        ));
        assert!(!o.owns(
            ObjectType::VsVip,
            &json!({"name": "c1--ns-svc", "created_by": "terraform"})
        ));
    }

    #[test]
    fn string_groups_by_marker() {
        let o = Owner::new("c1");
        let sg = |v: &str| json!({"name": "c1--sg", "markers": [{"key": "created_by", "values": [v]}]});
        assert!(o.owns(ObjectType::StringGroup, &sg("ako-c1")));
        assert!(!o.owns(ObjectType::StringGroup, &sg("ako-c2")));
        assert!(!o.owns(ObjectType::StringGroup, &json!({"name": "c1--sg"})));
    }
}
