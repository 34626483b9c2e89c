//! The pool every translation builds (an Ingress path's, a LoadBalancer Service port's, a
//! shared-VIP group's), with AKO's checksum: one builder for L4 and L7.

use std::net::IpAddr;

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::checksum::{self, MetaServer, NodeNetworkEntry, PoolChecksum};
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{Body, CloudFacts, DesiredObject};
use crate::naming::query_escape;
use crate::settings::Settings;

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

/// What a pool is built from.
pub struct PoolParts<'a> {
    /// Settings (cluster, cloud, `nodeNetworkList`).
    pub settings: &'a Settings,
    /// The cloud (whether pools get placement networks).
    pub cloud: &'a CloudFacts,
    /// Tenant.
    pub tenant: &'a str,
    /// Pool name.
    pub name: &'a str,
    /// `TCP`/`UDP`/`SCTP`, empty for L7: in the checksum, and it chooses the health monitor.
    pub protocol: &'a str,
    /// Server port.
    pub port: i32,
    /// The Service port's name (in the checksum).
    pub port_name: &'a str,
    /// Servers, sorted.
    pub servers: &'a [MetaServer],
    /// The pool group priority label, if any (in the checksum).
    pub priority_label: &'a str,
    /// VRF.
    pub vrf: &'a str,
    /// `service_metadata`.
    pub metadata: &'a ServiceMetadata,
    /// `markers`.
    pub markers: &'a Markers,
}

/// The pool as AKO POSTs it (`rest/avi_obj_pool.go:AviPoolBuild`), with AKO's checksum over
/// what the model holds.
pub fn pool_object(p: PoolParts<'_>) -> DesiredObject {
    let cluster = &p.settings.cluster_name;
    let placement = placement_settings(p.settings, p.cloud);
    let cksum = checksum::pool_checksum(&PoolChecksum {
        protocol: p.protocol,
        port: p.port,
        port_name: p.port_name,
        servers: p.servers,
        priority_label: p.priority_label,
        placement_json: &checksum::node_network_map_json(placement.as_deref()),
        namespace_svc_name: &p.metadata.namespace_svc_name,
        hostnames: &p.metadata.hostnames,
        markers: p.markers.checksum(cluster),
    });
    let mut body = json!({
        "name": p.name,
        "cloud_config_cksum": cksum.to_string(),
        "created_by": format!("ako-{cluster}"),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(p.tenant)),
        "cloud_ref": format!("/api/cloud?name={}", p.settings.cloud_name),
        "service_metadata": p.metadata.to_go_json(),
        "sni_enabled": false,
        "graceful_disable_timeout": 1,
    });
    let placement: Vec<Value> = placement_networks(placement.as_deref());
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
        checksum: cksum,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_address_is_masked() {
        assert_eq!(network_of("10.1.2.3/24"), Some(("10.1.2.0".parse().unwrap(), 24)));
        assert_eq!(network_of("bad"), None);
    }
}
