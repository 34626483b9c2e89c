//! The VsVip every virtual service listens on (L4 and L7 alike): the VIP network, BGP peer
//! labels, the preferred IP and the DNS records, with AKO's checksum.

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::checksum::{self, VipNetworkKey};
use crate::markers::Markers;
use crate::model::{Body, DesiredObject};
use crate::naming::{network_ref, query_escape};
use crate::settings::Settings;

/// A VsVip: the VIP network of `vipNetworkList`, BGP peer labels with RHI, the preferred IP if
/// any (`lb_ip`, else empty), one `dns_info` per FQDN (in the order given), in the VRF of the
/// settings; with AKO's checksum.
pub fn vsvip_object(settings: &Settings, tenant: &str, name: &str, fqdns: &[String], lb_ip: &str) -> DesiredObject {
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
        body: Body::from(vsvip_body(settings, name, tenant, fqdns, lb_ip, cksum, &bgp)),
    }
}

/// The VsVip as AKO POSTs it (`rest/avi_obj_vsvip.go`).
fn vsvip_body(
    settings: &Settings,
    name: &str,
    tenant: &str,
    fqdns: &[String],
    ip: &str,
    cksum: u32,
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
        let mut subnet = json!({"network_ref": network_ref(&net.network_uuid, &net.network_name)});
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
    body["vrf_context_ref"] = json!(format!("/api/vrfcontext?name={}", settings.vrf()));
    if !bgp.is_empty() {
        body["bgp_peer_labels"] = json!(bgp);
    }
    body["markers"] = Markers::default().to_json(&settings.cluster_name);
    body
}
