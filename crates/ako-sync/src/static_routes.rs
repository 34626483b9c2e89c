//! The static routes of this cluster in the VRF context, on the controller: the VRF is shared
//! (other clusters' routes and a user's are in it too), so it is never replaced, only merged.
//! Ours are the routes labelled `clustername=<cluster>`; every other route is kept as read and
//! in its place, ours follow. Nothing is written when ours already are the desired ones (route
//! ids aside: AKO draws new ones at every start), so taking over from AKO writes nothing. The
//! PUT carries the `_last_modified` read, so a concurrent change (another cluster's AKO) fails
//! with 412 and is merged again from a fresh read.

use ako_translate::markers::CLUSTER_LABEL;
use avi_client::{Client, Query};
use serde_json::Value;

/// How often a 412 (the VRF changed between read and write) is merged again.
const ATTEMPTS: usize = 5;

/// What [`sync_static_routes`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutesSynced {
    /// Ours already were the desired ones.
    Unchanged,
    /// Ours were replaced: how many there were and are.
    Written {
        /// Ours before.
        before: usize,
        /// Ours now.
        after: usize,
    },
}

/// The VRF could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    /// No such VRF.
    #[error("the controller has no VRF context {0:?} in cloud {1:?} (ControllerSettings.vrfName)")]
    MissingVrf(String, String),
    /// A request failed.
    #[error("cannot update the static routes of VRF context {0:?}: {1}")]
    Request(String, #[source] avi_client::Error),
}

/// Make this cluster's routes in VRF `vrf` of cloud `cloud` (tenant `tenant`) exactly `desired`
/// (bodies of `StaticRoute`, labelled for `cluster`), leaving every other route alone.
pub async fn sync_static_routes(
    client: &Client,
    tenant: &str,
    cloud: &str,
    vrf: &str,
    cluster: &str,
    desired: &[Value],
) -> Result<RoutesSynced, RoutesError> {
    let api = client.tenant(tenant);
    let request = |e| RoutesError::Request(vrf.to_owned(), e);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let found: Vec<Value> = api
            .list("vrfcontext", &Query::new().name(vrf).cloud_ref_name(cloud))
            .await
            .map_err(request)?;
        let Some(mut object) = found.into_iter().next() else {
            return Err(RoutesError::MissingVrf(vrf.to_owned(), cloud.to_owned()));
        };
        let current: Vec<Value> = object["static_routes"].as_array().cloned().unwrap_or_default();
        let (ours, mut merged): (Vec<Value>, Vec<Value>) = current.into_iter().partition(|r| is_ours(r, cluster));
        if same_routes(&ours, desired) {
            return Ok(RoutesSynced::Unchanged);
        }
        merged.extend(desired.iter().cloned());
        object["static_routes"] = Value::Array(merged);
        let uuid = object["uuid"].as_str().unwrap_or_default().to_owned();
        match api.update::<_, Value>("vrfcontext", &uuid, &object).await {
            Ok(_) => {
                return Ok(RoutesSynced::Written {
                    before: ours.len(),
                    after: desired.len(),
                });
            }
            Err(e) if e.is_precondition_failed() && attempt < ATTEMPTS => {
                tracing::debug!(vrf, attempt, "VRF context changed since read; merging again");
            }
            Err(e) => return Err(request(e)),
        }
    }
}

/// A route labelled for `cluster`.
fn is_ours(route: &Value, cluster: &str) -> bool {
    route["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|l| l["key"] == CLUSTER_LABEL && l["value"] == cluster)
}

/// The same routes whatever their ids, their order and the order of their fields.
fn same_routes(a: &[Value], b: &[Value]) -> bool {
    let keys = |list: &[Value]| {
        let mut keys: Vec<String> = list.iter().map(|r| canonical(r, true)).collect();
        keys.sort();
        keys
    };
    keys(a) == keys(b)
}

/// `v` as text with object keys sorted (a controller returns fields in its own order), without
/// the top-level `route_id` when `skip_id`.
fn canonical(v: &Value, skip_id: bool) -> String {
    match v {
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> =
                map.iter().filter(|(k, _)| !(skip_id && *k == "route_id")).collect();
            fields.sort_by(|x, y| x.0.cmp(y.0));
            let inner: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", canonical(v, false)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(list) => format!(
            "[{}]",
            list.iter().map(|v| canonical(v, false)).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn route(id: &str, prefix: &str, cluster: Option<&str>) -> Value {
        let mut r = json!({"route_id": id, "prefix": {"ip_addr": {"addr": prefix, "type": "V4"}, "mask": 24},
                           "next_hop": {"addr": "10.0.0.1", "type": "V4"}});
        if let Some(c) = cluster {
            r["labels"] = json!([{"key": "clustername", "value": c}]);
        }
        r
    }

    #[test]
    fn ours_are_the_routes_labelled_for_this_cluster() {
        assert!(is_ours(&route("a", "10.1.0.0", Some("c1")), "c1"));
        assert!(!is_ours(&route("a", "10.1.0.0", Some("c2")), "c1"));
        assert!(!is_ours(&route("a", "10.1.0.0", None), "c1"));
    }

    #[test]
    fn routes_compare_without_ids_or_order() {
        let a = [
            route("x-0", "10.1.0.0", Some("c1")),
            route("y-0", "10.2.0.0", Some("c1")),
        ];
        let b = [
            route("q-0", "10.2.0.0", Some("c1")),
            route("p-0", "10.1.0.0", Some("c1")),
        ];
        assert!(same_routes(&a, &b));
        assert!(!same_routes(&a, &b[..1]));
        assert!(!same_routes(
            &a,
            &[
                route("x-0", "10.1.0.0", Some("c1")),
                route("y-0", "10.3.0.0", Some("c1"))
            ]
        ));
        // As a controller returns them: fields in another order.
        let reordered: Value = serde_json::from_str(
            r#"{"labels": [{"value": "c1", "key": "clustername"}], "next_hop": {"type": "V4", "addr": "10.0.0.1"},
                "prefix": {"mask": 24, "ip_addr": {"type": "V4", "addr": "10.1.0.0"}}, "route_id": "z"}"#,
        )
        .unwrap();
        assert!(same_routes(&a[..1], &[reordered]));
    }
}
