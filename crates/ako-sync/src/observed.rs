//! The observed index: every object on the controller that we own, keyed by (type, tenant,
//! name), with its uuid, its references and the object as the controller returned it.
//!
//! It is filled by [`crate::load`] and then kept current from the bodies of write responses
//! (POST and PUT answer with the stored object), so nothing is re-read after a write. Only
//! objects [`Owner::owns`] accepts can enter it: what is not in the index cannot be updated or
//! deleted by a plan.
//!
//! Bodies are kept as compact JSON text and parsed when compared: a parsed
//! `serde_json::Value` costs about five times its text in memory, which at 50,000 objects is
//! the difference between ~150 MiB and ~1 GiB (BENCHMARKS.md, "Sync engine").

use std::collections::BTreeMap;

use avi_model::{ObjectRef, ObjectType};
use serde_json::Value;

use crate::compare;
use crate::key::ObjectKey;
use crate::owner::Owner;
use crate::refs;

/// One controller object we own.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedObject {
    /// Its uuid (the address of PUT and DELETE).
    pub uuid: String,
    /// Its references that resolve to keys (see [`refs::ref_keys`]).
    pub refs: Vec<ObjectKey>,
    /// The checksum AKO stored in it, for the types that store one.
    pub stored_checksum: Option<u32>,
    /// The object as the controller returned it, as JSON text.
    json: Box<str>,
}

impl ObservedObject {
    /// The object as the controller returned it.
    pub fn body(&self) -> Value {
        // Written by `serde_json::to_string` in `record`, so it always parses.
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }

    /// The object as JSON text.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The object as one of avi-model's typed objects; `None` when it does not fit.
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(&self.json).ok()
    }
}

/// Why an object cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The object belongs to someone else.
    #[error("{key} is not ours (created_by {created_by:?})")]
    NotOwned {
        /// Its key.
        key: ObjectKey,
        /// Its `created_by`, if any.
        created_by: Option<String>,
    },
    /// The body lacks what identifies an object.
    #[error("{kind} object without {missing}")]
    Malformed {
        /// The type.
        kind: ObjectType,
        /// The missing or unreadable field.
        missing: &'static str,
    },
}

/// The objects we own on the controller.
#[derive(Clone, Debug)]
pub struct Observed {
    owner: Owner,
    objects: BTreeMap<ObjectKey, ObservedObject>,
}

impl Observed {
    /// An empty index for `owner`.
    pub fn new(owner: Owner) -> Self {
        Observed {
            owner,
            objects: BTreeMap::new(),
        }
    }

