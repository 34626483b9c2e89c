//! The runtime's feature-test world: the real reconcile loop, driven by fabricated watch events
//! through a [`MemoryCluster`], against avisim over real HTTPS. No API server: what is tested is
//! the loop (debounce, retries, statuses, relists, the deletion guard), not kube-rs.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ako_runtime::reconcile::Timing;
use ako_runtime::{MemoryCluster, PassReport, Reconciler, Shared, Start};
use ako_sync::Owner;
use ako_translate::{Kind, ObjRef, Settings, Values};
use avi_client::{Client, Config, Credential};
use avisim::{Avisim, SimConfig};
use k8s_openapi::api::core::v1::ObjectReference;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The cluster name of every world.
pub const CLUSTER: &str = "ft";
const PASSWORD: &str = "Feature-Test-1";
/// How long anything may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Settings with AKO's defaults and `extra` lines under `AKOSettings` / `L7Settings`.
pub fn settings(ako: &str, l7: &str) -> Settings {
    let text = format!(
        "AKOSettings:\n  clusterName: {CLUSTER}\n{ako}NetworkSettings:\n  vipNetworkList: [{{networkName: vip-net}}]\nL7Settings:\n  shardVSSize: SMALL\n{l7}"
    );
    Settings::from_values(&Values::from_yaml(&text).expect("YAML")).expect("valid settings")
}

/// ako-rs's own Pod, where Events about the operator go.
pub fn me() -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: Some("ako".into()),
        name: Some("ako-0".into()),
        ..ObjectReference::default()
    }
}

/// A LoadBalancer Service with one TCP port and a ready endpoint.
pub fn lb_service(ns: &str, name: &str) -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "LoadBalancer", "ports": [{"name": "web", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
        slice(ns, name, &["10.1.0.1"]),
    ]
}

/// An EndpointSlice of Service `name` with ready endpoints on port 8080.
pub fn slice(ns: &str, name: &str, ips: &[&str]) -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{name}-1"), "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4", "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}],
        "endpoints": ips.iter().map(|ip| json!({"addresses": [ip], "conditions": {"ready": true}})).collect::<Vec<_>>()})
}

/// An Ingress of class avi-lb for `host` → Service `backend` (ClusterIP, with endpoints), and
/// TLS from Secret `tls` when given.
pub fn ingress(ns: &str, name: &str, host: &str, backend: &str, tls: Option<&str>) -> Vec<Value> {
    let mut spec = json!({"ingressClassName": "avi-lb", "rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": {"number": 80}}}}]}}]});
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": backend, "namespace": ns},
            "spec": {"type": "ClusterIP", "ports": [{"name": "web", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
        slice(ns, backend, &["10.2.0.1"]),
    ];
    if let Some(secret) = tls {
        spec["tls"] = json!([{"hosts": [host], "secretName": secret}]);
        out.push(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": secret, "namespace": ns},
            "stringData": {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                           "tls.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"}}),
        );
    }
    out.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns}, "spec": spec}));
    out
}

/// IngressClass avi-lb, as AKO's chart creates it.
pub fn ingress_class() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "avi-lb"},
        "spec": {"controller": "ako.vmware.com/avi-lb"}})
}

/// The loop, its cluster and its controller.
pub struct World {
    sim: Option<Avisim>,
    pub avi: Client,
    pub cluster: MemoryCluster,
    pub settings: watch::Sender<Settings>,
    pub reports: broadcast::Receiver<PassReport>,
    /// What the admin server would show (`/metrics`, `/api/status`).
    pub admin: Arc<ako_runtime::admin::State>,
    task: JoinHandle<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Log in to `sim`.
pub async fn client(sim: &Avisim) -> Client {
    Client::connect(Config::new(sim.url(), "admin", Credential::password(PASSWORD)).with_ca_pem(sim.ca_pem()))
        .await
        .expect("log in to avisim")
}

/// A fresh avisim.
pub async fn avisim() -> Avisim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Avisim::start(SimConfig::local("admin", PASSWORD))
        .await
        .expect("avisim starts")
}

