//! Controller JSON (AKO's fixtures) survives deserialize → serialize unchanged through our types,
//! which is what makes read-modify-write safe.

use std::path::PathBuf;

use avi_model::objects::*;
use avi_model::{Collection, Ref};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/avi-controller-fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// Objects of a fixture: the results of a collection, or the bare object.
fn objects(doc: &Value) -> Vec<Value> {
    match doc.get("results") {
        Some(Value::Array(items)) => items.clone(),
        _ => vec![doc.clone()],
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(file: &str) -> Vec<T> {
    let doc = fixture(file);
    let items = objects(&doc);
    assert!(!items.is_empty(), "{file} has no objects");
    items
        .into_iter()
        .map(|item| {
            let typed: T = serde_json::from_value(item.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
            let back = serde_json::to_value(&typed).unwrap();
            assert_eq!(back, item, "{file}: round trip changed the object");
            typed
        })
        .collect()
}

#[test]
fn every_fixture_round_trips() {
    round_trip::<VirtualService>("virtualservice_mock.json");
    round_trip::<VirtualService>("kube-apiserver-lb-svc-vs_mock.json");
    round_trip::<VsVip>("vsvip_mock.json");
    round_trip::<Pool>("pool_mock.json");
    round_trip::<PoolGroup>("poolgroup_mock.json");
    round_trip::<L4PolicySet>("l4policyset_mock.json");
    round_trip::<L4PolicySet>("l4policyset_uuid_mock.json");
    round_trip::<VSDataScriptSet>("vsdatascriptset_mock.json");
    round_trip::<VrfContext>("vrfcontext_mock.json");
    round_trip::<VrfContext>("vrfcontext_uuid_mock.json");
    round_trip::<Network>("network_mock.json");
    round_trip::<Network>("crd_network_mock.json");
    round_trip::<IpamDnsProviderProfile>("ipamdnsproviderprofile_mock.json");
    round_trip::<IpamDnsProviderProfile>("ipamdnsproviderprofile_uuid_mock.json");
    round_trip::<ServiceEngineGroup>("serviceenginegroup_mock.json");
    round_trip::<Tenant>("tenant_mock.json");
    round_trip::<Tenant>("tenant_mock_attrs.json");
    for cloud in [
        "CLOUD_VCENTER",
        "CLOUD_NONE",
        "CLOUD_AWS",
        "CLOUD_AZURE",
        "CLOUD_NSXT",
        "CLOUD_NSXT1",
    ] {
        round_trip::<Cloud>(&format!("{cloud}_mock.json"));
    }
}

#[test]
fn typed_fields_are_read_from_fixtures() {
    let vips = round_trip::<VsVip>("vsvip_mock.json");
    let shared = vips
        .iter()
        .find(|v| v.name.as_deref() == Some("cluster-name--Shared-L7-0"))
        .unwrap();
    assert_eq!(shared.v4_addresses(), vec!["100.64.249.102"]);

    let vses = round_trip::<VirtualService>("virtualservice_mock.json");
    let parent = vses
        .iter()
        .find(|v| v.r#type.as_deref() == Some("VS_TYPE_VH_PARENT"))
        .expect("a parent VS");
    assert!(parent.http_policies.as_ref().is_some_and(|p| !p.is_empty()));

    let clouds = round_trip::<Cloud>("CLOUD_VCENTER_mock.json");
    let ipam = clouds[0].ipam_provider_ref.as_ref().unwrap().parse().unwrap();
    assert_eq!(ipam.name(), Some("avi-ipam"));
    assert_eq!(ipam.kind, "ipamdnsproviderprofile");

    let page: Collection<Pool> = serde_json::from_value(fixture("pool_mock.json")).unwrap();
    assert_eq!(page.count as usize, page.results.len());
}

#[test]
fn unset_references_are_empty_strings() {
    let vs: VirtualService = serde_json::from_str(r#"{"name":"v","error_page_profile_ref":""}"#).unwrap();
    assert!(vs.error_page_profile_ref.as_ref().is_some_and(Ref::is_unset));
    assert_eq!(
        serde_json::to_string(&vs).unwrap(),
        r#"{"name":"v","error_page_profile_ref":""}"#
    );
}
