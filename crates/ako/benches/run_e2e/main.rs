//! An operator through a real API server: bootstrap N Ingresses (each with its Service and
//! EndpointSlice, created through the API before the operator starts) and LoadBalancer Services,
//! then K changes, against avisim in-process over HTTPS. The operator is the real `ako` binary
//! as a child process (as in `tests/run_e2e.rs`), or Go AKO (`AKO_BENCH_GO_AKO`), both started
//! as AKO's chart starts them: the ConfigMap `avi-k8s-config` and the StatefulSet's environment.
//!
//! Reports: time to ready (`/readyz` 200, `ako run` only), time to converged (every Ingress and
//! LoadBalancer Service status carries an IP), time to annotated (every Ingress carries AKO's
//! annotations, written after the statuses), time to settled (the last controller write before
//! `AKO_BENCH_QUIET_S` without one), the controller requests and CPU seconds until then, peak RSS
//! (`VmHWM`), and the change-to-controller latency p50/p99.
//!
//! ```sh
//! cargo bench -p ako --bench run_e2e                           # N=1000, K=50
//! AKO_BENCH_INGRESSES=5000 cargo bench -p ako --bench run_e2e
//! ```
//!
//! Knobs (environment, defaults in brackets):
//! - the cluster: `AKO_BENCH_INGRESSES` [1000], `AKO_BENCH_PATHS` [1] per Ingress,
//!   `AKO_BENCH_TLS_PERCENT` [0] of the Ingresses with a TLS Secret, `AKO_BENCH_LB_SERVICES` [0]
//!   LoadBalancer Services, `AKO_BENCH_HOSTRULES` [0] hosts with a HostRule naming a controller
//!   certificate and a WAF policy (an SNI child each), `AKO_BENCH_SECRETS` [0] Opaque Secrets of
//!   1 KiB nothing names;
//! - the settings: `AKO_BENCH_SHARD` [SMALL] (shardVSSize), `AKO_BENCH_EVH` [0] (1: EVH);
//! - the controller: `AKO_BENCH_LATENCY_MS` [0] added to every avisim answer,
//!   `AKO_BENCH_MAX_REQUESTS` (`ako run --max-requests`, default its own);
//! - the changes: `AKO_BENCH_CHANGES` [50], `AKO_BENCH_CHANGE` [endpoint]: `endpoint` (an
//!   EndpointSlice gains an endpoint, until the pool lists it) or `path` (an Ingress gains a
//!   path, until its pool exists);
//! - `AKO_BENCH_FOLLOWERS` [0]: the measured `ako run` and that many more replicas elect a leader;
//!   the followers start once the leader is ready, their peak RSS is reported, and at the end the
//!   leader is killed with SIGKILL (time until a follower leads and has applied the next change);
//! - `AKO_BENCH_RESYNC` [0]: 1: after the changes, `fullSyncFrequency` is set so that periodic
//!   full resyncs run; the time and controller writes of the first ones are reported;
//! - `AKO_BENCH_GO_AKO`: path of a Go AKO binary: it is the operator measured (no `/readyz`, no
//!   followers, no resync);
//! - `AKO_BENCH_TAKEOVER` [0]: 1 with `AKO_BENCH_GO_AKO`: once Go AKO has settled it is stopped and
//!   `ako run` started on the same cluster and controller; reports what ako-rs wrote (creates,
//!   updates, deletes) and which Ingress and Service statuses or annotations changed;
//! - `AKO_BENCH_TIMEOUT_S` [600] per phase, `AKO_BENCH_QUIET_S` [5] for settled.
//!
//! Each run starts its own testenv (`AKO_TESTENV_BIN`, as for the e2e tests) with a /16 Service
//! range for the LoadBalancer Services.

#[path = "../../tests/support/mod.rs"]
mod support;

mod chart;
mod go_ako;
mod usage;
mod world;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ako_testenv::{FIELD_MANAGER, TestNamespace};
use avi_client::Query;
use avisim::Avisim;
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use serde_json::Value;
use support::{AkoRun, Watched, eventually_every};
use usage::{cpu_seconds, peak_rss_mib};

