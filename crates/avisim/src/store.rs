//! The simulator's object database and its indexes: objects by type in creation order (the
//! order the controller lists them in: AKO's cache population relies on a parent virtual
//! service being listed before its children), the type of every uuid, names per
//! (type, name, tenant), who refers to whom, and which VIP addresses are taken.
//!
//! All integrity checks run against these indexes under one lock (see `world.rs`), so they are
//! atomic with the write they guard. Bodies are stored with references in the canonical
//! `/api/<type>/<uuid>` form.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;

use avi_model::{ObjectRef, ObjectType, RefTarget};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::refs::collect_refs;

/// The admin tenant's uuid is literally `admin` on the controller.
pub const ADMIN: &str = "admin";

/// One stored object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Its type, as the REST collection name.
    #[serde(rename = "type", with = "object_type_serde")]
    pub kind: ObjectType,
    /// Seeded system object (System-HTTP, ...): read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system: bool,
    /// The stored body: `uuid`, `name`, canonical `tenant_ref`, `_last_modified` and the rest.
    pub body: Map<String, Value>,
    /// Creation sequence number, assigned by [`Store::put`] and kept across updates.
    #[serde(default)]
    pub seq: u64,
}

impl Record {
    /// The uuid.
    pub fn uuid(&self) -> &str {
        self.body.get("uuid").and_then(Value::as_str).unwrap_or_default()
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.body.get("name").and_then(Value::as_str).unwrap_or_default()
    }

    /// The owning tenant's uuid (tenants themselves, and tenant-less singletons, belong to admin).
    pub fn tenant(&self) -> &str {
        self.body
            .get("tenant_ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("/api/tenant/"))
            .unwrap_or(ADMIN)
    }

    /// `<Model> <name>`, as the controller lists referrers.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.model_name(), self.name())
    }
}

/// Who may see what: one tenant, or all (`X-Avi-Tenant: *`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every tenant.
    All,
    /// One tenant, by uuid.
    Tenant(String),
}

/// Owner of an allocated VIP address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipOwner {
    /// The vsvip's uuid.
    pub vsvip: String,
    /// The vip's `vip_id` within it.
    pub vip_id: String,
}

/// Objects plus indexes.
#[derive(Default)]
pub struct Store {
    objects: HashMap<ObjectType, BTreeMap<u64, Record>>,
    locate: HashMap<String, (ObjectType, u64)>,
    names: BTreeMap<(ObjectType, String, String), String>,
    next_seq: u64,
    referrers: HashMap<String, BTreeSet<(ObjectType, String)>>,
    vips: HashMap<Ipv4Addr, VipOwner>,
    clock: u64,
}

impl Store {
    /// A record by type and uuid, whatever its tenant.
    pub fn get(&self, kind: ObjectType, uuid: &str) -> Option<&Record> {
        let (found, seq) = self.locate.get(uuid)?;
        if *found != kind {
            return None;
        }
        self.objects.get(&kind)?.get(seq)
    }

    /// Records of a type with exactly this name (any tenant), in creation order.
    pub fn named(&self, kind: ObjectType, name: &str) -> Vec<&Record> {
        let from = (kind, name.to_owned(), String::new());
        let mut found: Vec<&Record> = self
            .names
            .range(from..)
            .take_while(|((k, n, _), _)| *k == kind && n == name)
            .filter_map(|(_, uuid)| self.get(kind, uuid))
            .collect();
        found.sort_by_key(|r| r.seq);
        found
    }

    /// All records of a type, in creation order.
    pub fn all(&self, kind: ObjectType) -> impl Iterator<Item = &Record> {
        self.objects.get(&kind).into_iter().flat_map(BTreeMap::values)
    }

    /// Every record, for snapshots.
    pub fn every_record(&self) -> impl Iterator<Item = &Record> {
        ObjectType::ALL.iter().flat_map(|k| self.all(*k))
    }

