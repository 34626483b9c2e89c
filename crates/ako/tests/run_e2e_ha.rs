//! High availability end to end: several `ako run` processes (the real binary) on one cluster
//! and one controller, electing a leader on AKO's Lease `ako-lease-lock`.
//!
//! Who wrote what is read from outside the processes: avisim counts the writes it received by
//! `User-Agent` (each replica's controller client names itself), and the tests' own API server
//! (a private testenv, since it needs flags) keeps an audit log of every Kubernetes write with its
//! `User-Agent`. Failover times are printed (`HA:` lines) for BENCHMARKS.md; the tests assert
//! only what must hold.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use avi_client::Query;
use avisim::Avisim;
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, Watched, eventually_every};

const PASSWORD: &str = "Ha-E2e-Pass1";
const CLUSTER: &str = "ha";

/// The private API server with an audit log of every write, shared by this binary's tests.
struct Audited {
    env: ako_testenv::TestEnv,
    log: PathBuf,
}

fn audited() -> &'static Audited {
    static ENV: OnceLock<Audited> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let policy = dir.join("audit-policy.yaml");
        std::fs::write(
            &policy,
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n\
             - level: Metadata\n  verbs: [create, update, patch, delete, deletecollection]\n- level: None\n",
        )
        .unwrap();
        let log = dir.join("audit.log");
        let args = [
            format!("--audit-policy-file={}", policy.display()),
            format!("--audit-log-path={}", log.display()),
            "--audit-log-mode=blocking".to_owned(),
        ];
        let env = ako_testenv::TestEnv::start_private(&args).expect("a testenv with an audit log");
        Audited { env, log }
    })
}

/// The replica (`POD_NAME`) a `User-Agent` of ako-rs names: `ako-rs/<version> (<replica>)`.
fn replica_of(agent: &str) -> Option<&str> {
    agent.strip_prefix("ako-rs/")?.split_once(" (")?.1.strip_suffix(')')
}

/// A Kubernetes write the API server accepted, as its audit log has it.
#[derive(Debug)]
struct K8sWrite {
    /// The replica (`POD_NAME`) named in the `User-Agent`.
    replica: String,
    resource: String,
    at: jiff::Timestamp,
}

/// The successful writes ako-rs replicas made in `namespace` (by `User-Agent`).
fn k8s_writes(namespace: &str) -> Vec<K8sWrite> {
    let text = std::fs::read_to_string(&audited().log).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["objectRef"]["namespace"] == namespace)
        .filter(|e| e["responseStatus"]["code"].as_u64().is_some_and(|c| c < 400))
        .filter_map(|e| {
            let agent = e["userAgent"].as_str()?;
            let replica = replica_of(agent)?;
            Some(K8sWrite {
                replica: replica.to_owned(),
                resource: e["objectRef"]["resource"].as_str()?.to_owned(),
                at: e["stageTimestamp"].as_str()?.parse().ok()?,
            })
        })
        .collect()
}

/// One test's world on the private API server.
struct World {
    client: kube::Client,
    ns: String,
    sim: Avisim,
    avi: avi_client::Client,
    dir: tempfile::TempDir,
}

