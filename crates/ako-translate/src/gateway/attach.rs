//! Which listeners of a Gateway are served and which HTTPRoutes attach to them, with the
//! hosts and ports each Route gets: what the Gateway's objects and statuses are built from.

use super::api::{Gateway, GroupKind, HttpRoute, Listener, ParentReference};
use super::dedicated::{self, is_dedicated};
use super::grants::secret_usable;
use super::selector;
use crate::key::NsName;
use crate::l7::secret_pair;
use crate::snapshot::Snapshot;

/// The API group of Gateways and Routes.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// A Gateway with what it serves.
pub(super) struct Attached<'a> {
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
    /// The listeners served, in spec order.
    pub(super) listeners: Vec<&'a Listener>,
    /// Why each listener that is not served is not (its name, the reason).
    pub(super) refused: Vec<(&'a str, ListenerProblem)>,
    /// The static VIP asked for (`spec.addresses[0]` of type IPAddress).
    pub(super) address: Option<&'a str>,
    /// In AKO's dedicated mode ([`super::dedicated`]).
    pub(super) dedicated: bool,
    /// The listeners' certificates: Secret namespace, name, (certificate, key).
    pub(super) certificates: Vec<(String, String, (String, String))>,
    /// The Routes attached to a served listener, by namespace and name.
    pub(super) routes: Vec<AttachedRoute<'a>>,
    /// Every Route naming this Gateway, served or not: what its status reports.
    pub(super) bindings: Vec<Binding<'a>>,
}

/// How an HTTPRoute naming a Gateway is bound to it.
pub(super) struct Binding<'a> {
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
    /// The listeners (served or not) that its parent refs select and whose `allowedRoutes` take
    /// it: the spec's attachment, which `attachedRoutes` counts (hostnames play no part).
    pub(super) listeners: Vec<&'a str>,
    /// Why it is not served (the `Accepted` reason and message), when it is not.
    pub(super) refusal: Option<(&'static str, String)>,
}

/// An HTTPRoute attached to a Gateway.
pub(super) struct AttachedRoute<'a> {
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
    pub(super) route: &'a HttpRoute,
    /// Its hosts that the listeners it attached to accept (sorted).
    pub(super) hosts: Vec<String>,
    /// The ports of those listeners, in listener order.
    pub(super) ports: Vec<i32>,
}

/// Why a listener is not served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenerProblem {
    /// Not HTTP or HTTPS.
    UnsupportedProtocol(String),
    /// HTTPS without a usable certificate (the reason, for the status message).
    InvalidCertificateRef(String),
    /// A certificate of another namespace that no ReferenceGrant there allows.
    RefNotPermitted(String),
    /// `allowedRoutes.kinds` names no kind ako-rs serves (the kinds it names).
    InvalidRouteKinds(String),
    /// Not allowed on a Gateway in dedicated mode (AKO's message).
    Dedicated(&'static str),
}

impl<'a> Attached<'a> {
    /// What Gateway `key` serves in `snap`.
    pub(super) fn of(snap: &'a Snapshot, key: &'a NsName, gateway: &'a Gateway) -> Self {
        let ns = key.namespace.as_str();
        let mut listeners = Vec::new();
        let mut refused = Vec::new();
        let mut certificates = Vec::new();
        let dedicated = is_dedicated(gateway);
        for l in &gateway.spec.listeners {
            let problem = match dedicated.then(|| dedicated::listener_refusal(l)).flatten() {
                Some(why) => Some(ListenerProblem::Dedicated(why)),
                None => listener_problem(snap, ns, l, &mut certificates),
            };
            match problem {
                None => listeners.push(l),
                Some(p) => refused.push((l.name.as_str(), p)),
            }
        }
        let address = gateway
            .spec
            .addresses
            .iter()
            .find(|a| a.type_.as_deref().unwrap_or("IPAddress") == "IPAddress")
            .map(|a| a.value.as_str());
        let mut out = Attached {
            namespace: ns,
            name: key.name.as_str(),
            listeners,
            refused,
            address,
            dedicated,
            certificates,
            routes: Vec::new(),
            bindings: Vec::new(),
        };
        for (rkey, route) in &snap.http_routes {
            if !route
                .spec
                .parent_refs
                .iter()
                .any(|p| out.is_named_by(p, &rkey.namespace))
            {
                continue;
            }
            let (binding, served) = out.bind(snap, gateway, rkey, route);
            out.bindings.push(binding);
            out.routes.extend(served);
        }
        out
    }

