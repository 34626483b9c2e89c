//! `ako plan`: manifests + AKO values.yaml → the desired Avi objects, offline. Like
//! `terraform plan`, it shows what would be sent without touching a controller. The manifests
//! are an application's: the objects AKO's chart creates are assumed present. With Nodes in the
//! manifests, the table and YAML outputs also show the static routes (and the Nodes without
//! one); the JSON array holds the objects only.

use std::io::Write;
use std::path::{Path, PathBuf};

use ako_runtime::inputs::{read_settings, read_snapshot};
use ako_translate::chart::add_chart_objects;
use ako_translate::{CloudFacts, ModelKey, Settings, Snapshot, Translation};
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
    controller: crate::controller_args::ControllerArgs,
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
    model: &'a ModelKey,
    body: serde_json::Value,
}

/// `-o yaml`: objects, failures and the static routes.
#[derive(Serialize)]
struct YamlPlan<'a> {
    objects: Vec<PlannedObject<'a>>,
    failures: &'a [ako_translate::Failure],
    #[serde(skip_serializing_if = "Option::is_none")]
    static_routes: Option<RoutesPlan>,
}

/// The static routes this cluster would keep in its VRF (ClusterIP mode).
#[derive(Serialize)]
struct RoutesPlan {
    vrf: String,
    routes: Vec<serde_json::Value>,
    /// Nodes without a route, with why.
    skipped: Vec<(String, String)>,
}

/// Run `ako plan`.
pub fn main(args: &PlanArgs) -> anyhow::Result<()> {
    // Warnings (a values key AKO's chart does not have) go to stderr.
    ako_runtime::logging::init("warn");
    let settings = read_settings(&args.values)?;
    let snapshot = read_inputs(&args.manifests, &settings)?;
    if args.controller.controller.is_some() {
        return crate::sync::plan_against(
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
        refs: ako_translate::rules::RefCatalog::unchecked(),
        now: Some(k8s_openapi::jiff::Timestamp::now()),
    };
    let translation = translate(&snapshot, &settings, &cloud);
    print_rejected_rules(&snapshot, &settings, &cloud);
    let routes = ako_translate::routes::static_routes(&snapshot, &settings, &cloud.cloud_type)
        .filter(|r| !r.routes.is_empty() || !r.skipped.is_empty());

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
                static_routes: routes.map(|r| RoutesPlan {
                    routes: r.bodies(&settings.cluster_name),
                    vrf: r.vrf,
                    skipped: r.skipped,
                }),
            };
            write!(out, "{}", serde_saphyr::to_string(&plan)?)?;
        }
        Format::Table => {
            crate::tree::write_table(&mut out, &translation)?;
            if let Some(r) = routes {
                writeln!(out, "static routes in VRF {}", r.vrf)?;
                for route in &r.routes {
                    writeln!(out, "  {route}")?;
                }
                for (node, why) in &r.skipped {
                    writeln!(out, "  no route to Node {node}: {why}")?;
                }
            }
        }
    }
    Ok(())
}

/// The manifests of `dir` as the cluster AKO's chart was installed in: the chart's objects
/// (IngressClass `avi-lb`) are added unless the manifests define them, and that is said on
/// stderr, as are kinds ako-rs does not read.
pub(crate) fn read_inputs(dir: &Path, settings: &Settings) -> anyhow::Result<Snapshot> {
    let (mut snapshot, notes) = read_snapshot(dir)?;
    for note in notes {
        eprintln!("note: {note}");
    }
    let added = add_chart_objects(&mut snapshot, settings);
    if !added.is_empty() {
        eprintln!(
            "note: as installed by AKO's chart: {} (not in {})",
            added.join(", "),
            dir.display()
        );
    }
    Ok(snapshot)
}

/// The translation `ako plan` and `ako sync` share; failures are printed to stderr.
pub(crate) fn translate(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    let translation = ako_translate::translate(snapshot, settings, cloud);
    for f in &translation.failures {
        eprintln!("failure: {}: {}", f.object, f.message);
    }
    translation
}

/// The rules (HostRules, HTTPRules, L4Rules, L7Rules, SSORules, AviInfraSettings) `ako run`
/// would mark Rejected, with AKO's reason, on stderr: they change nothing in the plan. Without a
/// controller, what they name there is taken as present.
fn print_rejected_rules(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) {
    for rule in ako_translate::rules::every_rule(snapshot) {
        if let ako_translate::rules::Verdict::Rejected(reason) =
            ako_translate::rules::rule_verdict(snapshot, settings, cloud, &rule)
        {
            eprintln!("rejected: {rule}: {reason}");
        }
    }
}

/// Objects sorted by (model, type, name).
fn planned(t: &Translation) -> Vec<PlannedObject<'_>> {
    let mut objects: Vec<PlannedObject<'_>> = t
        .models
        .iter()
        .flat_map(|(model, m)| {
            m.objects.iter().map(move |o| {
                let mut body = o.body.to_value();
                crate::redact::private_keys(&mut body);
                PlannedObject {
                    kind: o.kind.path(),
                    tenant: &o.tenant,
                    name: &o.name,
                    model,
                    body,
                }
            })
        })
        .collect();
    objects.sort_by(|a, b| (a.model, a.kind, a.name).cmp(&(b.model, b.kind, b.name)));
    objects
}
