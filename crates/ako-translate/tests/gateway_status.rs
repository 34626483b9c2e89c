//! The status ako-rs wants on Gateways and HTTPRoutes in the cases the Gateway API spec (and
//! its conformance suite) names reasons for: a parent ref matching no listener, a listener not
//! allowing the Route, no hostname to route by, a listener whose certificate is missing (its
//! Routes still counted as attached), `allowedRoutes.kinds` naming kinds ako-rs does not serve.

mod common;

use ako_translate::gateway::status::{Programmed, desired_statuses};
use ako_translate::{Settings, Values};
use common::load_snapshot;
use serde_json::Value;

/// Every VsVip has an address, every virtual service a uuid.
struct Live;

impl Programmed for Live {
    fn vip(&self, _tenant: &str, _name: &str) -> Option<String> {
        Some("10.0.0.1".into())
    }

    fn vs_uuid(&self, _tenant: &str, name: &str) -> Option<String> {
        Some(format!("virtualservice-{name}"))
    }
}

const CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: avi-lb}\n\
                     spec: {controllerName: ako.vmware.com/avi-lb}\n";

fn gateway(name: &str, listeners: &str) -> String {
    format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {name}, namespace: infra}}\n\
         spec: {{gatewayClassName: avi-lb, listeners: {listeners}}}\n"
    )
}

fn route(name: &str, ns: &str, parent: &str, hostnames: &str) -> String {
    format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}}}\n\
         spec: {{parentRefs: [{parent}], hostnames: {hostnames}, rules: [{{backendRefs: [{{name: web, port: 80}}]}}]}}\n"
    )
}

/// The statuses of `docs` (after the class and namespaces `infra` and `apps`).
fn statuses(docs: &str) -> Vec<(String, Value)> {
    let text = format!(
        "{CLASS}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: infra}}\n\
         ---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: apps, labels: {{team: apps}}}}\n{docs}"
    );
    let snap = load_snapshot(&text, None);
    let values = Values::from_yaml(
        "AKOSettings: {clusterName: c1}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}\nfeatureGates: {GatewayAPI: true}\n",
    ).unwrap();
    let settings = Settings::from_values(&values).unwrap();
    desired_statuses(&snap, &settings, &Live)
        .into_iter()
        .map(|(k, v)| (format!("{} {}", k.kind.as_str(), k.key.name), v))
        .collect()
}

fn status<'a>(all: &'a [(String, Value)], object: &str) -> &'a Value {
    &all.iter()
        .find(|(k, _)| k == object)
        .unwrap_or_else(|| panic!("no status for {object}: {all:?}"))
        .1
}

/// The `(status, reason)` of condition `type_` in `conditions`.
fn condition(conditions: &Value, type_: &str) -> (String, String) {
    let c = conditions
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == type_)
        .unwrap_or_else(|| panic!("no {type_} in {conditions}"));
    (
        c["status"].as_str().unwrap().to_owned(),
        c["reason"].as_str().unwrap().to_owned(),
    )
}

/// The `Accepted` of HTTPRoute `route`'s first parent.
fn route_accepted(all: &[(String, Value)], route: &str) -> (String, String) {
    condition(
        &status(all, &format!("HTTPRoute {route}"))["parents"][0]["conditions"],
        "Accepted",
    )
}

fn is(status: &str, reason: &str) -> (String, String) {
    (status.to_owned(), reason.to_owned())
}

#[test]
fn a_route_not_served_says_why_by_the_specs_reason() {
    let docs = [
        gateway(
            "gw",
            "[{name: http, protocol: HTTP, port: 80, hostname: shop.example.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: apps}}}}}]",
        ),
        gateway("open", "[{name: http, protocol: HTTP, port: 80}]"),
        route("wrong-section", "apps", "{name: gw, namespace: infra, sectionName: https}", "[]"),
        route("not-allowed", "infra", "{name: gw}", "[]"),
        route("other-host", "apps", "{name: gw, namespace: infra}", "[api.example.com]"),
        route("no-host", "infra", "{name: open}", "[]"),
        route("served", "apps", "{name: gw, namespace: infra}", "[]"),
    ]
    .concat();
    let all = statuses(&docs);
    let accepted = |r: &str| route_accepted(&all, r);
    assert_eq!(accepted("wrong-section"), is("False", "NoMatchingParent"));
    assert_eq!(accepted("not-allowed"), is("False", "NotAllowedByListeners"));
    assert_eq!(accepted("other-host"), is("False", "NoMatchingListenerHostname"));
    assert_eq!(accepted("no-host"), is("False", "NoMatchingListenerHostname"));
    assert_eq!(
        accepted("served"),
        is("True", "Accepted"),
        "the listener's hostname serves it"
    );
    // Attached: selected by a parent ref and allowed, hostnames aside (the spec's rule).
    let gw = status(&all, "Gateway gw");
    assert_eq!(gw["listeners"][0]["attachedRoutes"], 2, "{gw}");
    assert_eq!(status(&all, "Gateway open")["listeners"][0]["attachedRoutes"], 1);
}