    /// How `route` binds to this Gateway, and what it is served as when one of its parent refs
    /// names it and a served listener takes it and shares a host with it.
    fn bind(
        &self,
        snap: &Snapshot,
        gateway: &'a Gateway,
        key: &'a NsName,
        route: &'a HttpRoute,
    ) -> (Binding<'a>, Option<AttachedRoute<'a>>) {
        let route_ns = key.namespace.as_str();
        let mut hosts: Vec<String> = Vec::new();
        let mut ports: Vec<i32> = Vec::new();
        let mut served = false;
        let mut bound: Vec<&'a str> = Vec::new();
        let (mut selected, mut no_host) = (false, false);
        for parent in route.spec.parent_refs.iter().filter(|p| self.is_named_by(p, route_ns)) {
            for l in gateway.spec.listeners.iter().filter(|l| selects(parent, l)) {
                selected = true;
                if !allows(snap, l, route_ns, self.namespace) {
                    continue;
                }
                if !bound.contains(&l.name.as_str()) {
                    bound.push(&l.name);
                }
                if !self.listeners.iter().any(|s| s.name == l.name) {
                    continue;
                }
                // A dedicated Gateway's one Route has no host: it takes every request.
                let accepted = listener_hosts(l, &route.spec.hostnames);
                if accepted.is_empty() && !self.dedicated {
                    no_host = true;
                    continue;
                }
                for h in accepted {
                    if !hosts.contains(&h) {
                        hosts.push(h);
                    }
                }
                if !ports.contains(&l.port) {
                    ports.push(l.port);
                }
                served = true;
            }
        }
        let dedicated_refusal = self.dedicated.then(|| dedicated::dedicated_refusal(route)).flatten();
        let refusal = if let Some(why) = unsupported_value(route).or(dedicated_refusal) {
            Some(("UnsupportedValue", why.to_owned()))
        } else if served && self.dedicated && !self.routes.is_empty() {
            Some((
                "UnsupportedValue",
                "Dedicated Gateway Mode is enabled. Only one route is allowed per listener in Gateway".to_owned(),
            ))
        } else if served {
            None
        } else if !selected {
            Some((
                "NoMatchingParent",
                "no listener of the Gateway has the parent ref's sectionName and port".to_owned(),
            ))
        } else if bound.is_empty() {
            Some((
                "NotAllowedByListeners",
                "no listener the parent ref selects allows this Route: check the listeners' allowedRoutes (namespaces, kinds)"
                    .to_owned(),
            ))
        } else if no_host && route.spec.hostnames.is_empty() {
            Some((
                "NoMatchingListenerHostname",
                "neither the Route nor its listener has a hostname: Avi's enhanced virtual hosting routes by host, \
                 set spec.hostnames or the listener's hostname"
                    .to_owned(),
            ))
        } else if no_host {
            Some((
                "NoMatchingListenerHostname",
                "no hostname of the Route matches its listeners' hostnames".to_owned(),
            ))
        } else {
            Some((
                "NotAllowedByListeners",
                "the listeners that take this Route are not served: see the Gateway's listener conditions".to_owned(),
            ))
        };
        // A Route refused as a whole counts on no listener (as AKO counts it: a takeover then
        // rewrites no status).
        if matches!(refusal, Some(("UnsupportedValue", _))) {
            bound.clear();
        }
        let binding = Binding {
            namespace: route_ns,
            name: key.name.as_str(),
            listeners: bound,
            refusal: refusal.clone(),
        };
        if refusal.is_some() {
            return (binding, None);
        }
        hosts.sort();
        let attached = AttachedRoute {
            namespace: route_ns,
            name: key.name.as_str(),
            route,
            hosts,
            ports,
        };
        (binding, Some(attached))
    }

    /// Whether `parent` (of a Route in `route_ns`) names this Gateway.
    pub(super) fn is_named_by(&self, parent: &ParentReference, route_ns: &str) -> bool {
        parent.group.as_deref().unwrap_or(GATEWAY_GROUP) == GATEWAY_GROUP
            && parent.kind.as_deref().unwrap_or("Gateway") == "Gateway"
            && parent.namespace.as_deref().unwrap_or(route_ns) == self.namespace
            && parent.name == self.name
    }
}

