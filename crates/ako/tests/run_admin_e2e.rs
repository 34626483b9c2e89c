//! The admin server of `ako run` end to end: a real kube-apiserver (testenv), avisim in-process
//! over HTTPS, the real `ako` binary with `--admin-listen 127.0.0.1:0 --admin-port-file`.
//! Everything is polled with a deadline, never synchronised by sleeping.

mod support;

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ako_testenv::{TestNamespace, testenv};
use avisim::{Avisim, SimConfig};
use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{get, read_port, sample};

const USER: &str = "admin";
const PASSWORD: &str = "Run-Admin-E2e-Pw1";
const WAIT: Duration = Duration::from_secs(30);

struct Ako {
    child: Child,
    log: PathBuf,
    port_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Ako {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Ako {
    /// `ako run` on `ns`'s objects against `controller` (trusting `ca_pem`).
    fn start(ns: &TestNamespace, controller: &str, ca_pem: &str) -> Ako {
        let dir = tempfile::tempdir().unwrap();
        let values = dir.path().join("values.yaml");
        std::fs::write(
            &values,
            format!(
                "AKOSettings:\n  clusterName: adm\n  namespaceSelector:\n    labelKey: ako-e2e\n    labelValue: {}\n\
                 NetworkSettings:\n  vipNetworkList:\n    - networkName: vip-net\n\
                 L7Settings:\n  serviceType: ClusterIP\n  shardVSSize: SMALL\n\
                 ControllerSettings:\n  cloudName: Default-Cloud\n  serviceEngineGroupName: Default-Group\n  tenantName: admin\n",
                ns.name()
            ),
        )
        .unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        let log = dir.path().join("ako.log");
        let port_file = dir.path().join("admin-port");
        let child = Command::new(env!("CARGO_BIN_EXE_ako"))
            .arg("run")
            .arg("--kubeconfig")
            .arg(testenv().kubeconfig())
            .arg("--values")
            .arg(&values)
            .arg("--controller")
            .arg(controller)
            .arg("--ca-file")
            .arg(&ca)
            .arg("--admin-listen")
            .arg("127.0.0.1:0")
            .arg("--admin-port-file")
            .arg(&port_file)
            .env("AKO_CONTROLLER_USERNAME", USER)
            .env("AKO_CONTROLLER_PASSWORD", PASSWORD)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start ako run");
        Ako {
            child,
            log,
            port_file,
            _dir: dir,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Poll `probe` until it yields a value; fail with `what` and ako's log after [`WAIT`].
    async fn eventually<T, F, Fut>(&mut self, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "ako run exited ({status}) while waiting for {what}; log:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; ako log:\n{}",
                self.log_text()
            );
            // Polling interval of an external process with no event to wait on.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The admin server's port, once `ako run` wrote it.
    async fn admin_port(&mut self) -> u16 {
        let file = self.port_file.clone();
        self.eventually("the admin port file", || {
            let file = file.clone();
            async move { read_port(&file) }
        })
        .await
    }
}

async fn namespace(prefix: &str) -> TestNamespace {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ns = TestNamespace::new(prefix).await;
    let label = json!({"metadata": {"labels": {"ako-e2e": ns.name()}}});
    Api::<Namespace>::all(ns.client())
        .patch(ns.name(), &PatchParams::default(), &Patch::Merge(&label))
        .await
        .expect("label the namespace");
    ns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_but_not_ready_while_the_controller_is_unreachable() {
    let ns = namespace("adm-down").await;
    // Nothing listens on port 1: every login fails.
    let sim = Avisim::start(SimConfig::local(USER, PASSWORD))
        .await
        .expect("avisim starts");
    let mut ako = Ako::start(&ns, "https://127.0.0.1:1", &sim.ca_pem());
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
    let ns = namespace("adm-up").await;
    let sim = Avisim::start(SimConfig::local(USER, PASSWORD))
        .await
        .expect("avisim starts");
    let mut ako = Ako::start(&ns, &sim.url(), &sim.ca_pem());
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
    assert!(
        sample(
            &metrics,
            "ako_rest_operations_total{method=\"POST\",result=\"success\"}"
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{metrics}"
    );
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
