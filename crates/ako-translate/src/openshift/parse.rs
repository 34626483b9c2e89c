//! Which Routes AKO serves and what it reads from them (`ParseHostPathForRoute`): the host
//! (or `<subdomain>.<defaultDomain>`), one backend per Service with its weight, and the TLS
//! termination, as a [`ParsedIngress`] of kind Route.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::api::{Route, RouteTarget};
use crate::checksum::TargetPort;
use crate::ingress::{
    CertSource, HostPaths, InsecurePolicy, ParsedIngress, PathBackend, Reencrypt, RuleCert, rule_cert,
};
use crate::key::{Kind, NsName};
use crate::model::{CloudFacts, Failure};
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The Secret of the AKO namespace whose certificate serves TLS Routes without one of their own.
pub const ROUTER_DEFAULT_SECRET: &str = "router-certs-default";

/// The weight of a backend that sets none.
const DEFAULT_WEIGHT: u32 = 100;

/// The host a Route serves: `spec.host`, else `<subdomain>.<defaultDomain>`; `None` when it has
/// neither.
pub fn route_host(route: &Route, settings: &Settings) -> Option<String> {
    let spec = &route.spec;
    if let Some(h) = spec.host.as_deref().filter(|h| !h.is_empty()) {
        return Some(h.to_owned());
    }
    let sub = spec.subdomain.as_deref().filter(|s| !s.is_empty())?;
    let domain = settings.default_domain.as_deref().filter(|d| !d.is_empty())?;
    Some(if domain.starts_with('.') {
        format!("{sub}{domain}")
    } else {
        format!("{sub}.{domain}")
    })
}

