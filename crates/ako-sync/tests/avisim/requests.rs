//! `Summary::requests`: every request the engine sent, by object type, method and result, checked
//! against what avisim itself counted (its per-method, per-type, per-status counters).

use std::collections::BTreeMap;

use ako_sync::{Observed, PlanOptions, RequestResult, Summary, SyncOptions, sync, sync_once};
use avi_model::ObjectType;
use avisim::Avisim;
use avisim::faults::Fault;

use crate::support::desired::{Svc, desired_keys, l4};
use crate::support::sim::{self, options, owner};

fn services(n: usize) -> Vec<Svc> {
    (0..n)
        .map(|i| Svc::new("shop", &format!("svc{i}")).port("TCP", 443, 8443))
        .collect()
}

type Tally = BTreeMap<(String, String, &'static str), usize>;

/// The class avisim's answer falls in, named as [`RequestResult`] names it.
fn class(status: u16) -> &'static str {
    match status {
        200..=299 => RequestResult::Success.as_str(),
        400..=499 => RequestResult::ClientError.as_str(),
        500..=599 => RequestResult::ServerError.as_str(),
        _ => RequestResult::Error.as_str(),
    }
}

/// What avisim received since its counters were reset, logins left out.
fn received(sim: &Avisim) -> Tally {
    let mut out = Tally::new();
    for row in sim.counters().rows {
        if matches!(row.object_type.as_str(), "login" | "logout") {
            continue;
        }
        *out.entry((row.object_type, row.method, class(row.status))).or_default() += row.count as usize;
    }
    out
}

/// What the engine says it sent.
fn sent(s: &Summary) -> Tally {
    s.requests
        .iter()
        .map(|(k, m, r, n)| ((k.path().to_owned(), m.to_owned(), r.as_str()), n))
        .collect()
}

#[tokio::test]
async fn creates_and_deletes_are_counted_as_the_controller_received_them() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(3));
    let n = desired_keys(&desired).len();
    sim.reset_counters();
    let mut observed = Observed::new(owner());
    let s = sync(&client, &desired, &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!(sent(&s), received(&sim), "{s}");
    assert_eq!(s.requests.total(), n, "one POST per object: {:?}", s.requests);
    assert_eq!(
        s.requests
            .get(ObjectType::VirtualService, "POST", RequestResult::Success),
        3
    );

    // One Service removed: its objects are deleted, one DELETE each.
    sim.reset_counters();
    let s = sync(&client, &l4(&services(2)), &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!(sent(&s), received(&sim), "{s}");
    assert_eq!(s.requests.total(), s.deleted, "{:?}", s.requests);
    assert_eq!(
        s.requests
            .get(ObjectType::VirtualService, "DELETE", RequestResult::Success),
        1
    );
    assert_eq!(
        s.requests
            .get(ObjectType::VirtualService, "POST", RequestResult::Success),
        0
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn failed_attempts_and_their_retries_are_counted() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(2));
    sim.reset_counters();
    // The client does not retry a POST answered 5xx: the later rounds of the sync do.
    sim.set_faults(vec![
        Fault::status(Some("POST"), Some("pool"), 503, "service unavailable").times(2),
    ]);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert!(s.rounds >= 2, "{s}");
    assert_eq!(
        s.requests.get(ObjectType::Pool, "POST", RequestResult::ServerError),
        2,
        "{:?}",
        s.requests
    );
    let pools = desired_keys(&desired)
        .iter()
        .filter(|(k, ..)| *k == ObjectType::Pool)
        .count();
    assert_eq!(
        s.requests.get(ObjectType::Pool, "POST", RequestResult::Success),
        pools,
        "{:?}",
        s.requests
    );
    // The observed state was loaded before the sync: those GETs are not the sync's.
    let mut got = received(&sim);
    got.retain(|(_, method, _), _| method != "GET");
    assert_eq!(sent(&s), got, "{s}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_adoption_counts_the_refused_post_the_read_and_the_put() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services(1));
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    let n = desired_keys(&desired).len();

    // An index that missed everything: every POST answers 409, then a GET by name and a PUT.
    sim.reset_counters();
    let mut empty = Observed::new(owner());
    let no_gc = SyncOptions {
        plan: PlanOptions::default(),
        ..options()
    };
    let s = sync(&client, &desired, &mut empty, &no_gc).await;
    assert!(s.converged, "{s}");
    assert_eq!(sent(&s), received(&sim), "{s}");
    for (method, result) in [
        ("POST", RequestResult::ClientError),
        ("GET", RequestResult::Success),
        ("PUT", RequestResult::Success),
    ] {
        let all: usize = s
            .requests
            .iter()
            .filter(|&(_, m, r, _)| m == method && r == result)
            .map(|(.., c)| c)
            .sum();
        assert_eq!(all, n, "{method} {result:?}: {:?}", s.requests);
    }
    sim.shutdown().await;
}
