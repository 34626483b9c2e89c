//! Whether a rule is Accepted or Rejected, and why: AKO's validation
//! (`internal/k8s/validator.go`), with the controller's answers from the [`RefCatalog`], plus
//! the fields ako-rs does not carry out yet (rejected with the reason rather than ignored).
//!
//! Where AKO's outcome depends on the order it happened to see objects in (two HostRules with
//! one FQDN, an alias two rules claim), ako-rs decides by age: the rule created first keeps its
//! claim, whatever order the watch delivers them in.

use std::net::Ipv4Addr;

use avi_model::ObjectType;

use super::catalog::{ControllerRef, RefState};
use crate::crds::{CertificateType, FqdnType, HostRule, HttpRule};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::settings::Settings;
use crate::shard::ShardSize;
use crate::snapshot::Snapshot;

/// The only application profile type a HostRule may name.
const L7_APP_PROFILE_TYPE: &str = "APPLICATION_PROFILE_TYPE_HTTP";
/// AKO refuses regex and app-root on a HostRule whose FQDN contains this (a shared VS's).
const SHARED_VS_SUBSTRING: &str = "Shared-";
/// AKO's message for an HTTPRule path with both a PKI profile and a CA.
pub const PKI_AND_CA_SET: &str =
    "PKIProfile and DestinationCA fields are set in the HTTPRule. Only one of the field should be set.";

/// A rule's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: it applies.
    Accepted,
    /// Invalid, with AKO's reason: it changes nothing.
    Rejected(String),
    /// Names controller objects not looked up yet: not applied, no status written until they are.
    Unresolved(Vec<ControllerRef>),
}

impl Verdict {
    /// Whether the rule applies.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted)
    }

    /// `status.status` and `status.error` as AKO writes them; `None` while unresolved.
    pub fn status(&self) -> Option<(&'static str, &str)> {
        match self {
            Verdict::Accepted => Some(("Accepted", "")),
            Verdict::Rejected(e) => Some(("Rejected", e)),
            Verdict::Unresolved(_) => None,
        }
    }
}

/// The Secrets (of the rule's namespace) its `type: secret` certificates name, main first.
pub fn certificate_secrets(rule: &HostRule) -> Vec<&str> {
    rule.spec
        .virtualhost
        .tls
        .iter()
        .flat_map(|t| t.ssl_key_certificate.names_from(CertificateType::Secret))
        .collect()
}

/// The controller objects a HostRule names, in AKO's field order.
pub fn host_rule_refs(rule: &HostRule) -> Vec<ControllerRef> {
    let vh = &rule.spec.virtualhost;
    let mut refs = Vec::new();
    let mut add = |kind: ObjectType, name: Option<&str>| {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            refs.push(ControllerRef::new(kind, n));
        }
    };
    add(ObjectType::WafPolicy, vh.waf_policy.as_deref());
    add(ObjectType::ApplicationProfile, vh.application_profile.as_deref());
    if let Some(tls) = &vh.tls {
        add(ObjectType::SslProfile, tls.ssl_profile.as_deref());
        for name in tls.ssl_key_certificate.names_from(CertificateType::Ref) {
            add(ObjectType::SslKeyAndCertificate, Some(name));
        }
    }
    add(ObjectType::AnalyticsProfile, vh.analytics_profile.as_deref());
    add(ObjectType::ErrorPageProfile, vh.error_page_profile.as_deref());
    if let Some([icap]) = vh.icap_profile.as_deref() {
        add(ObjectType::IcapProfile, Some(icap.as_str()));
    }
    for p in vh.http_policy.iter().flat_map(|p| p.policy_sets.iter().flatten()) {
        add(ObjectType::HttpPolicySet, Some(p));
    }
    for d in vh.datascripts.iter().flatten() {
        add(ObjectType::VsDataScriptSet, Some(d));
    }
    add(ObjectType::NetworkSecurityPolicy, vh.network_security_policy.as_deref());
    dedup(refs)
}

/// The controller objects an HTTPRule names, path by path.
pub fn http_rule_refs(rule: &HttpRule) -> Vec<ControllerRef> {
    let mut refs = Vec::new();
    for path in rule.spec.paths.iter().flatten() {
        let mut add = |kind: ObjectType, name: Option<&String>| {
            if let Some(n) = name.filter(|n| !n.is_empty()) {
                refs.push(ControllerRef::new(kind, n));
            }
        };
        if let Some(tls) = &path.tls {
            add(ObjectType::SslProfile, tls.ssl_profile.as_ref());
            add(ObjectType::PkiProfile, tls.pki_profile.as_ref());
        }
        add(
            ObjectType::ApplicationPersistenceProfile,
            path.application_persistence.as_ref(),
        );
        for hm in path.health_monitors.iter().flatten() {
            add(ObjectType::HealthMonitor, Some(hm));
        }
    }
    dedup(refs)
}

fn dedup(refs: Vec<ControllerRef>) -> Vec<ControllerRef> {
    let mut seen = std::collections::BTreeSet::new();
    refs.into_iter().filter(|r| seen.insert(r.clone())).collect()
}

