//! Finding reference fields in object bodies, resolving them to uuids, and rendering them back
//! as the controller does (`https://host/api/<type>/<uuid>[#name]`).
//!
//! A field is a reference when its name ends in `_ref` (a string) or `_refs` (a list of
//! strings), which holds for every reference in Avi's schema. Stored bodies keep references in
//! the canonical `/api/<type>/<uuid>` form; the host is added when answering, so a restart on
//! another port still answers with correct URLs.

use serde_json::{Map, Value};

/// Visit every reference string in `value` (recursively); `key` is the field name.
pub fn visit_refs_mut<E>(value: &mut Value, f: &mut impl FnMut(&str, &mut String) -> Result<(), E>) -> Result<(), E> {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key.ends_with("_ref") => f(key, s)?,
                    Value::Array(items) if key.ends_with("_refs") => {
                        for item in items.iter_mut() {
                            match item {
                                Value::String(s) => f(key, s)?,
                                other => visit_refs_mut(other, f)?,
                            }
                        }
                    }
                    other => visit_refs_mut(other, f)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| visit_refs_mut(item, f)),
        _ => Ok(()),
    }
}

/// JSON pointer lookup on an object map (`/a/b`), as `Value::pointer` does on a value.
pub fn pointer<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let path = path.strip_prefix('/')?;
    match path.split_once('/') {
        Some((first, rest)) => map.get(first)?.pointer(&format!("/{rest}")),
        None => map.get(path),
    }
}

/// Every reference string in `value`.
pub fn collect_refs(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut copy = value.clone();
    let _ = visit_refs_mut::<()>(&mut copy, &mut |_, s| {
        out.push(std::mem::take(s));
        Ok(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_refs_at_any_depth_and_skips_other_fields() {
        let body = json!({
            "url": "https://h/api/pool/pool-1",
            "cloud_ref": "/api/cloud/?name=c",
            "health_monitor_refs": ["/api/healthmonitor/?name=a", "/api/healthmonitor/?name=b"],
            "members": [{"pool_ref": "/api/pool/?name=p", "ratio": 1}],
            "http_request_policy": {"rules": [{"match": {"path": {"string_group_refs": ["/api/stringgroup/x"]}}}]},
            "name_ref_count": 3
        });
        let mut refs = collect_refs(&body);
        refs.sort();
        assert_eq!(
            refs,
            vec![
                "/api/cloud/?name=c",
                "/api/healthmonitor/?name=a",
                "/api/healthmonitor/?name=b",
                "/api/pool/?name=p",
                "/api/stringgroup/x"
            ]
        );
    }
}
