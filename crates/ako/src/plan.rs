//! `ako plan`: manifests + AKO values.yaml → the desired Avi objects, offline. Like
//! `terraform plan`, it shows what would be sent without touching a controller.

use std::io::Write;
use std::path::{Path, PathBuf};

use ako_translate::{CloudFacts, Settings, Snapshot, Translation, Values, load_manifests};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

/// Arguments of `ako plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Directory of Kubernetes manifests (*.yaml, *.yml, *.json; multi-document), read recursively.
    #[arg(long)]
    manifests: PathBuf,
    /// AKO's values.yaml (the chart's keys).
    #[arg(long)]
    values: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
    /// DNS sub-domain of the cloud's DNS profile (repeatable); the controller's list when online.
    #[arg(long = "dns-domain")]
    dns_domains: Vec<String>,
    /// The controller's license tier (selects the TCP network profile).
    #[arg(long, default_value = "ENTERPRISE")]
    license_tier: String,
    /// The cloud's type (`vtype`), e.g. CLOUD_NONE or CLOUD_VCENTER.
    #[arg(long, default_value = "CLOUD_NONE")]
    cloud_type: String,
    /// With --controller: the operations `ako sync` would send to that controller (nothing is sent).
    #[command(flatten)]
    controller: crate::sync_cmd::ControllerArgs,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// A tree for people.
    Table,
    /// A JSON array sorted by (model, type, name).
    Json,
    /// Objects and failures as YAML.
    Yaml,
}

/// One element of `-o json`.
#[derive(Serialize)]
struct PlannedObject<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    tenant: &'a str,
    name: &'a str,
    model: &'a str,
    body: serde_json::Value,
}

/// `-o yaml`: objects and failures.
#[derive(Serialize)]
struct YamlPlan<'a> {
    objects: Vec<PlannedObject<'a>>,
    failures: &'a [ako_translate::Failure],
}

/// Run `ako plan`.
pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let settings = read_settings(&args.values)?;
    let snapshot = read_snapshot(&args.manifests)?;
    if args.controller.controller.is_some() {
        return crate::sync_cmd::plan_against(
            &args.controller,
            &settings,
            &snapshot,
            matches!(args.output, Format::Json),
        );
    }
    let cloud = CloudFacts {
        dns_domains: args.dns_domains.clone(),
        license_tier: args.license_tier.clone(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: args.cloud_type.clone(),
    };
    let translation = translate(&snapshot, &settings, &cloud);

    let objects = planned(&translation);
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &objects)?;
            writeln!(out)?;
        }
        Format::Yaml => {
            let plan = YamlPlan {
                objects,
                failures: &translation.failures,
            };
            write!(out, "{}", serde_saphyr::to_string(&plan)?)?;
        }
        Format::Table => crate::tree::write_table(&mut out, &translation)?,
    }
    Ok(())
}

/// AKO's settings from a values.yaml.
pub(crate) fn read_settings(values: &Path) -> anyhow::Result<Settings> {
    let values_text = std::fs::read_to_string(values).with_context(|| format!("cannot read {}", values.display()))?;
    let parsed = Values::from_yaml(&values_text).map_err(|e| anyhow::anyhow!("{}: {e}", values.display()))?;
    Settings::from_values(&parsed).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        anyhow::anyhow!("{} has invalid settings:\n{}", values.display(), lines.join("\n"))
    })
}

/// The Kubernetes objects of every manifest under `dir`; kinds not translated yet are noted on stderr.
pub(crate) fn read_snapshot(dir: &Path) -> anyhow::Result<Snapshot> {
    let mut snapshot = Snapshot::new();
    for file in manifest_files(dir)? {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let ignored = load_manifests(&mut snapshot, &file.display().to_string(), &text)?;
        for object in ignored {
            eprintln!("note: {}: {object} is not translated by ako-rs yet", file.display());
        }
    }
    Ok(snapshot)
}

/// The translation `ako plan` and `ako sync` share; failures are printed to stderr.
pub(crate) fn translate(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let translation = ako_translate::translate(snapshot, settings, cloud);
    for f in &translation.failures {
        eprintln!("failure: {} {}/{}: {}", f.kind, f.namespace, f.name, f.message);
    }
    translation
}

/// Every manifest file under `dir`, sorted so output never depends on directory order.
fn manifest_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Objects sorted by (model, type, name).
fn planned(t: &Translation) -> Vec<PlannedObject<'_>> {
    let mut objects: Vec<PlannedObject<'_>> = t
        .models
        .iter()
        .flat_map(|(model, m)| {
            m.objects.iter().map(move |o| PlannedObject {
                kind: o.kind.path(),
                tenant: &o.tenant,
                name: &o.name,
                model,
                body: o.body.to_value(),
            })
        })
        .collect();
    objects.sort_by(|a, b| (a.model, a.kind, a.name).cmp(&(b.model, b.kind, b.name)));
    objects
}
