//! `ako run` configured as AKO's chart configures AKO: no `--values`, no credential flags or
//! variables; the ConfigMap `avi-k8s-config` and the Secret `avi-secret` in the test namespace
//! (real kube-apiserver from testenv, avisim in-process, the real `ako` binary).
//! A bad key keeps the process up and is named in its log; fixing the ConfigMap converges.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::chart_config::{ako_in, configured_namespace, set_data};
use support::{AkoRun, USER, eventually};

const PASSWORD: &str = "Run-Config-Pw1";
const CLUSTER: &str = "e2ecfg";
const WAIT: Duration = Duration::from_secs(40);

/// A LoadBalancer Service `name` on port 80.
fn lb_service(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}})
}

/// The first Event with `reason` on the pod `ako-0`, once written.
async fn pod_event(
    events: &kube::Api<k8s_openapi::api::events::v1::Event>,
    reason: &str,
    ako: &AkoRun,
) -> k8s_openapi::api::events::v1::Event {
    eventually(&format!("the {reason} Event on the pod"), WAIT, ako, || async {
        let list = events.list(&Default::default()).await.ok()?.items;
        list.into_iter().find(|e| {
            e.reason.as_deref() == Some(reason) && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("ako-0")
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_by_configmap_and_secret_bad_key_is_logged_then_fixed_converges() {
    let (sim, avi) = support::avisim(PASSWORD).await;
    // The chart's Secret and a ConfigMap with a bad shardVSSize.
    let (ns, configmaps) = configured_namespace("run-cfg", CLUSTER, &sim, PASSWORD, "HUGE").await;

    let dir = tempfile::tempdir().unwrap();
    let ako = ako_in(dir.path(), "ako", ns.name());

    let services = ns.api::<Service>();
    let svc: Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}
    }))
    .unwrap();
    services.create(&PostParams::default(), &svc).await.expect("create");
    let slice: EndpointSlice = serde_json::from_value(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "lb-1", "labels": {"kubernetes.io/service-name": "lb"}},
        "addressType": "IPv4",
        "ports": [{"port": 5353, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.2.0.1"], "conditions": {"ready": true}}]
    }))
    .unwrap();
    ns.api::<EndpointSlice>()
        .create(&PostParams::default(), &slice)
        .await
        .expect("create the slice");

    // The bad key is named; the process stays up and touches nothing.
    eventually("the log naming shardVSSize", WAIT, &ako, || {
        let text = ako.log_text();
        async move { (text.contains("shardVSSize") && text.contains("HUGE")).then_some(()) }
    })
    .await;
    assert!(ako.exited().is_none(), "ako run keeps running");
    let vs_name = format!("{CLUSTER}--{}-lb", ns.name());
    let none: Option<Value> = avi.get_by_name("virtualservice", &vs_name).await.unwrap();
    assert!(none.is_none(), "nothing is synced with a bad configuration");

    // Fixed (beside a misspelt key, which is named with the key meant): the next re-read
    // converges, without a restart.
    set_data(&configmaps, json!({"shardVSSize": "SMALL", "enableRhi": "true"})).await;
    let vs: Value = eventually("the L4 VS", WAIT, &ako, || async {
        avi.get_by_name("virtualservice", &vs_name).await.ok()?
    })
    .await;
    assert_eq!(vs["created_by"], format!("ako-{CLUSTER}"));
    let status = eventually("the Service status", WAIT, &ako, || async {
        let svc = services.get("lb").await.ok()?;
        let list = svc.status?.load_balancer?.ingress?;
        (!list.is_empty()).then_some(list)
    })
    .await;
    let ip = status[0].ip.clone().unwrap_or_default();
    assert!(ip.starts_with("127.100."), "{status:?}");
    assert!(
        ako.log_text()
            .contains("enableRhi is not a key AKO reads: it is ignored (did you mean enableRHI?)"),
        "the misspelt key is named"
    );
    assert!(ako.exited().is_none(), "ako run still running");
    assert!(!ako.log_text().contains(PASSWORD), "the password is never logged");
}