    /// Whose objects these are.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The key of a controller object of type `kind`. The tenant is the `#name` of its
    /// `tenant_ref` (or `admin` for the admin tenant's uuid), else `fallback_tenant` (the tenant
    /// the request ran in).
    pub fn key_of(kind: ObjectType, body: &Value, fallback_tenant: &str) -> Result<ObjectKey, RecordError> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or(RecordError::Malformed { kind, missing: "name" })?;
        let tenant = body
            .get("tenant_ref")
            .and_then(Value::as_str)
            .and_then(|r| ObjectRef::parse(r).ok())
            .and_then(|r| match r.name() {
                Some(n) => Some(n.to_owned()),
                None => (r.uuid() == Some(refs::ADMIN_TENANT)).then(|| refs::ADMIN_TENANT.to_owned()),
            })
            .or_else(|| (fallback_tenant != "*").then(|| fallback_tenant.to_owned()))
            .ok_or(RecordError::Malformed {
                kind,
                missing: "tenant_ref with #name",
            })?;
        Ok(ObjectKey::new(kind, tenant, name))
    }

    /// Record (insert or replace) an object read from the controller or returned by a write.
    /// Refuses objects we do not own.
    pub fn record(&mut self, kind: ObjectType, body: Value, fallback_tenant: &str) -> Result<ObjectKey, RecordError> {
        let (key, object) = Self::entry(&self.owner, kind, &body, fallback_tenant)?;
        self.objects.insert(key.clone(), object);
        Ok(key)
    }

    /// The index entry for a controller object of `owner` (what [`Observed::record`] inserts),
    /// without an index: lets a loader compact each page as it arrives.
    pub fn entry(
        owner: &Owner,
        kind: ObjectType,
        body: &Value,
        fallback_tenant: &str,
    ) -> Result<(ObjectKey, ObservedObject), RecordError> {
        let key = Self::key_of(kind, body, fallback_tenant)?;
        if !owner.owns(kind, body) {
            return Err(RecordError::NotOwned {
                created_by: body.get("created_by").and_then(Value::as_str).map(str::to_owned),
                key,
            });
        }
        let uuid = body
            .get("uuid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or(RecordError::Malformed { kind, missing: "uuid" })?
            .to_owned();
        let object = ObservedObject {
            uuid,
            refs: refs::ref_keys(body, &key.tenant),
            stored_checksum: compare::stored_checksum(kind, body),
            json: serde_json::to_string(body).unwrap_or_default().into_boxed_str(),
        };
        Ok((key, object))
    }

    /// Insert an entry made by [`Observed::entry`] for this index's owner.
    pub fn insert(&mut self, key: ObjectKey, object: ObservedObject) {
        self.objects.insert(key, object);
    }

    /// The object with this key.
    pub fn get(&self, key: &ObjectKey) -> Option<&ObservedObject> {
        self.objects.get(key)
    }

    /// The stored key and object for `key` (the key borrowed from the index).
    pub fn get_key_value(&self, key: &ObjectKey) -> Option<(&ObjectKey, &ObservedObject)> {
        self.objects.get_key_value(key)
    }

    /// Forget an object (it was deleted).
    pub fn remove(&mut self, key: &ObjectKey) -> Option<ObservedObject> {
        self.objects.remove(key)
    }

    /// Every object, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectKey, &ObservedObject)> {
        self.objects.iter()
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when we own nothing on the controller.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_owned_objects_under_their_tenant() {
        let mut o = Observed::new(Owner::new("c1"));
        let key = o
            .record(
                ObjectType::Pool,
                json!({"name": "p", "uuid": "pool-1", "created_by": "ako-c1",
                       "tenant_ref": "https://h/api/tenant/tenant-9#t9",
                       "health_monitor_refs": ["https://h/api/healthmonitor/hm-1#System-TCP"]}),
                "*",
            )
            .unwrap();
        assert_eq!(key, ObjectKey::new(ObjectType::Pool, "t9", "p"));
        let got = o.get(&key).unwrap();
        assert_eq!(got.uuid, "pool-1");
        assert_eq!(got.body()["name"], "p");
        assert_eq!(
            got.refs,
            vec![ObjectKey::new(ObjectType::HealthMonitor, "admin", "System-TCP")]
        );
        let admin = Observed::key_of(
            ObjectType::Pool,
            &json!({"name": "p", "tenant_ref": "https://h/api/tenant/admin"}),
            "*",
        )
        .unwrap();
        assert_eq!(admin.tenant, "admin");
    }

    #[test]
    fn refuses_foreign_and_malformed_objects() {
        let mut o = Observed::new(Owner::new("c1"));
        let foreign = o.record(
            ObjectType::Pool,
            json!({"name": "c1--p", "uuid": "pool-1", "created_by": "someone", "tenant_ref": "/api/tenant/admin"}),
            "admin",
        );
        assert!(matches!(foreign, Err(RecordError::NotOwned { .. })), "{foreign:?}");
        assert!(o.is_empty());
        let no_uuid = o.record(ObjectType::Pool, json!({"name": "p", "created_by": "ako-c1"}), "admin");
        assert_eq!(
            no_uuid,
            Err(RecordError::Malformed {
                kind: ObjectType::Pool,
                missing: "uuid"
            })
        );
        let no_tenant = Observed::key_of(ObjectType::Pool, &json!({"name": "p"}), "*");
        assert!(no_tenant.is_err());
    }
}
