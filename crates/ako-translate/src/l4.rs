//! Services of type LoadBalancer → AKO 2.2's L4 objects (SNI mode, no shared VIP, no CRDs):
//! a VS, its VsVip, one pool per port and an L4PolicySet
//! (`internal/nodes/avi_model_l4_translator.go`, `internal/rest/avi_obj_{vs,vsvip,pool,l4ps}.go`).

use std::net::IpAddr;

use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use crate::checksum::{
    self, L4PoolChecksum, L4VsChecksum, MetaServer, NodeNetworkEntry, PortProto, TargetPort, VipNetworkKey,
};
use crate::fqdn::service_fqdns;
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
/// Namespace annotation choosing the Avi tenant.
pub const TENANT_ANNOTATION: &str = "ako.vmware.com/tenant-name";
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

fn namespace_accepted(snap: &Snapshot, settings: &Settings, ns: &str) -> bool {
    if settings.blocked_namespaces.contains(ns) {
        return false;
    }
    match &settings.namespace_selector {
        None => true,
        Some((key, value)) => snap
            .namespaces
            .get(ns)
            .and_then(|n| n.metadata.labels.as_ref())
            .and_then(|l| l.get(key))
            .is_some_and(|v| v == value),
    }
}

fn tenant_of(snap: &Snapshot, settings: &Settings, ns: &str) -> String {
    snap.namespaces
        .get(ns)
        .and_then(|n| n.metadata.annotations.as_ref())
        .and_then(|a| a.get(TENANT_ANNOTATION))
        .filter(|t| !t.is_empty())
        .cloned()
        .unwrap_or_else(|| settings.tenant.clone())
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn markers(cluster: &str, pairs: &[(&str, &str)]) -> Value {
    let mut list = vec![json!({"key": "clustername", "values": [cluster]})];
    list.extend(pairs.iter().map(|(k, v)| json!({"key": k, "values": [v]})));
    Value::Array(list)
}

/// `lib.ServiceMetadataObj` serialised as Go does (no omitempty, declaration order).
fn service_metadata(namespace_svc_name: &[String], hostnames: &[String]) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "null".to_owned()
        } else {
            checksum::go_json_strings(v)
        }
    };
    format!(
        "{{\"namespace_ingress_name\":null,\"ingress_name\":\"\",\"namespace\":\"\",\"hostnames\":{},\"namespace_svc_name\":{},\"crd_status\":{{\"type\":\"\",\"value\":\"\",\"status\":\"\"}},\"pool_ratio\":0,\"passthrough_parent_ref\":\"\",\"passthrough_child_ref\":\"\",\"gateway\":\"\",\"httproute\":\"\",\"httproute_rule_name\":\"\",\"insecureedgetermallow\":false,\"is_mci_ingress\":false,\"fqdn_reuse_policy\":\"\",\"host_namespace_ingress_name\":null}}",
        list(hostnames),
        list(namespace_svc_name)
    )
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
        let port_str = pp.port.to_string();
        let cksum = checksum::l4_pool_checksum(&L4PoolChecksum {
            cluster,
            protocol: &pp.protocol,
            port: members.port,
            port_name: &pp.name,
            servers: &members.servers,
            placement_json: &placement_json,
            markers: &[ns, name, &port_str],
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
            markers: markers(
                cluster,
                &[("Namespace", ns), ("ServiceName", name), ("Port", &port_str)],
            ),
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
    let l4_cksum = checksum::l4_policy_checksum(
        cluster,
        &rule_ports,
        &rule_protocols,
        &pool_names,
        &[ns, name, &protocols],
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
            "markers": markers(cluster, &[("Namespace", ns), ("ServiceName", name), ("Protocol", &protocols)]),
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
    let l4_names = vec![vs_name.clone()];
    let vs_cksum = checksum::l4_vs_checksum(&L4VsChecksum {
        cluster,
        vsvip: &vs_name,
        l4_policies: &l4_names,
        pools: &pool_names,
        application_profile: &app_profile,
        se_group: &settings.se_group,
        network_profile: model_profile,
        ports: &ports,
        hostnames: &fqdns,
        traffic_enabled,
        enable_rhi: settings.enable_rhi,
        markers: &[ns, name],
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
        "service_metadata": service_metadata(&[format!("{ns}/{name}")], &sorted_fqdns),
        "traffic_enabled": traffic_enabled,
        "vrf_context_ref": format!("/api/vrfcontext?name={vrf}"),
    });
    if settings.enable_rhi {
        vs["enable_rhi"] = json!(true);
    }
    vs["vsvip_ref"] = json!(format!("/api/vsvip/?name={vs_name}"));
    vs["services"] = Value::Array(services);
    vs["network_profile_ref"] = json!(format!("/api/networkprofile/?name={sent_profile}"));
    vs["markers"] = markers(cluster, &[("Namespace", ns), ("ServiceName", name)]);
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

/// `nodeNetworkList` as AKO's map, only in clouds where AKO uses it.
fn placement_settings(settings: &Settings, cloud: &CloudFacts) -> Option<Vec<NodeNetworkEntry>> {
    if !cloud.uses_node_networks() {
        return None;
    }
    Some(
        settings
            .node_networks
            .iter()
            .filter(|n| !n.network_uuid.is_empty() || !n.network_name.is_empty())
            .map(|n| NodeNetworkEntry {
                key: if n.network_uuid.is_empty() {
                    n.network_name.clone()
                } else {
                    n.network_uuid.clone()
                },
                network_uuid: n.network_uuid.clone(),
                cidrs: n.cidrs.clone(),
            })
            .collect(),
    )
}

struct PoolParts<'a> {
    settings: &'a Settings,
    tenant: &'a str,
    name: &'a str,
    cksum: u32,
    protocol: &'a str,
    port: i32,
    servers: &'a [MetaServer],
    placement: Option<&'a [NodeNetworkEntry]>,
    vrf: &'a str,
    markers: Value,
}

fn pool_object(p: PoolParts<'_>) -> DesiredObject {
    let cluster = &p.settings.cluster_name;
    let mut body = json!({
        "name": p.name,
        "cloud_config_cksum": p.cksum.to_string(),
        "created_by": format!("ako-{cluster}"),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(p.tenant)),
        "cloud_ref": format!("/api/cloud?name={}", p.settings.cloud_name),
        "service_metadata": service_metadata(&[], &[]),
        "sni_enabled": false,
        "graceful_disable_timeout": 1,
    });
    let placement: Vec<Value> = placement_networks(p.placement);
    if !placement.is_empty() {
        body["placement_networks"] = Value::Array(placement);
    }
    body["vrf_ref"] = json!(format!("/api/vrfcontext?name={}", p.vrf));
    body["markers"] = p.markers;
    if !p.servers.is_empty() {
        let servers: Vec<Value> = p
            .servers
            .iter()
            .map(|s| {
                let mut v = json!({
                    "ip": {"addr": s.addr, "type": s.addr_type},
                    "port": p.port,
                    "external_uuid": format!("{}:{}", s.addr, p.port),
                });
                if let Some(e) = s.enabled {
                    v["enabled"] = json!(e);
                }
                if !s.server_node.is_empty() {
                    v["server_node"] = json!(s.server_node);
                }
                v
            })
            .collect();
        body["servers"] = Value::Array(servers);
    }
    let hm = match p.protocol {
        "UDP" => "System-UDP",
        "SCTP" => "System-SCTP",
        _ => "System-TCP",
    };
    body["health_monitor_refs"] = json!([format!("/api/healthmonitor/?name={hm}")]);
    DesiredObject {
        kind: ObjectType::Pool,
        tenant: p.tenant.to_owned(),
        name: p.name.to_owned(),
        checksum: p.cksum,
        body,
    }
}

/// Pool placement networks from `nodeNetworkList` (network address and mask of each CIDR).
fn placement_networks(entries: Option<&[NodeNetworkEntry]>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut sorted: Vec<&NodeNetworkEntry> = entries.unwrap_or_default().iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for e in sorted {
        for cidr in &e.cidrs {
            let Some((addr, mask)) = network_of(cidr) else { break };
            let network_ref = if e.network_uuid.is_empty() {
                format!("/api/network/?name={}", e.key)
            } else {
                format!("/api/network/{}", e.network_uuid)
            };
            let t = if addr.is_ipv4() { "V4" } else { "V6" };
            out.push(json!({
                "network_ref": network_ref,
                "subnet": {"ip_addr": {"addr": addr.to_string(), "type": t}, "mask": mask},
            }));
        }
    }
    out
}

fn network_of(cidr: &str) -> Option<(IpAddr, u8)> {
    let (ip, mask) = cidr.split_once('/')?;
    let mask: u8 = mask.parse().ok()?;
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) if mask <= 32 => {
            let bits = u32::from(v4) & u32::MAX.checked_shl(32 - u32::from(mask)).unwrap_or(0);
            Some((IpAddr::V4(bits.into()), mask))
        }
        IpAddr::V6(v6) if mask <= 128 => {
            let bits = u128::from(v6) & u128::MAX.checked_shl(128 - u32::from(mask)).unwrap_or(0);
            Some((IpAddr::V6(bits.into()), mask))
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn vsvip_body(
    settings: &Settings,
    name: &str,
    tenant: &str,
    fqdns: &[String],
    ip: &str,
    cksum: u32,
    vrf: &str,
    bgp: &[String],
) -> Value {
    let mut vip = json!({"vip_id": "0", "auto_allocate_ip": true});
    if !ip.is_empty() {
        if ip.parse::<std::net::Ipv4Addr>().is_ok() {
            vip["ip_address"] = json!({"type": "V4", "addr": ip});
        } else {
            vip["ip6_address"] = json!({"type": "V6", "addr": ip});
        }
    }
    if let Some(net) = settings.vip_networks.first() {
        let network_ref = if net.network_uuid.is_empty() {
            format!("/api/network/?name={}", net.network_name)
        } else {
            format!("/api/network/{}", net.network_uuid)
        };
        let mut subnet = json!({"network_ref": network_ref});
        if let Some((a, m)) = net.cidr.split_once('/') {
            subnet["subnet"] = json!({"ip_addr": {"type": "V4", "addr": a}, "mask": m.parse::<i32>().unwrap_or(0)});
        }
        if let Some((a, m)) = net.v6cidr.split_once('/') {
            subnet["subnet6"] = json!({"ip_addr": {"type": "V6", "addr": a}, "mask": m.parse::<i32>().unwrap_or(0)});
        }
        vip["ipam_network_subnet"] = subnet;
        if !net.v6cidr.is_empty() {
            vip["auto_allocate_ip_type"] = json!(if net.cidr.is_empty() { "V6_ONLY" } else { "V4_V6" });
        }
    }
    let mut body = json!({
        "name": name,
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(tenant)),
        "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
        "east_west_placement": false,
    });
    let mut seen: Vec<&String> = Vec::new();
    for f in fqdns {
        if !seen.contains(&f) {
            seen.push(f);
        }
    }
    if !seen.is_empty() {
        body["dns_info"] = Value::Array(seen.iter().map(|f| json!({"fqdn": f})).collect());
    }
    body["vip"] = json!([vip]);
    body["vsvip_cloud_config_cksum"] = json!(cksum.to_string());
    body["vrf_context_ref"] = json!(format!("/api/vrfcontext?name={vrf}"));
    if !bgp.is_empty() {
        body["bgp_peer_labels"] = json!(bgp);
    }
    body["markers"] = markers(&settings.cluster_name, &[]);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_escape_matches_go() {
        assert_eq!(query_escape("admin"), "admin");
        assert_eq!(query_escape("my tenant/x"), "my+tenant%2Fx");
    }

    #[test]
    fn network_address_is_masked() {
        assert_eq!(network_of("10.1.2.3/24"), Some(("10.1.2.0".parse().unwrap(), 24)));
        assert_eq!(network_of("bad"), None);
    }

    #[test]
    fn service_metadata_is_go_shaped() {
        let s = service_metadata(&["ns/svc".to_owned()], &[]);
        assert!(s.starts_with(r#"{"namespace_ingress_name":null,"ingress_name":"","namespace":"","hostnames":null,"namespace_svc_name":["ns/svc"]"#));
        assert!(s.ends_with(r#""fqdn_reuse_policy":"","host_namespace_ingress_name":null}"#));
    }
}