/// Issue 13: a restart that finds the cluster empty while the controller holds this cluster's
/// objects holds the deletes (Warning Event on the pod), until `allowMassDeletion` is set in the
/// ConfigMap, which `ako run` watches: then they go, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_against_an_emptied_cluster_holds_deletes_until_the_configmap_allows_them() {
    use k8s_openapi::api::events::v1::Event;
    use kube::api::{DeleteParams, ListParams};

    let (sim, avi) = support::avisim(PASSWORD).await;
    let (ns, configmaps) = configured_namespace("run-hold", CLUSTER, &sim, PASSWORD, "SMALL").await;
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("lb{i}")).collect();
    for name in &names {
        support::create::<Service>(
            &ns,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
        )
        .await;
    }
    let count = || async {
        let observed = ako_sync::load_observed(&avi, &ako_sync::Owner::new(CLUSTER))
            .await
            .expect("read the controller");
        observed
            .iter()
            .filter(|(k, _)| k.kind == avi_model::ObjectType::VirtualService)
            .count()
    };
    {
        let first = ako_in(dir.path(), "first", ns.name());
        eventually("six virtual services", WAIT, &first, || async {
            (count().await == 6).then_some(())
        })
        .await;
    }

    // While no ako-rs runs, the Services go: nobody sees them deleted.
    for name in &names {
        ns.api::<Service>()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }
    let ako = ako_in(dir.path(), "second", ns.name());
    eventually("the hold in the log", WAIT, &ako, || async {
        ako.log_text().contains("deletions held").then_some(())
    })
    .await;
    assert_eq!(count().await, 6, "nothing deleted while held");
    let events = ns.api::<Event>();
    let held = eventually("the DeletionsHeld Event on the pod", WAIT, &ako, || async {
        let list = events.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|e| {
            e.reason.as_deref() == Some("DeletionsHeld")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("ako-0")
        })
    })
    .await;
    assert_eq!(held.type_.as_deref(), Some("Warning"));

    // Allowed in the ConfigMap: the deletes go, the process is the same.
    set_data(&configmaps, json!({"allowMassDeletion": "true"})).await;
    eventually("the virtual services deleted", WAIT, &ako, || async {
        (count().await == 0).then_some(())
    })
    .await;
    assert!(ako.exited().is_none());
    assert!(ako.log_text().contains("configuration changed"), "{}", ako.log_text());
}

/// Issue 15 (live settings): `logLevel` and `enableEvents` from the ConfigMap apply at start and
/// on change, without a restart (no `RUST_LOG`: it would win over `logLevel`); a setting that needs
/// a restart is named in a Warning Event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_level_and_events_follow_the_configmap_without_a_restart() {
    use k8s_openapi::api::events::v1::Event;
    use kube::api::ListParams;

    let (sim, avi) = support::avisim(PASSWORD).await;
    let (ns, configmaps) = configured_namespace("run-live", CLUSTER, &sim, PASSWORD, "SMALL").await;
    set_data(&configmaps, json!({"logLevel": "WARN", "enableEvents": "false"})).await;
    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::start(dir.path(), "ako", |cmd| {
        cmd.arg("--configmap").arg(format!("{}/avi-k8s-config", ns.name()));
        for name in ako_translate::settings_env::env_var_names().chain([
            "AKO_CONTROLLER",
            "AKO_CONTROLLER_USERNAME",
            "AKO_CONTROLLER_PASSWORD",
            "RUST_LOG",
        ]) {
            cmd.env_remove(name);
        }
        cmd.env("POD_NAMESPACE", ns.name()).env("POD_NAME", "ako-0");
    });
    support::create::<Service>(&ns, lb_service("lb")).await;
    let services = ns.api::<Service>();
    eventually("the Service status", WAIT, &ako, || async {
        let svc = services.get("lb").await.ok()?;
        (!svc.status?.load_balancer?.ingress?.is_empty()).then_some(())
    })
    .await;
    let vs = format!("{CLUSTER}--{}-lb", ns.name());
    assert!(avi.get_by_name::<Value>("virtualservice", &vs).await.unwrap().is_some());
    // WARN from the configuration on: its own INFO line is not written.
    let log = ako.log_text();
    assert!(!log.contains("configuration read"), "{log}");

    // DEBUG, live.
    set_data(&configmaps, json!({"logLevel": "DEBUG"})).await;
    eventually("DEBUG lines", WAIT, &ako, || async {
        ako.log_text().contains("DEBUG").then_some(())
    })
    .await;
    // Events were off all along: ako-rs wrote none (the API server's own controllers may, e.g.
    // its ClusterIP repair loop about the Service).
    let events = ns.api::<Event>();
    let list = events.list(&ListParams::default()).await.expect("events").items;
    let ours: Vec<&Event> = list
        .iter()
        .filter(|e| e.reporting_controller.as_deref() == Some("ako-rs"))
        .collect();
    assert!(ours.is_empty(), "{ours:?}");

    // Events on, live: the Service's Synced Event is written.
    set_data(&configmaps, json!({"enableEvents": "true"})).await;
    eventually("the Synced Event", WAIT, &ako, || async {
        let list = events.list(&ListParams::default()).await.ok()?.items;
        list.into_iter()
            .find(|e| {
                e.reason.as_deref() == Some("Synced")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("lb")
            })
            .map(drop)
    })
    .await;

    // A setting read once at start is named in a Warning Event on the pod, not silently ignored.
    set_data(&configmaps, json!({"apiServerPort": "8081"})).await;
    let restart = pod_event(&events, "RestartRequired", &ako).await;
    assert_eq!(restart.type_.as_deref(), Some("Warning"));
    assert!(
        restart
            .note
            .as_deref()
            .is_some_and(|n| n.contains("AKOSettings.apiServerPort")),
        "{restart:?}"
    );
    assert!(ako.exited().is_none(), "the same process");
}

