//! `ako run` through a real API server: bootstrap N Ingresses (each with its Service and
//! EndpointSlice, created through the API before the operator starts), then K single-endpoint
//! changes, against avisim in-process over HTTPS. The operator is the real `ako` binary as a
//! child process (as in `tests/run_e2e.rs`).
//!
//! Reports: time to ready (`/readyz` 200), time to converged (every Ingress status carries an
//! IP), peak RSS of the `ako` process (`VmHWM`), and the change-to-controller latency (an
//! endpoint added to one EndpointSlice until avisim's pool lists the new server), p50/p99.
//!
//! ```sh
//! cargo bench -p ako --bench run_e2e                           # N=1000, K=50
//! AKO_BENCH_INGRESSES=5000 cargo bench -p ako --bench run_e2e
//! ```
//!
//! Knobs: `AKO_BENCH_INGRESSES` (default 1000), `AKO_BENCH_CHANGES` (default 50),
//! `AKO_BENCH_TIMEOUT_S` (per phase, default 600). Needs the testenv API server
//! (`AKO_TESTENV_BIN`, as for the e2e tests).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ako_testenv::{FIELD_MANAGER, TestNamespace, testenv};
use avi_client::{Client, Config, Credential, Query};
use avisim::{Avisim, SimConfig};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USER: &str = "admin";
const PASSWORD: &str = "Bench-Run-Pw1";
const CLUSTER: &str = "bench";
/// Requests in flight while creating the cluster's objects.
const CREATE_CONCURRENCY: usize = 16;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The endpoint address `e` of Service `i` (unique per Service).
fn ip(i: usize, e: usize) -> String {
    format!("10.{}.{}.{}", 100 + i / 256 % 100, i % 256, e + 1)
}

fn slice(i: usize, endpoints: usize) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("web-{i}-1"), "labels": {"kubernetes.io/service-name": format!("web-{i}")}},
        "addressType": "IPv4",
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "endpoints": (0..endpoints).map(|e| json!({"addresses": [ip(i, e)], "conditions": {"ready": true}})).collect::<Vec<_>>()
    })
}

