//! VIP allocation, as the controller's internal IPAM does it: a vsvip with `auto_allocate_ip`
//! gets the first free address of the referenced network's static VIP ranges, synchronously in
//! the write response; the network must be usable in the cloud's IPAM profile; an address stays
//! with its `vip_id` across PUTs that omit it; a requested static address must be free.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use avi_model::{ObjectRef, ObjectType};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::refs::pointer;
use crate::store::{Record, Store, vip_addresses};

/// Assign addresses to every `vip[]` of a vsvip body (refs already canonical). `uuid` is the
/// vsvip's own uuid; `previous` its stored version on update.
pub fn assign(store: &Store, uuid: &str, body: &mut Map<String, Value>, previous: Option<&Record>) -> ApiResult<()> {
    let held: BTreeMap<String, Ipv4Addr> = previous.map(vip_addresses).unwrap_or_default().into_iter().collect();
    let cloud = canonical_target(body.get("cloud_ref")).and_then(|r| store.get(ObjectType::Cloud, r.uuid()?));
    let mut taken_here = BTreeSet::new();
    let Some(Value::Array(vips)) = body.get_mut("vip") else {
        return Ok(());
    };
    for (index, vip) in vips.iter_mut().enumerate() {
        let Some(vip) = vip.as_object_mut() else {
            return Err(ApiError::bad_request("vip: each entry must be an object"));
        };
        let vip_id = vip
            .get("vip_id")
            .and_then(Value::as_str)
            .map_or_else(|| index.to_string(), str::to_owned);
        vip.insert("vip_id".into(), json!(vip_id));
        let requested = pointer(vip, "/ip_address/addr")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let auto = vip.get("auto_allocate_ip").and_then(Value::as_bool).unwrap_or(false);
        let addr = match (requested, held.get(&vip_id)) {
            (Some(req), held_addr) => {
                let req: Ipv4Addr = req
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("Invalid IPv4 address {req:?} in vip {vip_id}")))?;
                if let Some(current) = held_addr.filter(|held| **held != req) {
                    return Err(ApiError::bad_request(format!(
                        "VIP {vip_id} already has address {current}. If a new preferred IP is needed, please recreate the VIP"
                    )));
                }
                if let Some(owner) = store.vip_owner(req).filter(|o| o.vsvip != uuid || o.vip_id != vip_id) {
                    let name = store
                        .get(ObjectType::VsVip, &owner.vsvip)
                        .map(Record::name)
                        .unwrap_or_default();
                    return Err(ApiError::bad_request(format!(
                        "IP address {req} is already in use by VsVip {name}"
                    )));
                }
                req
            }
            (None, Some(held_addr)) if auto => *held_addr,
            (None, _) if auto => allocate(store, cloud, vip, &taken_here)?,
            (None, _) => continue,
        };
        if !taken_here.insert(addr) {
            return Err(ApiError::bad_request(format!("IP address {addr} is requested twice")));
        }
        vip.insert("ip_address".into(), json!({"addr": addr.to_string(), "type": "V4"}));
        for (k, v) in [
            ("enabled", json!(true)),
            ("auto_allocate_ip_type", json!("V4_ONLY")),
            ("prefix_length", json!(32)),
            ("auto_allocate_floating_ip", json!(false)),
            ("avi_allocated_vip", json!(auto)),
            ("avi_allocated_fip", json!(false)),
        ] {
            vip.entry(k).or_insert(v);
        }
    }
    Ok(())
}

fn canonical_target(v: Option<&Value>) -> Option<ObjectRef> {
    ObjectRef::parse(v?.as_str()?).ok()
}

