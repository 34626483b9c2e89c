//! Does an object that exists on the controller need a PUT?
//!
//! Two kinds of evidence, and why both:
//!
//! * **Stored checksum.** AKO writes its model checksum into VirtualService, Pool, PoolGroup and
//!   HTTPPolicySet (`cloud_config_cksum`) and VsVip (`vsvip_cloud_config_cksum`). When the stored
//!   value differs from the desired checksum, the desired object changed (or was written by
//!   another AKO version): PUT. This is AKO's rule and works for objects Go AKO created.
//! * **Field comparison.** L4PolicySet, VSDataScriptSet, SSLKeyAndCertificate, StringGroup and
//!   PKIProfile store no checksum, so for them the desired body is compared with the observed
//!   object: every field we send must be present with an equal value. References are compared
//!   by target, not by spelling: the `/api/pool/?name=x` we send comes back as
//!   `https://host/api/pool/pool-<uuid>#x` (objects are read with `include_name`). Fields the
//!   controller adds (defaults, `uuid`, `_last_modified`, an allocated VIP) are not compared, an
//!   unset reference (`""`) equals an absent one, and numbers compare by value.
//!
//! With [`DriftCheck::Fields`] (the default) the field comparison also runs for the kinds that
//! store a checksum. That is what repairs an out-of-band edit: a user changing a pool's servers
//! in the UI leaves `cloud_config_cksum` untouched, so a checksum-only rule would never notice
//! (Go AKO does not). The cost is a comparison per object and the risk that a controller which
//! rewrites a field we send would get a PUT on every resync; a no-change resync against avisim
//! sends zero writes (tested), and [`DriftCheck::ChecksumOnly`] restores AKO's behaviour for
//! the checksum kinds should a real controller normalise something.
//!
//! Lists whose order carries nothing are compared as multisets: a VS's certificates, a pool
//! group's members and a VsVip's DNS records ([`avi_model::UNORDERED_LISTS`]). Go AKO leaves the
//! last two in the order it processed Ingresses, which a takeover must not rewrite.
//!
//! The private key of an SSLKeyAndCertificate is never returned by the controller, so `key` is
//! not compared (a new key comes with a new certificate, which is); nor are the OAuth secrets of
//! a VS (`client_secret`, `server_secret`), which the VS checksum covers.

use std::collections::HashMap;
use std::fmt;

use ako_translate::DesiredObject;
use avi_model::{ObjectRef, ObjectType, RefTarget};
use serde::Serialize;
use serde_json::Value;

/// Which evidence decides an update for the types that store a checksum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DriftCheck {
    /// Stored checksum, and every field we send (repairs out-of-band edits).
    #[default]
    Fields,
    /// Stored checksum only, as Go AKO (types without a stored checksum still compare fields).
    ChecksumOnly,
}

/// Why an existing object is PUT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UpdateReason {
    /// The stored checksum differs from the desired one (`None`: missing or unreadable).
    Checksum {
        /// The stored value.
        observed: Option<u32>,
        /// The desired value.
        desired: u32,
    },
    /// A field we send has another value on the controller.
    Drift {
        /// JSON path of the first differing field, e.g. `servers[0].port`.
        field: String,
    },
    /// The object existed by name without being in the observed index (409 on create); it is
    /// ours, so it is taken over with a PUT instead of being re-created.
    Adopt,
    /// The desired body is not the one the object was last found to hold (only a digest of
    /// that one is kept: [`crate::ObservedObject::in_sync_with`]).
    Changed,
}

impl fmt::Display for UpdateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateReason::Checksum {
                observed: Some(o),
                desired,
            } => write!(f, "checksum {o} -> {desired}"),
            UpdateReason::Checksum {
                observed: None,
                desired,
            } => write!(f, "checksum unset -> {desired}"),
            UpdateReason::Drift { field } => write!(f, "{field} differs"),
            UpdateReason::Adopt => f.write_str("adopted"),
            UpdateReason::Changed => f.write_str("desired body changed"),
        }
    }
}