/// Issue 15 (deleteConfig, live): `true` removes every object of this cluster from the controller
/// (and nothing else), its static routes and SE group label included, clears the Service's status
/// and reports `Started` then `Done` on the StatefulSet `ako` with Events on the pod; `false`
/// builds everything again and clears the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_config_removes_only_this_clusters_objects_and_false_brings_them_back() {
    use k8s_openapi::api::apps::v1::StatefulSet;
    use k8s_openapi::api::core::v1::Node;
    use k8s_openapi::api::events::v1::Event;
    use kube::api::{DeleteParams, ListParams};

    let (sim, avi) = support::avisim(PASSWORD).await;
    let (ns, configmaps) = configured_namespace("run-del", CLUSTER, &sim, PASSWORD, "SMALL").await;
    set_data(&configmaps, json!({"disableStaticRouteSync": "false"})).await;
    // The chart's StatefulSet (no controller runs it in testenv: only its annotations matter).
    support::create::<StatefulSet>(
        &ns,
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ako"},
            "spec": {"serviceName": "ako", "selector": {"matchLabels": {"app": "ako"}},
                "template": {"metadata": {"labels": {"app": "ako"}},
                    "spec": {"containers": [{"name": "ako", "image": "ako-rs"}]}}}}),
    )
    .await;
    // A Node (for a static route), another cluster's pool on the controller.
    let nodes: kube::Api<Node> = kube::Api::all(ns.client());
    let node_name = format!("{}-n", ns.name());
    let node: Node = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node_name}, "spec": {"podCIDR": "10.254.7.0/24", "podCIDRs": ["10.254.7.0/24"]}}))
    .unwrap();
    nodes
        .create(&PostParams::default(), &node)
        .await
        .expect("create the Node");
    let ip = json!({"status": {"addresses": [{"type": "InternalIP", "address": "10.9.7.1"}]}});
    nodes
        .patch_status(&node_name, &PatchParams::default(), &Patch::Merge(&ip))
        .await
        .expect("the Node's address");
    let foreign = json!({"name": "other--pool", "created_by": "ako-other",
        "markers": [{"key": "clustername", "values": ["other"]}]});
    let _: Value = avi.create("pool", &foreign).await.expect("another cluster's pool");

    let dir = tempfile::tempdir().unwrap();
    let ako = ako_in(dir.path(), "ako", ns.name());
    support::create::<Service>(&ns, lb_service("lb")).await;
    let services = ns.api::<Service>();
    let status = || async {
        let svc = services.get("lb").await.ok()?;
        Some(svc.status.and_then(|s| s.load_balancer?.ingress).unwrap_or_default())
    };
    let ours = || async {
        let mut names = Vec::new();
        for kind in ["virtualservice", "vsvip", "pool", "l4policyset"] {
            let list: Vec<Value> = avi
                .list(kind, &avi_client::Query::new().created_by(format!("ako-{CLUSTER}")))
                .await
                .ok()?;
            names.extend(
                list.iter()
                    .map(|o| format!("{kind} {}", o["name"].as_str().unwrap_or_default())),
            );
        }
        Some(names)
    };
    let routes = || async {
        let vrf: Value = avi.get_by_name("vrfcontext", "global").await.ok()??;
        let list = vrf["static_routes"].as_array().cloned().unwrap_or_default();
        Some(list.iter().filter(|r| r["labels"][0]["value"] == CLUSTER).count())
    };
    let group_labels = || async {
        let group: Value = avi.get_by_name("serviceenginegroup", "Default-Group").await.ok()??;
        Some(group["labels"].clone())
    };
    let annotation = || async {
        let sts = ns.api::<StatefulSet>().get("ako").await.ok()?;
        Some(
            sts.metadata
                .annotations
                .unwrap_or_default()
                .get("AviObjectDeletionStatus")
                .cloned(),
        )
    };
    eventually("the VS, status and route", WAIT, &ako, || async {
        let built = !ours().await?.is_empty() && !status().await?.is_empty() && routes().await? == 1;
        built.then_some(())
    })
    .await;
    assert_eq!(
        group_labels().await,
        Some(json!([{"key": "clustername", "value": CLUSTER}]))
    );

    // deleteConfig: everything of this cluster goes, and only that.
    set_data(&configmaps, json!({"deleteConfig": "true"})).await;
    eventually("deletion reported Done", WAIT, &ako, || async {
        (annotation().await? == Some("Done".to_owned())).then_some(())
    })
    .await;
    assert_eq!(ours().await, Some(vec![]), "nothing of this cluster is left");
    assert_eq!(status().await, Some(vec![]), "the Service's status is cleared");
    assert_eq!(routes().await, Some(0), "the static route is gone");
    assert_eq!(group_labels().await, Some(json!([])), "the SE group label is gone");
    let pool: Option<Value> = avi.get_by_name("pool", "other--pool").await.unwrap();
    assert!(pool.is_some(), "another cluster's pool is untouched");
    let events = ns.api::<Event>();
    let reasons = || async {
        let list = events.list(&ListParams::default()).await.expect("events").items;
        list.into_iter().filter_map(|e| e.reason).collect::<Vec<_>>()
    };
    let seen = reasons().await;
    for reason in ["AKODeleteConfigSet", "AKODeleteConfigDone"] {
        assert!(seen.iter().any(|r| r == reason), "{reason} in {seen:?}");
    }
    // Stays deleted: a change while deleteConfig is true (a full pass) builds nothing.
    let port = ako.admin_port(WAIT).await;
    let passes = || async {
        let (_, text) = support::get(port, "/metrics").await?;
        support::sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")
    };
    let before = passes().await.expect("pass count");
    let posts = sim.counters().total(Some("POST"), None);
    set_data(&configmaps, json!({"shardVSSize": "MEDIUM"})).await;
    eventually("a pass after the change", WAIT, &ako, || async {
        (passes().await? > before).then_some(())
    })
    .await;
    assert_eq!(
        sim.counters().total(Some("POST"), None),
        posts,
        "nothing created under deleteConfig"
    );

    // Back to false: everything is built again and the report is cleared.
    set_data(&configmaps, json!({"deleteConfig": "false"})).await;
    eventually("the VS, status, route and label back", WAIT, &ako, || async {
        let back = !ours().await?.is_empty()
            && !status().await?.is_empty()
            && routes().await? == 1
            && group_labels().await? == json!([{"key": "clustername", "value": CLUSTER}])
            && annotation().await?.is_none();
        back.then_some(())
    })
    .await;
    assert!(reasons().await.iter().any(|r| r == "AKODeleteConfigUnset"));
    assert!(ako.exited().is_none(), "the same process all along");
    let _ = nodes.delete(&node_name, &DeleteParams::default()).await;
}

