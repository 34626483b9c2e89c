//! Services of type LoadBalancer → AKO 2.2's L4 objects (SNI mode, no CRDs): a VS, its VsVip,
//! one pool per port and an L4PolicySet per Service
//! (`internal/nodes/avi_model_l4_translator.go`, `internal/rest/avi_obj_{vs,vsvip,pool,l4ps}.go`),
//! or one VS per shared-VIP group ([`crate::l4_shared_vip`]).
//!
//! The pieces both shapes build the same way (network profiles, VS services, pool members, L4
//! policy rules, VsVip, VS body) live here and are used by both.

use std::net::IpAddr;

use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use crate::bodies::{
    PoolParts, namespace_accepted, placement_settings, pool_object, query_escape, tenant_of, vsvip_body,
};
use crate::checksum::{self, PoolChecksum, PortProto, TargetPort, VipNetworkKey, VsChecksum};
use crate::fqdn::service_fqdns;
use crate::key::{Kind, ModelKey, ObjRef};
use crate::l4_shared_vip;
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{Members, cluster_ip_members, node_port_members, npl_members, sort_servers};
use crate::model::{Body, CloudFacts, DesiredObject, Failure, Model, StatusIntent, Translation};
use crate::naming::Namer;
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

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
/// one VS and VIP ([`crate::l4_shared_vip`]).
pub const SHARED_VIP_ANNOTATION: &str = "ako.vmware.com/enable-shared-vip";

const MIXED_NET_PROFILE: &str = "Mixed-Network-Profile-Internal";
const TCP_PROXY: &str = "System-TCP-Proxy";
const TCP_FAST_PATH: &str = "System-TCP-Fast-Path";
const UDP_FAST_PATH: &str = "System-UDP-Fast-Path";
const SCTP_PROXY: &str = "System-SCTP-Proxy";

/// Translate every LoadBalancer Service AKO would handle, shared-VIP groups included.
pub fn translate_l4(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let mut out = Translation::default();
    let mut groups = std::collections::BTreeSet::new();
    for (k, svc) in &snapshot.services {
        match shared_vip_key(svc) {
            Some(key) => {
                groups.insert((k.namespace.as_str(), key));
            }
            None => add_service(snapshot, settings, cloud, &k.namespace, &k.name, &mut out),
        }
    }
    for (ns, key) in groups {
        l4_shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out);
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
        Some(key) => l4_shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out),
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
    l4_shared_vip::add_group(snapshot, settings, cloud, ns, key, &mut out);
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

