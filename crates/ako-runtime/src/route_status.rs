//! OpenShift Routes' status as AKO writes it: `status.ingress[]` holds, for our router
//! (`ako-<cluster>`), one entry per address and host with an `Admitted` condition `True`, the
//! address as message and AKO's three annotations (as JSON) as reason; a Route we do not serve
//! gets one entry `Admitted: False` with the reason. Other routers' entries are kept as they are
//! (a merge patch of `status` replaces the whole list, so the patch carries them).

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::Observed;
use ako_translate::kinds::{CONTROLLER_UUID_ANNOTATION, LbEntry, TENANT_ANNOTATION, VS_MAP_ANNOTATION};
use ako_translate::openshift::Route;
use ako_translate::openshift::api::{RouteCondition, RouteIngress};
use ako_translate::{Failure, Kind, ObjRef, Snapshot, StatusIntent};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use crate::annotations;
use crate::status::{Change, Vips};

/// What the Route patches are made with.
pub struct Context<'a> {
    /// Our router's name (`ako-<cluster>`).
    pub router: &'a str,
    /// The controller cluster's uuid (in the reason of admitted entries).
    pub controller: &'a str,
    /// The transition time of new entries.
    pub now: Time,
}

/// The status patches of the Routes among `changes` (their admitted entries), and of the Routes
/// `failures` name that are served nowhere (`want` has no entry for them): those are refused
/// (by their first failure) instead of cleared, added to `changes` when not refused yet, and
/// counted as `ours` (so that their refusal is cleared once it no longer applies). With `only`,
/// just those objects are looked at.
#[allow(clippy::too_many_arguments)]
pub fn patches(
    snap: &Snapshot,
    changes: &mut Vec<Change>,
    ours: &mut BTreeSet<ObjRef>,
    intents: &[&StatusIntent],
    failures: &[Failure],
    want: &BTreeMap<ObjRef, Option<BTreeSet<LbEntry>>>,
    only: Option<&BTreeSet<ObjRef>>,
    (vips, observed): (&Vips, &Observed),
    ctx: &Context<'_>,
) -> BTreeMap<ObjRef, Value> {
    let routes: Vec<&StatusIntent> = intents
        .iter()
        .copied()
        .filter(|s| s.object.kind == Kind::Route && changes.iter().any(|(t, _)| *t == s.object))
        .collect();
    let wanted = annotations::desired(routes, vips, observed);
    let mut out: BTreeMap<ObjRef, Value> = changes
        .iter()
        .filter(|(t, _)| t.kind == Kind::Route)
        .filter_map(|(t, entries)| {
            let route = snap.routes.get(&t.key)?;
            let reasons: BTreeMap<String, String> = wanted
                .get(t)
                .map(|w| {
                    w.hosts
                        .iter()
                        .map(|(h, uuid)| (h.clone(), route_reason(ctx.controller, h, uuid, &w.tenant)))
                        .collect()
                })
                .unwrap_or_default();
            let patch = route_status_patch(route, entries.as_ref(), ctx.router, &reasons, ctx.now.clone());
            Some((t.clone(), patch))
        })
        .collect();
    let mut refused = BTreeSet::new();
    for f in failures {
        let t = &f.object;
        if t.kind != Kind::Route || want.contains_key(t) || only.is_some_and(|o| !o.contains(t)) || !refused.insert(t) {
            continue;
        }
        let Some(route) = snap.routes.get(&t.key) else {
            continue;
        };
        ours.insert(t.clone());
        // Refused, not cleared.
        if out.remove(t).is_some() {
            changes.retain(|(c, _)| c != t);
        }
        let refusal = route_refusal(route, &f.message);
        if !route_refused(route, ctx.router, &refusal) {
            out.insert(
                t.clone(),
                route_refusal_patch(route, ctx.router, &refusal, ctx.now.clone()),
            );
            changes.push((t.clone(), None));
        }
    }
    out
}

/// The `Admitted` entries of `router` in a Route's status: (address, host).
pub fn route_current(route: &Route, router: &str) -> BTreeSet<LbEntry> {
    route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name == router)
        .flat_map(|i| {
            i.conditions.iter().filter(|c| c.type_ == "Admitted").map(|c| {
                // A refusal counts as an entry without address: ours, to clear when it no longer
                // applies.
                let address = if c.status == "True" {
                    c.message.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                (address, Some(i.host.clone()))
            })
        })
        .collect()
}

/// Why ako-rs does not serve a Route: `(host, reason, message)` of its `Admitted: False` entry.
pub type Refusal = (String, String, String);

/// The refusal of a Route that fails and is not served: its host (as written), a reason (AKO's
/// error name when the message starts with one, else `NotServed`) and the message.
pub fn route_refusal(route: &Route, message: &str) -> Refusal {
    let host = route.spec.host.clone().unwrap_or_default();
    let reason = message
        .split_once(':')
        .map(|(head, _)| head)
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("NotServed");
    (host, reason.to_owned(), message.to_owned())
}