/// The verdict of the HostRule `key` in `snap`.
pub fn host_rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Verdict {
    let Some(rule) = snap.host_rules().get(key) else {
        return Verdict::Rejected("the HostRule does not exist".to_owned());
    };
    let vh = &rule.spec.virtualhost;
    // A FQDN is claimed by the oldest HostRule that is valid on its own, in a namespace this
    // instance serves (AKO never sees the others: another instance's rules claim nothing here).
    let served = |k: &NsName| namespace_accepted(snap, settings, &k.namespace);
    if let Some(first) = snap
        .host_rules_claiming(&vh.fqdn)
        .filter(|(k, r)| *k != key && served(k) && older(r, rule, k, key))
        .find(|(k, r)| own_checks(snap, settings, cloud, k, r).is_accepted())
    {
        return Verdict::Rejected(format!("duplicate fqdn {} found in {}", vh.fqdn, first.0));
    }
    if let Some(aliases) = &vh.aliases {
        // AKO checks the aliases' own rules first, then their use by another rule.
        if let Some(e) = alias_error(vh, aliases) {
            return Verdict::Rejected(e);
        }
        for alias in aliases {
            let taken = snap
                .host_rules()
                .iter()
                .filter(|(k, r)| *k != key && served(k) && r.spec.virtualhost.fqdn != vh.fqdn && older(r, rule, k, key))
                .find(|(k, r)| {
                    r.spec.virtualhost.aliases.iter().flatten().any(|a| a == alias)
                        && own_checks(snap, settings, cloud, k, r).is_accepted()
                });
            if let Some((_, r)) = taken {
                return Verdict::Rejected(format!(
                    "{alias} is already in use by hostrule {}",
                    r.spec.virtualhost.fqdn
                ));
            }
        }
    }
    own_checks(snap, settings, cloud, key, rule)
}

/// Whether HostRule `a` (`ka`) was created before `b` (`kb`); the older keeps a claim.
fn older(a: &HostRule, b: &HostRule, ka: &NsName, kb: &NsName) -> bool {
    let ta = a.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let tb = b.metadata.creation_timestamp.as_ref().map(|t| t.0);
    (ta, ka) < (tb, kb)
}

/// Everything AKO checks of one HostRule that does not involve the other HostRules.
fn own_checks(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName, rule: &HostRule) -> Verdict {
    let vh = &rule.spec.virtualhost;
    let gslb = vh.gslb.as_ref().and_then(|g| g.fqdn.as_deref()).unwrap_or("");
    if let Some(ip) = vh.tcp_settings.as_ref().and_then(|t| t.load_balancer_ip.as_deref())
        && !ip.is_empty()
        && ip.parse::<Ipv4Addr>().is_err()
    {
        return Verdict::Rejected(format!("loadBalancerIP {ip} is not a valid IP"));
    }
    if !gslb.is_empty() && gslb == vh.fqdn {
        return Verdict::Rejected("GSLB FQDN and local FQDN are same".to_owned());
    }
    if let Some(listeners) = vh.tcp_settings.as_ref().and_then(|t| t.listeners.as_ref())
        && !listeners.is_empty()
        && !listeners.iter().any(|l| l.enable_ssl == Some(true))
    {
        return Verdict::Rejected("Hosting parent virtualservice must have SSL enabled".to_owned());
    }
    if let Some(e) = vh.aliases.as_ref().and_then(|a| alias_error(vh, a)) {
        return Verdict::Rejected(e);
    }
    for name in certificate_secrets(rule) {
        if let Some(e) = settings.secrets_restricted(&key.namespace) {
            return Verdict::Rejected(e);
        }
        if !snap.secrets.contains_key(&NsName::new(&key.namespace, name)) {
            return Verdict::Rejected(format!("secret \"{name}\" not found"));
        }
    }
    if vh.icap_profile.as_ref().is_some_and(|i| i.len() > 1) {
        return Verdict::Rejected("Can only have 1 ICAP profile associated with VS".to_owned());
    }
    let tenant = tenant_of(snap, settings, &key.namespace);
    match check_refs(cloud, settings, &tenant, &host_rule_refs(rule)) {
        Verdict::Accepted => {}
        other => return other,
    }
    // The L7Rule it names must exist (AKO asks its lister, in either mode).
    if let Some(l7) = vh.l7_rule.as_deref().filter(|l| !l.is_empty())
        && !snap.l7_rules.contains_key(&NsName::new(&key.namespace, l7))
    {
        return Verdict::Rejected(format!("l7rule.ako.vmware.com \"{l7}\" not found"));
    }
    if vh.fqdn.contains(SHARED_VS_SUBSTRING) && vh.use_regex == Some(true) {
        return Verdict::Rejected(format!(
            "hostrule useRegex with fqdn {} cannot be applied to shared virtualservices",
            vh.fqdn
        ));
    }
    if vh.fqdn.contains(SHARED_VS_SUBSTRING) && vh.application_root_path.as_deref().is_some_and(|p| !p.is_empty()) {
        return Verdict::Rejected(format!(
            "hostrule applicationRootPath with fqdn {} cannot be applied to shared virtualservices",
            vh.fqdn
        ));
    }
    match unsupported(rule) {
        Some(field) => Verdict::Rejected(format!("{field} is not supported by ako-rs yet")),
        None => Verdict::Accepted,
    }
}

