//! `ako run`: the operator's start-up, each step retried with backoff until it works (the
//! process never exits on bad input or an unreachable API server or controller; it logs and
//! waits):
//!
//! 1. the admin server (`/healthz`, `/readyz`, `/metrics`, `/api/status`);
//! 2. the Kubernetes client (`--kubeconfig`, else in-cluster / `KUBECONFIG`);
//! 3. settings from `--values` (AKO's values.yaml keys), else from the ConfigMap `avi-k8s-config`
//!    and AKO's environment variables ([`crate::config`]); re-read until valid, then watched;
//! 4. a watcher per kind the settings call for ([`crate::watch`]), and every initial list
//!    complete: only then is anything translated, so nothing is ever deleted on the strength of
//!    a partial view of the cluster;
//! 5. controller login (credentials re-read from the Secret `avi-secret` on every attempt when
//!    no flag or variable gives them), cloud facts and the observed state;
//! 6. the reconcile loop ([`crate::reconcile`]), while this replica holds the leader lease
//!    ([`crate::leader`]; always, without an election). It competes for the lease only once
//!    steps 4 and 5 are done, so a leader is warm.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ako_translate::Settings;
use anyhow::Context;
use http::HeaderValue;
use http::header::USER_AGENT;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::admin;
use crate::backoff::retry_forever;
use crate::cluster::ApiServer;
use crate::config::Source;
use crate::controller::{ControllerAccess, complete_from_secret};
use crate::index::Shared;
use crate::leader::{Election, Fence, LeaseSettings};
use crate::reconcile::{Reconciler, Start, Timing, resync_of};
use crate::trust::Trust;

/// How `ako run` is configured (its command line).
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Kubeconfig of the cluster (default: in-cluster, else `KUBECONFIG` / ~/.kube/config).
    pub kubeconfig: Option<PathBuf>,
    /// AKO's values.yaml instead of the ConfigMap and environment.
    pub values: Option<PathBuf>,
    /// AKO's ConfigMap, `NAMESPACE/NAME` or `NAME`.
    pub configmap: Option<String>,
    /// The controller (completed from the settings and the Secret `avi-secret`).
    pub controller: ControllerAccess,
    /// Quiet period after a change, milliseconds.
    pub debounce_ms: Option<u64>,
    /// Longest a change waits for a quiet period, milliseconds.
    pub max_delay_ms: Option<u64>,
    /// Full resync interval instead of `fullSyncFrequency` (0: off).
    pub resync_seconds: Option<u64>,
    /// Address of the admin server instead of 0.0.0.0:`apiServerPort`.
    pub admin_listen: Option<SocketAddr>,
    /// Write the admin server's bound port here.
    pub admin_port_file: Option<PathBuf>,
    /// Leader election.
    pub election: ElectionOptions,
}

/// Leader election (`ako run --no-leader-election`, `--lease-*`).
#[derive(Clone, Debug)]
pub struct ElectionOptions {
    /// Elect a leader when a namespace is known (`POD_NAMESPACE`, `--configmap NS/NAME`).
    pub enabled: bool,
    /// The lease's duration.
    pub lease_duration: Duration,
    /// How long a leader writes without a successful renewal.
    pub renew_deadline: Duration,
    /// How often the leader renews and followers try.
    pub retry_period: Duration,
}

impl Default for ElectionOptions {
    fn default() -> Self {
        let d = LeaseSettings::new("", "");
        ElectionOptions {
            enabled: true,
            lease_duration: d.lease_duration,
            renew_deadline: d.renew_deadline,
            retry_period: d.retry_period,
        }
    }
}

impl ElectionOptions {
    /// The durations nest (retry period < renew deadline < lease duration), when electing.
    pub fn validate(&self) -> Result<(), String> {
        match self.settings(Some("-"), "-") {
            Some(lease) => lease.validate(),
            None => Ok(()),
        }
    }

    /// The lease in `namespace` held as `identity`; `None` without a namespace or when off.
    fn settings(&self, namespace: Option<&str>, identity: &str) -> Option<LeaseSettings> {
        let namespace = namespace.filter(|_| self.enabled)?;
        Some(LeaseSettings {
            lease_duration: self.lease_duration,
            renew_deadline: self.renew_deadline,
            retry_period: self.retry_period,
            ..LeaseSettings::new(namespace, identity)
        })
    }
}

impl RunOptions {
    /// The loop's timing: the flags over the settings' `fullSyncFrequency`.
    fn timing(&self, settings: &Settings) -> Timing {
        let mut t = Timing::new(settings);
        if let Some(ms) = self.debounce_ms {
            t.debounce = Duration::from_millis(ms.max(1));
        }
        if let Some(ms) = self.max_delay_ms {
            t.max_delay = Duration::from_millis(ms).max(t.debounce);
        }
        if let Some(s) = self.resync_seconds {
            t.resync = (s > 0).then(|| Duration::from_secs(s));
        }
        t
    }
}

