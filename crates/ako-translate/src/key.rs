//! The keys every layer shares: a Kubernetes object's name ([`NsName`]), a reference to one
//! ([`ObjRef`]: its [`Kind`] and name) and a model ([`ModelKey`]: one virtual service and what
//! hangs off it). Typed, so nothing formats a key into a string to split it again later.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Serialize, Serializer};

pub use crate::kinds::Kind;

/// A Kubernetes object's namespace and name; the namespace is empty for cluster-scoped kinds.
/// Ordered by namespace, then name, so maps keyed by it iterate deterministically.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NsName {
    /// The namespace (empty: cluster-scoped).
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl NsName {
    /// `namespace/name`.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        NsName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// A cluster-scoped object's name.
    pub fn cluster(name: impl Into<String>) -> Self {
        NsName::new(String::new(), name)
    }

    /// The name in `meta`, with its namespace as written (empty when there is none).
    pub fn of(meta: &ObjectMeta) -> Self {
        NsName::new(
            meta.namespace.clone().unwrap_or_default(),
            meta.name.clone().unwrap_or_default(),
        )
    }
}

/// `namespace/name`, or `name` for a cluster-scoped object.
impl fmt::Display for NsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// One Kubernetes object: its kind and name. Serialises as `{kind, namespace, name}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjRef {
    /// The kind.
    pub kind: Kind,
    /// Namespace and name.
    #[serde(flatten)]
    pub key: NsName,
}

impl ObjRef {
    /// An object of `kind` named `namespace/name`.
    pub fn new(kind: Kind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjRef {
            kind,
            key: NsName::new(namespace, name),
        }
    }

    /// The object `key` of kind `K`.
    pub fn of<K: crate::kinds::InputKind>(key: &NsName) -> Self {
        ObjRef {
            kind: K::KIND,
            key: key.clone(),
        }
    }

    /// The namespace (empty for cluster-scoped kinds).
    pub fn namespace(&self) -> &str {
        &self.key.namespace
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.key.name
    }
}

/// `Ingress ns/name`.
impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.key)
    }
}

/// A model: one virtual service (a shared parent, a dedicated VS or an L4 VS) and every object
/// it uses, identified by the VS's tenant and name. Serialises as `tenant/vs`, the form AKO's
/// logs and ako-rs's outputs use.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelKey {
    /// The tenant.
    pub tenant: String,
    /// The virtual service's name.
    pub vs: String,
}

impl ModelKey {
    /// The model of VS `vs` in `tenant`.
    pub fn new(tenant: impl Into<String>, vs: impl Into<String>) -> Self {
        ModelKey {
            tenant: tenant.into(),
            vs: vs.into(),
        }
    }
}

/// `tenant/vs`.
impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.vs)
    }
}

/// Compares with the `tenant/vs` form, for tests and logs (nothing parses that form back).
impl PartialEq<str> for ModelKey {
    fn eq(&self, other: &str) -> bool {
        other.len() == self.tenant.len() + 1 + self.vs.len()
            && other.starts_with(self.tenant.as_str())
            && other[self.tenant.len()..].starts_with('/')
            && other.ends_with(self.vs.as_str())
    }
}

impl PartialEq<&str> for ModelKey {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Serialize for ModelKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_display_as_people_read_them() {
        assert_eq!(NsName::new("ns", "web").to_string(), "ns/web");
        assert_eq!(NsName::cluster("node-1").to_string(), "node-1");
        assert_eq!(ObjRef::new(Kind::Ingress, "ns", "web").to_string(), "Ingress ns/web");
        assert_eq!(
            ModelKey::new("admin", "c--Shared-L7-0").to_string(),
            "admin/c--Shared-L7-0"
        );
        assert_eq!(
            serde_json::to_value(ObjRef::new(Kind::Service, "ns", "lb")).unwrap(),
            serde_json::json!({"kind": "Service", "namespace": "ns", "name": "lb"})
        );
        assert_eq!(
            serde_json::to_value(ModelKey::new("t", "vs")).unwrap(),
            serde_json::json!("t/vs")
        );
    }
}
