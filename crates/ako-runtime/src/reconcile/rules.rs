//! HostRules, HTTPRules, L4Rules, L7Rules, SSORules and AviInfraSettings in the reconcile loop: the controller objects they name are looked up
//! before translation (and again on every full resync, so a WAF policy created later makes a
//! Rejected rule Accepted without anyone touching it), their verdicts are computed once per
//! change, and the `status` AKO writes on them (`Accepted`, or `Rejected` with the reason) is
//! written when it differs. A rule whose update is Rejected stays in effect at its last
//! Accepted version ([`super::last_good`]). Rules in namespaces this instance does not serve
//! are left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ako_translate::crds::RuleStatus;
use ako_translate::namespaces::namespace_accepted;
use ako_translate::rules::every_rule;
use ako_translate::rules::{Verdict, host_rule_ignored, rule_verdict};
use ako_translate::{CloudFacts, Kind, ObjRef, Settings, Snapshot};
use tokio::time::Instant;

use super::last_good::{Held, LastGood};

/// How long after a failed lookup (controller unreachable) it is tried again.
const LOOKUP_RETRY: Duration = Duration::from_secs(10);

/// The rules' verdicts and what keeps them current.
#[derive(Debug, Default)]
pub struct Rules {
    /// Every rule's verdict, as last computed.
    verdicts: BTreeMap<ObjRef, Verdict>,
    /// What an Accepted rule's Event adds (fields without effect where it applies).
    notes: BTreeMap<ObjRef, String>,
    /// Something verdicts read changed since they were computed.
    stale: bool,
    /// When to look up references again after a failed lookup.
    retry_at: Option<Instant>,
    /// The versions in effect.
    pub last_good: LastGood,
    /// The SE groups of AviInfraSettings labelled `clustername=<cluster>` by this process.
    pub labelled_se_groups: BTreeSet<String>,
}

pub use ako_translate::rules::{NamedRef, named_refs};

impl Rules {
    /// A rule, the catalog or the settings changed: compute the verdicts again.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// When a failed lookup is due again.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Whether a failed lookup is due.
    pub fn due(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|at| now >= at)
    }

    /// Some lookups failed (`true`) or none did.
    pub fn lookups_failed(&mut self, failed: bool) {
        self.retry_at = failed.then(|| Instant::now() + LOOKUP_RETRY);
    }

    /// The verdicts as last computed.
    pub fn current(&self) -> &BTreeMap<ObjRef, Verdict> {
        &self.verdicts
    }

    /// What the Events of Accepted rules add, as last computed.
    pub fn notes(&self) -> &BTreeMap<ObjRef, String> {
        &self.notes
    }

    /// Every rule's verdict, computed again if something changed.
    pub fn verdicts(&mut self, snap: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> &BTreeMap<ObjRef, Verdict> {
        if self.stale {
            self.verdicts = every_rule(snap)
                .filter(|r| served(snap, settings, r))
                .map(|r| {
                    let v = rule_verdict(snap, settings, cloud, &r);
                    (r, v)
                })
                .collect();
            // A rule held at its last Accepted version answers for its latest one.
            for (r, held) in self.last_good.held() {
                if let Some(v) = self.verdicts.get_mut(r) {
                    *v = match &held.rejected {
                        Some(e) => Verdict::Rejected(e.clone()),
                        None => Verdict::Unresolved(Vec::new()),
                    };
                }
            }
            self.notes = snap
                .host_rules()
                .iter()
                .filter_map(|(k, rule)| {
                    let ignored = host_rule_ignored(rule, settings);
                    (!ignored.is_empty()).then(|| {
                        (
                            ObjRef::new(Kind::HostRule, &k.namespace, &k.name),
                            format!(
                                "{} ignored: its hosts are SNI children, which take them from the shared parent's HostRule",
                                ignored.join(" and ")
                            ),
                        )
                    })
                })
                .collect();
            // L7Rules and SSORules apply in EVH mode only (as AKO): in SNI mode they are judged
            // but change nothing, which their Event says.
            if !settings.enable_evh {
                let evh_only = snap
                    .l7_rules
                    .keys()
                    .map(|k| ObjRef::new(Kind::L7Rule, &k.namespace, &k.name))
                    .chain(
                        snap.sso_rules
                            .keys()
                            .map(|k| ObjRef::new(Kind::SsoRule, &k.namespace, &k.name)),
                    );
                for r in evh_only {
                    self.notes.insert(
                        r,
                        "it changes nothing here: AKO applies it in EVH mode only (AKOSettings.enableEVH is false)"
                            .to_owned(),
                    );
                }
            }
            self.stale = false;
        }
        &self.verdicts
    }
}

