//! The names of the Avi objects built for Gateways and HTTPRoutes, as AKO's Gateway API
//! container builds them (`ako-gateway-api/lib/lib.go`): a Gateway's parent keeps a readable
//! `ako-gw-<cluster>--<ns>-<gateway>-EVH`; everything below it is `ako-gw-<cluster>--<sha1 hex>`
//! of a readable key, and a rule is told apart by the FNV-1a hash of its name or, without one,
//! of its matches as Go's `encoding/json` writes AKO's model of them.

use sha1::{Digest, Sha1};

use super::api::{HttpRouteMatch, HttpRouteRule};
use crate::checksum::{go_json_string, hash};

/// Namer of one cluster's Gateway API objects.
#[derive(Clone, Debug)]
pub struct GatewayNamer {
    prefix: String,
}

/// The Gateway and Route a child belongs to, with the rule's key ([`rule_key`]).
#[derive(Clone, Copy, Debug)]
pub struct RuleOf<'a> {
    /// The Gateway's namespace.
    pub gateway_ns: &'a str,
    /// The Gateway's name.
    pub gateway: &'a str,
    /// The HTTPRoute's namespace.
    pub route_ns: &'a str,
    /// The HTTPRoute's name.
    pub route: &'a str,
    /// [`rule_key`] of the rule.
    pub rule_key: &'a str,
}

impl RuleOf<'_> {
    /// `<gw ns>-<gw>-<route ns>-<route>-<hash of the rule key>`.
    fn readable(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.gateway_ns,
            self.gateway,
            self.route_ns,
            self.route,
            hash(self.rule_key)
        )
    }
}

impl GatewayNamer {
    /// For cluster `cluster`: the prefix `ako-gw-<cluster>--`.
    pub fn new(cluster: &str) -> Self {
        GatewayNamer {
            prefix: format!("ako-gw-{cluster}--"),
        }
    }

    /// `ako-gw-<cluster>--`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn encode(&self, readable: &str) -> String {
        format!("{}{}", self.prefix, hex::encode(Sha1::digest(readable.as_bytes())))
    }

    /// The EVH parent of a Gateway, and its VsVip.
    pub fn parent(&self, ns: &str, gateway: &str) -> String {
        format!("{}{ns}-{gateway}-EVH", self.prefix)
    }

    /// The EVH child of a rule; its pool group and HTTP policy set have the same name.
    pub fn child(&self, rule: RuleOf<'_>) -> String {
        self.encode(&rule.readable())
    }

    /// The pool of a rule's backend (a Service port).
    pub fn pool(&self, rule: RuleOf<'_>, backend_ns: &str, backend: &str, port: i32) -> String {
        self.encode(&format!("{}-{backend_ns}-{backend}-{port}", rule.readable()))
    }

    /// The virtual service of a Gateway in dedicated mode, and its VsVip.
    pub fn dedicated(&self, ns: &str, gateway: &str) -> String {
        format!("{}{ns}-{gateway}-L7-dedicated-EVH", self.prefix)
    }

    /// The pool of a backend in dedicated mode, named after its rule's pool group.
    pub fn dedicated_pool(&self, pool_group: &str, backend_ns: &str, backend: &str, port: i32) -> String {
        self.encode(&format!("{pool_group}-{backend_ns}-{backend}-{port}"))
    }

    /// The HTTP policy set of a dedicated Gateway's Route.
    pub fn dedicated_policy(&self, gateway_ns: &str, gateway: &str, route_ns: &str, route: &str) -> String {
        self.encode(&format!("{gateway_ns}-{gateway}-{route_ns}-{route}-httproute"))
    }

    /// The certificate of a listener's Secret.
    pub fn certificate(&self, gateway_ns: &str, gateway: &str, secret_ns: &str, secret: &str) -> String {
        self.encode(&format!("{gateway_ns}-{gateway}-{secret_ns}-{secret}"))
    }

    /// The HTTP policy set answering 404 where no rule matches, shared by every Gateway.
    pub fn default_backend(&self) -> String {
        format!("{}default-backend", self.prefix)
    }
}

/// What names a rule: its `name`, or AKO's JSON of its matches (sorted by path).
pub fn rule_key(rule: &HttpRouteRule) -> String {
    match &rule.name {
        Some(name) if !name.is_empty() => name.clone(),
        _ => matches_json(&sorted_matches(rule)),
    }
}

