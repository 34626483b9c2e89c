//! The Avi objects of L4 translation, built the same way for a Service's own VS and a
//! shared-VIP group's: the pool and policy rule of one port, the L4 policy set, the VS (network
//! profiles, services); the VsVip, the pool body and its members are shared with L7
//! ([`crate::vsvip`], [`crate::pool`], [`crate::members::port_members`]).

use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use super::SKIP_NODE_PORT_ANNOTATION;
use crate::checksum::{self, PortProto};
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{ServicePort, port_members};
use crate::model::{Body, CloudFacts, DesiredObject};
use crate::naming::query_escape;
use crate::pool::{PoolParts, pool_object};
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

const MIXED_NET_PROFILE: &str = "Mixed-Network-Profile-Internal";
const TCP_PROXY: &str = "System-TCP-Proxy";
const TCP_FAST_PATH: &str = "System-TCP-Fast-Path";
const UDP_FAST_PATH: &str = "System-UDP-Fast-Path";
const SCTP_PROXY: &str = "System-SCTP-Proxy";

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

/// Where an L4 pool's members come from: AKO's `serviceType`, except that in NodePort mode a
/// Service annotated `skipnodeport.ako.vmware.com/enabled` is served on its Pod IPs.
fn member_mode(settings: &Settings, svc: &Service) -> ServiceType {
    let skip_node_port = svc
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(SKIP_NODE_PORT_ANNOTATION));
    match settings.service_type {
        ServiceType::NodePort if skip_node_port => ServiceType::ClusterIp,
        mode => mode,
    }
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
    pub services: Vec<Value>,
    pub network_profile: &'a str,
    pub markers: &'a Markers,
    /// The Service's Accepted L4Rule.
    pub rule: Option<&'a super::rule::Applied<'a>>,
    /// The pool the VS sends to directly (an L4Rule's SSL listener): no L4 policy set then.
    pub pool: Option<&'a str>,
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
    vs["vrf_context_ref"] = json!(format!("/api/vrfcontext?name={}", p.settings.vrf()));
    if p.settings.enable_rhi {
        vs["enable_rhi"] = json!(true);
    }
    vs["vsvip_ref"] = json!(format!("/api/vsvip/?name={}", p.name));
    vs["services"] = Value::Array(p.services);
    vs["network_profile_ref"] = json!(format!("/api/networkprofile/?name={}", p.network_profile));
    vs["markers"] = p.markers.to_json(cluster);
    match p.pool {
        Some(pool) => vs["pool_ref"] = json!(format!("/api/pool/?name={pool}")),
        None => {
            vs["remove_listening_port_on_vs_down"] = json!(true);
            vs["l4_policies"] =
                json!([{"l4_policy_set_ref": format!("/api/l4policyset/?name={}", p.name), "index": 0}]);
        }
    }
    if let Some(r) = p.rule {
        r.vs_fields(&mut vs);
    }
    DesiredObject {
        kind: ObjectType::VirtualService,
        tenant: p.tenant.to_owned(),
        name: p.name.to_owned(),
        checksum: p.cksum,
        body: Body::from(vs),
    }
}

/// Where the pool of one Service port goes and what it carries.
pub(crate) struct PortPool<'a> {
    /// The Service port whose members the pool holds.
    pub port: ServicePort<'a>,
    /// The pool's name and tenant.
    pub name: String,
    pub tenant: &'a str,
    /// Its `service_metadata` and markers.
    pub metadata: ServiceMetadata,
    pub markers: Markers,
    /// What an L4Rule's backend properties set on it.
    pub rule: Option<crate::rules::PoolRule>,
}

/// The pool of one Service port (members in AKO's `serviceType`) and the L4 policy rule that
/// sends the port's traffic to it.
pub(crate) fn port_pool(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    p: PortPool<'_>,
) -> (DesiredObject, PolicyRule) {
    let pp = p.port.pp;
    let members = port_members(member_mode(settings, p.port.svc), snap, settings, p.port);
    let pool = pool_object(PoolParts {
        settings,
        cloud,
        tenant: p.tenant,
        name: &p.name,
        protocol: &pp.protocol,
        port: members.port,
        port_name: &pp.name,
        servers: &members.servers,
        priority_label: "",
        metadata: &p.metadata,
        markers: &p.markers,
        rule: p.rule.as_ref(),
        own_pki: None,
    });
    let rule = PolicyRule {
        pool: p.name,
        port: pp.port,
        protocol: pp.protocol.clone(),
    };
    (pool, rule)
}
