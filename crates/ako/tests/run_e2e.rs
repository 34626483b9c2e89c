//! `ako run` end to end: a real kube-apiserver (testenv), avisim in-process over HTTPS, and the
//! real `ako` binary as a child process watching the cluster. Each test has its own namespace,
//! its own avisim and its own `ako run`, scoped to that namespace with `namespaceSelector` so
//! tests running in parallel on one API server do not see each other's objects.
//!
//! Everything is observed by polling with a deadline (the API server or the controller), never
//! by sleeping a fixed time.

mod support;

use std::future::Future;
use std::time::Duration;

use ako_testenv::{FIELD_MANAGER, TestNamespace};
use avi_client::{Client, Query};
use avisim::Avisim;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually, scoped_namespace, slice};

const PASSWORD: &str = "Run-E2e-Pw1";
const CLUSTER: &str = "e2e";
const WAIT: Duration = Duration::from_secs(30);

/// One test's world: its namespace, its controller simulator and its `ako run`.
struct World {
    ns: TestNamespace,
    // Dropped first: `ako run` stops before the simulator it talks to.
    ako: AkoRun,
    /// Kept alive for the test's duration.
    _sim: Avisim,
    avi: Client,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start(prefix: &str) -> World {
        let (sim, avi) = support::avisim(PASSWORD).await;
        let ns = scoped_namespace(prefix).await;
        let dir = tempfile::tempdir().unwrap();
        let ako = AkoRun::with_values(
            dir.path(),
            "ako",
            CLUSTER,
            ns.name(),
            &sim.url(),
            &sim.ca_pem(),
            PASSWORD,
        );
        World {
            ns,
            ako,
            _sim: sim,
            avi,
            _dir: dir,
        }
    }

    /// Poll `probe` until it yields a value; fail with `what` and ako's log after [`WAIT`].
    async fn eventually<T, F, Fut>(&self, what: &str, probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        eventually(what, WAIT, &self.ako, probe).await
    }

    fn log_text(&self) -> String {
        self.ako.log_text()
    }

    /// Objects of `kind` on avisim whose name contains this test's namespace.
    async fn avi_objects(&self, kind: &str) -> Vec<Value> {
        self.avi
            .list_raw(kind, &Query::new().name_contains(self.ns.name()))
            .await
            .unwrap_or_default()
    }

    async fn create<K>(&self, body: Value) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        support::create(&self.ns, body).await
    }
}

