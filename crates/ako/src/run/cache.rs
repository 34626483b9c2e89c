//! The cluster as the watchers have seen it: one [`Snapshot`] fed by watch events of every kind,
//! and which kinds have completed their initial list.
//!
//! A relist (the watcher's `Init` … `InitDone`, after a restart or an expired resource version)
//! applies each listed object as it arrives and only at `InitDone` removes the objects of that
//! kind the list did not contain: mid-relist the snapshot is a superset, never missing an
//! object, so nothing is ever garbage-collected because a list was partial.
//!
//! An update that changes nothing translation reads (a new resource version, a status written
//! by us, a Node heartbeat) is stored but not recorded as a change, so it costs no pass; an
//! Ingress or Service whose status alone changed is recorded for a status check only.
//!
//! Secrets are watched as metadata only ([`Cache::apply_secret`]).
//!
//! Objects arrive as [`DynamicObject`]s and are converted here, one by one: an object that does
//! not fit its type is logged and skipped, and the watch goes on.

use std::collections::{BTreeMap, BTreeSet};

use ako_translate::Snapshot;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Resource;
use kube::api::{DynamicObject, PartialObjectMeta};
use kube::runtime::watcher::Event;
use serde::de::DeserializeOwned;

use super::relevance;
use super::status::{LoadBalanced, Target};

/// The annotation `kubectl apply` leaves: a full copy of the object, useless to translation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The kinds `ako run` watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// networking.k8s.io/v1 Ingress.
    Ingress,
    /// networking.k8s.io/v1 IngressClass.
    IngressClass,
    /// v1 Service.
    Service,
    /// discovery.k8s.io/v1 EndpointSlice.
    EndpointSlice,
    /// v1 Namespace.
    Namespace,
    /// v1 Node.
    Node,
    /// v1 Pod (NodePortLocal only).
    Pod,
    /// v1 Secret (metadata; the data of those Ingresses name).
    Secret,
}

/// A kind the cache can hold: how it is keyed in, added to and removed from the [`Snapshot`].
pub trait Cached: Resource<DynamicType = ()> + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Which kind this is.
    const KIND: Kind;
    /// Add or replace.
    fn insert(self, snap: &mut Snapshot);
    /// Remove by `(namespace, name)` (namespace empty for cluster-scoped kinds).
    fn remove(snap: &mut Snapshot, key: &(String, String));
    /// The keys of this kind in the snapshot.
    fn keys(snap: &Snapshot) -> Vec<(String, String)>;
    /// The object of this kind under `key`.
    fn get<'a>(snap: &'a Snapshot, key: &(String, String)) -> Option<&'a Self>;
    /// Whether translation reads the same from both versions: a change that differs only in
    /// what translation ignores (resource version, status, heartbeats) re-translates nothing.
    fn same_for_translation(&self, other: &Self) -> bool;
    /// Whether the two versions carry the same `status.loadBalancer` (for the kinds whose
    /// status we write; others: always).
    fn same_status(&self, _other: &Self) -> bool {
        true
    }
}

fn cluster_keys<V>(map: &BTreeMap<String, V>) -> Vec<(String, String)> {
    map.keys().map(|k| (String::new(), k.clone())).collect()
}

macro_rules! namespaced {
    ($ty:ty, $kind:ident, $field:ident, $insert:ident, status) => {
        namespaced!($ty, $kind, $field, $insert, {
            fn same_status(&self, other: &Self) -> bool {
                self.entries() == other.entries()
            }
        });
    };
    ($ty:ty, $kind:ident, $field:ident, $insert:ident) => {
        namespaced!($ty, $kind, $field, $insert, {});
    };
    ($ty:ty, $kind:ident, $field:ident, $insert:ident, { $($extra:tt)* }) => {
        impl Cached for $ty {
            const KIND: Kind = Kind::$kind;
            fn insert(self, snap: &mut Snapshot) {
                snap.$insert(self);
            }
            fn remove(snap: &mut Snapshot, key: &(String, String)) {
                snap.$field.remove(key);
            }
            fn keys(snap: &Snapshot) -> Vec<(String, String)> {
                snap.$field.keys().cloned().collect()
            }
            fn get<'a>(snap: &'a Snapshot, key: &(String, String)) -> Option<&'a Self> {
                snap.$field.get(key)
            }
            fn same_for_translation(&self, other: &Self) -> bool {
                relevance::$field(self, other)
            }
            $($extra)*
        }
    };
}

