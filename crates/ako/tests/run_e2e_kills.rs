//! `kill -9` of `ako run` (the real binary, testenv, avisim) at random points of a bootstrap and
//! of a mass update, restarted each time under the same name (AKO runs as a StatefulSet, so a
//! restarted pod takes its own Lease back at once). Each phase ends with the controller identical
//! to a clean run's on the same cluster (a process never killed, on a controller of its own): no
//! duplicate, no orphan, nothing missing, no body different; and a fresh process finds nothing to
//! write.
//!
//! A kill point is a number of controller writes since the phase began, drawn uniformly below
//! what the phase takes, so the kills spread over the whole work, each while writes are under
//! way (with requests in flight: the controller may have done what the killed process never
//! heard back about), some right after a restart.
//!
//! CI runs 300 Ingresses and 3 kills a phase. The full run (RELIABILITY.md):
//! `AKO_KILL_INGRESSES=2000 AKO_KILLS=10 cargo test --release -p ako --test run_e2e_kills`;
//! `AKO_KILL_SEED=<seed>` replays the kill points of a run (each run prints its seed).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use avi_client::Query;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DeleteParams, Patch, PatchParams};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use support::{AkoRun, eventually, eventually_every};

const PASSWORD: &str = "Kills-E2e-Pw1";
const CLUSTER: &str = "kills";
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct World {
    // Dropped (deleted) while its API server still runs.
    ns: ako_testenv::TestNamespace,
    env: ako_testenv::TestEnv,
    dir: tempfile::TempDir,
    n: usize,
}

impl World {
    /// A testenv of its own: the shared one's Service range (a /24) holds too few ClusterIPs
    /// for the full run's LoadBalancer Services.
    async fn start(n: usize) -> World {
        let env = ako_testenv::TestEnv::start_private(&["--service-cluster-ip-range=10.96.0.0/16".to_owned()])
            .expect("a testenv of its own");
        let ns = support::scoped_namespace_in(&env, "kills").await;
        World {
            ns,
            env,
            dir: tempfile::tempdir().unwrap(),
            n,
        }
    }

    fn values(&self) -> String {
        // The chart's default shard size (LARGE: 8 shared VSes), not the tests' usual SMALL.
        support::values_yaml(CLUSTER, self.ns.name()).replace("shardVSSize: SMALL", "shardVSSize: LARGE")
    }

    /// `ako run` named `name` (its POD_NAME, so its Lease identity) against `sim`.
    fn ako(&self, name: &str, sim: &avisim::Avisim) -> AkoRun {
        AkoRun::with_yaml_on(
            self.env.kubeconfig(),
            self.dir.path(),
            name,
            &self.values(),
            &sim.url(),
            &sim.ca_pem(),
            PASSWORD,
            |cmd| {
                cmd.env("POD_NAMESPACE", self.ns.name()).env("POD_NAME", name);
            },
        )
    }