    /// Number of stored objects.
    pub fn len(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// True when `scope` may see `rec`: its own tenant's objects, plus the admin tenant's
    /// shared objects (clouds, networks, SE groups, VRFs, profiles, tenants) and system objects.
    pub fn visible(scope: &Scope, rec: &Record) -> bool {
        match scope {
            Scope::All => true,
            Scope::Tenant(t) => {
                rec.tenant() == t || (rec.tenant() == ADMIN && (rec.system || !rec.kind.is_tenant_private()))
            }
        }
    }

    /// Look up a record by name as seen from tenant `tenant` (own tenant first, then admin's shared objects).
    pub fn by_name(&self, kind: ObjectType, tenant: &str, name: &str) -> Option<&Record> {
        let lookup = |t: &str| {
            self.names
                .get(&(kind, name.to_owned(), t.to_owned()))
                .and_then(|u| self.get(kind, u))
        };
        lookup(tenant).or_else(|| lookup(ADMIN).filter(|rec| Self::visible(&Scope::Tenant(tenant.to_owned()), rec)))
    }

    /// The uuid a name would collide with in `tenant`.
    pub fn name_taken(&self, kind: ObjectType, tenant: &str, name: &str) -> Option<&str> {
        self.names
            .get(&(kind, name.to_owned(), tenant.to_owned()))
            .map(String::as_str)
    }

    /// Resolve a reference as seen from `tenant`.
    pub fn resolve(&self, tenant: &str, r: &ObjectRef) -> Option<&Record> {
        let kind = r.object_type()?;
        match &r.target {
            RefTarget::Name(name) => self.by_name(kind, tenant, name),
            RefTarget::Uuid(uuid) => self
                .get(kind, uuid)
                .filter(|rec| Self::visible(&Scope::Tenant(tenant.to_owned()), rec)),
        }
    }

    /// Objects that refer to `uuid`.
    pub fn referrers(&self, uuid: &str) -> impl Iterator<Item = &Record> {
        self.referrers
            .get(uuid)
            .into_iter()
            .flatten()
            .filter_map(|(k, u)| self.get(*k, u))
    }

    /// The owner of an allocated address.
    pub fn vip_owner(&self, addr: Ipv4Addr) -> Option<&VipOwner> {
        self.vips.get(&addr)
    }

    /// A fresh `_last_modified`: microseconds since the epoch, strictly increasing.
    pub fn tick(&mut self, now_micros: u64) -> String {
        self.clock = now_micros.max(self.clock + 1);
        self.clock.to_string()
    }

    /// Insert or replace a record and update every index; returns it as stored. The caller
    /// has validated it. A replaced record keeps its place in the creation order; a new one
    /// keeps the `seq` it was loaded with, or gets the next one.
    pub fn put(&mut self, mut rec: Record) -> &Record {
        let (kind, uuid) = (rec.kind, rec.uuid().to_owned());
        rec.seq = match self.remove(kind, &uuid) {
            Some(old) => old.seq,
            None if rec.seq != 0 => rec.seq,
            None => self.next_seq + 1,
        };
        self.next_seq = self.next_seq.max(rec.seq);
        self.names
            .insert((kind, rec.name().to_owned(), rec.tenant().to_owned()), uuid.clone());
        for target in referenced_uuids(&rec) {
            self.referrers.entry(target).or_default().insert((kind, uuid.clone()));
        }
        for (vip_id, addr) in vip_addresses(&rec) {
            self.vips.insert(
                addr,
                VipOwner {
                    vsvip: uuid.clone(),
                    vip_id,
                },
            );
        }
        if let Some(stamp) = rec
            .body
            .get("_last_modified")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
        {
            self.clock = self.clock.max(stamp);
        }
        let seq = rec.seq;
        self.locate.insert(uuid, (kind, seq));
        match self.objects.entry(kind).or_default().entry(seq) {
            Entry::Vacant(slot) => slot.insert(rec),
            // Not reached in practice (the record under this seq was removed above), but
            // replacing is the right answer if it ever is.
            Entry::Occupied(mut slot) => {
                slot.insert(rec);
                slot.into_mut()
            }
        }
    }

    /// Remove a record and its index entries; returns it.
    pub fn remove(&mut self, kind: ObjectType, uuid: &str) -> Option<Record> {
        let (found, seq) = *self.locate.get(uuid)?;
        if found != kind {
            return None;
        }
        let rec = self.objects.get_mut(&kind)?.remove(&seq)?;
        self.locate.remove(uuid);
        self.names
            .remove(&(kind, rec.name().to_owned(), rec.tenant().to_owned()));
        for target in referenced_uuids(&rec) {
            if let Some(set) = self.referrers.get_mut(&target) {
                set.remove(&(kind, uuid.to_owned()));
                if set.is_empty() {
                    self.referrers.remove(&target);
                }
            }
        }
        for (_, addr) in vip_addresses(&rec) {
            self.vips.remove(&addr);
        }
        Some(rec)
    }
}

/// Uuids a stored body refers to (its refs are canonical), excluding itself. Tenants and
/// clouds are included: deleting a tenant that still has objects is refused, as on the controller.
fn referenced_uuids(rec: &Record) -> BTreeSet<String> {
    collect_refs(&Value::Object(rec.body.clone()))
        .iter()
        .filter_map(|r| ObjectRef::parse(r).ok())
        .filter_map(|r| r.uuid().map(str::to_owned))
        .filter(|u| u != rec.uuid())
        .collect()
}

/// Addresses a stored vsvip holds, with their `vip_id`.
pub fn vip_addresses(rec: &Record) -> Vec<(String, Ipv4Addr)> {
    if rec.kind != ObjectType::VsVip {
        return Vec::new();
    }
    let vips = rec
        .body
        .get("vip")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    vips.iter()
        .filter_map(|vip| {
            let addr = vip.pointer("/ip_address/addr")?.as_str()?.parse().ok()?;
            let vip_id = vip.get("vip_id").and_then(Value::as_str).unwrap_or("0").to_owned();
            Some((vip_id, addr))
        })
        .collect()
}

mod object_type_serde {
    use avi_model::ObjectType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &ObjectType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.path())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectType, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(kind: ObjectType, body: Value) -> Record {
        Record {
            kind,
            system: false,
            body: body.as_object().unwrap().clone(),
            seq: 0,
        }
    }

