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
//! 6. the reconcile loop ([`crate::reconcile`]).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ako_translate::Settings;
use anyhow::Context;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::watch;

use crate::admin;
use crate::backoff::retry_forever;
use crate::cluster::ApiServer;
use crate::config::Source;
use crate::controller::{ControllerAccess, complete_from_secret};
use crate::index::Shared;
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

/// Run the operator until the task is dropped.
pub async fn run(options: RunOptions) {
    let admin = Arc::new(admin::State::default());
    let addr = admin_addr(&options);
    let mut server = admin::serve(addr, options.admin_port_file.clone(), admin.clone()).await;
    let source = retry_forever("invalid arguments", || async {
        Source::new(options.values.clone(), options.configmap.as_deref())
    })
    .await;
    let kube = retry_forever("cannot reach Kubernetes", || kube_client(options.kubeconfig.as_deref())).await;
    let settings = retry_forever("invalid configuration", || async {
        let r = source.settings(&kube).await;
        admin.config(&r);
        r
    })
    .await;
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
    let _server = server;

    let shared = Shared::new([]);
    let mut watching = BTreeSet::new();
    crate::watch::spawn(&kube, &shared, &settings, &mut watching);
    admin.watches(&shared);
    let (settings_tx, settings_rx) = watch::channel(settings.clone());
    {
        let (source, kube) = (source.clone(), kube.clone());
        tokio::spawn(async move { source.watch(kube, settings_tx).await });
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

    let namespace = source.namespace();
    let trust = Trust::new(&kube, namespace.as_deref(), own_pod());
    let (avi, access) = retry_forever("cannot log in to the Avi Controller", || async {
        let r = async {
            let access = complete_from_secret(&options.controller, &settings, &kube, namespace.as_deref()).await?;
            Ok((trust.connect(&access).await?, access))
        }
        .await;
        admin.controller(&r);
        r
    })
    .await;
    // A token from the Secret avi-secret is refreshed before it expires, as AKO does.
    if let (Some(token), None, Some(ns)) = (&access.auth_token, &access.password, namespace.as_deref()) {
        let secrets = kube::Api::namespaced(kube.clone(), ns);
        tokio::spawn(crate::token::keep_fresh(avi.clone(), secrets, token.0.clone()));
    }
    let timing = options.timing(&settings);
    if options.resync_seconds.is_none() && resync_of(&settings).is_none() {
        tracing::info!("fullSyncFrequency is 0: no periodic full sync");
    }
    let mut reconciler = Reconciler::start(Start {
        avi,
        cluster: ApiServer::new(kube),
        shared,
        settings: settings_rx,
        timing,
        admin,
        identity: own_pod(),
    })
    .await;
    reconciler.run().await;
}

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

async fn kube_client(path: Option<&Path>) -> anyhow::Result<kube::Client> {
    let config = match path {
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
    kube::Client::try_from(config).context("cannot build the Kubernetes client")
}
