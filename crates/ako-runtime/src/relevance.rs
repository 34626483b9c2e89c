//! What translation reads of each kind: two versions of an object that agree here translate
//! the same, so an update that differs elsewhere (resource version, managed fields, a status
//! we wrote, a Node's heartbeat or conditions) triggers no translation.
//!
//! Each function must cover every field `ako_translate` reads of its kind; when translation
//! starts reading a new field, it must be added here too (the e2e tests of `ako run` exercise
//! each kind's changes through the API server).

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Labels and annotations (translation reads both on most kinds) and the creation time (the
/// Strict FQDN policy orders Ingresses by it).
fn same_meta(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    a.labels == b.labels && a.annotations == b.annotations && a.creation_timestamp == b.creation_timestamp
}

pub fn ingresses(a: &Ingress, b: &Ingress) -> bool {
    same_meta(&a.metadata, &b.metadata) && a.spec == b.spec
}

pub fn services(a: &Service, b: &Service) -> bool {
    same_meta(&a.metadata, &b.metadata) && a.spec == b.spec
}

pub fn endpoint_slices(a: &EndpointSlice, b: &EndpointSlice) -> bool {
    same_meta(&a.metadata, &b.metadata)
        && a.address_type == b.address_type
        && a.endpoints == b.endpoints
        && a.ports == b.ports
}

/// Node labels (nodePortSelector) and addresses (NodePort members); not conditions, images or
/// heartbeats, which change all the time.
pub fn nodes(a: &Node, b: &Node) -> bool {
    let addresses = |n: &Node| n.status.as_ref().and_then(|s| s.addresses.clone());
    a.metadata.labels == b.metadata.labels && addresses(a) == addresses(b)
}

pub fn namespaces(a: &Namespace, b: &Namespace) -> bool {
    same_meta(&a.metadata, &b.metadata)
}

pub fn ingress_classes(a: &IngressClass, b: &IngressClass) -> bool {
    same_meta(&a.metadata, &b.metadata) && a.spec == b.spec
}

/// Pod labels (Service selectors), annotations (NodePortLocal's mapping) and readiness.
pub fn pods(a: &Pod, b: &Pod) -> bool {
    let ready = |p: &Pod| {
        p.status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status.clone())
    };
    same_meta(&a.metadata, &b.metadata) && ready(a) == ready(b)
}
