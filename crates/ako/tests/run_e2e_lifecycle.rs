//! `ako run` end to end over a lifecycle: a TLS Secret created after its Ingress, `ako run`
//! restarted against the same controller, and the controller down (stopped, connections
//! refused) for over a minute. A real kube-apiserver (testenv), avisim in-process over HTTPS
//! and the real `ako` binary as a child process, scoped to the test's namespace with
//! `namespaceSelector`.
//!
//! Everything is observed by polling with a deadline, never by sleeping a fixed time; the one
//! deliberate wait is the length of the controller outage itself.

mod support;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ako_testenv::TestNamespace;
use avi_client::Client;
use avisim::{Avisim, SimConfig};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DeleteParams;
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
    /// `None` while the controller is down.
    sim: Option<Avisim>,
    avi: Client,
    dir: tempfile::TempDir,
    /// How many `ako run` processes were started (names their log files).
    runs: AtomicUsize,
}

impl World {
    async fn start(prefix: &str) -> World {
        World::start_with(prefix, support::avisim(PASSWORD).await).await
    }

    /// A world with this simulator and a client logged in to it.
    async fn start_with(prefix: &str, (sim, avi): (Avisim, Client)) -> World {
        let w = World {
            ns: scoped_namespace(prefix).await,
            ako: Mutex::new(None),
            sim: Some(sim),
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
            &self.sim().url(),
            &self.sim().ca_pem(),
            PASSWORD,
        );
        let old = self.ako.lock().unwrap().replace(ako);
        assert!(old.is_none(), "one ako run at a time");
    }

    /// The running simulator.
    fn sim(&self) -> &Avisim {
        self.sim.as_ref().expect("avisim is running")
    }

    /// Take the controller down: the listener is closed and open connections are cut, so every
    /// request of `ako run` fails to connect. Returns the address it listened on.
    async fn stop_avisim(&mut self) -> SocketAddr {
        let sim = self.sim.take().expect("avisim is running");
        let addr = sim.addr();
        sim.shutdown().await;
        addr
    }

