//! `log_bodies` (`--log-bodies`): the request log keeps the JSON body of writes to `/api`
//! when on, and no body at all when off (the default).

mod common;

use avisim::SimConfig;
use common::*;
use serde_json::{Value, json};

/// Create a pool, update it, read it; return the logged requests.
async fn exercise(config: SimConfig) -> Vec<Value> {
    let sim = start_with(config).await;
    let s = Session::login(&sim).await;
    let pool = s
        .create(
            "pool",
            json!({"name": "p", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}}]}),
        )
        .await;
    let uuid = uuid_of(&pool);
    let put = s
        .put(&format!("/api/pool/{uuid}"), json!({"name": "p", "description": "d"}))
        .await;
    assert!(put.status.is_success(), "{put:?}");
    s.get("/api/pool").await;
    let log = http(&sim)
        .get(format!("{}/_sim/requests", sim.url()))
        .send()
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap();
    sim.shutdown().await;
    log
}

fn find<'a>(log: &'a [Value], method: &str, object_type: &str) -> &'a Value {
    log.iter()
        .find(|r| r["method"] == method && r["type"] == object_type)
        .unwrap_or_else(|| panic!("no {method} {object_type} in {log:#?}"))
}

#[tokio::test]
async fn bodies_are_logged_when_on() {
    let log = exercise(SimConfig {
        log_bodies: true,
        ..SimConfig::local(USER, PASSWORD)
    })
    .await;
    assert_eq!(
        find(&log, "POST", "pool")["body"],
        json!({"name": "p", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}}]})
    );
    assert_eq!(
        find(&log, "PUT", "pool")["body"],
        json!({"name": "p", "description": "d"})
    );
    assert!(find(&log, "GET", "pool").get("body").is_none(), "reads carry no body");
    assert!(
        find(&log, "POST", "login").get("body").is_none(),
        "credentials are never logged"
    );
}

#[tokio::test]
async fn bodies_are_absent_by_default() {
    let log = exercise(SimConfig::local(USER, PASSWORD)).await;
    assert!(!log.is_empty());
    for rec in &log {
        assert!(rec.get("body").is_none(), "unexpected body in {rec}");
    }
    assert_eq!(find(&log, "PUT", "pool")["status"], 200);
}
