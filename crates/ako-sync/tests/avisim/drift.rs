//! Drift and ownership: objects deleted or edited out of band are repaired by a resync; an
//! object we own that the index missed is adopted with a PUT, not duplicated; objects of other
//! owners are never touched, even when their names look like ours, and a desired name taken by
//! one is a failure of that model only.

use ako_sync::{Observed, PlanOptions, Retry, SyncOptions, sync, sync_once};
use serde_json::{Value, json};

use crate::support::desired::{Host, Svc, desired_keys, l4, l7_model, merge, translation};
use crate::support::sim::{self, get, options, owner, write_log};

fn services() -> Vec<Svc> {
    (0..3).map(|i| Svc::new("shop", &format!("svc{i}"))).collect()
}

fn uuid(v: &Value) -> String {
    v["uuid"].as_str().expect("uuid").to_owned()
}

#[tokio::test]
async fn out_of_band_deletes_and_edits_are_repaired() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = merge(
        l4(&services()),
        translation([l7_model(
            "admin",
            "Shared-L7-0",
            &[Host::new("a.example.com", &[("10.3.0.1", 8443)])],
        )]),
    );
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");

    // A user deletes a VS, edits a pool's servers and an L4 policy set, deletes an SNI child.
    let vs = get(&client, "admin", "virtualservice", "c1--shop-svc0").await.unwrap();
    client.delete("virtualservice", &uuid(&vs)).await.unwrap();
    let mut pool = get(&client, "admin", "pool", "c1--shop-svc1-TCP-80").await.unwrap();
    pool["servers"][0]["port"] = json!(9999);
    let _: Value = client.update("pool", &uuid(&pool), &pool).await.unwrap();
    let mut l4ps = get(&client, "admin", "l4policyset", "c1--shop-svc2").await.unwrap();
    l4ps["l4_connection_policy"]["rules"][0]["match"]["port"]["ports"] = json!([8080]);
    let _: Value = client.update("l4policyset", &uuid(&l4ps), &l4ps).await.unwrap();
    let child = get(&client, "admin", "virtualservice", "c1--a.example.com")
        .await
        .unwrap();
    client.delete("virtualservice", &uuid(&child)).await.unwrap();

    sim.reset_counters();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    assert_eq!((s.created, s.updated, s.deleted), (2, 2, 0), "{s}");
    let repaired = get(&client, "admin", "pool", "c1--shop-svc1-TCP-80").await.unwrap();
    assert_eq!(repaired["servers"][0]["port"], json!(8080));
    assert!(get(&client, "admin", "virtualservice", "c1--shop-svc0").await.is_some());

    sim.reset_counters();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.created + s.updated + s.deleted == 0, "{s}");
    assert_eq!(sim.counters().writes(), 0);
    sim.shutdown().await;
}

