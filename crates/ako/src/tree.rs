//! `ako plan -o table`: each model as a tree for people — every virtual service, then what it
//! uses (VIP, certificates, policies, pool groups, pools with their servers), following the
//! references between the objects.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use ako_translate::{DesiredObject, Model, Translation};
use avi_model::ObjectRef;
use serde_json::Value;

type Key = (String, String);

/// Write every model of `t` as a tree, then the failures.
pub fn write_table(out: &mut impl Write, t: &Translation) -> anyhow::Result<()> {
    write_models(out, &t.models)?;
    if t.models.is_empty() {
        writeln!(out, "(no Avi objects)")?;
    }
    for f in &t.failures {
        writeln!(out, "FAILED {}: {}", f.object, f.message)?;
    }
    Ok(())
}

/// Write each group of objects under its heading, as a tree.
pub fn write_models<'a, H: std::fmt::Display + 'a>(
    out: &mut impl Write,
    models: impl IntoIterator<Item = (H, &'a Model)>,
) -> anyhow::Result<()> {
    for (heading, m) in models {
        writeln!(out, "{heading}")?;
        let objects: BTreeMap<Key, (&DesiredObject, Value)> = m
            .objects
            .iter()
            .map(|o| ((o.kind.path().to_owned(), o.name.clone()), (o, o.body.to_value())))
            .collect();
        let mut shown = BTreeSet::new();
        // Virtual services first (a parent before its SNI children), then anything unreferenced.
        let mut roots: Vec<&Key> = objects.keys().filter(|k| k.0 == "virtualservice").collect();
        roots.sort_by_key(|k| (objects[*k].1.get("vh_parent_vs_ref").is_some(), k.1.clone()));
        roots.extend(objects.keys().filter(|k| k.0 != "virtualservice"));
        for key in roots {
            write_node(out, &objects, key, 1, &mut shown)?;
        }
    }
    Ok(())
}

fn write_node(
    out: &mut impl Write,
    objects: &BTreeMap<Key, (&DesiredObject, Value)>,
    key: &Key,
    depth: usize,
    shown: &mut BTreeSet<Key>,
) -> anyhow::Result<()> {
    if !shown.insert(key.clone()) {
        return Ok(());
    }
    let (_, body) = &objects[key];
    let indent = "  ".repeat(depth);
    writeln!(out, "{indent}{} {}", key.0, key.1)?;
    for line in details(&key.0, body) {
        writeln!(out, "{indent}  : {line}")?;
    }
    for child in references(body) {
        // Other virtual services (an SNI child's parent) are shown at their own place.
        if child.0 != "virtualservice" && objects.contains_key(&child) {
            write_node(out, objects, &child, depth + 1, shown)?;
        }
    }
    Ok(())
}

/// The (type, name) of every reference in a body, in field order.
fn references(v: &Value) -> Vec<Key> {
    let mut out = Vec::new();
    collect(v, &mut out);
    out
}

fn collect(v: &Value, out: &mut Vec<Key>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if k.ends_with("_ref") => push_ref(s, out),
                    Value::Array(items) if k.ends_with("_refs") => {
                        items.iter().filter_map(Value::as_str).for_each(|s| push_ref(s, out))
                    }
                    other => collect(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}

fn push_ref(s: &str, out: &mut Vec<Key>) {
    // Name references (what we send) or `<url>/<uuid>#<name>` (what the controller returns).
    if let Ok(r) = ObjectRef::parse(s)
        && let Some(name) = r.name()
    {
        out.push((r.kind.clone(), name.to_owned()));
    }
}

/// The lines worth showing under an object.
fn details(kind: &str, b: &Value) -> Vec<String> {
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    match kind {
        "virtualservice" => {
            let ports: Vec<String> = b["services"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let p = s["port"].as_u64()?;
                    Some(if s["enable_ssl"] == true {
                        format!("{p} (TLS)")
                    } else {
                        p.to_string()
                    })
                })
                .collect();
            match b["type"].as_str() {
                Some("VS_TYPE_VH_CHILD") if b["vh_matches"].is_array() => {
                    let hosts: Vec<String> = b["vh_matches"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m["host"].as_str().map(str::to_owned))
                        .collect();
                    vec![format!("EVH child for {}", hosts.join(", "))]
                }
                Some("VS_TYPE_VH_CHILD") => vec![format!("SNI child for {}", list(&b["vh_domain_name"]).join(", "))],
                Some("VS_TYPE_VH_PARENT") => vec![format!("shared parent, ports {}", ports.join(", "))],
                _ => vec![format!("ports {}", ports.join(", "))],
            }
        }
        "vsvip" => {
            let fqdns: Vec<String> = b["dns_info"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["fqdn"].as_str().map(str::to_owned))
                .collect();
            let ip = b
                .pointer("/vip/0/ip_address/addr")
                .and_then(Value::as_str)
                .unwrap_or("(allocated by IPAM)");
            vec![
                format!("vip {ip}"),
                format!("fqdn {}", if fqdns.is_empty() { "-".into() } else { fqdns.join(", ") }),
            ]
        }
        "httppolicyset" => b
            .pointer("/http_request_policy/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| {
                if let Some(redirect) = r.get("redirect_action") {
                    format!(
                        "redirect {} → {}:{}",
                        list(&r["match"]["host_hdr"]["value"]).join(", "),
                        redirect["protocol"].as_str().unwrap_or("?").to_lowercase(),
                        redirect["port"]
                    )
                } else {
                    let path = &r["match"]["path"];
                    let target = r["switching_action"]["pool_group_ref"]
                        .as_str()
                        .or(r["switching_action"]["pool_ref"].as_str())
                        .and_then(|s| ObjectRef::parse(s).ok())
                        .and_then(|r| r.name().map(str::to_owned))
                        .unwrap_or_else(|| "?".to_owned());
                    match path["match_str"][0].as_str() {
                        Some(p) => format!("path {} {p} → {target}", path["match_criteria"].as_str().unwrap_or("")),
                        None => format!("any path → {target}"),
                    }
                }
            })
            .collect(),
        "poolgroup" => b["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                // A Route's weights: the ratio of each member that has another than AKO's 100.
                let ratio = m["ratio"].as_u64().filter(|r| *r != 100);
                let pool = m["pool_ref"]
                    .as_str()
                    .and_then(|r| r.split("name=").nth(1))
                    .unwrap_or("?");
                match (m["priority_label"].as_str(), ratio) {
                    (Some(l), None) => Some(format!("label {l}")),
                    (Some(l), Some(r)) => Some(format!("label {l}, ratio {r}: {pool}")),
                    (None, Some(r)) => Some(format!("ratio {r}: {pool}")),
                    (None, None) => None,
                }
            })
            .collect(),
        "pool" => {
            let servers: Vec<String> = b["servers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    let ip = s.pointer("/ip/addr").and_then(Value::as_str).unwrap_or("?");
                    let port = s["port"].as_u64().unwrap_or(0);
                    let state = if s["enabled"] == false { " (disabled)" } else { "" };
                    format!("{ip}:{port}{state}")
                })
                .collect();
            vec![if servers.is_empty() {
                "no servers".into()
            } else {
                format!("servers {}", servers.join(", "))
            }]
        }
        _ => Vec::new(),
    }
}
