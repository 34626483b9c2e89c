//! VIP allocation from the IPAM networks, kept across PUTs, static requests, exhaustion.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn auto_vip(name: &str, network: &str) -> Value {
    json!({"name": name, "vip": [{"vip_id": "0", "auto_allocate_ip": true,
        "ipam_network_subnet": {"network_ref": format!("/api/network/?name={network}")}}],
        "dns_info": [{"fqdn": format!("{name}.avi.internal")}]})
}

fn addr(vsvip: &Value) -> String {
    vsvip["vip"][0]["ip_address"]["addr"]
        .as_str()
        .expect("allocated address")
        .to_owned()
}

/// A /29-sized network with `count` VIP addresses, made usable in the IPAM profile.
async fn small_network(s: &Session, name: &str, count: u8) {
    let last = 10 + count - 1;
    s.create(
        "network",
        json!({"name": name, "configured_subnets": [{"prefix": {"ip_addr": {"addr": "127.101.0.0", "type": "V4"}, "mask": 24},
            "static_ip_ranges": [{"type": "STATIC_IPS_FOR_VIP",
                "range": {"begin": {"addr": "127.101.0.10", "type": "V4"}, "end": {"addr": format!("127.101.0.{last}"), "type": "V4"}}}]}]}),
    )
    .await;
    let ipam = &s.list("/api/ipamdnsproviderprofile?name=avisim-ipam").await[0];
    let mut body = ipam.clone();
    body["internal_profile"]["usable_networks"]
        .as_array_mut()
        .unwrap()
        .push(json!({"nw_ref": format!("/api/network/?name={name}")}));
    assert_eq!(
        s.put(&format!("/api/ipamdnsproviderprofile/{}", uuid_of(ipam)), body)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn allocates_from_the_network_and_fills_controller_fields() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let v = s.create("vsvip", auto_vip("a", "vip-net")).await;
    assert_eq!(addr(&v), "127.100.0.10");
    let vip = &v["vip"][0];
    assert_eq!(vip["auto_allocate_ip_type"], "V4_ONLY");
    assert_eq!(vip["prefix_length"], 32);
    assert_eq!(vip["avi_allocated_vip"], true);
    assert!(
        vip["ipam_network_subnet"]["network_ref"]
            .as_str()
            .unwrap()
            .ends_with("#vip-net")
    );
    assert_eq!(vip["ipam_network_subnet"]["subnet"]["mask"], 16);
    let dns = &v["dns_info"][0];
    assert_eq!(
        (dns["type"].as_str(), dns["ttl"].as_u64()),
        (Some("DNS_RECORD_A"), Some(30))
    );
    let b = s.create("vsvip", auto_vip("b", "vip-net")).await;
    assert_eq!(addr(&b), "127.100.0.11");
}

#[tokio::test]
async fn keeps_the_address_across_puts_that_omit_it() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let v = s.create("vsvip", auto_vip("a", "vip-net")).await;
    let first = addr(&v);
    s.create("vsvip", auto_vip("b", "vip-net")).await;
    // AKO rebuilds vip[] without ip_address on every PUT.
    let again = s
        .put(&format!("/api/vsvip/{}", uuid_of(&v)), auto_vip("a", "vip-net"))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(addr(&again.body), first);
    let changed = {
        let mut body = auto_vip("a", "vip-net");
        body["vip"][0]["ip_address"] = json!({"addr": "127.100.0.99", "type": "V4"});
        s.put(&format!("/api/vsvip/{}", uuid_of(&v)), body).await
    };
    assert_eq!(changed.status, StatusCode::BAD_REQUEST);
    assert!(
        changed.error().contains("please recreate the VIP"),
        "{}",
        changed.error()
    );
}

#[tokio::test]
async fn honours_requested_addresses_and_refuses_taken_ones() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let mut body = auto_vip("static", "vip-net");
    body["vip"][0]["ip_address"] = json!({"addr": "127.100.0.50", "type": "V4"});
    assert_eq!(addr(&s.create("vsvip", body.clone()).await), "127.100.0.50");
    body["name"] = json!("static-2");
    let taken = s.post("/api/vsvip", body).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.error().contains("already in use"), "{}", taken.error());
}

#[tokio::test]
async fn exhaustion_and_release() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    small_network(&s, "tiny", 2).await;
    let a = s.create("vsvip", auto_vip("a", "tiny")).await;
    s.create("vsvip", auto_vip("b", "tiny")).await;
    let full = s.post("/api/vsvip", auto_vip("c", "tiny")).await;
    assert_eq!(full.status, StatusCode::BAD_REQUEST);
    assert_eq!(full.error(), "No available free IPs");
    let freed = addr(&a);
    assert_eq!(
        s.delete(&format!("/api/vsvip/{}", uuid_of(&a))).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(addr(&s.create("vsvip", auto_vip("c", "tiny")).await), freed);
}

#[tokio::test]
async fn only_ipam_usable_networks_allocate() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let r = s.post("/api/vsvip", auto_vip("a", "node-net")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().contains("not a usable network"), "{}", r.error());
    let unknown = s.post("/api/vsvip", auto_vip("a", "no-such-net")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.error().contains("Network object not found"));
}