/// A reload compared with the desired state as it is read (`ako run`'s periodic resync) keeps
/// only digests of the objects that hold their desired bodies, and the text of an object edited
/// out of band, whose repair follows.
#[tokio::test]
async fn a_reload_against_the_desired_state_keeps_digests_and_finds_edits() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services());
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    let mut pool = get(&client, "admin", "pool", "c1--shop-svc1-TCP-80").await.unwrap();
    pool["servers"][0]["port"] = json!(9999);
    let _: Value = client.update("pool", &uuid(&pool), &pool).await.unwrap();

    let mut observed = ako_sync::load_observed_against(&client, &owner(), &desired)
        .await
        .unwrap();
    let edited = ako_sync::ObjectKey::new(avi_model::ObjectType::Pool, "admin", "c1--shop-svc1-TCP-80");
    let untouched = ako_sync::ObjectKey::new(avi_model::ObjectType::Pool, "admin", "c1--shop-svc0-TCP-80");
    assert!(
        observed.get(&edited).unwrap().in_sync_with().is_none(),
        "the edited pool keeps its text"
    );
    assert!(observed.get(&untouched).unwrap().in_sync_with().is_some());
    sim.reset_counters();
    let s = sync(&client, &desired, &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!((s.created, s.updated, s.deleted), (0, 1, 0), "{s}");
    let repaired = get(&client, "admin", "pool", "c1--shop-svc1-TCP-80").await.unwrap();
    assert_eq!(repaired["servers"][0]["port"], json!(8080));
    assert!(
        observed.get(&edited).unwrap().in_sync_with().is_some(),
        "written again: only the digest is kept"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_owned_object_missing_from_the_index_is_adopted_not_duplicated() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = l4(&services());
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    let before = sim.object_count();

    // An index that missed everything: every create answers 409 and is adopted.
    sim.reset_counters();
    let mut empty = Observed::new(owner());
    let no_gc = SyncOptions {
        plan: PlanOptions::default(),
        ..options()
    };
    let s = sync(&client, &desired, &mut empty, &no_gc).await;
    assert!(s.converged, "{s}");
    let n = desired_keys(&desired).len();
    assert_eq!((s.created, s.updated), (0, n), "{s}");
    assert_eq!(sim.object_count(), before, "no duplicates");
    let c = sim.counters();
    assert_eq!(
        c.total(Some("POST"), None) - c.total(Some("POST"), Some("login")),
        n as u64
    );
    assert_eq!(c.total(Some("PUT"), None), n as u64);
    assert_eq!(empty.len(), n, "the index learnt every object");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_delete_of_an_object_already_gone_is_done() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let (_, mut observed) = sync_once(&client, &l4(&services()), &owner(), &options())
        .await
        .unwrap();
    // Someone removes svc2's VS after we read the index.
    let vs = get(&client, "admin", "virtualservice", "c1--shop-svc2").await.unwrap();
    client.delete("virtualservice", &uuid(&vs)).await.unwrap();
    let s = sync(&client, &l4(&services()[..2]), &mut observed, &options()).await;
    assert!(s.converged, "{s}");
    assert_eq!(s.deleted, 4, "{s}");
    assert!(get(&client, "admin", "vsvip", "c1--shop-svc2").await.is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn foreign_objects_are_never_touched() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    // Look-alikes: another cluster's VS, a terraform pool with our prefix, a VsVip with our
    // prefix claimed by cluster c2, and a pool holding a name we want.
    let foreign = [
        (
            "virtualservice",
            json!({"name": "c1--shop-legacy", "created_by": "ako-c2"}),
        ),
        (
            "pool",
            json!({"name": "c1--shop-legacy-TCP-80", "created_by": "terraform"}),
        ),
        (
            "vsvip",
            json!({"name": "c1--shop-legacy", "markers": [{"key": "clustername", "values": ["c2"]}]}),
        ),
        (
            "pool",
            json!({"name": "c1--shop-svc1-TCP-80", "created_by": "someone-else"}),
        ),
    ];
    let mut created = Vec::new();
    for (kind, body) in &foreign {
        let v: Value = client.create(kind, body).await.unwrap();
        created.push((*kind, v));
    }

    let s = sync_once(&client, &l4(&services()), &owner(), &options())
        .await
        .unwrap()
        .0;
    assert!(!s.converged, "{s}");
    assert_eq!(s.failed.len(), 1, "{s}");
    let f = &s.failed[0];
    assert_eq!(f.model, "admin/c1--shop-svc1");
    assert_eq!(f.retry, Retry::Never);
    assert!(
        f.message.contains("not ours (created_by: someone-else)"),
        "{}",
        f.message
    );
    assert_eq!(
        f.sources,
        [ako_translate::ObjRef::new(ako_translate::Kind::Service, "shop", "svc1")]
    );
    assert_eq!(s.skipped, 2, "its L4 policy set and VS are not sent: {s}");
    assert!(get(&client, "admin", "virtualservice", "c1--shop-svc1").await.is_none());
    assert!(get(&client, "admin", "virtualservice", "c1--shop-svc0").await.is_some());

    // And a sync that wants nothing at all (guard overridden) still leaves them alone.
    let mut allow = options();
    allow.plan.guard.allow_mass_delete = true;
    let s = sync_once(&client, &l4(&[]), &owner(), &allow).await.unwrap().0;
    assert!(s.converged, "{s}");
    for (kind, v) in &created {
        let now: Value = client.get(kind, &uuid(v)).await.expect("still there");
        assert_eq!(now["_last_modified"], v["_last_modified"], "{kind} untouched");
    }
    assert!(
        write_log(&sim)
            .iter()
            .all(|(_, _, path)| created.iter().all(|(_, v)| !path.contains(&uuid(v)))),
        "no write addressed a foreign object"
    );
    sim.shutdown().await;
}