/// The servers (addresses) of a pool body, sorted.
fn servers(pool: &Value) -> Vec<String> {
    let mut out: Vec<String> = pool["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/ip/addr").and_then(Value::as_str).map(str::to_owned))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_gets_vs_pool_and_status_members_follow_and_delete_removes_pool() {
    let w = World::start("run-ing").await;
    w.create::<Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}
    }))
    .await;
    w.create::<EndpointSlice>(slice("web-1", "web", &["10.1.0.1", "10.1.0.2"]))
        .await;
    w.create::<Ingress>(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"ingressClassName": "avi-lb", "rules": [{"host": "web.avi.internal", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    }))
    .await;

    // (a) the pool with both endpoints and the shared VS appear on the controller …
    let pool = w
        .eventually("the Ingress's pool with two servers", || async {
            let pools = w.avi_objects("pool").await;
            pools.into_iter().find(|p| servers(p).len() == 2)
        })
        .await;
    assert_eq!(servers(&pool), ["10.1.0.1", "10.1.0.2"]);
    let pool_name = pool["name"].as_str().unwrap().to_owned();
    // Pools are written before the VS that uses them: wait for the parent too.
    let vses: Vec<Value> = w
        .eventually("the shared parent VS", || async {
            let vses: Vec<Value> = w
                .avi
                .list_raw(
                    "virtualservice",
                    &Query::new().name_contains(format!("{CLUSTER}--Shared-L7")),
                )
                .await
                .ok()?;
            (!vses.is_empty()).then_some(vses)
        })
        .await;
    assert_eq!(vses.len(), 1, "one shared parent VS: {vses:?}");
    assert_eq!(vses[0]["created_by"], format!("ako-{CLUSTER}"));

    // … and the Ingress status carries avisim's IPAM address for its host.
    let ingresses = w.ns.api::<Ingress>();
    let status = w
        .eventually("the Ingress status", || async {
            let ing = ingresses.get("web").await.ok()?;
            let list = ing.status?.load_balancer?.ingress?;
            (!list.is_empty()).then_some(list)
        })
        .await;
    assert_eq!(status.len(), 1, "{status:?}");
    assert!(
        status[0].ip.as_deref().unwrap_or("").starts_with("127.100."),
        "{status:?}"
    );
    assert_eq!(status[0].hostname.as_deref(), Some("web.avi.internal"));

    // (c) endpoints scale: the pool's servers follow.
    let slices = w.ns.api::<EndpointSlice>();
    let scaled: EndpointSlice =
        serde_json::from_value(slice("web-1", "web", &["10.1.0.1", "10.1.0.2", "10.1.0.3"])).unwrap();
    slices
        .patch(
            "web-1",
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&scaled),
        )
        .await
        .expect("scale the slice");
    let scaled_servers = w
        .eventually("three servers in the pool", || async {
            let pool: Value = w.avi.get_by_name("pool", &pool_name).await.ok()??;
            let s = servers(&pool);
            (s.len() == 3).then_some(s)
        })
        .await;
    assert_eq!(scaled_servers, ["10.1.0.1", "10.1.0.2", "10.1.0.3"]);

    // (d) the Ingress deleted: its pool goes.
    ingresses.delete("web", &DeleteParams::default()).await.expect("delete");
    w.eventually("the pool deleted", || async {
        let pool: Option<Value> = w.avi.get_by_name("pool", &pool_name).await.ok()?;
        pool.is_none().then_some(())
    })
    .await;
    assert!(!w.log_text().contains(PASSWORD), "the password is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancer_service_gets_l4_vs_and_status() {
    let w = World::start("run-l4").await;
    w.create::<Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}
    }))
    .await;
    w.create::<EndpointSlice>(slice("lb-1", "lb", &["10.2.0.1"])).await;

    let vs_name = format!("{CLUSTER}--{}-lb", w.ns.name());
    let vs: Value = w
        .eventually("the L4 VS", || async {
            w.avi.get_by_name("virtualservice", &vs_name).await.ok()?
        })
        .await;
    assert_eq!(vs["created_by"], format!("ako-{CLUSTER}"));
    let services = w.ns.api::<Service>();
    let status = w
        .eventually("the Service status", || async {
            let svc = services.get("lb").await.ok()?;
            let list = svc.status?.load_balancer?.ingress?;
            (!list.is_empty()).then_some(list)
        })
        .await;
    assert_eq!(status.len(), 1, "{status:?}");
    let ip = status[0].ip.clone().unwrap_or_default();
    assert!(ip.starts_with("127.100."), "{status:?}");
    let vsvip: Value = w.avi.get_by_name("vsvip", &vs_name).await.unwrap().expect("vsvip");
    assert_eq!(vsvip["vip"][0]["ip_address"]["addr"], ip.as_str());
}

/// The events.k8s.io/v1 Events about `name` in the test's namespace: `(type, reason, note)`.
async fn events_of(w: &World, name: &str) -> Vec<(String, String, String)> {
    let events = w.ns.api::<k8s_openapi::api::events::v1::Event>();
    let list = events
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    list.into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| {
            (
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.note.unwrap_or_default(),
            )
        })
        .collect()
}

