//! The reconcile loop as a feature: fabricated watch events in, avisim over HTTPS out.
//! Debounce, per-model retries, status-only changes, relists, and the deletion guard (issue 13:
//! deletes with evidence go ahead however large their share; a drop of inputs nobody saw
//! happen is held until the inputs return, the setting allows it, or time passes).

mod support;

use std::collections::BTreeSet;

use ako_translate::{Kind, ObjRef};
use avisim::Fault;
use serde_json::json;
use support::{World, ingress, ingress_class, lb_service, settings};

/// `n` LoadBalancer Services in namespace `ns` (with their EndpointSlices).
fn services(ns: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n).flat_map(|i| lb_service(ns, &format!("s{i}"))).collect()
}

fn vs_of(ns: &str, n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("ft--{ns}-s{i}")).collect()
}

#[tokio::test]
async fn a_burst_of_changes_is_one_pass_and_only_its_models_are_synced() {
    let mut w = World::start(settings("", ""), lb_service("app", "first")).await;
    let first = w.next_report().await;
    assert!(first.full && first.converged, "{first:?}");
    w.eventually_vs("the first Service", |v| v.contains("ft--app-first"))
        .await;

    // Twelve Services applied at once: one quiet period, one pass, twelve models.
    w.apply(services("app", 12));
    let passes = w
        .reports_until("the burst synced", |r| r.summary.created > 0 && r.converged)
        .await;
    let translating: Vec<_> = passes.iter().filter(|r| r.units > 0).collect();
    assert_eq!(translating.len(), 1, "one pass for the burst: {passes:#?}");
    assert_eq!(translating[0].models, 12, "only the new models are planned");
    let mut want = vs_of("app", 12);
    want.insert("ft--app-first".into());
    assert_eq!(w.virtual_services().await, want);
}

#[tokio::test]
async fn a_model_the_controller_cannot_take_now_is_retried_alone_until_it_can() {
    let mut w = World::start(settings("", ""), lb_service("app", "a")).await;
    w.reports_until("a synced", |r| r.converged).await;

    // The controller has no free IP for a while: b's VsVip cannot be created.
    w.sim().set_faults(vec![Fault::status(
        Some("POST"),
        Some("vsvip"),
        400,
        "No available free IPs",
    )]);
    w.apply(lb_service("app", "b"));
    let failed = w.reports_until("b failed", |r| !r.summary.failed.is_empty()).await;
    let f = &failed.last().unwrap().summary.failed[0];
    assert_eq!(f.model.vs, "ft--app-b", "{f}");
    assert!(f.message.contains("No available free IPs"), "{f}");

    // IPs again: b is retried on its own backoff, without any change in the cluster, and only
    // its model is planned.
    w.sim().clear_faults();
    let passes = w
        .reports_until("b retried", |r| r.converged && r.summary.created > 0)
        .await;
    let retry = passes.last().unwrap();
    assert_eq!((retry.units, retry.models), (0, 1), "{retry:?}");
    assert_eq!(
        w.virtual_services().await,
        BTreeSet::from(["ft--app-a".into(), "ft--app-b".into()])
    );
}

#[tokio::test]
async fn a_status_only_change_translates_nothing_and_the_status_is_written_back() {
    let mut w = World::start(settings("", ""), lb_service("app", "a")).await;
    w.reports_until("a synced", |r| r.converged).await;
    let svc = ObjRef::new(Kind::Service, "app", "a");
    let ours = w.cluster.get(&svc).unwrap()["status"].clone();
    assert!(ours["loadBalancer"]["ingress"][0]["ip"].is_string(), "{ours}");

    // Someone else overwrites the status: a status check, no translation, no controller write.
    let writes = w.sim().counters().writes();
    let mut tampered = w.cluster.get(&svc).unwrap();
    tampered["status"] = json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.99"}]}});
    w.apply(vec![tampered]);
    let mut passes = Vec::new();
    while !w_status_is(&w, &svc, &ours) {
        passes.push(w.next_report().await);
    }
    assert!(!passes.is_empty(), "the tampered status was seen");
    assert!(passes.iter().all(|r| r.units == 0 && r.models == 0), "{passes:#?}");
    assert_eq!(w.sim().counters().writes(), writes, "nothing sent to the controller");
}

fn w_status_is(w: &World, svc: &ObjRef, want: &serde_json::Value) -> bool {
    w.cluster.get(svc).is_some_and(|o| o["status"] == *want)
}

#[tokio::test]
async fn deleting_an_application_in_a_small_cluster_deletes_its_objects() {
    // Issue 13: one TLS Ingress and one LoadBalancer Service; deleting the Ingress (11 of the
    // 15 objects) must remove them, the watch having said it was deleted.
    let mut objects = vec![ingress_class()];
    objects.extend(ingress("shop", "web", "shop.avi.internal", "web", Some("web-tls")));
    objects.extend(lb_service("shop", "pay"));
    let mut w = World::start(settings("", ""), objects).await;
    w.reports_until("synced", |r| r.converged).await;
    let before = w.virtual_services().await;
    assert_eq!(
        before,
        BTreeSet::from([
            "ft--Shared-L7-0".into(),
            "ft--shop-pay".into(),
            "ft--shop.avi.internal".into()
        ])
    );
    w.cluster.delete(&ObjRef::new(Kind::Ingress, "shop", "web"));
    w.eventually_vs("the Ingress's virtual services deleted", |v| {
        *v == BTreeSet::from(["ft--shop-pay".to_owned()])
    })
    .await;
    assert!(w.owned("sslkeyandcertificate").await.is_empty());
    assert_eq!(
        w.owned("pool").await,
        BTreeSet::from(["ft--shop-pay-TCP-80".to_owned()])
    );
    let held = w
        .cluster
        .events()
        .into_iter()
        .filter(|e| e.reason == "DeletionsHeld")
        .count();
    assert_eq!(held, 0, "nothing held");
}