impl World {
    /// A world whose cluster holds `objects` (every kind listed), with `settings`, against a
    /// fresh avisim.
    pub async fn start(settings: Settings, objects: Vec<Value>) -> World {
        World::start_on(avisim().await, settings, objects).await
    }

    /// [`World::start`] against an avisim that may already hold objects.
    pub async fn start_on(sim: Avisim, settings: Settings, objects: Vec<Value>) -> World {
        let avi = client(&sim).await;
        let shared = Shared::new(Kind::ALL.iter().copied());
        let cluster = MemoryCluster::new(shared.clone());
        for o in objects {
            cluster.apply(o).expect("a valid object");
        }
        for kind in Kind::ALL {
            cluster.list(*kind);
        }
        let (settings_tx, settings_rx) = watch::channel(settings);
        let timing = Timing {
            debounce: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            resync: None,
        };
        let admin = Arc::new(ako_runtime::admin::State::default());
        let mut reconciler = Reconciler::start(Start {
            avi: client(&sim).await,
            cluster: cluster.clone(),
            shared,
            settings: settings_rx,
            timing,
            admin: admin.clone(),
            identity: Some(me()),
            fence: ako_runtime::leader::Fence::alone(),
        })
        .await;
        let reports = reconciler.reports();
        let task = tokio::spawn(async move { reconciler.run().await });
        World {
            sim: Some(sim),
            avi,
            cluster,
            settings: settings_tx,
            reports,
            admin,
            task,
        }
    }

    /// The controller.
    pub fn sim(&self) -> &Avisim {
        self.sim.as_ref().expect("the world is running")
    }

    /// Stop the loop; the controller goes on.
    pub fn stop(mut self) -> Avisim {
        self.task.abort();
        self.sim.take().expect("the world is running")
    }

    /// Apply objects, as `kubectl apply` would.
    pub fn apply(&self, objects: Vec<Value>) {
        for o in objects {
            self.cluster.apply(o).expect("a valid object");
        }
    }

    /// The next pass's report; fails after [`DEADLINE`].
    pub async fn next_report(&mut self) -> PassReport {
        loop {
            match tokio::time::timeout(DEADLINE, self.reports.recv()).await {
                Ok(Ok(r)) => return r,
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                Ok(Err(e)) => panic!("the loop stopped: {e}"),
                Err(_) => panic!("no pass within {DEADLINE:?}"),
            }
        }
    }

    /// Reports until one satisfies `done`; all of them, that one last.
    pub async fn reports_until(&mut self, what: &str, done: impl Fn(&PassReport) -> bool) -> Vec<PassReport> {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {DEADLINE:?}; passes: {seen:#?}"
            );
            let r = self.next_report().await;
            let ok = done(&r);
            seen.push(r);
            if ok {
                return seen;
            }
        }
    }

    /// The names of the virtual services this cluster owns on the controller.
    pub async fn virtual_services(&self) -> BTreeSet<String> {
        self.owned("virtualservice").await
    }

    /// The names of the objects of `kind` (an Avi type, e.g. `pool`) this cluster owns.
    pub async fn owned(&self, kind: &str) -> BTreeSet<String> {
        let observed = ako_sync::load_observed(&self.avi, &Owner::new(CLUSTER))
            .await
            .expect("read the controller");
        observed
            .iter()
            .filter(|(k, _)| k.kind.path() == kind)
            .map(|(k, _)| k.name.clone())
            .collect()
    }

    /// Poll until `cond` holds on the controller's virtual services; fails after [`DEADLINE`].
    pub async fn eventually_vs(&self, what: &str, cond: impl Fn(&BTreeSet<String>) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let now = self.virtual_services().await;
            if cond(&now) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {DEADLINE:?}; virtual services: {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Objects of kind `kind` held by the cluster.
    pub fn refs(&self, kind: Kind) -> BTreeSet<ObjRef> {
        self.cluster.refs().into_iter().filter(|r| r.kind == kind).collect()
    }
}