/// The field holding AKO's checksum for `kind`, if the type stores one.
pub fn checksum_field(kind: ObjectType) -> Option<&'static str> {
    match kind {
        ObjectType::VirtualService | ObjectType::Pool | ObjectType::PoolGroup | ObjectType::HttpPolicySet => {
            Some("cloud_config_cksum")
        }
        ObjectType::VsVip => Some("vsvip_cloud_config_cksum"),
        _ => None,
    }
}

/// Top-level fields never compared for `kind` (the controller does not return them).
fn ignored_fields(kind: ObjectType) -> &'static [&'static str] {
    match kind {
        ObjectType::SslKeyAndCertificate => &["key"],
        _ => &[],
    }
}

/// The checksum stored in a controller object of type `kind`: a decimal string (AKO's form),
/// or a number.
pub fn stored_checksum(kind: ObjectType, observed: &Value) -> Option<u32> {
    match observed.get(checksum_field(kind)?)? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
}

/// Why `observed` (the controller's object) must be replaced by `desired`, or `None` when it
/// already is what we want.
pub fn update_reason(desired: &DesiredObject, observed: &Value, drift: DriftCheck) -> Option<UpdateReason> {
    if checksum_field(desired.kind).is_some() {
        let stored = stored_checksum(desired.kind, observed);
        if stored != Some(desired.checksum) {
            return Some(UpdateReason::Checksum {
                observed: stored,
                desired: desired.checksum,
            });
        }
        if drift == DriftCheck::ChecksumOnly {
            return None;
        }
    }
    first_difference(desired.kind, &desired.body.to_value(), observed).map(|field| UpdateReason::Drift { field })
}

/// [`update_reason`] against an object of the observed index, which may keep only the digest
/// of the desired body it holds.
pub fn update_reason_of(
    desired: &DesiredObject,
    observed: &crate::ObservedObject,
    drift: DriftCheck,
) -> Option<UpdateReason> {
    let Some(held) = observed.in_sync_with() else {
        return update_reason(desired, &observed.body().unwrap_or(Value::Null), drift);
    };
    if checksum_field(desired.kind).is_some() {
        if observed.stored_checksum != Some(desired.checksum) {
            return Some(UpdateReason::Checksum {
                observed: observed.stored_checksum,
                desired: desired.checksum,
            });
        }
        if drift == DriftCheck::ChecksumOnly {
            return None;
        }
    }
    (held != crate::observed::digest(desired.body.as_str())).then_some(UpdateReason::Changed)
}

/// The path of the first field of `desired` that `observed` does not hold with an equal value.
pub fn first_difference(kind: ObjectType, desired: &Value, observed: &Value) -> Option<String> {
    let (Value::Object(want), Value::Object(have)) = (desired, observed) else {
        return (!values_equal(desired, observed)).then(String::new);
    };
    let ignored = ignored_fields(kind);
    want.iter()
        .filter(|(k, _)| !ignored.contains(&k.as_str()))
        .find_map(|(k, v)| {
            let sub = match (avi_model::unordered_list_identity(kind, k), v, have.get(k)) {
                (Some(id), Value::Array(w), Some(Value::Array(h))) => unordered_difference(id, w, h),
                _ => field_difference(k, v, have.get(k)),
            };
            sub.map(|sub| join(k, &sub))
        })
}

/// The first element of `want` (`[i]`) that no element of `have` holds, each observed element
/// standing for one wanted element at most; `id` is the field naming an element. In the same
/// order (what ako-rs wrote) this is one pass; otherwise elements are paired by their `id`
/// (a reference by its target's name), so a pool group of thousands of members Go AKO wrote
/// in its own order costs a hash lookup per member, not a scan.
fn unordered_difference(id: &str, want: &[Value], have: &[Value]) -> Option<String> {
    if want.len() != have.len() {
        return Some(String::new());
    }
    let first = want.iter().zip(have).position(|(w, h)| difference(w, h).is_some())?;
    let mut by_id: HashMap<String, Vec<&Value>> = HashMap::new();
    for h in &have[first..] {
        if let Some(key) = identity(id, h) {
            by_id.entry(key).or_default().push(h);
        }
    }
    want.iter().enumerate().skip(first).find_map(|(i, w)| {
        let paired = identity(id, w).and_then(|key| {
            let candidates = by_id.get_mut(&key)?;
            let at = candidates.iter().position(|h| difference(w, h).is_none())?;
            Some(candidates.swap_remove(at))
        });
        paired.is_none().then(|| format!("[{i}]"))
    })
}

