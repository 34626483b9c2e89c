//! The controller misbehaving under a running `ako run` (the real binary, testenv, avisim's fault
//! injection): each fault in turn while the cluster changes, then lifted. Each time the process
//! keeps running, shows the degraded state while it lasts (where the fault is not transparent),
//! converges without a restart, and loses nothing (every Ingress still served, one pool each).

mod support;

use std::time::Duration;

use avi_client::Query;
use avisim::{Fault, FaultAction};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually, scoped_namespace};

const PASSWORD: &str = "Faults-E2e-Pw1";
const WAIT: Duration = Duration::from_secs(60);

struct World {
    ns: ako_testenv::TestNamespace,
    ako: AkoRun,
    sim: avisim::Avisim,
    avi: avi_client::Client,
    _dir: tempfile::TempDir,
    ingresses: usize,
}

impl World {
    /// Ingress `ing-<n>` on Service `web`.
    async fn add_ingress(&mut self) {
        let i = self.ingresses;
        support::create::<Ingress>(
            &self.ns,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": format!("ing-{i}")},
                "spec": {"rules": [{"host": format!("h{i}.avi.internal"), "http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
        )
        .await;
        self.ingresses += 1;
    }

    /// Every Ingress has a status and its own pool, the pools list `servers` endpoints each.
    async fn served(&self, servers: usize) -> Option<()> {
        let pools = self
            .avi
            .list_raw("pool", &Query::new().name_contains(self.ns.name()))
            .await
            .ok()?;
        let full = pools
            .iter()
            .filter(|p| p["servers"].as_array().map_or(0, Vec::len) == servers)
            .count();
        if pools.len() != self.ingresses || full != self.ingresses {
            return None;
        }
        support::ingresses_have_status(&self.ns.api::<Ingress>()).await
    }

    /// Requests avisim answered with `status` (0: dropped) for `method` on `object_type`.
    fn answered(&self, method: &str, object_type: &str, status: u16) -> u64 {
        self.sim
            .counters()
            .rows
            .iter()
            .filter(|r| r.method == method && r.object_type == object_type && r.status == status)
            .map(|r| r.count)
            .sum()
    }

    /// `/api/status`.
    async fn status(&self) -> Option<Value> {
        let port = support::read_port(self.ako.port_file())?;
        serde_json::from_str(&support::get(port, "/api/status").await?.1).ok()
    }

    /// The endpoints of Service `web`: `n` of them.
    async fn endpoints(&self, n: usize) {
        let ips: Vec<String> = (1..=n).map(|i| format!("10.9.0.{i}")).collect();
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        let es: EndpointSlice = serde_json::from_value(support::slice("web-1", "web", &ips)).unwrap();
        self.ns
            .api::<EndpointSlice>()
            .patch(
                "web-1",
                &PatchParams::apply(ako_testenv::FIELD_MANAGER).force(),
                &Patch::Apply(&es),
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_faults_degrade_then_converge_without_a_restart_or_a_loss() {
    let (sim, avi) = support::avisim(PASSWORD).await;
    let ns = scoped_namespace("run-faults").await;
    support::web_backend(&ns, &["10.9.0.1"]).await;
    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::with_values(
        dir.path(),
        "ako",
        "faults",
        ns.name(),
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
    );
    let mut w = World {
        ns,
        ako,
        sim,
        avi,
        _dir: dir,
        ingresses: 0,
    };
    w.add_ingress().await;
    eventually("the first Ingress served", WAIT, &w.ako, || w.served(1)).await;
    let mut endpoints = 1;

    // (1) Every request answered 503 for a while: the change waits, the state says why.
    w.sim
        .set_faults(vec![Fault::status(None, None, 503, "Service Unavailable (injected)")]);
    w.add_ingress().await;
    let degraded = eventually("the status shows the failure", WAIT, &w.ako, || async {
        let s = w.status().await?;
        (s["converged"] == false && s["sync_failures"].as_u64()? > 0).then_some(s)
    })
    .await;
    assert!(w.served(1).await.is_none(), "served during the outage? {degraded}");
    let port = support::read_port(w.ako.port_file()).unwrap();
    let metrics = support::get(port, "/metrics").await.unwrap().1;
    assert!(
        metrics.contains("result=\"server_error\""),
        "the 503s are counted: {metrics}"
    );
    // The outage lasts 30 s by the clock (the retries back off meanwhile, the state keeps saying
    // why): the condition under test, not a wait for something to happen.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let s = w.status().await.unwrap();
    assert!(
        s["converged"] == false && s["avi_api"]["connection_status"] == "DISCONNECTED",
        "{s}"
    );
    assert!(w.ako.exited().is_none(), "ako run exited during the outage");
    w.sim.clear_faults();
    eventually("converged after the 503s", WAIT, &w.ako, || w.served(endpoints)).await;
    eventually("the status converged again", WAIT, &w.ako, || async {
        (w.status().await?["converged"] == true).then_some(())
    })
    .await;

    // (2) The session expires (401): logged in again, transparently.
    let logins = w.answered("POST", "login", 200);
    w.sim.expire_sessions();
    w.add_ingress().await;
    eventually("converged after the session expired", WAIT, &w.ako, || {
        w.served(endpoints)
    })
    .await;
    assert!(w.answered("POST", "login", 200) > logins, "logged in again");

    // (3) Updates refused with 412 (stale _last_modified), three times: read again, retried.
    w.sim.set_faults(vec![
        Fault::status(Some("PUT"), Some("pool"), 412, "Concurrent update (injected)").times(3),
    ]);
    endpoints += 1;
    w.endpoints(endpoints).await;
    eventually("the new endpoint after the 412s", WAIT, &w.ako, || w.served(endpoints)).await;
    assert_eq!(w.answered("PUT", "pool", 412), 3, "the 412s were answered");

    // (4) Connections dropped without an answer on creates, a few times.
    w.sim.set_faults(vec![Fault {
        method: Some("POST".into()),
        object_type: Some("pool".into()),
        action: FaultAction::Drop,
        rate: 1.0,
        times: Some(3),
    }]);
    w.add_ingress().await;
    eventually("converged after the dropped connections", WAIT, &w.ako, || {
        w.served(endpoints)
    })
    .await;
    assert_eq!(w.answered("POST", "pool", 0), 3, "the connections were dropped");

    // (5) A slow controller: every request takes 5 s.
    w.sim.clear_faults();
    w.sim.set_latency(Duration::from_secs(5));
    w.add_ingress().await;
    endpoints += 1;
    w.endpoints(endpoints).await;
    eventually("converged with a slow controller", 3 * WAIT, &w.ako, || {
        w.served(endpoints)
    })
    .await;
    w.sim.set_latency(Duration::ZERO);

    // Nothing duplicated on the way: one pool per Ingress, and the process never restarted.
    assert!(w.ako.exited().is_none());
    let pools = w
        .avi
        .list_raw("pool", &Query::new().name_contains(w.ns.name()))
        .await
        .unwrap();
    assert_eq!(pools.len(), w.ingresses);
    assert!(!w.ako.log_text().contains("panicked"));
}