    #[test]
    fn indexes_follow_puts_and_removes() {
        let mut s = Store::default();
        s.put(rec(
            ObjectType::Pool,
            json!({"uuid": "pool-1", "name": "p", "tenant_ref": "/api/tenant/admin"}),
        ));
        s.put(rec(
            ObjectType::PoolGroup,
            json!({"uuid": "poolgroup-1", "name": "g", "tenant_ref": "/api/tenant/admin",
                   "members": [{"pool_ref": "/api/pool/pool-1"}]}),
        ));
        assert_eq!(
            s.referrers("pool-1").map(Record::describe).collect::<Vec<_>>(),
            vec!["PoolGroup g"]
        );
        assert_eq!(
            s.by_name(ObjectType::Pool, ADMIN, "p").map(Record::uuid),
            Some("pool-1")
        );
        // Renaming through a put frees the old name.
        s.put(rec(
            ObjectType::Pool,
            json!({"uuid": "pool-1", "name": "q", "tenant_ref": "/api/tenant/admin"}),
        ));
        assert!(s.by_name(ObjectType::Pool, ADMIN, "p").is_none());
        s.remove(ObjectType::PoolGroup, "poolgroup-1");
        assert_eq!(s.referrers("pool-1").count(), 0);
    }

    #[test]
    fn private_types_are_invisible_across_tenants_and_shared_ones_are_not() {
        let mut s = Store::default();
        s.put(rec(
            ObjectType::Pool,
            json!({"uuid": "pool-1", "name": "p", "tenant_ref": "/api/tenant/tenant-t"}),
        ));
        s.put(rec(
            ObjectType::Cloud,
            json!({"uuid": "cloud-1", "name": "c", "tenant_ref": "/api/tenant/admin"}),
        ));
        assert!(s.by_name(ObjectType::Pool, ADMIN, "p").is_none());
        assert!(s.by_name(ObjectType::Pool, "tenant-t", "p").is_some());
        assert!(s.by_name(ObjectType::Cloud, "tenant-t", "c").is_some());
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let mut s = Store::default();
        let a: u64 = s.tick(5).parse().unwrap();
        let b: u64 = s.tick(5).parse().unwrap();
        let c: u64 = s.tick(1).parse().unwrap();
        assert!(a < b && b < c);
    }
}
