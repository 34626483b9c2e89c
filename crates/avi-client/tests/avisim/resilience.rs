//! Retries (and their absence for POST), dropped connections, timeouts, the concurrency limit,
//! and the controller-upgrade condition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use avi_client::{Client, Error, Query, RetryConfig};
use avisim::faults::{Fault, FaultAction};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::common::{config, sim};

fn action_fault(method: &str, object_type: &str, action: FaultAction) -> Fault {
    Fault {
        method: Some(method.to_owned()),
        object_type: Some(object_type.to_owned()),
        action,
        rate: 1.0,
        times: None,
    }
}

#[tokio::test]
async fn get_is_retried_on_503() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_faults(vec![Fault::status(Some("GET"), Some("pool"), 503, "boom").times(2)]);
    sim.reset_counters();
    let pools: Vec<Value> = client
        .list("pool", &Query::new())
        .await
        .expect("succeeds on the third attempt");
    assert!(pools.is_empty());
    assert_eq!(sim.counters().total(Some("GET"), Some("pool")), 3);

    // When the faults outlast the attempts, the last 503 is returned, typed.
    sim.set_faults(vec![Fault::status(Some("GET"), Some("pool"), 503, "still down")]);
    sim.reset_counters();
    let err = client.list::<Value>("pool", &Query::new()).await.expect_err("gives up");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.message(), Some("still down"));
    assert_eq!(sim.counters().total(Some("GET"), Some("pool")), 4, "max_attempts");
    sim.shutdown().await;
}

#[tokio::test]
async fn put_and_delete_are_retried_on_5xx() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let pool: Value = client
        .create("pool", &json!({"name": "retry-pool"}))
        .await
        .expect("create");
    let uuid = pool["uuid"].as_str().expect("uuid").to_owned();
    sim.set_faults(vec![
        Fault::status(Some("PUT"), Some("pool"), 502, "bad gateway").times(1),
        Fault::status(Some("DELETE"), Some("pool"), 500, "oops").times(1),
    ]);
    sim.reset_counters();
    let _: Value = client.update("pool", &uuid, &pool).await.expect("PUT retried");
    client.delete("pool", &uuid).await.expect("DELETE retried");
    let c = sim.counters();
    assert_eq!(c.total(Some("PUT"), Some("pool")), 2);
    assert_eq!(c.total(Some("DELETE"), Some("pool")), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn post_is_not_retried_on_503() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_faults(vec![Fault::status(Some("POST"), Some("pool"), 503, "boom").times(2)]);
    sim.reset_counters();
    let err = client
        .create::<_, Value>("pool", &json!({"name": "once"}))
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable(), "the caller may retry later");
    assert_eq!(sim.counters().total(Some("POST"), Some("pool")), 1, "exactly one POST");
    sim.shutdown().await;
}

#[tokio::test]
async fn post_is_retried_on_408() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_faults(vec![
        Fault::status(Some("POST"), Some("pool"), 408, "request timeout").times(1),
    ]);
    sim.reset_counters();
    let created: Value = client
        .create("pool", &json!({"name": "after-408"}))
        .await
        .expect("408 means not processed");
    assert_eq!(created["name"], "after-408");
    assert_eq!(sim.counters().total(Some("POST"), Some("pool")), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_is_retried_for_get_only() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_faults(vec![action_fault("GET", "pool", FaultAction::Drop).times(1)]);
    sim.reset_counters();
    let pools: Vec<Value> = client
        .list("pool", &Query::new())
        .await
        .expect("GET retried after drop");
    assert!(pools.is_empty());
    assert_eq!(sim.counters().total(Some("GET"), Some("pool")), 2);

    sim.set_faults(vec![action_fault("POST", "pool", FaultAction::Drop).times(1)]);
    sim.reset_counters();
    let err = client
        .create::<_, Value>("pool", &json!({"name": "dropped"}))
        .await
        .expect_err("POST not retried");
    assert!(matches!(err, Error::Transport { connect: false, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(sim.counters().total(Some("POST"), Some("pool")), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_response_times_out() {
    let sim = sim().await;
    let cfg = config(&sim)
        .with_request_timeout(Duration::from_millis(300))
        .with_retry(RetryConfig::none());
    let client = Client::connect(cfg).await.expect("login");
    sim.set_faults(vec![action_fault("GET", "pool", FaultAction::Delay { ms: 3_000 })]);
    let started = Instant::now();
    let err = client
        .list::<Value>("pool", &Query::new())
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(300)));
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "gave up at the timeout, not after the delay"
    );
    sim.clear_faults();
    let ok: Vec<Value> = client.list("pool", &Query::new()).await.expect("works again");
    assert!(ok.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn concurrency_limit_is_respected() {
    let sim = sim().await;
    let client = Client::connect(config(&sim).with_max_concurrency(2))
        .await
        .expect("login");
    sim.set_faults(vec![action_fault("GET", "pool", FaultAction::Delay { ms: 300 })]);

    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (client, peak, done) = (client.clone(), Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Acquire) {
                peak.fetch_max(client.in_flight(), Ordering::AcqRel);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let started = Instant::now();
    let results = {
        let q = Query::new();
        join_all((0..6).map(|_| client.list::<Value>("pool", &q))).await
    };
    let elapsed = started.elapsed();
    done.store(true, Ordering::Release);
    sampler.await.expect("sampler");
    for r in results {
        r.expect("list");
    }
    assert!(
        peak.load(Ordering::Acquire) <= 2,
        "peak in-flight {}",
        peak.load(Ordering::Acquire)
    );
    assert_eq!(peak.load(Ordering::Acquire), 2, "the limit is actually used");
    // Six 300 ms requests two at a time need at least three rounds.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(client.in_flight(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn upgrade_in_progress_is_a_slow_retry() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_upgrade_in_progress(true);
    sim.reset_counters();
    let err = client
        .create::<_, Value>("pool", &json!({"name": "during-upgrade"}))
        .await
        .expect_err("403");
    assert_eq!(err.status(), Some(403));
    assert!(err.is_slow_retry(), "{err}");
    assert!(err.is_retryable());
    assert_eq!(sim.counters().total(Some("POST"), Some("pool")), 1);
    // Reads still work during an upgrade.
    let _: Vec<Value> = client.list("pool", &Query::new()).await.expect("read during upgrade");
    sim.set_upgrade_in_progress(false);
    let _: Value = client
        .create("pool", &json!({"name": "after-upgrade"}))
        .await
        .expect("create after upgrade");
    assert_eq!(sim.counters().writes(), 2, "avisim counts a request before it answers");
    sim.shutdown().await;
}

#[tokio::test]
async fn unreachable_controller_is_a_connect_error() {
    // A port that was just free: nothing listens there, so connecting is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let sim = sim().await;
    let mut cfg = config(&sim);
    cfg.controller = format!("https://{addr}");
    let err = Client::connect(cfg).await.expect_err("refused");
    assert!(matches!(err, Error::Transport { connect: true, .. }), "{err:?}");
    assert!(err.is_retryable());
    sim.shutdown().await;
}
