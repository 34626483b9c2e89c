//! The Avi objects of one Gateway, as AKO's Gateway API container builds them
//! (`ako-gateway-api/nodes/gateway_model.go`, `avi_model_l7_translator.go`, through the EVH REST
//! layer): an EVH parent `ako-gw-<cluster>--<ns>-<gateway>-EVH` with its VsVip (the hosts of
//! its Routes), one service per listener port, the listeners' certificates and the shared
//! 404 policy set; per HTTPRoute rule an EVH child matching its hosts, paths and headers on the
//! listeners' ports, a pool group of its backends' pools, and an HTTP policy set for its
//! header filters. Checksums are AKO's, so objects Go AKO built are taken over without a PUT.

use avi_model::ObjectType;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::api::{HeaderModifier, HttpRouteFilter, HttpRouteRule, RequestRedirect, UrlRewrite};
use super::attach::{Attached, AttachedRoute};
use super::grants::servable;
use super::naming::{GatewayNamer, RuleOf, path_type, path_value, rule_key, rule_label, sorted_matches};
use crate::checksum::{self, PgMember, PortProto, TargetPort, VsChecksum, go_json};
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{Members, ServicePort, port_members};
use crate::model::{Body, CloudFacts, DesiredObject, Model};
use crate::naming::query_escape;
use crate::pool::{PoolParts, pool_object};
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::vsvip::vsvip_object;

/// AKO's application profile of Gateway VSes.
pub(super) const HTTP_PROFILE: &str = "System-HTTP";
/// AKO's network profile of a Gateway's parent.
pub(super) const TCP_PROXY: &str = "System-TCP-Proxy";
/// The index of the first HTTP policy set of a VS (AKO's EVH REST layer).
pub(super) const FIRST_POLICY_INDEX: usize = 11;

/// What a Gateway's objects are built with.
pub(super) struct Ctx<'a> {
    pub(super) snap: &'a Snapshot,
    pub(super) settings: &'a Settings,
    pub(super) cloud: &'a CloudFacts,
    pub(super) namer: &'a GatewayNamer,
    pub(super) tenant: &'a str,
    /// The SE group of the parent: its AviInfraSetting's, else the global one.
    pub(super) parent_se_group: String,
    /// `created_by` of the Gateway API container: `ako-gw-<cluster>-<AKO namespace>`.
    pub(super) created_by: String,
}