/// The Services are headless: testenv's service CIDR holds a few hundred ClusterIPs only, and
/// the pools are built from the EndpointSlices either way.
async fn create_world(ns: &TestNamespace, n: usize) {
    let services = ns.api::<Service>();
    let slices = ns.api::<EndpointSlice>();
    let ingresses = ns.api::<Ingress>();
    let pp = PostParams::default();
    futures::stream::iter(0..n)
        .map(|i| {
            let (services, slices, ingresses, pp) = (&services, &slices, &ingresses, &pp);
            async move {
                let name = format!("web-{i}");
                let svc: Service = serde_json::from_value(json!({
                    "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                    "spec": {"clusterIP": "None", "ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": name}}
                }))
                .unwrap();
                services.create(pp, &svc).await.expect("create Service");
                let es: EndpointSlice = serde_json::from_value(slice(i, 2)).unwrap();
                slices.create(pp, &es).await.expect("create EndpointSlice");
                let ing: Ingress = serde_json::from_value(json!({
                    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
                    "spec": {"ingressClassName": "avi-lb", "rules": [{"host": format!("app-{i}.avi.internal"), "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}
                }))
                .unwrap();
                ingresses.create(pp, &ing).await.expect("create Ingress");
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// `GET http://127.0.0.1:<port><path>`: the status, or `None` while nothing answers.
async fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.ok()?;
    raw.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident set of a process, in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn servers(pool: &Value) -> Vec<String> {
    pool["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/ip/addr").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

struct Ako(Child);

impl Drop for Ako {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_ako(dir: &Path, sim: &Avisim, ns: &str) -> Ako {
    let values = dir.join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "AKOSettings:\n  clusterName: {CLUSTER}\n  namespaceSelector:\n    labelKey: ako-bench\n    labelValue: {ns}\n\
             NetworkSettings:\n  vipNetworkList:\n    - networkName: vip-net\n\
             L7Settings:\n  serviceType: ClusterIP\n  shardVSSize: SMALL\n\
             ControllerSettings:\n  cloudName: Default-Cloud\n  serviceEngineGroupName: Default-Group\n  tenantName: admin\n"
        ),
    )
    .unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ako"))
        .arg("run")
        .args(["--admin-listen", "127.0.0.1:0"])
        .arg("--admin-port-file")
        .arg(dir.join("admin-port"))
        .arg("--kubeconfig")
        .arg(testenv().kubeconfig())
        .arg("--values")
        .arg(&values)
        .arg("--controller")
        .arg(sim.url())
        .arg("--ca-file")
        .arg(&ca)
        .env("AKO_CONTROLLER_USERNAME", USER)
        .env("AKO_CONTROLLER_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("ako.log")).unwrap())
        .spawn()
        .expect("start ako run");
    Ako(child)
}

/// Poll `probe` every `every` until it yields; panics after `timeout` or when ako exits.
async fn poll<T, F, Fut>(ako: &mut Ako, what: &str, timeout: Duration, every: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if let Ok(Some(status)) = ako.0.try_wait() {
            panic!("ako run exited ({status}) while waiting for {what}");
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(every).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

async fn run(n: usize, k: usize, timeout: Duration) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Avisim::start(SimConfig::local(USER, PASSWORD))
        .await
        .expect("avisim starts");
    let avi = Client::connect(Config::new(sim.url(), USER, Credential::password(PASSWORD)).with_ca_pem(sim.ca_pem()))
        .await
        .expect("log in to avisim");
    let ns = TestNamespace::new("bench-run").await;
    let label = json!({"metadata": {"labels": {"ako-bench": ns.name()}}});
    Api::<Namespace>::all(ns.client())
        .patch(ns.name(), &PatchParams::default(), &Patch::Merge(&label))
        .await
        .expect("label the namespace");
    let class: IngressClass = serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "avi-lb",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ako.vmware.com/avi-lb"}
    }))
    .unwrap();
    Api::<IngressClass>::all(ns.client())
        .patch(
            "avi-lb",
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&class),
        )
        .await
        .expect("apply the IngressClass");

    let t = Instant::now();
    create_world(&ns, n).await;
    println!(
        "created {n} Ingresses + Services + EndpointSlices through the API in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // (1) bootstrap.
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut ako = start_ako(dir.path(), &sim, ns.name());
    let pid = ako.0.id();
    let port_file = dir.path().join("admin-port");
    let port: u16 = poll(
        &mut ako,
        "the admin port",
        timeout,
        Duration::from_millis(20),
        || async { std::fs::read_to_string(&port_file).ok()?.trim().parse().ok() },
    )
    .await;
    poll(&mut ako, "/readyz 200", timeout, Duration::from_millis(20), || async {
        (get_status(port, "/readyz").await? == 200).then_some(())
    })
    .await;
    let ready = started.elapsed();
    let ingresses = ns.api::<Ingress>();
    poll(
        &mut ako,
        "every Ingress status with an IP",
        timeout,
        Duration::from_millis(250),
        || async {
            let list = ingresses.list(&ListParams::default()).await.ok()?;
            let done = list
                .items
                .iter()
                .filter(|i| {
                    i.status
                        .as_ref()
                        .and_then(|s| s.load_balancer.as_ref())
                        .and_then(|lb| lb.ingress.as_ref())
                        .is_some_and(|l| l.iter().any(|e| e.ip.is_some()))
                })
                .count();
            (done == n).then_some(())
        },
    )
    .await;
    let converged = started.elapsed();
    let rss_boot = peak_rss_mib(pid).unwrap_or(f64::NAN);
    let pools = avi
        .list_raw("pool", &Query::new().name_contains(ns.name()))
        .await
        .expect("list pools");
    println!(
        "bootstrap N={n}: ready {:.2} s, converged {:.2} s, {} pools on avisim, peak RSS {rss_boot:.1} MiB",
        ready.as_secs_f64(),
        converged.as_secs_f64(),
        pools.len()
    );

    // (2) change-to-controller latency: one EndpointSlice gains an endpoint.
    let pool_of = |i: usize| -> String {
        let first = ip(i, 0);
        pools
            .iter()
            .find(|p| servers(p).contains(&first))
            .and_then(|p| p["name"].as_str())
            .unwrap_or_else(|| panic!("no pool with server {first}"))
            .to_owned()
    };
    let slices = ns.api::<EndpointSlice>();
    let mut lat = Vec::with_capacity(k);
    for c in 0..k {
        let i = (c * 7919) % n;
        let pool = pool_of(i);
        let new_ip = ip(i, 2);
        let es: EndpointSlice = serde_json::from_value(slice(i, 3)).unwrap();
        let t = Instant::now();
        slices
            .patch(
                &format!("web-{i}-1"),
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&es),
            )
            .await
            .expect("add an endpoint");
        poll(
            &mut ako,
            "the new server in the pool",
            timeout,
            Duration::from_millis(5),
            || async {
                let p: Value = avi.get_by_name("pool", &pool).await.ok()??;
                servers(&p).contains(&new_ip).then_some(())
            },
        )
        .await;
        lat.push(t.elapsed());
    }
    lat.sort();
    let rss_end = peak_rss_mib(pid).unwrap_or(f64::NAN);
    println!(
        "change latency N={n} K={k}: p50 {}, p99 {}, min {}, max {}; peak RSS at the end {rss_end:.1} MiB",
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(lat[0]),
        ms(lat[k - 1])
    );
    drop(ako);
    ns.delete().await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a smoke size.
    let bench = std::env::args().any(|a| a == "--bench");
    let n = env_usize("AKO_BENCH_INGRESSES", if bench { 1000 } else { 10 }).max(1);
    let k = env_usize("AKO_BENCH_CHANGES", if bench { 50 } else { 3 }).max(1);
    let timeout = Duration::from_secs(env_usize("AKO_BENCH_TIMEOUT_S", 600) as u64);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(n, k, timeout));
}