/// What names an element of an unordered list: its `id` field, by target name for a reference
/// (the name we send, the `#name` the controller answers).
fn identity(id: &str, element: &Value) -> Option<String> {
    let value = element.get(id)?.as_str()?;
    if id.ends_with("_ref") {
        ObjectRef::parse(value).ok()?.name().map(str::to_owned)
    } else {
        Some(value.to_owned())
    }
}

fn join(field: &str, sub: &str) -> String {
    if sub.is_empty() {
        field.to_owned()
    } else if sub.starts_with('[') {
        format!("{field}{sub}")
    } else {
        format!("{field}.{sub}")
    }
}

/// The difference inside field `key` (`""` for the field itself), if any. Secrets inside bodies
/// are never compared (the controller does not answer them in clear); a changed secret still
/// reaches the controller: it changes the VS checksum.
fn field_difference(key: &str, want: &Value, have: Option<&Value>) -> Option<String> {
    if avi_model::SECRET_FIELDS.contains(&key) {
        return None;
    }
    let have = match have {
        Some(h) => h,
        None if is_empty(want) => return None,
        None => return Some(String::new()),
    };
    if key.ends_with("_ref")
        && let Value::String(w) = want
    {
        return (!ref_equal(w, have)).then(String::new);
    }
    if key.ends_with("_refs")
        && let (Value::Array(w), Value::Array(h)) = (want, have)
        && w.iter().all(Value::is_string)
    {
        if w.len() != h.len() {
            return Some(String::new());
        }
        if UNORDERED_REFS.contains(&key) {
            let mut left: Vec<&Value> = h.iter().collect();
            return w
                .iter()
                .position(|w| {
                    let w = w.as_str().unwrap_or_default();
                    match left.iter().position(|h| ref_equal(w, h)) {
                        Some(i) => {
                            left.swap_remove(i);
                            false
                        }
                        None => true,
                    }
                })
                .map(|i| format!("[{i}]"));
        }
        return w
            .iter()
            .zip(h)
            .position(|(w, h)| !ref_equal(w.as_str().unwrap_or_default(), h))
            .map(|i| format!("[{i}]"));
    }
    difference(want, have)
}

/// Reference lists whose order carries nothing, compared as sets: a VS presents the certificate
/// that matches the client's SNI and key type, wherever it is in the list. (Go AKO lists an EVH
/// parent's certificates in the order it happened to process the children: a takeover must not
/// rewrite a parent for that.)
const UNORDERED_REFS: [&str; 1] = ["ssl_key_and_certificate_refs"];

/// Structural difference of two values below a field.
fn difference(want: &Value, have: &Value) -> Option<String> {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .find_map(|(k, v)| field_difference(k, v, h.get(k)).map(|sub| join(k, &sub))),
        (Value::Array(w), Value::Array(h)) => {
            if w.len() != h.len() {
                return Some(String::new());
            }
            w.iter()
                .zip(h)
                .enumerate()
                .find_map(|(i, (w, h))| difference(w, h).map(|sub| join(&format!("[{i}]"), &sub)))
        }
        _ => (!values_equal(want, have)).then(String::new),
    }
}

fn values_equal(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => a.as_f64() == b.as_f64(),
        },
        (Value::Null, Value::Null) => true,
        (w, h) => w == h,
    }
}

