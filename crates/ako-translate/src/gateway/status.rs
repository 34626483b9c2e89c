//! The status of Gateway API objects, as the spec wants it and AKO's container writes it:
//! GatewayClass `Accepted`; Gateway `Accepted`/`Programmed` with its VIP in `addresses` and,
//! per listener, `Accepted`/`ResolvedRefs`/`Programmed`, its supported kinds and the number of
//! Routes attached; HTTPRoute, per Gateway of ours it names, `Accepted` (the uuids of its
//! children) and `ResolvedRefs`. `observedGeneration` everywhere.
//!
//! Pure: what the controller holds (VIPs, virtual service uuids) comes in through
//! [`Programmed`]. Conditions carry no `lastTransitionTime` here: [`with_transition_times`]
//! keeps the written one while a condition's status stays, and stamps the others.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::api::{HttpRoute, ParentReference};
use super::attach::{Attached, GATEWAY_GROUP, ListenerProblem, invalid_route_kinds};
use super::grants::servable;
use super::naming::{GatewayNamer, RuleOf, rule_key, rule_label};
use super::{GATEWAY_CONTROLLER, gateway_model_key, served_class};
use crate::key::{Kind, NsName, ObjRef};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// What the controller holds that statuses report.
pub trait Programmed {
    /// The address of VsVip `name` of `tenant`, once it has one.
    fn vip(&self, tenant: &str, name: &str) -> Option<String>;
    /// The uuid of virtual service `name` of `tenant`, once it exists.
    fn vs_uuid(&self, tenant: &str, name: &str) -> Option<String>;
}

