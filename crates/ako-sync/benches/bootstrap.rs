//! Sync engine benchmark: bootstrap N LoadBalancer Services (2 ports, 3 endpoints each → 5 Avi
//! objects) and I Ingresses (one host, 3 paths, 30 % TLS; shared L7 VSes in AKO's LARGE
//! sharding) from an empty controller, then a no-change resync, against avisim with 0 ms and
//! 20 ms of added latency per request. Reports wall time, requests sent against the minimum
//! needed, and peak memory.
//!
//! ```sh
//! cargo build --release -p avisim            # the controller runs as its own process when built
//! cargo bench -p ako-sync --bench bootstrap  # N=1000, latency 0 and 20 ms, 64 models in flight
//! AKO_BENCH_SERVICES=10000 cargo bench -p ako-sync --bench bootstrap
//! AKO_BENCH_CONCURRENCY=4,16,64 AKO_BENCH_LATENCY_MS=20 cargo bench -p ako-sync --bench bootstrap
//! ```
//!
//! Knobs: `AKO_BENCH_SERVICES` (default 1000), `AKO_BENCH_INGRESSES` (default 0),
//! `AKO_BENCH_LATENCY_MS` (list), `AKO_BENCH_CONCURRENCY` (models
//! in flight, list), `AKO_BENCH_CLIENT_LIMIT` (requests in flight on the client, default 64).
//! avisim runs as a separate process (`target/release/avisim`, found next to this bench) so
//! the memory figures are the engine's own; without the binary it runs in-process and the
//! figures include it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ako_sync::{DeletionGuard, ExecuteOptions, Owner, PlanOptions, SyncOptions, load_observed, plan, sync_once};
use ako_translate::{CloudFacts, Settings, Snapshot, Translation, Values, translate};
use avi_client::{Client, Config, Credential, Method, Query, RetryConfig};
use avisim::{Avisim, Counters, SimConfig};
use serde_json::{Value, json};

const USER: &str = "admin";
const PASSWORD: &str = "Bench-Pass1";

fn snapshot(n: usize) -> Snapshot {
    let mut snap = Snapshot::new();
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("svc-{i}"));
        let endpoints: Vec<Value> = (0..3)
            .map(|e| {
                json!({"addresses": [format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, (i % 256 + e) % 256)],
                       "conditions": {"ready": true}, "nodeName": format!("node-{e}")})
            })
            .collect();
        let doc = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
             "spec": {"type": "LoadBalancer", "ports": [
                {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}]}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": format!("{name}-abcde"), "namespace": ns,
                          "labels": {"kubernetes.io/service-name": name}},
             "addressType": "IPv4",
             "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}, {"name": "dns", "port": 5353, "protocol": "UDP"}],
             "endpoints": endpoints}
        ]});
        ako_translate::load_document(&mut snap, doc).expect("valid");
    }
    snap
}

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUbench\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGbench\n-----END PRIVATE KEY-----\n";

/// `n` Ingresses: one host each, 3 paths to their own ClusterIP Service, 30 % with TLS.
fn add_ingresses(snap: &mut Snapshot, n: usize) {
    let mut docs = vec![json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ako.vmware.com/avi-lb"}
    })];
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("web-{i}"));
        let host = format!("app-{i}.avi.internal");
        let backend = json!({"service": {"name": name, "port": {"number": 80}}});
        let paths: Vec<Value> = ["/", "/api", "/static"]
            .iter()
            .map(|p| json!({"path": p, "pathType": "Prefix", "backend": backend}))
            .collect();
        let mut spec = json!({"rules": [{"host": host, "http": {"paths": paths}}]});
        if i % 10 < 3 {
            spec["tls"] = json!([{"hosts": [host], "secretName": format!("{name}-tls")}]);
            docs.push(
                json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": format!("{name}-tls"), "namespace": ns},
                "stringData": {"tls.crt": PEM, "tls.key": KEY}}),
            );
        }
        docs.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}));
        docs.push(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
        );
        let endpoints: Vec<Value> = (0..3)
            .map(|e| {
                json!({"addresses": [format!("10.{}.{}.{}", 100 + i / 65536 % 100, i / 256 % 256, (i + e) % 256)],
                            "conditions": {"ready": true}, "nodeName": format!("node-{e}")})
            })
            .collect();
        docs.push(json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{name}-abcde"), "namespace": ns,
                         "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"port": 8080, "protocol": "TCP"}], "endpoints": endpoints}));
    }
    for doc in docs {
        let ignored = ako_translate::load_document(snap, doc).expect("valid");
        assert!(ignored.is_empty(), "not loaded: {ignored:?}");
    }
}

