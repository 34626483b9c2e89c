//! Golden tests against Go AKO: testdata/l7/ako_<case>/{in.yaml, values.yaml, cloud.yaml,
//! ako.json, status.json}, captured by running Go AKO 2.2 against avisim (testdata/l7/README.md).
//!
//! `ako.json` holds the last body AKO POSTed/PUT for every object that existed once it had
//! converged. Our translation of the same input must produce exactly those objects, each with
//! exactly that body (checksums included), and the same hostnames per Ingress in status.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ako_translate::NsName;
use ako_translate::rules::{host_rule_verdict, http_rule_verdict};
use ako_translate::translate;
use common::{captured_cases, diff, diff_objects, load_case, load_snapshot};
use serde_json::Value;

/// The object types translation produces.
const TRANSLATED: &[&str] = &[
    "virtualservice",
    "vsvip",
    "pool",
    "poolgroup",
    "httppolicyset",
    "vsdatascriptset",
    "sslkeyandcertificate",
    "l4policyset",
    "pkiprofile",
    "stringgroup",
];

fn compare_case(dir: &Path) -> Vec<String> {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let (input, settings, cloud) = load_case(dir);
    let env = std::fs::read_to_string(dir.join("../environment.yaml")).unwrap();
    let snap = load_snapshot(&format!("{env}\n---\n{input}"), None);
    let t = translate(&snap, &settings, &cloud);
    // Keyed by (type, tenant, name): two tenants may hold objects of the same name.
    let ours: BTreeMap<(String, String, String), Value> = t
        .models
        .values()
        .flat_map(|m| &m.objects)
        .map(|o| {
            (
                (o.kind.path().to_owned(), o.tenant.clone(), o.name.clone()),
                o.body.to_value(),
            )
        })
        .collect();
    let ako_list: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(dir.join("ako.json")).unwrap()).unwrap();
    let ako: BTreeMap<(String, String, String), &Value> = ako_list
        .iter()
        // AKO also labels the SE group at boot: that belongs to the operator runtime.
        .filter(|o| TRANSLATED.contains(&o["type"].as_str().unwrap()))
        .map(|o| {
            (
                (
                    o["type"].as_str().unwrap().to_owned(),
                    o["tenant"].as_str().unwrap_or("admin").to_owned(),
                    o["name"].as_str().unwrap().to_owned(),
                ),
                &o["body"],
            )
        })
        .collect();
    let mut out = diff_objects(&ours, &ako, |k| format!("{case} {} {}/{}", k.0, k.1, k.2));
    // Status: the hostnames AKO wrote per Ingress.
    if let Ok(text) = std::fs::read_to_string(dir.join("status.json")) {
        let status: Vec<Value> = serde_json::from_str(&text).unwrap();
        let mut ako_hosts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for s in &status {
            let key = object_key(s);
            let hosts = ako_hosts.entry(key).or_default();
            for i in s["loadBalancer"]["ingress"].as_array().into_iter().flatten() {
                if let Some(h) = i["hostname"].as_str() {
                    hosts.insert(h.to_owned());
                }
            }
        }
        ako_hosts.retain(|_, h| !h.is_empty());
        let ours = status_hosts(&t, ako_translate::Kind::Ingress);
        if ako_hosts != ours {
            out.push(format!("{case} status hostnames: ours {ours:?} != AKO's {ako_hosts:?}"));
        }
    }
    // Status of LoadBalancer Services: the hostname AKO wrote, and which Services share an
    // address (one VsVip); a Service AKO wrote no status for must have no status intent.
    if let Ok(text) = std::fs::read_to_string(dir.join("status_services.json")) {
        let status: Vec<Value> = serde_json::from_str(&text).unwrap();
        let mut ako: BTreeMap<(String, String), (Option<String>, Option<String>)> = BTreeMap::new();
        for s in &status {
            let first = &s["loadBalancer"]["ingress"][0];
            if first.is_null() {
                continue;
            }
            let key = object_key(s);
            let text = |v: &Value| v.as_str().map(str::to_owned);
            ako.insert(key, (text(&first["hostname"]), text(&first["ip"])));
        }
        let ours: BTreeMap<(String, String), (Option<String>, String)> = t
            .status
            .iter()
            .filter(|s| s.object.kind == ako_translate::Kind::Service)
            .map(|s| {
                (
                    (s.object.namespace().to_owned(), s.object.name().to_owned()),
                    (s.hostname.clone(), s.vsvip.clone()),
                )
            })
            .collect();
        let hosts = |m: Vec<(&(String, String), Option<String>)>| -> BTreeMap<String, Option<String>> {
            m.into_iter().map(|((ns, n), h)| (format!("{ns}/{n}"), h)).collect()
        };
        let ako_hosts = hosts(ako.iter().map(|(k, v)| (k, v.0.clone())).collect());
        let our_hosts = hosts(ours.iter().map(|(k, v)| (k, v.0.clone())).collect());
        if ako_hosts != our_hosts {
            out.push(format!(
                "{case} Service status hostnames: ours {our_hosts:?} != AKO's {ako_hosts:?}"
            ));
        }
        // Services grouped by address (AKO) and by VsVip (ours) must be the same groups.
        let groups = |pairs: Vec<(String, String)>| -> BTreeSet<BTreeSet<String>> {
            let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (svc, addr) in pairs {
                by.entry(addr).or_default().insert(svc);
            }
            by.into_values().collect()
        };
        let ako_groups = groups(
            ako.iter()
                .map(|((ns, n), v)| (format!("{ns}/{n}"), v.1.clone().unwrap_or_default()))
                .collect(),
        );
        let our_groups = groups(
            ours.iter()
                .map(|((ns, n), v)| (format!("{ns}/{n}"), v.1.clone()))
                .collect(),
        );
        if ako_groups != our_groups {
            out.push(format!(
                "{case} Services sharing a VIP: ours {our_groups:?} != AKO's {ako_groups:?}"
            ));
        }
    }
    // Route status: the hosts AKO admitted per Route (`status.ingress[]` with `Admitted` true).
    // A Route AKO wrote nothing for must have no status intent: ako-rs refuses it instead (an
    // Event and an `Admitted: False` entry, not an intent).
    if let Ok(text) = std::fs::read_to_string(dir.join("status_routes.json")) {
        let status: Vec<Value> = serde_json::from_str(&text).unwrap();
        let mut ako_hosts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for s in &status {
            let key = object_key(s);
            let admitted = s["status"]["ingress"].as_array().into_iter().flatten().filter(|i| {
                i["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Admitted" && c["status"] == "True")
            });
            let hosts: BTreeSet<String> = admitted.filter_map(|i| i["host"].as_str().map(str::to_owned)).collect();
            if !hosts.is_empty() {
                ako_hosts.insert(key, hosts);
            }
        }
        let ours = status_hosts(&t, ako_translate::Kind::Route);
        if ako_hosts != ours {
            out.push(format!(
                "{case} Route status hosts: ours {ours:?} != AKO's {ako_hosts:?}"
            ));
        }
    }
    // HostRule and HTTPRule status: what AKO wrote (`status.status`, `status.error`) against
    // our verdict for the same rule.
    if let Ok(text) = std::fs::read_to_string(dir.join("status_rules.json")) {
        let status: Vec<Value> = serde_json::from_str(&text).unwrap();
        for s in &status {
            let kind = s["kind"].as_str().unwrap();
            let key = NsName::new(s["namespace"].as_str().unwrap(), s["name"].as_str().unwrap());
            let verdict = match kind {
                "HostRule" => host_rule_verdict(&snap, &settings, &cloud, &key),
                "AviInfraSetting" => ako_translate::infra::infra_verdict(&snap, &settings, &cloud, &key.name),
                "L4Rule" => ako_translate::l4::rule::l4_rule_verdict(&snap, &settings, &cloud, &key),
                "L7Rule" => ako_translate::rules::l7_rule_verdict(&snap, &settings, &cloud, &key),
                "SSORule" => ako_translate::rules::sso_rule_verdict(&snap, &settings, &cloud, &key),
                _ => http_rule_verdict(&snap, &settings, &cloud, &key),
            };
            let ours = verdict.status().map(|(st, e)| (st.to_owned(), e.to_owned()));
            let text = |k: &str| s["status"][k].as_str().unwrap_or_default().to_owned();
            let ako = (!s["status"]["status"].is_null()).then(|| (text("status"), text("error")));
            if ours != ako {
                out.push(format!("{case} status {kind} {key}: ours {ours:?} != AKO's {ako:?}"));
            }
        }
    }
    // The seed objects AKO updated: the VRF's static routes and the SE group's label.
    if let Ok(text) = std::fs::read_to_string(dir.join("seed_updates.json")) {
        let seeds: Vec<Value> = serde_json::from_str(&text).unwrap();
        for seed in &seeds {
            let label = format!(
                "{case} {} {}",
                seed["type"].as_str().unwrap(),
                seed["name"].as_str().unwrap()
            );
            let (ours, ako) = match seed["type"].as_str().unwrap() {
                "vrfcontext" => {
                    let routes = ako_translate::routes::static_routes(&snap, &settings, &cloud.cloud_type)
                        .expect("static routes are on");
                    assert_eq!(seed["name"], routes.vrf.as_str(), "{label}: the VRF");
                    let ours = routes.bodies(&settings.cluster_name);
                    (
                        Value::from(normalize_route_ids(&ours, &settings.cluster_name)),
                        Value::from(normalize_route_ids(
                            seed["static_routes"].as_array().unwrap(),
                            &settings.cluster_name,
                        )),
                    )
                }
                _ => (
                    serde_json::json!([{"key": ako_translate::markers::CLUSTER_LABEL, "value": settings.cluster_name}]),
                    seed["labels"].clone(),
                ),
            };
            let mut d = Vec::new();
            diff("", &ours, &ako, &mut d);
            out.extend(d.into_iter().map(|l| format!("{label}{l}")));
        }
    }
    out
}