macro_rules! cluster_scoped {
    ($ty:ty, $kind:ident, $field:ident, $insert:ident) => {
        impl Cached for $ty {
            const KIND: Kind = Kind::$kind;
            fn insert(self, snap: &mut Snapshot) {
                snap.$insert(self);
            }
            fn remove(snap: &mut Snapshot, key: &(String, String)) {
                snap.$field.remove(&key.1);
            }
            fn keys(snap: &Snapshot) -> Vec<(String, String)> {
                cluster_keys(&snap.$field)
            }
            fn get<'a>(snap: &'a Snapshot, key: &(String, String)) -> Option<&'a Self> {
                snap.$field.get(&key.1)
            }
            fn same_for_translation(&self, other: &Self) -> bool {
                relevance::$field(self, other)
            }
        }
    };
}

namespaced!(Ingress, Ingress, ingresses, insert_ingress, status);
namespaced!(Service, Service, services, insert_service, status);
namespaced!(Pod, Pod, pods, insert_pod);
cluster_scoped!(IngressClass, IngressClass, ingress_classes, insert_ingress_class);
cluster_scoped!(Namespace, Namespace, namespaces, insert_namespace);
cluster_scoped!(Node, Node, nodes, insert_node);

impl Cached for EndpointSlice {
    const KIND: Kind = Kind::EndpointSlice;
    fn insert(self, snap: &mut Snapshot) {
        snap.insert_endpoint_slice(self);
    }
    fn remove(snap: &mut Snapshot, key: &(String, String)) {
        snap.remove_endpoint_slice(&key.0, &key.1);
    }
    fn keys(snap: &Snapshot) -> Vec<(String, String)> {
        snap.endpoint_slices().keys().cloned().collect()
    }
    fn get<'a>(snap: &'a Snapshot, key: &(String, String)) -> Option<&'a Self> {
        snap.endpoint_slices().get(key)
    }
    fn same_for_translation(&self, other: &Self) -> bool {
        relevance::endpoint_slices(self, other)
    }
}

/// The snapshot plus the bookkeeping of lists and of what changed since the last pass.
#[derive(Debug, Default)]
pub struct Cache {
    /// What translation reads. Secrets in it are the referenced ones, fetched by the
    /// reconciler ([`super::secrets`]).
    pub snapshot: Snapshot,
    /// Kinds watched.
    expected: BTreeSet<Kind>,
    /// Kinds whose initial list completed.
    synced: BTreeSet<Kind>,
    /// Keys seen so far by a relist in progress, per kind.
    relisting: BTreeMap<Kind, BTreeSet<(String, String)>>,
    /// Objects changed (for translation) since the reconciler last took them.
    changed: BTreeSet<(Kind, (String, String))>,
    /// Ingresses and Services whose status alone changed since the reconciler last looked.
    status_changed: BTreeSet<Target>,
    /// The resource version of every TLS Secret (metadata only: the data of the referenced ones
    /// is fetched, the others are never held).
    pub secret_versions: BTreeMap<(String, String), String>,
    /// Objects skipped because they did not convert (counted for the logs and tests).
    pub skipped: u64,
}

/// What the reconciler takes from the cache for one pass.
#[derive(Debug, Default)]
pub struct Changes {
    /// Objects whose translation input changed.
    pub objects: BTreeSet<(Kind, (String, String))>,
    /// Objects whose status changed.
    pub statuses: BTreeSet<Target>,
}

impl Cache {
    /// A cache expecting these kinds to be watched.
    pub fn new(expected: impl IntoIterator<Item = Kind>) -> Self {
        Cache {
            expected: expected.into_iter().collect(),
            ..Cache::default()
        }
    }

    /// Every watched kind has completed its initial list: the snapshot is the whole cluster.
    pub fn synced(&self) -> bool {
        self.expected.is_subset(&self.synced)
    }

    /// Kinds still waiting for their initial list.
    pub fn pending(&self) -> Vec<Kind> {
        self.expected.difference(&self.synced).copied().collect()
    }

    /// Changes waiting for a pass.
    pub fn queued(&self) -> usize {
        self.changed.len() + self.status_changed.len()
    }

    /// Take the changes recorded since the last call.
    pub fn take_changes(&mut self) -> Changes {
        Changes {
            objects: std::mem::take(&mut self.changed),
            statuses: std::mem::take(&mut self.status_changed),
        }
    }

