//! `ako run` end to end on what issue 13 found: deleting an application in a small cluster
//! removes its objects (a watched deletion is evidence, whatever its share of what the cluster
//! owns), and the periodic full sync repairs an object deleted on the controller out of band
//! while a period with nothing changed writes nothing. A real kube-apiserver (testenv), avisim
//! over HTTPS, the real `ako` binary; everything polled with a deadline.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use avi_client::Client;
use avisim::Avisim;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DeleteParams;
use serde_json::{Value, json};
use support::{AkoRun, create, eventually, scoped_namespace, slice, values_yaml};

const PASSWORD: &str = "Run-Deletes-Pw1";
const WAIT: Duration = Duration::from_secs(60);

/// The names of the objects of Avi type `kind` created by `ako-<cluster>`.
async fn owned(avi: &Client, cluster: &str, kind: &str) -> BTreeSet<String> {
    let observed = ako_sync::load_observed(avi, &ako_sync::Owner::new(cluster))
        .await
        .expect("read the controller");
    observed
        .iter()
        .filter(|(k, _)| k.kind.path() == kind)
        .map(|(k, _)| k.name.clone())
        .collect()
}

/// `ako run` with `values` (YAML) against `sim`.
fn ako(dir: &std::path::Path, values: &str, sim: &Avisim) -> AkoRun {
    let path = dir.join("values.yaml");
    std::fs::write(&path, values).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    AkoRun::start(dir, "ako", |cmd| {
        cmd.arg("--values")
            .arg(&path)
            .arg("--controller")
            .arg(sim.url())
            .arg("--ca-file")
            .arg(&ca)
            .env("AKO_CONTROLLER_USERNAME", support::USER)
            .env("AKO_CONTROLLER_PASSWORD", PASSWORD);
    })
}

fn lb_service(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "web", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_ingress_of_a_small_cluster_removes_its_objects() {
    const CLUSTER: &str = "del";
    let ns = scoped_namespace("run-del").await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), &values_yaml(CLUSTER, ns.name()), &sim);

    // One TLS Ingress with two hosts and one LoadBalancer Service: 15 objects on the controller.
    let hosts = [
        format!("a.{}.avi.internal", ns.name()),
        format!("b.{}.avi.internal", ns.name()),
    ];
    create::<Secret>(&ns, support::tls_secret("web-tls", &hosts[0], "kubernetes.io/tls")).await;
    create::<Service>(
        &ns,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
    )
    .await;
    create::<EndpointSlice>(&ns, slice("web-1", "web", &["10.5.0.1"])).await;
    let rules: Vec<Value> = hosts
        .iter()
        .map(|h| {
            json!({"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}})
        })
        .collect();
    create::<Ingress>(
        &ns,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {"ingressClassName": "avi-lb", "rules": rules,
            "tls": [{"hosts": hosts, "secretName": "web-tls"}]}}),
    )
    .await;
    create::<Service>(&ns, lb_service("pay")).await;
    create::<EndpointSlice>(&ns, slice("pay-1", "pay", &["10.5.0.2"])).await;

    let l4 = format!("{CLUSTER}--{}-pay", ns.name());
    let everything = eventually("the Ingress and the Service on the controller", WAIT, &run, || async {
        let vs = owned(&avi, CLUSTER, "virtualservice").await;
        (vs.len() == 4 && vs.contains(&l4)).then_some(vs)
    })
    .await;
    assert!(
        everything.contains(&format!("{CLUSTER}--Shared-L7-0")),
        "{everything:?}"
    );

    // The Ingress is deleted: everything it fed goes, although that is most of what the
    // cluster owns.
    ns.api::<Ingress>()
        .delete("web", &DeleteParams::default())
        .await
        .expect("delete the Ingress");
    eventually("the Ingress's objects deleted", WAIT, &run, || async {
        let vs = owned(&avi, CLUSTER, "virtualservice").await;
        let certs = owned(&avi, CLUSTER, "sslkeyandcertificate").await;
        let pools = owned(&avi, CLUSTER, "pool").await;
        (vs == BTreeSet::from([l4.clone()]) && certs.is_empty() && pools.len() == 1).then_some(())
    })
    .await;
    let log = run.log_text();
    assert!(!log.contains("refusing to delete"), "{log}");
    assert!(!log.contains("deletions held"), "{log}");
}

/// A warning on an Ingress that is served all the same (its backend Service does not exist) keeps
/// nothing of another Ingress of its shared VS from being deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_in_the_shared_vs_keeps_nothing_of_a_deleted_ingress() {
    const CLUSTER: &str = "delw";
    let ns = scoped_namespace("run-delw").await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), &values_yaml(CLUSTER, ns.name()), &sim);
    support::web_backend(&ns, &["10.5.0.1"]).await;
    for (name, service) in [("warned", "nosuch"), ("gone", "web")] {
        create::<Ingress>(
            &ns,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
                "spec": {"rules": [{"host": format!("{name}.{}.avi.internal", ns.name()), "http": {"paths": [
                    {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}}),
        )
        .await;
    }
    let pool_of = |name: &str| format!("-{}-{name}", ns.name());
    eventually("both Ingresses' pools", WAIT, &run, || async {
        let pools = owned(&avi, CLUSTER, "pool").await;
        (pools.iter().any(|p| p.ends_with(&pool_of("warned"))) && pools.iter().any(|p| p.ends_with(&pool_of("gone"))))
            .then_some(())
    })
    .await;
    ns.api::<Ingress>()
        .delete("gone", &DeleteParams::default())
        .await
        .expect("delete the Ingress");
    eventually(
        "the deleted Ingress's pool removed, the warned one's kept",
        WAIT,
        &run,
        || async {
            let pools = owned(&avi, CLUSTER, "pool").await;
            let warned = pools.iter().any(|p| p.ends_with(&pool_of("warned")));
            let gone = pools.iter().any(|p| p.ends_with(&pool_of("gone")));
            (warned && !gone).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_full_sync_repairs_drift_and_otherwise_writes_nothing() {
    const CLUSTER: &str = "resync";
    let ns = scoped_namespace("run-resync").await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let values =
        values_yaml(CLUSTER, ns.name()).replace("AKOSettings:\n", "AKOSettings:\n  fullSyncFrequency: \"2\"\n");
    let run = ako(dir.path(), &values, &sim);
    create::<Service>(&ns, lb_service("lb")).await;
    create::<EndpointSlice>(&ns, slice("lb-1", "lb", &["10.6.0.1"])).await;
    let vs = format!("{CLUSTER}--{}-lb", ns.name());
    eventually("the Service on the controller", WAIT, &run, || async {
        owned(&avi, CLUSTER, "virtualservice").await.contains(&vs).then_some(())
    })
    .await;

    // Two full syncs with nothing changed: not one write.
    support::no_writes_over_two_resyncs(&run, &sim, WAIT).await;

    // The VS deleted on the controller behind ako's back: the next full sync puts it back.
    let found: Value = avi
        .get_by_name("virtualservice", &vs)
        .await
        .expect("read")
        .expect("the VS");
    avi.delete("virtualservice", found["uuid"].as_str().unwrap())
        .await
        .expect("delete out of band");
    eventually("the VS repaired", WAIT, &run, || async {
        owned(&avi, CLUSTER, "virtualservice").await.contains(&vs).then_some(())
    })
    .await;
}
