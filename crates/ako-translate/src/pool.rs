//! The pool every translation builds (an Ingress path's, a LoadBalancer Service port's, a
//! shared-VIP group's), with AKO's checksum: one builder for L4 and L7.

use std::net::IpAddr;

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::checksum::{self, MetaServer, NodeNetworkEntry, PoolChecksum, PoolRuleChecksum};
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{Body, CloudFacts, DesiredObject};
use crate::naming::{network_ref, query_escape};
use crate::rules::PoolRule;
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
    /// Settings (cluster, cloud, VRF, `nodeNetworkList`).
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
    /// `service_metadata`.
    pub metadata: &'a ServiceMetadata,
    /// `markers`.
    pub markers: &'a Markers,
    /// What HTTPRules set on it.
    pub rule: Option<&'a PoolRule>,
    /// The name and checksum of the PKI profile ako-rs owns for it (an HTTPRule's `destinationCA`).
    pub own_pki: Option<(&'a str, u32)>,
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
        rule: rule_checksum(p.rule, p.own_pki),
    });
    let mut body = json!({
        "name": p.name,
        "cloud_config_cksum": cksum.to_string(),
        "created_by": format!("ako-{cluster}"),
        "tenant_ref": format!("/api/tenant/?name={}", query_escape(p.tenant)),
        "cloud_ref": format!("/api/cloud?name={}", p.settings.cloud_name),
        "service_metadata": p.metadata.to_go_json(),
        "sni_enabled": p.rule.is_some_and(|r| r.sni_enabled),
        "graceful_disable_timeout": 1,
    });
    if let Some(r) = p.rule {
        rule_fields(&mut body, r, p.own_pki.map(|(name, _)| name));
    }
    let placement: Vec<Value> = placement_networks(placement.as_deref());
    if !placement.is_empty() {
        body["placement_networks"] = Value::Array(placement);
    }
    body["vrf_ref"] = json!(format!("/api/vrfcontext?name={}", p.settings.vrf()));
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
    body["health_monitor_refs"] = match p.rule.filter(|r| !r.health_monitors.is_empty()) {
        Some(r) => json!(r.health_monitors),
        None => json!([format!("/api/healthmonitor/?name={hm}")]),
    };
    DesiredObject {
        kind: ObjectType::Pool,
        tenant: p.tenant.to_owned(),
        name: p.name.to_owned(),
        checksum: cksum,
        body: Body::from(body),
    }
}

/// The checksum inputs an HTTPRule sets.
fn rule_checksum<'a>(rule: Option<&'a PoolRule>, own_pki: Option<(&str, u32)>) -> PoolRuleChecksum<'a> {
    let Some(r) = rule else {
        return PoolRuleChecksum::default();
    };
    PoolRuleChecksum {
        lb_algorithm: r.lb_algorithm.as_deref(),
        lb_algorithm_hash: r.lb_algorithm_hash.as_deref(),
        lb_algorithm_consistent_hash_hdr: r.lb_algorithm_consistent_hash_hdr.as_deref(),
        sni_enabled: r.sni_enabled,
        ssl_profile: r.ssl_profile.as_deref(),
        pki_profile: r.pki_profile.as_deref(),
        enable_http2: r.enable_http2,
        health_monitors: &r.health_monitors,
        own_pki_profile: own_pki.map(|(_, cksum)| cksum),
        persistence: r.persistence.as_deref(),
        ssl_key_and_certificate: r.ssl_key_and_certificate.as_deref(),
        realtime_metrics: r.realtime_metrics,
        enabled: r.enabled,
        min_servers_up: r.min_servers_up,
    }
}

/// The body fields an HTTPRule sets (`AviPoolBuild`): TLS to the backends, persistence, load
/// balancing, HTTP/2.
fn rule_fields(body: &mut Value, r: &PoolRule, own_pki: Option<&str>) {
    if let Some(p) = &r.ssl_profile {
        body["ssl_profile_ref"] = json!(p);
    }
    match (own_pki, &r.pki_profile) {
        (Some(name), _) => body["pki_profile_ref"] = json!(format!("/api/pkiprofile?name={name}")),
        (None, Some(p)) => body["pki_profile_ref"] = json!(p),
        (None, None) => {}
    }
    if let Some(a) = &r.lb_algorithm {
        body["lb_algorithm"] = json!(a);
    }
    if let Some(h) = &r.lb_algorithm_hash {
        body["lb_algorithm_hash"] = json!(h);
        if h == "LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER"
            && let Some(hdr) = &r.lb_algorithm_consistent_hash_hdr
        {
            body["lb_algorithm_consistent_hash_hdr"] = json!(hdr);
        }
    }
    if let Some(p) = &r.persistence {
        body["application_persistence_profile_ref"] = json!(p);
    }
    if let Some(h2) = r.enable_http2 {
        body["enable_http2"] = json!(h2);
    }
    if let Some(c) = &r.ssl_key_and_certificate {
        body["ssl_key_and_certificate_ref"] = json!(c);
    }
    if let Some(m) = r.realtime_metrics {
        body["analytics_policy"] = json!({"enable_realtime_metrics": m});
    }
    if let Some(e) = r.enabled {
        body["enabled"] = json!(e);
    }
    if let Some(m) = r.min_servers_up {
        body["min_servers_up"] = json!(m);
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
            let t = if addr.is_ipv4() { "V4" } else { "V6" };
            out.push(json!({
                "network_ref": network_ref(&e.network_uuid, &e.key),
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
