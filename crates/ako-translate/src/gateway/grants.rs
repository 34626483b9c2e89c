//! ReferenceGrants: an HTTPRoute may send traffic to a Service of another namespace only when a
//! ReferenceGrant in that namespace allows HTTPRoutes of the Route's namespace to refer to it
//! (the Gateway API's rule; AKO's container has no such check).

use super::api::HttpBackendRef;
use super::attach::GATEWAY_GROUP;
use crate::snapshot::Snapshot;

/// Whether backend `b` of an HTTPRoute in `route_ns` is served: a Service (core group) of the
/// Route's namespace, or of another namespace whose ReferenceGrant allows it. Anything else is
/// refused (the Route's status says so), never served without the grant the spec requires.
pub fn servable(snap: &Snapshot, b: &HttpBackendRef, route_ns: &str) -> bool {
    let is_service = b.kind.as_deref().unwrap_or("Service") == "Service" && b.group.as_deref().unwrap_or("").is_empty();
    let ns = b.namespace.as_deref().unwrap_or(route_ns);
    is_service && (ns == route_ns || service_granted(snap, route_ns, ns, &b.name))
}

/// Whether a ReferenceGrant of `ns` lets HTTPRoutes of `route_ns` refer to Service `name`.
fn service_granted(snap: &Snapshot, route_ns: &str, ns: &str, name: &str) -> bool {
    snap.reference_grants
        .iter()
        .filter(|(key, _)| key.namespace == ns)
        .any(|(_, grant)| {
            grant
                .spec
                .from
                .iter()
                .any(|f| f.group == GATEWAY_GROUP && f.kind == "HTTPRoute" && f.namespace == route_ns)
                && grant
                    .spec
                    .to
                    .iter()
                    .any(|t| t.group.is_empty() && t.kind == "Service" && t.name.as_deref().is_none_or(|n| n == name))
        })
}
