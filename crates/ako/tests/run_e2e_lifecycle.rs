//! `ako run` end to end over a lifecycle: a TLS Secret created after its Ingress, `ako run`
//! restarted against the same controller, and the controller unreachable for a while. A real
//! kube-apiserver (testenv), avisim in-process over HTTPS and the real `ako` binary as a child
//! process, scoped to the test's namespace with `namespaceSelector`.
//!
//! Everything is observed by polling with a deadline, never by sleeping a fixed time.

mod support;

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ako_testenv::TestNamespace;
use avi_client::Client;
use avisim::{Avisim, Fault, FaultAction};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::PostParams;
use serde_json::{Value, json};
use support::{AkoRun, Watched, eventually, get, sample, scoped_namespace, slice};

const PASSWORD: &str = "Run-Lifecycle-Pw1";
const CLUSTER: &str = "lc";
const WAIT: Duration = Duration::from_secs(60);

/// One test's world: its namespace, its controller simulator and its (re)started `ako run`.
struct World {
    ns: TestNamespace,
    // Dropped before the simulator it talks to.
    ako: Mutex<Option<AkoRun>>,
    sim: Avisim,
    avi: Client,
    dir: tempfile::TempDir,
    /// How many `ako run` processes were started (names their log files).
    runs: AtomicUsize,
}

impl World {
    async fn start(prefix: &str) -> World {
        let (sim, avi) = support::avisim(PASSWORD).await;
        let w = World {
            ns: scoped_namespace(prefix).await,
            ako: Mutex::new(None),
            sim,
            avi,
            dir: tempfile::tempdir().unwrap(),
            runs: Default::default(),
        };
        w.start_ako();
        w
    }

    /// Start a (new) `ako run` against this world's avisim.
    fn start_ako(&self) {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        let ako = AkoRun::with_values(
            self.dir.path(),
            &format!("ako-{run}"),
            CLUSTER,
            self.ns.name(),
            &self.sim.url(),
            &self.sim.ca_pem(),
            PASSWORD,
        );
        let old = self.ako.lock().unwrap().replace(ako);
        assert!(old.is_none(), "one ako run at a time");
    }

    /// Stop the running `ako run` (killed, as a crashed or evicted pod would be) and wait for it.
    fn stop_ako(&self) {
        let ako = self.ako.lock().unwrap().take().expect("ako run is running");
        drop(ako);
    }

    /// The process id of the running `ako run`.
    fn ako_pid(&self) -> u32 {
        self.ako.lock().unwrap().as_ref().expect("ako run").pid()
    }

    /// Poll `probe` until it yields a value; fail with `what` and ako's logs after [`WAIT`].
    async fn eventually<T, F, Fut>(&self, what: &str, probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        eventually(what, WAIT, self, probe).await
    }

    /// The admin port of the running `ako run`, once it wrote it.
    async fn admin_port(&self) -> u16 {
        let run = self.runs.load(Ordering::SeqCst) - 1;
        let file = self.dir.path().join(format!("ako-{run}.port"));
        self.eventually("the admin port file", || async { support::read_port(&file) })
            .await
    }

    async fn create<K>(&self, body: Value) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        let obj: K = serde_json::from_value(body).expect("valid object");
        self.ns
            .api::<K>()
            .create(&PostParams::default(), &obj)
            .await
            .expect("create")
    }

    async fn get_avi(&self, kind: &str, name: &str) -> Option<Value> {
        self.avi.get_by_name(kind, name).await.ok()?
    }

    /// The load-balancer ingress entries of a Service's status, once there are some.
    async fn service_status(&self, name: &str) -> Option<Vec<k8s_openapi::api::core::v1::LoadBalancerIngress>> {
        let svc = self.ns.api::<Service>().get(name).await.ok()?;
        let list = svc.status?.load_balancer?.ingress?;
        (!list.is_empty()).then_some(list)
    }

    /// `(ip, hostname)` of each entry of an Ingress's status.
    async fn ingress_status(&self, name: &str) -> Vec<(String, String)> {
        let Ok(ing) = self.ns.api::<Ingress>().get(name).await else {
            return Vec::new();
        };
        ing.status
            .and_then(|s| s.load_balancer)
            .and_then(|l| l.ingress)
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.ip.unwrap_or_default(), e.hostname.unwrap_or_default()))
            .collect()
    }
}

impl Watched for World {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        self.ako.lock().unwrap().as_ref().and_then(AkoRun::exited)
    }

    /// The logs of every `ako run` of this world, oldest first.
    fn log_text(&self) -> String {
        let runs = self.runs.load(Ordering::SeqCst);
        (0..runs)
            .map(|r| {
                let text = std::fs::read_to_string(self.dir.path().join(format!("ako-{r}.log"))).unwrap_or_default();
                format!("--- ako run #{r} ---\n{text}")
            })
            .collect()
    }
}

fn lb_service(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}
    })
}

