//! Defaults the controller fills in on create (seen in recorded controller traffic): default
//! cloud, SE group, VRF and profiles, `enabled` flags, DNS record settings.

use avi_model::ObjectType;
use serde_json::{Map, Value, json};

/// Default references by type: (field, referenced type, name). Applied only when the field is
/// absent and the named object exists, so a replaced seed without it still works.
fn default_refs(kind: ObjectType) -> &'static [(&'static str, ObjectType, &'static str)] {
    use ObjectType as T;
    match kind {
        T::VirtualService => &[
            ("cloud_ref", T::Cloud, "Default-Cloud"),
            ("se_group_ref", T::ServiceEngineGroup, "Default-Group"),
            ("vrf_context_ref", T::VrfContext, "global"),
            ("application_profile_ref", T::ApplicationProfile, "System-HTTP"),
            ("network_profile_ref", T::NetworkProfile, "System-TCP-Proxy"),
            ("analytics_profile_ref", T::AnalyticsProfile, "System-Analytics-Profile"),
        ],
        T::VsVip => &[
            ("cloud_ref", T::Cloud, "Default-Cloud"),
            ("vrf_context_ref", T::VrfContext, "global"),
        ],
        T::Pool => &[
            ("cloud_ref", T::Cloud, "Default-Cloud"),
            ("vrf_ref", T::VrfContext, "global"),
        ],
        T::Network => &[
            ("cloud_ref", T::Cloud, "Default-Cloud"),
            ("vrf_context_ref", T::VrfContext, "global"),
        ],
        T::PoolGroup | T::ServiceEngineGroup | T::VrfContext => &[("cloud_ref", T::Cloud, "Default-Cloud")],
        _ => &[],
    }
}

/// Scalar defaults by type.
fn default_values(kind: ObjectType) -> Value {
    use ObjectType as T;
    match kind {
        T::VirtualService => json!({
            "type": "VS_TYPE_NORMAL", "enabled": true, "traffic_enabled": true, "east_west_placement": false
        }),
        T::VsVip => json!({"east_west_placement": false}),
        T::Pool => json!({
            "enabled": true, "lb_algorithm": "LB_ALGORITHM_LEAST_CONNECTIONS", "default_server_port": 80
        }),
        T::PoolGroup => json!({"implicit_priority_labels": false}),
        T::SslKeyAndCertificate => json!({
            "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE", "status": "SSL_CERTIFICATE_FINISHED"
        }),
        T::StringGroup => json!({"type": "SG_TYPE_STRING", "longest_match": false}),
        T::PkiProfile => json!({"crl_check": true}),
        _ => json!({}),
    }
}

/// Fill defaults into a create or update body. `exists(kind, name)` says whether a default
/// target can be resolved in the object's tenant.
pub fn apply(kind: ObjectType, body: &mut Map<String, Value>, exists: impl Fn(ObjectType, &str) -> bool) {
    for (field, target, name) in default_refs(kind) {
        if !body.contains_key(*field) && exists(*target, name) {
            body.insert(
                (*field).to_owned(),
                Value::String(format!("/api/{}/?name={}", target.path(), name)),
            );
        }
    }
    if let Value::Object(values) = default_values(kind) {
        for (k, v) in values {
            body.entry(k).or_insert(v);
        }
    }
    match kind {
        ObjectType::VsVip => each_item(body, "dns_info", |dns| {
            for (k, v) in [
                ("type", json!("DNS_RECORD_A")),
                ("ttl", json!(30)),
                ("num_records_in_response", json!(1)),
                ("algorithm", json!("DNS_RECORD_RESPONSE_CONSISTENT_HASH")),
            ] {
                dns.entry(k).or_insert(v);
            }
        }),
        ObjectType::Pool => each_item(body, "servers", |server| {
            server.entry("enabled").or_insert(json!(true));
            server.entry("ratio").or_insert(json!(1));
        }),
        ObjectType::PoolGroup => each_item(body, "members", |member| {
            member.entry("ratio").or_insert(json!(1));
        }),
        _ => {}
    }
}

fn each_item(body: &mut Map<String, Value>, field: &str, mut f: impl FnMut(&mut Map<String, Value>)) {
    if let Some(Value::Array(items)) = body.get_mut(field) {
        items.iter_mut().filter_map(Value::as_object_mut).for_each(&mut f);
    }
}
