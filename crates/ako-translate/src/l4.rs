//! Services of type LoadBalancer → AKO 2.2's L4 objects (SNI mode, no shared VIP, no CRDs):
//! a VS, its VsVip, one pool per port and an L4PolicySet
//! (`internal/nodes/avi_model_l4_translator.go`, `internal/rest/avi_obj_{vs,vsvip,pool,l4ps}.go`).

use std::net::IpAddr;

use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use crate::bodies::{
    PoolParts, namespace_accepted, placement_settings, pool_object, query_escape, tenant_of, vsvip_body,
};
use crate::checksum::{self, PoolChecksum, PortProto, TargetPort, VipNetworkKey, VsChecksum};
use crate::fqdn::service_fqdns;
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{cluster_ip_members, node_port_members};
use crate::model::{CloudFacts, DesiredObject, Failure, Model, StatusIntent, Translation};
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
/// Shared-VIP annotation (not handled yet).
pub const SHARED_VIP_ANNOTATION: &str = "ako.vmware.com/enable-shared-vip";

const MIXED_NET_PROFILE: &str = "Mixed-Network-Profile-Internal";
const TCP_PROXY: &str = "System-TCP-Proxy";
const TCP_FAST_PATH: &str = "System-TCP-Fast-Path";
const UDP_FAST_PATH: &str = "System-UDP-Fast-Path";
const SCTP_PROXY: &str = "System-SCTP-Proxy";

/// Translate every LoadBalancer Service AKO would handle.
pub fn translate_l4(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let mut out = Translation::default();
    for (ns, name) in snapshot.services.keys() {
        add_service(snapshot, settings, cloud, ns, name, &mut out);
    }
    out.normalize();
    out
}

/// Translate one Service: its model, a failure, or nothing when AKO would not handle it.
/// This is what a change to that Service (or its EndpointSlices) re-translates.
pub fn translate_l4_service(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
) -> Translation {
    let mut out = Translation::default();
    add_service(snapshot, settings, cloud, ns, name, &mut out);
    out.normalize();
    out
}