const PASSWORD: &str = "Bench-Run-Pw1";
const CLUSTER: &str = "bench";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn servers(pool: &Value) -> Vec<String> {
    pool["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/ip/addr").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The operator under measurement.
enum Operator {
    Rs(AkoRun),
    Go(go_ako::GoAko),
}

impl Operator {
    fn pid(&self) -> u32 {
        match self {
            Operator::Rs(a) => a.pid(),
            Operator::Go(g) => g.pid(),
        }
    }

    fn watched(&self) -> &dyn Watched {
        match self {
            Operator::Rs(a) => a,
            Operator::Go(g) => g,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Operator::Rs(_) => "ako-rs",
            Operator::Go(_) => "Go AKO",
        }
    }
}

/// What both operators are started with.
struct Setup {
    kubeconfig: std::path::PathBuf,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

/// `ako run` named `name` as the chart starts it (the ConfigMap, the environment); with `elect`,
/// a replica electing a leader on the Lease in `avi-system`.
fn start_ako(setup: &Setup, sim: &Avisim, name: &str, elect: bool) -> AkoRun {
    let ca = setup.dir.path().join("avisim-ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    AkoRun::start_on(&setup.kubeconfig, setup.dir.path(), name, |cmd| {
        cmd.args(["--configmap", &format!("{}/{}", chart::NAMESPACE, chart::CONFIGMAP)])
            .args(["--controller", &sim.url()])
            .arg("--ca-file")
            .arg(&ca)
            .envs(setup.env.iter().map(|(k, v)| (k, v)))
            .env("POD_NAME", name)
            .env("AKO_CONTROLLER_USERNAME", support::USER)
            .env("AKO_CONTROLLER_PASSWORD", PASSWORD)
            .env("RUST_LOG", "warn");
        if !elect {
            cmd.arg("--no-leader-election");
        }
        if let Ok(n) = std::env::var("AKO_BENCH_MAX_REQUESTS") {
            cmd.args(["--max-requests", &n]);
        }
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn has_ip(s: Option<&k8s_openapi::api::networking::v1::IngressLoadBalancerStatus>) -> bool {
    s.and_then(|lb| lb.ingress.as_ref())
        .is_some_and(|l| l.iter().any(|e| e.ip.is_some()))
}

/// A watched copy of `api`'s objects. The bench counts what is done from it: listing 10,000
/// Ingresses every poll cost the API server more CPU than the operator's writes (2 cores).
fn mirror<K>(api: Api<K>) -> reflector::Store<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api, watcher::Config::default()).default_backoff());
    tokio::spawn(stream.for_each(|_| std::future::ready(())));
    reader
}

/// Poll `count` every 250 ms until it reaches `n`. At the timeout (Go AKO is given 30 minutes)
/// the progress so far is printed before the bench gives up.
async fn until_all<F, Fut>(what: &str, n: usize, timeout: Duration, op: &Operator, count: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<usize>>,
{
    let deadline = Instant::now() + timeout;
    let mut done = 0;
    loop {
        done = count().await.unwrap_or(done);
        if done >= n {
            return;
        }
        if let Some(status) = op.watched().exited() {
            panic!(
                "{} exited ({status}) while waiting for {what}; log:\n{}",
                op.label(),
                op.watched().log_text()
            );
        }
        if Instant::now() >= deadline {
            println!(
                "stopped: {} after {:.0} s: {what}: {done} of {n}; peak RSS {:.1} MiB, {:.1} CPU s",
                op.label(),
                timeout.as_secs_f64(),
                peak_rss_mib(op.pid()).unwrap_or(f64::NAN),
                cpu_seconds(op.pid()).unwrap_or(f64::NAN)
            );
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How long after `started` the controller saw its last write, once `quiet` passed without one.
async fn settled(sim: &Avisim, started: Instant, quiet: Duration, timeout: Duration, op: &Operator) -> Duration {
    let mut last = (sim.counters().writes(), started.elapsed());
    eventually_every(
        "the controller quiet",
        timeout,
        Duration::from_millis(100),
        op.watched(),
        || {
            let writes = sim.counters().writes();
            if writes != last.0 {
                last = (writes, started.elapsed());
            }
            let done = started.elapsed() - last.1 >= quiet;
            async move { done.then_some(()) }
        },
    )
    .await;
    last.1
}

/// Every Ingress's and Service's status and AKO's annotations, by name.
async fn k8s_state(ns: &TestNamespace) -> BTreeMap<String, String> {
    let ako_annotations = |m: &ObjectMeta| -> String {
        let a = m.annotations.clone().unwrap_or_default();
        format!(
            "{:?}",
            a.iter()
                .filter(|(k, _)| k.starts_with("ako.vmware.com/"))
                .collect::<Vec<_>>()
        )
    };
    let mut out = BTreeMap::new();
    for i in ns.api::<Ingress>().list(&ListParams::default()).await.unwrap().items {
        let key = format!("Ingress {}", i.metadata.name.clone().unwrap());
        out.insert(key, format!("{:?} {}", i.status, ako_annotations(&i.metadata)));
    }
    for s in ns.api::<Service>().list(&ListParams::default()).await.unwrap().items {
        let key = format!("Service {}", s.metadata.name.clone().unwrap());
        out.insert(key, format!("{:?} {}", s.status, ako_annotations(&s.metadata)));
    }
    out
}

async fn run(n: usize, k: usize, timeout: Duration) {
    // A takeover shows the bodies of what ako-rs writes.
    let log_bodies = env_usize("AKO_BENCH_TAKEOVER", 0) == 1;
    let (sim, avi) = support::avisim_with(avisim::SimConfig {
        log_bodies,
        ..avisim::SimConfig::local(support::USER, PASSWORD)
    })
    .await;
    sim.set_latency(Duration::from_millis(env_usize("AKO_BENCH_LATENCY_MS", 0) as u64));
    let testenv = ako_testenv::TestEnv::start_private(&["--service-cluster-ip-range=10.96.0.0/16".to_owned()])
        .expect("a testenv for the bench");
    let ns = support::scoped_namespace_in(&testenv, "bench-run").await;
    let shard = std::env::var("AKO_BENCH_SHARD").unwrap_or_else(|_| "SMALL".to_owned());
    let evh = env_usize("AKO_BENCH_EVH", 0) == 1;
    let api_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let controller = sim.url().trim_start_matches("https://").to_owned();
    let data = chart::configmap_data(&chart::Choices {
        cluster: CLUSTER,
        served: ns.name(),
        controller: &controller,
        shard: &shard,
        evh,
        api_port,
    });
    chart::install(&ns.client(), &data, support::USER, PASSWORD).await;
    let setup = Setup {
        kubeconfig: testenv.kubeconfig().to_owned(),
        env: chart::environment(&data),
        dir: tempfile::tempdir().unwrap(),
    };

    let shape = world::Shape {
        ingresses: n,
        paths: env_usize("AKO_BENCH_PATHS", 1).max(1),
        tls_percent: env_usize("AKO_BENCH_TLS_PERCENT", 0).min(100),
        host_rules: env_usize("AKO_BENCH_HOSTRULES", 0),
        lb_services: env_usize("AKO_BENCH_LB_SERVICES", 0),
        other_secrets: env_usize("AKO_BENCH_SECRETS", 0),
    };
    let t = Instant::now();
    shape.create(&ns).await;
    println!(
        "created {n} Ingresses ({} paths, {} % TLS, {} HostRules) + Services + EndpointSlices, {} LoadBalancer Services, {} other Secrets through the API in {:.1} s",
        shape.paths,
        shape.tls_percent,
        shape.host_rules,
        shape.lb_services,
        shape.other_secrets,
        t.elapsed().as_secs_f64()
    );

    // (1) bootstrap.
    let go = std::env::var_os("AKO_BENCH_GO_AKO").map(std::path::PathBuf::from);
    let takeover = go.is_some() && env_usize("AKO_BENCH_TAKEOVER", 0) == 1;
    let followers = if go.is_some() {
        0
    } else {
        env_usize("AKO_BENCH_FOLLOWERS", 0)
    };
    let requests_before = sim.counters().total(None, None);
    let started = Instant::now();
    let op = match &go {
        Some(binary) => Operator::Go(go_ako::GoAko::start(
            binary,
            &setup.kubeconfig,
            setup.dir.path(),
            &setup.env,
        )),
        None => Operator::Rs(start_ako(&setup, &sim, "ako", followers > 0)),
    };
    let pid = op.pid();
    let mut ready = None;
    if let Operator::Rs(ako) = &op {
        ready = Some(wait_ready(ako, timeout).await);
    }
    let others: Vec<AkoRun> = (1..=followers)
        .map(|f| start_ako(&setup, &sim, &format!("ako-follower-{f}"), true))
        .collect();
    let (ingresses, services) = (ns.api::<Ingress>(), ns.api::<Service>());
    let (ingress_copy, service_copy) = (mirror(ingresses.clone()), mirror(services.clone()));
    let count_ingresses = |done: fn(&Ingress) -> bool| {
        let copy = ingress_copy.clone();
        move || {
            let copy = copy.clone();
            async move { Some(copy.state().iter().filter(|i| done(i)).count()) }
        }
    };
    until_all(
        "every Ingress status with an IP",
        n,
        timeout,
        &op,
        count_ingresses(|i| has_ip(i.status.as_ref().and_then(|s| s.load_balancer.as_ref()))),
    )
    .await;
    until_all(
        "every LoadBalancer Service status with an IP",
        shape.lb_services,
        timeout,
        &op,
        || async {
            let with_ip = service_copy.state().into_iter().filter(|s| {
                s.status
                    .as_ref()
                    .and_then(|s| s.load_balancer.as_ref())
                    .and_then(|lb| lb.ingress.as_ref())
                    .is_some_and(|l| l.iter().any(|e| e.ip.is_some()))
            });
            Some(with_ip.count())
        },
    )
    .await;
    let converged = started.elapsed();
    // AKO's annotations (host → VS uuid) come after the statuses.
    until_all(
        "every Ingress with AKO's annotations",
        n,
        timeout,
        &op,
        count_ingresses(|i| {
            i.metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("ako.vmware.com/host-fqdn-vs-uuid-map"))
        }),
    )
    .await;
    let annotated = started.elapsed();
    let quiet = Duration::from_secs(env_usize("AKO_BENCH_QUIET_S", 5) as u64);
    let settled_at = settled(&sim, started, quiet, timeout, &op).await;
    let requests = sim.counters().total(None, None) - requests_before;
    let writes = sim.counters().writes();
    let cpu = cpu_seconds(pid).unwrap_or(f64::NAN);
    let rss_boot = peak_rss_mib(pid).unwrap_or(f64::NAN);
    let pools = avi.list_raw("pool", &Query::new()).await.expect("list pools");
    println!(
        "bootstrap {} N={n}: ready {}, converged {:.2} s, annotated {:.2} s, settled {:.2} s; {requests} controller requests ({writes} writes), {cpu:.1} CPU s, {} pools on avisim, peak RSS {rss_boot:.1} MiB",
        op.label(),
        ready.map_or("-".to_owned(), |r| format!("{:.2} s", r.as_secs_f64())),
        converged.as_secs_f64(),
        annotated.as_secs_f64(),
        settled_at.as_secs_f64(),
        pools.len()
    );

    if takeover {
        let Operator::Go(go) = &op else { unreachable!() };
        take_over(go, &setup, (&sim, &avi), &ns, timeout, quiet).await;
        return;
    }

    // (2) change-to-controller latency.
    let path_change = std::env::var("AKO_BENCH_CHANGE").is_ok_and(|c| c == "path");
    let pool_of = |i: usize| -> String {
        let first = world::ip(i, 0);
        pools
            .iter()
            .find(|p| servers(p).contains(&first))
            .and_then(|p| p["name"].as_str())
            .unwrap_or_else(|| panic!("no pool with server {first}"))
            .to_owned()
    };
    let slices = ns.api::<EndpointSlice>();
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    // EndpointSlice of Ingress `i` set to `endpoints` endpoints: until its pool lists the last one.
    let endpoint_change = async |i: usize, endpoints: usize, watched: &dyn Watched| -> Duration {
        let pool = pool_of(i);
        let new_ip = world::ip(i, endpoints - 1);
        let service = format!("web-{i}");
        let es: EndpointSlice = serde_json::from_value(world::slice(&service, i, endpoints)).unwrap();
        let t = Instant::now();
        slices
            .patch(&format!("{service}-1"), &apply, &Patch::Apply(&es))
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
    // Ingress `i` gains path `/chg-<c>-x`: until a pool for it exists (AKO names pools after
    // their path).
    let path_change_of = async |c: usize, i: usize, watched: &dyn Watched| -> Duration {
        let path = format!("/chg-{c}-x");
        let ing: Ingress = serde_json::from_value(world::ingress(i, shape.paths, shape.tls(i), &[path])).unwrap();
        let t = Instant::now();
        ingresses
            .patch(&format!("web-{i}"), &apply, &Patch::Apply(&ing))
            .await
            .expect("add a path");
        let query = Query::new().name_contains(format!("chg-{c}-x"));
        eventually_every(
            "the new path's pool",
            timeout,
            Duration::from_millis(5),
            watched,
            || async {
                let pools = avi.list_raw("pool", &query).await.ok()?;
                (!pools.is_empty()).then_some(())
            },
        )
        .await;
        t.elapsed()
    };
    let mut lat = Vec::with_capacity(k);
    for c in 0..k {
        let i = (c * 7919) % n;
        lat.push(if path_change {
            path_change_of(c, i, op.watched()).await
        } else {
            endpoint_change(i, 3, op.watched()).await
        });
    }
    lat.sort();
    let rss_end = peak_rss_mib(pid).unwrap_or(f64::NAN);
    println!(
        "change latency ({}) N={n} K={k}: p50 {}, p99 {}, min {}, max {}; peak RSS at the end {rss_end:.1} MiB",
        if path_change {
            "a path added"
        } else {
            "an endpoint added"
        },
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

    // (3) No-change periodic resyncs.
    if env_usize("AKO_BENCH_RESYNC", 0) == 1
        && let Operator::Rs(ako) = &op
    {
        // The last change's pass may still be writing (the bench waited for its pool only).
        settled(&sim, Instant::now(), quiet, timeout, &op).await;
        resyncs(ako, &ns, &sim, timeout).await;
    }

    // (4) With followers, failover: the leader killed (-9), a follower takes the lease once it
    // runs out, then serves the next change.
    if let (Some(successor), Operator::Rs(ako)) = (others.first(), &op) {
        let leases = Api::<Lease>::namespaced(ns.client(), chart::NAMESPACE);
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
        let served = endpoint_change(1 % n, 4, followed).await;
        println!(
            "failover N={n}: lease taken over by {leader} {:.2} s after kill -9 of the leader; the next change applied {:.2} s after the kill ({} after it was made)",
            took.as_secs_f64(),
            killed.elapsed().as_secs_f64(),
            ms(served)
        );
    }
    drop(others);
    drop(op);
    ns.delete().await;
}

async fn wait_ready(ako: &AkoRun, timeout: Duration) -> Duration {
    let started = Instant::now();
    let every = Duration::from_millis(20);
    let port: u16 = eventually_every("the admin port", timeout, every, ako, || async {
        support::read_port(ako.port_file())
    })
    .await;
    eventually_every("/readyz 200", timeout, every, ako, || async {
        (support::get(port, "/readyz").await?.0 == 200).then_some(())
    })
    .await;
    started.elapsed()
}

/// Go AKO has settled: stop it, start `ako run` on the same cluster and controller, and report
/// what it wrote there and in Kubernetes: every controller write with what it changed.
async fn take_over(
    go: &go_ako::GoAko,
    setup: &Setup,
    (sim, avi): (&Avisim, &avi_client::Client),
    ns: &TestNamespace,
    timeout: Duration,
    quiet: Duration,
) {
    go.stop();
    let before = k8s_state(ns).await;
    let mut objects: BTreeMap<String, Value> = BTreeMap::new();
    for kind in support::BUILT_TYPES {
        for o in avi.list_raw(kind, &Query::new()).await.expect("list the controller") {
            objects.insert(o["uuid"].as_str().unwrap_or_default().to_owned(), o);
        }
    }
    let seq = sim.request_log(0).last().map_or(0, |r| r.seq);
    sim.reset_counters();
    let started = Instant::now();
    let op = Operator::Rs(start_ako(setup, sim, "ako", false));
    let Operator::Rs(ako) = &op else { unreachable!() };
    let ready = wait_ready(ako, timeout).await;
    let port = ako.admin_port(timeout).await;
    // Its first full pass is done when /api/status says converged.
    eventually_every("ako-rs converged", timeout, Duration::from_millis(100), ako, || async {
        let (_, body) = support::get(port, "/api/status").await?;
        let status: Value = serde_json::from_str(&body).ok()?;
        (status["converged"] == Value::Bool(true)).then_some(())
    })
    .await;
    let converged = started.elapsed();
    let settled_at = settled(sim, started, quiet, timeout, &op).await;
    let writes: Vec<_> = sim
        .request_log(seq)
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") && r.path.starts_with("/api/"))
        .filter(|r| !matches!(r.object_type.as_str(), "login" | "logout"))
        .collect();
    let count = |methods: &[&str]| writes.iter().filter(|r| methods.contains(&r.method.as_str())).count();
    let after = k8s_state(ns).await;
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    println!(
        "takeover: ako-rs ready {:.2} s, converged {:.2} s, settled {:.2} s after start; controller writes: {} creates, {} updates, {} deletes; Kubernetes objects whose status or AKO annotations changed: {} of {} {:?}",
        ready.as_secs_f64(),
        converged.as_secs_f64(),
        settled_at.as_secs_f64(),
        count(&["POST"]),
        count(&["PUT", "PATCH"]),
        count(&["DELETE"]),
        changed.len(),
        after.len(),
        changed.iter().take(10).collect::<Vec<_>>()
    );
    for w in writes.iter().take(20) {
        let uuid = w.path.rsplit('/').next().unwrap_or_default();
        let old = objects.get(uuid);
        let name = old.and_then(|o| o["name"].as_str()).unwrap_or("?");
        let body = w.body.clone().unwrap_or(Value::Null);
        let differs: Vec<String> = body
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| old.is_none_or(|o| o.get(k.as_str()) != Some(v)))
            .map(|(k, v)| {
                format!(
                    "{k}: {} -> {v}",
                    old.and_then(|o| o.get(k.as_str())).unwrap_or(&Value::Null)
                )
            })
            .collect();
        println!("  {} {} {name}: {differs:?}", w.method, w.path);
    }
}

/// Periodic full resyncs with nothing changed: `fullSyncFrequency` set to 1 s, three resyncs
/// observed through `ako_full_resyncs_total`; their durations and the controller writes.
async fn resyncs(ako: &AkoRun, ns: &TestNamespace, sim: &Avisim, timeout: Duration) {
    let port = ako.admin_port(timeout).await;
    let metric = |text: &str, name: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    };
    let writes = sim.counters().writes();
    chart::set_full_sync(&ns.client(), 1).await;
    let mut durations = Vec::new();
    let mut seen = 0.0;
    while durations.len() < 3 {
        let (done, last) = eventually_every("a full resync", timeout, Duration::from_millis(50), ako, || async {
            let (_, text) = support::get(port, "/metrics").await?;
            let done = metric(&text, "ako_full_resyncs_total")?;
            (done > seen).then_some((done, metric(&text, "ako_full_resync_seconds")?))
        })
        .await;
        seen = done;
        durations.push(last);
    }
    chart::set_full_sync(&ns.client(), 0).await;
    println!(
        "no-change full resync: {:?} s each; {} controller writes during them",
        durations.iter().map(|d| format!("{d:.2}")).collect::<Vec<_>>(),
        sim.counters().writes() - writes
    );
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
