//! `--state`: a restart loses nothing (objects, uuids, VIPs, tokens, CA, leader identity).

mod common;

use avisim::SimConfig;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

fn config(dir: &std::path::Path, port: u16) -> SimConfig {
    SimConfig {
        listen: ([127, 0, 0, 1], port).into(),
        cert_dir: Some(dir.join("certs")),
        state_file: Some(dir.join("state.json")),
        ..SimConfig::local(USER, PASSWORD)
    }
}

#[tokio::test]
async fn restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(config(dir.path(), 0)).await;
    let port = sim.addr().port();
    let ca = sim.ca_pem();
    let s = Session::login(&sim).await;
    let vip = s
        .create(
            "vsvip",
            json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}]}),
        )
        .await;
    let pool = s.create("pool", json!({"name": "p"})).await;
    let deleted = s.create("pool", json!({"name": "gone"})).await;
    assert_eq!(
        s.delete(&format!("/api/pool/{}", uuid_of(&deleted))).await.status,
        StatusCode::NO_CONTENT
    );
    let token = s.post("/api/user-token", json!({"hours": 24})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let up_since = s.get("/api/cluster/runtime").await.body["node_states"][0]["up_since"].clone();
    let count = sim.object_count();
    sim.shutdown().await;

    let sim = start_with(config(dir.path(), port)).await;
    assert_eq!(sim.ca_pem(), ca, "same CA, so clients keep trusting it");
    assert_eq!(sim.object_count(), count);
    let s = Session::login_with(&sim, json!({"username": USER, "token": token}))
        .await
        .expect("token survives");
    let p = s.get(&format!("/api/pool/{}", uuid_of(&pool))).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.body["_last_modified"], pool["_last_modified"]);
    assert_eq!(
        s.get(&format!("/api/pool/{}", uuid_of(&deleted))).await.status,
        StatusCode::NOT_FOUND
    );
    let v = s.get(&format!("/api/vsvip/{}", uuid_of(&vip))).await.body;
    assert_eq!(v["vip"][0]["ip_address"], vip["vip"][0]["ip_address"]);
    assert_eq!(
        s.get("/api/cluster/runtime").await.body["node_states"][0]["up_since"],
        up_since
    );
    // The allocation index was rebuilt: the next VIP does not reuse the address.
    let next = s
        .create(
            "vsvip",
            json!({"name": "w", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}]}),
        )
        .await;
    assert_ne!(next["vip"][0]["ip_address"], vip["vip"][0]["ip_address"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_torn_journal_line_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(config(dir.path(), 0)).await;
    let s = Session::login(&sim).await;
    s.create("pool", json!({"name": "kept"})).await;
    sim.shutdown().await;
    let journal = dir.path().join("state.json.journal");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str("{\"op\":\"put\",\"rec");
    std::fs::write(&journal, text).unwrap();

    let sim = start_with(config(dir.path(), 0)).await;
    let s = Session::login(&sim).await;
    assert_eq!(names(&s.list("/api/pool").await), ["kept"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn reset_returns_to_the_seed() {
    let sim = start().await;
    let seeded = sim.object_count();
    let s = Session::login(&sim).await;
    s.create("pool", json!({"name": "p"})).await;
    sim.reset().unwrap();
    assert_eq!(sim.object_count(), seeded);
    assert_eq!(sim.counters().total(None, None), 0);
}