/// `""`, `null`, `[]` and `{}`: what a controller may drop instead of storing.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether the reference we send (`want`) points at what the controller holds (`have`).
fn ref_equal(want: &str, have: &Value) -> bool {
    let have = match have {
        Value::String(s) => s.as_str(),
        Value::Null => "",
        _ => return false,
    };
    if want.trim().is_empty() || have.trim().is_empty() {
        return want.trim().is_empty() && have.trim().is_empty();
    }
    let (Ok(w), Ok(h)) = (ObjectRef::parse(want), ObjectRef::parse(have)) else {
        return want == have;
    };
    if w.kind != h.kind {
        return false;
    }
    match &w.target {
        RefTarget::Uuid(u) => h.uuid() == Some(u.as_str()),
        RefTarget::Name(n) => h.name() == Some(n.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired(kind: ObjectType, checksum: u32, body: Value) -> DesiredObject {
        DesiredObject {
            kind,
            tenant: "admin".into(),
            name: body["name"].as_str().unwrap_or("x").into(),
            checksum,
            body: body.into(),
        }
    }

    #[test]
    fn stored_checksum_decides_first() {
        let d = desired(
            ObjectType::Pool,
            42,
            json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1"}}]}),
        );
        let same = json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "ratio": 1}], "uuid": "pool-1"});
        assert_eq!(update_reason(&d, &same, DriftCheck::Fields), None);
        let old = json!({"name": "p", "cloud_config_cksum": "41"});
        assert_eq!(
            update_reason(&d, &old, DriftCheck::ChecksumOnly),
            Some(UpdateReason::Checksum {
                observed: Some(41),
                desired: 42
            })
        );
        let missing = json!({"name": "p"});
        assert_eq!(
            update_reason(&d, &missing, DriftCheck::Fields),
            Some(UpdateReason::Checksum {
                observed: None,
                desired: 42
            })
        );
    }

    #[test]
    fn an_object_known_by_digest_is_updated_when_the_desired_body_changes() {
        let sent = json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1"}}]});
        let answer = json!({"name": "p", "uuid": "pool-1", "created_by": "ako-c1", "tenant_ref": "https://h/api/tenant/admin",
                            "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}}]});
        let mut observed = crate::Observed::new(crate::Owner::new("c1"));
        let d = desired(ObjectType::Pool, 42, sent);
        let key = observed
            .record_written(ObjectType::Pool, answer, "admin", d.body.as_str())
            .unwrap();
        let found = observed.get(&key).unwrap();
        assert!(found.in_sync_with().is_some());
        assert_eq!(update_reason_of(&d, found, DriftCheck::Fields), None);
        // Same checksum, another body: only the digest can tell.
        let other = desired(
            ObjectType::Pool,
            42,
            json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.2"}}]}),
        );
        assert_eq!(
            update_reason_of(&other, found, DriftCheck::Fields),
            Some(UpdateReason::Changed)
        );
        assert_eq!(update_reason_of(&other, found, DriftCheck::ChecksumOnly), None);
        let newer = desired(ObjectType::Pool, 43, json!({"name": "p", "cloud_config_cksum": "43"}));
        assert_eq!(
            update_reason_of(&newer, found, DriftCheck::Fields),
            Some(UpdateReason::Checksum {
                observed: Some(42),
                desired: 43
            })
        );
    }

    #[test]
    fn out_of_band_edit_is_drift_unless_checksum_only() {
        let d = desired(
            ObjectType::Pool,
            42,
            json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1"}, "port": 80}]}),
        );
        let edited =
            json!({"name": "p", "cloud_config_cksum": "42", "servers": [{"ip": {"addr": "10.0.0.1"}, "port": 81}]});
        assert_eq!(
            update_reason(&d, &edited, DriftCheck::Fields),
            Some(UpdateReason::Drift {
                field: "servers[0].port".into()
            })
        );
        assert_eq!(update_reason(&d, &edited, DriftCheck::ChecksumOnly), None);
    }

    #[test]
    fn kinds_without_stored_checksum_compare_fields_even_when_checksum_only() {
        let d = desired(
            ObjectType::L4PolicySet,
            7,
            json!({"name": "l4", "tenant_ref": "/api/tenant/?name=admin",
                   "l4_connection_policy": {"rules": [{"action": {"select_pool": {"pool_ref": "/api/pool?name=p80"}}}]}}),
        );
        let same = json!({"name": "l4", "tenant_ref": "https://h/api/tenant/admin#admin",
            "l4_connection_policy": {"rules": [{"action": {"select_pool": {"pool_ref": "https://h/api/pool/pool-9#p80"}}}]}});
        assert_eq!(update_reason(&d, &same, DriftCheck::ChecksumOnly), None);
        let other = json!({"name": "l4", "tenant_ref": "https://h/api/tenant/admin#admin",
            "l4_connection_policy": {"rules": [{"action": {"select_pool": {"pool_ref": "https://h/api/pool/pool-8#p81"}}}]}});
        assert_eq!(
            update_reason(&d, &other, DriftCheck::ChecksumOnly),
            Some(UpdateReason::Drift {
                field: "l4_connection_policy.rules[0].action.select_pool.pool_ref".into()
            })
        );
    }

    #[test]
    fn refs_compare_by_target() {
        assert!(ref_equal("/api/pool?name=a", &json!("https://h/api/pool/pool-1#a")));
        assert!(ref_equal("/api/pool/?name=a", &json!("/api/pool?name=a")));
        assert!(!ref_equal("/api/pool?name=a", &json!("https://h/api/pool/pool-1#b")));
        assert!(
            !ref_equal("/api/pool?name=a", &json!("https://h/api/pool/pool-1")),
            "no #name: unknown"
        );
        assert!(!ref_equal(
            "/api/pool?name=a",
            &json!("https://h/api/poolgroup/poolgroup-1#a")
        ));
        assert!(ref_equal(
            "/api/network/net-1",
            &json!("https://h/api/network/net-1#vip")
        ));
        assert!(ref_equal("", &json!("")));
        assert!(ref_equal("", &Value::Null));
        assert!(!ref_equal("", &json!("https://h/api/pool/pool-1#a")));
        let refs = json!({"health_monitor_refs": ["/api/healthmonitor/?name=System-TCP"]});
        assert_eq!(
            first_difference(
                ObjectType::Pool,
                &refs,
                &json!({"health_monitor_refs": ["https://h/api/healthmonitor/hm-1#System-TCP"]})
            ),
            None
        );
        assert_eq!(
            first_difference(
                ObjectType::Pool,
                &refs,
                &json!({"health_monitor_refs": ["https://h/api/healthmonitor/hm-2#System-UDP"]})
            ),
            Some("health_monitor_refs[0]".into())
        );
    }

    #[test]
    fn empty_values_equal_absent_and_numbers_by_value() {
        let want = json!({"error_page_profile_ref": "", "markers": [], "ratio": 1, "w": 1.0});
        assert_eq!(
            first_difference(ObjectType::VirtualService, &want, &json!({"ratio": 1.0, "w": 1})),
            None
        );
        assert_eq!(
            first_difference(ObjectType::VirtualService, &json!({"enabled": false}), &json!({})),
            Some("enabled".into())
        );
        assert_eq!(
            first_difference(
                ObjectType::Pool,
                &json!({"servers": [{}, {}]}),
                &json!({"servers": [{}]})
            ),
            Some("servers".into())
        );
    }

    #[test]
    fn certificate_refs_compare_as_a_set() {
        let d = desired(
            ObjectType::VirtualService,
            7,
            json!({"name": "vs", "ssl_key_and_certificate_refs": ["/api/sslkeyandcertificate?name=a", "/api/sslkeyandcertificate?name=b"]}),
        );
        let observed =
            |refs: Value| json!({"name": "vs", "cloud_config_cksum": "7", "ssl_key_and_certificate_refs": refs});
        let swapped = observed(json!([
            "https://c/api/sslkeyandcertificate/sslkeyandcertificate-2#b",
            "https://c/api/sslkeyandcertificate/sslkeyandcertificate-1#a"
        ]));
        assert_eq!(update_reason(&d, &swapped, DriftCheck::Fields), None);
        let other = observed(json!([
            "https://c/api/sslkeyandcertificate/sslkeyandcertificate-2#b",
            "https://c/api/sslkeyandcertificate/sslkeyandcertificate-3#c"
        ]));
        assert!(matches!(
            update_reason(&d, &other, DriftCheck::Fields),
            Some(UpdateReason::Drift { .. })
        ));
    }

    #[test]
    fn pool_group_members_and_dns_records_compare_in_any_order() {
        let member = |pool: &str, ratio: u32| json!({"pool_ref": format!("/api/pool/?name={pool}"), "priority_label": format!("{pool}/"), "ratio": ratio});
        let stored = |pool: &str, ratio: u32| json!({"pool_ref": format!("https://c/api/pool/pool-{pool}#{pool}"), "priority_label": format!("{pool}/"), "ratio": ratio});
        let d = desired(
            ObjectType::PoolGroup,
            7,
            json!({"name": "pg", "members": [member("a", 100), member("b", 100), member("c", 100)]}),
        );
        let observed = |members: Value| json!({"name": "pg", "cloud_config_cksum": "7", "members": members});
        // Go AKO's order: the members of the Ingress it processed last come last.
        let go = observed(json!([stored("b", 100), stored("c", 100), stored("a", 100)]));
        assert_eq!(update_reason(&d, &go, DriftCheck::Fields), None);
        let edited = observed(json!([stored("b", 100), stored("c", 100), stored("a", 50)]));
        assert_eq!(
            update_reason(&d, &edited, DriftCheck::Fields),
            Some(UpdateReason::Drift {
                field: "members[0]".into()
            })
        );
        let twice = observed(json!([stored("b", 100), stored("b", 100), stored("a", 100)]));
        assert_eq!(
            update_reason(&d, &twice, DriftCheck::Fields),
            Some(UpdateReason::Drift {
                field: "members[2]".into()
            })
        );
        let fewer = observed(json!([stored("b", 100), stored("a", 100)]));
        assert!(update_reason(&d, &fewer, DriftCheck::Fields).is_some());

        let vip = desired(
            ObjectType::VsVip,
            9,
            json!({"name": "v", "dns_info": [{"fqdn": "alpha.example"}, {"fqdn": "zeta.example"}]}),
        );
        let record = |fqdn: &str| json!({"fqdn": fqdn, "type": "DNS_RECORD_A", "ttl": 30});
        let go = json!({"name": "v", "vsvip_cloud_config_cksum": "9", "dns_info": [record("zeta.example"), record("alpha.example")]});
        assert_eq!(update_reason(&vip, &go, DriftCheck::Fields), None);
        let other = json!({"name": "v", "vsvip_cloud_config_cksum": "9", "dns_info": [record("zeta.example"), record("beta.example")]});
        assert!(update_reason(&vip, &other, DriftCheck::Fields).is_some());
        // Other lists keep their order.
        assert!(
            first_difference(
                ObjectType::PoolGroup,
                &json!({"markers": [{"key": "a"}, {"key": "b"}]}),
                &json!({"markers": [{"key": "b"}, {"key": "a"}]})
            )
            .is_some()
        );
    }

    #[test]
    fn oauth_secrets_are_not_compared_wherever_they_are() {
        let body = |secret: &str| {
            json!({"name": "vs", "oauth_vs_config": {"oauth_settings": [{"auth_profile_ref": "/api/authprofile?name=a",
                "app_settings": {"client_id": "c", "client_secret": secret}}]}})
        };
        let d = desired(ObjectType::VirtualService, 7, body("plain"));
        let mut observed = body("<sensitive>");
        observed["cloud_config_cksum"] = json!("7");
        assert_eq!(update_reason(&d, &observed, DriftCheck::Fields), None);
        observed["oauth_vs_config"]["oauth_settings"][0]["app_settings"]["client_id"] = json!("other");
        assert!(matches!(
            update_reason(&d, &observed, DriftCheck::Fields),
            Some(UpdateReason::Drift { .. })
        ));
    }

    #[test]
    fn ssl_key_is_not_compared() {
        let d = desired(
            ObjectType::SslKeyAndCertificate,
            1,
            json!({"name": "c", "key": "-----BEGIN PRIVATE KEY-----", "certificate": {"certificate": "PEM"}}),
        );
        assert_eq!(
            update_reason(
                &d,
                &json!({"name": "c", "certificate": {"certificate": "PEM"}}),
                DriftCheck::Fields
            ),
            None
        );
        assert!(
            update_reason(
                &d,
                &json!({"name": "c", "certificate": {"certificate": "OTHER"}}),
                DriftCheck::Fields
            )
            .is_some()
        );
    }
}
