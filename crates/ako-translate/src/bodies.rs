//! The REST bodies AKO builds for objects that L4 and L7 share (pools, VsVips), and the
//! per-namespace scoping rules (namespace filters, tenant).

use std::net::IpAddr;

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::checksum::{MetaServer, NodeNetworkEntry};
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{Body, CloudFacts, DesiredObject};
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

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
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

/// `nodeNetworkList` as AKO's map, only in clouds where AKO uses it.
pub fn placement_settings(settings: &Settings, cloud: &CloudFacts) -> Option<Vec<NodeNetworkEntry>> {
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

/// What a pool body is built from.
pub struct PoolParts<'a> {
    /// Settings (cluster, cloud).
    pub settings: &'a Settings,
    /// Tenant.
    pub tenant: &'a str,
    /// Pool name.
    pub name: &'a str,
    /// Its checksum.
    pub cksum: u32,
    /// `TCP`/`UDP`/`SCTP`, empty for L7 (chooses the health monitor).
    pub protocol: &'a str,
    /// Server port.
    pub port: i32,
    /// Servers, sorted.
    pub servers: &'a [MetaServer],
    /// Placement networks, in clouds that use them.
    pub placement: Option<&'a [NodeNetworkEntry]>,
    /// VRF.
    pub vrf: &'a str,
    /// `service_metadata`.
    pub metadata: &'a ServiceMetadata,
    /// `markers`.
    pub markers: &'a Markers,
}

/// The pool as AKO POSTs it (`rest/avi_obj_pool.go:AviPoolBuild`).
pub fn pool_object(p: PoolParts<'_>) -> DesiredObject {
    let cluster = &p.settings.cluster_name;
    let mut body = json!({
        "name": p.name,
        "cloud_config_cksum": p.cksum.to_string(),
        "created_by": format!("ako-{cluster}"),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(p.tenant)),
        "cloud_ref": format!("/api/cloud?name={}", p.settings.cloud_name),
        "service_metadata": p.metadata.to_go_json(),
        "sni_enabled": false,
        "graceful_disable_timeout": 1,
    });
    let placement: Vec<Value> = placement_networks(p.placement);
    if !placement.is_empty() {
        body["placement_networks"] = Value::Array(placement);
    }
    body["vrf_ref"] = json!(format!("/api/vrfcontext?name={}", p.vrf));
    body["markers"] = p.markers.to_json(cluster);
    if !p.servers.is_empty() {
        let servers: Vec<Value> = p
            .servers
            .iter()
            .map(|s| {
                let port = if s.port != 0 { s.port } else { p.port };
                let mut v = json!({
                    "ip": {"addr": s.addr, "type": s.addr_type},
                    "port": port,
                    "external_uuid": format!("{}:{port}", s.addr),
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
        body: Body::from(body),
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

/// The VsVip as AKO POSTs it (`rest/avi_obj_vsvip.go`).
#[allow(clippy::too_many_arguments)]
pub fn vsvip_body(
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
    body["markers"] = Markers::default().to_json(&settings.cluster_name);
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
}
