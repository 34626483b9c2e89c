//! `ako run`: the operator. Watches the cluster (kube-rs watchers into one [`cache::Cache`]),
//! and on every change, after a short quiet period, re-translates what the change touched,
//! syncs those models to the Avi Controller and writes `status.loadBalancer` back
//! ([`reconcile`]).
//!
//! Start-up order, each step retried with backoff until it works (the process never exits on
//! bad input or an unreachable API server or controller; it logs and waits):
//! 1. the Kubernetes client (`--kubeconfig`, else in-cluster / `KUBECONFIG`);
//! 2. settings from `--values` (AKO's values.yaml keys), else from the ConfigMap
//!    `avi-k8s-config` and AKO's environment variables ([`config`]); re-read until valid;
//!    watchers started;
//! 3. every watcher's initial list complete: only then is anything translated, so nothing is
//!    ever deleted on the strength of a partial view of the cluster;
//! 4. controller login (credentials re-read from the Secret `avi-secret` on every attempt
//!    when no flag or variable gives them), cloud facts and the observed state (what this cluster owns);
//! 5. the reconcile loop.

mod admin;
mod cache;
mod config;
mod events;
mod metrics;
mod reconcile;
mod relevance;
mod secrets;
mod status;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ako_translate::settings::ServiceType;
use anyhow::Context;
use clap::Args;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::sync_cmd::{self, ControllerArgs};
use cache::Kind;
use reconcile::{Reconciler, Timing};
use watch::Shared;

/// Arguments of `ako run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Kubeconfig of the cluster to watch (default: in-cluster, else `KUBECONFIG` / ~/.kube/config).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// AKO's values.yaml (the chart's keys); without it, the ConfigMap and AKO's environment
    /// variables (CLUSTER_NAME, VIP_NETWORK_LIST, ...) configure `ako run`.
    #[arg(long)]
    values: Option<PathBuf>,
    /// AKO's ConfigMap, NAMESPACE/NAME (default: $POD_NAMESPACE/avi-k8s-config when
    /// POD_NAMESPACE is set); the Secret avi-secret is read from the same namespace.
    #[arg(long, conflicts_with = "values")]
    configmap: Option<String>,
    #[command(flatten)]
    controller: ControllerArgs,
    /// Quiet period after a change before translating, in milliseconds.
    #[arg(long, default_value_t = 200)]
    debounce_ms: u64,
    /// Longest a change waits for a quiet period, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    max_delay_ms: u64,
    /// Re-read the controller and repair drift this often (default: the values'
    /// `AKOSettings.fullSyncFrequency`).
    #[arg(long)]
    resync_seconds: Option<u64>,
    /// Address of the admin server (/healthz, /readyz, /metrics, /api/status) (default:
    /// 0.0.0.0:<apiServerPort>, 8080 unless the settings say otherwise).
    #[arg(long)]
    admin_listen: Option<SocketAddr>,
    /// Write the admin server's bound port to this file (for `--admin-listen 127.0.0.1:0`).
    #[arg(long)]
    admin_port_file: Option<PathBuf>,
}

/// Run `ako run` until SIGINT/SIGTERM.
pub fn main(args: &RunArgs) -> ExitCode {
    init_logging();
    let runtime = match sync_cmd::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        tokio::select! {
            () = run(args) => {}
            () = shutdown_signal() => tracing::info!("shutting down"),
        }
    });
    ExitCode::SUCCESS
}

/// Logs to stderr, info and up unless `RUST_LOG` says otherwise.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Exponential backoff between attempts of a start-up step: 1 s doubling up to 30 s.
pub(crate) struct Backoff(Duration);

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff(Duration::from_secs(1))
    }

    /// Wait, then lengthen the next wait.
    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(30));
    }
}

/// Retry `step` with backoff until it succeeds, logging each failure.
async fn retry<T, F, Fut>(what: &str, mut step: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut backoff = Backoff::new();
    loop {
        match step().await {
            Ok(v) => return v,
            Err(e) => {
                tracing::error!("{what}: {e:#}; retrying");
                backoff.wait().await;
            }
        }
    }
}

/// The admin server's address before the settings are read: `--admin-listen`, else
/// 0.0.0.0:`AKO_API_PORT` (how AKO's chart passes `apiServerPort`), else 0.0.0.0:8080.
fn admin_addr(args: &RunArgs) -> SocketAddr {
    args.admin_listen.unwrap_or_else(|| {
        let port = std::env::var("AKO_API_PORT")
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(8080);
        SocketAddr::from(([0, 0, 0, 0], port))
    })
}

async fn run(args: &RunArgs) {
    let admin = Arc::new(admin::State::default());
    let addr = admin_addr(args);
    let mut server = admin::serve(addr, args.admin_port_file.clone(), admin.clone()).await;
    let source = retry("invalid arguments", || async {
        config::Source::new(args.values.clone(), args.configmap.as_deref())
    })
    .await;
    let kube = retry("cannot reach Kubernetes", || kube_client(args.kubeconfig.as_deref())).await;
    let settings = retry("invalid configuration", || async {
        let r = source.settings(&kube).await;
        admin.config(&r);
        r
    })
    .await;
    tracing::info!(cluster = %settings.cluster_name, "configuration read");
    if args.admin_listen.is_none() && settings.api_server_port != addr.port() {
        // apiServerPort in the settings: move the admin server there.
        if let Some(old) = server.take() {
            old.abort();
        }
        let addr = SocketAddr::from(([0, 0, 0, 0], settings.api_server_port));
        server = admin::serve(addr, args.admin_port_file.clone(), admin.clone()).await;
    }
    let _server = server;

    let mut kinds = vec![
        Kind::Ingress,
        Kind::IngressClass,
        Kind::Service,
        Kind::EndpointSlice,
        Kind::Namespace,
        Kind::Node,
        Kind::Secret,
    ];
    if settings.service_type == ServiceType::NodePortLocal {
        kinds.push(Kind::Pod);
    }
    let shared = Shared::new(&kinds);
    watch::spawn::<Ingress>(kube.clone(), shared.clone());
    watch::spawn::<IngressClass>(kube.clone(), shared.clone());
    watch::spawn::<Service>(kube.clone(), shared.clone());
    watch::spawn::<EndpointSlice>(kube.clone(), shared.clone());
    watch::spawn::<Namespace>(kube.clone(), shared.clone());
    watch::spawn::<Node>(kube.clone(), shared.clone());
    watch::spawn_secrets(kube.clone(), shared.clone());
    if kinds.contains(&Kind::Pod) {
        watch::spawn::<Pod>(kube.clone(), shared.clone());
    }
    admin.watches(&shared);
    wait_for_initial_lists(&shared).await;

    let namespace = source.namespace();
    let avi = retry("cannot log in to the Avi Controller", || async {
        let r = async {
            config::controller(&args.controller, &settings, &kube, namespace.as_deref())
                .await?
                .connect()
                .await
        }
        .await;
        admin.controller(&r);
        r
    })
    .await;
    let timing = Timing {
        debounce: Duration::from_millis(args.debounce_ms.max(1)),
        max_delay: Duration::from_millis(args.max_delay_ms.max(args.debounce_ms).max(1)),
        resync: Duration::from_secs(args.resync_seconds.unwrap_or(settings.full_sync_seconds).max(1)),
    };
    let mut reconciler = Reconciler::start(avi, kube, shared, settings, timing, admin).await;
    reconciler.run().await;
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
