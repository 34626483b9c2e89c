//! avisim's answers have the shape of the real controller's JSON (AKO's fixtures in
//! `shared/reference/avi-controller-fixtures`): same envelope, same identity fields, same JSON
//! types for the fields both carry, references as absolute URLs.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/avi-controller-fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences in JSON type between fields present in both, recursively (first array item).
fn type_mismatches(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    if kind_of(ours) != kind_of(theirs) {
        out.push(format!(
            "{path}: avisim {} vs controller {}",
            kind_of(ours),
            kind_of(theirs)
        ));
        return;
    }
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    type_mismatches(&format!("{path}.{k}"), v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                type_mismatches(&format!("{path}[0]"), x, y, out);
            }
        }
        _ => {}
    }
}

fn check(kind: &str, ours: &Value, fixture_file: &str) {
    let theirs = fixture(fixture_file);
    let theirs = theirs.get("results").and_then(|r| r.get(0)).unwrap_or(&theirs).clone();
    let mut problems = Vec::new();
    type_mismatches(kind, ours, &theirs, &mut problems);
    for field in ["uuid", "url", "name", "tenant_ref", "_last_modified"] {
        if theirs.get(field).is_some() && ours.get(field).is_none() {
            problems.push(format!("{kind}: missing {field}"));
        }
    }
    let uuid = ours["uuid"].as_str().unwrap_or_default();
    let fixture_uuid = theirs["uuid"].as_str().unwrap_or_default();
    if fixture_uuid.starts_with(&format!("{kind}-")) && !uuid.starts_with(&format!("{kind}-")) {
        problems.push(format!("{kind}: uuid {uuid} lacks the {kind}- prefix"));
    }
    for (field, value) in ours.as_object().unwrap() {
        if field.ends_with("_ref") && !value.as_str().unwrap_or_default().is_empty() {
            let s = value.as_str().unwrap();
            if !s.starts_with("https://") || !s.contains("/api/") {
                problems.push(format!("{kind}.{field} = {s} is not an absolute URL"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn seeded_objects_match_controller_shapes() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    for (kind, name, file) in [
        ("cloud", "Default-Cloud", "CLOUD_VCENTER_mock.json"),
        ("network", "vip-net", "network_mock.json"),
        ("vrfcontext", "global", "vrfcontext_mock.json"),
        (
            "ipamdnsproviderprofile",
            "avisim-ipam",
            "ipamdnsproviderprofile_mock.json",
        ),
        ("serviceenginegroup", "Default-Group", "serviceenginegroup_mock.json"),
        ("tenant", "admin", "tenant_mock.json"),
    ] {
        let page = s.get(&format!("/api/{kind}?name={name}&include_name=true")).await.body;
        assert_eq!(page["count"], 1, "{kind} {name}");
        check(kind, &page["results"][0], file);
    }
}

#[tokio::test]
async fn written_objects_match_controller_shapes() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let vsvip = s
        .create("vsvip", json!({"name": "c--Shared-L7-0", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}], "dns_info": [{"fqdn": "a.avi.internal"}]}))
        .await;
    check("vsvip", &vsvip, "vsvip_mock.json");
    let pool = s
        .create("pool", json!({"name": "c--p", "servers": [{"ip": {"addr": "10.1.1.1", "type": "V4"}, "port": 8080}],
            "health_monitor_refs": ["/api/healthmonitor/?name=System-TCP"], "cloud_config_cksum": "1", "service_metadata": "{}"}))
        .await;
    check("pool", &pool, "pool_mock.json");
    let pg = s
        .create("poolgroup", json!({"name": "c--pg", "members": [{"pool_ref": "/api/pool/?name=c--p", "priority_label": "x"}], "cloud_config_cksum": "1"}))
        .await;
    check("poolgroup", &pg, "poolgroup_mock.json");
    let ds = s
        .create(
            "vsdatascriptset",
            json!({"name": "c--ds", "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": "-- x"}],
            "pool_group_refs": ["/api/poolgroup/?name=c--pg"]}),
        )
        .await;
    check("vsdatascriptset", &ds, "vsdatascriptset_mock.json");
    let l4 = s
        .create("l4policyset", json!({"name": "c--l4", "l4_connection_policy": {"rules": [{"name": "r", "index": 0,
            "match": {"port": {"ports": [80], "match_criteria": "IS_IN"}, "protocol": {"protocol": "PROTOCOL_TCP", "match_criteria": "IS_IN"}},
            "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL", "pool_ref": "/api/pool?name=c--p"}}}]}}))
        .await;
    check("l4policyset", &l4, "l4policyset_mock.json");
    let vs = s
        .create("virtualservice", json!({"name": "c--Shared-L7-0", "type": "VS_TYPE_VH_PARENT", "vsvip_ref": "/api/vsvip/?name=c--Shared-L7-0",
            "services": [{"port": 80, "enable_ssl": false}, {"port": 443, "enable_ssl": true}], "cloud_config_cksum": "1",
            "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": "/api/vsdatascriptset/?name=c--ds"}]}))
        .await;
    check("virtualservice", &vs, "virtualservice_mock.json");
}
