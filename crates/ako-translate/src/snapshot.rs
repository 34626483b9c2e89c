//! The cluster objects translation reads, as plain data in ordered maps: one [`Store`] per kind
//! ([`crate::kinds`]), keyed by [`NsName`], so iteration is deterministic whatever order the
//! objects arrived in.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use crate::key::NsName;
use crate::kinds::{InputKind, Store};

/// The label linking an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Everything translation may look at.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Services.
    pub services: Store<Service>,
    /// EndpointSlices; private so the per-Service index stays right.
    endpoint_slices: Store<EndpointSlice>,
    /// Nodes (cluster-scoped).
    pub nodes: Store<Node>,
    /// Namespaces (cluster-scoped).
    pub namespaces: Store<Namespace>,
    /// Pods (for NodePortLocal).
    pub pods: Store<Pod>,
    /// Ingresses.
    pub ingresses: Store<Ingress>,
    /// IngressClasses (cluster-scoped).
    pub ingress_classes: Store<IngressClass>,
    /// Secrets (only those Ingresses refer to need to be here).
    pub secrets: Store<Secret>,
    /// Slice names by Service, kept by [`Snapshot::insert_endpoint_slice`] and
    /// [`Snapshot::remove_endpoint_slice`] so a Service's slices are found without a scan.
    slices_by_service: BTreeMap<NsName, BTreeSet<String>>,
}

/// The key of an object of kind `K`: a namespaced object without a namespace is in `default`
/// (as `kubectl apply` would put it), a cluster-scoped one has none.
pub fn key_of<K: InputKind>(object: &K) -> NsName {
    let meta = object.meta();
    let namespace = if K::NAMESPACED {
        meta.namespace.clone().unwrap_or_else(|| "default".to_owned())
    } else {
        String::new()
    };
    NsName::new(namespace, meta.name.clone().unwrap_or_default())
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Snapshot::default()
    }

    /// Add or replace an object of any kind, [normalized](InputKind::normalize).
    pub fn insert<K: InputKind>(&mut self, mut object: K) {
        object.normalize();
        let key = key_of(&object);
        K::insert(self, key, object);
    }

    /// [`Snapshot::insert`], by value.
    pub fn with<K: InputKind>(mut self, object: K) -> Self {
        self.insert(object);
        self
    }

    /// Remove an object of kind `K`.
    pub fn remove<K: InputKind>(&mut self, key: &NsName) -> Option<K> {
        K::remove(self, key)
    }

    /// The object of kind `K` named `key`.
    pub fn get<K: InputKind>(&self, key: &NsName) -> Option<&K> {
        K::store(self).get(key)
    }

    /// The Service `ns/name`.
    pub fn service(&self, ns: &str, name: &str) -> Option<&Service> {
        self.services.get(&NsName::new(ns, name))
    }

    /// The Namespace `name`.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(&NsName::cluster(name))
    }

    /// The IngressClass `name`.
    pub fn ingress_class(&self, name: &str) -> Option<&IngressClass> {
        self.ingress_classes.get(&NsName::cluster(name))
    }

    /// Add or replace an EndpointSlice, keeping the per-Service index.
    pub fn insert_endpoint_slice(&mut self, slice: EndpointSlice) {
        let key = key_of(&slice);
        self.remove_endpoint_slice(&key);
        if let Some(svc) = service_of(&slice) {
            self.slices_by_service
                .entry(NsName::new(&key.namespace, svc))
                .or_default()
                .insert(key.name.clone());
        }
        self.endpoint_slices.insert(key, slice);
    }

    /// EndpointSlices.
    pub fn endpoint_slices(&self) -> &Store<EndpointSlice> {
        &self.endpoint_slices
    }

    /// Remove an EndpointSlice, keeping the per-Service index.
    pub fn remove_endpoint_slice(&mut self, key: &NsName) -> Option<EndpointSlice> {
        let old = self.endpoint_slices.remove(key)?;
        if let Some(svc) = service_of(&old) {
            let service = NsName::new(&key.namespace, svc);
            if let Some(names) = self.slices_by_service.get_mut(&service) {
                names.remove(&key.name);
                if names.is_empty() {
                    self.slices_by_service.remove(&service);
                }
            }
        }
        Some(old)
    }

    /// The EndpointSlices of Service `ns/name` (label `kubernetes.io/service-name`), in slice-name order.
    pub fn slices_for_service<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        self.slices_by_service
            .get(&NsName::new(ns, name))
            .into_iter()
            .flatten()
            .filter_map(move |slice| self.endpoint_slices.get(&NsName::new(ns, slice.as_str())))
    }
}

pub(crate) fn service_of(slice: &EndpointSlice) -> Option<&str> {
    slice
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(SERVICE_NAME_LABEL))
        .map(String::as_str)
}