fn ingress(name: &str, host: &str, port: i32) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
        "spec": {"ingressClassName": "avi-lb", "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web", "port": {"number": port}}}}]}}]}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ingress_gets_a_warning_event_and_the_good_one_synced() {
    let w = World::start("run-ev").await;
    w.create::<Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}
    }))
    .await;
    w.create::<EndpointSlice>(slice("web-1", "web", &["10.3.0.1"])).await;
    w.create::<Ingress>(ingress("good", "good.avi.internal", 80)).await;
    w.create::<Ingress>(ingress("bad", "bad.avi.internal", 81)).await;

    // The bad Ingress: a Warning with the reason.
    let warning = w
        .eventually("a TranslationFailed Event on the bad Ingress", || async {
            events_of(&w, "bad")
                .await
                .into_iter()
                .find(|(_, reason, _)| reason == "TranslationFailed")
        })
        .await;
    assert_eq!(warning.0, "Warning");
    assert!(warning.2.contains("has no port 81"), "{warning:?}");

    // The good one: its status IP, and a Synced Event naming it.
    let ingresses = w.ns.api::<Ingress>();
    let ip = w
        .eventually("the good Ingress's status", || async {
            let ing = ingresses.get("good").await.ok()?;
            ing.status?.load_balancer?.ingress?.first()?.ip.clone()
        })
        .await;
    let synced = w
        .eventually("a Synced Event on the good Ingress", || async {
            events_of(&w, "good")
                .await
                .into_iter()
                .find(|(_, reason, _)| reason == "Synced")
        })
        .await;
    assert_eq!(synced.0, "Normal");
    assert!(synced.2.contains(&format!("VIP {ip}")), "{synced:?} {ip}");

    // Fixed: the bad one gets Synced; the good one is not told again what it already knows.
    ingresses
        .patch(
            "bad",
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&serde_json::from_value::<Ingress>(ingress("bad", "bad.avi.internal", 80)).unwrap()),
        )
        .await
        .expect("fix the bad Ingress");
    w.eventually("a Synced Event on the fixed Ingress", || async {
        events_of(&w, "bad")
            .await
            .into_iter()
            .find(|(_, reason, _)| reason == "Synced")
    })
    .await;
    let good = events_of(&w, "good").await;
    assert_eq!(good.len(), 1, "the good Ingress got one Event: {good:?}");
    assert!(!w.log_text().contains("cannot write event"), "{}", w.log_text());
}

/// One sample of ako's `/metrics`.
async fn metric(port: u16, series: &str) -> Option<f64> {
    let (_, text) = support::get(port, "/metrics").await?;
    support::sample(&text, series)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_syncs_only_its_model_and_only_named_secrets_are_held() {
    let w = World::start("run-inc").await;
    let port = w.ako.admin_port(WAIT).await;
    for name in ["a", "b", "c"] {
        w.create::<Service>(json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
        }))
        .await;
        w.create::<EndpointSlice>(slice(&format!("{name}-1"), name, &["10.3.0.1"]))
            .await;
    }
    // Two Secrets with a certificate; only one is named by an Ingress. It is Opaque: AKO serves
    // any Secret with tls.crt and tls.key, not only those of type kubernetes.io/tls.
    let host = format!("inc.{}.avi.internal", w.ns.name());
    w.create::<k8s_openapi::api::core::v1::Secret>(support::tls_secret("spare", &host, "kubernetes.io/tls"))
        .await;
    w.create::<k8s_openapi::api::core::v1::Secret>(support::tls_secret("used", &host, "Opaque"))
        .await;
    let mut ing = ingress("web", &host, 80);
    ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = json!("a");
    ing["spec"]["tls"] = json!([{"hosts": [host], "secretName": "used"}]);
    w.create::<Ingress>(ing).await;
    let ingresses = w.ns.api::<Ingress>();
    w.eventually("the TLS Ingress's status", || async {
        let i = ingresses.get("web").await.ok()?;
        (!i.status?.load_balancer?.ingress?.is_empty()).then_some(())
    })
    .await;
    for name in ["a", "b", "c"] {
        let vs = format!("{CLUSTER}--{}-{name}", w.ns.name());
        w.eventually("every L4 VS", || async {
            w.avi.get_by_name::<Value>("virtualservice", &vs).await.ok()?
        })
        .await;
    }
    assert_eq!(
        metric(port, "ako_cached_objects{kind=\"Secret\"}").await,
        Some(1.0),
        "only the Secret an Ingress names is held"
    );

    // Steady state, then one EndpointSlice of Service b changes: one model is synced.
    let synced = || metric(port, "ako_models_synced_total");
    let before = w
        .eventually("a quiet queue", || async {
            let queued = metric(port, "ako_queue_depth").await?;
            let retries = metric(port, "ako_retries_pending").await?;
            (queued == 0.0 && retries == 0.0).then_some(())?;
            synced().await
        })
        .await;
    let slices = w.ns.api::<EndpointSlice>();
    slices
        .patch(
            "b-1",
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(slice("b-1", "b", &["10.3.0.1", "10.3.0.2"])),
        )
        .await
        .expect("scale b");
    let pool = format!("{CLUSTER}--{}-b-TCP-80", w.ns.name());
    w.eventually("b's pool with two servers", || async {
        let p: Value = w.avi.get_by_name("pool", &pool).await.ok()??;
        (servers(&p).len() == 2).then_some(())
    })
    .await;
    let after = synced().await.expect("the counter");
    assert_eq!(
        after - before,
        1.0,
        "one EndpointSlice change syncs one model\n{}",
        w.log_text()
    );

    // The Secret named by the Ingress changes: the certificate on the controller follows.
    let cert_name = format!("{CLUSTER}--{host}");
    let first = w
        .eventually("the certificate", || async {
            let c: Value = w.avi.get_by_name("sslkeyandcertificate", &cert_name).await.ok()??;
            c["certificate"]["certificate"].as_str().map(str::to_owned)
        })
        .await;
    w.ns.api::<k8s_openapi::api::core::v1::Secret>()
        .patch(
            "used",
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(support::tls_secret("used", &host, "Opaque")),
        )
        .await
        .expect("rotate the certificate");
    w.eventually("the rotated certificate on the controller", || async {
        let c: Value = w.avi.get_by_name("sslkeyandcertificate", &cert_name).await.ok()??;
        let now = c["certificate"]["certificate"].as_str()?;
        (now != first).then_some(())
    })
    .await;
}

