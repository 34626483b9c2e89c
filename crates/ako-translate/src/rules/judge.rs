//! One verdict for a rule of any kind, and every rule of a snapshot: what `ako run` writes as
//! rules' statuses and `ako plan` reports as rejected.

use super::{Verdict, host_rule_verdict, http_rule_verdict};
use crate::infra::infra_verdict;
use crate::{CloudFacts, Kind, ObjRef, Settings, Snapshot};

/// The verdict of rule `r` (any rule kind; an AviInfraSetting too) as the snapshot holds it.
pub fn rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, r: &ObjRef) -> Verdict {
    match r.kind {
        Kind::HostRule => host_rule_verdict(snap, settings, cloud, &r.key),
        Kind::AviInfraSetting => infra_verdict(snap, settings, cloud, &r.key.name),
        Kind::L4Rule => crate::l4::rule::l4_rule_verdict(snap, settings, cloud, &r.key),
        Kind::L7Rule => super::l7_rule_verdict(snap, settings, cloud, &r.key),
        Kind::SsoRule => super::sso_rule_verdict(snap, settings, cloud, &r.key),
        _ => http_rule_verdict(snap, settings, cloud, &r.key),
    }
}

/// Every HostRule, HTTPRule, L4Rule, L7Rule, SSORule and AviInfraSetting of `snap`.
pub fn every_rule(snap: &Snapshot) -> impl Iterator<Item = ObjRef> + '_ {
    let host = snap
        .host_rules()
        .keys()
        .map(|k| ObjRef::new(Kind::HostRule, &k.namespace, &k.name));
    let http = snap
        .http_rules()
        .keys()
        .map(|k| ObjRef::new(Kind::HttpRule, &k.namespace, &k.name));
    let l4 = snap
        .l4_rules
        .keys()
        .map(|k| ObjRef::new(Kind::L4Rule, &k.namespace, &k.name));
    let l7 = snap
        .l7_rules
        .keys()
        .map(|k| ObjRef::new(Kind::L7Rule, &k.namespace, &k.name));
    let sso = snap
        .sso_rules
        .keys()
        .map(|k| ObjRef::new(Kind::SsoRule, &k.namespace, &k.name));
    let infra = snap
        .infra_settings
        .keys()
        .map(|k| ObjRef::new(Kind::AviInfraSetting, "", &k.name));
    host.chain(http).chain(l4).chain(l7).chain(sso).chain(infra)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::RefCatalog;
    use crate::{Values, load_document};

    /// Rules of a namespace this instance does not serve claim no FQDN here: AKO never sees
    /// them, and the instance that serves them judges them alone.
    #[test]
    fn rules_of_namespaces_not_served_claim_nothing() {
        let settings = Settings::from_values(
            &Values::from_yaml(
                "AKOSettings:\n  clusterName: c1\n  namespaceSelector: {labelKey: team, labelValue: a}\n\
                 NetworkSettings:\n  vipNetworkList: [{networkName: vip-net}]\n",
            )
            .unwrap(),
        )
        .unwrap();
        let mut snap = Snapshot::new();
        let rule = |kind: &str, ns: &str, created: &str| {
            let (version, spec) = match kind {
                "HostRule" => ("v1beta1", json!({"virtualhost": {"fqdn": "x.avi.internal"}})),
                _ => (
                    "v1alpha2",
                    json!({"fqdn": "x.avi.internal", "ssoPolicyRef": "p", "oauthVsConfig": {}}),
                ),
            };
            json!({"apiVersion": format!("ako.vmware.com/{version}"), "kind": kind,
                "metadata": {"name": "r", "namespace": ns, "creationTimestamp": created}, "spec": spec})
        };
        for doc in [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mine", "labels": {"team": "a"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "theirs", "labels": {"team": "b"}}}),
            rule("HostRule", "theirs", "2026-01-01T00:00:00Z"),
            rule("HostRule", "mine", "2026-02-01T00:00:00Z"),
            rule("SSORule", "theirs", "2026-01-01T00:00:00Z"),
            rule("SSORule", "mine", "2026-02-01T00:00:00Z"),
        ] {
            load_document(&mut snap, doc).unwrap();
        }
        let cloud = CloudFacts {
            refs: RefCatalog::unchecked(),
            ..CloudFacts::default()
        };
        for kind in [Kind::HostRule, Kind::SsoRule] {
            let mine = ObjRef::new(kind, "mine", "r");
            assert_eq!(
                rule_verdict(&snap, &settings, &cloud, &mine),
                Verdict::Accepted,
                "{kind}"
            );
        }
        // Served, the older one claims the FQDN.
        let all = Settings::from_values(
            &Values::from_yaml(
                "AKOSettings:\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: [{networkName: vip-net}]\n",
            )
            .unwrap(),
        )
        .unwrap();
        for kind in [Kind::HostRule, Kind::SsoRule] {
            let mine = ObjRef::new(kind, "mine", "r");
            assert!(
                matches!(rule_verdict(&snap, &all, &cloud, &mine), Verdict::Rejected(e) if e.contains("duplicate fqdn")),
                "{kind}"
            );
        }
    }
}