    /// Apply one watch event of kind `K`. Returns whether a pass has something new to do.
    pub fn apply<K: Cached>(&mut self, event: Event<DynamicObject>) -> bool {
        match event {
            Event::Init => {
                self.relisting.insert(K::KIND, BTreeSet::new());
                false
            }
            Event::InitApply(obj) | Event::Apply(obj) => {
                let relist = self.relisting.contains_key(&K::KIND);
                let Some((key, typed)) = self.convert::<K>(obj) else {
                    return false;
                };
                if relist {
                    self.relisting.entry(K::KIND).or_default().insert(key.clone());
                }
                self.upsert(key, typed)
            }
            Event::InitDone => {
                let listed = self.relisting.remove(&K::KIND).unwrap_or_default();
                for key in K::keys(&self.snapshot) {
                    if !listed.contains(&key) {
                        K::remove(&mut self.snapshot, &key);
                        self.changed.insert((K::KIND, key));
                    }
                }
                self.synced.insert(K::KIND)
            }
            Event::Delete(obj) => {
                let key = key_of(&obj);
                K::remove(&mut self.snapshot, &key);
                self.changed.insert((K::KIND, key));
                true
            }
        }
    }

    /// Store `typed`, recording what changed compared with the version held.
    fn upsert<K: Cached>(&mut self, key: (String, String), typed: K) -> bool {
        let (translation, status) = match K::get(&self.snapshot, &key) {
            None => (true, true),
            Some(old) => (!old.same_for_translation(&typed), !old.same_status(&typed)),
        };
        typed.insert(&mut self.snapshot);
        if translation {
            self.changed.insert((K::KIND, key.clone()));
        }
        if status && !translation && matches!(K::KIND, Kind::Ingress | Kind::Service) {
            self.status_changed.insert(Target {
                kind: format!("{:?}", K::KIND),
                namespace: key.0,
                name: key.1,
            });
        }
        translation || status
    }

    /// Apply one event of the metadata-only Secret watch: record the version (the data of a
    /// referenced Secret is fetched by the reconciler).
    pub fn apply_secret(&mut self, event: Event<PartialObjectMeta<Secret>>) -> bool {
        let key_of_meta = |m: &PartialObjectMeta<Secret>| {
            (
                m.metadata.namespace.clone().unwrap_or_default(),
                m.metadata.name.clone().unwrap_or_default(),
            )
        };
        match event {
            Event::Init => {
                self.relisting.insert(Kind::Secret, BTreeSet::new());
                false
            }
            Event::InitApply(m) | Event::Apply(m) => {
                let key = key_of_meta(&m);
                if let Some(seen) = self.relisting.get_mut(&Kind::Secret) {
                    seen.insert(key.clone());
                }
                let version = m.metadata.resource_version.clone().unwrap_or_default();
                if self.secret_versions.get(&key) == Some(&version) {
                    return false;
                }
                self.secret_versions.insert(key.clone(), version);
                self.changed.insert((Kind::Secret, key));
                true
            }
            Event::InitDone => {
                let listed = self.relisting.remove(&Kind::Secret).unwrap_or_default();
                let gone: Vec<_> = self
                    .secret_versions
                    .keys()
                    .filter(|k| !listed.contains(*k))
                    .cloned()
                    .collect();
                for key in gone {
                    self.secret_versions.remove(&key);
                    self.changed.insert((Kind::Secret, key));
                }
                self.synced.insert(Kind::Secret)
            }
            Event::Delete(m) => {
                let key = key_of_meta(&m);
                self.secret_versions.remove(&key);
                self.changed.insert((Kind::Secret, key));
                true
            }
        }
    }

    /// The typed object and its key, or `None` (logged) when it does not fit `K`.
    fn convert<K: Cached>(&mut self, obj: DynamicObject) -> Option<((String, String), K)> {
        let key = key_of(&obj);
        let parsed = serde_json::to_value(&obj).and_then(serde_json::from_value::<K>);
        match parsed {
            Ok(mut typed) => {
                let meta = typed.meta_mut();
                meta.managed_fields = None;
                if let Some(a) = meta.annotations.as_mut() {
                    a.remove(LAST_APPLIED);
                }
                Some((key, typed))
            }
            Err(e) => {
                self.skipped += 1;
                tracing::warn!(kind = ?K::KIND, namespace = %key.0, name = %key.1, error = %e,
                    "skipping an object that does not fit its type");
                None
            }
        }
    }