    fn api<K>(&self) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        self.ns.api()
    }

    /// Ingress `ing-<i>`: three paths on Services `web`, `api` and `static_` (`static` or
    /// `static2`), TLS (a Secret of its own) for three in ten.
    fn ingress(i: usize, static_: &str) -> Value {
        let host = format!("h{i}.kills.avi.internal");
        let path = |p: &str, svc: &str| json!({"path": p, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}});
        let mut spec = json!({"rules": [{"host": host, "http": {"paths": [
            path("/", "web"), path("/api", "api"), path("/static", static_)]}}]});
        if i % 10 < 3 {
            spec["tls"] = json!([{"hosts": [host], "secretName": format!("tls-{i}")}]);
        }
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": format!("ing-{i}")}, "spec": spec})
    }

    /// Apply `body` (server-side apply, forced: the test owns these objects).
    async fn apply<K>(&self, name: &str, body: Value)
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        self.api::<K>()
            .patch(
                name,
                &PatchParams::apply(ako_testenv::FIELD_MANAGER).force(),
                &Patch::Apply(&body),
            )
            .await
            .unwrap_or_else(|e| panic!("apply {name}: {e}"));
    }

    /// Services `web`, `api`, `static`, `static2` with `endpoints` endpoints each.
    async fn backends(&self, endpoints: usize) {
        let ips: Vec<String> = (1..=endpoints).map(|e| format!("10.7.0.{e}")).collect();
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        for svc in ["web", "api", "static", "static2"] {
            self.apply::<Service>(
                svc,
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc},
                    "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": svc}}}),
            )
            .await;
            self.apply::<EndpointSlice>(&format!("{svc}-1"), support::slice(&format!("{svc}-1"), svc, &ips))
                .await;
        }
    }

    /// Ingresses `from..to` (with their Secrets) and a LoadBalancer Service for one in ten.
    async fn ingresses(&self, from: usize, to: usize, static_: &str) {
        futures::stream::iter(from..to)
            .map(|i| async move {
                if i % 10 < 3 {
                    let secret = support::tls_secret(
                        &format!("tls-{i}"),
                        &format!("h{i}.kills.avi.internal"),
                        "kubernetes.io/tls",
                    );
                    self.apply::<Secret>(&format!("tls-{i}"), secret).await;
                }
                if i % 10 == 9 {
                    let name = format!("lb-{i}");
                    self.apply::<Service>(
                        &name,
                        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080}],
                                "selector": {"app": name}}}),
                    )
                    .await;
                    self.apply::<EndpointSlice>(&name, support::slice(&name, &name, &["10.8.0.1"]))
                        .await;
                }
                self.apply::<Ingress>(&format!("ing-{i}"), Self::ingress(i, static_))
                    .await;
            })
            .buffer_unordered(16)
            .collect::<Vec<()>>()
            .await;
    }

    /// The mass update: every Ingress's `/static` moves to `static2` (a new pool each, the old
    /// one deleted), every endpoint list grows by one (every pool updated), one Ingress in ten
    /// is deleted and as many new ones are created.
    async fn mass_update(&self) {
        self.backends(3).await;
        self.ingresses(0, self.n, "static2").await;
        futures::stream::iter((0..self.n).filter(|i| i % 10 == 5))
            .map(|i| async move {
                self.api::<Ingress>()
                    .delete(&format!("ing-{i}"), &DeleteParams::default())
                    .await
                    .unwrap();
            })
            .buffer_unordered(16)
            .collect::<Vec<()>>()
            .await;
        self.ingresses(self.n, self.n + self.n / 10, "static2").await;
    }

    /// Every Ingress and LoadBalancer Service of the namespace has a VIP of `sim` in its status.
    async fn statuses_on(&self, sim: &avi_client::Client) -> Option<()> {
        let vips: Vec<String> = sim
            .list_raw("vsvip", &Query::new().name_contains(format!("{CLUSTER}--")))
            .await
            .ok()?
            .iter()
            .filter_map(|v| v["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned))
            .collect();
        let ingresses = self.api::<Ingress>().list(&Default::default()).await.ok()?;
        let ingress_ips = ingresses.items.iter().map(|i| {
            let lb = i.status.as_ref()?.load_balancer.as_ref()?;
            lb.ingress.as_ref()?.first()?.ip.clone()
        });
        let services = self.api::<Service>().list(&Default::default()).await.ok()?;
        let service_ips = services
            .items
            .iter()
            .filter(|s| s.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer"))
            .map(|s| {
                let lb = s.status.as_ref()?.load_balancer.as_ref()?;
                lb.ingress.as_ref()?.first()?.ip.clone()
            });
        ingress_ips
            .chain(service_ips)
            .all(|ip| ip.is_some_and(|ip| vips.contains(&ip)))
            .then_some(())
    }
}

/// `ako run`'s `/api/status` says it converged.
async fn converged(run: &AkoRun) -> Option<()> {
    let port = support::read_port(run.port_file())?;
    let status: Value = serde_json::from_str(&support::get(port, "/api/status").await?.1).ok()?;
    (status["converged"] == true).then_some(())
}

/// SIGTERM, then wait for the exit (the Lease is released, so the next process leads at once).
async fn stop(run: AkoRun) {
    run.signal("TERM");
    eventually(
        "ako run to exit on SIGTERM",
        Duration::from_secs(30),
        &Exits(&run),
        || async { run.exited().map(|_| ()) },
    )
    .await;
}

/// A wait on a process that is meant to exit.
struct Exits<'a>(&'a AkoRun);

impl support::Watched for Exits<'_> {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        None
    }
    fn log_text(&self) -> String {
        self.0.log_text()
    }
}