#[tokio::test]
async fn a_relist_that_drops_most_services_is_held_until_they_return() {
    let mut w = World::start(settings("", ""), services("app", 20)).await;
    w.reports_until("synced", |r| r.converged).await;
    assert_eq!(w.virtual_services().await, vs_of("app", 20));

    // A relist answered without 18 of the 20 Services: nobody saw them deleted.
    let missing: BTreeSet<ObjRef> = (2..20)
        .map(|i| ObjRef::new(Kind::Service, "app", format!("s{i}")))
        .collect();
    w.cluster.list_without(Kind::Service, &missing);
    let held = w.reports_until("held", |r| r.held.is_some()).await;
    let text = held.last().unwrap().held.clone().unwrap();
    assert!(text.contains("18 of the 20"), "{text}");
    let events = w.cluster.events();
    let event = events.iter().find(|e| e.reason == "DeletionsHeld").expect("an Event");
    assert!(event.warning && event.regarding == "Pod ako/ako-0", "{event:?}");
    assert_eq!(w.virtual_services().await, vs_of("app", 20), "nothing deleted");
    let metrics = w.admin.metrics.render();
    assert!(
        metrics.contains("ako_deletions_held{reason=\"inputs_dropped\"} 18\n"),
        "{metrics}"
    );
    let status = w.admin.status();
    assert_eq!(status["deletions_held"]["reason"], "inputs_dropped", "{status}");
    assert_eq!(status["deletions_held"]["roots"].as_array().unwrap().len(), 18);

    // The next list has them again: the hold ends, nothing was deleted.
    w.cluster.list(Kind::Service);
    w.reports_until("released", |r| r.held.is_none() && r.converged).await;
    assert_eq!(w.virtual_services().await, vs_of("app", 20));
    assert!(w.admin.status()["deletions_held"].is_null());
    assert!(!w.admin.metrics.render().contains("ako_deletions_held{"));
    assert!(w.cluster.events().iter().any(|e| e.reason == "DeletionsReleased"));

    // A relist that misses one is an ordinary deletion.
    let one = BTreeSet::from([ObjRef::new(Kind::Service, "app", "s7")]);
    w.cluster.list_without(Kind::Service, &one);
    let mut want = vs_of("app", 20);
    want.remove("ft--app-s7");
    w.eventually_vs("s7 deleted", |v| *v == want).await;
}

#[tokio::test]
async fn a_hold_that_falls_below_the_threshold_lets_the_rest_go() {
    let mut w = World::start(settings("", ""), services("app", 10)).await;
    w.reports_until("synced", |r| r.converged).await;
    // Six of ten vanish: held (at least 5, more than half).
    let six: BTreeSet<ObjRef> = (0..6)
        .map(|i| ObjRef::new(Kind::Service, "app", format!("s{i}")))
        .collect();
    w.cluster.list_without(Kind::Service, &six);
    w.reports_until("held", |r| r.held.is_some()).await;
    // One comes back: five lost of ten is no longer more than half. The hold ends, and the
    // five models it froze without translating them now are translated and deleted.
    let five: BTreeSet<ObjRef> = (1..6)
        .map(|i| ObjRef::new(Kind::Service, "app", format!("s{i}")))
        .collect();
    w.cluster.list_without(Kind::Service, &five);
    let mut want = vs_of("app", 10);
    for i in 1..6 {
        want.remove(&format!("ft--app-s{i}"));
    }
    w.eventually_vs("the five deleted", |v| *v == want).await;
    w.reports_until("no hold", |r| r.held.is_none()).await;
}

#[tokio::test]
async fn allow_mass_deletion_releases_a_hold_at_once() {
    let mut w = World::start(settings("", ""), services("app", 10)).await;
    w.reports_until("synced", |r| r.converged).await;
    let missing: BTreeSet<ObjRef> = (0..9)
        .map(|i| ObjRef::new(Kind::Service, "app", format!("s{i}")))
        .collect();
    w.cluster.list_without(Kind::Service, &missing);
    w.reports_until("held", |r| r.held.is_some()).await;

    // The ConfigMap says so (live): the deletes go ahead.
    w.settings
        .send(settings("  allowMassDeletion: true\n", ""))
        .expect("the loop listens");
    w.eventually_vs("nine deleted", |v| *v == BTreeSet::from(["ft--app-s9".to_owned()]))
        .await;
}

#[tokio::test]
async fn a_restart_against_an_empty_cluster_is_held_then_released_after_the_hold_period() {
    let mut first = World::start(settings("", ""), services("app", 12)).await;
    first.reports_until("synced", |r| r.converged).await;
    let sim = first.stop();

    // Started again on a cluster that (wrongly) lists nothing: the controller is not emptied.
    let mut w = World::start_on(sim, settings("  massDeletionHoldSeconds: 2\n", ""), vec![]).await;
    let start = w.next_report().await;
    let text = start.held.clone().expect("held at start");
    assert!(text.contains("at start"), "{text}");
    assert_eq!(start.summary.deleted, 0);
    assert_eq!(w.virtual_services().await, vs_of("app", 12));

    // Two seconds of the same state: what the cluster says goes.
    let released = w.reports_until("released", |r| r.held.is_none()).await;
    assert_eq!(
        released.last().unwrap().summary.deleted,
        48,
        "12 × VS, VsVip, pool, L4 policy set"
    );
    assert!(w.virtual_services().await.is_empty());
    assert!(w.cluster.events().iter().any(|e| e.reason == "DeletionsReleased"));
}