/// One condition, without its transition time.
fn condition(type_: &str, ok: bool, reason: &str, message: &str, generation: Option<i64>) -> Value {
    json!({
        "type": type_,
        "status": if ok { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    })
}

/// The message of a listener's `ResolvedRefs` when its references are served.
const LISTENER_RESOLVED: &str = "All the references are valid";
/// AKO's other message for it, after an event of the listener's Secret.
const AKO_LISTENER_RESOLVED: &str = "Reference is valid";

/// A listener's `ResolvedRefs` when its certificates (if any) are served.
fn listener_refs_resolved(generation: Option<i64>) -> Value {
    condition("ResolvedRefs", true, "ResolvedRefs", LISTENER_RESOLVED, generation)
}

/// A listener's `ResolvedRefs` when `allowedRoutes.kinds` names kinds ako-rs does not serve.
fn kinds_refused(kinds: &str, generation: Option<i64>) -> Value {
    condition(
        "ResolvedRefs",
        false,
        "InvalidRouteKinds",
        &format!("Route kinds {kinds} are not supported: ako-rs serves HTTPRoute ({GATEWAY_GROUP})"),
        generation,
    )
}

/// A listener's supported kinds and conditions when its certificates are not served (`reason`).
fn certificate_refused(reason: &str, why: &str, generation: Option<i64>) -> (Value, Vec<Value>) {
    (
        json!([{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]),
        vec![
            condition("Accepted", true, "Accepted", "Listener is valid", generation),
            condition("ResolvedRefs", false, reason, why, generation),
            condition("Programmed", false, "Invalid", "the listener is not served", generation),
        ],
    )
}

/// The status ako-rs wants on each Gateway API object of its controller, by object.
pub fn desired_statuses(snap: &Snapshot, settings: &Settings, programmed: &dyn Programmed) -> BTreeMap<ObjRef, Value> {
    let mut out = BTreeMap::new();
    if !settings.gateway_api {
        return out;
    }
    for (key, class) in &snap.gateway_classes {
        if class.spec.controller_name == GATEWAY_CONTROLLER {
            let generation = class.metadata.generation;
            out.insert(
                ObjRef::new(Kind::GatewayClass, "", &key.name),
                json!({"conditions": [condition("Accepted", true, "Accepted", "GatewayClass is valid", generation)]}),
            );
        }
    }
    let namer = GatewayNamer::new(&settings.cluster_name);
    let mut route_parents: BTreeMap<&NsName, Vec<Value>> = BTreeMap::new();
    for (key, gateway) in snap.gateways.iter().filter(|(_, g)| served_class(snap, g)) {
        let attached = Attached::of(snap, key, gateway);
        let model = gateway_model_key(snap, settings, key);
        let generation = gateway.metadata.generation;
        let vip = programmed.vip(&model.tenant, &model.vs);
        let uuid = programmed.vs_uuid(&model.tenant, &model.vs);
        let live = vip.is_some() && uuid.is_some() && !attached.listeners.is_empty();
        let vs_message = uuid
            .as_ref()
            .map(|u| json!({"VSUUID": u}).to_string())
            .unwrap_or_default();
        let programmed_condition = |generation| {
            if live {
                condition("Programmed", true, "Programmed", &vs_message, generation)
            } else if attached.listeners.is_empty() {
                condition("Programmed", false, "Invalid", "no listener can be served", generation)
            } else {
                condition(
                    "Programmed",
                    false,
                    "Pending",
                    "waiting for the virtual service and its address",
                    generation,
                )
            }
        };
        let listeners: Vec<Value> = gateway
            .spec
            .listeners
            .iter()
            .map(|l| {
                let problem = attached.refused.iter().find(|(n, _)| *n == l.name).map(|(_, p)| p);
                let attached_routes = attached
                    .bindings
                    .iter()
                    .filter(|b| b.listeners.contains(&l.name.as_str()))
                    .count();
                let invalid_kinds = invalid_route_kinds(l);
                let (kinds, conditions) = match problem {
                    None => (
                        json!([{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]),
                        vec![
                            condition("Accepted", true, "Accepted", "Listener is valid", generation),
                            if invalid_kinds.is_empty() {
                                listener_refs_resolved(generation)
                            } else {
                                kinds_refused(&invalid_kinds.join(", "), generation)
                            },
                            programmed_condition(generation),
                        ],
                    ),
                    Some(ListenerProblem::Dedicated(why)) => (
                        json!([{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]),
                        vec![
                            condition("Accepted", false, "Invalid", why, generation),
                            listener_refs_resolved(generation),
                            condition("Programmed", false, "Invalid", "the listener is not served", generation),
                        ],
                    ),
                    Some(ListenerProblem::InvalidRouteKinds(kinds)) => (
                        json!([]),
                        vec![
                            condition("Accepted", true, "Accepted", "Listener is valid", generation),
                            kinds_refused(kinds, generation),
                            condition("Programmed", false, "Invalid", "the listener is not served", generation),
                        ],
                    ),
                    Some(ListenerProblem::UnsupportedProtocol(p)) => (
                        json!([]),
                        vec![
                            condition(
                                "Accepted",
                                false,
                                "UnsupportedProtocol",
                                &format!("protocol {p} is not supported: use HTTP or HTTPS"),
                                generation,
                            ),
                            listener_refs_resolved(generation),
                            condition("Programmed", false, "Invalid", "the listener is not served", generation),
                        ],
                    ),
                    Some(ListenerProblem::InvalidCertificateRef(why)) => {
                        certificate_refused("InvalidCertificateRef", why, generation)
                    }
                    Some(ListenerProblem::RefNotPermitted(why)) => {
                        certificate_refused("RefNotPermitted", why, generation)
                    }
                };
                json!({
                    "name": l.name,
                    "supportedKinds": kinds,
                    "attachedRoutes": attached_routes,
                    "conditions": conditions,
                })
            })
            .collect();
        let accepted = if attached.listeners.is_empty() {
            condition(
                "Accepted",
                false,
                "ListenersNotValid",
                "no listener can be served",
                generation,
            )
        } else {
            condition(
                "Accepted",
                true,
                "Accepted",
                "Gateway configuration is valid",
                generation,
            )
        };
        let addresses: Vec<Value> = vip.iter().map(|ip| json!({"type": "IPAddress", "value": ip})).collect();
        out.insert(
            ObjRef::new(Kind::Gateway, &key.namespace, &key.name),
            json!({
                "addresses": addresses,
                "conditions": [accepted, programmed_condition(generation)],
                "listeners": listeners,
            }),
        );
        // The parents' entries of every Route naming this Gateway.
        for (rkey, route) in &snap.http_routes {
            for parent in route
                .spec
                .parent_refs
                .iter()
                .filter(|p| attached.is_named_by(p, &rkey.namespace))
            {
                let entry = route_parent(snap, &namer, &model.tenant, programmed, &attached, rkey, route, parent);
                route_parents.entry(rkey).or_default().push(entry);
            }
        }
    }
    for (rkey, parents) in route_parents {
        out.insert(
            ObjRef::new(Kind::HttpRoute, &rkey.namespace, &rkey.name),
            json!({"parents": parents}),
        );
    }
    out
}

/// The `status.parents[]` entry of Route `rkey` for one of its parent refs, a Gateway of ours.
#[allow(clippy::too_many_arguments)]
fn route_parent(
    snap: &Snapshot,
    namer: &GatewayNamer,
    tenant: &str,
    programmed: &dyn Programmed,
    attached: &Attached<'_>,
    rkey: &NsName,
    route: &HttpRoute,
    parent: &ParentReference,
) -> Value {
    let generation = route.metadata.generation;
    let refusal = attached
        .bindings
        .iter()
        .find(|b| b.namespace == rkey.namespace && b.name == rkey.name)
        .and_then(|b| b.refusal.as_ref());
    let accepted = match refusal {
        // A dedicated Gateway has no child per rule: AKO says the parent reference is valid.
        None if attached.dedicated => condition("Accepted", true, "Accepted", "Parent reference is valid", generation),
        None => {
            let children: BTreeMap<String, String> = route
                .spec
                .rules
                .iter()
                .filter_map(|rule| {
                    let key = rule_key(rule);
                    let child = namer.child(RuleOf {
                        gateway_ns: attached.namespace,
                        gateway: attached.name,
                        route_ns: &rkey.namespace,
                        route: &rkey.name,
                        rule_key: &key,
                    });
                    Some((rule_label(rule), programmed.vs_uuid(tenant, &child)?))
                })
                .collect();
            let message = serde_json::to_string(&children).unwrap_or_default();
            condition("Accepted", true, "Accepted", &message, generation)
        }
        Some((reason, message)) => condition("Accepted", false, reason, message, generation),
    };
    let backends = route.spec.rules.iter().flat_map(|r| &r.backend_refs);
    let refused: Vec<String> = backends
        .clone()
        .filter(|b| !servable(snap, b, &rkey.namespace))
        .map(|b| format!("{}/{}", b.namespace.as_deref().unwrap_or(&rkey.namespace), b.name))
        .collect();
    let missing: Vec<String> = backends
        .filter(|b| servable(snap, b, &rkey.namespace))
        .map(|b| (b.namespace.as_deref().unwrap_or(&rkey.namespace), b.name.as_str()))
        .filter(|(ns, name)| snap.service(ns, name).is_none())
        .map(|(ns, name)| format!("{ns}/{name}"))
        .collect();
    let resolved = if !refused.is_empty() {
        condition(
            "ResolvedRefs",
            false,
            "RefNotPermitted",
            &format!(
                "backend {} is not permitted: a Service of another namespace needs a ReferenceGrant \
                 there allowing HTTPRoutes of this namespace, and only Services are served",
                refused.join(", ")
            ),
            generation,
        )
    } else if !missing.is_empty() {
        condition(
            "ResolvedRefs",
            false,
            "BackendNotFound",
            &format!(
                "Service {} does not exist: its backend gets no traffic",
                missing.join(", ")
            ),
            generation,
        )
    } else {
        condition("ResolvedRefs", true, "ResolvedRefs", "", generation)
    };
    // A Route refused as a whole carries that refusal alone (as AKO writes it).
    let conditions = match refusal {
        Some(("UnsupportedValue", _)) => vec![accepted],
        _ => vec![accepted, resolved],
    };
    let mut parent_ref = json!({
        "group": parent.group.as_deref().unwrap_or(GATEWAY_GROUP),
        "kind": parent.kind.as_deref().unwrap_or("Gateway"),
        "name": parent.name,
        "namespace": parent.namespace.as_deref().unwrap_or(&rkey.namespace),
    });
    if let Some(s) = &parent.section_name {
        parent_ref["sectionName"] = json!(s);
    }
    if let Some(p) = parent.port {
        parent_ref["port"] = json!(p);
    }
    json!({
        "parentRef": parent_ref,
        "controllerName": GATEWAY_CONTROLLER,
        "conditions": conditions,
    })
}

/// `want` with `lastTransitionTime` on every condition: the one `current` has for the same
/// condition (same place, type and status), else `now`. An HTTPRoute's entries of other
/// controllers in `current` are kept, after ours.
pub fn with_transition_times(mut want: Value, current: Option<&Value>, now: &str) -> Value {
    stamp(&mut want, current.unwrap_or(&Value::Null), now);
    if let (Some(Value::Array(ours)), Some(Value::Array(theirs))) =
        (want.get_mut("parents"), current.and_then(|c| c.get("parents")))
    {
        ours.extend(
            theirs
                .iter()
                .filter(|p| p.get("controllerName").and_then(Value::as_str) != Some(GATEWAY_CONTROLLER))
                .cloned(),
        );
    }
    want
}

/// Stamp the conditions in `want` (recursively through `listeners` and `parents`, matched to
/// `current`'s by name or parent ref).
fn stamp(want: &mut Value, current: &Value, now: &str) {
    if let Some(Value::Array(conditions)) = want.get_mut("conditions") {
        for c in conditions {
            let same = current
                .get("conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|o| o.get("type") == c.get("type") && o.get("status") == c.get("status"));
            let time = same
                .and_then(|o| o.get("lastTransitionTime"))
                .cloned()
                .unwrap_or_else(|| json!(now));
            c["lastTransitionTime"] = time;
            // AKO's other wording of a resolved listener (written when its Secret's event came
            // after the Gateway's) is kept: the same condition, not a status to rewrite.
            if c["message"] == LISTENER_RESOLVED
                && same.is_some_and(|o| o.get("reason") == c.get("reason") && o["message"] == AKO_LISTENER_RESOLVED)
            {
                c["message"] = json!(AKO_LISTENER_RESOLVED);
            }
        }
    }
    for (list, id) in [("listeners", "name"), ("parents", "parentRef")] {
        if let Some(Value::Array(items)) = want.get_mut(list) {
            for item in items {
                let before = current
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|o| o.get(id) == item.get(id))
                    .cloned()
                    .unwrap_or(Value::Null);
                stamp(item, &before, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_times_are_kept_while_a_condition_holds() {
        let current = json!({"conditions": [
            {"type": "Accepted", "status": "True", "lastTransitionTime": "t0"},
            {"type": "Programmed", "status": "False", "lastTransitionTime": "t0"}],
            "listeners": [{"name": "http", "conditions": [{"type": "Accepted", "status": "True", "lastTransitionTime": "t0"}]}]});
        let want = json!({"conditions": [
            {"type": "Accepted", "status": "True"}, {"type": "Programmed", "status": "True"}],
            "listeners": [{"name": "http", "conditions": [{"type": "Accepted", "status": "True"}]}]});
        let got = with_transition_times(want, Some(&current), "t1");
        assert_eq!(got["conditions"][0]["lastTransitionTime"], "t0");
        assert_eq!(got["conditions"][1]["lastTransitionTime"], "t1");
        assert_eq!(got["listeners"][0]["conditions"][0]["lastTransitionTime"], "t0");
    }

    #[test]
    fn akos_other_wording_of_a_resolved_listener_is_kept() {
        let resolved = |message: &str| {
            json!({"listeners": [{"name": "https", "conditions": [
            {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": message}]}]})
        };
        let got = with_transition_times(
            resolved(LISTENER_RESOLVED),
            Some(&resolved(AKO_LISTENER_RESOLVED)),
            "t1",
        );
        assert_eq!(got["listeners"][0]["conditions"][0]["message"], AKO_LISTENER_RESOLVED);
        let got = with_transition_times(resolved(LISTENER_RESOLVED), Some(&resolved("something else")), "t1");
        assert_eq!(got["listeners"][0]["conditions"][0]["message"], LISTENER_RESOLVED);
    }

    #[test]
    fn other_controllers_parent_entries_are_kept() {
        let current = json!({"parents": [
            {"controllerName": "example.com/other", "parentRef": {"name": "x"}},
            {"controllerName": GATEWAY_CONTROLLER, "parentRef": {"name": "gw"}}]});
        let want =
            json!({"parents": [{"controllerName": GATEWAY_CONTROLLER, "parentRef": {"name": "gw"}, "conditions": []}]});
        let got = with_transition_times(want, Some(&current), "t1");
        let names: Vec<&str> = got["parents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["parentRef"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["gw", "x"]);
    }
}
