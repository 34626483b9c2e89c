//! What a namespace decides for the objects in it: whether AKO serves it at all (its filters)
//! and which Avi tenant its objects go to.

use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// Namespace annotation choosing the Avi tenant.
pub const TENANT_ANNOTATION: &str = "ako.vmware.com/tenant-name";

/// Not blocked and selected by `namespaceSelector`, when one is set.
pub fn namespace_accepted(snap: &Snapshot, settings: &Settings, ns: &str) -> bool {
    if settings.blocked_namespaces.contains(ns) {
        return false;
    }
    match &settings.namespace_selector {
        None => true,
        Some((key, value)) => snap
            .namespace(ns)
            .and_then(|n| n.metadata.labels.as_ref())
            .and_then(|l| l.get(key))
            .is_some_and(|v| v == value),
    }
}

/// The Avi tenant of a namespace: its tenant annotation, else `tenantName`.
pub fn tenant_of(snap: &Snapshot, settings: &Settings, ns: &str) -> String {
    snap.namespace(ns)
        .and_then(|n| n.metadata.annotations.as_ref())
        .and_then(|a| a.get(TENANT_ANNOTATION))
        .filter(|t| !t.is_empty())
        .cloned()
        .unwrap_or_else(|| settings.tenant.clone())
}