/// Why a Route is refused as a whole, as AKO refuses it: a URL rewrite replacing a path prefix.
pub(super) fn unsupported_value(route: &HttpRoute) -> Option<&'static str> {
    route
        .spec
        .rules
        .iter()
        .flat_map(|r| &r.filters)
        .filter_map(|f| f.url_rewrite.as_ref()?.path.as_ref())
        .any(|p| p.type_ == "ReplacePrefixMatch")
        .then_some("HTTPUrlRewrite PathType has Unsupported value")
}

/// Why listener `l` of a Gateway in `ns` is not served; its certificates are added to `certs`.
fn listener_problem(
    snap: &Snapshot,
    ns: &str,
    l: &Listener,
    certs: &mut Vec<(String, String, (String, String))>,
) -> Option<ListenerProblem> {
    let invalid_kinds = invalid_route_kinds(l);
    let kinds = l.allowed_routes.iter().flat_map(|a| &a.kinds).count();
    if kinds > 0 && invalid_kinds.len() == kinds {
        return Some(ListenerProblem::InvalidRouteKinds(invalid_kinds.join(", ")));
    }
    match l.protocol.as_str() {
        "HTTP" => None,
        "HTTPS" => {
            let refs = l
                .tls
                .as_ref()
                .map(|t| t.certificate_refs.as_slice())
                .unwrap_or_default();
            if refs.is_empty() {
                return Some(ListenerProblem::InvalidCertificateRef(
                    "an HTTPS listener needs tls.certificateRefs".to_owned(),
                ));
            }
            let mut found = Vec::new();
            for r in refs {
                if r.kind.as_deref().unwrap_or("Secret") != "Secret" || !r.group.as_deref().unwrap_or("").is_empty() {
                    return Some(ListenerProblem::InvalidCertificateRef(format!(
                        "certificateRef {} is not a Secret",
                        r.name
                    )));
                }
                let secret_ns = r.namespace.as_deref().unwrap_or(ns);
                if !secret_usable(snap, ns, secret_ns, &r.name) {
                    return Some(ListenerProblem::RefNotPermitted(format!(
                        "Secret {secret_ns}/{} is in another namespace: it needs a ReferenceGrant there \
                         allowing Gateways of namespace {ns} to refer to it",
                        r.name
                    )));
                }
                match secret_pair(snap, &NsName::new(secret_ns, &r.name)) {
                    Ok(pair) => found.push((secret_ns.to_owned(), r.name.clone(), pair)),
                    Err(e) => return Some(ListenerProblem::InvalidCertificateRef(e)),
                }
            }
            for f in found {
                if !certs.iter().any(|c| c.0 == f.0 && c.1 == f.1) {
                    certs.push(f);
                }
            }
            None
        }
        other => Some(ListenerProblem::UnsupportedProtocol(other.to_owned())),
    }
}

/// Whether parent ref `p` selects listener `l` (by section name and port, when given).
fn selects(p: &ParentReference, l: &Listener) -> bool {
    p.section_name.as_deref().is_none_or(|s| s == l.name) && p.port.is_none_or(|port| port == l.port)
}

/// Whether listener `l` of a Gateway in `gateway_ns` lets an HTTPRoute of `route_ns` attach.
fn allows(snap: &Snapshot, l: &Listener, route_ns: &str, gateway_ns: &str) -> bool {
    let Some(allowed) = &l.allowed_routes else {
        return route_ns == gateway_ns;
    };
    let kinds_ok = allowed.kinds.is_empty() || allowed.kinds.iter().any(is_http_route);
    let namespaces = allowed.namespaces.as_ref();
    let ns_ok = match namespaces.and_then(|n| n.from.as_deref()).unwrap_or("Same") {
        "All" => true,
        "Same" => route_ns == gateway_ns,
        "Selector" => {
            let labels = snap
                .namespace(route_ns)
                .and_then(|n| n.metadata.labels.clone())
                .unwrap_or_default();
            namespaces
                .and_then(|n| n.selector.as_ref())
                .is_some_and(|s| selector::selects(s, &labels))
        }
        _ => false,
    };
    kinds_ok && ns_ok
}

