//! The cluster as the watchers have seen it: one [`Snapshot`] fed by watch events of every kind,
//! and which kinds have completed their initial list.
//!
//! A relist (the watcher's `Init` … `InitDone`, after a restart or an expired resource version)
//! applies each listed object as it arrives and only at `InitDone` removes the objects of that
//! kind the list did not contain: mid-relist the snapshot is a superset, never missing an
//! object, so nothing is ever garbage-collected because a list was partial.
//!
//! Objects arrive as [`DynamicObject`]s and are converted here, one by one: an object that does
//! not fit its type is logged and skipped, and the watch goes on.

use std::collections::{BTreeMap, BTreeSet};

use ako_translate::Snapshot;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Resource;
use kube::api::DynamicObject;
use kube::runtime::watcher::Event;
use serde::de::DeserializeOwned;

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
    /// v1 Secret (TLS only).
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
}

fn cluster_keys<V>(map: &BTreeMap<String, V>) -> Vec<(String, String)> {
    map.keys().map(|k| (String::new(), k.clone())).collect()
}

macro_rules! namespaced {
    ($ty:ty, $kind:ident, $field:ident, $insert:ident) => {
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
        }
    };
}

namespaced!(Ingress, Ingress, ingresses, insert_ingress);
namespaced!(Service, Service, services, insert_service);
namespaced!(Pod, Pod, pods, insert_pod);
namespaced!(Secret, Secret, secrets, insert_secret);
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
}

/// The snapshot plus the bookkeeping of lists.
#[derive(Debug, Default)]
pub struct Cache {
    /// What translation reads.
    pub snapshot: Snapshot,
    /// Kinds watched.
    expected: BTreeSet<Kind>,
    /// Kinds whose initial list completed.
    synced: BTreeSet<Kind>,
    /// Keys seen so far by a relist in progress, per kind.
    relisting: BTreeMap<Kind, BTreeSet<(String, String)>>,
    /// Objects skipped because they did not convert (counted for the logs and tests).
    pub skipped: u64,
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

    /// Apply one watch event of kind `K`. Returns whether translation may see something new.
    pub fn apply<K: Cached>(&mut self, event: Event<DynamicObject>) -> bool {
        match event {
            Event::Init => {
                self.relisting.insert(K::KIND, BTreeSet::new());
                false
            }
            Event::InitApply(obj) => {
                let Some((key, typed)) = self.convert::<K>(obj) else {
                    return false;
                };
                self.relisting.entry(K::KIND).or_default().insert(key);
                typed.insert(&mut self.snapshot);
                true
            }
            Event::InitDone => {
                let listed = self.relisting.remove(&K::KIND).unwrap_or_default();
                for key in K::keys(&self.snapshot) {
                    if !listed.contains(&key) {
                        K::remove(&mut self.snapshot, &key);
                    }
                }
                self.synced.insert(K::KIND);
                true
            }
            Event::Apply(obj) => match self.convert::<K>(obj) {
                Some((_, typed)) => {
                    typed.insert(&mut self.snapshot);
                    true
                }
                None => false,
            },
            Event::Delete(obj) => {
                K::remove(&mut self.snapshot, &key_of(&obj));
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
}
