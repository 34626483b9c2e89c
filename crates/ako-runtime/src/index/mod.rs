//! The index: the cluster as the sources (watches, a manifest directory) have shown it, one
//! [`Snapshot`] with every kind of [`ako_translate::kinds`], written by one writer at a time, and
//! what changed since the reconcile loop last looked.
//!
//! * A relist (`Init` … `InitDone`, after a restart or an expired resource version) applies each
//!   listed object as it arrives and only at `InitDone` removes the objects of that kind the list
//!   did not contain: mid-relist the snapshot is a superset, never missing an object, so nothing
//!   is ever garbage-collected because a list was partial. Objects a relist removes are
//!   *vanished* (no one saw them deleted); objects a watch reported deleted are *deleted*: the
//!   deletion guard ([`crate::reconcile::guard`]) trusts the second and not the first.
//! * An update that changes nothing translation reads ([`InputKind::same_for_translation`]) is
//!   stored but not recorded, so it costs no pass; one whose `status.loadBalancer` alone changed
//!   is recorded for a status check only.
//! * Kinds watched as [`ako_translate::kinds::Watch::Referenced`] (Secrets) are known by name and resource version
//!   only; the reconcile loop fetches the objects translation reads ([`crate::fetch`]).
//!
//! Objects arrive as [`DynamicObject`]s and are converted here, one by one: an object that does
//! not fit its type is logged and skipped, and the source goes on.

mod shared;

use std::collections::{BTreeMap, BTreeSet};

use ako_translate::kinds::{InputKind, Kind, KindVisitor, for_each};
use ako_translate::snapshot::key_of;
use ako_translate::{NsName, ObjRef, Snapshot};
use kube::api::{DynamicObject, PartialObjectMeta};
use kube::runtime::watcher::Event;

pub use shared::Shared;

/// What the reconcile loop takes from the index for one pass.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Objects whose translation input changed (added, updated, deleted or vanished).
    pub objects: BTreeSet<ObjRef>,
    /// Objects whose `status.loadBalancer` alone changed.
    pub statuses: BTreeSet<ObjRef>,
    /// Objects a watch reported deleted: evidence that they are gone.
    pub deleted: BTreeSet<ObjRef>,
    /// Objects a relist did not contain any more: gone, but without a deletion anyone saw.
    pub vanished: BTreeSet<ObjRef>,
}

/// The snapshot plus the bookkeeping of lists and of what changed since the last pass.
#[derive(Debug, Default)]
pub struct Index {
    /// What translation reads. Objects of [`Referenced`](ako_translate::kinds::Watch::Referenced) kinds are in it only once
    /// fetched.
    pub snapshot: Snapshot,
    /// Kinds the sources list.
    expected: BTreeSet<Kind>,
    /// Kinds whose initial list completed.
    synced: BTreeSet<Kind>,
    /// Keys seen so far by a relist in progress, per kind.
    relisting: BTreeMap<Kind, BTreeSet<NsName>>,
    /// What changed since the reconcile loop last took it.
    changes: Changes,
    /// The resource version of every object of a [`Referenced`](ako_translate::kinds::Watch::Referenced) kind.
    versions: BTreeMap<ObjRef, String>,
    /// Objects skipped because they did not convert.
    pub skipped: u64,
}

impl Index {
    /// An index expecting these kinds to be listed.
    pub fn new(expected: impl IntoIterator<Item = Kind>) -> Self {
        Index {
            expected: expected.into_iter().collect(),
            ..Index::default()
        }
    }

    /// Expect the initial list of `kind` too (a watch started later).
    pub fn expect(&mut self, kind: Kind) {
        self.expected.insert(kind);
    }

    /// Every expected kind has completed its initial list: the snapshot is the whole cluster.
    pub fn synced(&self) -> bool {
        self.expected.is_subset(&self.synced)
    }

    /// Kinds still waiting for their initial list.
    pub fn pending(&self) -> Vec<Kind> {
        self.expected.difference(&self.synced).copied().collect()
    }

    /// Changes waiting for a pass.
    pub fn queued(&self) -> usize {
        self.changes.objects.len() + self.changes.statuses.len()
    }

    /// Take the changes recorded since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// The resource version of an object of a [`Referenced`](ako_translate::kinds::Watch::Referenced) kind, if it exists.
    pub fn version(&self, object: &ObjRef) -> Option<&str> {
        self.versions.get(object).map(String::as_str)
    }