/// Issue 15: AKO's annotations on what it serves. An Ingress with a plain and a TLS host names
/// the shared parent's and the SNI child's uuids, the controller cluster's uuid and the tenant;
/// a LoadBalancer Service its FQDN's VS; a host dropped from the Ingress leaves the map; an
/// Ingress no longer served loses the annotations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_objects_carry_akos_annotations() {
    use k8s_openapi::api::core::v1::Secret;

    let w = World::start("run-ann").await;
    let plain = format!("plain.{}.avi.internal", w.ns.name());
    let secure = format!("secure.{}.avi.internal", w.ns.name());
    w.create::<Service>(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
    )
    .await;
    w.create::<Secret>(support::tls_secret("tls", &secure, "kubernetes.io/tls"))
        .await;
    let rule = |host: &str| {
        json!({"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}})
    };
    w.create::<Ingress>(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"tls": [{"hosts": [secure], "secretName": "tls"}], "rules": [rule(&plain), rule(&secure)]}}),
    )
    .await;
    w.create::<Service>(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}}),
    )
    .await;

    let uuid = |name: String| {
        let avi = w.avi.clone();
        async move {
            let vs: Value = avi.get_by_name("virtualservice", &name).await.ok()??;
            Some(vs["uuid"].as_str()?.to_owned())
        }
    };
    let cluster: Value = w
        .avi
        .request::<(), Value>(avi_client::Method::GET, "api/cluster", &Query::new(), None)
        .await
        .expect("the controller cluster");
    let annotations = |kind: &'static str, name: &'static str| {
        let ns = w.ns.name().to_owned();
        let client = w.ns.client();
        async move {
            let meta = match kind {
                "Ingress" => {
                    kube::Api::<Ingress>::namespaced(client, &ns)
                        .get(name)
                        .await
                        .ok()?
                        .metadata
                }
                _ => {
                    kube::Api::<Service>::namespaced(client, &ns)
                        .get(name)
                        .await
                        .ok()?
                        .metadata
                }
            };
            Some(meta.annotations.unwrap_or_default())
        }
    };
    let parent = w
        .eventually("the parent VS", || uuid(format!("{CLUSTER}--Shared-L7-0")))
        .await;
    let child = w
        .eventually("the SNI child", || uuid(format!("{CLUSTER}--{secure}")))
        .await;
    let expected = json!({plain.clone(): parent, secure.clone(): child}).to_string();
    let ing = w
        .eventually("the Ingress's annotations", || async {
            let a = annotations("Ingress", "web").await?;
            (a.get("ako.vmware.com/host-fqdn-vs-uuid-map") == Some(&expected)).then_some(a)
        })
        .await;
    assert_eq!(
        ing["ako.vmware.com/controller-cluster-uuid"],
        cluster["uuid"].as_str().unwrap()
    );
    assert_eq!(ing["ako.vmware.com/tenant-name"], "admin");

    let l4 = w
        .eventually("the L4 VS", || uuid(format!("{CLUSTER}--{}-lb", w.ns.name())))
        .await;
    let svc = w
        .eventually("the Service's annotations", || async {
            let a = annotations("Service", "lb").await?;
            a.get("ako.vmware.com/host-fqdn-vs-uuid-map").cloned().map(|m| (m, a))
        })
        .await;
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&svc.0).unwrap();
    assert_eq!(
        map.values().collect::<Vec<_>>(),
        [&l4],
        "the Service's FQDN → its VS: {map:?}"
    );

    // The plain host goes: only the TLS host is left in the map.
    let patch = json!({"spec": {"rules": [rule(&secure)]}});
    w.ns.api::<Ingress>()
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("drop the plain host");
    let expected = json!({secure.clone(): child}).to_string();
    w.eventually("the map without the plain host", || async {
        let a = annotations("Ingress", "web").await?;
        (a.get("ako.vmware.com/host-fqdn-vs-uuid-map") == Some(&expected)).then_some(())
    })
    .await;
    // Not served any more (another class): the annotations go.
    let patch = json!({"spec": {"ingressClassName": "nginx"}});
    w.ns.api::<Ingress>()
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("another class");
    w.eventually("no annotations", || async {
        let a = annotations("Ingress", "web").await?;
        (!a.keys().any(|k| k.starts_with("ako.vmware.com/"))).then_some(())
    })
    .await;
}

