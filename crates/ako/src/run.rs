//! `ako run`: the operator's flags, handed to [`ako_runtime::run`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ako_runtime::{ElectionOptions, RunOptions};
use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::controller_args::ControllerArgs;

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
    /// POD_NAMESPACE is set); the Secret avi-secret is read from the same namespace. Watched:
    /// its changes apply without a restart.
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
    /// Re-read the controller and repair drift this often; 0 turns it off (default: the
    /// settings' `AKOSettings.fullSyncFrequency`, where 0 also turns it off, as in AKO).
    #[arg(long)]
    resync_seconds: Option<u64>,
    /// Address of the admin server (/healthz, /readyz, /metrics, /api/status) (default:
    /// 0.0.0.0:<apiServerPort>, 8080 unless the settings say otherwise).
    #[arg(long)]
    admin_listen: Option<SocketAddr>,
    /// Write the admin server's bound port to this file (for `--admin-listen 127.0.0.1:0`).
    #[arg(long)]
    admin_port_file: Option<PathBuf>,
    /// Run without leader election, as the only writer. By default replicas elect a leader on
    /// AKO's Lease `ako-lease-lock` in ako's namespace (POD_NAMESPACE, or --configmap NS/NAME),
    /// and only the leader writes; with no namespace known there is no election.
    #[arg(long, env = "AKO_NO_LEADER_ELECTION")]
    no_leader_election: bool,
    /// How long a lease not renewed stays its holder's, in seconds (AKO: 15).
    #[arg(long, env = "AKO_LEASE_DURATION_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    lease_duration_seconds: u64,
    /// How long the leader keeps writing without renewing its lease, in seconds (AKO: 10);
    /// shorter than the lease duration.
    #[arg(long, env = "AKO_LEASE_RENEW_DEADLINE_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    lease_renew_deadline_seconds: u64,
    /// How often the leader renews its lease and followers try to take it, in seconds (AKO: 2);
    /// shorter than the renew deadline.
    #[arg(long, env = "AKO_LEASE_RETRY_PERIOD_SECONDS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    lease_retry_period_seconds: u64,
}

/// Run the operator until SIGINT/SIGTERM; a leader then finishes its requests in flight and
/// releases its lease before it exits.
pub fn main(args: RunArgs) -> anyhow::Result<()> {
    ako_runtime::logging::init("info");
    let election = ElectionOptions {
        enabled: !args.no_leader_election,
        lease_duration: Duration::from_secs(args.lease_duration_seconds),
        renew_deadline: Duration::from_secs(args.lease_renew_deadline_seconds),
        retry_period: Duration::from_secs(args.lease_retry_period_seconds),
    };
    election
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid lease durations: {e}"))?;
    let options = RunOptions {
        kubeconfig: args.kubeconfig,
        values: args.values,
        configmap: args.configmap,
        controller: args.controller.access(),
        debounce_ms: Some(args.debounce_ms),
        max_delay_ms: Some(args.max_delay_ms),
        resync_seconds: args.resync_seconds,
        admin_listen: args.admin_listen,
        admin_port_file: args.admin_port_file,
        election,
    };
    crate::runtime()?.block_on(async {
        let shutdown = CancellationToken::new();
        let signalled = shutdown.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            signalled.cancel();
        });
        ako_runtime::run(options, shutdown).await;
    });
    Ok(())
}

/// SIGINT or SIGTERM.
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
