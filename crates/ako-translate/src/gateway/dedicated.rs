//! A Gateway in AKO's dedicated mode (annotation `ako.vmware.com/dedicated-gateway-mode:
//! "true"`), as AKO's Gateway API container builds it: one normal virtual service
//! `ako-gw-<cluster>--<ns>-<gateway>-L7-dedicated-EVH` with its VsVip, the listeners' ports and
//! certificates, and for its one HTTPRoute a single HTTP policy set whose request rules match
//! every (path, headers) of every rule, longest and most exact first, and switch to the rule's
//! pool group (a regular expression path through a string group); response rules carry the
//! response header filters. A 404 rule closes the set when no rule matches `/`.

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::api::{Gateway, HttpRouteFilter, HttpRouteMatch, HttpRouteRule, UrlRewrite};
use super::attach::{Attached, AttachedRoute};
use super::naming::{RuleOf, path_type, path_value, rule_key, sorted_matches};
use super::objects::{
    Ctx, FIRST_POLICY_INDEX, HTTP_PROFILE, TCP_PROXY, header_actions, listener_ports, services, set_certificate_refs,
    uri_param,
};
use crate::checksum::{self, go_json};
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{DesiredObject, Model};
use crate::vsvip::vsvip_object;
use avi_model::ObjectType;

/// The annotation that puts a Gateway in dedicated mode.
pub const DEDICATED_ANNOTATION: &str = "ako.vmware.com/dedicated-gateway-mode";

/// Index of the first response rule (AKO's).
const FIRST_RESPONSE_INDEX: usize = 1000;

/// Whether `gateway` is in dedicated mode.
pub fn is_dedicated(gateway: &Gateway) -> bool {
    gateway
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DEDICATED_ANNOTATION))
        .is_some_and(|v| v == "true")
}

/// Why a Route cannot be a dedicated Gateway's, as AKO refuses it.
pub(super) fn dedicated_refusal(route: &super::api::HttpRoute) -> Option<&'static str> {
    (!route.spec.hostnames.is_empty())
        .then_some("Dedicated Gateway Mode is enabled. Hostnames are not supported in HTTPRoute")
}

/// Why a listener of a dedicated Gateway is not served (AKO's rules).
pub(super) fn listener_refusal(l: &super::api::Listener) -> Option<&'static str> {
    if l.hostname.is_some() {
        return Some("Hostname is not supported in dedicated mode");
    }
    let all = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
        .and_then(|n| n.from.as_deref())
        == Some("All");
    all.then_some("Routes from all namespaces is not supported in dedicated mode")
}

/// One match of a rule, as the policy set orders them.
struct Ordered<'a> {
    m: &'a HttpRouteMatch,
    rule: &'a HttpRouteRule,
    rule_index: usize,
    match_index: usize,
}

/// AKO's precedence of a path type: Exact, then PathPrefix, then RegularExpression.
fn priority(path_type: &str) -> u8 {
    match path_type {
        "Exact" => 3,
        "RegularExpression" => 1,
        _ => 2,
    }
}

/// Every match of every rule, most specific first: path type, then path length (longest
/// first), then rule and match order.
fn ordered_matches(rules: &[HttpRouteRule]) -> Vec<Ordered<'_>> {
    let mut all: Vec<Ordered<'_>> = rules
        .iter()
        .enumerate()
        .flat_map(|(rule_index, rule)| {
            sorted_matches(rule)
                .into_iter()
                .enumerate()
                .map(move |(match_index, m)| Ordered {
                    m,
                    rule,
                    rule_index,
                    match_index,
                })
        })
        .collect();
    all.sort_by(|a, b| {
        priority(path_type(b.m))
            .cmp(&priority(path_type(a.m)))
            .then(path_value(b.m).len().cmp(&path_value(a.m).len()))
            .then(a.rule_index.cmp(&b.rule_index))
            .then(a.match_index.cmp(&b.match_index))
    });
    all
}

/// A match as a policy rule's match target: the path (a regular expression through the string
/// group `string_group` names after it), and the headers (exact or regular expression).
fn match_target(m: &HttpRouteMatch, string_group: &dyn Fn(&str) -> String) -> Value {
    let mut target = match path_type(m) {
        "RegularExpression" => json!({"path": {"match_case": "SENSITIVE", "match_criteria": "REGEX_MATCH",
            "string_group_refs": [format!("/api/stringgroup?name={}", string_group(path_value(m)))]}}),
        t => {
            let criteria = if t == "Exact" { "EQUALS" } else { "BEGINS_WITH" };
            json!({"path": {"match_case": "SENSITIVE", "match_criteria": criteria, "match_str": [path_value(m)]}})
        }
    };
    if !m.headers.is_empty() {
        let hdrs: Vec<Value> = m
            .headers
            .iter()
            .map(|h| {
                let mut hdr = json!({"hdr": h.name, "match_case": "SENSITIVE"});
                match h.type_.as_deref() {
                    Some("Exact") | None => {
                        hdr["match_criteria"] = json!("HDR_EQUALS");
                        hdr["value"] = json!([h.value]);
                    }
                    Some("RegularExpression") => {
                        hdr["match_criteria"] = json!("HDR_REGEX");
                        hdr["value"] = json!([h.value]);
                    }
                    Some(_) => {}
                }
                hdr
            })
            .collect();
        target["hdrs"] = Value::Array(hdrs);
    }
    target
}

