//! The admin server of `ako run` end to end: a real kube-apiserver (testenv), avisim in-process
//! over HTTPS, the real `ako` binary with `--admin-listen 127.0.0.1:0 --admin-port-file`.
//! Everything is polled with a deadline, never synchronised by sleeping.

mod support;

use std::future::Future;
use std::time::Duration;

use ako_testenv::TestNamespace;
use k8s_openapi::api::core::v1::Service;
use kube::api::PostParams;
use serde_json::{Value, json};
use support::{AkoRun, eventually, get, sample, scoped_namespace};

const PASSWORD: &str = "Run-Admin-E2e-Pw1";
const WAIT: Duration = Duration::from_secs(30);

/// `ako run` (cluster `adm`) on one namespace's objects, with its scratch directory.
struct Ako {
    run: AkoRun,
    _dir: tempfile::TempDir,
}

impl Ako {
    /// `ako run` on `ns`'s objects against `controller` (trusting `ca_pem`).
    fn start(ns: &TestNamespace, controller: &str, ca_pem: &str) -> Ako {
        let dir = tempfile::tempdir().unwrap();
        let run = AkoRun::with_values(dir.path(), "ako", "adm", ns.name(), controller, ca_pem, PASSWORD);
        Ako { run, _dir: dir }
    }

    /// Poll `probe` until it yields a value; fail with `what` and ako's log after [`WAIT`].
    async fn eventually<T, F, Fut>(&self, what: &str, probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        eventually(what, WAIT, &self.run, probe).await
    }

    /// The admin server's port, once `ako run` wrote it.
    async fn admin_port(&self) -> u16 {
        self.run.admin_port(WAIT).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_but_not_ready_while_the_controller_is_unreachable() {
    let ns = scoped_namespace("adm-down").await;
    // Nothing listens on port 1: every login fails.
    let (sim, _) = support::avisim(PASSWORD).await;
    let ako = Ako::start(&ns, "https://127.0.0.1:1", &sim.ca_pem());
    let port = ako.admin_port().await;

    let (status, body) = get(port, "/healthz").await.expect("/healthz answers");
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    // The watches list; the controller never answers: not ready, and the reason says why.
    let reason = ako
        .eventually("/readyz to wait for the controller", || async {
            let (status, body) = get(port, "/readyz").await?;
            assert_eq!(status, 503, "{body}");
            body.contains("observed state").then_some(body)
        })
        .await;
    assert!(reason.contains("Avi Controller"), "{reason}");
    let doc: Value = ako
        .eventually("/api/status with a controller error", || async {
            let (status, body) = get(port, "/api/status").await?;
            assert_eq!(status, 200);
            let doc: Value = serde_json::from_str(&body).expect("JSON");
            (doc["avi_api"]["connection_status"] == "DISCONNECTED").then_some(doc)
        })
        .await;
    assert!(!doc["avi_api"]["errors"].as_array().unwrap().is_empty(), "{doc}");
    assert_eq!(doc["ready"], false, "{doc}");
    let (_, metrics) = get(port, "/metrics").await.expect("/metrics answers");
    assert_eq!(
        sample(&metrics, "ako_reconcile_passes_total{result=\"converged\"}"),
        Some(0.0),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_once_synced_and_metrics_count_passes_and_managed_objects() {
    let ns = scoped_namespace("adm-up").await;
    let (sim, _) = support::avisim(PASSWORD).await;
    let ako = Ako::start(&ns, &sim.url(), &sim.ca_pem());
    let port = ako.admin_port().await;
    assert_eq!(get(port, "/healthz").await.map(|r| r.0), Some(200));

    ako.eventually("/readyz 200", || async {
        let (status, _) = get(port, "/readyz").await?;
        (status == 200).then_some(())
    })
    .await;

    let svc: Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}
    }))
    .unwrap();
    ns.api::<Service>()
        .create(&PostParams::default(), &svc)
        .await
        .expect("create the Service");

    let metrics = ako
        .eventually("a virtual service counted as managed", || async {
            let (status, text) = get(port, "/metrics").await?;
            assert_eq!(status, 200);
            (sample(&text, "ako_objects_managed{type=\"virtualservice\"}")? >= 1.0).then_some(text)
        })
        .await;
    assert!(
        sample(&metrics, "ako_reconcile_passes_total{result=\"converged\"}").unwrap_or(0.0) > 0.0,
        "{metrics}"
    );
    // The Service's objects were created: POSTs by object type, answered with success.
    for ty in ["virtualservice", "vsvip", "pool"] {
        let series = format!("ako_avi_rest_operations_total{{type=\"{ty}\",method=\"POST\",result=\"success\"}}");
        assert!(
            sample(&metrics, &series).unwrap_or(0.0) >= 1.0,
            "{series} in\n{metrics}"
        );
    }
    assert!(
        sample(&metrics, "ako_reconcile_duration_seconds_count").unwrap_or(0.0) > 0.0,
        "{metrics}"
    );

    let (status, body) = get(port, "/api/status").await.expect("/api/status answers");
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["avi_api"]["connection_status"], "CONNECTED", "{doc}");
    assert_eq!(doc["ready"], true, "{doc}");
    assert!(doc["last_sync"].is_string(), "{doc}");
    assert!(doc["models"].as_u64().unwrap_or(0) >= 1, "{doc}");
}