impl World {
    async fn start(prefix: &str) -> World {
        let client = audited().env.client().await.expect("client");
        let ns = format!("{prefix}-{:06x}", rand::random::<u32>() & 0xff_ffff);
        let namespace: Namespace = serde_json::from_value(json!({
            "metadata": {"name": ns, "labels": {"ako-e2e": ns}}
        }))
        .unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("namespace");
        let class: IngressClass = serde_json::from_value(json!({
            "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
            "spec": {"controller": "ako.vmware.com/avi-lb"}
        }))
        .unwrap();
        // Both tests create it; one of them first.
        let _ = Api::<IngressClass>::all(client.clone())
            .create(&PostParams::default(), &class)
            .await;
        let (sim, avi) = support::avisim(PASSWORD).await;
        World {
            client,
            ns,
            sim,
            avi,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Replica `name` (its `POD_NAME`) of `ako run`, its lease in this namespace; `more`
    /// arguments.
    fn replica_with(&self, name: &str, more: &[&str]) -> AkoRun {
        AkoRun::with_yaml_on(
            audited().env.kubeconfig(),
            self.dir.path(),
            name,
            &support::values_yaml(CLUSTER, &self.ns),
            &self.sim.url(),
            &self.sim.ca_pem(),
            PASSWORD,
            |cmd| {
                cmd.env("POD_NAMESPACE", &self.ns).env("POD_NAME", name).args(more);
            },
        )
    }

    /// Replica `name` with the default arguments.
    fn replica(&self, name: &str) -> AkoRun {
        self.replica_with(name, &[])
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// A Service `web` with two endpoints and `n` Ingresses `ing-<i>` on it, one host each.
    async fn ingresses(&self, from: usize, n: usize) {
        if from == 0 {
            let service: Service = serde_json::from_value(json!({
                "metadata": {"name": "web"},
                "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}
            }))
            .unwrap();
            self.api::<Service>()
                .create(&PostParams::default(), &service)
                .await
                .unwrap();
            let slice: EndpointSlice =
                serde_json::from_value(support::slice("web-1", "web", &["10.1.0.1", "10.1.0.2"])).unwrap();
            self.api::<EndpointSlice>()
                .create(&PostParams::default(), &slice)
                .await
                .unwrap();
        }
        futures::stream::iter(from..from + n)
            .map(|i| async move {
                let ingress: Ingress = serde_json::from_value(json!({
                    "metadata": {"name": format!("ing-{i}")},
                    "spec": {"rules": [{"host": format!("h{i}.ha.avi.internal"), "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
                }))
                .unwrap();
                self.api::<Ingress>()
                    .create(&PostParams::default(), &ingress)
                    .await
                    .unwrap();
            })
            .buffer_unordered(16)
            .collect::<Vec<()>>()
            .await;
    }

    /// The Lease's holder.
    async fn holder(&self) -> Option<String> {
        let lease = self.api::<Lease>().get_opt("ako-lease-lock").await.ok()??;
        lease.spec?.holder_identity.filter(|h| !h.is_empty())
    }

    /// Every Ingress has the VIP of the virtual service as its status, and the controller has
    /// one pool per Ingress: `Some(vip)` when so.
    async fn converged(&self, n: usize) -> Option<String> {
        let pools = self
            .avi
            .list_raw("pool", &Query::new().name_contains(&self.ns))
            .await
            .ok()?;
        if pools.len() != n {
            return None;
        }
        let vsvips = self.avi.list_raw("vsvip", &Query::new()).await.ok()?;
        let [vsvip] = vsvips.as_slice() else { return None };
        let vip = vsvip["vip"][0]["ip_address"]["addr"].as_str()?.to_owned();
        let ingresses = self.api::<Ingress>().list(&Default::default()).await.ok()?;
        let all = ingresses.items.len() == n
            && ingresses.items.iter().all(|i| {
                let status = i.status.as_ref().and_then(|s| s.load_balancer.as_ref());
                let ips: Vec<_> = status
                    .and_then(|lb| lb.ingress.as_ref())
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ip.as_deref())
                    .collect();
                ips == [vip.as_str()]
            });
        all.then_some(vip)
    }

    /// avisim's write counts by replica name (`None`: a client that did not say).
    fn controller_writes(&self) -> BTreeMap<Option<String>, u64> {
        self.sim
            .writes_by_client()
            .into_iter()
            .map(|(agent, n)| (replica_of(&agent).map(str::to_owned), n))
            .collect()
    }
}

/// The processes under test, for the waits' diagnostics.
struct Replicas<'a>(Vec<&'a AkoRun>);

impl Watched for Replicas<'_> {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        None // a replica may exit (it is killed on purpose); the waits say what they wait for
    }

    fn log_text(&self) -> String {
        self.0.iter().map(|r| r.log_text()).collect::<Vec<_>>().join("\n----\n")
    }
}

async fn wait<T, F, Fut>(what: &str, within: Duration, replicas: &Replicas<'_>, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_every(what, within, Duration::from_millis(50), replicas, probe).await
}

/// The role and leader a replica's `/api/status` reports.
async fn election_status(replica: &AkoRun) -> Option<(String, Option<String>)> {
    let port = support::read_port(replica.port_file())?;
    let (code, body) = support::get(port, "/api/status").await?;
    let status: Value = serde_json::from_str(&body).ok().filter(|_| code == 200)?;
    let e = &status["leader_election"];
    Some((e["role"].as_str()?.to_owned(), e["leader"].as_str().map(str::to_owned)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_three_writes_and_a_killed_leader_is_replaced_without_duplicates() {
    const N: usize = 300;
    let w = World::start("ha-kill").await;
    // Slow enough that the bootstrap is still under way when its leader is killed.
    const LATENCY: Duration = Duration::from_millis(200);
    w.sim.set_latency(LATENCY);
    w.ingresses(0, N).await;
    let names = ["ako-0", "ako-1", "ako-2"];
    let replicas: Vec<AkoRun> = names.iter().map(|n| w.replica(n)).collect();
    let all = Replicas(replicas.iter().collect());

    let leader = wait("a leader", Duration::from_secs(60), &all, || w.holder()).await;
    assert!(names.contains(&leader.as_str()), "{leader}");
    wait(
        "the leader's bootstrap under way",
        Duration::from_secs(60),
        &all,
        || async {
            let n = w.controller_writes().get(&Some(leader.clone())).copied().unwrap_or(0);
            (n >= 30).then_some(())
        },
    )
    .await;
    assert!(
        w.converged(N).await.is_none(),
        "the bootstrap ended before the leader could be killed"
    );
    // Exactly one replica has written, to the controller and to Kubernetes.
    let before = w.controller_writes();
    assert_eq!(before.keys().collect::<Vec<_>>(), [&Some(leader.clone())], "{before:?}");
    let k8s: BTreeSet<String> = k8s_writes(&w.ns).into_iter().map(|x| x.replica).collect();
    assert!(k8s.iter().all(|r| *r == leader), "Kubernetes writes by {k8s:?}");

    let dead = replicas.iter().position(|r| r.name() == leader).unwrap();
    replicas[dead].signal("KILL");
    let killed = Instant::now();
    let successor = wait("a new leader", Duration::from_secs(40), &all, || async {
        w.holder().await.filter(|h| *h != leader)
    })
    .await;
    let took_over = killed.elapsed();
    let vip = wait("converged under the new leader", Duration::from_secs(120), &all, || {
        w.converged(N)
    })
    .await;
    let converged = killed.elapsed();
    eprintln!(
        "HA: kill -9 of the leader during a bootstrap of {N} Ingresses ({LATENCY:?} controller latency): \
         lease taken over after {took_over:.1?}, converged {converged:.1?} after the kill"
    );
    // Lease duration 15 s (from when the followers last saw it renewed), plus a retry period.
    assert!(took_over <= Duration::from_secs(18), "{took_over:?}");

    // Only the two leaders ever wrote; the third replica never did.
    let third = names.iter().find(|n| **n != leader && **n != successor).unwrap();
    let after = w.controller_writes();
    assert!(after.contains_key(&Some(successor.clone())), "{after:?}");
    assert!(
        after
            .keys()
            .all(|k| *k == Some(leader.clone()) || *k == Some(successor.clone())),
        "{after:?}"
    );
    let k8s = k8s_writes(&w.ns);
    assert!(k8s.iter().any(|x| x.replica == successor && x.resource == "ingresses"));
    assert!(
        k8s.iter().all(|x| x.replica != *third),
        "the follower wrote: {:?}",
        k8s.iter().filter(|x| x.replica == *third).collect::<Vec<_>>()
    );

    // No duplicate, no orphan, nothing missing: one pool per Ingress (`converged`), and a fresh
    // replica alone finds nothing to change on the controller.
    drop(replicas);
    let check = w.replica("ako-check");
    let only = Replicas(vec![&check]);
    wait(
        "the fresh replica leads and converges",
        Duration::from_secs(60),
        &only,
        || async {
            let port = support::read_port(check.port_file())?;
            let (_, body) = support::get(port, "/api/status").await?;
            let status: Value = serde_json::from_str(&body).ok()?;
            (status["converged"] == true && status["leader_election"]["role"] == "leader").then_some(())
        },
    )
    .await;
    let writes = w.controller_writes();
    assert_eq!(writes.get(&Some("ako-check".to_owned())), None, "{writes:?}");
    assert_eq!(w.converged(N).await.as_deref(), Some(vip.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_over_at_once_and_a_paused_leader_writes_nothing_after_it_resumes() {
    let w = World::start("ha-term").await;
    w.ingresses(0, 3).await;
    // One request to the controller at a time: when the leader is paused, at most one write has
    // passed its fence and may still be on its way (the one exception the fence allows).
    let one_at_a_time = ["--max-requests", "1"];
    let a = w.replica_with("ako-a", &one_at_a_time);
    let b = w.replica_with("ako-b", &one_at_a_time);
    let both = Replicas(vec![&a, &b]);
    let first = wait("a leader", Duration::from_secs(60), &both, || w.holder()).await;
    wait("converged", Duration::from_secs(60), &both, || w.converged(3)).await;
    let (leader, follower) = if first == "ako-a" { (&a, &b) } else { (&b, &a) };
    wait("the follower ready", Duration::from_secs(30), &both, || async {
        let port = support::read_port(follower.port_file())?;
        let (code, _) = support::get(port, "/readyz").await?;
        let role = election_status(follower).await?;
        (code == 200 && role == ("follower".to_owned(), Some(first.clone()))).then_some(())
    })
    .await;
    // Who writes, in the metrics: 1 for the leader, 0 for the follower.
    for (replica, writing) in [(leader, 1.0), (follower, 0.0)] {
        let port = support::read_port(replica.port_file()).expect("admin port");
        let (_, metrics) = support::get(port, "/metrics").await.expect("metrics");
        assert_eq!(
            support::sample(&metrics, "ako_leader"),
            Some(writing),
            "{}",
            replica.name()
        );
    }

    // SIGTERM: the leader releases its lease on the way out; the follower takes it at once.
    leader.signal("TERM");
    let terminated = Instant::now();
    let second = wait("the follower leads", Duration::from_secs(20), &both, || async {
        w.holder().await.filter(|h| *h != first)
    })
    .await;
    let handover = terminated.elapsed();
    eprintln!("HA: SIGTERM of the leader: lease taken over after {handover:.2?}");
    assert_eq!(second, follower.name());
    assert!(handover <= Duration::from_secs(2), "{handover:?}");
    let status = wait("the old leader exits", Duration::from_secs(20), &both, || async {
        leader.exited()
    })
    .await;
    assert!(status.success(), "{status}");
    w.ingresses(3, 1).await;
    wait(
        "the new leader serves a new Ingress",
        Duration::from_secs(30),
        &both,
        || w.converged(4),
    )
    .await;

    // A third replica follows. The leader is paused (SIGSTOP) in the middle of a sync, a write
    // in flight and many more waiting their turn, and stays paused past its lease.
    let c = w.replica("ako-c");
    let live = Replicas(vec![follower, &c]);
    wait("ako-c follows", Duration::from_secs(60), &live, || async {
        (election_status(&c).await? == ("follower".to_owned(), Some(second.clone()))).then_some(())
    })
    .await;
    const MORE: usize = 200;
    w.sim.set_latency(Duration::from_secs(1));
    let written = w.controller_writes().get(&Some(second.clone())).copied().unwrap_or(0);
    w.ingresses(4, MORE).await;
    wait(
        "the leader's sync under way",
        Duration::from_secs(30),
        &live,
        || async {
            let now = w.controller_writes().get(&Some(second.clone())).copied().unwrap_or(0);
            (now > written).then_some(())
        },
    )
    .await;
    follower.signal("STOP");
    let paused = Instant::now();
    w.sim.set_latency(Duration::ZERO);
    wait("ako-c leads", Duration::from_secs(40), &live, || async {
        w.holder().await.filter(|h| h == "ako-c")
    })
    .await;
    eprintln!(
        "HA: leader paused (SIGSTOP): lease taken over after {:.1?}",
        paused.elapsed()
    );
    wait("ako-c finishes the sync", Duration::from_secs(60), &live, || {
        w.converged(4 + MORE)
    })
    .await;
    let stopped_writes = w.controller_writes().get(&Some(second.clone())).copied();
    let resumed = jiff::Timestamp::now();
    follower.signal("CONT");
    // It notices, writes nothing, and follows.
    wait(
        "the resumed replica follows ako-c",
        Duration::from_secs(30),
        &live,
        || async {
            (election_status(follower).await? == ("follower".to_owned(), Some("ako-c".to_owned()))).then_some(())
        },
    )
    .await;
    w.ingresses(4 + MORE, 1).await;
    wait("ako-c serves another Ingress", Duration::from_secs(30), &live, || {
        w.converged(5 + MORE)
    })
    .await;
    // Nothing after the resume but, possibly, the one write that had passed the fence before the
    // pause and had not reached the controller yet.
    let late = w.controller_writes().get(&Some(second.clone())).copied().unwrap_or(0) - stopped_writes.unwrap_or(0);
    assert!(late <= 1, "the resumed replica wrote {late} times to the controller");
    let late: Vec<K8sWrite> = k8s_writes(&w.ns)
        .into_iter()
        .filter(|x| x.replica == second && x.at > resumed)
        .collect();
    assert!(late.is_empty(), "the resumed replica wrote to Kubernetes: {late:?}");
    assert!(
        follower.log_text().contains("lost the leadership"),
        "{}",
        follower.log_text()
    );
}
