//! `ako sync`: manifests + AKO values.yaml → the Avi Controller, once. Translate exactly as
//! `ako plan` does (with the cloud facts read from the controller), plan against what this
//! cluster owns on the controller, execute, print a summary. Exit 0 when the controller holds
//! the desired state, 1 when something failed (an object the controller rejected, an object that
//! failed to translate) or a deletion was refused, 2 on bad input or an unreachable controller.
//!
//! A manifest directory is the whole desired state, so objects this cluster owns that it no
//! longer produces are deleted (`--no-delete` keeps them), under the mass-deletion guard
//! (`--max-delete-share`, `--allow-mass-delete`). The Avi objects of the models an Ingress or
//! Service that fails to translate feeds are kept: a failure is not a deletion.
//!
//! Credentials come from `--username`/`--password` or `AKO_CONTROLLER_USERNAME` /
//! `AKO_CONTROLLER_PASSWORD` (prefer the environment: command lines are visible to other
//! users); they are never printed. The controller's certificate is verified against
//! `--ca-file` (or the system roots) unless `--insecure` is given.

use std::path::PathBuf;
use std::time::Duration;

use ako_runtime::inputs::read_settings;
use ako_sync::{DeletionGuard, DriftCheck, ExecuteOptions, Owner, PlanOptions, Protection, SyncOptions};
use ako_translate::{Settings, Translation};
use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::controller_args::ControllerArgs;
use crate::plan;

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Output {
    /// A summary for people.
    Text,
    /// The summary as JSON.
    Json,
}

/// Arguments of `ako sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Directory of Kubernetes manifests (*.yaml, *.yml, *.json; multi-document), read recursively.
    #[arg(long)]
    manifests: PathBuf,
    /// AKO's values.yaml (the chart's keys).
    #[arg(long)]
    values: PathBuf,
    #[command(flatten)]
    controller: ControllerArgs,
    /// Keep objects the manifests no longer produce.
    #[arg(long)]
    no_delete: bool,
    /// Refuse a sync that would delete more than this share of the objects the cluster owns.
    #[arg(long, default_value_t = 0.5)]
    max_delete_share: f64,
    /// Delete even beyond --max-delete-share.
    #[arg(long)]
    allow_mass_delete: bool,
    /// Compare stored checksums only (Go AKO's rule) instead of also every field we send.
    #[arg(long)]
    checksum_only: bool,
    /// Models (virtual services and what hangs off them) written in parallel.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Stop retrying after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Run `ako sync`: whether the controller converged.
pub fn main(args: &SyncArgs) -> anyhow::Result<bool> {
    ako_runtime::logging::init("warn");
    run(args)
}

fn run(args: &SyncArgs) -> anyhow::Result<bool> {
    if !(0.0..=1.0).contains(&args.max_delete_share) {
        anyhow::bail!("--max-delete-share must be between 0 and 1");
    }
    let settings = read_settings(&args.values)?;
    let snapshot = plan::read_inputs(&args.manifests, &settings)?;
    crate::runtime()?.block_on(async {
        let client = args.controller.access().connect().await?;
        let cloud = cloud_facts(&client, &settings, &snapshot).await?;
        let translation = plan::translate(&snapshot, &settings, &cloud);
        let options = sync_options(args, &snapshot, &settings, &cloud, &translation);
        let owner = Owner::for_settings(&settings);
        let (summary, _) = ako_sync::sync_once(&client, &translation, &owner, &options)
            .await
            .context("cannot read the objects this cluster owns on the controller")?;
        match args.output {
            Output::Text => print!("{summary}"),
            Output::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        }
        if !translation.failures.is_empty() {
            println!(
                "{} Kubernetes object(s) failed to translate (see stderr); their Avi objects are left as they are",
                translation.failures.len()
            );
        }
        Ok(summary.converged && translation.failures.is_empty())
    })
}

/// `ako plan --controller`: what `ako sync` (with its default flags) would send, without sending
/// anything. `json` prints one object per operation, in execution order.
pub fn plan_against(
    controller: &ControllerArgs,
    settings: &Settings,
    snapshot: &ako_translate::Snapshot,
    json: bool,
) -> anyhow::Result<()> {
    ako_runtime::logging::init("warn");
    crate::runtime()?.block_on(async {
        let client = controller.access().connect().await?;
        let cloud = cloud_facts(&client, settings, snapshot).await?;
        let translation = plan::translate(snapshot, settings, &cloud);
        let observed = ako_sync::load_observed(&client, &Owner::for_settings(settings))
            .await
            .context("cannot read the objects this cluster owns on the controller")?;
        let mut options = PlanOptions {
            collect_garbage: true,
            ..PlanOptions::default()
        };
        Protection::of(snapshot, settings, &cloud, &translation).apply(&mut options);
        let planned = ako_sync::plan(&translation, &observed, &options);
        if json {
            let mut ops = Vec::new();
            for batch in &planned.batches {
                for (step, list) in batch.steps.iter().enumerate() {
                    for op in list {
                        let mut v = serde_json::to_value(op)?;
                        crate::redact::private_keys(&mut v);
                        v["model"] = serde_json::json!(batch.model);
                        v["step"] = serde_json::json!(step + 1);
                        ops.push(v);
                    }
                }
            }
            println!("{}", serde_json::to_string_pretty(&ops)?);
        } else {
            print!("{planned}");
        }
        Ok(())
    })
}

/// Options from the flags; the models of objects that failed to translate are protected.
fn sync_options(
    args: &SyncArgs,
    snapshot: &ako_translate::Snapshot,
    settings: &Settings,
    cloud: &ako_translate::CloudFacts,
    translation: &Translation,
) -> SyncOptions {
    let mut plan = PlanOptions {
        collect_garbage: !args.no_delete,
        guard: DeletionGuard {
            max_share: args.max_delete_share,
            allow_mass_delete: args.allow_mass_delete,
            ..DeletionGuard::default()
        },
        drift: if args.checksum_only {
            DriftCheck::ChecksumOnly
        } else {
            DriftCheck::Fields
        },
        ..PlanOptions::default()
    };
    let protection = Protection::of(snapshot, settings, cloud, translation);
    if !args.no_delete && !protection.unmapped.is_empty() {
        let names: Vec<String> = protection.unmapped.iter().map(ToString::to_string).collect();
        eprintln!(
            "note: nothing is deleted in this sync: {} failed to translate and their Avi objects cannot be told apart",
            names.join(", ")
        );
    }
    protection.apply(&mut plan);
    SyncOptions {
        plan,
        execute: ExecuteOptions {
            concurrency: args.concurrency.max(1),
        },
        deadline: Some(Duration::from_secs(args.timeout)),
        ..SyncOptions::default()
    }
}

/// The cloud facts, and what the controller holds of the objects the rules and AviInfraSettings
/// of `snapshot` name (as `ako run` looks them up before translating).
async fn cloud_facts(
    client: &avi_client::Client,
    settings: &Settings,
    snapshot: &ako_translate::Snapshot,
) -> anyhow::Result<ako_translate::CloudFacts> {
    let mut cloud = ako_sync::cloud_facts(client, &settings.cloud_name).await?;
    let wanted = ako_translate::rules::named_refs(snapshot, settings)
        .into_keys()
        .collect();
    for (tenant, r, state) in ako_sync::lookup_refs(client, wanted).await {
        cloud.refs.record(&tenant, r, state);
    }
    Ok(cloud)
}
