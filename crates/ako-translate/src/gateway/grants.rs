//! ReferenceGrants: an HTTPRoute may send traffic to a Service of another namespace, and a
//! Gateway may use a Secret of another namespace as a listener's certificate, only when a
//! ReferenceGrant in that namespace allows it (the Gateway API's rule; AKO's container has no
//! such check).

use super::api::HttpBackendRef;
use super::attach::GATEWAY_GROUP;
use crate::snapshot::Snapshot;

/// Whether backend `b` of an HTTPRoute in `route_ns` is served: a Service (core group) of the
/// Route's namespace, or of another namespace whose ReferenceGrant allows it. Anything else is
/// refused (the Route's status says so), never served without the grant the spec requires.
pub fn servable(snap: &Snapshot, b: &HttpBackendRef, route_ns: &str) -> bool {
    let is_service = b.kind.as_deref().unwrap_or("Service") == "Service" && b.group.as_deref().unwrap_or("").is_empty();
    let ns = b.namespace.as_deref().unwrap_or(route_ns);
    is_service && (ns == route_ns || granted(snap, ("HTTPRoute", route_ns), ("Service", ns, &b.name)))
}

/// Whether a Gateway of `gateway_ns` may use Secret `ns/name` as a certificate.
pub fn secret_usable(snap: &Snapshot, gateway_ns: &str, ns: &str, name: &str) -> bool {
    ns == gateway_ns || granted(snap, ("Gateway", gateway_ns), ("Secret", ns, name))
}

/// Whether a ReferenceGrant of the target's namespace lets objects of kind `from.0` (Gateway
/// API group) in namespace `from.1` refer to the core object `to` (kind, namespace, name).
fn granted(snap: &Snapshot, from: (&str, &str), to: (&str, &str, &str)) -> bool {
    let (from_kind, from_ns) = from;
    let (to_kind, ns, name) = to;
    snap.reference_grants
        .iter()
        .filter(|(key, _)| key.namespace == ns)
        .any(|(_, grant)| {
            grant
                .spec
                .from
                .iter()
                .any(|f| f.group == GATEWAY_GROUP && f.kind == from_kind && f.namespace == from_ns)
                && grant
                    .spec
                    .to
                    .iter()
                    .any(|t| t.group.is_empty() && t.kind == to_kind && t.name.as_deref().is_none_or(|n| n == name))
        })
}
