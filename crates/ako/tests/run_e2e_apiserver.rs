//! The Kubernetes API server failing under a running `ako run` (the real binary, avisim, a
//! testenv of its own so that it can be killed): the control plane killed (SIGKILL, connections
//! refused) for longer than the leader lease's renew deadline, then started again on the same
//! state with etcd's history compacted, so every watch resumed from before is answered 410 Gone
//! and lists again. While it is down: nothing is deleted or changed on the controller, and
//! `/api/status` and the metrics name the failing watches. After: the process (never restarted)
//! leads again and serves what changed while its watches were broken, nothing lost or duplicated.

mod support;

use std::time::Duration;

use avi_client::Query;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually};

const PASSWORD: &str = "Apiserver-E2e-Pw1";
const WAIT: Duration = Duration::from_secs(90);
/// How long the control plane stays down: past the lease's renew deadline (10 s), so the
/// leader must stop writing and take the lease back afterwards.
const OUTAGE: Duration = Duration::from_secs(12);

struct World {
    // Dropped (deleted) while its API server still runs.
    ns: ako_testenv::TestNamespace,
    env: ako_testenv::TestEnv,
    avi: avi_client::Client,
}

impl World {
    /// A client of the API server; made anew after a restart (the old one's connections died).
    async fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.env.client().await.expect("client"), self.ns.name())
    }

    async fn ingress(&self, i: usize) {
        let ingress: Ingress = serde_json::from_value(json!({
            "metadata": {"name": format!("ing-{i}")},
            "spec": {"rules": [{"host": format!("h{i}.api.avi.internal"), "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
        }))
        .unwrap();
        self.api::<Ingress>()
            .await
            .create(&PostParams::default(), &ingress)
            .await
            .expect("create an Ingress");
    }

    async fn endpoints(&self, ips: &[&str]) {
        let slice: EndpointSlice = serde_json::from_value(support::slice("web-1", "web", ips)).unwrap();
        self.api::<EndpointSlice>()
            .await
            .patch(
                "web-1",
                &PatchParams::apply(ako_testenv::FIELD_MANAGER).force(),
                &Patch::Apply(&slice),
            )
            .await
            .expect("apply the EndpointSlice");
    }

    /// The controller's pools of this namespace: name → number of servers.
    async fn pools(&self) -> Option<Vec<(String, usize)>> {
        let pools = self
            .avi
            .list_raw("pool", &Query::new().name_contains(self.ns.name()))
            .await
            .ok()?;
        let mut out: Vec<(String, usize)> = pools
            .iter()
            .map(|p| {
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                (name, p["servers"].as_array().map_or(0, Vec::len))
            })
            .collect();
        out.sort();
        Some(out)
    }

    /// Ingresses `ings` each have their own pool with `servers` servers, and no other pool
    /// exists; each has the VIP in its status.
    async fn served(&self, ings: &[usize], servers: usize) -> Option<()> {
        let pools = self.pools().await?;
        let wanted = ings.iter().all(|i| {
            let name = format!("h{i}.api.avi.internal_-{}-ing-{i}", self.ns.name());
            pools.iter().any(|(p, n)| p.contains(&name) && *n == servers)
        });
        if !wanted || pools.len() != ings.len() {
            return None;
        }
        support::ingresses_have_status(&self.api::<Ingress>().await).await
    }
}

async fn status(ako: &AkoRun) -> Option<Value> {
    let port = support::read_port(ako.port_file())?;
    serde_json::from_str(&support::get(port, "/api/status").await?.1).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_killed_and_restarted_with_its_history_compacted_loses_nothing() {
    let env = ako_testenv::TestEnv::start_private(&[]).expect("a testenv of its own");
    let ns = support::scoped_namespace_in(&env, "apisrv").await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let w = World { ns, env, avi };
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}
    }))
    .unwrap();
    w.api::<Service>()
        .await
        .create(&PostParams::default(), &service)
        .await
        .unwrap();
    w.endpoints(&["10.3.0.1"]).await;
    for i in 0..3 {
        w.ingress(i).await;
    }

    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::with_yaml_on(
        w.env.kubeconfig(),
        dir.path(),
        "ako-0",
        &support::values_yaml("apisrv", w.ns.name()),
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        |cmd| {
            cmd.env("POD_NAMESPACE", w.ns.name()).env("POD_NAME", "ako-0");
        },
    );
    eventually("three Ingresses served", WAIT, &ako, || w.served(&[0, 1, 2], 1)).await;
    let before = w.pools().await.unwrap();

    // The control plane dies.
    w.env.kill().expect("kill the testenv");
    let writes = sim.counters().writes();
    let degraded = eventually("the failing watches shown", WAIT, &ako, || async {
        let s = status(&ako).await?;
        let failing = s["kubernetes"]["watches_failing"].as_object()?;
        failing.contains_key("Ingress").then_some(s)
    })
    .await;
    let port = support::read_port(ako.port_file()).unwrap();
    let metrics = support::get(port, "/metrics").await.unwrap().1;
    assert!(
        metrics.contains("ako_kubernetes_watch_failing{kind=\"Ingress\"} 1"),
        "the metrics show the failing watch: {metrics}"
    );
    // The outage lasts OUTAGE by the clock: the condition under test, not a wait for an event.
    tokio::time::sleep(OUTAGE).await;
    let s = status(&ako).await.unwrap();
    assert_ne!(
        s["leader_election"]["role"], "leader",
        "still leading without renewing its lease: {s}"
    );
    assert_eq!(
        sim.counters().writes(),
        writes,
        "the controller was written to during the outage"
    );
    assert_eq!(
        w.pools().await.unwrap(),
        before,
        "the controller changed during the outage"
    );
    assert!(ako.exited().is_none(), "ako run exited: {degraded}");

    // It comes back on the same state, its watch history compacted away; the cluster changes
    // at once, before or while the watches list again.
    w.env.resume().expect("restart the testenv");
    let restarted = std::time::Instant::now();
    w.ingress(3).await;
    w.api::<Ingress>()
        .await
        .delete("ing-0", &DeleteParams::default())
        .await
        .unwrap();
    w.endpoints(&["10.3.0.1", "10.3.0.2"]).await;
    eventually("the changes served after the restart", WAIT, &ako, || {
        w.served(&[1, 2, 3], 2)
    })
    .await;
    eprintln!(
        "apiserver: the changes served {:.1?} after the restart",
        restarted.elapsed()
    );
    eventually("the watches recovered and the process leads", WAIT, &ako, || async {
        let s = status(&ako).await?;
        let recovered = s["kubernetes"]["watches_failing"].as_object()?.is_empty();
        (recovered && s["leader_election"]["role"] == "leader" && s["converged"] == true).then_some(())
    })
    .await;
    let log = ako.log_text();
    let gone: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("watch failed") && (l.contains("410") || l.contains("too old resource version")))
        .collect();
    assert!(
        !gone.is_empty(),
        "no watch was answered 410 Gone (the test's premise): {log}"
    );
    eprintln!(
        "apiserver: {} watch errors while down, {} watches answered 410 Gone after the restart, e.g. {}",
        log.lines().filter(|l| l.contains("watch failed")).count() - gone.len(),
        gone.len(),
        gone[0]
    );
    assert!(ako.exited().is_none());
    assert!(!log.contains("panicked"));
}