/// Issue 15 (controller trust): with no CA anywhere, a controller whose certificate no system
/// root verifies (avisim's, like a controller's self-signed one) is trusted on first use, its
/// fingerprint recorded in the Secret `avi-controller-trust`; a controller presenting another
/// certificate at the same address later is refused, with a Warning Event on the pod, and gets
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_controller_is_trusted_on_first_use_and_another_certificate_refused() {
    use k8s_openapi::api::events::v1::Event;

    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sim = support::start_avisim(support::persistent_avisim(PASSWORD, first.path(), 0)).await;
    let port = sim.addr().port();
    let (ns, _) = configured_namespace("run-tofu", CLUSTER, &sim, PASSWORD, "SMALL").await;
    // No CA: the chart's Secret without certificateAuthorityData, and the chart's empty
    // avi-controller-trust.
    let secrets = ns.api::<Secret>();
    let patch = json!({"data": {"certificateAuthorityData": null}});
    secrets
        .patch("avi-secret", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("drop the CA");
    support::create::<Secret>(
        &ns,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "avi-controller-trust"}, "type": "Opaque"}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let ako = ako_in(dir.path(), "ako", ns.name());
    let services = ns.api::<Service>();
    support::create::<Service>(&ns, lb_service("lb")).await;
    eventually("the Service status (connected without a CA)", WAIT, &ako, || async {
        let svc = services.get("lb").await.ok()?;
        (!svc.status?.load_balancer?.ingress?.is_empty()).then_some(())
    })
    .await;
    let recorded = eventually("the recorded fingerprint", WAIT, &ako, || async {
        let data = secrets.get("avi-controller-trust").await.ok()?.data?;
        let text = |k: &str| String::from_utf8(data.get(k)?.0.clone()).ok();
        Some((text("controller")?, text("sha256")?))
    })
    .await;
    assert_eq!(recorded.0, sim.url());
    assert_eq!(recorded.1.len(), 64, "hex SHA-256: {}", recorded.1);
    assert!(
        ako.log_text().contains("trusting it on first use"),
        "{}",
        ako.log_text()
    );

    // Another controller, another certificate, the same address.
    sim.shutdown().await;
    let other = support::start_avisim(support::persistent_avisim(PASSWORD, second.path(), port)).await;
    support::create::<Service>(&ns, lb_service("lb2")).await;
    let refused = pod_event(&ns.api::<Event>(), "ControllerCertificateChanged", &ako).await;
    assert_eq!(refused.type_.as_deref(), Some("Warning"));
    let note = refused.note.unwrap_or_default();
    assert!(note.contains(&recorded.1), "names the trusted fingerprint: {note}");
    assert_eq!(other.counters().writes(), 0, "the other controller gets nothing");
    assert!(ako.exited().is_none(), "refused, not crashed");
}