    /// Apply one event of a whole-object source of kind `K`. Returns whether a pass has
    /// something new to do.
    pub fn apply<K: InputKind>(&mut self, event: Event<DynamicObject>) -> bool {
        match event {
            Event::Init => {
                // Only a relist can find objects gone; a first list (nothing held yet) keeps no
                // set of what it saw (at 14,000 Secrets, a megabyte).
                if !K::store(&self.snapshot).is_empty() {
                    self.relisting.insert(K::KIND, BTreeSet::new());
                }
                false
            }
            Event::InitApply(obj) | Event::Apply(obj) => {
                let Some(typed) = self.convert::<K>(obj) else {
                    return false;
                };
                let key = key_of(&typed);
                if let Some(seen) = self.relisting.get_mut(&K::KIND) {
                    seen.insert(key.clone());
                }
                self.upsert(key, typed)
            }
            Event::InitDone => {
                let Some(listed) = self.relisting.remove(&K::KIND) else {
                    return self.synced.insert(K::KIND); // nothing was held: nothing is gone
                };
                let gone: Vec<NsName> = K::store(&self.snapshot)
                    .keys()
                    .filter(|k| !listed.contains(*k))
                    .cloned()
                    .collect();
                let removed = !gone.is_empty();
                for key in gone {
                    self.snapshot.remove::<K>(&key);
                    let r = ObjRef { kind: K::KIND, key };
                    self.changes.vanished.insert(r.clone());
                    self.changes.objects.insert(r);
                }
                self.synced.insert(K::KIND) || removed
            }
            Event::Delete(obj) => {
                let Some(typed) = self.convert::<K>(obj) else {
                    return false;
                };
                let key = key_of(&typed);
                self.delete::<K>(key)
            }
        }
    }

    /// Remove an object a source saw deleted.
    pub fn delete<K: InputKind>(&mut self, key: NsName) -> bool {
        self.snapshot.remove::<K>(&key);
        let r = ObjRef { kind: K::KIND, key };
        self.changes.deleted.insert(r.clone());
        self.changes.objects.insert(r);
        true
    }

    /// Store `typed`, recording what changed compared with the version held.
    pub fn upsert<K: InputKind>(&mut self, key: NsName, mut typed: K) -> bool {
        typed.normalize();
        let (translation, status) = match self.snapshot.get::<K>(&key) {
            None => (true, true),
            Some(old) => (
                !K::same_for_translation(old, &typed),
                K::lb_status(old) != K::lb_status(&typed),
            ),
        };
        K::insert(&mut self.snapshot, key.clone(), typed);
        let r = ObjRef { kind: K::KIND, key };
        if translation {
            self.changes.deleted.remove(&r);
            self.changes.objects.insert(r);
        } else if status {
            self.changes.statuses.insert(r);
        }
        translation || status
    }

    /// Apply one event of a metadata-only source of kind `K` ([`Referenced`](ako_translate::kinds::Watch::Referenced)): record
    /// the version; the object itself is fetched by the reconcile loop when translation reads it.
    pub fn apply_meta<K: InputKind>(&mut self, event: Event<PartialObjectMeta<K>>) -> bool {
        let r = |m: &PartialObjectMeta<K>| ObjRef {
            kind: K::KIND,
            key: NsName::of(&m.metadata),
        };
        match event {
            Event::Init => {
                // As for whole objects: a first list keeps no set of what it saw.
                if self.versions.keys().any(|r| r.kind == K::KIND) {
                    self.relisting.insert(K::KIND, BTreeSet::new());
                }
                false
            }
            Event::InitApply(m) | Event::Apply(m) => {
                let r = r(&m);
                if let Some(seen) = self.relisting.get_mut(&K::KIND) {
                    seen.insert(r.key.clone());
                }
                let version = m.metadata.resource_version.clone().unwrap_or_default();
                if self.versions.get(&r).is_some_and(|v| *v == version) {
                    return false;
                }
                self.versions.insert(r.clone(), version);
                self.changes.objects.insert(r);
                true
            }
            Event::InitDone => {
                let Some(listed) = self.relisting.remove(&K::KIND) else {
                    return self.synced.insert(K::KIND);
                };
                let gone: Vec<ObjRef> = self
                    .versions
                    .keys()
                    .filter(|r| r.kind == K::KIND && !listed.contains(&r.key))
                    .cloned()
                    .collect();
                let removed = !gone.is_empty();
                for r in gone {
                    self.versions.remove(&r);
                    self.changes.vanished.insert(r.clone());
                    self.changes.objects.insert(r);
                }
                self.synced.insert(K::KIND) || removed
            }
            Event::Delete(m) => {
                let r = r(&m);
                self.versions.remove(&r);
                self.changes.deleted.insert(r.clone());
                self.changes.objects.insert(r);
                true
            }
        }
    }

    /// The typed object, or `None` (logged) when it does not fit `K`.
    fn convert<K: InputKind>(&mut self, obj: DynamicObject) -> Option<K> {
        let parsed = serde_json::to_value(&obj).and_then(serde_json::from_value::<K>);
        match parsed {
            Ok(typed) => Some(typed),
            Err(e) => {
                self.skipped += 1;
                let key = NsName::of(&obj.metadata);
                tracing::warn!(kind = %K::KIND, object = %key, error = %e,
                    "skipping an object that does not fit its type");
                None
            }
        }
    }

    /// Objects held, by kind (of [`Referenced`](ako_translate::kinds::Watch::Referenced) kinds: those fetched).
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        struct Counts<'a>(&'a Snapshot, Vec<(Kind, usize)>);
        impl KindVisitor for Counts<'_> {
            fn visit<K: InputKind>(&mut self) {
                self.1.push((K::KIND, K::store(self.0).len()));
            }
        }
        let mut c = Counts(&self.snapshot, Vec::new());
        for_each(&mut c);
        c.1
    }
}

#[cfg(test)]
mod tests;