impl Ctx<'_> {
    pub(super) fn cluster(&self) -> &str {
        &self.settings.cluster_name
    }

    pub(super) fn tenant_ref(&self) -> String {
        format!("/api/tenant/?name={}", query_escape(self.tenant))
    }

    pub(super) fn object(&self, kind: ObjectType, name: &str, checksum: u32, body: Value) -> DesiredObject {
        DesiredObject {
            kind,
            tenant: self.tenant.to_owned(),
            name: name.to_owned(),
            checksum,
            body: Body::from(body),
        }
    }

    /// The model of a Gateway whose listeners and Routes are `attached`.
    pub(super) fn gateway_model(&self, a: &Attached<'_>) -> Model {
        if a.dedicated {
            return self.dedicated_model(a);
        }
        let (ns, gw) = (a.namespace, a.name);
        let parent = self.namer.parent(ns, gw);
        let mut objects = Vec::new();

        // Sorted: AKO's VsVip checksum sorts its FQDNs in place before the body is built. A
        // wildcard host gets no DNS record.
        let mut fqdns: Vec<String> = a
            .routes
            .iter()
            .flat_map(|r| r.hosts.iter().filter(|h| !h.starts_with('*')).cloned())
            .collect();
        fqdns.sort();
        fqdns.dedup();
        objects.push(vsvip_object(
            self.settings,
            self.tenant,
            &parent,
            &fqdns,
            a.address.unwrap_or(""),
        ));

        let mut children = Vec::new();
        for route in &a.routes {
            for rule in &route.route.spec.rules {
                if let Some(child) = self.child(&parent, a, route, rule, &mut objects) {
                    children.push(child);
                }
            }
        }

        let default_backend = self.default_backend();
        let certs = self.certificates(a, &mut objects);
        let ports = listener_ports(a);
        let markers = Markers {
            gateway_name: gw.to_owned(),
            gateway_namespace: ns.to_owned(),
            ..Markers::default()
        };
        let mut refs = vec![format!("VSVIP{parent}"), format!("HttpPolicy{}", default_backend.name)];
        refs.extend(certs.iter().map(|c| format!("SSLKeyCert{c}")));
        refs.extend(children.iter().map(|c| format!("EVHNode{c}")));
        let cksum = self.front_checksum(refs, &ports, &markers);
        let services = services(&ports);
        let metadata = ServiceMetadata {
            gateway: format!("{ns}/{gw}"),
            ..ServiceMetadata::default()
        };
        let mut body = json!({
            "name": parent,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "type": "VS_TYPE_VH_PARENT",
            "vh_type": "VS_TYPE_VH_ENHANCED",
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", self.parent_se_group),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", self.settings.vrf()),
            "vsvip_ref": format!("/api/vsvip/?name={parent}"),
            "services": services,
            "http_policies": [{"index": FIRST_POLICY_INDEX, "http_policy_set_ref": format!("/api/httppolicyset/?name={}", default_backend.name)}],
            "traffic_enabled": true,
            "service_metadata": metadata.to_go_json(),
            "markers": markers.to_json(self.cluster()),
        });
        set_certificate_refs(&mut body, &certs);
        objects.push(self.object(ObjectType::VirtualService, &parent, cksum, body));
        objects.push(default_backend);
        let mut model = Model { objects };
        model.sort();
        model
    }

    /// The listeners' certificates (into `objects`); their names.
    pub(super) fn certificates(&self, a: &Attached<'_>, objects: &mut Vec<DesiredObject>) -> Vec<String> {
        a.certificates
            .iter()
            .map(|(secret_ns, secret, pair)| {
                let name = self.namer.certificate(a.namespace, a.name, secret_ns, secret);
                objects.push(self.certificate(&name, &pair.0, &pair.1));
                name
            })
            .collect()
    }

    /// The checksum of the virtual service a Gateway's listeners are on (its EVH parent, or its
    /// dedicated VS), which refers to `refs`.
    pub(super) fn front_checksum(&self, refs: Vec<String>, ports: &[PortProto], markers: &Markers) -> u32 {
        checksum::vs_checksum(&VsChecksum {
            refs,
            application_profile: HTTP_PROFILE,
            se_group: &self.parent_se_group,
            network_profile: TCP_PROXY,
            ports,
            traffic_enabled: Some(true),
            markers: markers.checksum(self.cluster()),
            evh_host: Some(""),
            ..VsChecksum::default()
        })
    }

    /// The EVH child of one rule, its pools, pool group and policy set; its name, or `None`
    /// when the rule builds nothing (no match, or no host).
    fn child(
        &self,
        parent: &str,
        a: &Attached<'_>,
        route: &AttachedRoute<'_>,
        rule: &HttpRouteRule,
        objects: &mut Vec<DesiredObject>,
    ) -> Option<String> {
        if rule.matches.is_empty() || route.hosts.is_empty() {
            return None;
        }
        let (route_ns, route_name) = (route.namespace, route.name);
        let key = rule_key(rule);
        let of = RuleOf {
            gateway_ns: a.namespace,
            gateway: a.name,
            route_ns,
            route: route_name,
            rule_key: &key,
        };
        let name = self.namer.child(of);
        let rule_name = rule.name.clone().unwrap_or_default();
        let route_markers = Markers {
            gateway_name: a.name.to_owned(),
            gateway_namespace: a.namespace.to_owned(),
            http_route_name: route_name.to_owned(),
            http_route_namespace: route_ns.to_owned(),
            http_route_rule_name: rule_name,
            ..Markers::default()
        };

        let pool_name = |ns: &str, svc: &str, port: i32| self.namer.pool(of, ns, svc, port);
        let members = self.pools(&pool_name, route, rule, &route_markers, objects);
        let pool_group = (!members.is_empty()).then(|| {
            objects.push(self.pool_group(&name, &members, &route_markers));
            name.clone()
        });
        let policy = self.rule_policy(&name, rule);
        let vh_matches = vh_matches(&route.hosts, rule, &route.ports);

        let markers = Markers {
            host: route.hosts.clone(),
            ..route_markers
        };
        let mut refs = Vec::new();
        if let Some(p) = &policy {
            refs.push(format!("HttpPolicy{}", p.name));
        }
        let mut cksum = checksum::vs_checksum(&VsChecksum {
            refs,
            application_profile: HTTP_PROFILE,
            se_group: &self.settings.se_group,
            markers: markers.checksum(self.cluster()),
            evh_host: Some(""),
            ..VsChecksum::default()
        });
        cksum = cksum.wrapping_add(checksum::hash(&go_json(&vh_matches)));
        if let Some(pg) = &pool_group {
            cksum = cksum.wrapping_add(checksum::hash(pg));
        }
        let metadata = ServiceMetadata {
            gateway: format!("{}/{}", a.namespace, a.name),
            http_route: format!("{route_ns}/{route_name}"),
            http_route_rule_name: rule_label(rule),
            ..ServiceMetadata::default()
        };
        let mut body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "type": "VS_TYPE_VH_CHILD",
            "vh_type": "VS_TYPE_VH_ENHANCED",
            "vh_parent_vs_ref": format!("/api/virtualservice/?name={parent}"),
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", self.settings.se_group),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", self.settings.vrf()),
            "east_west_placement": false,
            "ign_pool_net_reach": false,
            "min_pools_up": 1,
            "error_page_profile_ref": "",
            "vh_matches": vh_matches,
            "service_metadata": metadata.to_go_json(),
            "markers": markers.to_json(self.cluster()),
        });
        if let Some(pg) = &pool_group {
            body["pool_group_ref"] = json!(format!("/api/poolgroup/?name={pg}"));
        }
        if let Some(p) = policy {
            body["http_policies"] = json!([{"index": FIRST_POLICY_INDEX, "http_policy_set_ref": format!("/api/httppolicyset/?name={}", p.name)}]);
            objects.push(p);
        }
        objects.push(self.object(ObjectType::VirtualService, &name, cksum, body));
        Some(name)
    }

    /// The pools of a rule's backends that exist (a missing Service builds none), as pool
    /// group members; `pool_name` names a backend's pool (namespace, Service, port).
    pub(super) fn pools(
        &self,
        pool_name: &dyn Fn(&str, &str, i32) -> String,
        route: &AttachedRoute<'_>,
        rule: &HttpRouteRule,
        markers: &Markers,
        objects: &mut Vec<DesiredObject>,
    ) -> Vec<PgMember> {
        let mut members = Vec::new();
        for backend in rule
            .backend_refs
            .iter()
            .filter(|b| servable(self.snap, b, route.namespace))
        {
            let ns = backend.namespace.as_deref().unwrap_or(route.namespace);
            let port = backend.port.unwrap_or(0);
            let Some(svc) = self.snap.service(ns, &backend.name) else {
                continue;
            };
            let svc_port = svc
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .and_then(|ports| ports.iter().find(|p| p.port == port));
            let target_port = match svc_port.and_then(|p| p.target_port.as_ref()) {
                None => TargetPort::Int(port),
                Some(IntOrString::Int(i)) => TargetPort::Int(*i),
                Some(IntOrString::String(s)) => TargetPort::Name(s.clone()),
            };
            let pp = PortProto {
                port,
                target_port,
                protocol: "TCP".to_owned(),
                name: svc_port.and_then(|p| p.name.clone()).unwrap_or_default(),
                enable_ssl: false,
                enable_http2: false,
            };
            let Members {
                port: server_port,
                servers,
            } = port_members(
                self.settings.service_type,
                self.snap,
                self.settings,
                ServicePort {
                    svc,
                    ns,
                    name: &backend.name,
                    pp: &pp,
                },
            );
            let name = pool_name(ns, &backend.name, port);
            let pool_markers = Markers {
                backend_name: backend.name.clone(),
                backend_ns: ns.to_owned(),
                ..markers.clone()
            };
            let metadata = ServiceMetadata {
                namespace_svc_name: vec![format!("{ns}/{}", backend.name)],
                ..ServiceMetadata::default()
            };
            let mut pool = pool_object(PoolParts {
                settings: self.settings,
                cloud: self.cloud,
                tenant: self.tenant,
                name: &name,
                protocol: "HTTP",
                port: server_port,
                port_name: &pp.name,
                servers: &servers,
                priority_label: "",
                metadata: &metadata,
                markers: &pool_markers,
                rule: None,
                own_pki: None,
            });
            let mut body = pool.body.to_value();
            body["created_by"] = json!(self.created_by);
            pool.body = Body::from(body);
            objects.push(pool);
            members.push(PgMember {
                pool_ref: format!("/api/pool?name={name}"),
                priority_label: None,
                ratio: u32::try_from(backend.weight.unwrap_or(1)).unwrap_or(0),
            });
        }
        members
    }

    /// A rule's pool group: its members sorted by pool (AKO's checksum sorts them in place
    /// before the body is built).
    pub(super) fn pool_group(&self, name: &str, members: &[PgMember], markers: &Markers) -> DesiredObject {
        let cksum = checksum::pool_group_checksum(members, markers.checksum(self.cluster()));
        let mut sorted: Vec<&PgMember> = members.iter().collect();
        sorted.sort_by(|a, b| a.pool_ref.cmp(&b.pool_ref));
        let body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "implicit_priority_labels": false,
            "members": sorted.iter().map(|m| json!({"pool_ref": m.pool_ref, "ratio": m.ratio})).collect::<Vec<_>>(),
            "markers": markers.to_json(self.cluster()),
        });
        self.object(ObjectType::PoolGroup, name, cksum, body)
    }

    /// The policy set of a rule's filters (named like its child), if it has any: a redirect
    /// alone (AKO then ignores the other filters), else the request header actions with the URL
    /// rewrite, and the response header actions.
    fn rule_policy(&self, name: &str, rule: &HttpRouteRule) -> Option<DesiredObject> {
        let modifiers = |pick: fn(&HttpRouteFilter) -> Option<&HeaderModifier>| -> Vec<Value> {
            rule.filters.iter().filter_map(pick).flat_map(header_actions).collect()
        };
        // Keys in Go's field order (alphabetical in the SDK): the checksum hashes this JSON.
        let rule_of = |actions: Vec<Value>| json!({"enable": true, "hdr_action": actions, "index": 1, "name": name});
        let mut request = Vec::new();
        let mut response = Vec::new();
        if let Some(r) = rule.filters.iter().find_map(|f| f.request_redirect.as_ref()) {
            request.push(json!({"enable": true, "index": 1, "name": name, "redirect_action": redirect_action(r)}));
        } else {
            let actions = modifiers(|f| f.request_header_modifier.as_ref());
            if !actions.is_empty() {
                request.push(rule_of(actions));
            }
            if let Some(r) = rule.filters.iter().find_map(|f| f.url_rewrite.as_ref()) {
                match request.first_mut() {
                    Some(first) => first["rewrite_url_action"] = rewrite_action(r),
                    None => request.push(
                        json!({"enable": true, "index": 1, "name": name, "rewrite_url_action": rewrite_action(r)}),
                    ),
                }
            }
            let actions = modifiers(|f| f.response_header_modifier.as_ref());
            if !actions.is_empty() {
                response.push(rule_of(actions));
            }
        }
        if request.is_empty() && response.is_empty() {
            return None;
        }
        let mut cksum = checksum::markers_checksum(self.cluster(), &[]);
        let mut body = json!({
            "name": name,
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "http_security_policy": {},
            "markers": Markers::default().to_json(self.cluster()),
        });
        for (field, rules) in [("http_request_policy", request), ("http_response_policy", response)] {
            if !rules.is_empty() {
                let rules = Value::Array(rules);
                cksum = cksum.wrapping_add(checksum::hash(&go_json(&rules)));
                body[field] = json!({"rules": rules});
            }
        }
        body["cloud_config_cksum"] = json!(cksum.to_string());
        Some(self.object(ObjectType::HttpPolicySet, name, cksum, body))
    }

    /// The policy set answering 404 where no child matches: one for every Gateway.
    fn default_backend(&self) -> DesiredObject {
        let name = self.namer.default_backend();
        let rules = json!([{
            "enable": true,
            "index": 0,
            "match": {"path": {"match_criteria": "BEGINS_WITH", "match_str": ["/"]}},
            "name": "default-backend-rule",
            "switching_action": {"action": "HTTP_SWITCHING_SELECT_LOCAL", "status_code": "HTTP_LOCAL_RESPONSE_STATUS_CODE_404"},
        }]);
        let cksum = checksum::markers_checksum(self.cluster(), &[]).wrapping_add(checksum::hash(&go_json(&rules)));
        let body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "http_request_policy": {"rules": rules},
            "http_security_policy": {},
            "markers": Markers::default().to_json(self.cluster()),
        });
        self.object(ObjectType::HttpPolicySet, &name, cksum, body)
    }

    /// A listener's certificate.
    pub(super) fn certificate(&self, name: &str, certificate: &str, key: &str) -> DesiredObject {
        let markers = Markers::default();
        let body = json!({
            "name": name,
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref(),
            "certificate": {"certificate": certificate},
            "key": key,
            "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
            "markers": markers.to_json(self.cluster()),
        });
        let cksum = checksum::ssl_checksum(name, certificate, "", markers.checksum(self.cluster()));
        self.object(ObjectType::SslKeyAndCertificate, name, cksum, body)
    }
}

