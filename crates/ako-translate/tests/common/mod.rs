//! What the golden tests share: loading a case directory (`in.yaml`, `values.yaml`,
//! `cloud.yaml`) into a snapshot, settings and cloud facts; the system objects a controller
//! has; the references in a body.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ako_translate::rules::{ControllerRef, RefCatalog, RefState};
use ako_translate::{CloudFacts, Settings, Snapshot, Values, load_document};
use serde_json::Value;

/// Load `in.yaml`'s documents, in file order or in the order `keys` sorts them into.
pub fn load_snapshot(text: &str, keys: Option<&[u32]>) -> Snapshot {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).expect("in.yaml parses");
    let mut order: Vec<usize> = (0..docs.len()).collect();
    if let Some(keys) = keys {
        assert!(keys.len() >= docs.len(), "need a sort key per document");
        order.sort_by_key(|&i| keys[i]);
    }
    let mut snap = Snapshot::new();
    for i in order {
        let ignored = load_document(&mut snap, docs[i].clone()).expect("in.yaml documents are valid");
        assert!(
            ignored.is_empty(),
            "golden input has kinds the translation does not read: {ignored:?}"
        );
    }
    snap
}

/// The case directories under `testdata/<area>` that hold a `marker` file, sorted.
pub fn captured_cases(area: &str, marker: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(area);
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(marker).exists())
        .collect();
    dirs.sort();
    dirs
}

pub fn load_case(dir: &Path) -> (String, Settings, CloudFacts) {
    let input = std::fs::read_to_string(dir.join("in.yaml")).unwrap();
    let values = Values::from_yaml(&std::fs::read_to_string(dir.join("values.yaml")).unwrap()).unwrap();
    let settings = Settings::from_values(&values).unwrap();
    let cloud_text = std::fs::read_to_string(dir.join("cloud.yaml")).unwrap_or_default();
    let cloud_v: Value = if cloud_text.trim().is_empty() {
        Value::Null
    } else {
        serde_saphyr::from_str(&cloud_text).unwrap()
    };
    let s = |k: &str| cloud_v[k].as_str().unwrap_or("").to_owned();
    let cloud = CloudFacts {
        dns_domains: cloud_v["dns_domains"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
        license_tier: s("license_tier"),
        ipam_type: s("ipam_type"),
        cloud_type: s("cloud_type"),
        refs: seed_catalog(),
        now: None,
    };
    (input, settings, cloud)
}

/// What avisim's default seed holds, as the controller objects rules may name (tenant `admin`):
/// what it does not hold is absent, as on the controller the goldens were captured against.
pub fn seed_catalog() -> RefCatalog {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../avisim/seed/default.json");
    let seed: Value = serde_json::from_slice(&std::fs::read(&path).expect("avisim's default seed")).unwrap();
    let mut catalog = RefCatalog::complete();
    for o in seed["objects"].as_array().unwrap() {
        let Ok(kind) = o["type"].as_str().unwrap().parse::<avi_model::ObjectType>() else {
            continue;
        };
        let body = &o["body"];
        let text = |k: &str| body[k].as_str().map(str::to_owned);
        catalog.record(
            "admin",
            ControllerRef::new(kind, body["name"].as_str().unwrap()),
            RefState::Present {
                type_: text("type").or_else(|| {
                    body.pointer("/profile/type")
                        .and_then(|t| t.as_str())
                        .map(str::to_owned)
                }),
                created_by: text("created_by"),
            },
        );
    }
    catalog
}

/// (type, name) of every object in avisim's embedded default seed.
pub fn seeded_objects() -> BTreeSet<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../avisim/seed/default.json");
    let seed: Value = serde_json::from_slice(&std::fs::read(&path).expect("avisim's default seed")).unwrap();
    seed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap().to_owned(),
                o["body"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every reference string in a body (fields named `*_ref` or `*_refs`, at any depth).
pub fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if k.ends_with("_ref") => out.push(s.clone()),
                    Value::Array(items) if k.ends_with("_refs") => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)))
                    }
                    other => refs(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

/// The cloud of the property tests: one DNS sub-domain, ENTERPRISE license, internal IPAM, CLOUD_NONE.
pub fn cloud() -> CloudFacts {
    CloudFacts {
        dns_domains: vec!["avi.internal".into()],
        license_tier: "ENTERPRISE".into(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: "CLOUD_NONE".into(),
        refs: Default::default(),
        now: None,
    }
}

/// Every difference between two JSON values, as `path: ours != ako` lines.
pub fn diff(path: &str, ours: &Value, ako: &Value, out: &mut Vec<String>) {
    match (ours, ako) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: only ours = {x}")),
                    (None, Some(y)) => out.push(format!("{p}: only AKO's = {y}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if ours != ako => out.push(format!("{path}: ours {ours} != AKO's {ako}")),
        _ => {}
    }
}

/// Every difference between the objects we build and those AKO built, keyed alike: a body
/// differing field by field, an object only one side has.
pub fn diff_objects<K: Ord>(
    ours: &BTreeMap<K, Value>,
    ako: &BTreeMap<K, &Value>,
    label: impl Fn(&K) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    for key in ours.keys().chain(ako.keys()).collect::<BTreeSet<_>>() {
        let label = label(key);
        match (ours.get(key), ako.get(key)) {
            (Some(a), Some(b)) => {
                let mut d = Vec::new();
                diff("", a, b, &mut d);
                out.extend(d.into_iter().map(|l| format!("{label}{l}")));
            }
            (Some(_), None) => out.push(format!("{label}: we build it, AKO did not")),
            (None, Some(_)) => out.push(format!("{label}: AKO built it, we do not")),
            (None, None) => {}
        }
    }
    out
}