/// Every Route AKO would serve (of those `keep` selects), parsed, in namespace/name order;
/// problems become failures.
pub fn accepted_routes(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    keep: &dyn Fn(&NsName, &Route) -> bool,
    failures: &mut Vec<Failure>,
) -> Vec<ParsedIngress> {
    let mut domains = cloud.dns_domains.clone();
    domains.sort();
    let mut out = Vec::new();
    for (key, route) in snap.routes.iter().filter(|(k, r)| keep(k, r)) {
        let ns = key.namespace.as_str();
        if !namespace_accepted(snap, settings, ns) {
            continue;
        }
        let mut fail = |message: String| failures.push(Failure::of_served(Kind::Route, ns, &key.name, message));
        let tenant = tenant_of(snap, settings, ns);
        if let Some(p) = parse(snap, settings, key, route, &domains, &tenant, cloud, &mut fail) {
            out.push(p);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn parse(
    snap: &Snapshot,
    settings: &Settings,
    key: &NsName,
    route: &Route,
    domains: &[String],
    tenant: &str,
    cloud: &CloudFacts,
    fail: &mut impl FnMut(String),
) -> Option<ParsedIngress> {
    let (ns, name) = (key.namespace.as_str(), key.name.as_str());
    let spec = &route.spec;
    let Some(host) = route_host(route, settings) else {
        fail(if spec.subdomain.as_deref().is_some_and(|s| !s.is_empty()) {
            "spec.subdomain is set but there is no defaultDomain (NetworkSettings.defaultDomain) to put it under: the Route is not served; set spec.host or defaultDomain".to_owned()
        } else {
            "the Route has neither spec.host nor spec.subdomain: it is not served".to_owned()
        });
        return None;
    };
    if !domains.is_empty() && !domains.iter().any(|d| host.ends_with(d.as_str())) {
        fail(format!(
            "host {host:?} is not under any DNS sub-domain of the cloud ({}): it is not served",
            domains.join(", ")
        ));
        return None;
    }
    // One Service may be named once: AKO serves none of a Route naming one twice.
    let targets: Vec<&RouteTarget> = std::iter::once(&spec.to).chain(&spec.alternate_backends).collect();
    let mut seen = BTreeSet::new();
    if let Some(dup) = targets.iter().find(|t| !seen.insert(t.name.as_str())) {
        fail(format!(
            "MultipleBackendsWithSameServiceError: Service {:?} is named more than once in spec.to and spec.alternateBackends: the Route is not served; name each Service once",
            dup.name
        ));
        return None;
    }
    for t in &targets {
        if !t.kind.is_empty() && t.kind != "Service" {
            fail(format!(
                "backend {:?} is a {}: only Services are served (it is read as the Service of that name)",
                t.name, t.kind
            ));
        }
        if snap.service(ns, &t.name).is_none() {
            fail(format!(
                "Service {ns}/{} (backend of {host}) does not exist: its pool has no servers until it is created",
                t.name
            ));
        }
    }
    let path = spec.path.clone().unwrap_or_default();
    // The port applies to `spec.to` only (AKO does not carry it to the alternates).
    let (port_name, target) = match spec.port.as_ref().map(|p| &p.target_port) {
        Some(IntOrString::Int(i)) => (String::new(), *i),
        Some(IntOrString::String(s)) => (s.clone(), 0),
        None => (String::new(), 0),
    };
    let paths = targets
        .iter()
        .enumerate()
        .map(|(i, t)| PathBackend {
            path: path.clone(),
            exact: false,
            service: t.name.clone(),
            port: 0,
            port_name: if i == 0 { port_name.clone() } else { String::new() },
            target_port: TargetPort::Int(if i == 0 { target } else { 0 }),
            weight: t.weight.map_or(DEFAULT_WEIGHT, |w| u32::try_from(w).unwrap_or(0)),
        })
        .collect();
    let hp = HostPaths {
        host: host.clone(),
        paths,
        generated: false,
    };
    let mut parsed = ParsedIngress {
        kind: Kind::Route,
        namespace: ns.to_owned(),
        name: name.to_owned(),
        insecure: Vec::new(),
        tls: Vec::new(),
        rule_tls: Vec::new(),
        passthrough: Vec::new(),
        reencrypt: None,
        insecure_policy: InsecurePolicy::Redirect,
    };
    let Some(tls) = spec.tls.as_ref() else {
        // A HostRule's certificate makes an insecure Route secure.
        match rule_cert(snap, settings, cloud, tenant, &host) {
            RuleCert::Controller => parsed.rule_tls.push(hp),
            RuleCert::Secret(s) => parsed.tls.push((CertSource::Secret(s), hp)),
            RuleCert::None => parsed.insecure.push(hp),
        }
        return Some(parsed);
    };
    let policy = tls.insecure_edge_termination_policy.as_deref().unwrap_or("");
    let termination = tls.termination.to_ascii_lowercase();
    if termination == "passthrough" {
        parsed.passthrough.push(hp);
        return Some(parsed);
    }
    if termination != "edge" && termination != "reencrypt" {
        fail(format!(
            "spec.tls.termination {:?} is not edge, reencrypt or passthrough: the Route is not served",
            tls.termination
        ));
        return None;
    }
    parsed.insecure_policy = match policy.to_ascii_lowercase().as_str() {
        "redirect" => InsecurePolicy::Redirect,
        "allow" => InsecurePolicy::Allow,
        "none" => InsecurePolicy::None,
        _ => InsecurePolicy::Unset,
    };
    // `Allow` also serves the host over HTTP, on the shared VS.
    if parsed.insecure_policy == InsecurePolicy::Allow {
        parsed.insecure.push(hp.clone());
    }
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    match rule_cert(snap, settings, cloud, tenant, &host) {
        // A HostRule's certificate replaces the Route's, and its edge/reencrypt settings.
        RuleCert::Controller => parsed.rule_tls.push(hp),
        RuleCert::Secret(s) => parsed.tls.push((CertSource::Secret(s), hp)),
        RuleCert::None => {
            let source = if tls.has_own_certificate() {
                CertSource::Inline {
                    certificate: text(&tls.certificate),
                    key: text(&tls.key),
                    ca: text(&tls.ca_certificate),
                }
            } else {
                CertSource::RouterDefault(NsName::new(&settings.ako_namespace, ROUTER_DEFAULT_SECRET))
            };
            parsed.tls.push((source, hp));
            if termination == "reencrypt" {
                parsed.reencrypt = Some(Reencrypt {
                    destination_ca: text(&tls.destination_ca_certificate),
                });
            }
        }
    }
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::settings::Values;

    fn settings(extra: &str) -> Settings {
        let text = format!(
            "AKOSettings:\n  clusterName: c\nNetworkSettings:\n  vipNetworkList: [{{networkName: n}}]\n{extra}"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    fn route(spec: serde_json::Value) -> Route {
        serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"}, "spec": spec})).unwrap()
    }

    fn parsed(snap: &Snapshot, settings: &Settings) -> (Vec<ParsedIngress>, Vec<Failure>) {
        let mut failures = Vec::new();
        let cloud = CloudFacts::default();
        let out = accepted_routes(snap, settings, &cloud, &|_, _| true, &mut failures);
        (out, failures)
    }

    #[test]
    fn a_subdomain_goes_under_the_default_domain() {
        let r = route(json!({"subdomain": "app", "to": {"kind": "Service", "name": "a"}}));
        assert_eq!(route_host(&r, &settings("")), None);
        let dotted = settings("L4Settings:\n  defaultDomain: .example.com\n");
        assert_eq!(route_host(&r, &dotted).as_deref(), Some("app.example.com"));
        let plain = settings("L4Settings:\n  defaultDomain: example.com\n");
        assert_eq!(route_host(&r, &plain).as_deref(), Some("app.example.com"));
        // Without either, the Route is not served, and says so.
        let (out, failures) = parsed(&Snapshot::new().with(r), &settings(""));
        assert!(out.is_empty());
        assert!(failures[0].message.contains("defaultDomain"), "{failures:?}");
        assert!(!failures[0].keeps_objects);
    }

    #[test]
    fn backends_carry_their_weights_and_a_service_named_twice_is_refused() {
        let r = route(
            json!({"host": "h.com", "to": {"kind": "Service", "name": "a", "weight": 0},
            "port": {"targetPort": "web"},
            "alternateBackends": [{"kind": "Service", "name": "b"}]}),
        );
        let (out, _) = parsed(&Snapshot::new().with(r), &settings(""));
        let paths = &out[0].insecure[0].paths;
        let got: Vec<(&str, u32, &str)> = paths
            .iter()
            .map(|p| (p.service.as_str(), p.weight, p.port_name.as_str()))
            .collect();
        assert_eq!(
            got,
            [("a", 0, "web"), ("b", 100, "")],
            "the port is the first backend's only"
        );
        let twice = route(json!({"host": "h.com", "to": {"kind": "Service", "name": "a"},
            "alternateBackends": [{"kind": "Service", "name": "a"}]}));
        let (out, failures) = parsed(&Snapshot::new().with(twice), &settings(""));
        assert!(out.is_empty());
        assert!(
            failures
                .iter()
                .any(|f| f.message.starts_with("MultipleBackendsWithSameServiceError"))
        );
    }

    #[test]
    fn tls_terminations_and_policies() {
        let edge = |policy: &str, cert: bool| {
            let mut tls = json!({"termination": "edge", "insecureEdgeTerminationPolicy": policy});
            if cert {
                tls["certificate"] = json!("-----BEGIN CERTIFICATE-----");
                tls["key"] = json!("-----BEGIN PRIVATE KEY-----");
            }
            route(json!({"host": "h.com", "to": {"kind": "Service", "name": "a"}, "tls": tls}))
        };
        let one = |r: Route| parsed(&Snapshot::new().with(r), &settings("")).0.remove(0);
        let allow = one(edge("Allow", true));
        assert_eq!((allow.insecure.len(), allow.tls.len()), (1, 1), "Allow: HTTP and HTTPS");
        assert!(matches!(allow.tls[0].0, CertSource::Inline { .. }));
        let none = one(edge("None", false));
        assert_eq!(none.insecure_policy, InsecurePolicy::None);
        assert_eq!(
            none.tls[0].0,
            CertSource::RouterDefault(NsName::new("avi-system", ROUTER_DEFAULT_SECRET))
        );
        assert_eq!(one(edge("", true)).insecure_policy, InsecurePolicy::Unset);
        let pass = route(json!({"host": "h.com", "to": {"kind": "Service", "name": "a"},
            "tls": {"termination": "passthrough"}}));
        assert_eq!(one(pass).passthrough.len(), 1);
        let reenc = route(json!({"host": "h.com", "to": {"kind": "Service", "name": "a"},
            "tls": {"termination": "reencrypt", "destinationCACertificate": "CA"}}));
        assert_eq!(one(reenc).reencrypt.map(|r| r.destination_ca).as_deref(), Some("CA"));
        let odd = route(json!({"host": "h.com", "to": {"kind": "Service", "name": "a"},
            "tls": {"termination": "sideways"}}));
        let (out, failures) = parsed(&Snapshot::new().with(odd), &settings(""));
        assert!(out.is_empty() && failures.iter().any(|f| f.message.contains("\"sideways\"")));
    }
}
