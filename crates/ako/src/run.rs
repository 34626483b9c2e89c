//! `ako run`: the operator's flags, handed to [`ako_runtime::run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use ako_runtime::RunOptions;
use clap::Args;

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
}

/// Run the operator until SIGINT/SIGTERM.
pub fn main(args: RunArgs) -> anyhow::Result<()> {
    ako_runtime::logging::init("info");
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
    };
    crate::runtime()?.block_on(async {
        tokio::select! {
            () = ako_runtime::run(options) => {}
            () = shutdown_signal() => tracing::info!("shutting down"),
        }
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
