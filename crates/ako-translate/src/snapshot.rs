//! The cluster objects translation reads, as plain data in ordered maps.
//!
//! Keys are `(namespace, name)` (or the name alone for cluster-scoped kinds), so iteration is
//! deterministic whatever order the objects were inserted in.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The label linking an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// `(namespace, name)`.
pub type NsName = (String, String);

/// Everything translation may look at.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Services by `(namespace, name)`.
    pub services: BTreeMap<NsName, Service>,
    /// EndpointSlices by `(namespace, name)`; private so the per-Service index stays right.
    endpoint_slices: BTreeMap<NsName, EndpointSlice>,
    /// Nodes by name.
    pub nodes: BTreeMap<String, Node>,
    /// Namespaces by name.
    pub namespaces: BTreeMap<String, Namespace>,
    /// Pods by `(namespace, name)` (for NodePortLocal).
    pub pods: BTreeMap<NsName, Pod>,
    /// Ingresses by `(namespace, name)`.
    pub ingresses: BTreeMap<NsName, Ingress>,
    /// IngressClasses by name.
    pub ingress_classes: BTreeMap<String, IngressClass>,
    /// Secrets by `(namespace, name)` (only those Ingresses refer to need to be here).
    pub secrets: BTreeMap<NsName, Secret>,
    /// Slice names by `(namespace, service)`, kept by [`Snapshot::insert_endpoint_slice`] and
    /// [`Snapshot::remove_endpoint_slice`] so a Service's slices are found without a scan.
    slices_by_service: BTreeMap<NsName, BTreeSet<String>>,
}

fn ns_name(meta: &ObjectMeta) -> NsName {
    (
        meta.namespace.clone().unwrap_or_else(|| "default".to_owned()),
        meta.name.clone().unwrap_or_default(),
    )
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Snapshot::default()
    }

    /// Add or replace a Service (a missing namespace means `default`).
    pub fn with_service(mut self, svc: Service) -> Self {
        self.insert_service(svc);
        self
    }

    /// Add or replace a Service.
    pub fn insert_service(&mut self, svc: Service) {
        self.services.insert(ns_name(&svc.metadata), svc);
    }

    /// Add or replace an EndpointSlice.
    pub fn insert_endpoint_slice(&mut self, slice: EndpointSlice) {
        let key = ns_name(&slice.metadata);
        self.remove_endpoint_slice(&key.0, &key.1);
        if let Some(svc) = service_of(&slice) {
            self.slices_by_service
                .entry((key.0.clone(), svc.to_owned()))
                .or_default()
                .insert(key.1.clone());
        }
        self.endpoint_slices.insert(key, slice);
    }

    /// EndpointSlices by `(namespace, name)`.
    pub fn endpoint_slices(&self) -> &BTreeMap<NsName, EndpointSlice> {
        &self.endpoint_slices
    }

    /// Remove an EndpointSlice.
    pub fn remove_endpoint_slice(&mut self, ns: &str, name: &str) -> Option<EndpointSlice> {
        let old = self.endpoint_slices.remove(&(ns.to_owned(), name.to_owned()))?;
        if let Some(svc) = service_of(&old) {
            let key = (ns.to_owned(), svc.to_owned());
            if let Some(names) = self.slices_by_service.get_mut(&key) {
                names.remove(name);
                if names.is_empty() {
                    self.slices_by_service.remove(&key);
                }
            }
        }
        Some(old)
    }

    /// Add or replace a Node.
    pub fn insert_node(&mut self, node: Node) {
        self.nodes.insert(node.metadata.name.clone().unwrap_or_default(), node);
    }

    /// Add or replace a Namespace.
    pub fn insert_namespace(&mut self, ns: Namespace) {
        self.namespaces.insert(ns.metadata.name.clone().unwrap_or_default(), ns);
    }

    /// Add or replace a Pod.
    pub fn insert_pod(&mut self, pod: Pod) {
        self.pods.insert(ns_name(&pod.metadata), pod);
    }

    /// Add or replace an Ingress.
    pub fn insert_ingress(&mut self, ing: Ingress) {
        self.ingresses.insert(ns_name(&ing.metadata), ing);
    }

    /// Add or replace an IngressClass.
    pub fn insert_ingress_class(&mut self, class: IngressClass) {
        self.ingress_classes
            .insert(class.metadata.name.clone().unwrap_or_default(), class);
    }

    /// Add or replace a Secret. `stringData` is folded into `data`, as the API server does.
    pub fn insert_secret(&mut self, mut secret: Secret) {
        if let Some(strings) = secret.string_data.take() {
            let data = secret.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in strings {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
        self.secrets.insert(ns_name(&secret.metadata), secret);
    }

    /// The EndpointSlices of Service `ns/name` (label `kubernetes.io/service-name`), in slice-name order.
    pub fn slices_for_service<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        self.slices_by_service
            .get(&(ns.to_owned(), name.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(move |slice| self.endpoint_slices.get(&(ns.to_owned(), slice.clone())))
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