    /// Bring the controller back with `config`.
    async fn start_avisim(&mut self, config: SimConfig) {
        assert!(self.sim.is_none(), "one avisim at a time");
        self.sim = Some(support::start_avisim(config).await);
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
        support::create(&self.ns, body).await
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
    let (cert, key) = support::certificate(&secure);
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
    w.sim().reset_counters();
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
    let counters = w.sim().counters();
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

/// `ako run`'s `/api/status`, once its admin server answers.
async fn api_status(port: u16) -> Option<Value> {
    let (status, body) = get(port, "/api/status").await?;
    assert_eq!(status, 200, "{body}");
    Some(serde_json::from_str(&body).expect("/api/status is JSON"))
}

/// How long the controller stays down: the "avisim down for a minute".
const OUTAGE: Duration = Duration::from_secs(60);
/// How long recovery may take once the controller is back: a pass that failed is retried with
/// a backoff capped at 60 s (`run/reconcile.rs`), which after a minute of failures may have
/// just started, plus the pass itself.
const RECOVERY: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_down_for_a_minute_recovers_without_a_restart() {
    // The simulator keeps its objects and its CA on disk, so started again at the same address
    // it is the same controller, as a restarted (or reachable again) controller would be.
    let state = tempfile::tempdir().unwrap();
    let mut w = World::start_with(
        "lc-down",
        support::avisim_with(support::persistent_avisim(PASSWORD, state.path(), 0)).await,
    )
    .await;
    for name in ["kept", "doomed"] {
        w.create::<Service>(lb_service(name)).await;
    }
    let ns = w.ns.name().to_owned();
    let vs = |svc: &str| format!("{CLUSTER}--{ns}-{svc}");
    // Every controller object of one LoadBalancer Service, as (type, name).
    let objects = |svc: &str| {
        let vs = vs(svc);
        [
            ("virtualservice", vs.clone()),
            ("vsvip", vs.clone()),
            ("l4policyset", vs.clone()),
            ("pool", format!("{vs}-TCP-53")),
        ]
    };
    w.eventually("both Services' statuses", || async {
        w.service_status("kept").await?;
        w.service_status("doomed").await
    })
    .await;
    let mut kept = Vec::new();
    for svc in ["kept", "doomed"] {
        for (kind, name) in objects(svc) {
            let obj = w.eventually(&format!("{kind} {name}"), || w.get_avi(kind, &name)).await;
            if svc == "kept" {
                kept.push((kind, name, obj));
            }
        }
    }
    let port = w.admin_port().await;
    let pid = w.ako_pid();
    let ca = w.sim().ca_pem();

    // The controller goes down: nothing listens on its address any more.
    let addr = w.stop_avisim().await;
    let down_at = Instant::now();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "connections to {addr} are refused while the controller is down"
    );
    // Changes made during the outage: one Service added, one deleted.
    w.create::<Service>(lb_service("added")).await;
    w.ns.api::<Service>()
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete the Service");
    let doc = w
        .eventually("/api/status to report the controller disconnected", || async {
            let doc = api_status(port).await?;
            (doc["avi_api"]["connection_status"] == "DISCONNECTED").then_some(doc)
        })
        .await;
    assert!(!doc["avi_api"]["errors"].as_array().unwrap().is_empty(), "{doc}");

    // The outage lasts OUTAGE by the clock: this is the condition under test, not a wait for
    // something to happen. Meanwhile `ako run` stays up, serves its admin API and keeps
    // reporting the controller as disconnected (every retried pass fails again).
    let mut checks = 0;
    while down_at.elapsed() < OUTAGE {
        assert_eq!(w.exited(), None, "ako run died during the outage:\n{}", w.log_text());
        assert_eq!(w.ako_pid(), pid);
        let doc = api_status(port)
            .await
            .expect("the admin server answers during the outage");
        assert_eq!(doc["avi_api"]["connection_status"], "DISCONNECTED", "{doc}");
        checks += 1;
        tokio::time::sleep(Duration::from_secs(1).min(OUTAGE.saturating_sub(down_at.elapsed()))).await;
    }
    assert!(checks > 10, "the process was checked throughout the outage");
    assert!(
        w.service_status("added").await.is_none(),
        "no status without the controller"
    );

    // Back, at the same address with the same objects and CA.
    w.start_avisim(support::persistent_avisim(PASSWORD, state.path(), addr.port()))
        .await;
    let up_at = Instant::now();
    let outage = up_at - down_at;
    assert_eq!(w.sim().addr(), addr);
    assert_eq!(w.sim().ca_pem(), ca, "the same CA: ako run keeps trusting it");
    let recover = |what: &str| format!("{what} after the controller came back");
    let status = eventually(&recover("the added Service's status"), RECOVERY, &w, || {
        w.service_status("added")
    })
    .await;
    let ip = status[0].ip.clone().unwrap_or_default();
    assert!(ip.starts_with("127.100."), "an IPAM address: {status:?}");
    let vsvip = w.get_avi("vsvip", &vs("added")).await.expect("the added vsvip");
    assert_eq!(vsvip["vip"][0]["ip_address"]["addr"], ip.as_str());
    let added_vs = w.get_avi("virtualservice", &vs("added")).await;
    assert!(added_vs.is_some(), "the added Service's L4 VS");
    eventually(&recover("the deleted Service's objects gone"), RECOVERY, &w, || async {
        for (kind, name) in objects("doomed") {
            // An unanswered read is not proof of absence.
            if w.avi.get_by_name::<Value>(kind, &name).await.ok()?.is_some() {
                return None;
            }
        }
        Some(())
    })
    .await;
    let recovered = up_at.elapsed();
    eprintln!(
        "controller down for {:.1} s; recovered {:.1} s after it came back",
        outage.as_secs_f64(),
        recovered.as_secs_f64()
    );

    // The untouched Service's objects were left alone: same uuids, never rewritten.
    for (kind, name, before) in &kept {
        let now = w.get_avi(kind, name).await.expect("the kept object");
        assert_eq!(now["uuid"], before["uuid"], "{kind} {name}");
        assert_eq!(now["_last_modified"], before["_last_modified"], "{kind} {name}");
    }
    assert!(w.service_status("kept").await.is_some(), "the kept status stays");
    // All of it by the process that lived through the outage.
    assert_eq!(w.exited(), None);
    assert_eq!(w.ako_pid(), pid, "the same ako run");
    w.eventually("/api/status to report the controller connected", || async {
        let doc = api_status(port).await?;
        (doc["avi_api"]["connection_status"] == "CONNECTED").then_some(())
    })
    .await;
}