fn translation(n: usize, ingresses: usize) -> Translation {
    let settings = Settings::from_values(
        &Values::from_yaml(
            "AKOSettings: {clusterName: bench}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}\n",
        )
        .unwrap(),
    )
    .unwrap();
    let cloud = CloudFacts {
        dns_domains: vec!["avi.internal".into()],
        license_tier: "ENTERPRISE".into(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: "CLOUD_NONE".into(),
        refs: Default::default(),
        now: None,
    };
    let mut snap = snapshot(n);
    add_ingresses(&mut snap, ingresses);
    let t = translate(&snap, &settings, &cloud);
    assert!(t.failures.is_empty(), "{:?}", t.failures.first());
    t
}

/// (VmRSS, VmHWM) of this process in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or_default()
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn list_env<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The simulated controller: the release binary as a child process, else in-process.
enum Controller {
    Process { child: Child, url: String, ca: String },
    InProcess(Avisim),
}

impl Controller {
    async fn start(dir: &std::path::Path) -> Controller {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("avisim")))
            .filter(|p| p.is_file());
        if let Some(binary) = binary {
            let mut child = Command::new(&binary)
                .args(["--listen", "127.0.0.1:0", "--username", USER, "--password", PASSWORD])
                .arg("--cert-dir")
                .arg(dir.join("certs"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn avisim");
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("stdout"))
                .read_line(&mut line)
                .expect("ready line");
            let url = line
                .trim()
                .strip_prefix("listening on ")
                .expect("ready line")
                .to_owned();
            let ca = std::fs::read_to_string(dir.join("certs/ca.crt")).expect("ca");
            println!("  controller: {} (separate process)", binary.display());
            Controller::Process { child, url, ca }
        } else {
            println!(
                "  controller: avisim in-process (build it with `cargo build --release -p avisim` to separate it)"
            );
            Controller::InProcess(Avisim::start(SimConfig::local(USER, PASSWORD)).await.expect("avisim"))
        }
    }

    fn url_and_ca(&self) -> (String, String) {
        match self {
            Controller::Process { url, ca, .. } => (url.clone(), ca.clone()),
            Controller::InProcess(sim) => (sim.url(), sim.ca_pem()),
        }
    }

    async fn set_latency(&self, client: &Client, ms: u64) {
        match self {
            Controller::Process { .. } => {
                let _: Value = client
                    .request(Method::PUT, "_sim/latency", &Query::new(), Some(&json!({"ms": ms})))
                    .await
                    .expect("set latency");
            }
            Controller::InProcess(sim) => sim.set_latency(Duration::from_millis(ms)),
        }
    }

    async fn counters(&self, client: &Client) -> Counters {
        match self {
            Controller::Process { .. } => {
                let stats: Value = client
                    .request(Method::GET, "_sim/stats", &Query::new(), None::<&()>)
                    .await
                    .expect("stats");
                Counters {
                    rows: serde_json::from_value(stats["counters"].clone()).expect("counter rows"),
                }
            }
            Controller::InProcess(sim) => sim.counters(),
        }
    }

    async fn reset_counters(&self, client: &Client) {
        match self {
            Controller::Process { .. } => {
                let _: Value = client
                    .request(Method::DELETE, "_sim/stats", &Query::new(), None::<&()>)
                    .await
                    .expect("reset stats");
            }
            Controller::InProcess(sim) => sim.reset_counters(),
        }
    }

    async fn stop(self) {
        match self {
            Controller::Process { mut child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Controller::InProcess(sim) => sim.shutdown().await,
        }
    }
}

/// Requests the controller saw, excluding login and the bench's own `/_sim` calls.
fn api_requests(c: &Counters) -> (u64, u64) {
    let reads = c
        .rows
        .iter()
        .filter(|r| r.method == "GET" && !matches!(r.object_type.as_str(), "initial-data" | "_sim"))
        .map(|r| r.count)
        .sum();
    (reads, c.writes())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = std::env::var("AKO_BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let ingresses: usize = std::env::var("AKO_BENCH_INGRESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let latencies: Vec<u64> = list_env("AKO_BENCH_LATENCY_MS", "0,20");
    let concurrencies: Vec<usize> = list_env("AKO_BENCH_CONCURRENCY", "64");
    let client_limit: usize = list_env("AKO_BENCH_CLIENT_LIMIT", "64").first().copied().unwrap_or(64);

    let (rss0, _) = memory_mib();
    let started = Instant::now();
    let desired = translation(n, ingresses);
    let objects: usize = desired.models.values().map(|m| m.objects.len()).sum();
    let (rss_translated, _) = memory_mib();
    println!(
        "{n} LoadBalancer Services, {ingresses} Ingresses -> {objects} Avi objects in {} models (translated in {:.2?}; RSS {rss0:.0} -> {rss_translated:.0} MiB)",
        desired.models.len(),
        started.elapsed()
    );
    let owner = Owner::new("bench");

    for &latency in &latencies {
        for &concurrency in &concurrencies {
            let dir = tempfile::tempdir().unwrap();
            let controller = Controller::start(dir.path()).await;
            let (url, ca) = controller.url_and_ca();
            let client = Client::connect(
                Config::new(url, USER, Credential::password(PASSWORD))
                    .with_ca_pem(ca)
                    .with_max_concurrency(client_limit)
                    .with_retry(RetryConfig::default()),
            )
            .await
            .expect("login");
            controller.set_latency(&client, latency).await;
            controller.reset_counters(&client).await;
            let options = SyncOptions {
                plan: PlanOptions {
                    collect_garbage: true,
                    guard: DeletionGuard::default(),
                    ..PlanOptions::default()
                },
                execute: ExecuteOptions { concurrency },
                deadline: Some(Duration::from_secs(3600)),
                ..SyncOptions::default()
            };

            let t = Instant::now();
            let (summary, observed) = sync_once(&client, &desired, &owner, &options).await.expect("bootstrap");
            let bootstrap = t.elapsed();
            assert!(summary.converged, "{summary}");
            let (reads, writes) = api_requests(&controller.counters(&client).await);
            let (rss_after, hwm_after) = memory_mib();

            controller.reset_counters(&client).await;
            let t = Instant::now();
            let (resync, _) = sync_once(&client, &desired, &owner, &options).await.expect("resync");
            let resync_time = t.elapsed();
            assert!(
                resync.converged && resync.created + resync.updated + resync.deleted == 0,
                "{resync}"
            );
            let (resync_reads, resync_writes) = api_requests(&controller.counters(&client).await);

            let t = Instant::now();
            let fresh = load_observed(&client, &owner).await.expect("load");
            let load_time = t.elapsed();
            let t = Instant::now();
            let p = plan(&desired, &fresh, &options.plan);
            let plan_time = t.elapsed();
            assert!(p.is_empty());
            drop((observed, fresh));

            // Minimum: one POST per object; the reads of an empty controller are one page per type.
            let kinds = ako_sync::MANAGED_KINDS.len() as u64;
            println!("  latency {latency} ms, {concurrency} models in flight, client limit {client_limit}:");
            println!(
                "    bootstrap: {:.2?} ({:.0} objects/s), {writes} writes for {objects} objects (minimum {objects}), {reads} reads (minimum {kinds}), {} rounds",
                bootstrap,
                objects as f64 / bootstrap.as_secs_f64(),
                summary.rounds
            );
            println!(
                "    no-change resync: {resync_time:.2?}, {resync_writes} writes, {resync_reads} reads (of which load {load_time:.2?}, plan {plan_time:.2?})"
            );
            println!(
                "    memory: RSS {rss_translated:.0} MiB with the translation, {rss_after:.0} MiB after bootstrap, peak {hwm_after:.0} MiB"
            );
            controller.stop().await;
        }
    }
}