pub(crate) fn add_service(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    out: &mut Translation,
) {
    let Some(svc) = snapshot.service(ns, name) else {
        return;
    };
    if settings.layer7_only || !is_ours(svc, settings) || !namespace_accepted(snapshot, settings, ns) {
        return;
    }
    let failure = |message: String| Failure::new(Kind::Service, ns, name, message);
    // A shared-VIP group keyed like this Service's name builds a VS of the same name in the
    // same tenant: AKO would let the two models overwrite each other. The group wins.
    if tenant_of(snapshot, settings, ns) == settings.tenant
        && l4_shared_vip::group_members(snapshot, ns, name).next().is_some()
    {
        out.failures.push(failure(format!(
            "Services of namespace {ns} share a VIP under key {name:?} ({SHARED_VIP_ANNOTATION}); their VS has the name this Service's own VS would have. Rename the Service or use another shared-VIP key"
        )));
        return;
    }
    match translate_service(snapshot, settings, cloud, ns, name, svc) {
        Ok((key, model, status)) => {
            out.models.insert(key, model);
            out.status.push(status);
        }
        Err(message) => out.failures.push(failure(message)),
    }
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

/// The network profiles of an L4 VS (`getNetworkProfile` and the REST layer's mixed case).
pub(crate) struct NetworkProfiles {
    /// The profile as the model holds it (hashed into the VS checksum).
    pub model: &'static str,
    /// The profile the VS body refers to.
    pub sent: &'static str,
    /// TCP mixed with UDP/SCTP: UDP and SCTP services override the profile.
    pub mixed: bool,
}

pub(crate) fn network_profiles(ports: &[PortProto], cloud: &CloudFacts) -> NetworkProfiles {
    let has = |p: &str| ports.iter().any(|pp| pp.protocol == p);
    let (tcp, udp, sctp) = (has("TCP"), has("UDP"), has("SCTP"));
    let tcp_profile = if cloud.is_enterprise() {
        TCP_PROXY
    } else {
        TCP_FAST_PATH
    };
    let model = match (tcp, udp, sctp) {
        (false, false, true) => SCTP_PROXY,
        (true, false, false) => tcp_profile,
        (false, true, false) => UDP_FAST_PATH,
        _ => MIXED_NET_PROFILE,
    };
    let mixed = model == MIXED_NET_PROFILE;
    let sent = match (mixed, tcp) {
        (false, _) => model,
        (true, true) => tcp_profile,
        (true, false) => UDP_FAST_PATH,
    };
    NetworkProfiles { model, sent, mixed }
}

/// The VS `services`, one per port in the order given (the model's order after its checksum
/// sorted the ports by name).
pub(crate) fn vs_services(ports: &[PortProto], mixed: bool) -> Vec<Value> {
    ports
        .iter()
        .map(|pp| {
            let mut s = json!({"port": pp.port, "enable_ssl": false, "port_range_end": pp.port, "enable_http2": false});
            if mixed {
                let over = match pp.protocol.as_str() {
                    "UDP" => Some(UDP_FAST_PATH),
                    "SCTP" => Some(SCTP_PROXY),
                    _ => None,
                };
                if let Some(o) = over {
                    s["override_network_profile_ref"] = json!(format!("/api/networkprofile/?name={o}"));
                }
            }
            s
        })
        .collect()
}

/// The pool members of one Service port in AKO's `serviceType`, in AKO's order ([`sort_servers`]).
pub(crate) fn pool_members(
    snap: &Snapshot,
    settings: &Settings,
    svc: &Service,
    ns: &str,
    name: &str,
    pp: &PortProto,
) -> Members {
    let skip_node_port = svc
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(SKIP_NODE_PORT_ANNOTATION));
    let mut members = match settings.service_type {
        ServiceType::NodePort if !skip_node_port => node_port_members(snap, settings, svc, ns, name, pp),
        ServiceType::NodePortLocal => npl_members(snap, settings, svc, ns, name, pp),
        _ => cluster_ip_members(snap, settings, svc, ns, name, pp),
    };
    sort_servers(&mut members.servers);
    members
}

/// One rule of an L4 policy set: traffic on `port`/`protocol` goes to `pool`.
pub(crate) struct PolicyRule {
    pub pool: String,
    pub port: i32,
    pub protocol: String,
}

/// The L4PolicySet named like its VS, its rules in the order given (`rest/avi_obj_l4ps.go`); its
/// checksum from the rules' ports, protocols and pools. AKO names each rule after its pool
/// reference, so the controller's name limit applies to it.
pub(crate) fn l4_policy_object(
    settings: &Settings,
    tenant: &str,
    name: &str,
    markers: &Markers,
    rules: &[PolicyRule],
) -> Result<DesiredObject, String> {
    let cluster = settings.cluster_name.as_str();
    let mut bodies = Vec::new();
    for (index, r) in rules.iter().enumerate() {
        let pool_ref = format!("/api/pool?name={}", r.pool);
        if pool_ref.chars().count() > crate::naming::MAX_NAME_LEN {
            return Err(format!(
                "the L4 policy rule for port {} would be named {pool_ref:?}, over the controller's limit of {} characters; shorten the Service or namespace name",
                r.port,
                crate::naming::MAX_NAME_LEN
            ));
        }
        bodies.push(json!({
            "name": pool_ref,
            "index": index,
            "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL", "pool_ref": pool_ref}},
            "match": {
                "port": {"match_criteria": "IS_IN", "ports": [r.port]},
                "protocol": {"match_criteria": "IS_IN", "protocol": format!("PROTOCOL_{}", r.protocol)},
            },
        }));
    }
    let ports: Vec<i32> = rules.iter().map(|r| r.port).collect();
    let protocols: Vec<String> = rules.iter().map(|r| r.protocol.clone()).collect();
    let pools: Vec<String> = rules.iter().map(|r| r.pool.clone()).collect();
    let cksum = checksum::l4_policy_checksum(&ports, &protocols, &pools, markers.checksum(cluster));
    Ok(DesiredObject {
        kind: ObjectType::L4PolicySet,
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        checksum: cksum,
        body: Body::from(json!({
            "name": name,
            "created_by": format!("ako-{cluster}"),
            "tenant_ref": format!("/api/tenant/?name={}", query_escape(tenant)),
            "markers": markers.to_json(cluster),
            "l4_connection_policy": {"rules": bodies},
        })),
    })
}

