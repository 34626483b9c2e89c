//! Fault injection and the request counters tests rely on.

mod common;

use std::time::{Duration, Instant};

use avisim::{Fault, FaultAction};
use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn status_faults_hit_matching_requests_a_limited_number_of_times() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.set_faults(vec![
        Fault::status(Some("POST"), Some("pool"), 503, "service unavailable").times(2),
    ]);
    assert_eq!(s.get("/api/pool").await.status, StatusCode::OK, "GET does not match");
    let r = s.post("/api/pool", json!({"name": "p"})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error(), "service unavailable");
    assert_eq!(
        s.post("/api/pool", json!({"name": "p"})).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        s.post("/api/pool", json!({"name": "p"})).await.status,
        StatusCode::CREATED,
        "rule spent"
    );
    assert_eq!(
        s.list("/api/pool").await.len(),
        1,
        "faulted requests were not processed"
    );
    let c = sim.counters();
    assert_eq!(c.total(Some("POST"), Some("pool")), 3);
    assert!(
        c.rows
            .iter()
            .any(|r| r.method == "POST" && r.object_type == "pool" && r.status == 503 && r.count == 2)
    );
}

#[tokio::test]
async fn dropped_connections_get_no_response() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.set_faults(vec![Fault {
        method: Some("GET".into()),
        object_type: Some("vsvip".into()),
        action: FaultAction::Drop,
        rate: 1.0,
        times: Some(1),
    }]);
    let err = s
        .http
        .get(format!("{}/api/vsvip", s.base))
        .send()
        .await
        .expect_err("connection closed");
    assert!(!err.is_status(), "{err}");
    assert_eq!(s.get("/api/vsvip").await.status, StatusCode::OK);
    assert_eq!(sim.request_log(0).iter().filter(|r| r.status == 0).count(), 1);
}

#[tokio::test]
async fn latency_and_delay_faults_slow_requests_down() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.set_latency(Duration::from_millis(150));
    let t = Instant::now();
    s.get("/api/cloud").await;
    assert!(t.elapsed() >= Duration::from_millis(150), "{:?}", t.elapsed());
    sim.set_latency(Duration::ZERO);
    sim.set_faults(vec![Fault {
        method: None,
        object_type: Some("pool".into()),
        action: FaultAction::Delay { ms: 200 },
        rate: 1.0,
        times: None,
    }]);
    let t = Instant::now();
    s.get("/api/pool").await;
    assert!(t.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn upgrade_in_progress_refuses_writes_only() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.set_upgrade_in_progress(true);
    let r = s.post("/api/pool", json!({"name": "p"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error(), "Configuration is disallowed during upgrade");
    assert_eq!(s.get("/api/pool").await.status, StatusCode::OK);
    sim.set_upgrade_in_progress(false);
    assert_eq!(
        s.post("/api/pool", json!({"name": "p"})).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn counters_prove_zero_writes_at_rest() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    s.create("pool", json!({"name": "p"})).await;
    sim.reset_counters();
    for _ in 0..3 {
        s.list("/api/pool?created_by=ako-c1").await;
    }
    let c = sim.counters();
    assert_eq!(c.writes(), 0);
    assert_eq!(c.total(Some("GET"), Some("pool")), 3);
    let log = sim.request_log(0);
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].query, "created_by=ako-c1");
}

#[tokio::test]
async fn the_control_api_is_reachable_over_https() {
    let sim = start().await;
    let http = http(&sim);
    let faults = json!([{"method": "GET", "type": "cloud", "action": {"kind": "status", "status": 500, "message": "boom"}, "times": 1}]);
    let put = http
        .put(format!("{}/_sim/faults", sim.url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let s = Session::login(&sim).await;
    assert_eq!(s.get("/api/cloud").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    let stats: serde_json::Value = http
        .get(format!("{}/_sim/stats", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["writes"], 0);
    assert!(
        stats["counters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "cloud" && r["status"] == 500)
    );
    let expire = http
        .post(format!("{}/_sim/sessions/expire", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get("/api/cloud").await.status, StatusCode::UNAUTHORIZED);
}
