//! Many concurrent clients: integrity checks are atomic, nothing is lost.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_yield_exactly_one_object() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.post("/api/pool", json!({"name": "same"})).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 31);
    assert_eq!(s.list("/api/pool").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_vip_allocations_are_all_distinct() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let body = json!({"name": format!("v{i}"), "vip": [{"vip_id": "0", "auto_allocate_ip": true,
                    "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}]});
                s.create("vsvip", body).await["vip"][0]["ip_address"]["addr"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut addrs = std::collections::BTreeSet::new();
    for t in tasks {
        assert!(addrs.insert(t.await.unwrap()), "an address was handed out twice");
    }
    assert_eq!(addrs.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_are_serialized_by_last_modified() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let pool = s.create("pool", json!({"name": "p"})).await;
    let uuid = uuid_of(&pool);
    // 16 writers all read the same version and try to write it back: exactly one wins,
    // the others get 412 — no lost update.
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = s.clone();
            let mut body = pool.clone();
            body["description"] = json!(format!("writer {i}"));
            let path = format!("/api/pool/{uuid}");
            tokio::spawn(async move { s.put(&path, body).await.status })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            other => assert_eq!(other, StatusCode::PRECONDITION_FAILED),
        }
    }
    assert_eq!(ok, 1);
}