/// The VsVip of an L4 VS (same name as the VS): the VIP networks of `vipNetworkList`, BGP peer
/// labels with RHI, the preferred IP if any, one `dns_info` per FQDN.
pub(crate) fn vsvip_object(
    settings: &Settings,
    tenant: &str,
    name: &str,
    fqdns: &[String],
    lb_ip: &str,
    vrf: &str,
) -> DesiredObject {
    let bgp = if settings.enable_rhi {
        settings.bgp_peer_labels.clone()
    } else {
        Vec::new()
    };
    let nets: Vec<VipNetworkKey> = settings
        .vip_networks
        .iter()
        .map(|n| VipNetworkKey {
            name: n.network_name.clone(),
            cidr: n.cidr.clone(),
            v6cidr: n.v6cidr.clone(),
            uuid: n.network_uuid.clone(),
        })
        .collect();
    let cksum = checksum::vsvip_checksum(&settings.cluster_name, fqdns, lb_ip, &nets, &bgp);
    DesiredObject {
        kind: ObjectType::VsVip,
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        checksum: cksum,
        body: Body::from(vsvip_body(settings, name, tenant, fqdns, lb_ip, cksum, vrf, &bgp)),
    }
}

/// What an L4 VS body is built from.
pub(crate) struct L4VsParts<'a> {
    pub settings: &'a Settings,
    pub tenant: &'a str,
    pub name: &'a str,
    pub cksum: u32,
    pub app_profile: &'a str,
    pub metadata: &'a ServiceMetadata,
    /// Set on a Service's own VS, never on a shared-VIP VS.
    pub traffic_enabled: Option<bool>,
    pub vrf: &'a str,
    pub services: Vec<Value>,
    pub network_profile: &'a str,
    pub markers: &'a Markers,
}

/// The L4 VS as AKO POSTs it (`rest/avi_obj_vs.go:AviVsBuild`): VsVip and L4 policy set named
/// like the VS.
pub(crate) fn l4_vs_object(p: L4VsParts<'_>) -> DesiredObject {
    let cluster = p.settings.cluster_name.as_str();
    let mut vs = json!({
        "name": p.name,
        "cloud_config_cksum": p.cksum.to_string(),
        "created_by": format!("ako-{cluster}"),
        "cloud_ref": format!("/api/cloud?name={}", p.settings.cloud_name),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(p.tenant)),
        "application_profile_ref": format!("/api/applicationprofile/?name={}", p.app_profile),
        "se_group_ref": format!("/api/serviceenginegroup?name={}", p.settings.se_group),
        "error_page_profile_ref": "",
        "service_metadata": p.metadata.to_go_json(),
    });
    if let Some(t) = p.traffic_enabled {
        vs["traffic_enabled"] = json!(t);
    }
    vs["vrf_context_ref"] = json!(format!("/api/vrfcontext?name={}", p.vrf));
    if p.settings.enable_rhi {
        vs["enable_rhi"] = json!(true);
    }
    vs["vsvip_ref"] = json!(format!("/api/vsvip/?name={}", p.name));
    vs["services"] = Value::Array(p.services);
    vs["network_profile_ref"] = json!(format!("/api/networkprofile/?name={}", p.network_profile));
    vs["markers"] = p.markers.to_json(cluster);
    vs["remove_listening_port_on_vs_down"] = json!(true);
    vs["l4_policies"] = json!([{"l4_policy_set_ref": format!("/api/l4policyset/?name={}", p.name), "index": 0}]);
    DesiredObject {
        kind: ObjectType::VirtualService,
        tenant: p.tenant.to_owned(),
        name: p.name.to_owned(),
        checksum: p.cksum,
        body: Body::from(vs),
    }
}

/// The VRF of L4 objects: `vrfName`, else `global`.
pub(crate) fn vrf_of(settings: &Settings) -> String {
    settings.vrf_name.clone().unwrap_or_else(|| "global".to_owned())
}