/// Pick a network and a free address in it, and record the network on the vip.
fn allocate(
    store: &Store,
    cloud: Option<&Record>,
    vip: &mut Map<String, Value>,
    taken_here: &BTreeSet<Ipv4Addr>,
) -> ApiResult<Ipv4Addr> {
    let cloud = cloud.ok_or_else(|| ApiError::bad_request("Cannot allocate a VIP: the vsvip has no cloud"))?;
    let usable = usable_networks(store, cloud)?;
    let requested = canonical_target(pointer(vip, "/ipam_network_subnet/network_ref"));
    let candidates: Vec<&Record> = match requested.as_ref().and_then(|r| r.uuid()) {
        Some(net) => {
            let network = store
                .get(ObjectType::Network, net)
                .ok_or_else(|| ApiError::bad_request("Network object not found!"))?;
            if !usable.contains(net) {
                return Err(ApiError::bad_request(format!(
                    "Network {} is not a usable network of the IPAM profile of cloud {}",
                    network.name(),
                    cloud.name()
                )));
            }
            vec![network]
        }
        None => usable
            .iter()
            .filter_map(|u| store.get(ObjectType::Network, u))
            .collect(),
    };
    for network in candidates {
        for (prefix, mask, begin, end) in vip_ranges(network) {
            let free = (u32::from(begin)..=u32::from(end))
                .map(Ipv4Addr::from)
                .find(|a| store.vip_owner(*a).is_none() && !taken_here.contains(a));
            if let Some(addr) = free {
                let subnet = json!({"ip_addr": {"addr": prefix.to_string(), "type": "V4"}, "mask": mask});
                let ipam = vip.entry("ipam_network_subnet").or_insert_with(|| json!({}));
                if let Some(ipam) = ipam.as_object_mut() {
                    ipam.insert("network_ref".into(), json!(format!("/api/network/{}", network.uuid())));
                    ipam.entry("subnet").or_insert(subnet);
                }
                return Ok(addr);
            }
        }
    }
    Err(ApiError::bad_request("No available free IPs"))
}

/// Uuids of the networks the cloud's IPAM profile may allocate from.
fn usable_networks(store: &Store, cloud: &Record) -> ApiResult<BTreeSet<String>> {
    let profile = canonical_target(cloud.body.get("ipam_provider_ref"))
        .and_then(|r| store.get(ObjectType::IpamDnsProviderProfile, r.uuid()?))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Cloud {} has no IPAM provider: cannot auto-allocate a VIP",
                cloud.name()
            ))
        })?;
    let networks = pointer(&profile.body, "/internal_profile/usable_networks").and_then(Value::as_array);
    Ok(networks
        .into_iter()
        .flatten()
        .filter_map(|n| canonical_target(n.get("nw_ref")))
        .filter_map(|r| r.uuid().map(str::to_owned))
        .collect())
}

/// (subnet prefix, mask, begin, end) of every VIP range of a network, in order. Reads the
/// current `static_ip_ranges` and the older `static_ranges` form.
fn vip_ranges(network: &Record) -> Vec<(Ipv4Addr, u64, Ipv4Addr, Ipv4Addr)> {
    let addr = |v: Option<&Value>| v.and_then(|a| a.get("addr")?.as_str()?.parse::<Ipv4Addr>().ok());
    let subnets = network
        .body
        .get("configured_subnets")
        .and_then(Value::as_array)
        .map(Vec::as_slice);
    let mut out = Vec::new();
    for subnet in subnets.unwrap_or_default() {
        let (Some(prefix), Some(mask)) = (
            addr(subnet.pointer("/prefix/ip_addr")),
            subnet.pointer("/prefix/mask").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let ranges = subnet
            .get("static_ip_ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for range in ranges {
            let kind = range
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("STATIC_IPS_FOR_VIP_AND_SE");
            if !matches!(kind, "STATIC_IPS_FOR_VIP" | "STATIC_IPS_FOR_VIP_AND_SE") {
                continue;
            }
            if let (Some(b), Some(e)) = (addr(range.pointer("/range/begin")), addr(range.pointer("/range/end"))) {
                out.push((prefix, mask, b, e));
            }
        }
        let legacy = subnet
            .get("static_ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for range in legacy {
            if let (Some(b), Some(e)) = (addr(range.get("begin")), addr(range.get("end"))) {
                out.push((prefix, mask, b, e));
            }
        }
    }
    out
}