/// Issue 15: under NodePortLocal, the Services ako-rs serves (an Ingress's backend, a
/// LoadBalancer Service) are annotated `nodeportlocal.antrea.io/enabled: "true"` so that Antrea
/// gives their pods node ports; the backend loses it once no Ingress uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_port_local_services_are_annotated_for_antrea() {
    const NPL: &str = "nodeportlocal.antrea.io/enabled";
    let (sim, _avi) = support::avisim(PASSWORD).await;
    let ns = scoped_namespace("run-npl").await;
    let dir = tempfile::tempdir().unwrap();
    let values = support::values_yaml(CLUSTER, ns.name())
        .replace("serviceType: ClusterIP", "serviceType: NodePortLocal")
        .replace("AKOSettings:\n", "AKOSettings:\n  cniPlugin: antrea\n");
    let ako = AkoRun::with_yaml(dir.path(), "ako", &values, &sim.url(), &sim.ca_pem(), PASSWORD, |_| {});
    for (name, type_) in [("web", "ClusterIP"), ("other", "ClusterIP"), ("lb", "LoadBalancer")] {
        support::create::<Service>(
            &ns,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"type": type_, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
        )
        .await;
    }
    let host = format!("npl.{}.avi.internal", ns.name());
    support::create::<Ingress>(&ns, ingress("web", &host, 80)).await;
    let services = ns.api::<Service>();
    let npl = |name: &'static str| {
        let services = services.clone();
        async move {
            let svc = services.get(name).await.ok()?;
            Some(svc.metadata.annotations.unwrap_or_default().get(NPL).cloned())
        }
    };
    eventually(
        "the backend and the LoadBalancer Service annotated",
        WAIT,
        &ako,
        || async {
            (npl("web").await? == Some("true".into()) && npl("lb").await? == Some("true".into())).then_some(())
        },
    )
    .await;
    assert_eq!(npl("other").await, Some(None), "a Service nobody serves is left alone");

    ns.api::<Ingress>()
        .delete("web", &DeleteParams::default())
        .await
        .expect("delete the Ingress");
    eventually("the backend released", WAIT, &ako, || async {
        npl("web").await?.is_none().then_some(())
    })
    .await;
    assert_eq!(
        npl("lb").await,
        Some(Some("true".into())),
        "the LoadBalancer Service is still served"
    );
}