/// A Gateway's virtual service's `ssl_key_and_certificate_refs`, when it has certificates.
pub(super) fn set_certificate_refs(body: &mut Value, certs: &[String]) {
    if !certs.is_empty() {
        body["ssl_key_and_certificate_refs"] = certs
            .iter()
            .map(|c| json!(format!("/api/sslkeyandcertificate/?name={c}")))
            .collect();
    }
}

/// The `services` of a Gateway's virtual service: its ports, TLS where the listener has
/// certificates, never HTTP/2.
pub(super) fn services(ports: &[PortProto]) -> Value {
    ports
        .iter()
        .map(|p| json!({"port": p.port, "enable_ssl": p.enable_ssl, "enable_http2": false}))
        .collect()
}

/// The parent's ports: one per distinct (port, protocol, TLS) of its listeners, in order.
pub(super) fn listener_ports(a: &Attached<'_>) -> Vec<PortProto> {
    let mut ports: Vec<PortProto> = Vec::new();
    for l in &a.listeners {
        let p = PortProto {
            port: l.port,
            target_port: TargetPort::Int(0),
            protocol: l.protocol.clone(),
            name: String::new(),
            enable_ssl: l.tls.as_ref().is_some_and(|t| !t.certificate_refs.is_empty()),
            enable_http2: false,
        };
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// A header modifier as AKO's header actions: added, then set, then removed headers, each
/// list sorted by name, indexed from 0 per filter.
pub(super) fn header_actions(m: &HeaderModifier) -> Vec<Value> {
    let mut add = m.add.clone();
    add.sort_by(|a, b| a.name.cmp(&b.name));
    let mut set = m.set.clone();
    set.sort_by(|a, b| a.name.cmp(&b.name));
    let mut remove = m.remove.clone();
    remove.sort();
    let value = |v: &str| json!({"is_sensitive": false, "val": v});
    let with_value = |action: &str, name: &str, v: &str| {
        if v.is_empty() {
            json!({"action": action, "hdr": {"name": name}})
        } else {
            json!({"action": action, "hdr": {"name": name, "value": value(v)}})
        }
    };
    let mut out: Vec<Value> = add
        .iter()
        .map(|h| with_value("HTTP_ADD_HDR", &h.name, &h.value))
        .chain(set.iter().map(|h| with_value("HTTP_REPLACE_HDR", &h.name, &h.value)))
        .chain(remove.iter().map(|h| with_value("HTTP_REMOVE_HDR", h, "")))
        .collect();
    for (i, action) in out.iter_mut().enumerate() {
        action["hdr_index"] = json!(i);
    }
    out
}

/// A string as the one token of a tokenized URI parameter.
pub(super) fn uri_param(value: &str) -> Value {
    json!({"tokens": [{"str_value": value, "type": "URI_TOKEN_TYPE_STRING"}], "type": "URI_PARAM_TYPE_TOKENIZED"})
}

/// A redirect as AKO serves it: to its hostname, over HTTP, with 301, 302 or 307 (else 302);
/// the scheme, port and path of the filter are not served (as AKO).
fn redirect_action(r: &RequestRedirect) -> Value {
    let code = r.status_code.filter(|c| matches!(c, 301 | 302 | 307)).unwrap_or(302);
    json!({
        "host": uri_param(r.hostname.as_deref().unwrap_or_default()),
        "protocol": "HTTP",
        "status_code": format!("HTTP_REDIRECT_STATUS_CODE_{code}"),
    })
}

/// A URL rewrite as AKO serves it: the Host header, and a full path (without its leading `/`,
/// which the controller adds); the query kept. (A Route replacing a path prefix is refused as a
/// whole before: [`super::attach::unsupported_value`].)
fn rewrite_action(r: &UrlRewrite) -> Value {
    let mut action = serde_json::Map::new();
    if let Some(h) = r.hostname.as_deref().filter(|h| !h.is_empty()) {
        action.insert("host_hdr".into(), uri_param(h));
    }
    if let Some(full) = r
        .path
        .as_ref()
        .filter(|p| p.type_ == "ReplaceFullPath")
        .and_then(|p| p.replace_full_path.as_deref())
    {
        action.insert("path".into(), uri_param(full.strip_prefix('/').unwrap_or(full)));
    }
    action.insert("query".into(), json!({"keep_query": true}));
    Value::Object(action)
}

/// A child's `vh_matches`: per host, one rule per match (path and headers) on the listeners'
/// ports. Keys in Go's field order: the checksum hashes this JSON.
fn vh_matches(hosts: &[String], rule: &HttpRouteRule, ports: &[i32]) -> Value {
    let matches = sorted_matches(rule);
    let rules: Vec<Value> = matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut target = serde_json::Map::new();
            if !m.headers.is_empty() {
                let hdrs: Vec<Value> = m
                    .headers
                    .iter()
                    .map(|h| json!({"hdr": h.name, "match_case": "SENSITIVE", "match_criteria": "HDR_EQUALS", "value": [h.value]}))
                    .collect();
                target.insert("hdrs".into(), Value::Array(hdrs));
            }
            if m.path.is_some() {
                let criteria = match path_type(m) {
                    "Exact" => "EQUALS",
                    "RegularExpression" => "REGEX_MATCH",
                    _ => "BEGINS_WITH",
                };
                target.insert(
                    "path".into(),
                    json!({"match_case": "SENSITIVE", "match_criteria": criteria, "match_str": [path_value(m)]}),
                );
            }
            target.insert("vs_port".into(), json!({"match_criteria": "IS_IN", "ports": ports}));
            json!({"matches": Value::Object(target), "name": format!("rule-{i}")})
        })
        .collect();
    Value::Array(hosts.iter().map(|h| json!({"host": h, "rules": rules})).collect())
}