/// The admin server's address before the settings are read: `--admin-listen`, else
/// 0.0.0.0:`AKO_API_PORT` (how AKO's chart passes `apiServerPort`), else 0.0.0.0:8080.
fn admin_addr(options: &RunOptions) -> SocketAddr {
    options.admin_listen.unwrap_or_else(|| {
        let port = std::env::var("AKO_API_PORT")
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(8080);
        SocketAddr::from(([0, 0, 0, 0], port))
    })
}

/// Run the operator until `shutdown`: a leader then stops sending, lets what is in flight
/// finish, releases its lease and returns; anyone else returns at once.
pub async fn run(options: RunOptions, shutdown: CancellationToken) {
    // Nothing is written before this replica leads: a shutdown until then just stops.
    let operator = tokio::select! {
        o = Operator::prepare(options) => o,
        () = shutdown.cancelled() => return,
    };
    operator.lead_or_follow(&shutdown).await;
}

/// Everything `ako run` holds once it is warm: watches synced, logged in to the controller.
struct Operator {
    options: RunOptions,
    kube: kube::Client,
    shared: Shared,
    settings: watch::Receiver<Settings>,
    admin: Arc<admin::State>,
    avi: avi_client::Client,
    trust: Trust,
    election: Option<Election>,
    fence: Fence,
    _server: Option<tokio::task::JoinHandle<()>>,
}

impl Operator {
    /// Steps 1 to 5: admin server, Kubernetes, settings, watches, controller login.
    async fn prepare(options: RunOptions) -> Operator {
        let admin = Arc::new(admin::State::default());
        let addr = admin_addr(&options);
        let mut server = admin::serve(addr, options.admin_port_file.clone(), admin.clone()).await;
        let source = retry_forever("invalid arguments", || async {
            Source::new(options.values.clone(), options.configmap.as_deref())
        })
        .await;
        let identity = crate::leader::identity();
        let kube = retry_forever("cannot reach Kubernetes", || {
            kube_client(options.kubeconfig.as_deref(), &identity)
        })
        .await;
        let facts = crate::config::ClusterFacts::discover(&kube, source.namespace()).await;
        let mut settings = retry_forever("invalid configuration", || async {
            let r = source.settings(&kube).await;
            admin.config(&r);
            r
        })
        .await;
        facts.apply(&mut settings);
        crate::logging::set_level(settings.log_level);
        tracing::info!(cluster = %settings.cluster_name, "configuration read");
        if options.admin_listen.is_none() && settings.api_server_port != addr.port() {
            // apiServerPort in the settings: move the admin server there.
            if let Some(old) = server.take() {
                old.abort();
            }
            let addr = SocketAddr::from(([0, 0, 0, 0], settings.api_server_port));
            server = admin::serve(addr, options.admin_port_file.clone(), admin.clone()).await;
        }

        let namespace = source.namespace();
        let election = options.election.settings(namespace.as_deref(), &identity).map(|lease| {
            tracing::info!(
                lease = format!("{}/{}", lease.namespace, lease.name),
                identity,
                "high availability: this replica writes only while it holds the lease"
            );
            Election::new(kube.clone(), lease)
        });
        if election.is_none() {
            tracing::info!("no leader election (no namespace known, or turned off): this process is the only writer");
        }
        let fence = election.as_ref().map_or_else(Fence::alone, Election::fence);
        admin.election(fence.clone(), election.as_ref().map(Election::lease), identity.clone());

        let shared = Shared::new([]);
        let mut watching = BTreeSet::new();
        crate::watch::spawn(&kube, &shared, &settings, &mut watching);
        admin.watches(&shared);
        let (settings_tx, settings_rx) = watch::channel(settings.clone());
        {
            let (source, kube) = (source.clone(), kube.clone());
            tokio::spawn(async move { source.watch(kube, settings_tx, facts).await });
        }
        {
            // Kinds new settings call for are watched from then on.
            let (kube, shared, mut rx) = (kube.clone(), shared.clone(), settings_rx.clone());
            tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let s = rx.borrow_and_update().clone();
                    crate::logging::set_level(s.log_level);
                    crate::watch::spawn(&kube, &shared, &s, &mut watching);
                }
            });
        }
        wait_for_initial_lists(&shared).await;

        let trust = Trust::new(&kube, namespace.as_deref(), own_pod(), fence.clone());
        let gate = {
            let fence = fence.clone();
            avi_client::WriteGate::new(move || fence.check())
        };
        let (avi, access) = retry_forever("cannot log in to the Avi Controller", || async {
            let r = async {
                let mut access =
                    complete_from_secret(&options.controller, &settings, &kube, namespace.as_deref()).await?;
                access.instance = Some(identity.clone());
                access.write_gate = Some(gate.clone());
                Ok((trust.connect(&access).await?, access))
            }
            .await;
            admin.controller(&r);
            r
        })
        .await;
        // A token from the Secret avi-secret is refreshed before it expires, as AKO does.
        if let (Some(_), None, Some(ns)) = (&access.auth_token, &access.password, namespace.as_deref()) {
            let secrets = kube::Api::namespaced(kube.clone(), ns);
            tokio::spawn(crate::token::keep_fresh(avi.clone(), secrets, fence.clone()));
        }
        Operator {
            options,
            kube,
            shared,
            settings: settings_rx,
            admin,
            avi,
            trust,
            election,
            fence,
            _server: server,
        }
    }

    /// Step 6, while this replica leads (always, without an election): the reconcile loop,
    /// started afresh from the controller's state each time it comes to lead, dropped when it
    /// stops leading (the process goes on as a follower). On `shutdown` a leader stops sending,
    /// waits for what is in flight, releases its lease.
    async fn lead_or_follow(self, shutdown: &CancellationToken) {
        if let Some(e) = &self.election {
            // Only now that this replica is warm does it compete: a leader is ready at once.
            e.campaign();
        }
        loop {
            tokio::select! {
                () = self.fence.opened() => {}
                () = shutdown.cancelled() => break,
            }
            self.trust.on_leading().await;
            let settings = self.settings.borrow().clone();
            let timing = self.options.timing(&settings);
            if self.options.resync_seconds.is_none() && resync_of(&settings).is_none() {
                tracing::info!("fullSyncFrequency is 0: no periodic full sync");
            }
            let start = Reconciler::start(Start {
                avi: self.avi.clone(),
                cluster: ApiServer::new(self.kube.clone()).fenced(self.fence.clone()),
                shared: self.shared.clone(),
                settings: self.settings.clone(),
                timing,
                admin: self.admin.clone(),
                identity: own_pod(),
                fence: self.fence.clone(),
            });
            let mut reconciler = tokio::select! {
                r = start => r,
                () = self.fence.closed() => continue,
                () = shutdown.cancelled() => break,
            };
            let running = reconciler.run();
            tokio::pin!(running);
            tokio::select! {
                // The fence closed: lost the lease; follow.
                () = &mut running => {}
                () = shutdown.cancelled() => {
                    if let Some(e) = &self.election {
                        e.stop();
                    }
                    // The fence is closed: the pass under way sends nothing more and ends
                    // once its requests in flight are answered.
                    if tokio::time::timeout(DRAIN, &mut running).await.is_err() {
                        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
                    }
                    break;
                }
            }
        }
        if let Some(e) = &self.election {
            e.stop();
            e.release().await;
        }
    }
}

