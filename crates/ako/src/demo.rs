//! `ako demo`: the whole operator with nothing but cargo. An Avi Controller simulator (avisim,
//! default seed) runs in-process; a directory of manifests stands in for the cluster
//! ([`ako_runtime::files`]), and the same runtime as `ako run` reconciles it. After each pass it
//! prints what was written, the controller's state as a tree (virtual services → VIPs,
//! policies, pools → servers) and the status each Ingress and Service got. Editing a file is a
//! change the next pass applies.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ako_runtime::files::ManifestDir;
use ako_runtime::reconcile::Timing;
use ako_runtime::{MemoryCluster, PassReport, Reconciler, Shared, Start};
use ako_sync::Owner;
use ako_translate::{Body, DesiredObject, Kind, Model};
use anyhow::Context;
use avi_client::{Client, Config, Credential};
use avisim::{Avisim, SimConfig};
use clap::Args;
use serde_json::Value;
use tokio::sync::watch;

use crate::tree;

/// Arguments of `ako demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Directory of Kubernetes manifests standing in for the cluster.
    #[arg(long, default_value = "examples/manifests")]
    manifests: PathBuf,
    /// AKO's values.yaml.
    #[arg(long, default_value = "examples/values.yaml")]
    values: PathBuf,
    /// Run one pass and exit (0 when the controller converged).
    #[arg(long)]
    once: bool,
    /// How often to look for changed files, in milliseconds.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// Re-read the controller and repair drift this often even when no file changed (default:
    /// the values' `AKOSettings.fullSyncFrequency`; 0 turns it off).
    #[arg(long)]
    resync_seconds: Option<u64>,
}

/// Run `ako demo`: whether the (last) pass converged.
pub fn main(args: &DemoArgs) -> anyhow::Result<bool> {
    ako_runtime::logging::init("warn");
    crate::runtime()?.block_on(run(args))
}

async fn run(args: &DemoArgs) -> anyhow::Result<bool> {
    // A password nobody else knows; the simulator lives as long as this process.
    let password = format!("Demo-{:x}", std::process::id() ^ 0x5eed_a1b2);
    let sim = Avisim::start(SimConfig::local("admin", &password))
        .await
        .context("cannot start the embedded Avi Controller simulator")?;
    println!("avisim (simulated Avi Controller) at {}", sim.url());
    let connect = || {
        Client::connect(
            Config::new(sim.url(), "admin", Credential::password(password.clone())).with_ca_pem(sim.ca_pem()),
        )
    };
    let avi = connect().await.context("cannot log in to the embedded simulator")?;
    let reader = connect().await.context("cannot log in to the embedded simulator")?;

    let shared = Shared::new(Kind::ALL.iter().copied());
    let cluster = MemoryCluster::new(shared.clone());
    let mut dir = ManifestDir::new(args.manifests.clone(), args.values.clone(), cluster.clone());
    let settings = dir.load()?;
    let mut timing = Timing::new(&settings);
    if let Some(s) = args.resync_seconds {
        timing.resync = (s > 0).then(|| Duration::from_secs(s));
    }
    let (settings_tx, settings_rx) = watch::channel(settings.clone());
    let mut reconciler = Reconciler::start(Start {
        avi,
        cluster: cluster.clone(),
        shared,
        settings: settings_rx.clone(),
        timing,
        admin: Arc::new(ako_runtime::admin::State::default()),
        identity: None,
        fence: ako_runtime::leader::Fence::alone(),
    })
    .await;
    let mut reports = reconciler.reports();
    let loop_task = tokio::spawn(async move { reconciler.run().await });

    let changed = Arc::new(AtomicBool::new(false));
    let watcher = {
        let changed = changed.clone();
        let every = Duration::from_millis(args.poll_ms.max(50));
        tokio::spawn(dir.watch(every, settings_tx, move || {
            println!("\n--- change detected ---");
            changed.store(true, Ordering::SeqCst);
        }))
    };

    let mut first = true;
    let mut converged = false;
    loop {
        let report = tokio::select! {
            r = reports.recv() => match r {
                Ok(r) => r,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        };
        // A pass that only checked statuses (our own writes coming back) shows nothing new.
        if !report.full && report.units == 0 && report.models == 0 {
            continue;
        }
        if report.full && !first && !changed.load(Ordering::SeqCst) {
            println!("\n--- periodic resync ---");
        }
        changed.store(false, Ordering::SeqCst);
        first = false;
        converged = report.converged && report.failures.is_empty();
        let owner = Owner::for_settings(&settings_rx.borrow());
        show(&report, &reader, &owner, &cluster).await?;
        if args.once {
            break;
        }
        println!(
            "\nwatching {} and {} (Ctrl-C to stop)",
            args.manifests.display(),
            args.values.display()
        );
    }
    watcher.abort();
    loop_task.abort();
    sim.shutdown().await;
    Ok(converged)
}

/// Print one pass: what was written, what failed, the controller, the statuses.
async fn show(report: &PassReport, reader: &Client, owner: &Owner, cluster: &MemoryCluster) -> anyhow::Result<()> {
    for f in &report.failures {
        println!("FAILED {}: {}", f.object, f.message);
    }
    if let Some(held) = &report.held {
        println!("HELD {held}");
    }
    print!("\n{}", report.summary);

    // The controller as it is now, read back: a tree per tenant of everything this cluster owns.
    let observed = ako_sync::load_observed(reader, owner)
        .await
        .context("cannot read the controller")?;
    let mut tenants: BTreeMap<String, Model> = BTreeMap::new();
    for (key, o) in observed.iter() {
        tenants
            .entry(format!("tenant {}", key.tenant))
            .or_default()
            .objects
            .push(DesiredObject {
                kind: key.kind,
                tenant: key.tenant.clone(),
                name: key.name.clone(),
                checksum: 0,
                // Read just now: every object still has its text.
                body: Body::from(o.body().unwrap_or_default()),
            });
    }
    println!("\nAvi Controller (objects owned by {}):", owner.created_by());
    let mut out = std::io::stdout().lock();
    tree::write_models(&mut out, &tenants)?;
    drop(out);

    println!("\nstatus.loadBalancer:");
    for r in cluster.refs() {
        if !matches!(r.kind, Kind::Ingress | Kind::Service) {
            continue;
        }
        let Some(object) = cluster.get(&r) else { continue };
        let entries = object.pointer("/status/loadBalancer/ingress").and_then(Value::as_array);
        for e in entries.into_iter().flatten() {
            let ip = e.get("ip").and_then(Value::as_str).unwrap_or("(no VIP yet)");
            let host = e
                .get("hostname")
                .and_then(Value::as_str)
                .map(|h| format!(" hostname {h}"))
                .unwrap_or_default();
            println!("  {r}: ip {ip}{host}");
        }
    }
    Ok(())
}
