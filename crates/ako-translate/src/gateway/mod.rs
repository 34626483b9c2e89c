//! Gateway API (`gateway.networking.k8s.io/v1`): Gateways of GatewayClasses whose controller is
//! AKO's (`ako.vmware.com/avi-lb`) and the HTTPRoutes attached to them, served as AKO's Gateway
//! API container serves them (with `featureGates.GatewayAPI`): every Gateway an EVH parent
//! with its VsVip, every HTTPRoute rule an EVH child with a pool group of its backends' pools.
//! ako-rs builds them in the one binary, with the object names and checksums of Go AKO's
//! container so that it takes over what that container built.

pub mod api;
mod attach;
mod dedicated;
mod grants;
mod naming;
mod objects;
mod selector;
pub mod status;

use crate::infra;
use crate::key::{Kind, ModelKey, NsName};
use crate::model::{CloudFacts, Failure, Translation};
use crate::namespaces::tenant_of;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
pub use api::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use attach::Attached;
pub use attach::GATEWAY_GROUP;
pub use dedicated::{DEDICATED_ANNOTATION, is_dedicated};
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

/// The model of a Gateway: its EVH parent's name (its virtual service's in dedicated mode) in
/// its namespace's tenant.
pub fn gateway_model_key(snap: &Snapshot, settings: &Settings, key: &NsName) -> ModelKey {
    let namer = GatewayNamer::new(&settings.cluster_name);
    let vs = if snap.gateways.get(key).is_some_and(is_dedicated) {
        namer.dedicated(&key.namespace, &key.name)
    } else {
        namer.parent(&key.namespace, &key.name)
    };
    ModelKey::new(tenant_of(snap, settings, &key.namespace), vs)
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

/// The AviInfraSetting Gateway `gateway` (of namespace `ns`) names: its GatewayClass's
/// `parametersRef` (`ako.vmware.com`, `AviInfraSetting`), else its Namespace's annotation
/// `aviinfrasetting.ako.vmware.com/name` (where AKO's container takes it from).
pub fn gateway_infra_setting<'a>(snap: &'a Snapshot, ns: &str, gateway: &Gateway) -> Option<&'a str> {
    snap.gateway_classes
        .get(&NsName::new("", &gateway.spec.gateway_class_name))
        .and_then(|c| c.spec.parameters_ref.as_ref())
        .filter(|p| p.group.as_deref() == Some(crate::crds::GROUP) && p.kind.as_deref() == Some("AviInfraSetting"))
        .map(|p| p.name.as_str())
        .or_else(|| infra::namespace_setting(snap, ns))
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
    // As AKO's container: the setting's SE group on the parent (its children keep the global
    // one), and a setting that cannot be used leaves the Gateway on the global settings.
    let parent_se_group = match infra::attach(
        snap,
        settings,
        cloud,
        &key.namespace,
        gateway_infra_setting(snap, &key.namespace, gateway),
    ) {
        infra::Attached::Setting(i) => i
            .spec
            .se_group
            .as_ref()
            .map(|g| g.name.clone())
            .filter(|g| !g.is_empty()),
        infra::Attached::Global => None,
        infra::Attached::Unusable(why) => {
            out.failures.push(Failure::warning(
                Kind::Gateway,
                &key.namespace,
                &key.name,
                format!(
                    "{why}: the Gateway is placed with the global settings (SE group {})",
                    settings.se_group
                ),
            ));
            None
        }
    }
    .unwrap_or_else(|| settings.se_group.clone());
    let ctx = Ctx {
        snap,
        settings,
        cloud,
        namer: &namer,
        tenant: &model.tenant,
        parent_se_group,
        created_by: format!("ako-gw-{}-{}", settings.cluster_name, settings.ako_namespace),
    };
    out.models.insert(model.clone(), ctx.gateway_model(&attached));
}
