//! A HostRule carried into a VS's body and checksum: which fields each kind of VS takes
//! (`AviVsBuild`, `AviVsSniBuild`, `setDedicatedVSNodeProperties` in AKO's
//! `internal/rest/avi_obj_vs.go`) and where its HTTP policy sets go.

use serde_json::{Value, json};

use crate::checksum::{PortProto, TargetPort, VsChecksum};
use crate::crds::InfraListener;
use crate::rules::SsoFields;
use crate::rules::VsRule;
use crate::rules::generated::generated_fields;

/// First index of a HostRule's HTTP policy sets after AKO's own (`len + 11 + 5`).
const RULE_POLICY_GAP: i64 = 16;

/// The kinds of VS a HostRule configures differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum VsKind {
    /// A shared parent (ICAP profiles are not sent).
    Parent,
    /// An SNI child (no listeners, VIP or network security policy).
    Child,
    /// A DEDICATED-mode VS.
    Dedicated,
}

/// Set the fields `rule` decides on `body`.
pub(super) fn apply(body: &mut Value, rule: &VsRule, kind: VsKind) {
    let set = |body: &mut Value, field: &str, v: &Option<String>| {
        if let Some(v) = v {
            body[field] = json!(v);
        }
    };
    set(body, "application_profile_ref", &rule.application_profile);
    set(body, "waf_policy_ref", &rule.waf_policy);
    set(body, "analytics_profile_ref", &rule.analytics_profile);
    set(body, "ssl_profile_ref", &rule.ssl_profile);
    body["error_page_profile_ref"] = json!(rule.error_page_profile);
    if let Some(e) = rule.enabled {
        body["enabled"] = json!(e);
    }
    if let Some(a) = &rule.analytics_policy {
        body["analytics_policy"] = a.to_json();
    }
    if !rule.certificates.is_empty() {
        body["ssl_key_and_certificate_refs"] = json!(rule.certificates);
    }
    if !rule.datascripts.is_empty() {
        body["vs_datascripts"] = Value::Array(
            rule.datascripts
                .iter()
                .enumerate()
                .map(|(i, d)| json!({"vs_datascript_set_ref": d, "index": i}))
                .collect(),
        );
    }
    if kind != VsKind::Parent && !rule.icap_profiles.is_empty() {
        body["icap_request_profile_refs"] = json!(rule.icap_profiles);
    }
    if kind != VsKind::Child {
        set(body, "network_security_policy_ref", &rule.network_security_policy);
    }
    if let Some(l7) = &rule.l7 {
        l7.apply(body, kind == VsKind::Child);
    }
}

/// `http_policies`: AKO's own (unless the rule overwrites them), then the rule's; `None` when
/// there are none (Go omits an empty list).
pub(super) fn http_policies(own: Vec<Value>, rule: Option<&VsRule>) -> Option<Value> {
    let mut list = match rule {
        Some(r) if r.overwrite => Vec::new(),
        _ => own,
    };
    let base = list.len() as i64 + RULE_POLICY_GAP;
    for (i, p) in rule.iter().flat_map(|r| r.policy_sets.iter()).enumerate() {
        list.push(json!({"http_policy_set_ref": p, "index": base + i as i64}));
    }
    (!list.is_empty()).then_some(Value::Array(list))
}

/// The listeners of a shared parent or DEDICATED VS: the rule's, else `default`.
pub(super) fn ports(rule: Option<&VsRule>, default: Vec<PortProto>) -> Vec<PortProto> {
    match rule.and_then(|r| r.listeners.as_ref()).filter(|l| !l.is_empty()) {
        Some(listeners) => listeners.iter().map(|(port, ssl)| l7_port(*port, *ssl)).collect(),
        None => default,
    }
}

/// The ports of a shared parent or DEDICATED VS with its AviInfraSetting's listeners
/// (`buildListenerPortsWithInfraSetting`): each replaces the port of the same number, or is added
/// after them.
pub(super) fn with_listeners(listeners: &[InfraListener], mut ports: Vec<PortProto>) -> Vec<PortProto> {
    for l in listeners {
        let mut pp = l7_port(l.port, l.enable_ssl == Some(true));
        pp.enable_http2 = l.enable_http2 == Some(true);
        match ports.iter_mut().find(|p| p.port == l.port) {
            Some(p) => *p = pp,
            None => ports.push(pp),
        }
    }
    ports
}

/// An L7 listener as AKO's model holds it.
pub(super) fn l7_port(port: i32, ssl: bool) -> PortProto {
    PortProto {
        port,
        target_port: TargetPort::Int(0),
        protocol: "HTTP".to_owned(),
        name: String::new(),
        enable_ssl: ssl,
        enable_http2: false,
    }
}

/// The VS checksum's inputs `rule` decides: its references (refs list and `vsRefs`),
/// `enabled`, the analytics policy and the generated fields (with those of the SSORule `sso`).
pub(super) fn checksum(c: &mut VsChecksum<'_>, rule: &VsRule, kind: VsKind, sso: Option<&SsoFields>, cluster: &str) {
    c.rule_refs = rule.checksum_refs();
    // SNI mode lists the certificates among the references, EVH mode hashes them with the rule's.
    if c.evh_host.is_some() {
        if !rule.certificates.is_empty() {
            c.rule_refs
                .push_str(&crate::checksum::go_json_strings(&rule.certificates));
        }
    } else {
        c.refs
            .extend(rule.certificates.iter().map(|r| format!("SslKeyAndCertificate{r}")));
    }
    c.enabled = rule.enabled;
    c.analytics_policy = rule.analytics_policy.as_ref().map(|a| a.checksum(cluster));
    let nsp = rule
        .network_security_policy
        .as_deref()
        .filter(|_| kind != VsKind::Child);
    c.generated = generated_fields(rule.l7.as_ref(), nsp, sso, kind == VsKind::Child);
}