/// A redirect as AKO's dedicated mode writes it: the host, and `HTTP_REDIRECT_<code>`.
fn redirect(r: &super::api::RequestRedirect) -> Value {
    let mut action = json!({});
    if let Some(h) = r.hostname.as_deref().filter(|h| !h.is_empty()) {
        action["host"] =
            json!({"tokens": [{"str_value": h, "type": "URI_TOKEN_TYPE_STRING"}], "type": "HTTP_TYPE_HOST"});
    }
    if let Some(code) = r.status_code.filter(|c| *c != 0) {
        action["status_code"] = json!(format!("HTTP_REDIRECT_{code}"));
    }
    action
}

/// A URL rewrite as AKO's dedicated mode writes it: the full path as given, the Host header,
/// the query kept.
fn rewrite(r: &UrlRewrite) -> Value {
    let mut action = json!({"query": {"keep_query": true}});
    if let Some(full) = r
        .path
        .as_ref()
        .filter(|p| p.type_ == "ReplaceFullPath")
        .and_then(|p| p.replace_full_path.as_deref())
        .filter(|p| !p.is_empty())
    {
        action["path"] = uri_param(full);
    }
    if let Some(h) = r.hostname.as_deref().filter(|h| !h.is_empty()) {
        action["host_hdr"] = uri_param(h);
    }
    action
}

/// `v` with every object's keys in the Avi SDK's field order, which is alphabetical for the
/// policy rule types: AKO's checksum hashes their Go JSON.
fn sdk_order(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sdk_order(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sdk_order).collect()),
        other => other,
    }
}

/// The header actions of the filters `pick` selects, each filter's indexed from 0.
fn filter_actions(
    filters: &[HttpRouteFilter],
    pick: fn(&HttpRouteFilter) -> Option<&super::api::HeaderModifier>,
) -> Vec<Value> {
    filters.iter().filter_map(pick).flat_map(header_actions).collect()
}

