//! The identity of an Avi object in the sync engine: (type, tenant, name). Names are unique per
//! (type, tenant) on the controller, so this is what desired and observed objects are matched on;
//! uuids only matter for writing.

use std::fmt;

use avi_model::ObjectType;
use serde::Serialize;

/// (type, tenant, name). Ordered by type, then tenant, then name, so maps keyed by it iterate
/// deterministically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    /// The object type.
    #[serde(rename = "type", serialize_with = "ser_kind")]
    pub kind: ObjectType,
    /// The tenant's name.
    pub tenant: String,
    /// The object's name.
    pub name: String,
}

impl ObjectKey {
    /// A key.
    pub fn new(kind: ObjectType, tenant: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectKey {
            kind,
            tenant: tenant.into(),
            name: name.into(),
        }
    }
}

/// A key's parts borrowed: maps over many objects key by these without allocating.
pub type KeyRef<'a> = (ObjectType, &'a str, &'a str);

impl ObjectKey {
    /// The parts, borrowed.
    pub fn parts(&self) -> KeyRef<'_> {
        (self.kind, &self.tenant, &self.name)
    }
}

/// `pool admin/name`
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind.path(), self.tenant, self.name)
    }
}

fn ser_kind<S: serde::Serializer>(kind: &ObjectType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_type_tenant_and_name() {
        let k = ObjectKey::new(ObjectType::Pool, "admin", "c1--ns-svc-TCP-80");
        assert_eq!(k.to_string(), "pool admin/c1--ns-svc-TCP-80");
    }
}