/// AKO's checks of `aliases` on their own.
fn alias_error(vh: &crate::crds::VirtualHost, aliases: &[String]) -> Option<String> {
    if vh.fqdn_type.unwrap_or_default() != FqdnType::Exact {
        return Some("Aliases is supported only when FQDN type is set as Exact".to_owned());
    }
    if aliases.contains(&vh.fqdn) {
        return Some("Duplicate entry found. Aliases field has same entry as the FQDN field".to_owned());
    }
    let unique: std::collections::BTreeSet<&String> = aliases.iter().collect();
    if unique.len() != aliases.len() {
        return Some("Aliases must be unique".to_owned());
    }
    let gslb = vh.gslb.as_ref().and_then(|g| g.fqdn.as_deref()).unwrap_or("");
    if !gslb.is_empty() && aliases.iter().any(|a| a == gslb) {
        return Some("Aliases must not contain GSLB FQDN".to_owned());
    }
    None
}

/// The HostRule fields AKO acts on that ako-rs does not carry out yet.
fn unsupported(rule: &HostRule) -> Option<&'static str> {
    let vh = &rule.spec.virtualhost;
    let tls = vh.tls.as_ref().map(|t| &t.ssl_key_certificate);
    if tls.is_some_and(|c| {
        c.alternate_certificate
            .as_ref()
            .is_some_and(|a| a.type_ == CertificateType::Secret && !a.name.is_empty())
    }) {
        return Some("tls.sslKeyCertificate.alternateCertificate of type secret");
    }
    None
}

/// The fields of an Accepted HostRule that have no effect where it applies, and why: AKO
/// ignores listeners, VIP and network security policy on SNI children (they belong to the
/// shared parent), and logs it; ako-rs says it in the rule's Event.
pub fn host_rule_ignored(rule: &HostRule, settings: &Settings) -> Vec<&'static str> {
    let vh = &rule.spec.virtualhost;
    let child = !crate::rules::matching::is_shared_vs_rule(rule) && settings.shard_size != ShardSize::Dedicated;
    let mut out = Vec::new();
    if child {
        if vh.network_security_policy.as_deref().is_some_and(|n| !n.is_empty()) {
            out.push("networkSecurityPolicy");
        }
        if vh.tcp_settings.is_some() {
            out.push("tcpSettings");
        }
    }
    out
}

/// The verdict of the HTTPRule `key` in `snap`.
pub fn http_rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Verdict {
    let Some(rule) = snap.http_rules().get(key) else {
        return Verdict::Rejected("the HTTPRule does not exist".to_owned());
    };
    for path in rule.spec.paths.iter().flatten() {
        let tls = path.tls.as_ref();
        let set = |v: Option<&String>| v.is_some_and(|s| !s.is_empty());
        if set(tls.and_then(|t| t.pki_profile.as_ref())) && set(tls.and_then(|t| t.destination_ca.as_ref())) {
            return Verdict::Rejected(PKI_AND_CA_SET.to_owned());
        }
    }
    let tenant = tenant_of(snap, settings, &key.namespace);
    check_refs(cloud, settings, &tenant, &http_rule_refs(rule))
}

/// AKO's checks of the controller objects a rule names (`checkRefOnController`).
pub(crate) fn check_refs(cloud: &CloudFacts, settings: &Settings, tenant: &str, refs: &[ControllerRef]) -> Verdict {
    let mut unresolved = Vec::new();
    let ako_user = format!("ako-{}", settings.cluster_name);
    for r in refs {
        let kind = r.kind.path();
        let name = &r.name;
        match cloud.refs.get(tenant, r) {
            None => unresolved.push(r.clone()),
            Some(RefState::Absent) => {
                return Verdict::Rejected(format!("{kind} \"{name}\" not found on controller"));
            }
            Some(RefState::Present { type_, created_by }) => {
                if r.kind == ObjectType::ApplicationProfile
                    && type_.as_deref().is_some_and(|t| t != L7_APP_PROFILE_TYPE)
                {
                    return Verdict::Rejected(format!(
                        "{kind} \"{name}\" found on controller is invalid, must be of type: {L7_APP_PROFILE_TYPE}"
                    ));
                }
                if created_by.as_deref() == Some(ako_user.as_str()) {
                    return Verdict::Rejected(format!(
                        "{kind} \"{name}\" Invalid operation, object referred is created by current AKO instance"
                    ));
                }
            }
        }
    }
    if unresolved.is_empty() {
        Verdict::Accepted
    } else {
        Verdict::Unresolved(unresolved)
    }
}