impl Ctx<'_> {
    /// The model of a dedicated Gateway whose listeners and Route are `attached`.
    pub(super) fn dedicated_model(&self, a: &Attached<'_>) -> Model {
        let (ns, gw) = (a.namespace, a.name);
        let name = self.namer.dedicated(ns, gw);
        let mut objects = vec![vsvip_object(
            self.settings,
            self.tenant,
            &name,
            &[],
            a.address.unwrap_or(""),
        )];
        let certs = self.certificates(a, &mut objects);
        let route = a.routes.first();
        let mut markers = Markers {
            gateway_name: gw.to_owned(),
            gateway_namespace: ns.to_owned(),
            ..Markers::default()
        };
        let mut metadata = ServiceMetadata {
            gateway: format!("{ns}/{gw}"),
            ..ServiceMetadata::default()
        };
        let policy = route.map(|r| {
            markers.http_route_name = r.name.to_owned();
            markers.http_route_namespace = r.namespace.to_owned();
            metadata.http_route = format!("{}/{}", r.namespace, r.name);
            self.route_policy(a, r, &markers, &mut objects)
        });

        let ports = listener_ports(a);
        let mut refs = vec![format!("VSVIP{name}")];
        refs.extend(policy.iter().map(|p| format!("HttpPolicy{p}")));
        refs.extend(certs.iter().map(|c| format!("SSLKeyCert{c}")));
        let cksum = self.front_checksum(refs, &ports, &markers);
        let mut body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "type": "VS_TYPE_NORMAL",
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", self.parent_se_group),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", self.settings.vrf()),
            "vsvip_ref": format!("/api/vsvip/?name={name}"),
            "services": services(&ports),
            "east_west_placement": false,
            "error_page_profile_ref": "",
            "min_pools_up": 1,
            "traffic_enabled": true,
            "service_metadata": metadata.to_go_json(),
            "markers": markers.to_json(self.cluster()),
        });
        if let Some(p) = &policy {
            body["http_policies"] =
                json!([{"index": FIRST_POLICY_INDEX, "http_policy_set_ref": format!("/api/httppolicyset/?name={p}")}]);
        }
        set_certificate_refs(&mut body, &certs);
        objects.push(self.object(ObjectType::VirtualService, &name, cksum, body));
        let mut model = Model { objects };
        model.sort();
        model
    }

    /// The Route's policy set, pool groups and pools (into `objects`); the policy set's name.
    fn route_policy(
        &self,
        a: &Attached<'_>,
        route: &AttachedRoute<'_>,
        markers: &Markers,
        objects: &mut Vec<DesiredObject>,
    ) -> String {
        let rules = &route.route.spec.rules;
        // One pool group per rule with backends (even when none of them exists, as AKO).
        let groups: Vec<Option<String>> = rules
            .iter()
            .map(|rule| {
                if rule.backend_refs.is_empty() {
                    return None;
                }
                let key = rule_key(rule);
                let of = RuleOf {
                    gateway_ns: a.namespace,
                    gateway: a.name,
                    route_ns: route.namespace,
                    route: route.name,
                    rule_key: &key,
                };
                let pg = self.namer.child(of);
                let rule_markers = Markers {
                    http_route_rule_name: rule.name.clone().unwrap_or_default(),
                    ..markers.clone()
                };
                let pool_name = |ns: &str, svc: &str, port: i32| self.namer.dedicated_pool(&pg, ns, svc, port);
                let mut members = self.pools(&pool_name, route, rule, &rule_markers, objects);
                // AKO's ratio: the weight, unless every weight is 0 (then 1).
                if members.iter().all(|m| m.ratio == 0) {
                    members.iter_mut().for_each(|m| m.ratio = 1);
                }
                objects.push(self.pool_group(&pg, &members, &rule_markers));
                Some(pg)
            })
            .collect();

        let ordered = ordered_matches(rules);
        // A regular expression path is matched through a string group named after it, one per
        // expression (AKO's name: its created_by and the expression's SHA-1).
        let mut string_groups: Vec<String> = Vec::new();
        let string_group = |path: &str| format!("{}-{}", self.created_by, hex::encode(Sha1::digest(path.as_bytes())));
        for o in ordered.iter().filter(|o| path_type(o.m) == "RegularExpression") {
            let path = path_value(o.m);
            if !string_groups.iter().any(|p| p == path) {
                string_groups.push(path.to_owned());
                objects.push(self.string_group(&string_group(path), path));
            }
        }
        let mut request: Vec<Value> = Vec::new();
        for o in &ordered {
            let i = request.len();
            let mut rule = json!({"enable": true, "index": i, "match": match_target(o.m, &string_group), "name": format!("rule-{i}")});
            let actions = filter_actions(&o.rule.filters, |f| f.request_header_modifier.as_ref());
            if !actions.is_empty() {
                rule["hdr_action"] = Value::Array(actions);
            }
            // AKO sets each action once per filter in order: the last filter of a kind wins.
            let filters = &o.rule.filters;
            if let Some(r) = filters.iter().filter_map(|f| f.request_redirect.as_ref()).next_back() {
                rule["redirect_action"] = redirect(r);
            }
            if let Some(r) = filters.iter().filter_map(|f| f.url_rewrite.as_ref()).next_back() {
                rule["rewrite_url_action"] = rewrite(r);
            }
            if let Some(pg) = &groups[o.rule_index] {
                rule["switching_action"] = json!({"action": "HTTP_SWITCHING_SELECT_POOLGROUP", "pool_group_ref": format!("/api/poolgroup?name={pg}")});
            }
            request.push(rule);
        }
        if !ordered.iter().any(|o| path_value(o.m) == "/") {
            let i = request.len();
            request.push(json!({
                "enable": true,
                "index": i,
                "match": {"path": {"match_criteria": "BEGINS_WITH", "match_str": ["/"]}},
                "name": "default-backend-rule",
                "switching_action": {"action": "HTTP_SWITCHING_SELECT_LOCAL", "status_code": "HTTP_LOCAL_RESPONSE_STATUS_CODE_404"},
            }));
        }
        let mut response: Vec<Value> = Vec::new();
        for o in &ordered {
            let actions = filter_actions(&o.rule.filters, |f| f.response_header_modifier.as_ref());
            if !actions.is_empty() {
                let i = FIRST_RESPONSE_INDEX + response.len();
                response.push(json!({"enable": true, "hdr_action": actions, "index": i,
                    "match": match_target(o.m, &string_group), "name": format!("response-rule-{i}")}));
            }
        }

        let name = self
            .namer
            .dedicated_policy(a.namespace, a.name, route.namespace, route.name);
        let (request, response) = (sdk_order(Value::Array(request)), sdk_order(Value::Array(response)));
        // AKO hashes both rule lists, empty or not.
        let cksum = markers
            .checksum(self.cluster())
            .wrapping_add(checksum::hash(&go_json(&request)))
            .wrapping_add(checksum::hash(&go_json(&response)));
        let mut body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "http_security_policy": {},
            "markers": markers.to_json(self.cluster()),
        });
        // Both policies are always sent, `{}` when they have no rule (as AKO's REST layer).
        for (field, rules) in [("http_request_policy", request), ("http_response_policy", response)] {
            body[field] = if rules.as_array().is_some_and(|r| !r.is_empty()) {
                json!({"rules": rules})
            } else {
                json!({})
            };
        }
        objects.push(self.object(ObjectType::HttpPolicySet, &name, cksum, body));
        name
    }

    /// The string group of a regular expression path.
    fn string_group(&self, name: &str, path: &str) -> DesiredObject {
        let body = json!({
            "name": name,
            "tenant_ref": self.tenant_ref(),
            "type": "SG_TYPE_STRING",
            "kv": [{"key": path}],
            "longest_match": true,
            "markers": [{"key": "clustername", "values": [self.cluster()]}, {"key": "created_by", "values": [self.created_by]}],
        });
        // Compared field by field by the sync engine: the checksum only names the content.
        self.object(ObjectType::StringGroup, name, checksum::hash(path), body)
    }
}