/// `(namespace, name)` of an entry of a captured status file.
fn object_key(s: &Value) -> (String, String) {
    (
        s["namespace"].as_str().unwrap().to_owned(),
        s["name"].as_str().unwrap().to_owned(),
    )
}

/// The hostnames of our status intents per object of `kind` (namespace, name); objects with none
/// left out.
fn status_hosts(
    t: &ako_translate::Translation,
    kind: ako_translate::Kind,
) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for s in t.status.iter().filter(|s| s.object.kind == kind) {
        out.entry((s.object.namespace().to_owned(), s.object.name().to_owned()))
            .or_default()
            .extend(s.hostname.clone());
    }
    out.retain(|_, h| !h.is_empty());
    out
}

/// Static routes with their ids' random part (AKO draws a UUID per Node; ako-rs derives one from
/// the Node's name) replaced by the Node's position: `<cluster>-node<k>-<index>`. An id of
/// another shape is left as it is, and so shows in the diff.
fn normalize_route_ids(routes: &[Value], cluster: &str) -> Vec<Value> {
    let mut nodes: Vec<String> = Vec::new();
    routes
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let id = r["route_id"].as_str().unwrap_or_default().to_owned();
            let parts = id
                .strip_prefix(&format!("{cluster}-"))
                .and_then(|rest| rest.rsplit_once('-'))
                .filter(|(uuid, index)| uuid.len() == 36 && index.parse::<u32>().is_ok());
            if let Some((uuid, index)) = parts {
                let k = nodes.iter().position(|n| n == uuid).unwrap_or_else(|| {
                    nodes.push(uuid.to_owned());
                    nodes.len() - 1
                });
                r["route_id"] = Value::from(format!("{cluster}-node{k}-{index}"));
            }
            r
        })
        .collect()
}

/// A case's `known_differences.txt`: `<type> <name>` or `status` lines (after `#` comments that
/// say why) naming where ako-rs knowingly differs from what AKO did in that run.
fn known_differences(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("known_differences.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn captured_cases_match_go_ako_exactly() {
    let cases = captured_cases("l7", "ako.json");
    assert!(!cases.is_empty(), "no captured L7 cases under testdata/l7");
    let mut problems = Vec::new();
    for dir in &cases {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let found = compare_case(dir);
        for known in known_differences(dir) {
            let prefix = format!("{case} {known}");
            if !found.iter().any(|f| f.starts_with(&prefix)) {
                problems.push(format!(
                    "{prefix}: listed in known_differences.txt but equal to AKO's now"
                ));
            }
        }
        let known = known_differences(dir);
        problems.extend(
            found
                .into_iter()
                .filter(|f| !known.iter().any(|k| f.starts_with(&format!("{case} {k}")))),
        );
    }
    assert!(
        problems.is_empty(),
        "{} difference(s) from Go AKO:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