fn translate_service(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    svc: &Service,
) -> Result<(ModelKey, Model, StatusIntent), String> {
    if settings.enable_evh {
        return Err("EVH mode (AKOSettings.enableEVH) is not supported by ako-rs L4 translation yet".to_owned());
    }
    let ann = svc.metadata.annotations.as_ref();
    let annotation = |k: &str| ann.and_then(|a| a.get(k)).map(String::as_str);
    let cluster = settings.cluster_name.as_str();
    let namer = Namer::new(cluster);
    let vs_name = namer.l4_vs(ns, name).map_err(|e| e.to_string())?;
    let tenant = tenant_of(snap, settings, ns);
    let mut ports = port_protos(svc, settings)?;
    let lb_ip = preferred_vip(svc)?.unwrap_or_default();

    let fqdns = service_fqdns(
        ns,
        name,
        ann,
        settings.auto_fqdn,
        settings.default_domain.as_deref(),
        &cloud.dns_domains,
    );
    let traffic_enabled = annotation(DISABLE_TRAFFIC_ANNOTATION).map(str::to_lowercase).as_deref() != Some("true");
    let app_profile = annotation(APP_PROFILE_ANNOTATION)
        .filter(|s| !s.is_empty())
        .unwrap_or("System-L4-Application")
        .to_owned();
    let vrf = vrf_of(settings);
    let profiles = network_profiles(&ports, cloud);
    let placement = placement_settings(settings, cloud);
    let placement_json = checksum::node_network_map_json(placement.as_deref());

    // Pools and L4 policy rules, in Service port order.
    let mut objects = Vec::new();
    let mut rules = Vec::new();
    for pp in &ports {
        let pool_name = namer
            .l4_pool(ns, name, &pp.protocol, pp.port)
            .map_err(|e| e.to_string())?;
        let members = pool_members(snap, settings, svc, ns, name, pp);
        let pool_markers = Markers {
            namespace: ns.to_owned(),
            service_name: name.to_owned(),
            port: pp.port.to_string(),
            ..Markers::default()
        };
        let cksum = checksum::pool_checksum(&PoolChecksum {
            protocol: &pp.protocol,
            port: members.port,
            port_name: &pp.name,
            servers: &members.servers,
            priority_label: "",
            placement_json: &placement_json,
            namespace_svc_name: &[],
            hostnames: &[],
            markers: pool_markers.checksum(cluster),
        });
        objects.push(pool_object(PoolParts {
            settings,
            tenant: &tenant,
            name: &pool_name,
            cksum,
            protocol: &pp.protocol,
            port: members.port,
            servers: &members.servers,
            placement: placement.as_deref(),
            vrf: &vrf,
            metadata: &ServiceMetadata::default(),
            markers: &pool_markers,
        }));
        rules.push(PolicyRule {
            pool: pool_name,
            port: pp.port,
            protocol: pp.protocol.clone(),
        });
    }

    // L4PolicySet.
    let mut protocol_set: Vec<String> = rules.iter().map(|r| r.protocol.clone()).collect();
    protocol_set.sort();
    protocol_set.dedup();
    let policy_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        protocol: protocol_set.join(","),
        ..Markers::default()
    };
    objects.push(l4_policy_object(settings, &tenant, &vs_name, &policy_markers, &rules)?);
    objects.push(vsvip_object(settings, &tenant, &vs_name, &fqdns, &lb_ip, &vrf));

    // VirtualService: services in port-name order, as AKO's checksum sorts them in place.
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let vs_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        ..Markers::default()
    };
    let mut refs = vec![format!("VSVIP{vs_name}"), format!("L4Policy{vs_name}")];
    refs.extend(rules.iter().map(|r| format!("Pool{}", r.pool)));
    let vs_cksum = checksum::vs_checksum(&VsChecksum {
        refs,
        application_profile: &app_profile,
        se_group: &settings.se_group,
        network_profile: profiles.model,
        ports: &ports,
        hostnames: &fqdns,
        traffic_enabled: Some(traffic_enabled),
        enable_rhi: Some(settings.enable_rhi),
        markers: vs_markers.checksum(cluster),
    });
    let mut sorted_fqdns = fqdns.clone();
    sorted_fqdns.sort();
    objects.push(l4_vs_object(L4VsParts {
        settings,
        tenant: &tenant,
        name: &vs_name,
        cksum: vs_cksum,
        app_profile: &app_profile,
        metadata: &ServiceMetadata {
            namespace_svc_name: vec![format!("{ns}/{name}")],
            hostnames: sorted_fqdns,
            ..ServiceMetadata::default()
        },
        traffic_enabled: Some(traffic_enabled),
        vrf: &vrf,
        services: vs_services(&ports, profiles.mixed),
        network_profile: profiles.sent,
        markers: &vs_markers,
    }));

    let mut model = Model { objects };
    model.sort();
    let key = ModelKey::new(&tenant, &vs_name);
    let status = StatusIntent {
        object: ObjRef::new(Kind::Service, ns, name),
        model: key.clone(),
        vsvip: vs_name,
        hostname: fqdns.first().cloned(),
    };
    Ok((key, model, status))
}
