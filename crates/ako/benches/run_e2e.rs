//! `ako run` through a real API server: bootstrap N Ingresses (each with its Service and
//! EndpointSlice, created through the API before the operator starts), then K single-endpoint
//! changes, against avisim in-process over HTTPS. The operator is the real `ako` binary as a
//! child process (as in `tests/run_e2e.rs`).
//!
//! Reports: time to ready (`/readyz` 200), time to converged (every Ingress status carries an
//! IP), time to annotated (every Ingress carries AKO's annotations, written after the statuses),
//! peak RSS of the `ako` process (`VmHWM`), and the change-to-controller latency (an
//! endpoint added to one EndpointSlice until avisim's pool lists the new server), p50/p99.
//!
//! ```sh
//! cargo bench -p ako --bench run_e2e                           # N=1000, K=50
//! AKO_BENCH_INGRESSES=5000 cargo bench -p ako --bench run_e2e
//! ```
//!
//! Knobs: `AKO_BENCH_INGRESSES` (default 1000), `AKO_BENCH_CHANGES` (default 50),
//! `AKO_BENCH_TIMEOUT_S` (per phase, default 600), `AKO_BENCH_SHARD` (shardVSSize, default
//! SMALL), `AKO_BENCH_HOSTRULES` (default 0: that many of the hosts get a HostRule naming a
//! controller certificate and a WAF policy, which makes each an SNI child), `AKO_BENCH_FOLLOWERS`
//! (default 0: no leader election; otherwise the measured process and that many more replicas
//! elect a leader on a Lease in the bench namespace, the followers start once the leader is
//! ready, their peak RSS is reported too, and at the end the leader is killed with SIGKILL: the
//! time until a follower holds the lease and until it has applied the next change), `AKO_BENCH_EVH`
//! (default 0; 1: `enableEVH: true`), `AKO_BENCH_SECRETS` (default 0: that many Opaque Secrets
//! of 1 KiB that no Ingress names, as a cluster's other applications have),
//! `AKO_BENCH_LATENCY_MS` (default 0: avisim answers every request that much later),
//! `AKO_BENCH_MAX_REQUESTS` (`ako run --max-requests`, default its own: 64). Needs the testenv API server (`AKO_TESTENV_BIN`,
//! as for the e2e tests).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use ako_testenv::{FIELD_MANAGER, TestNamespace};
use avi_client::Query;
use avisim::Avisim;
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually_every, scoped_namespace};

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
async fn create_world(ns: &TestNamespace, n: usize, rules: usize) {
    let services = ns.api::<Service>();
    let slices = ns.api::<EndpointSlice>();
    let ingresses = ns.api::<Ingress>();
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "HostRule");
    let host_rules: Api<DynamicObject> = Api::namespaced_with(
        ns.client(),
        ns.name(),
        &ApiResource::from_gvk_with_plural(&gvk, "hostrules"),
    );
    let pp = PostParams::default();
    // Every `every`-th host gets a HostRule.
    let every = n.checked_div(rules).map_or(usize::MAX, |e| e.max(1));
    futures::stream::iter(0..n)
        .map(|i| {
            let (services, slices, ingresses, host_rules, pp) = (&services, &slices, &ingresses, &host_rules, &pp);
            async move {
                if i % every == 0 && i / every < rules {
                    let rule: DynamicObject = serde_json::from_value(json!({
                        "apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule", "metadata": {"name": format!("web-{i}")},
                        "spec": {"virtualhost": {"fqdn": format!("app-{i}.avi.internal"), "wafPolicy": "System-WAF-Policy",
                            "tls": {"sslKeyCertificate": {"name": "avi-cert", "type": "ref"}}}}
                    }))
                    .unwrap();
                    host_rules.create(pp, &rule).await.expect("create HostRule");
                }
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

/// `n` Opaque Secrets `other-<i>` of 1 KiB each that no Ingress names.
async fn create_unreferenced_secrets(ns: &TestNamespace, n: usize) {
    let secrets = ns.api::<k8s_openapi::api::core::v1::Secret>();
    let pp = PostParams::default();
    futures::stream::iter(0..n)
        .map(|i| {
            let (secrets, pp) = (&secrets, &pp);
            async move {
                let secret = serde_json::from_value(json!({
                    "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": format!("other-{i}")},
                    "stringData": {"data": "x".repeat(1024)}
                }))
                .unwrap();
                secrets.create(pp, &secret).await.expect("create Secret");
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
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

/// `ako run` named `name` (warnings only: logging every pass would be part of what is
/// measured); with `elect`, a replica electing a leader on a Lease in namespace `ns`.
fn start_ako(dir: &Path, sim: &Avisim, ns: &str, name: &str, elect: bool) -> AkoRun {
    // AKO_BENCH_SHARD: shardVSSize (SMALL: every Ingress in one parent VS, the worst case for
    // a change; LARGE: AKO's default, 8 parent VSes).
    let shard = std::env::var("AKO_BENCH_SHARD").unwrap_or_else(|_| "SMALL".to_owned());
    let mut text = support::values_yaml(CLUSTER, ns).replace("shardVSSize: SMALL", &format!("shardVSSize: {shard}"));
    if evh() {
        text = text.replacen("AKOSettings:\n", "AKOSettings:\n  enableEVH: true\n", 1);
    }
    AkoRun::with_yaml(dir, name, &text, &sim.url(), &sim.ca_pem(), PASSWORD, |cmd| {
        if elect {
            cmd.env("POD_NAMESPACE", ns).env("POD_NAME", name);
        }
        cmd.env("RUST_LOG", "warn");
        // AKO_BENCH_MAX_REQUESTS: requests in flight to the controller (`--max-requests`).
        if let Ok(n) = std::env::var("AKO_BENCH_MAX_REQUESTS") {
            cmd.args(["--max-requests", &n]);
        }
    })
}

/// `AKO_BENCH_EVH=1`: EVH mode.
fn evh() -> bool {
    env_usize("AKO_BENCH_EVH", 0) == 1
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

async fn run(n: usize, k: usize, timeout: Duration) {
    let (sim, avi) = support::avisim(PASSWORD).await;
    // AKO_BENCH_LATENCY_MS: every controller request answered that much later (a remote controller).
    sim.set_latency(Duration::from_millis(env_usize("AKO_BENCH_LATENCY_MS", 0) as u64));
    let ns = scoped_namespace("bench-run").await;

    let rules = env_usize("AKO_BENCH_HOSTRULES", 0);
    if rules > 0 {
        let crd =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako/crds/ako.vmware.com_hostrules.yaml");
        ako_testenv::install_crd(&ns.client(), crd)
            .await
            .expect("install the HostRule CRD");
    }
    let t = Instant::now();
    create_world(&ns, n, rules).await;
    let secrets = env_usize("AKO_BENCH_SECRETS", 0);
    create_unreferenced_secrets(&ns, secrets).await;
    println!(
        "created {n} Ingresses + Services + EndpointSlices ({rules} HostRules, {secrets} other Secrets) through the API in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // (1) bootstrap.
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let followers = env_usize("AKO_BENCH_FOLLOWERS", 0);
    let ako = start_ako(dir.path(), &sim, ns.name(), "ako", followers > 0);
    let pid = ako.pid();
    let every = Duration::from_millis(20);
    let port: u16 = eventually_every("the admin port", timeout, every, &ako, || async {
        support::read_port(ako.port_file())
    })
    .await;
    eventually_every("/readyz 200", timeout, every, &ako, || async {
        (support::get(port, "/readyz").await?.0 == 200).then_some(())
    })
    .await;
    let ready = started.elapsed();
    let others: Vec<AkoRun> = (1..=followers)
        .map(|f| start_ako(dir.path(), &sim, ns.name(), &format!("ako-follower-{f}"), true))
        .collect();
    let ingresses = ns.api::<Ingress>();
    let all_ingresses = |what: &'static str, done: fn(&Ingress) -> bool| {
        let ingresses = ingresses.clone();
        let ako = &ako;
        async move {
            eventually_every(what, timeout, Duration::from_millis(250), ako, || async {
                let list = ingresses.list(&ListParams::default()).await.ok()?;
                (list.items.iter().filter(|i| done(i)).count() == n).then_some(())
            })
            .await
        }
    };
    all_ingresses("every Ingress status with an IP", |i| {
        i.status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .is_some_and(|l| l.iter().any(|e| e.ip.is_some()))
    })
    .await;
    let converged = started.elapsed();
    // AKO's annotations (host → VS uuid) come after the statuses, in the same passes.
    all_ingresses("every Ingress with AKO's annotations", |i| {
        i.metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("ako.vmware.com/host-fqdn-vs-uuid-map"))
    })
    .await;
    let annotated = started.elapsed();
    let rss_boot = peak_rss_mib(pid).unwrap_or(f64::NAN);
    // EVH names are hashed: every pool of the (fresh) simulator is this run's.
    let query = if evh() {
        Query::new()
    } else {
        Query::new().name_contains(ns.name())
    };
    let pools = avi.list_raw("pool", &query).await.expect("list pools");
    println!(
        "bootstrap N={n}: ready {:.2} s, converged {:.2} s, annotated {:.2} s, {} pools on avisim, peak RSS {rss_boot:.1} MiB",
        ready.as_secs_f64(),
        converged.as_secs_f64(),
        annotated.as_secs_f64(),
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
    // EndpointSlice `i` set to `endpoints` endpoints: how long until its pool lists the last one.
    let change = async |i: usize, endpoints: usize, watched: &AkoRun| -> Duration {
        let pool = pool_of(i);
        let new_ip = ip(i, endpoints - 1);
        let es: EndpointSlice = serde_json::from_value(slice(i, endpoints)).unwrap();
        let t = Instant::now();
        slices
            .patch(
                &format!("web-{i}-1"),
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&es),
            )
            .await
            .expect("add an endpoint");
        eventually_every(
            "the new server in the pool",
            timeout,
            Duration::from_millis(5),
            watched,
            || async {
                let p: Value = avi.get_by_name("pool", &pool).await.ok()??;
                servers(&p).contains(&new_ip).then_some(())
            },
        )
        .await;
        t.elapsed()
    };
    let mut lat = Vec::with_capacity(k);
    for c in 0..k {
        lat.push(change((c * 7919) % n, 3, &ako).await);
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
    for f in &others {
        assert!(f.exited().is_none(), "a follower exited: {}", f.log_text());
        println!(
            "follower {}: peak RSS {:.1} MiB",
            f.name(),
            peak_rss_mib(f.pid()).unwrap_or(f64::NAN)
        );
    }
    let writers: Vec<String> = sim.writes_by_client().into_keys().collect();
    println!("controller writes came from: {writers:?}");

    // (3) With followers, failover: the leader killed (-9), a follower takes the lease once it
    // runs out, then serves the next change.
    if let Some(successor) = others.first() {
        let leases = ns.api::<Lease>();
        ako.signal("KILL");
        let killed = Instant::now();
        let leader = eventually_every(
            "a follower leads",
            timeout,
            Duration::from_millis(20),
            successor,
            || async {
                let holder = leases.get("ako-lease-lock").await.ok()?.spec?.holder_identity?;
                (holder != "ako").then_some(holder)
            },
        )
        .await;
        let took = killed.elapsed();
        let followed = others.iter().find(|f| f.name() == leader).unwrap_or(successor);
        let served = change(1 % n, 4, followed).await;
        println!(
            "failover N={n}: lease taken over by {leader} {:.2} s after kill -9 of the leader; the next change applied {:.2} s after the kill ({} after it was made)",
            took.as_secs_f64(),
            killed.elapsed().as_secs_f64(),
            ms(served)
        );
    }
    drop(others);
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