/// Whether a Route's status already holds exactly `refusal` as our router's only entry.
pub fn route_refused(route: &Route, router: &str, refusal: &Refusal) -> bool {
    let ours: Vec<&RouteIngress> = route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name == router)
        .collect();
    let (host, reason, message) = refusal;
    matches!(ours.as_slice(), [i] if i.host == *host
        && matches!(i.conditions.as_slice(), [c] if c.type_ == "Admitted" && c.status == "False"
            && c.reason.as_deref() == Some(reason) && c.message.as_deref() == Some(message)))
}

/// The merge patch of a Route's `status` refusing it: other routers' entries as they are, ours
/// one `Admitted: False` entry with the reason.
pub fn route_refusal_patch(route: &Route, router: &str, refusal: &Refusal, now: Time) -> Value {
    let mut list: Vec<RouteIngress> = route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name != router)
        .cloned()
        .collect();
    let (host, reason, message) = refusal;
    list.push(RouteIngress {
        host: host.clone(),
        router_name: router.to_owned(),
        conditions: vec![RouteCondition {
            type_: "Admitted".to_owned(),
            status: "False".to_owned(),
            reason: Some(reason.clone()),
            message: Some(message.clone()),
            last_transition_time: Some(now),
        }],
        wildcard_policy: None,
        router_canonical_hostname: None,
    });
    json!({"status": {"ingress": list}})
}

/// The reason AKO gives an admitted Route entry: its three annotations for the host, as Go's
/// JSON writes a map (keys sorted, compact).
pub fn route_reason(controller_uuid: &str, host: &str, vs_uuid: &str, tenant: &str) -> String {
    let map: BTreeMap<&str, String> = BTreeMap::from([
        (CONTROLLER_UUID_ANNOTATION, controller_uuid.to_owned()),
        (VS_MAP_ANNOTATION, json!({host: vs_uuid}).to_string()),
        (TENANT_ANNOTATION, tenant.to_owned()),
    ]);
    serde_json::to_string(&map).unwrap_or_default()
}

