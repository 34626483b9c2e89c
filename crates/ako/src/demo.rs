//! `ako demo`: the whole pipeline with nothing but cargo. An Avi Controller simulator (avisim,
//! default seed) runs in-process; a directory of manifests stands in for the cluster. Each pass
//! translates the manifests, syncs the controller, and prints the controller's state as a tree
//! (virtual services → VIPs, policies, pools → servers) and the status each Ingress and Service
//! would get. Then it watches the directory and the values file and runs again on every change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use ako_sync::{ExecuteOptions, Owner, PlanOptions, SyncOptions};
use ako_translate::{Body, DesiredObject, Model, Translation};
use anyhow::Context;
use avi_client::{Client, Config, Credential};
use avisim::{Avisim, SimConfig};
use clap::Args;

use crate::{plan, sync_cmd, tree};

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
    /// the values' `AKOSettings.fullSyncFrequency`, 1800 s).
    #[arg(long)]
    resync_seconds: Option<u64>,
}

/// Run `ako demo`.
pub fn main(args: &DemoArgs) -> ExitCode {
    sync_cmd::init_logging();
    let result = sync_cmd::runtime().and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &DemoArgs) -> anyhow::Result<bool> {
    // A password nobody else knows; the simulator lives as long as this process.
    let password = format!("Demo-{:x}", std::process::id() ^ 0x5eed_a1b2);
    let sim = Avisim::start(SimConfig::local("admin", &password))
        .await
        .context("cannot start the embedded Avi Controller simulator")?;
    println!("avisim (simulated Avi Controller) at {}", sim.url());
    let client =
        Client::connect(Config::new(sim.url(), "admin", Credential::password(password)).with_ca_pem(sim.ca_pem()))
            .await
            .context("cannot log in to the embedded simulator")?;
    let mut converged = false;
    let mut seen = fingerprint(&args.manifests, &args.values);
    loop {
        let mut resync = Duration::from_secs(args.resync_seconds.unwrap_or(1800));
        match pass(&client, args).await {
            Ok((ok, full_sync)) => {
                converged = ok;
                resync = Duration::from_secs(args.resync_seconds.unwrap_or(full_sync).max(1));
            }
            // Bad input is reported and waited out: edit the files and the demo runs again.
            Err(e) => eprintln!("error: {e:#}"),
        }
        if args.once {
            break;
        }
        println!(
            "\nwatching {} and {} (Ctrl-C to stop)",
            args.manifests.display(),
            args.values.display()
        );
        let since = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {
                    sim.shutdown().await;
                    return Ok(converged);
                }
                _ = tokio::time::sleep(Duration::from_millis(args.poll_ms.max(50))) => {}
            }
            let now = fingerprint(&args.manifests, &args.values);
            if now != seen {
                seen = now;
                println!("\n--- change detected ---");
                break;
            }
            // A full sync, as AKO's fullSyncFrequency: repairs what was changed on the controller.
            if since.elapsed() >= resync {
                println!("\n--- periodic resync ---");
                break;
            }
        }
    }
    sim.shutdown().await;
    Ok(converged)
}

/// One pass: translate, sync, show the controller and the statuses. Returns whether it
/// converged and the values' full-sync interval.
async fn pass(client: &Client, args: &DemoArgs) -> anyhow::Result<(bool, u64)> {
    let settings = plan::read_settings(&args.values)?;
    let snapshot = plan::read_snapshot(&args.manifests)?;
    let cloud = ako_sync::cloud_facts(client, &settings.cloud_name).await?;
    let translation = plan::translate(&snapshot, &settings, &cloud);
    for f in &translation.failures {
        println!("FAILED {} {}/{}: {}", f.kind, f.namespace, f.name, f.message);
    }
    let (protected, unmapped) = sync_cmd::protected_models(&snapshot, &settings, &cloud, &translation);
    let options = SyncOptions {
        plan: PlanOptions {
            collect_garbage: unmapped.is_empty(),
            protected_models: protected,
            ..PlanOptions::default()
        },
        execute: ExecuteOptions::default(),
        deadline: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    };
    let owner = Owner::new(&settings.cluster_name);
    let (summary, observed) = ako_sync::sync_once(client, &translation, &owner, &options)
        .await
        .context("cannot read the controller")?;
    print!("\n{summary}");

    // The controller as it is now, read back: a tree per tenant of everything this cluster owns.
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
                body: Body::from(o.body()),
            });
    }
    let vips: BTreeMap<(String, String), String> = tenants
        .values()
        .flat_map(|m| &m.objects)
        .filter(|o| o.kind == avi_model::ObjectType::VsVip)
        .filter_map(|o| {
            let ip = o
                .body
                .to_value()
                .pointer("/vip/0/ip_address/addr")?
                .as_str()?
                .to_owned();
            Some(((o.tenant.clone(), o.name.clone()), ip))
        })
        .collect();
    let view = Translation {
        models: tenants,
        ..Translation::default()
    };
    println!("\nAvi Controller (objects owned by ako-{}):", settings.cluster_name);
    let mut out = std::io::stdout().lock();
    tree::write_table(&mut out, &view)?;
    drop(out);

    println!("\nstatus.loadBalancer:");
    for s in &translation.status {
        let ip = vips
            .get(&(s.tenant.clone(), s.vsvip_name.clone()))
            .map_or("(no VIP yet)", String::as_str);
        let host = s
            .hostname
            .as_deref()
            .map(|h| format!(" hostname {h}"))
            .unwrap_or_default();
        println!("  {} {}/{}: ip {ip}{host}", s.kind, s.namespace, s.name);
    }
    Ok((
        summary.converged && translation.failures.is_empty(),
        settings.full_sync_seconds,
    ))
}

/// Names, sizes and modification times of the inputs: a change in any means another pass.
fn fingerprint(dir: &Path, values: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.metadata() {
                Ok(m) if m.is_dir() => pending.push(path),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    if let Ok(m) = std::fs::metadata(values) {
        out.push((values.to_owned(), m.len(), m.modified().ok()));
    }
    out.sort();
    out
}