/// How long a stopping leader waits for its requests in flight before it releases its lease.
const DRAIN: Duration = Duration::from_secs(10);

/// ako-rs's own Pod (`POD_NAME` in `POD_NAMESPACE`, as the chart's StatefulSet sets them), for
/// Events about the operator itself.
fn own_pod() -> Option<ObjectReference> {
    let var = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
    Some(ObjectReference {
        api_version: Some("v1".to_owned()),
        kind: Some("Pod".to_owned()),
        namespace: Some(var("POD_NAMESPACE")?),
        name: Some(var("POD_NAME")?),
        ..ObjectReference::default()
    })
}

/// Wait until every watcher completed its initial list, saying which ones are late.
async fn wait_for_initial_lists(shared: &Shared) {
    loop {
        let pending = shared.lock().pending();
        if pending.is_empty() {
            tracing::info!("all watches synced");
            return;
        }
        if tokio::time::timeout(Duration::from_secs(10), shared.changed.notified())
            .await
            .is_err()
        {
            tracing::warn!(?pending, "still waiting for the initial list of these kinds");
        }
    }
}

/// The Kubernetes client; its `User-Agent` names this replica (`ako-rs/<version> (<identity>)`),
/// so the API server's audit log tells replicas apart.
async fn kube_client(path: Option<&Path>, identity: &str) -> anyhow::Result<kube::Client> {
    let mut config = match path {
        Some(p) => {
            let kubeconfig = Kubeconfig::read_from(p).with_context(|| format!("cannot read {}", p.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("cannot use {}", p.display()))?
        }
        None => kube::Config::infer()
            .await
            .context("no in-cluster config or kubeconfig")?,
    };
    if let Ok(value) = HeaderValue::from_str(&avi_client::user_agent(Some(identity))) {
        config.headers.push((USER_AGENT, value));
    }
    kube::Client::try_from(config).context("cannot build the Kubernetes client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_durations_must_nest_when_electing() {
        let ok = ElectionOptions::default();
        assert_eq!(ok.validate(), Ok(()));
        let bad = ElectionOptions {
            renew_deadline: Duration::from_secs(20),
            ..ElectionOptions::default()
        };
        assert!(bad.validate().unwrap_err().contains("renew deadline"));
        let off = ElectionOptions { enabled: false, ..bad };
        assert_eq!(off.validate(), Ok(()));
        let retry = ElectionOptions {
            retry_period: Duration::from_secs(10),
            ..ElectionOptions::default()
        };
        assert!(retry.validate().unwrap_err().contains("retry period"));
    }
}