    /// Objects held, by kind (Secrets: those fetched because an Ingress refers to them).
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let s = &self.snapshot;
        vec![
            (Kind::Ingress, s.ingresses.len()),
            (Kind::IngressClass, s.ingress_classes.len()),
            (Kind::Service, s.services.len()),
            (Kind::EndpointSlice, s.endpoint_slices().len()),
            (Kind::Namespace, s.namespaces.len()),
            (Kind::Node, s.nodes.len()),
            (Kind::Pod, s.pods.len()),
            (Kind::Secret, s.secrets.len()),
        ]
    }
}

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
fn key_of(obj: &DynamicObject) -> (String, String) {
    (
        obj.metadata.namespace.clone().unwrap_or_default(),
        obj.metadata.name.clone().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dynamic(v: serde_json::Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    fn service(name: &str) -> DynamicObject {
        dynamic(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "ns", "managedFields": [{"manager": "x"}]},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}
        }))
    }

    #[test]
    fn synced_only_after_every_kind_listed() {
        let mut c = Cache::new([Kind::Service, Kind::Ingress]);
        assert!(!c.synced());
        c.apply::<Service>(Event::Init);
        c.apply::<Service>(Event::InitApply(service("a")));
        c.apply::<Service>(Event::InitDone);
        assert!(!c.synced());
        assert_eq!(c.pending(), vec![Kind::Ingress]);
        c.apply::<Ingress>(Event::Init);
        c.apply::<Ingress>(Event::InitDone);
        assert!(c.synced());
        let svc = &c.snapshot.services[&("ns".to_owned(), "a".to_owned())];
        assert!(svc.metadata.managed_fields.is_none());
    }

    #[test]
    fn a_relist_removes_exactly_what_it_did_not_list_and_only_at_the_end() {
        let mut c = Cache::new([Kind::Service]);
        for e in [
            Event::Init,
            Event::InitApply(service("a")),
            Event::InitApply(service("b")),
            Event::InitDone,
        ] {
            c.apply::<Service>(e);
        }
        c.apply::<Service>(Event::Init);
        c.apply::<Service>(Event::InitApply(service("b")));
        assert_eq!(c.snapshot.services.len(), 2, "a partial relist deletes nothing");
        c.apply::<Service>(Event::InitDone);
        let names: Vec<_> = c.snapshot.services.keys().map(|k| k.1.as_str()).collect();
        assert_eq!(names, ["b"]);
    }

    #[test]
    fn an_object_of_the_wrong_shape_is_skipped_and_the_rest_applies() {
        let mut c = Cache::new([Kind::Service]);
        let bad = dynamic(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "bad", "namespace": "ns"},
            "spec": {"ports": "not a list"}
        }));
        assert!(!c.apply::<Service>(Event::Apply(bad)));
        assert!(c.apply::<Service>(Event::Apply(service("good"))));
        assert_eq!(c.skipped, 1);
        assert_eq!(c.snapshot.services.len(), 1);
        assert!(c.apply::<Service>(Event::Delete(service("good"))));
        assert!(c.snapshot.services.is_empty());
    }

    #[test]
    fn an_update_translation_ignores_is_not_a_change_and_a_status_alone_is_a_status_change() {
        let mut c = Cache::new([Kind::Service]);
        c.apply::<Service>(Event::Apply(service("a")));
        let first = c.take_changes();
        assert_eq!(first.objects.len(), 1);
        // A new resource version and managed fields only: nothing to do.
        let mut same = service("a");
        same.metadata.resource_version = Some("7".into());
        assert!(!c.apply::<Service>(Event::Apply(same)));
        assert_eq!(c.queued(), 0);
        // Our own status write coming back: a status check, no translation.
        let with_status = dynamic(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "a", "namespace": "ns"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
        }));
        assert!(c.apply::<Service>(Event::Apply(with_status)));
        let changes = c.take_changes();
        assert!(changes.objects.is_empty());
        assert_eq!(
            changes.statuses.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        // A spec change is a change.
        let mut other = service("a");
        other.data["spec"]["ports"][0]["port"] = json!(81);
        assert!(c.apply::<Service>(Event::Apply(other)));
        assert_eq!(c.take_changes().objects.len(), 1);
    }

    #[test]
    fn secrets_are_known_by_version_only() {
        let meta = |name: &str, rv: &str| {
            let mut m = PartialObjectMeta::<Secret>::default();
            m.metadata.namespace = Some("ns".into());
            m.metadata.name = Some(name.into());
            m.metadata.resource_version = Some(rv.into());
            m
        };
        let mut c = Cache::new([Kind::Secret]);
        c.apply_secret(Event::Init);
        c.apply_secret(Event::InitApply(meta("a", "1")));
        c.apply_secret(Event::InitDone);
        assert!(c.synced());
        assert!(c.snapshot.secrets.is_empty(), "no data is held from the watch");
        assert_eq!(c.secret_versions[&("ns".to_owned(), "a".to_owned())], "1");
        c.take_changes();
        assert!(!c.apply_secret(Event::Apply(meta("a", "1"))), "same version: nothing");
        assert!(c.apply_secret(Event::Apply(meta("a", "2"))));
        assert!(c.apply_secret(Event::Delete(meta("a", "2"))));
        assert!(c.secret_versions.is_empty());
    }
}
