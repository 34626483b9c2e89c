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
//!
//! Once an object is known to hold every field of a desired body (this process wrote that body
//! and the controller's answer holds it, or a comparison after a read found it), its text is
//! replaced by a digest of that body ([`ObservedObject::in_sync_with`]): the comparison of the
//! next plan is then "same desired body?" without the controller's text, which with its
//! defaults and full reference URLs is ~1.7 KB a pool (10,000 Ingresses: ~100 MiB). A periodic
//! resync reads every object again and compares fields, so out-of-band edits are still found.
//! Virtual services and VsVips keep their text: statuses (VIPs) and the parent of an orphaned
//! child are read from it.

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
    content: Content,
}

/// What is kept of the object's fields.
#[derive(Clone, Debug, PartialEq)]
enum Content {
    /// The object as the controller returned it, as JSON text.
    Json(Box<str>),
    /// It holds every field of the desired body with this digest ([`digest`]).
    InSync(u64),
}

/// The digest of a desired body's text (in memory only: never stored or compared across
/// processes).
pub fn digest(body: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

/// Whether objects of `kind` may keep only a digest (see the module documentation).
fn compactable(kind: ObjectType) -> bool {
    !matches!(kind, ObjectType::VirtualService | ObjectType::VsVip)
}

/// An object of a compactable type that still holds its text.
fn unsettled(kind: ObjectType, object: &ObservedObject) -> bool {
    compactable(kind) && object.in_sync_with().is_none()
}

impl ObservedObject {
    /// The object as the controller returned it; `None` once only a digest is kept.
    pub fn body(&self) -> Option<Value> {
        match &self.content {
            // Written by `serde_json::to_string` in `entry`, so it always parses.
            Content::Json(json) => serde_json::from_str(json).ok(),
            Content::InSync(_) => None,
        }
    }

    /// The object as one of avi-model's typed objects; `None` when it does not fit or only a
    /// digest is kept.
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match &self.content {
            Content::Json(json) => serde_json::from_str(json).ok(),
            Content::InSync(_) => None,
        }
    }

    /// The digest of the desired body it is known to hold, once only that is kept.
    pub fn in_sync_with(&self) -> Option<u64> {
        match self.content {
            Content::InSync(d) => Some(d),
            Content::Json(_) => None,
        }
    }

    /// Keep only the digest of `body` when the object holds every field of it (and its type
    /// may be compacted); `kind` is the object's type.
    pub(crate) fn settle(&mut self, kind: ObjectType, body: &str) {
        let Content::Json(json) = &self.content else { return };
        if !compactable(kind) {
            return;
        }
        let (Ok(want), Ok(have)) = (serde_json::from_str::<Value>(body), serde_json::from_str::<Value>(json)) else {
            return;
        };
        if compare::first_difference(kind, &want, &have).is_none() {
            self.content = Content::InSync(digest(body));
        }
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
    /// Objects of a compactable type still holding their text.
    unsettled: usize,
}

impl Observed {
    /// An empty index for `owner`.
    pub fn new(owner: Owner) -> Self {
        Observed {
            owner,
            objects: BTreeMap::new(),
            unsettled: 0,
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
        self.insert(key.clone(), object);
        Ok(key)
    }

    /// [`Observed::record`] the controller's answer to a write of `sent`: only `sent`'s digest
    /// is kept when the answer holds every field of it.
    pub fn record_written(
        &mut self,
        kind: ObjectType,
        answer: Value,
        fallback_tenant: &str,
        sent: &str,
    ) -> Result<ObjectKey, RecordError> {
        let (key, mut object) = Self::entry(&self.owner, kind, &answer, fallback_tenant)?;
        object.settle(kind, sent);
        self.insert(key.clone(), object);
        Ok(key)
    }

    /// Keep only a digest of the objects that hold every field of `desired`'s body for them
    /// (after a read of the controller, once a plan has compared them). Cheap when nothing is
    /// left to settle.
    pub fn settle<'a>(&mut self, desired: impl IntoIterator<Item = &'a ako_translate::DesiredObject>) {
        if self.unsettled == 0 {
            return;
        }
        for object in desired {
            if !compactable(object.kind) {
                continue;
            }
            let key = ObjectKey::new(object.kind, &object.tenant, &object.name);
            if let Some(found) = self.objects.get_mut(&key)
                && found.in_sync_with().is_none()
            {
                found.settle(object.kind, object.body.as_str());
                if found.in_sync_with().is_some() {
                    self.unsettled -= 1;
                }
            }
        }
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
            content: Content::Json(serde_json::to_string(body).unwrap_or_default().into_boxed_str()),
        };
        Ok((key, object))
    }

    /// Insert an entry made by [`Observed::entry`] for this index's owner.
    pub fn insert(&mut self, key: ObjectKey, object: ObservedObject) {
        let kind = key.kind;
        self.unsettled += usize::from(unsettled(kind, &object));
        if let Some(old) = self.objects.insert(key, object) {
            self.unsettled -= usize::from(unsettled(kind, &old));
        }
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
        let old = self.objects.remove(key)?;
        self.unsettled -= usize::from(unsettled(key.kind, &old));
        Some(old)
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
        assert_eq!(got.body().unwrap()["name"], "p");
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

    fn pool_answer(port: u64) -> Value {
        json!({"name": "p", "uuid": "pool-1", "created_by": "ako-c1", "tenant_ref": "https://h/api/tenant/admin",
               "default_server_port": port, "lb_algorithm": "LB_ALGORITHM_LEAST_CONNECTIONS", "_last_modified": "1"})
    }

    #[test]
    fn an_answer_holding_what_was_sent_keeps_only_its_digest() {
        let mut o = Observed::new(Owner::new("c1"));
        let sent = r#"{"name":"p","default_server_port":80}"#;
        let key = o
            .record_written(ObjectType::Pool, pool_answer(80), "admin", sent)
            .unwrap();
        let got = o.get(&key).unwrap();
        assert_eq!(got.in_sync_with(), Some(digest(sent)));
        assert_eq!(got.body(), None, "the text is gone");
        assert_eq!(got.uuid, "pool-1");
        assert_eq!(o.unsettled, 0);
        // A controller that answers another value than the one sent: the text is kept, so the
        // next plan compares fields (and finds the difference).
        let key = o
            .record_written(ObjectType::Pool, pool_answer(81), "admin", sent)
            .unwrap();
        assert_eq!(o.get(&key).unwrap().in_sync_with(), None);
        assert_eq!(o.unsettled, 1);
        // Virtual services keep their text (statuses and orphans read it).
        let vs =
            json!({"name": "v", "uuid": "vs-1", "created_by": "ako-c1", "tenant_ref": "https://h/api/tenant/admin"});
        let key = o
            .record_written(ObjectType::VirtualService, vs, "admin", r#"{"name":"v"}"#)
            .unwrap();
        assert!(o.get(&key).unwrap().body().is_some());
        assert_eq!(o.unsettled, 1, "a virtual service is never counted as unsettled");
        o.remove(&ObjectKey::new(ObjectType::Pool, "admin", "p"));
        assert_eq!(o.unsettled, 0);
    }

    #[test]
    fn objects_read_are_settled_against_the_desired_bodies_they_hold() {
        let desired = |body: &str| ako_translate::DesiredObject {
            kind: ObjectType::Pool,
            tenant: "admin".into(),
            name: "p".into(),
            checksum: 0,
            body: ako_translate::Body::from(serde_json::from_str::<Value>(body).unwrap()),
        };
        let mut o = Observed::new(Owner::new("c1"));
        let key = o.record(ObjectType::Pool, pool_answer(80), "admin").unwrap();
        assert_eq!(o.unsettled, 1);
        // A body the object does not hold leaves it as it is.
        o.settle([&desired(r#"{"name":"p","default_server_port":81}"#)]);
        assert_eq!(o.get(&key).unwrap().in_sync_with(), None);
        let held = desired(r#"{"name":"p","default_server_port":80}"#);
        o.settle([&held]);
        assert_eq!(o.get(&key).unwrap().in_sync_with(), Some(digest(held.body.as_str())));
        assert_eq!(o.unsettled, 0);
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
