//! The status of Gateway API objects (with `featureGates.GatewayAPI`): what
//! [`ako_translate::gateway::status`] wants, given the VIPs and virtual service uuids the
//! controller holds, compared with what each object carries; only those that differ are
//! patched (transition times kept while a condition holds, other controllers' Route entries
//! kept).

use ako_sync::{ObjectKey, Observed};
use ako_translate::gateway::status::{Programmed, desired_statuses, with_transition_times};
use ako_translate::{Kind, NsName, ObjRef, Settings, Snapshot};
use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::status::Vips;

/// The controller's side of the statuses: the observed index and the VIPs.
pub struct Facts<'a> {
    /// The objects we own on the controller.
    pub observed: &'a Observed,
    /// The VsVips' addresses.
    pub vips: &'a Vips,
}

impl Programmed for Facts<'_> {
    fn vip(&self, tenant: &str, name: &str) -> Option<String> {
        self.vips.get(tenant, name)?.first().cloned()
    }

    fn vs_uuid(&self, tenant: &str, name: &str) -> Option<String> {
        self.observed
            .get(&ObjectKey::new(ObjectType::VirtualService, tenant, name))
            .map(|o| o.uuid.clone())
    }
}

/// The status an object carries now.
fn current<'a>(snap: &'a Snapshot, object: &ObjRef) -> Option<&'a Value> {
    let key = NsName::new(object.namespace(), object.name());
    match object.kind {
        Kind::GatewayClass => snap.gateway_classes.get(&key)?.status.as_ref(),
        Kind::Gateway => snap.gateways.get(&key)?.status.as_ref(),
        Kind::HttpRoute => snap.http_routes.get(&key)?.status.as_ref(),
        _ => None,
    }
}

/// The merge patches (`{"status": …}`) of the Gateway API objects whose status differs from
/// the one wanted; `now` stamps the conditions that change.
pub fn changes(snap: &Snapshot, settings: &Settings, facts: &Facts<'_>, now: &str) -> Vec<(ObjRef, Value)> {
    desired_statuses(snap, settings, facts)
        .into_iter()
        .filter_map(|(object, want)| {
            let before = current(snap, &object);
            let want = with_transition_times(want, before, now);
            (before != Some(&want)).then(|| (object, json!({"status": want})))
        })
        .collect()
}
