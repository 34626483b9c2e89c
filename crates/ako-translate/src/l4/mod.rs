//! Services of type LoadBalancer → AKO 2.2's L4 objects (SNI mode, no CRDs): a VS, its VsVip,
//! one pool per port and an L4PolicySet per Service ([`service`],
//! `internal/nodes/avi_model_l4_translator.go`, `internal/rest/avi_obj_{vs,vsvip,pool,l4ps}.go`),
//! or one VS per shared-VIP group ([`shared_vip`]). Both build their objects with [`objects`].
//!
//! This module holds the entry points and what AKO reads of a Service: whether it is AKO's, its
//! shared-VIP group, its ports, its preferred VIP. [`service`] and [`shared_vip`] both read
//! Services through it and build objects through [`objects`]; neither uses the other.

mod objects;
pub mod rule;
mod service;
mod shared_vip;

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use crate::checksum::{PortProto, TargetPort};
use crate::model::{CloudFacts, Translation};
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

pub(crate) use service::add_service;

/// `spec.loadBalancerClass` that AKO serves.
pub const AVI_LB_CLASS: &str = "ako.vmware.com/avi-lb";
/// Application profile override.
pub const APP_PROFILE_ANNOTATION: &str = "ako.vmware.com/application-profile";
/// `"true"` disables traffic on the VS.
pub const DISABLE_TRAFFIC_ANNOTATION: &str = "ako.vmware.com/disable-traffic";
/// Preferred VIP when `spec.loadBalancerIP` is unset.
pub const LB_IP_ANNOTATION: &str = "ako.vmware.com/load-balancer-ip";
/// In NodePort mode, use pod IPs for this Service.
pub const SKIP_NODE_PORT_ANNOTATION: &str = "skipnodeport.ako.vmware.com/enabled";
/// Shared-VIP key: LoadBalancer Services of one namespace with the same (non-empty) value share
/// one VS and VIP ([`shared_vip`]).
pub const SHARED_VIP_ANNOTATION: &str = "ako.vmware.com/enable-shared-vip";
pub use crate::infra::INFRA_SETTING_ANNOTATION;
/// L4Rule of a LoadBalancer Service.
pub const L4_RULE_ANNOTATION: &str = "ako.vmware.com/l4rule";

/// Translate every LoadBalancer Service AKO would handle, shared-VIP groups included.
pub fn translate_l4(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let mut out = Translation::default();
    let mut groups = std::collections::BTreeSet::new();
    for (k, svc) in snapshot.services() {
        match shared_vip_key(svc) {
            Some(key) => {
                groups.insert((k.namespace.as_str(), key));
            }
            None => add_service(snapshot, settings, cloud, &k.namespace, &k.name, &mut out),
        }
    }
    for (ns, key) in groups {
        shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out);
    }
    out.normalize();
    out
}

/// Translate one Service: its model, a failure, or nothing when AKO would not handle it.
/// This is what a change to that Service (or its EndpointSlices, or its Pods) re-translates.
///
/// For a Service of a shared-VIP group this is the whole group's translation (its model, the
/// failures and status of every Service of the group): a change to any of them changes the
/// group's VS. A Service that left a group leaves the group to be re-translated by its key
/// ([`translate_l4_shared_vip`]).
pub fn translate_l4_service(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
) -> Translation {
    let mut out = Translation::default();
    match snapshot.service(ns, name).and_then(shared_vip_key) {
        Some(key) => shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out),
        None => add_service(snapshot, settings, cloud, ns, name, &mut out),
    }
    out.normalize();
    out
}

/// Translate the shared-VIP group `key` of namespace `ns` (nothing when no LoadBalancer Service
/// of `ns` carries that key any more).
pub fn translate_l4_shared_vip(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    key: &str,
) -> Translation {
    let mut out = Translation::default();
    shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out);
    out.normalize();
    out
}

/// The shared-VIP key of a Service of type LoadBalancer, when it has a non-empty one. AKO groups
/// only LoadBalancer Services by the annotation; on other Services it means nothing.
pub fn shared_vip_key(svc: &Service) -> Option<&str> {
    if svc.spec.as_ref().and_then(|s| s.type_.as_deref()) != Some("LoadBalancer") {
        return None;
    }
    svc.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SHARED_VIP_ANNOTATION))
        .map(String::as_str)
        .filter(|k| !k.is_empty())
}