/// `service_metadata.httproute_rule_name` of a rule's child: its `name`, or the decimal hash of
/// its matches' JSON.
pub fn rule_label(rule: &HttpRouteRule) -> String {
    match &rule.name {
        Some(name) if !name.is_empty() => name.clone(),
        _ => hash(&matches_json(&sorted_matches(rule))).to_string(),
    }
}

/// A rule's matches in AKO's order: by path (stable; matches without a path keep their place
/// relative to each other, as Go's insertion sort leaves them).
pub fn sorted_matches(rule: &HttpRouteRule) -> Vec<&HttpRouteMatch> {
    let mut matches: Vec<&HttpRouteMatch> = rule.matches.iter().collect();
    // Go's `Less` orders two matches only when both have a path.
    for i in 1..matches.len() {
        let mut j = i;
        while j > 0 && path_less(matches[j], matches[j - 1]) {
            matches.swap(j, j - 1);
            j -= 1;
        }
    }
    matches
}

fn path_less(a: &HttpRouteMatch, b: &HttpRouteMatch) -> bool {
    match (&a.path, &b.path) {
        (Some(_), Some(_)) => path_value(a) < path_value(b),
        _ => false,
    }
}

/// A match's path value (default `/`) and type (default `PathPrefix`), when it has a path.
pub fn path_value(m: &HttpRouteMatch) -> &str {
    m.path.as_ref().and_then(|p| p.value.as_deref()).unwrap_or("/")
}

/// A match's path type (default `PathPrefix`).
pub fn path_type(m: &HttpRouteMatch) -> &str {
    m.path.as_ref().and_then(|p| p.type_.as_deref()).unwrap_or("PathPrefix")
}

/// AKO's `[]*Match` as Go's `encoding/json` writes it.
fn matches_json(matches: &[&HttpRouteMatch]) -> String {
    let items: Vec<String> = matches
        .iter()
        .map(|m| {
            let path = match &m.path {
                Some(_) => format!(
                    "{{\"Path\":{},\"Type\":{}}}",
                    go_json_string(path_value(m)),
                    go_json_string(path_type(m))
                ),
                None => "null".to_owned(),
            };
            let headers: Vec<String> = m
                .headers
                .iter()
                .map(|h| {
                    format!(
                        "{{\"Type\":{},\"Name\":{},\"Value\":{}}}",
                        go_json_string(h.type_.as_deref().unwrap_or_default()),
                        go_json_string(&h.name),
                        go_json_string(&h.value)
                    )
                })
                .collect();
            format!("{{\"PathMatch\":{path},\"HeaderMatch\":[{}]}}", headers.join(","))
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::api::{HttpHeaderMatch, HttpPathMatch};

    fn rule(matches: Vec<HttpRouteMatch>) -> HttpRouteRule {
        HttpRouteRule {
            matches,
            ..Default::default()
        }
    }

    fn path(type_: &str, value: &str) -> HttpRouteMatch {
        HttpRouteMatch {
            path: Some(HttpPathMatch {
                type_: Some(type_.into()),
                value: Some(value.into()),
            }),
            headers: Vec::new(),
        }
    }

    #[test]
    fn a_rule_is_keyed_by_its_matches_as_go_writes_them() {
        let mut m = path("PathPrefix", "/");
        m.headers.push(HttpHeaderMatch {
            type_: Some("Exact".into()),
            name: "x-canary".into(),
            value: "yes".into(),
        });
        assert_eq!(
            rule_key(&rule(vec![m])),
            r#"[{"PathMatch":{"Path":"/","Type":"PathPrefix"},"HeaderMatch":[{"Type":"Exact","Name":"x-canary","Value":"yes"}]}]"#
        );
        let named = HttpRouteRule {
            name: Some("checkout".into()),
            ..rule(vec![path("Exact", "/api")])
        };
        assert_eq!(rule_key(&named), "checkout");
        assert_eq!(rule_label(&named), "checkout");
    }

    #[test]
    fn matches_are_ordered_by_path_keeping_pathless_ones_in_place() {
        let no_path = HttpRouteMatch::default();
        let r = rule(vec![path("Exact", "/z"), path("Exact", "/a"), no_path.clone()]);
        let order: Vec<Option<&str>> = sorted_matches(&r)
            .iter()
            .map(|m| m.path.as_ref().map(|_| path_value(m)))
            .collect();
        assert_eq!(order, [Some("/a"), Some("/z"), None]);
        let r = rule(vec![no_path, path("Exact", "/b")]);
        assert_eq!(sorted_matches(&r)[1].path.as_ref().map(|_| "/b"), Some("/b"));
    }
}