/// A self-signed certificate and its key for `host`, as PEM.
fn certificate(host: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![host.to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_secret_created_later_brings_the_sni_child_and_the_host_status() {
    let w = World::start("lc-tls").await;
    let plain = format!("plain.{}.avi.internal", w.ns.name());
    let secure = format!("secure.{}.avi.internal", w.ns.name());
    w.create::<Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}
    }))
    .await;
    w.create::<EndpointSlice>(slice("web-1", "web", &["10.4.0.1"])).await;
    let rule = |host: &str| {
        json!({"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}})
    };
    w.create::<Ingress>(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"ingressClassName": "avi-lb",
            "tls": [{"hosts": [secure], "secretName": "web-tls"}],
            "rules": [rule(&plain), rule(&secure)]}
    }))
    .await;

    // The Secret does not exist yet: the insecure host is served, the TLS host is not.
    let status = w
        .eventually("the insecure host in the Ingress status", || async {
            let s = w.ingress_status("web").await;
            s.iter().any(|(_, h)| *h == plain).then_some(s)
        })
        .await;
    assert!(status.iter().all(|(_, h)| *h != secure), "{status:?}");
    let sni_name = format!("{CLUSTER}--{secure}");
    assert!(
        w.get_avi("virtualservice", &sni_name).await.is_none(),
        "no SNI child before the Secret exists"
    );
    assert!(w.get_avi("sslkeyandcertificate", &sni_name).await.is_none());

    // The Secret created: the SNI child and its certificate appear, and the status has the host.
    let (cert, key) = certificate(&secure);
    w.create::<Secret>(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-tls"},
        "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": cert, "tls.key": key}
    }))
    .await;
    let child = w
        .eventually("the SNI child VS", || w.get_avi("virtualservice", &sni_name))
        .await;
    assert_eq!(child["type"], "VS_TYPE_VH_CHILD", "{child}");
    assert_eq!(child["created_by"], format!("ako-{CLUSTER}"), "{child}");
    let kc = w
        .eventually("the SSLKeyAndCertificate", || {
            w.get_avi("sslkeyandcertificate", &sni_name)
        })
        .await;
    let kc_ref = kc["url"].as_str().unwrap_or_default().to_owned();
    let kc_uuid = kc["uuid"].as_str().unwrap_or_default().to_owned();
    let refs = child["ssl_key_and_certificate_refs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        refs.iter()
            .any(|r| r.as_str().is_some_and(|r| r == kc_ref || r.contains(&kc_uuid))),
        "the child refers to its certificate: {child} {kc}"
    );
    let status = w
        .eventually("the TLS host in the Ingress status", || async {
            let s = w.ingress_status("web").await;
            s.iter().any(|(_, h)| *h == secure).then_some(s)
        })
        .await;
    assert!(status.iter().any(|(_, h)| *h == plain), "{status:?}");
    assert!(status.iter().all(|(ip, _)| ip.starts_with("127.100.")), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ako_restarted_converges_with_zero_writes_and_keeps_the_status() {
    let w = World::start("lc-restart").await;
    w.create::<Service>(lb_service("lb")).await;
    w.create::<EndpointSlice>(slice("lb-1", "lb", &["10.5.0.1"])).await;
    let vs_name = format!("{CLUSTER}--{}-lb", w.ns.name());
    w.eventually("the L4 VS", || w.get_avi("virtualservice", &vs_name))
        .await;
    let status = w.eventually("the Service status", || w.service_status("lb")).await;
    // The first run has converged: a pass that found nothing to do.
    let port = w.admin_port().await;
    w.eventually("the first run converged", || async {
        let (_, text) = get(port, "/metrics").await?;
        (sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")? >= 1.0).then_some(())
    })
    .await;

    w.stop_ako();
    w.sim.reset_counters();
    w.start_ako();
    let port = w.admin_port().await;
    let metrics = w
        .eventually("the second run converged", || async {
            let (_, text) = get(port, "/metrics").await?;
            let managed = sample(&text, "ako_objects_managed{type=\"virtualservice\"}")?;
            let converged = sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")?;
            (managed >= 1.0 && converged >= 1.0).then_some(text)
        })
        .await;
    let counters = w.sim.counters();
    assert!(
        counters.total(Some("GET"), None) > 0,
        "the new run read the controller: {counters:?}"
    );
    assert_eq!(
        counters.writes(),
        0,
        "no writes after a restart: {counters:?}\n{metrics}\n{}",
        w.log_text()
    );
    assert_eq!(w.service_status("lb").await, Some(status), "the Service status stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_down_for_a_while_recovers_without_a_restart() {
    let w = World::start("lc-down").await;
    w.create::<Service>(lb_service("first")).await;
    let first_vs = format!("{CLUSTER}--{}-first", w.ns.name());
    w.eventually("the first L4 VS", || w.get_avi("virtualservice", &first_vs))
        .await;
    w.eventually("the first Service's status", || w.service_status("first"))
        .await;

    // The controller stops answering: every request loses its connection.
    let since = w.sim.request_log(0).last().map_or(0, |r| r.seq);
    w.sim.set_faults(vec![Fault {
        method: None,
        object_type: None,
        action: FaultAction::Drop,
        rate: 1.0,
        times: None,
    }]);
    w.create::<Service>(lb_service("second")).await;
    // ako tries (and fails) to reach the controller for the new Service.
    w.eventually("ako run hitting the unreachable controller", || async {
        w.sim
            .request_log(since)
            .iter()
            .any(|r| r.seq > since && r.status == 0)
            .then_some(())
    })
    .await;
    let second_vs = format!("{CLUSTER}--{}-second", w.ns.name());
    assert!(
        w.service_status("second").await.is_none(),
        "no status while the controller is down"
    );

    // Back: the new Service's VS appears and its status gets an IP, with the same process.
    w.sim.clear_faults();
    let pid = w.ako_pid();
    w.eventually("the second L4 VS", || w.get_avi("virtualservice", &second_vs))
        .await;
    let status = w
        .eventually("the second Service's status", || w.service_status("second"))
        .await;
    let ip = status[0].ip.clone().unwrap_or_default();
    assert!(ip.starts_with("127.100."), "{status:?}");
    let vsvip = w.get_avi("vsvip", &second_vs).await.expect("vsvip");
    assert_eq!(vsvip["vip"][0]["ip_address"]["addr"], ip.as_str());
    assert_eq!(w.ako_pid(), pid, "the same ako run");
    assert!(w.service_status("first").await.is_some(), "the first status stays");
}
