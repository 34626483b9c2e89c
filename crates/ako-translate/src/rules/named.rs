//! Which controller objects the rules (HostRules, HTTPRules, L4Rules, L7Rules, SSORules) and AviInfraSettings of a snapshot
//! name, and in which tenant each is looked up: what `ako run` (and `ako plan --controller`) asks
//! the controller about before translating.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::ControllerRef;
use super::verdict::{host_rule_refs, http_rule_refs};
use crate::infra::infra_refs;
use crate::key::{Kind, NsName, ObjRef};
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// A (tenant, controller object) a rule names.
pub type NamedRef = (String, ControllerRef);

/// Every controller object the rules and AviInfraSettings of `snap` name, with the tenant it is looked up in, and
/// the rules naming each.
pub fn named_refs(snap: &Snapshot, settings: &Settings) -> BTreeMap<NamedRef, BTreeSet<ObjRef>> {
    let mut out: BTreeMap<NamedRef, BTreeSet<ObjRef>> = BTreeMap::new();
    let mut add = |kind: Kind, ns: &str, name: &str, refs: Vec<ControllerRef>| {
        let tenant = tenant_of(snap, settings, ns);
        for r in refs {
            out.entry((tenant.clone(), r))
                .or_default()
                .insert(ObjRef::new(kind, ns, name));
        }
    };
    let served = |k: &NsName| namespace_accepted(snap, settings, &k.namespace);
    for (k, rule) in snap.host_rules().iter().filter(|(k, _)| served(k)) {
        add(Kind::HostRule, &k.namespace, &k.name, host_rule_refs(rule));
    }
    for (k, rule) in snap.http_rules().iter().filter(|(k, _)| served(k)) {
        add(Kind::HttpRule, &k.namespace, &k.name, http_rule_refs(rule));
    }
    for (k, rule) in snap.l4_rules.iter().filter(|(k, _)| served(k)) {
        add(Kind::L4Rule, &k.namespace, &k.name, crate::l4::rule::l4_rule_refs(rule));
    }
    for (k, rule) in snap.l7_rules.iter().filter(|(k, _)| served(k)) {
        add(Kind::L7Rule, &k.namespace, &k.name, super::l7_rule::l7_rule_refs(rule));
    }
    for (k, rule) in snap.sso_rules.iter().filter(|(k, _)| served(k)) {
        add(
            Kind::SsoRule,
            &k.namespace,
            &k.name,
            super::sso_rule::sso_rule_refs(rule),
        );
    }
    // AKO looks an AviInfraSetting's SE group and networks up in the tenant of `tenantName`.
    for (k, setting) in &snap.infra_settings {
        for r in infra_refs(setting) {
            out.entry((settings.tenant.clone(), r)).or_default().insert(ObjRef::new(
                Kind::AviInfraSetting,
                "",
                &k.name,
            ));
        }
    }
    out
}
