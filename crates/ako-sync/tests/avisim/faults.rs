//! Faults: 5xx bursts, dropped connections, latency, expired and invalidated sessions, a controller
//! restart in the middle of a sync, the slow-retry conditions, a rejected object, 412 and 404
//! on PUT. Every run must converge (or report exactly what failed) with no duplicates and no
//! leftovers.

use std::time::Duration;

use ako_sync::{Retry, sync, sync_once};
use avi_client::Client;
use avisim::faults::{Fault, FaultAction};
use avisim::{Avisim, SimConfig};

use crate::support::desired::{Host, Svc, desired_keys, l4, l7_model, merge, translation};
use crate::support::sim::{self, config, eventually, options, owner};

fn services(n: usize) -> Vec<Svc> {
    (0..n)
        .map(|i| Svc::new("shop", &format!("svc{i}")).port("UDP", 53, 5353))
        .collect()
}

/// The objects we own equal the desired ones (no duplicates, no leftovers).
async fn assert_exactly(client: &Client, desired: &ako_translate::Translation) {
    let observed = ako_sync::load_observed(client, &owner()).await.expect("load");
    let have: Vec<_> = observed
        .iter()
        .map(|(k, _)| (k.kind, k.tenant.clone(), k.name.clone()))
        .collect();
    assert_eq!(have, desired_keys(desired));
}

