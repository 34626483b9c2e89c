//! References an object body holds, as [`ObjectKey`]s.
//!
//! A field is a reference when its name ends in `_ref` (a string) or `_refs` (a list of
//! strings): that holds for every reference in Avi's schema. A reference to a tenant-private
//! type resolves in the referring object's tenant; the other types (clouds, profiles, SE
//! groups...) live in `admin`. Desired bodies use name references (`/api/pool/?name=x`); the
//! controller answers with `https://host/api/pool/<uuid>#x` when asked `include_name`, so both
//! give the same key.

use avi_model::{ObjectRef, ObjectType};
use serde_json::Value;

use crate::key::ObjectKey;

/// The tenant of objects shared by every tenant.
pub const ADMIN_TENANT: &str = "admin";

/// Call `f(field, reference)` for every reference string in `value`, at any depth.
pub fn visit_refs<'a>(value: &'a Value, f: &mut impl FnMut(&'a str, &'a str)) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if key.ends_with("_ref") => f(key, s),
                    Value::Array(items) if key.ends_with("_refs") => {
                        for item in items {
                            match item {
                                Value::String(s) => f(key, s),
                                other => visit_refs(other, f),
                            }
                        }
                    }
                    other => visit_refs(other, f),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| visit_refs(item, f)),
        _ => {}
    }
}

/// The key a reference points at, seen from an object in `tenant`. `None` for an unset (`""`)
/// or unparsable reference, a type ako-rs does not know, or a uuid reference without `#name`.
pub fn ref_key(reference: &str, tenant: &str) -> Option<ObjectKey> {
    let parsed = ObjectRef::parse(reference).ok()?;
    let kind: ObjectType = parsed.object_type()?;
    let name = parsed.name()?;
    let tenant = if kind.is_tenant_private() { tenant } else { ADMIN_TENANT };
    Some(ObjectKey::new(kind, tenant, name))
}

/// Every reference in `body` that resolves to a key, sorted and without duplicates, excluding
/// `tenant_ref` (every object has one; tenants are not synced objects).
pub fn ref_keys(body: &Value, tenant: &str) -> Vec<ObjectKey> {
    let mut out = Vec::new();
    visit_refs(body, &mut |field, r| {
        if field != "tenant_ref"
            && let Some(key) = ref_key(r, tenant)
        {
            out.push(key);
        }
    });
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_name_and_url_refs_in_the_objects_tenant() {
        let body = json!({
            "tenant_ref": "/api/tenant/?name=t1",
            "cloud_ref": "/api/cloud?name=Default-Cloud",
            "error_page_profile_ref": "",
            "vsvip_ref": "https://h/api/vsvip/vsvip-1#c1--a",
            "l4_policies": [{"l4_policy_set_ref": "/api/l4policyset/?name=c1--a", "index": 0}],
            "http_request_policy": {"rules": [{"match": {"path": {"string_group_refs": ["/api/stringgroup/?name=sg"]}}}]},
            "network_ref": "/api/network/network-1",
            "name_ref_count": 3
        });
        let keys = ref_keys(&body, "t1");
        assert_eq!(
            keys,
            vec![
                ObjectKey::new(ObjectType::VsVip, "t1", "c1--a"),
                ObjectKey::new(ObjectType::L4PolicySet, "t1", "c1--a"),
                ObjectKey::new(ObjectType::StringGroup, "t1", "sg"),
                ObjectKey::new(ObjectType::Cloud, "admin", "Default-Cloud"),
            ]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn unusable_refs_are_skipped() {
        assert_eq!(ref_key("", "admin"), None);
        assert_eq!(ref_key("not a ref", "admin"), None);
        assert_eq!(ref_key("/api/vimgrnwruntime/?name=x", "admin"), None);
        assert_eq!(ref_key("https://h/api/pool/pool-1", "admin"), None);
    }
}
