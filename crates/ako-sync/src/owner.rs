//! Who owns an object: the one place that decides whether the sync engine may touch it.
//!
//! AKO marks its objects with `created_by = ako-<cluster>` (`-<namespace>` appended for a
//! non-primary instance). VsVip and ApplicationPersistenceProfile have no `created_by`; AKO finds
//! them by the name prefix `<cluster>--`. We accept those by prefix too (to adopt what Go AKO
//! created), but refuse one whose `created_by` or `clustername` marker names someone else.
//! StringGroups carry the owner as a `created_by` marker.
//!
//! With `featureGates.GatewayAPI`, ako-rs also does the work of AKO's Gateway API container,
//! whose objects are `created_by = ako-gw-<cluster>-<AKO namespace>` and named
//! `ako-gw-<cluster>--…`: that second identity is ours too. Without the feature gate it is not
//! (a Go AKO Gateway API container may run beside ako-rs, and its objects must not look like
//! garbage).

use avi_model::ObjectType;
use serde_json::Value;

/// The identity of this AKO instance on the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    cluster: String,
    created_by: String,
    /// The Gateway API container's identity, when ako-rs serves the Gateway API.
    gateway: Option<Identity>,
}

/// A `created_by` and the name prefix of objects without one.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    created_by: String,
    prefix: String,
}

impl Owner {
    /// The primary instance of cluster `cluster`: `created_by = ako-<cluster>`.
    pub fn new(cluster: impl Into<String>) -> Self {
        let cluster = cluster.into();
        let created_by = format!("ako-{cluster}");
        Owner {
            cluster,
            created_by,
            gateway: None,
        }
    }

    /// The owner for these settings: with `featureGates.GatewayAPI`, the Gateway API
    /// container's identity too.
    pub fn for_settings(settings: &ako_translate::Settings) -> Self {
        let owner = Owner::new(&settings.cluster_name);
        if settings.gateway_api {
            owner.with_gateway_api(&settings.ako_namespace)
        } else {
            owner
        }
    }

    /// Also own what AKO's Gateway API container of AKO namespace `ako_namespace` builds.
    pub fn with_gateway_api(mut self, ako_namespace: &str) -> Self {
        self.gateway = Some(Identity {
            created_by: format!("ako-gw-{}-{ako_namespace}", self.cluster),
            prefix: format!("ako-gw-{}--", self.cluster),
        });
        self
    }

    /// Every `created_by` value of our objects: ours, and the Gateway API container's.
    pub fn created_by_values(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.created_by.as_str()).chain(self.gateway.iter().map(|g| g.created_by.as_str()))
    }

    fn is_ours(&self, created_by: &str) -> bool {
        self.created_by_values().any(|c| c == created_by)
    }

    fn has_our_prefix(&self, name: &str) -> bool {
        name.starts_with(&self.name_prefix()) || self.gateway.as_ref().is_some_and(|g| name.starts_with(&g.prefix))
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
                    .is_some_and(|n| self.has_our_prefix(n));
                let claimed_by_other = created_by.is_some_and(|c| !self.is_ours(c))
                    || marker_values(body, "clustername").is_some_and(|v| !v.contains(&self.cluster.as_str()));
                named && !claimed_by_other
            }
            ObjectType::StringGroup => {
                created_by.is_some_and(|c| self.is_ours(c))
                    || (created_by.is_none()
                        && marker_values(body, "created_by").is_some_and(|v| v.iter().any(|c| self.is_ours(c))))
            }
            _ => created_by.is_some_and(|c| self.is_ours(c)),
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
    fn the_gateway_api_containers_objects_are_ours_only_with_the_feature() {
        let pool = json!({"name": "ako-gw-c1--abc", "created_by": "ako-gw-c1-avi-system"});
        let vip = json!({"name": "ako-gw-c1--shop-gw-EVH", "markers": [{"key": "clustername", "values": ["c1"]}]});
        let plain = Owner::new("c1");
        assert!(!plain.owns(ObjectType::Pool, &pool));
        assert!(!plain.owns(ObjectType::VsVip, &vip));
        let gw = Owner::new("c1").with_gateway_api("avi-system");
        assert!(gw.owns(ObjectType::Pool, &pool));
        assert!(gw.owns(ObjectType::VsVip, &vip));
        assert!(gw.owns(ObjectType::Pool, &json!({"created_by": "ako-c1"})));
        assert!(!gw.owns(ObjectType::Pool, &json!({"created_by": "ako-gw-c1-other-ns"})));
        assert!(!gw.owns(ObjectType::VsVip, &json!({"name": "ako-gw-c2--x"})));
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