/// Whether a kind of `allowedRoutes.kinds` is HTTPRoute, the one Route kind ako-rs serves.
fn is_http_route(k: &GroupKind) -> bool {
    k.kind == "HTTPRoute" && k.group.as_deref().unwrap_or(GATEWAY_GROUP) == GATEWAY_GROUP
}

/// The kinds of listener `l`'s `allowedRoutes.kinds` that ako-rs does not serve (`Kind` or
/// `group/Kind`): they make its `ResolvedRefs` False with `InvalidRouteKinds`.
pub(super) fn invalid_route_kinds(l: &Listener) -> Vec<String> {
    l.allowed_routes
        .iter()
        .flat_map(|a| &a.kinds)
        .filter(|k| !is_http_route(k))
        .map(|k| match k.group.as_deref() {
            Some(g) if !g.is_empty() && g != GATEWAY_GROUP => format!("{g}/{}", k.kind),
            _ => k.kind.clone(),
        })
        .collect()
}

/// The hosts of a Route (`hostnames`) that listener `l` accepts: all of them without a
/// listener hostname; the listener's own hostname (unless a wildcard) for a Route without any.
fn listener_hosts(l: &Listener, hostnames: &[String]) -> Vec<String> {
    match (&l.hostname, hostnames.is_empty()) {
        (None, _) => hostnames.to_vec(),
        (Some(h), true) if !h.starts_with('*') => vec![h.clone()],
        (Some(_), true) => Vec::new(),
        (Some(h), false) => hostnames.iter().filter(|r| host_matches(h, r)).cloned().collect(),
    }
}

/// Whether a listener hostname (`*.example.com` or exact) accepts a Route hostname.
fn host_matches(listener: &str, route: &str) -> bool {
    match listener.strip_prefix('*') {
        Some(suffix) => route.ends_with(suffix) && route.len() > suffix.len(),
        None => listener.eq_ignore_ascii_case(route),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(hostname: Option<&str>) -> Listener {
        Listener {
            name: "l".into(),
            hostname: hostname.map(str::to_owned),
            port: 80,
            protocol: "HTTP".into(),
            ..Listener::default()
        }
    }

    #[test]
    fn listener_hostnames_filter_route_hosts() {
        let hosts = ["shop.avi.internal".to_owned(), "shop.example.com".to_owned()];
        assert_eq!(
            listener_hosts(&listener(Some("*.avi.internal")), &hosts),
            ["shop.avi.internal"]
        );
        assert_eq!(listener_hosts(&listener(None), &hosts), hosts);
        assert_eq!(
            listener_hosts(&listener(Some("a.avi.internal")), &[]),
            ["a.avi.internal"]
        );
        assert!(listener_hosts(&listener(Some("*.avi.internal")), &[]).is_empty());
        assert!(!host_matches("*.avi.internal", "avi.internal"));
    }

    #[test]
    fn routes_attach_from_the_namespaces_their_listener_allows() {
        let mut snap = Snapshot::new();
        let namespaces = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {team: shop}}\n---\n\
                          apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n";
        crate::load_manifests(&mut snap, "namespaces.yaml", namespaces).unwrap();
        let with = |allowed: serde_json::Value| Listener {
            allowed_routes: serde_json::from_value(allowed).unwrap(),
            ..listener(None)
        };
        let same = listener(None);
        assert!(allows(&snap, &same, "shop", "shop"));
        assert!(!allows(&snap, &same, "other", "shop"));
        let all = with(serde_json::json!({"namespaces": {"from": "All"}}));
        assert!(allows(&snap, &all, "other", "shop"));
        let selector = with(
            serde_json::json!({"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "shop"}}}}),
        );
        assert!(allows(&snap, &selector, "team", "shop"));
        assert!(!allows(&snap, &selector, "other", "shop"));
        assert!(
            !allows(&snap, &selector, "missing", "shop"),
            "a Namespace not known has no labels"
        );
        let grpc_only = with(serde_json::json!({"namespaces": {"from": "All"}, "kinds": [{"kind": "GRPCRoute"}]}));
        assert!(!allows(&snap, &grpc_only, "shop", "shop"));
        assert_eq!(invalid_route_kinds(&grpc_only), ["GRPCRoute"]);
    }
}
