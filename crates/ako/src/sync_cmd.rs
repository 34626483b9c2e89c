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

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use ako_sync::{DeletionGuard, DriftCheck, ExecuteOptions, Owner, PlanOptions, SyncOptions};
use ako_translate::{Settings, Translation};
use anyhow::Context;
use avi_client::{Client, Config, Credential};
use clap::{Args, ValueEnum};

use crate::plan;

/// A password from the command line or the environment; `Debug` never shows it.
#[derive(Clone)]
pub struct Password(pub(crate) String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Password {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Password(s.to_owned()))
    }
}

/// How to reach and log in to the Avi Controller.
#[derive(Args, Debug, Clone)]
pub struct ControllerArgs {
    /// Avi Controller: host, host:port or https URL.
    #[arg(long, env = "AKO_CONTROLLER")]
    pub controller: Option<String>,
    /// Controller user.
    #[arg(long, env = "AKO_CONTROLLER_USERNAME")]
    pub username: Option<String>,
    /// Controller password (prefer the environment variable).
    #[arg(long, env = "AKO_CONTROLLER_PASSWORD", hide_env_values = true)]
    pub password: Option<Password>,
    /// PEM file of the CA that signed the controller's certificate (default: system roots).
    #[arg(long, conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify the controller's certificate (labs only).
    #[arg(long)]
    pub insecure: bool,
    /// Requests in flight to the controller at most (lower it for a small controller).
    #[arg(long, default_value_t = 64)]
    pub max_requests: usize,
    /// An API token instead of the password (`ako run`: from the Secret `avi-secret`).
    #[arg(skip)]
    pub auth_token: Option<Password>,
    /// The CA as PEM text instead of `--ca-file` (`ako run`: from the Secret `avi-secret`).
    #[arg(skip)]
    pub ca_pem: Option<String>,
}

impl ControllerArgs {
    /// Log in.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let controller = self
            .controller
            .as_deref()
            .context("no controller: give --controller or set AKO_CONTROLLER")?;
        let username = self
            .username
            .as_deref()
            .context("no user name: give --username or set AKO_CONTROLLER_USERNAME")?;
        let credential = match (&self.password, &self.auth_token) {
            (Some(password), _) => Credential::password(password.0.clone()),
            (None, Some(token)) => Credential::token(token.0.clone()),
            (None, None) => anyhow::bail!("no password: set AKO_CONTROLLER_PASSWORD (or give --password)"),
        };
        let mut config = Config::new(controller, username, credential).with_max_concurrency(self.max_requests.max(1));
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read_to_string(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            config = config.with_ca_pem(pem);
        } else if let Some(pem) = &self.ca_pem {
            config = config.with_ca_pem(pem.clone());
        }
        if self.insecure {
            eprintln!("warning: --insecure: the controller's certificate is not verified");
            config = config.with_insecure(true);
        }
        Client::connect(config)
            .await
            .with_context(|| format!("cannot log in to the controller at {controller}"))
    }
}

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

/// Run `ako sync` and choose the exit code.
pub fn main(args: &SyncArgs) -> ExitCode {
    init_logging();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr, warnings and up unless `RUST_LOG` says otherwise.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A runtime for the one-shot commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(args: &SyncArgs) -> anyhow::Result<bool> {
    if !(0.0..=1.0).contains(&args.max_delete_share) {
        anyhow::bail!("--max-delete-share must be between 0 and 1");
    }
    let settings = plan::read_settings(&args.values)?;
    let snapshot = plan::read_snapshot(&args.manifests)?;
    runtime()?.block_on(async {
        let client = args.controller.connect().await?;
        let cloud = ako_sync::cloud_facts(&client, &settings.cloud_name).await?;
        let translation = plan::translate(&snapshot, &settings, &cloud);
        let options = sync_options(args, &snapshot, &settings, &cloud, &translation);
        let owner = Owner::new(&settings.cluster_name);
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
    init_logging();
    runtime()?.block_on(async {
        let client = controller.connect().await?;
        let cloud = ako_sync::cloud_facts(&client, &settings.cloud_name).await?;
        let translation = plan::translate(snapshot, settings, &cloud);
        let observed = ako_sync::load_observed(&client, &Owner::new(&settings.cluster_name))
            .await
            .context("cannot read the objects this cluster owns on the controller")?;
        let (protected, unmapped) = protected_models(snapshot, settings, &cloud, &translation);
        let options = PlanOptions {
            collect_garbage: unmapped.is_empty(),
            protected_models: protected,
            ..PlanOptions::default()
        };
        let planned = ako_sync::plan(&translation, &observed, &options);
        if json {
            let mut ops = Vec::new();
            for batch in &planned.batches {
                for (step, list) in batch.steps.iter().enumerate() {
                    for op in list {
                        let mut v = serde_json::to_value(op)?;
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
    let (protected, unmapped) = protected_models(snapshot, settings, cloud, translation);
    let collect_garbage = !args.no_delete && unmapped.is_empty();
    if !args.no_delete && !unmapped.is_empty() {
        eprintln!(
            "note: nothing is deleted in this sync: {} failed to translate and their Avi objects cannot be told apart",
            unmapped.join(", ")
        );
    }
    SyncOptions {
        plan: PlanOptions {
            collect_garbage,
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
            protected_models: protected,
            scope: None,
        },
        execute: ExecuteOptions {
            concurrency: args.concurrency.max(1),
        },
        deadline: Some(Duration::from_secs(args.timeout)),
        ..SyncOptions::default()
    }
}

/// The models that failed objects may own objects in (kept as they are by the sync), and the
/// failed objects whose models cannot be told (then nothing is garbage-collected).
pub(crate) fn protected_models(
    snapshot: &ako_translate::Snapshot,
    settings: &Settings,
    cloud: &ako_translate::CloudFacts,
    translation: &Translation,
) -> (BTreeSet<String>, Vec<String>) {
    let mut protected = BTreeSet::new();
    let mut unmapped = Vec::new();
    for f in &translation.failures {
        match ako_translate::models_of_failure(snapshot, settings, cloud, f) {
            Some(models) => protected.extend(models),
            None => unmapped.push(format!("{} {}/{}", f.kind, f.namespace, f.name)),
        }
    }
    (protected, unmapped)
}