#[tokio::test]
async fn converges_through_a_burst_of_server_errors() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = merge(
        l4(&services(4)),
        translation([l7_model(
            "admin",
            "Shared-L7-0",
            &[Host::new("a.example.com", &[("10.3.0.1", 8443)])],
        )]),
    );
    // POSTs are never retried by the client on 5xx: the model must be retried by the sync.
    sim.set_faults(vec![
        Fault::status(Some("POST"), Some("pool"), 503, "service unavailable").times(4),
        Fault::status(Some("POST"), Some("virtualservice"), 500, "internal error").times(2),
        Fault::status(Some("PUT"), None, 502, "bad gateway").times(2),
        Fault::status(Some("POST"), Some("vsvip"), 500, "internal error")
            .rate(0.5)
            .times(3),
    ]);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert!(s.rounds >= 2, "retried in later rounds: {s}");
    sim.clear_faults();
    assert_exactly(&client, &desired).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn converges_when_connections_drop() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(3));
    sim.set_faults(vec![Fault {
        method: Some("POST".into()),
        object_type: Some("pool".into()),
        action: FaultAction::Drop,
        rate: 1.0,
        times: Some(3),
    }]);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert!(s.rounds >= 2, "{s}");
    assert_exactly(&client, &desired).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn converges_with_latency_and_lost_sessions() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    sim.set_latency(Duration::from_millis(20));
    let first = l4(&services(2));
    let (s, mut observed) = sync_once(&client, &first, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    sim.expire_sessions();
    let second = l4(&services(4));
    let s = sync(&client, &second, &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    sim.invalidate_sessions();
    let third = l4(&services(3));
    let s = sync(&client, &third, &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!(s.deleted, 5);
    sim.set_latency(Duration::ZERO);
    assert_exactly(&client, &third).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn converges_across_a_controller_restart_mid_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let sim_config = move |port: u16| SimConfig {
        listen: ([127, 0, 0, 1], port).into(),
        cert_dir: Some(path.join("certs")),
        state_file: Some(path.join("state.json")),
        ..SimConfig::local(sim::USER, sim::PASSWORD)
    };
    let sim = sim::start_with(sim_config(0)).await;
    let port = sim.addr().port();
    let (url, ca) = (sim.url(), sim.ca_pem());
    let client = Client::connect(config(&url, &ca)).await.unwrap();
    // Slow enough that the restart lands in the middle of the sync.
    sim.set_latency(Duration::from_millis(15));
    let desired = l4(&services(12));

    let restarter = tokio::spawn(async move {
        let started = eventually(Duration::from_secs(30), || {
            let writes = sim.counters().writes();
            async move { writes >= 15 }
        })
        .await;
        assert!(started, "the sync started writing");
        sim.shutdown().await;
        sim::start_with(sim_config(port)).await
    });
    let mut opts = options();
    opts.max_rounds = 12;
    let (s, _) = sync_once(&client, &desired, &owner(), &opts).await.unwrap();
    let sim: Avisim = restarter.await.unwrap();
    assert!(s.converged, "{s}");
    // The restarted controller (fresh counters) received the rest of the writes.
    assert!(sim.counters().writes() > 0, "the restart happened mid-sync: {s}");
    assert_exactly(&client, &desired).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn no_free_ip_and_upgrade_are_slow_retries() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(2));
    sim.set_faults(vec![
        Fault::status(Some("POST"), Some("vsvip"), 400, "No available free IPs").times(1),
    ]);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert!(s.rounds >= 2, "{s}");

    // An upgrade that outlasts the deadline: reported as slow, nothing written, no hot loop.
    sim.set_upgrade_in_progress(true);
    sim.reset_counters();
    let mut short = options();
    short.deadline = Some(Duration::from_millis(200));
    let (s, _) = sync_once(&client, &l4(&services(3)), &owner(), &short).await.unwrap();
    assert!(!s.converged);
    assert_eq!(s.rounds, 1, "the slow wait does not fit the deadline: {s}");
    assert!(
        !s.failed.is_empty() && s.failed.iter().all(|f| f.retry == Retry::Slow),
        "{s}"
    );
    assert!(
        s.failed[0]
            .message
            .contains("Configuration is disallowed during upgrade"),
        "{s}"
    );
    sim.set_upgrade_in_progress(false);
    let (s, _) = sync_once(&client, &l4(&services(3)), &owner(), &options())
        .await
        .unwrap();
    assert!(s.converged, "{s}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rejected_object_fails_its_model_and_nothing_that_depends_on_it() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(3));
    sim.set_faults(vec![
        Fault::status(
            Some("POST"),
            Some("pool"),
            400,
            "servers[0].port: must be at most 65535",
        )
        .times(1),
    ]);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(!s.converged);
    assert_eq!(s.failed.len(), 1, "{s}");
    let f = &s.failed[0];
    assert_eq!((f.verb, f.retry), ("create", Retry::Never));
    assert!(
        f.message.contains("HTTP 400: servers[0].port: must be at most 65535"),
        "{}",
        f.message
    );
    let svc = f.model.vs.trim_start_matches("c1--shop-");
    assert_eq!(
        f.sources,
        [ako_translate::ObjRef::new(ako_translate::Kind::Service, "shop", svc)]
    );
    assert_eq!(s.skipped, 2, "L4 policy set and VS not sent: {s}");
    assert_eq!(s.rounds, 1, "not retried: {s}");
    assert!(
        sim::get(&client, "admin", "l4policyset", &format!("c1--shop-{svc}"))
            .await
            .is_none()
    );
    assert!(
        sim::get(&client, "admin", "virtualservice", &format!("c1--shop-{svc}"))
            .await
            .is_none()
    );
    // The other two Services are complete.
    let vs = sim::names(&client, "virtualservice").await;
    assert_eq!(vs.len(), 2, "{vs:?}");
    sim.clear_faults();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert_exactly(&client, &desired).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_412_rereads_and_a_404_on_put_recreates() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let before = l4(&services(2));
    let (_, mut observed) = sync_once(&client, &before, &owner(), &options()).await.unwrap();
    let mut changed = services(2);
    changed[0] = changed[0].clone().endpoints(&["10.9.9.9"]);
    changed[1] = changed[1].clone().endpoints(&["10.9.9.8"]);
    sim.set_faults(vec![
        Fault::status(
            Some("PUT"),
            Some("pool"),
            412,
            "Concurrent Update Error: Need to reload object data Pool",
        )
        .times(1),
        Fault::status(Some("PUT"), Some("pool"), 404, "Pool object not found!").times(1),
    ]);
    sim.reset_counters();
    let s = sync(&client, &l4(&changed), &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!(s.rounds, 1, "handled in place: {s}");
    let c = sim.counters();
    assert!(
        c.total(Some("POST"), Some("pool")) >= 1,
        "the 404 led to a POST (409, adopted)"
    );
    assert_exactly(&client, &l4(&changed)).await;
    let pool = sim::get(&client, "admin", "pool", "c1--shop-svc0-TCP-80")
        .await
        .unwrap();
    assert_eq!(pool["servers"][0]["ip"]["addr"], "10.9.9.9");
    sim.shutdown().await;
}
