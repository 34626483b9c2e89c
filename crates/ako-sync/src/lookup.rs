//! Looking up the controller objects HostRules, HTTPRules, L4Rules and AviInfraSettings name (WAF
//! policies, profiles, certificates, health monitors, SE groups, networks, ...), as AKO does
//! before accepting a rule (`GET /api/<type>?name=<name>&fields=name,type,created_by` in the
//! rule's tenant; a network profile's type is `profile.type`).

use ako_translate::rules::{ControllerRef, RefState};
use avi_client::{Client, Query};
use futures::StreamExt;
use serde_json::Value;

/// At most this many lookups at once.
const CONCURRENT_LOOKUPS: usize = 8;

/// What the controller says about each of `wanted` (tenant, object); a lookup that fails (the
/// controller is unreachable) is left out, to be asked again later.
pub async fn lookup_refs(avi: &Client, wanted: Vec<(String, ControllerRef)>) -> Vec<(String, ControllerRef, RefState)> {
    futures::stream::iter(wanted)
        .map(|(tenant, r)| async move {
            let query = Query::new()
                .name(&r.name)
                .fields(["name", "type", "profile", "created_by"]);
            match avi.tenant(tenant.as_str()).list_page::<Value>(r.kind.path(), &query).await {
                Ok(page) => {
                    let state = match page.results.first() {
                        Some(found) => {
                            let text = |k: &str| found.get(k).and_then(Value::as_str).map(str::to_owned);
                            let profile_type = found.pointer("/profile/type").and_then(Value::as_str);
                            RefState::Present {
                                type_: text("type").or(profile_type.map(str::to_owned)),
                                created_by: text("created_by"),
                            }
                        }
                        None => RefState::Absent,
                    };
                    Some((tenant, r, state))
                }
                Err(e) => {
                    tracing::warn!(tenant, kind = %r.kind, name = r.name, error = %e, "cannot look up a rule's reference");
                    None
                }
            }
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .filter_map(|x| async move { x })
        .collect()
        .await
}