fn add_service(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    out: &mut Translation,
) {
    let Some(svc) = snapshot.services.get(&(ns.to_owned(), name.to_owned())) else {
        return;
    };
    if settings.layer7_only || !is_ours(svc, settings) || !namespace_accepted(snapshot, settings, ns) {
        return;
    }
    match translate_service(snapshot, settings, cloud, ns, name, svc) {
        Ok((key, model, status)) => {
            out.models.insert(key, model);
            out.status.push(status);
        }
        Err(message) => out.failures.push(Failure {
            kind: "Service".to_owned(),
            namespace: ns.to_owned(),
            name: name.to_owned(),
            message,
        }),
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

fn port_protos(svc: &Service) -> Result<Vec<PortProto>, String> {
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

fn translate_service(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    svc: &Service,
) -> Result<(String, Model, StatusIntent), String> {
    if settings.enable_evh {
        return Err("EVH mode (AKOSettings.enableEVH) is not supported by ako-rs L4 translation yet".to_owned());
    }
    if settings.service_type == ServiceType::NodePortLocal {
        return Err("serviceType NodePortLocal is not supported by ako-rs L4 translation yet".to_owned());
    }
    let ann = svc.metadata.annotations.as_ref();
    let annotation = |k: &str| ann.and_then(|a| a.get(k)).map(String::as_str);
    if annotation(SHARED_VIP_ANNOTATION).is_some() {
        return Err(format!(
            "annotation {SHARED_VIP_ANNOTATION} is not supported by ako-rs yet"
        ));
    }
    let spec = svc.spec.clone().unwrap_or_default();
    let cluster = settings.cluster_name.as_str();
    let namer = Namer::new(cluster);
    let vs_name = namer.l4_vs(ns, name).map_err(|e| e.to_string())?;
    let tenant = tenant_of(snap, settings, ns);
    let mut ports = port_protos(svc)?;

    // Preferred VIP.
    let lb_ip = spec
        .load_balancer_ip
        .clone()
        .filter(|s| !s.is_empty())
        .map(|ip| (ip, "spec.loadBalancerIP"))
        .or_else(|| {
            annotation(LB_IP_ANNOTATION)
                .filter(|s| !s.is_empty())
                .map(|ip| (ip.to_owned(), LB_IP_ANNOTATION))
        });
    if let Some((ip, source)) = &lb_ip
        && ip.parse::<IpAddr>().is_err()
    {
        return Err(format!("{source} {ip:?} is not an IP address"));
    }
    let lb_ip = lb_ip.map(|(ip, _)| ip).unwrap_or_default();

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
    let vrf = settings.vrf_name.clone().unwrap_or_else(|| "global".to_owned());

    let has = |p: &str| ports.iter().any(|pp| pp.protocol == p);
    let (tcp, udp, sctp) = (has("TCP"), has("UDP"), has("SCTP"));
    let tcp_profile = if cloud.is_enterprise() {
        TCP_PROXY
    } else {
        TCP_FAST_PATH
    };
    let model_profile = match (tcp, udp, sctp) {
        (false, false, true) => SCTP_PROXY,
        (true, false, false) => tcp_profile,
        (false, true, false) => UDP_FAST_PATH,
        _ => MIXED_NET_PROFILE,
    };
    let mixed = model_profile == MIXED_NET_PROFILE;
    let sent_profile = match (mixed, tcp) {
        (false, _) => model_profile,
        (true, true) => tcp_profile,
        (true, false) => UDP_FAST_PATH,
    };

    let placement = placement_settings(settings, cloud);
    let placement_json = checksum::node_network_map_json(placement.as_deref());

    // Pools and L4 policy rules, in Service port order.
    let mut objects = Vec::new();
    let mut pool_names = Vec::new();
    let mut rules = Vec::new();
    let mut rule_ports = Vec::new();
    let mut rule_protocols = Vec::new();
    for (index, pp) in ports.iter().enumerate() {
        let pool_name = namer
            .l4_pool(ns, name, &pp.protocol, pp.port)
            .map_err(|e| e.to_string())?;
        let skip_node_port = annotation(SKIP_NODE_PORT_ANNOTATION).is_some();
        let mut members = if settings.service_type == ServiceType::NodePort && !skip_node_port {
            node_port_members(snap, settings, svc, ns, name, pp)
        } else {
            cluster_ip_members(snap, settings, svc, ns, name, pp)
        };
        members.servers.sort_by(|a, b| a.addr.cmp(&b.addr));
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
        // AKO names each rule after its pool reference; the controller's name limit applies.
        let pool_ref = format!("/api/pool?name={pool_name}");
        if pool_ref.chars().count() > crate::naming::MAX_NAME_LEN {
            return Err(format!(
                "the L4 policy rule for port {} would be named {pool_ref:?}, over the controller's limit of {} characters; shorten the Service or namespace name",
                pp.port,
                crate::naming::MAX_NAME_LEN
            ));
        }
        rules.push(json!({
            "name": pool_ref,
            "index": index,
            "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL", "pool_ref": pool_ref}},
            "match": {
                "port": {"match_criteria": "IS_IN", "ports": [pp.port]},
                "protocol": {"match_criteria": "IS_IN", "protocol": format!("PROTOCOL_{}", pp.protocol)},
            },
        }));
        rule_ports.push(pp.port);
        rule_protocols.push(pp.protocol.clone());
        pool_names.push(pool_name);
    }

    // L4PolicySet.
    let mut protocol_set: Vec<String> = rule_protocols.clone();
    protocol_set.sort();
    protocol_set.dedup();
    let protocols = protocol_set.join(",");
    let policy_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        protocol: protocols.clone(),
        ..Markers::default()
    };
    let l4_cksum = checksum::l4_policy_checksum(
        &rule_ports,
        &rule_protocols,
        &pool_names,
        policy_markers.checksum(cluster),
    );
    objects.push(DesiredObject {
        kind: ObjectType::L4PolicySet,
        tenant: tenant.clone(),
        name: vs_name.clone(),
        checksum: l4_cksum,
        body: json!({
            "name": vs_name,
            "created_by": namer.ako_user(),
            "tenant_ref": format!("/api/tenant/?name={}", query_escape(&tenant)),
            "markers": policy_markers.to_json(cluster),
            "l4_connection_policy": {"rules": rules},
        }),
    });

    // VsVip.
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
    let vsvip_cksum = checksum::vsvip_checksum(cluster, &fqdns, &lb_ip, &nets, &bgp);
    objects.push(DesiredObject {
        kind: ObjectType::VsVip,
        tenant: tenant.clone(),
        name: vs_name.clone(),
        checksum: vsvip_cksum,
        body: vsvip_body(settings, &vs_name, &tenant, &fqdns, &lb_ip, vsvip_cksum, &vrf, &bgp),
    });

    // VirtualService: services in port-name order, as AKO's checksum sorts them in place.
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let vs_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        ..Markers::default()
    };
    let mut refs = vec![format!("VSVIP{vs_name}"), format!("L4Policy{vs_name}")];
    refs.extend(pool_names.iter().map(|p| format!("Pool{p}")));
    let vs_cksum = checksum::vs_checksum(&VsChecksum {
        refs,
        application_profile: &app_profile,
        se_group: &settings.se_group,
        network_profile: model_profile,
        ports: &ports,
        hostnames: &fqdns,
        traffic_enabled: Some(traffic_enabled),
        enable_rhi: Some(settings.enable_rhi),
        markers: vs_markers.checksum(cluster),
    });
    let services: Vec<Value> = ports
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
        .collect();
    let mut sorted_fqdns = fqdns.clone();
    sorted_fqdns.sort();
    let mut vs = json!({
        "name": vs_name,
        "cloud_config_cksum": vs_cksum.to_string(),
        "created_by": namer.ako_user(),
        "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(&tenant)),
        "application_profile_ref": format!("/api/applicationprofile/?name={app_profile}"),
        "se_group_ref": format!("/api/serviceenginegroup?name={}", settings.se_group),
        "error_page_profile_ref": "",
        "service_metadata": ServiceMetadata {
            namespace_svc_name: vec![format!("{ns}/{name}")],
            hostnames: sorted_fqdns,
            ..ServiceMetadata::default()
        }
        .to_go_json(),
        "traffic_enabled": traffic_enabled,
        "vrf_context_ref": format!("/api/vrfcontext?name={vrf}"),
    });
    if settings.enable_rhi {
        vs["enable_rhi"] = json!(true);
    }
    vs["vsvip_ref"] = json!(format!("/api/vsvip/?name={vs_name}"));
    vs["services"] = Value::Array(services);
    vs["network_profile_ref"] = json!(format!("/api/networkprofile/?name={sent_profile}"));
    vs["markers"] = vs_markers.to_json(cluster);
    vs["remove_listening_port_on_vs_down"] = json!(true);
    vs["l4_policies"] = json!([{"l4_policy_set_ref": format!("/api/l4policyset/?name={vs_name}"), "index": 0}]);
    objects.push(DesiredObject {
        kind: ObjectType::VirtualService,
        tenant: tenant.clone(),
        name: vs_name.clone(),
        checksum: vs_cksum,
        body: vs,
    });

    let mut model = Model { objects };
    model.sort();
    let status = StatusIntent {
        kind: "Service".to_owned(),
        namespace: ns.to_owned(),
        name: name.to_owned(),
        tenant: tenant.clone(),
        vs_name: vs_name.clone(),
        vsvip_name: vs_name.clone(),
        hostname: fqdns.first().cloned(),
    };
    Ok((format!("{tenant}/{vs_name}"), model, status))
}
