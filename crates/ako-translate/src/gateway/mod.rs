//! Gateway API (`gateway.networking.k8s.io/v1`): Gateways of GatewayClasses whose controller is
//! AKO's (`ako.vmware.com/avi-lb`) and the HTTPRoutes attached to them, served as AKO's Gateway
//! API container serves them (with `featureGates.GatewayAPI`): every Gateway an EVH parent
//! with its VsVip, every HTTPRoute rule an EVH child with a pool group of its backends' pools.
//! ako-rs builds them in the one binary, with the object names and checksums of Go AKO's
//! container so that it takes over what that container built.

pub mod api;
mod attach;
mod grants;
mod naming;
mod objects;
mod selector;
pub mod status;

use crate::key::{ModelKey, NsName};
use crate::model::{CloudFacts, Translation};
use crate::namespaces::tenant_of;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
pub use api::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use attach::Attached;
pub use attach::GATEWAY_GROUP;
pub use naming::GatewayNamer;
use objects::Ctx;

/// The `controllerName` of AKO's GatewayClasses.
pub const GATEWAY_CONTROLLER: &str = "ako.vmware.com/avi-lb";

/// Whether Gateway `gateway` is of a GatewayClass served by AKO.
pub fn served_class(snap: &Snapshot, gateway: &Gateway) -> bool {
    snap.gateway_classes
        .get(&NsName::new("", &gateway.spec.gateway_class_name))
        .is_some_and(|c| c.spec.controller_name == GATEWAY_CONTROLLER)
}

/// The model of a Gateway: its EVH parent's name in its namespace's tenant.
pub fn gateway_model_key(snap: &Snapshot, settings: &Settings, key: &NsName) -> ModelKey {
    let namer = GatewayNamer::new(&settings.cluster_name);
    ModelKey::new(
        tenant_of(snap, settings, &key.namespace),
        namer.parent(&key.namespace, &key.name),
    )
}

/// Translate every Gateway AKO serves, with its HTTPRoutes.
pub fn translate_gateways(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let mut out = Translation::default();
    for key in snap.gateways.keys() {
        add_gateway(snap, settings, cloud, key, &mut out);
    }
    out.normalize();
    out
}

/// Translate Gateway `key` (nothing when it is not served).
pub fn translate_gateway(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Translation {
    let mut out = Translation::default();
    add_gateway(snap, settings, cloud, key, &mut out);
    out.normalize();
    out
}

fn add_gateway(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName, out: &mut Translation) {
    if !settings.gateway_api || settings.delete_config {
        return;
    }
    let Some(gateway) = snap.gateways.get(key).filter(|g| served_class(snap, g)) else {
        return;
    };
    let attached = Attached::of(snap, key, gateway);
    if attached.listeners.is_empty() {
        return;
    }
    let model = gateway_model_key(snap, settings, key);
    let namer = GatewayNamer::new(&settings.cluster_name);
    let ctx = Ctx {
        snap,
        settings,
        cloud,
        namer: &namer,
        tenant: &model.tenant,
        created_by: format!("ako-gw-{}-{}", settings.cluster_name, settings.ako_namespace),
    };
    out.models.insert(model.clone(), ctx.gateway_model(&attached));
}
