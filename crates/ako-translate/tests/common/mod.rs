//! What the golden tests share: loading a case directory (`in.yaml`, `values.yaml`,
//! `cloud.yaml`) into a snapshot, settings and cloud facts.

#![allow(dead_code)]

use std::path::Path;

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
    };
    (input, settings, cloud)
}