#[test]
fn routes_attach_to_a_listener_whose_certificate_is_missing() {
    let docs = [
        gateway(
            "tls",
            "[{name: https, protocol: HTTPS, port: 443, hostname: a.example.com, tls: {certificateRefs: [{name: missing}]}}]",
        ),
        route("r", "infra", "{name: tls, sectionName: https}", "[]"),
    ]
    .concat();
    let all = statuses(&docs);
    let listener = &status(&all, "Gateway tls")["listeners"][0];
    assert_eq!(listener["attachedRoutes"], 1, "{listener}");
    assert_eq!(
        condition(&listener["conditions"], "ResolvedRefs"),
        is("False", "InvalidCertificateRef")
    );
    let accepted = route_accepted(&all, "r");
    assert_eq!(accepted.0, "False", "not served while its listener is not");
}

#[test]
fn route_kinds_not_served_are_named_on_the_listener() {
    let docs = [
        gateway(
            "only-invalid",
            "[{name: http, protocol: HTTP, port: 80, allowedRoutes: {kinds: [{kind: InvalidRoute}]}}]",
        ),
        gateway(
            "mixed",
            "[{name: http, protocol: HTTP, port: 80, allowedRoutes: {kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}}]",
        ),
    ]
    .concat();
    let all = statuses(&docs);
    let only = &status(&all, "Gateway only-invalid")["listeners"][0];
    assert_eq!(only["supportedKinds"], serde_json::json!([]));
    assert_eq!(
        condition(&only["conditions"], "ResolvedRefs"),
        is("False", "InvalidRouteKinds")
    );
    let mixed = &status(&all, "Gateway mixed")["listeners"][0];
    assert_eq!(mixed["supportedKinds"][0]["kind"], "HTTPRoute");
    assert_eq!(
        condition(&mixed["conditions"], "ResolvedRefs"),
        is("False", "InvalidRouteKinds")
    );
    assert_eq!(
        condition(&mixed["conditions"], "Programmed").0,
        "True",
        "HTTPRoutes are still served"
    );
}

#[test]
fn a_dedicated_gateway_takes_one_route_without_hostnames() {
    let dedicated = |name: &str, listeners: &str| {
        gateway(name, listeners).replace(
            "namespace: infra}",
            "namespace: infra, annotations: {ako.vmware.com/dedicated-gateway-mode: 'true'}}",
        )
    };
    let docs = [
        dedicated(
            "ded",
            "[{name: http, protocol: HTTP, port: 80}, {name: named, protocol: HTTP, port: 8080, hostname: a.example.com}]",
        ),
        route("first", "infra", "{name: ded, sectionName: http}", "[]"),
        route("second", "infra", "{name: ded, sectionName: http}", "[]"),
        route("with-host", "infra", "{name: ded, sectionName: http}", "[b.example.com]"),
    ]
    .concat();
    let all = statuses(&docs);
    let accepted = |r: &str| route_accepted(&all, r);
    assert_eq!(accepted("first"), is("True", "Accepted"));
    assert_eq!(
        accepted("second"),
        is("False", "UnsupportedValue"),
        "one Route per dedicated Gateway"
    );
    assert_eq!(accepted("with-host"), is("False", "UnsupportedValue"));
    let listeners = &status(&all, "Gateway ded")["listeners"];
    assert_eq!(
        condition(&listeners[0]["conditions"], "Accepted"),
        is("True", "Accepted")
    );
    assert_eq!(
        condition(&listeners[1]["conditions"], "Accepted"),
        is("False", "Invalid"),
        "no listener hostname in dedicated mode"
    );
}
