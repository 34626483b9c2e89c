//! Golden tests: testdata/l4/<case>/{in.yaml, values.yaml, cloud.yaml, expected.json}.
//!
//! The `ako_*` cases were captured from Go AKO run against avisim (testdata/l4/README.md):
//! every field, checksums included, is compared exactly. The other cases are written by hand
//! from AKO's Go code; where their expected.json masks checksums as "<cksum>", the checksums
//! we compute are masked the same way before comparing, as those were never verified.

use std::path::Path;

use ako_translate::{CloudFacts, Settings, Snapshot, Values, load_document, translate_l4};
use proptest::prelude::*;
use serde_json::Value;

/// Load `in.yaml`'s documents, in file order or in the order `keys` sorts them into.
fn load_snapshot(text: &str, keys: Option<&[u32]>) -> Snapshot {
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
            "golden input has kinds the L4 translation does not read: {ignored:?}"
        );
    }
    snap
}

fn load_case(dir: &Path) -> (String, Settings, CloudFacts) {
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

fn mask(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "cloud_config_cksum" || k == "vsvip_cloud_config_cksum" || k == "checksum" {
                    *x = Value::String("<cksum>".into());
                } else {
                    mask(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask),
        _ => {}
    }
}

fn cases() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn golden_l4_cases() {
    let mut failed = Vec::new();
    for dir in cases() {
        let (input, settings, cloud) = load_case(&dir);
        let snap = load_snapshot(&input, None);
        let mut got = serde_json::to_value(translate_l4(&snap, &settings, &cloud)).unwrap();
        let want_text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        if want_text.contains("\"<cksum>\"") {
            mask(&mut got);
        }
        let want: Value = serde_json::from_str(&want_text).unwrap();
        if got != want {
            failed.push(format!(
                "{}:\n{}",
                dir.display(),
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(failed.is_empty(), "golden mismatches:\n{}", failed.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn input_order_does_not_change_output(keys in proptest::collection::vec(any::<u32>(), 64)) {
        for dir in cases() {
            let (input, settings, cloud) = load_case(&dir);
            let base = serde_json::to_string(&translate_l4(&load_snapshot(&input, None), &settings, &cloud)).unwrap();
            let shuffled = serde_json::to_string(&translate_l4(&load_snapshot(&input, Some(&keys)), &settings, &cloud)).unwrap();
            prop_assert_eq!(&base, &shuffled);
        }
    }
}

/// The captured cases must stay unmasked: a "<cksum>" there would silently stop checking
/// the checksums Go AKO computed.
#[test]
fn captured_cases_compare_checksums() {
    let captured: Vec<_> = cases()
        .into_iter()
        .filter(|d| d.file_name().unwrap().to_str().unwrap().starts_with("ako_"))
        .collect();
    assert!(!captured.is_empty(), "no ako_* cases found");
    for dir in captured {
        let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        assert!(!text.contains("<cksum>"), "{} masks checksums", dir.display());
        assert!(text.contains("cloud_config_cksum"), "{} has no checksum", dir.display());
    }
}