/// Whether `kind` is judged Accepted or Rejected with a status (HostRule, HTTPRule, L4Rule,
/// L7Rule, SSORule, AviInfraSetting).
pub fn is_rule_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::HostRule | Kind::HttpRule | Kind::L4Rule | Kind::L7Rule | Kind::SsoRule | Kind::AviInfraSetting
    )
}

/// Whether this instance judges the rule: one of a namespace it serves, or a cluster-scoped one.
fn served(snap: &Snapshot, settings: &Settings, r: &ObjRef) -> bool {
    r.key.namespace.is_empty() || namespace_accepted(snap, settings, &r.key.namespace)
}

/// The status writes `verdicts` call for: the rules whose (latest version's) status differs.
pub fn status_changes(
    snap: &Snapshot,
    verdicts: &BTreeMap<ObjRef, Verdict>,
    held: &BTreeMap<ObjRef, Held>,
) -> Vec<(ObjRef, String, String)> {
    let current = |r: &ObjRef| -> Option<&RuleStatus> {
        if let Some(h) = held.get(r) {
            return h.latest.status();
        }
        match r.kind {
            Kind::HostRule => snap.host_rules().get(&r.key)?.status.as_ref(),
            Kind::HttpRule => snap.http_rules().get(&r.key)?.status.as_ref(),
            Kind::AviInfraSetting => snap.infra_settings.get(&r.key)?.status.as_ref(),
            Kind::L4Rule => snap.l4_rules.get(&r.key)?.status.as_ref(),
            Kind::L7Rule => snap.l7_rules.get(&r.key)?.status.as_ref(),
            Kind::SsoRule => snap.sso_rules.get(&r.key)?.status.as_ref(),
            _ => None,
        }
    };
    verdicts
        .iter()
        .filter_map(|(r, v)| {
            let (status, error) = v.status()?;
            let now = current(r);
            let same =
                now.is_some_and(|s| s.status.as_deref() == Some(status) && s.error.as_deref().unwrap_or("") == error);
            (!same).then(|| (r.clone(), status.to_owned(), error.to_owned()))
        })
        .collect()
}

/// The SE groups the AviInfraSettings in effect place virtual services on: those of the
/// Accepted ones and of the ones held at their last Accepted version.
pub fn infra_se_groups(
    snap: &Snapshot,
    verdicts: &BTreeMap<ObjRef, Verdict>,
    held: &BTreeMap<ObjRef, Held>,
) -> BTreeSet<String> {
    snap.infra_settings
        .iter()
        .filter(|(k, _)| {
            let r = ObjRef::new(Kind::AviInfraSetting, "", &k.name);
            held.contains_key(&r) || verdicts.get(&r).is_some_and(Verdict::is_accepted)
        })
        .filter_map(|(_, s)| s.spec.se_group.as_ref().map(|g| g.name.clone()))
        .filter(|g| !g.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use ako_translate::rules::RefCatalog;
    use ako_translate::{Values, load_document};
    use serde_json::json;

    use super::*;

    fn settings(evh: bool) -> Settings {
        let text = format!(
            "AKOSettings:\n  clusterName: c1\n  enableEVH: {evh}\nNetworkSettings:\n  vipNetworkList: [{{networkName: vip-net}}]\n"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    /// An Accepted SSORule and L7Rule say, in SNI mode, that they change nothing.
    #[test]
    fn evh_only_rules_say_they_change_nothing_in_sni_mode() {
        let mut snap = Snapshot::new();
        for doc in [
            json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "SSORule",
                "metadata": {"name": "sso", "namespace": "ns"},
                "spec": {"fqdn": "a.avi.internal", "ssoPolicyRef": "p", "samlSpConfig": {
                    "authnReqAcsType": "SAML_AUTHN_REQ_ACS_TYPE_NONE", "entityID": "e", "singleSignonURL": "u"}}}),
            json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "L7Rule",
                "metadata": {"name": "l7", "namespace": "ns"}, "spec": {"minPoolsUp": 2}}),
        ] {
            load_document(&mut snap, doc).unwrap();
        }
        let cloud = CloudFacts {
            refs: RefCatalog::unchecked(),
            ..CloudFacts::default()
        };
        let sso = ObjRef::new(Kind::SsoRule, "ns", "sso");
        let l7 = ObjRef::new(Kind::L7Rule, "ns", "l7");
        for (evh, noted) in [(false, true), (true, false)] {
            let mut rules = Rules::default();
            rules.invalidate();
            let verdicts = rules.verdicts(&snap, &settings(evh), &cloud);
            assert_eq!(verdicts.get(&sso), Some(&Verdict::Accepted));
            for r in [&sso, &l7] {
                let note = rules.notes().get(r);
                assert_eq!(note.is_some(), noted, "EVH {evh}: {r} {note:?}");
                assert!(note.is_none_or(|n| n.contains("EVH mode only")));
            }
        }
    }
}