/// The LoadBalancer Services of namespace `ns` carrying shared-VIP key `key`, by name. Here
/// rather than in [`shared_vip`] because a Service's own VS must also know whether a group
/// takes its name.
pub fn group_members<'a>(
    snap: &'a Snapshot,
    ns: &'a str,
    key: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Service)> + 'a {
    snap.shared_vip_group(ns, key)
}

/// Type LoadBalancer, and our class (or no class while AKO is the default LB controller).
pub fn is_ours(svc: &Service, settings: &Settings) -> bool {
    let Some(spec) = svc.spec.as_ref() else { return false };
    if spec.type_.as_deref() != Some("LoadBalancer") {
        return false;
    }
    match spec.load_balancer_class.as_deref() {
        None => settings.default_lb_controller,
        Some(class) => class == AVI_LB_CLASS,
    }
}

/// A Service's ports as AKO's `AviPortHostProtocol`s, or why AKO cannot serve them.
pub(crate) fn port_protos(svc: &Service, settings: &Settings) -> Result<Vec<PortProto>, String> {
    let ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    if ports.is_empty() {
        return Err("Service of type LoadBalancer has no ports: add at least one entry to spec.ports".to_owned());
    }
    ports
        .iter()
        .map(|p| {
            let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".to_owned());
            if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
                return Err(format!(
                    "port {} uses protocol {protocol:?}, which AKO does not support: use TCP, UDP or SCTP",
                    p.port
                ));
            }
            // AKO drops the whole VS (a warning in its log) rather than serve SCTP with NPL.
            if protocol == "SCTP" && settings.service_type == ServiceType::NodePortLocal {
                return Err(format!(
                    "port {} uses SCTP, which AKO does not support with serviceType NodePortLocal: use TCP or UDP, or another serviceType",
                    p.port
                ));
            }
            use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
            // The API server defaults an unset targetPort to the port.
            let target_port = match &p.target_port {
                None => TargetPort::Int(p.port),
                Some(IntOrString::Int(i)) => TargetPort::Int(*i),
                Some(IntOrString::String(s)) => TargetPort::Name(s.clone()),
            };
            Ok(PortProto {
                port: p.port,
                target_port,
                protocol,
                name: p.name.clone().unwrap_or_default(),
                enable_ssl: false,
                enable_http2: false,
            })
        })
        .collect()
}

/// A Service's preferred VIP: `spec.loadBalancerIP`, else the `ako.vmware.com/load-balancer-ip`
/// annotation; an error when it is not an IP address.
pub(crate) fn preferred_vip(svc: &Service) -> Result<Option<String>, String> {
    let from_spec = svc
        .spec
        .as_ref()
        .and_then(|s| s.load_balancer_ip.clone())
        .filter(|s| !s.is_empty())
        .map(|ip| (ip, "spec.loadBalancerIP"));
    let from_annotation = || {
        svc.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(LB_IP_ANNOTATION))
            .filter(|s| !s.is_empty())
            .map(|ip| (ip.clone(), LB_IP_ANNOTATION))
    };
    match from_spec.or_else(from_annotation) {
        Some((ip, source)) if ip.parse::<IpAddr>().is_err() => Err(format!("{source} {ip:?} is not an IP address")),
        found => Ok(found.map(|(ip, _)| ip)),
    }
}

/// The settings a LoadBalancer Service is placed with: those of its AviInfraSetting (its
/// annotation's, else its Namespace's), or the global ones — also when the setting it names
/// cannot be used, as AKO falls back; `warn` is told why.
pub(crate) fn placed_settings<'s>(
    snap: &Snapshot,
    settings: &'s Settings,
    cloud: &CloudFacts,
    ns: &str,
    svc: &Service,
    warn: &mut dyn FnMut(String),
) -> std::borrow::Cow<'s, Settings> {
    match crate::infra::for_service(snap, settings, cloud, ns, svc) {
        crate::infra::Attached::Global => std::borrow::Cow::Borrowed(settings),
        crate::infra::Attached::Setting(infra) => std::borrow::Cow::Owned(infra.apply(settings)),
        crate::infra::Attached::Unusable(problem) => {
            warn(format!(
                "{problem} — the Service is placed with the global settings (SE group, VIP network) until it is fixed"
            ));
            std::borrow::Cow::Borrowed(settings)
        }
    }
}