/// The objects of this cluster on a controller, as comparable text: `kind name` → body without
/// what the controller makes up itself (uuids, urls, modification times, what IPAM allocated),
/// references as `kind#name`.
async fn controller_state(avi: &avi_client::Client) -> BTreeMap<String, Value> {
    let mut state = BTreeMap::new();
    for kind in support::BUILT_TYPES {
        let objects = avi
            .list_raw(kind, &Query::new().include_name().name_contains(format!("{CLUSTER}--")))
            .await
            .unwrap_or_else(|e| panic!("list {kind}: {e}"));
        for mut o in objects {
            let name = o["name"].as_str().unwrap_or_default().to_owned();
            normalize(&mut o);
            if kind == "vsvip" {
                // What IPAM made up: the address, and the subnet it noted at allocation (which an
                // update that carries the address over does not restate).
                for vip in o["vip"].as_array_mut().into_iter().flatten() {
                    vip["ip_address"]["addr"] = json!("<allocated>");
                    if let Some(ipam) = vip["ipam_network_subnet"].as_object_mut() {
                        ipam.remove("subnet");
                    }
                }
            }
            let previous = state.insert(format!("{kind} {name}"), o);
            assert!(previous.is_none(), "two {kind}s named {name}");
        }
    }
    state
}

fn normalize(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in ["uuid", "url", "_last_modified", "vh_child_vs_uuid"] {
                map.remove(key);
            }
            for (key, value) in map.iter_mut() {
                if key.ends_with("_ref") || key.ends_with("_refs") {
                    reference_names(value);
                } else {
                    normalize(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// `https://host/api/<kind>/<uuid>#<name>` → `<kind>#<name>`, in a string or a list of them.
fn reference_names(v: &mut Value) {
    match v {
        Value::String(s) => {
            let kind = s
                .split("/api/")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or_default();
            let name = s.rsplit_once('#').map(|(_, n)| n).unwrap_or_default();
            *s = format!("{kind}#{name}");
        }
        Value::Array(items) => items.iter_mut().for_each(reference_names),
        other => normalize(other),
    }
}

/// What differs between two controller states, for the failure message.
fn differences(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, body) in want {
        match got.get(key) {
            None => out.push(format!("missing: {key}")),
            Some(b) if b != body => {
                let mut at = Vec::new();
                differing_fields(b, body, String::new(), &mut at);
                out.push(format!("different: {key}: {}", at.join("; ")));
            }
            Some(_) => {}
        }
    }
    out.extend(
        got.keys()
            .filter(|k| !want.contains_key(*k))
            .map(|k| format!("orphan: {k}")),
    );
    out
}

/// Where two bodies differ: `pointer: got ≠ want`.
fn differing_fields(got: &Value, want: &Value, at: String, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let keys: std::collections::BTreeSet<&String> = g.keys().chain(w.keys()).collect();
            for k in keys {
                let (g, w) = (g.get(k).unwrap_or(&Value::Null), w.get(k).unwrap_or(&Value::Null));
                differing_fields(g, w, format!("{at}/{k}"), out);
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                differing_fields(g, w, format!("{at}/{i}"), out);
            }
        }
        (g, w) if g != w => out.push(format!("{at}: {g} ≠ {w}")),
        _ => {}
    }
}

/// A clean run: a never-killed process on a controller of its own, from nothing to converged.
/// Its controller state and how many writes it took.
async fn clean_run(w: &World, name: &str) -> (BTreeMap<String, Value>, u64) {
    let (sim, avi) = support::avisim(PASSWORD).await;
    let run = w.ako(name, &sim);
    eventually("the clean run converged", Duration::from_secs(600), &run, || async {
        converged(&run).await?;
        w.statuses_on(&avi).await
    })
    .await;
    stop(run).await;
    let writes = sim.counters().writes();
    (controller_state(&avi).await, writes)
}

/// Kill `run` (`ako-0` on `sim`) at `kills` random points of the work towards `expected`
/// writes, restarting it each time. A point is a number of writes since the phase began (every
/// process's), drawn uniformly, so the kills spread over the whole phase. Returns the last
/// process and where the kills landed.
async fn kill_at_random(
    w: &World,
    sim: &avisim::Avisim,
    mut run: AkoRun,
    expected: u64,
    kills: usize,
    rng: &mut rand::rngs::StdRng,
    phase: &str,
) -> (AkoRun, Vec<u64>) {
    let start = sim.counters().writes();
    let mut points: Vec<u64> = (0..kills).map(|_| rng.random_range(1..expected.max(2))).collect();
    points.sort_unstable();
    let mut landed = Vec::new();
    for point in points {
        // (writes, when that count was first seen): `converged` alone may be a pass old.
        let last = std::cell::Cell::new((start, std::time::Instant::now()));
        let reached = eventually_every(
            &format!("{phase}: {point} writes before the kill"),
            Duration::from_secs(300),
            Duration::from_millis(2),
            &run,
            || async {
                let now = sim.counters().writes();
                if now - start >= point {
                    return Some(true);
                }
                if now != last.get().0 {
                    last.set((now, std::time::Instant::now()));
                    return None;
                }
                // Done before the point (the restarts needed fewer writes than drawn).
                let idle = last.get().1.elapsed() > Duration::from_secs(2);
                if idle && now > start {
                    converged(&run).await.map(|()| false)
                } else {
                    None
                }
            },
        )
        .await;
        if !reached {
            break;
        }
        run.signal("KILL");
        eventually(
            "the killed process gone",
            Duration::from_secs(10),
            &Exits(&run),
            || async { run.exited().map(|_| ()) },
        )
        .await;
        landed.push(sim.counters().writes() - start);
        eprintln!(
            "kills: {phase}: killed at write {} (drawn {point})",
            landed.last().unwrap()
        );
        run = w.ako("ako-0", sim);
    }
    (run, landed)
}

/// Wait until `run` converged with every status written from `avi`: the controller's state.
async fn converged_state(w: &World, run: &AkoRun, avi: &avi_client::Client, what: &str) -> BTreeMap<String, Value> {
    eventually(
        &format!("converged after {what}"),
        Duration::from_secs(600),
        run,
        || async {
            converged(run).await?;
            w.statuses_on(avi).await
        },
    )
    .await;
    controller_state(avi).await
}

/// The killed run's controller state is the clean run's.
fn assert_same(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>, what: &str) {
    let diff = differences(got, want);
    assert!(
        diff.is_empty(),
        "after {what}, not as a clean run:\n{}",
        diff.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_bootstrap_and_a_mass_update_ends_as_a_clean_run() {
    let n = env_usize("AKO_KILL_INGRESSES", 300);
    let kills = env_usize("AKO_KILLS", 3);
    let seed = std::env::var("AKO_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("kills: {n} Ingresses, {kills} kills a phase, AKO_KILL_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let w = World::start(n).await;
    w.backends(2).await;
    w.ingresses(0, n, "static").await;

    // Bootstrap: the clean run first, for the number of writes it takes.
    let (want, expected) = clean_run(&w, "clean-0").await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    // Some latency, so that a kill lands close to the point drawn.
    sim.set_latency(Duration::from_millis(10));
    let (run, points) = kill_at_random(&w, &sim, w.ako("ako-0", &sim), expected, kills, &mut rng, "bootstrap").await;
    let what = format!("kills at {points:?} of a bootstrap (seed {seed})");
    assert_same(&converged_state(&w, &run, &avi, &what).await, &want, &what);
    assert!(
        !points.is_empty(),
        "no kill landed during the bootstrap ({expected} writes)"
    );

    // Mass update, applied while the killing goes on. How many writes it takes is known only
    // once it is done: at least one per Ingress and per pool changed, a lower bound that keeps
    // every kill inside the work.
    let expected_update = n as u64 * 3;
    let ((run, update_points), ()) = tokio::join!(
        kill_at_random(&w, &sim, run, expected_update, kills, &mut rng, "update"),
        w.mass_update()
    );
    let what = format!("kills at {update_points:?} of a mass update (seed {seed})");
    let got = converged_state(&w, &run, &avi, &what).await;
    assert!(!update_points.is_empty(), "no kill landed during the update");
    stop(run).await;
    let (want, _) = clean_run(&w, "clean-1").await;
    assert_same(&got, &want, &what);
    eprintln!(
        "kills: {} objects identical to a clean run's after kills at {points:?} of a bootstrap ({expected} \
         writes when clean) and {update_points:?} of a mass update",
        got.len()
    );

    // A fresh process on the killed run's controller finds nothing to write (it rewrites the
    // statuses the clean run changed to its own VIPs, in Kubernetes only).
    let writes = sim.counters().writes();
    let fresh = w.ako("ako-0", &sim);
    eventually(
        "a fresh process converged",
        Duration::from_secs(120),
        &fresh,
        || async {
            converged(&fresh).await?;
            w.statuses_on(&avi).await
        },
    )
    .await;
    assert_eq!(
        sim.counters().writes(),
        writes,
        "a fresh process wrote to the controller"
    );
    assert!(!fresh.log_text().contains("panicked"));
}