/// Issue 15 (token login): an API token near its expiry in the Secret `avi-secret` is replaced
/// at start, as AKO does: a new token issued and written to the Secret, the old one revoked, and
/// the operator keeps syncing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_near_its_expiry_is_refreshed_in_the_secret() {
    let (sim, avi) = support::avisim(PASSWORD).await;
    let (ns, _) = configured_namespace("run-token", CLUSTER, &sim, PASSWORD, "SMALL").await;
    // A token with an hour left, instead of the password.
    let issued: Value = avi
        .request(
            avi_client::Method::POST,
            "api/user-token",
            &avi_client::Query::new(),
            Some(&json!({"hours": "1"})),
        )
        .await
        .expect("issue a short token");
    let old = issued["token"].as_str().unwrap().to_owned();
    let secrets = ns.api::<Secret>();
    let patch = json!({"data": {"password": null}, "stringData": {"authtoken": old}});
    secrets
        .patch("avi-secret", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("token instead of password");

    let dir = tempfile::tempdir().unwrap();
    let ako = ako_in(dir.path(), "ako", ns.name());
    let new = eventually("a new token in the Secret", WAIT, &ako, || async {
        let data = secrets.get("avi-secret").await.ok()?.data?;
        let token = String::from_utf8(data.get("authtoken")?.0.clone()).ok()?;
        (token != old).then_some(token)
    })
    .await;
    let login = |token: &str| {
        let config = avi_client::Config::new(sim.url(), USER, avi_client::Credential::token(token.to_owned()))
            .with_ca_pem(sim.ca_pem());
        avi_client::Client::connect(config)
    };
    assert!(login(&new).await.is_ok(), "the new token logs in");
    let refused = login(&old).await.expect_err("the old token is revoked");
    assert!(refused.is_invalid_credentials(), "{refused:?}");

    support::create::<Service>(&ns, lb_service("lb")).await;
    let vs = format!("{CLUSTER}--{}-lb", ns.name());
    eventually("still syncing", WAIT, &ako, || async {
        avi.get_by_name::<Value>("virtualservice", &vs).await.ok()?
    })
    .await;
    assert!(!ako.log_text().contains(&new), "the token is never logged");
}