/// The merge patch of a Route's `status`: other routers' entries as they are; ours (`router`)
/// one `Admitted` entry per (address, host) of `entries` (none for `None`), with the reason
/// `reasons` has for the host. An entry already there keeps its transition time.
pub fn route_status_patch(
    route: &Route,
    entries: Option<&BTreeSet<LbEntry>>,
    router: &str,
    reasons: &BTreeMap<String, String>,
    now: Time,
) -> Value {
    let existing: Vec<&RouteIngress> = route.status.iter().flat_map(|s| &s.ingress).collect();
    let mut list: Vec<RouteIngress> = existing
        .iter()
        .filter(|i| i.router_name != router)
        .map(|i| (*i).clone())
        .collect();
    for (ip, host) in entries.into_iter().flatten() {
        let host = host.clone().unwrap_or_default();
        let since = existing
            .iter()
            .filter(|i| i.router_name == router && i.host == host)
            .flat_map(|i| &i.conditions)
            .find(|c| c.type_ == "Admitted" && c.status == "True" && c.message.as_deref() == Some(ip))
            .and_then(|c| c.last_transition_time.clone());
        list.push(RouteIngress {
            conditions: vec![RouteCondition {
                type_: "Admitted".to_owned(),
                status: "True".to_owned(),
                reason: reasons.get(&host).cloned(),
                message: Some(ip.clone()),
                last_transition_time: Some(since.unwrap_or_else(|| now.clone())),
            }],
            host,
            router_name: router.to_owned(),
            wildcard_policy: None,
            router_canonical_hostname: None,
        });
    }
    if list.is_empty() {
        return json!({"status": {"ingress": null}});
    }
    json!({"status": {"ingress": list}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(entries: Value) -> Route {
        serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "r.com", "to": {"kind": "Service", "name": "a"}},
            "status": {"ingress": entries}}))
        .unwrap()
    }

    #[test]
    fn a_route_status_keeps_other_routers_and_the_time_of_an_unchanged_entry() {
        let since = "2026-01-02T03:04:05Z";
        let r = route(json!([
            {"host": "r.com", "routerName": "default", "conditions": [{"type": "Admitted", "status": "True"}]},
            {"host": "r.com", "routerName": "ako-c", "conditions": [{"type": "Admitted", "status": "True",
                "message": "1.1.1.1", "lastTransitionTime": since}]},
            {"host": "old.com", "routerName": "ako-c", "conditions": [{"type": "Admitted", "status": "True",
                "message": "1.1.1.1"}]}
        ]));
        assert_eq!(
            route_current(&r, "ako-c"),
            BTreeSet::from([
                ("1.1.1.1".to_owned(), Some("r.com".to_owned())),
                ("1.1.1.1".to_owned(), Some("old.com".to_owned()))
            ])
        );
        let want = BTreeSet::from([
            ("1.1.1.1".to_owned(), Some("r.com".to_owned())),
            ("2.2.2.2".to_owned(), Some("r.com".to_owned())),
        ]);
        let reasons = BTreeMap::from([("r.com".to_owned(), route_reason("cluster-1", "r.com", "vs-1", "admin"))]);
        let now = Time(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let patch = route_status_patch(&r, Some(&want), "ako-c", &reasons, now.clone());
        let list = patch["status"]["ingress"].as_array().unwrap();
        let routers: Vec<&str> = list.iter().map(|e| e["routerName"].as_str().unwrap()).collect();
        assert_eq!(
            routers,
            ["default", "ako-c", "ako-c"],
            "the other router first, ours replaced"
        );
        let ours: Vec<(&str, &str, &str)> = list[1..]
            .iter()
            .map(|e| {
                let c = &e["conditions"][0];
                (
                    e["host"].as_str().unwrap(),
                    c["message"].as_str().unwrap(),
                    c["lastTransitionTime"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ours,
            [
                ("r.com", "1.1.1.1", since),
                ("r.com", "2.2.2.2", "2027-01-15T08:00:00Z")
            ]
        );
        assert_eq!(
            list[1]["conditions"][0]["reason"],
            r#"{"ako.vmware.com/controller-cluster-uuid":"cluster-1","ako.vmware.com/host-fqdn-vs-uuid-map":"{\"r.com\":\"vs-1\"}","ako.vmware.com/tenant-name":"admin"}"#
        );
        // Ours cleared: the other router's entry alone; nothing left: the list removed.
        let cleared = route_status_patch(&r, None, "ako-c", &reasons, now.clone());
        assert_eq!(cleared["status"]["ingress"].as_array().unwrap().len(), 1);
        let alone = route(json!([]));
        assert_eq!(
            route_status_patch(&alone, None, "ako-c", &reasons, now)["status"]["ingress"],
            Value::Null
        );
    }

    #[test]
    fn a_route_not_served_is_refused_once_with_akos_error_name() {
        let r = route(json!([{"host": "r.com", "routerName": "default"}]));
        let refusal = route_refusal(&r, "MultipleBackendsWithSameServiceError: Service \"a\" is named twice");
        assert_eq!(refusal.0, "r.com");
        assert_eq!(refusal.1, "MultipleBackendsWithSameServiceError");
        assert_eq!(
            route_refusal(&r, "host \"x\" is not under any DNS sub-domain").1,
            "NotServed"
        );
        assert!(!route_refused(&r, "ako-c", &refusal));
        let now = Time(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let patch = route_refusal_patch(&r, "ako-c", &refusal, now);
        let refused: Route = serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "r.com", "to": {"kind": "Service", "name": "a"}}, "status": patch["status"]}))
        .unwrap();
        assert!(
            route_refused(&refused, "ako-c", &refusal),
            "written once: then nothing to do"
        );
        assert_eq!(
            refused.status.unwrap().ingress[0].router_name,
            "default",
            "the other router kept"
        );
    }

    /// One pass of the status stage for the Routes: `changes`, then [`patches`].
    fn pass(
        snap: &Snapshot,
        failures: &[Failure],
        ours: &mut BTreeSet<ObjRef>,
    ) -> (Vec<Change>, BTreeMap<ObjRef, Value>) {
        let want = BTreeMap::new();
        let mut changes = crate::status::changes(snap, &want, ours, None, "ako-c");
        let ctx = Context {
            router: "ako-c",
            controller: "cluster-1",
            now: Time(jiff::Timestamp::from_second(1_800_000_000).unwrap()),
        };
        let observed = Observed::new(ako_sync::Owner::new("c"));
        let out = patches(
            snap,
            &mut changes,
            ours,
            &[],
            failures,
            &want,
            None,
            (&Vips::default(), &observed),
            &ctx,
        );
        (changes, out)
    }

    #[test]
    fn a_refusal_is_kept_while_it_applies_and_cleared_after() {
        let mut snap = Snapshot::new();
        let r = route(json!([{"host": "r.com", "routerName": "default"}]));
        snap.insert(r.clone());
        let target = ObjRef::new(Kind::Route, "ns", "r");
        let failure = Failure::new(Kind::Route, "ns", "r", "MultipleBackendsWithSameServiceError: twice");
        let mut ours = BTreeSet::new();
        let (changes, out) = pass(&snap, std::slice::from_ref(&failure), &mut ours);
        assert_eq!(changes, vec![(target.clone(), None)], "refused");
        assert!(ours.contains(&target), "counted as ours");
        // Written: the same failure again changes nothing.
        let written: Route = serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "r.com", "to": {"kind": "Service", "name": "a"}}, "status": out[&target]["status"]}))
        .unwrap();
        snap.insert(written);
        let (changes, _) = pass(&snap, std::slice::from_ref(&failure), &mut ours);
        assert!(changes.is_empty(), "{changes:?}");
        // The failure gone and the Route served nowhere: our refusal is cleared, the other
        // router's entry kept.
        let (changes, out) = pass(&snap, &[], &mut ours);
        assert_eq!(changes, vec![(target.clone(), None)]);
        let routers: Vec<&str> = out[&target]["status"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["routerName"].as_str().unwrap())
            .collect();
        assert_eq!(routers, ["default"]);
    }
}
