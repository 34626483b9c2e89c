//! Every field the Rust types model exists, under the same name, in the controller's swagger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use avi_model::objects::*;
use serde_json::Value;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

/// All swagger definitions, by name, from every file (names are global in Avi's schema).
fn swagger_definitions() -> BTreeMap<String, BTreeSet<String>> {
    let dir = reference_dir().join("avi-swagger");
    let mut defs = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for (name, def) in doc["definitions"].as_object().unwrap() {
            let props = def["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            defs.insert(name.clone(), props);
        }
    }
    defs
}

/// (struct name, property names) for a type and every struct nested in it.
fn modelled_structs<T: schemars::JsonSchema>() -> Vec<(String, BTreeSet<String>)> {
    let schema = schemars::schema_for!(T);
    let root = schema.as_value();
    let props = |v: &Value| -> BTreeSet<String> {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = vec![(T::schema_name().into_owned(), props(root))];
    if let Some(defs) = root.get("$defs").and_then(Value::as_object) {
        out.extend(defs.iter().map(|(name, def)| (name.clone(), props(def))));
    }
    out
}

/// Fields that the controller returns but the swagger does not declare.
const NOT_IN_SWAGGER: &[(&str, &str)] = &[
    ("VirtualService", "vh_child_vs_uuid"),
    // The singleton has no name in the schema; the common object header still models one.
    ("SystemConfiguration", "name"),
];

#[test]
fn modelled_fields_use_swagger_names() {
    let swagger = swagger_definitions();
    let mut checked = 0;
    let mut problems = Vec::new();
    let all = [
        modelled_structs::<VirtualService>(),
        modelled_structs::<VsVip>(),
        modelled_structs::<Pool>(),
        modelled_structs::<PoolGroup>(),
        modelled_structs::<HTTPPolicySet>(),
        modelled_structs::<L4PolicySet>(),
        modelled_structs::<VSDataScriptSet>(),
        modelled_structs::<SSLKeyAndCertificate>(),
        modelled_structs::<PKIProfile>(),
        modelled_structs::<StringGroup>(),
        modelled_structs::<VrfContext>(),
        modelled_structs::<Cloud>(),
        modelled_structs::<Network>(),
        modelled_structs::<IpamDnsProviderProfile>(),
        modelled_structs::<ServiceEngineGroup>(),
        modelled_structs::<Tenant>(),
        modelled_structs::<SystemConfiguration>(),
        modelled_structs::<Cluster>(),
    ];
    for (name, fields) in all.into_iter().flatten() {
        let Some(known) = swagger.get(&name) else {
            problems.push(format!("{name}: no swagger definition of that name"));
            continue;
        };
        for field in fields {
            checked += 1;
            // `tenant_ref` is on every object but some swagger definitions omit it
            // (SystemConfiguration): the controller still returns it.
            let exempt = NOT_IN_SWAGGER.contains(&(name.as_str(), field.as_str())) || field == "tenant_ref";
            if !known.contains(&field) && !exempt {
                problems.push(format!("{name}.{field} is not in the swagger"));
            }
        }
    }
    assert!(
        checked > 150,
        "only {checked} fields checked: the schema walk is broken"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
