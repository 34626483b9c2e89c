//! A rule (or AviInfraSetting) whose new version is Rejected keeps its last Accepted version in
//! effect, as in AKO (which leaves the virtual service as the accepted version built it): a typo
//! in an update never strips a WAF policy or a certificate from a live service, nor moves it to
//! another SE group. The version in effect is
//! what the snapshot holds for translation; the Rejected one is kept here for its status and
//! Event, and is judged again whenever the rule or what it names changes. Kept in memory: after
//! a restart a Rejected rule applies nothing, as in AKO.

use std::collections::{BTreeMap, BTreeSet};

use ako_translate::crds::{AviInfraSetting, HostRule, HttpRule, L4Rule, L7Rule, RuleStatus, SsoRule};
use ako_translate::rules::{Verdict, rule_verdict as verdict_of};
use ako_translate::{CloudFacts, Kind, ObjRef, Settings, Snapshot};
use kube::ResourceExt;

/// One version of a rule.
#[derive(Clone, Debug)]
pub enum RuleVersion {
    /// A HostRule.
    Host(Box<HostRule>),
    /// An HTTPRule.
    Http(Box<HttpRule>),
    /// An L4Rule.
    L4(Box<L4Rule>),
    /// An L7Rule.
    L7(Box<L7Rule>),
    /// An SSORule.
    Sso(Box<SsoRule>),
    /// An AviInfraSetting.
    Infra(Box<AviInfraSetting>),
}

impl RuleVersion {
    /// The version of `r` the snapshot holds.
    fn of(snap: &Snapshot, r: &ObjRef) -> Option<RuleVersion> {
        match r.kind {
            Kind::HostRule => snap
                .host_rules()
                .get(&r.key)
                .cloned()
                .map(|h| RuleVersion::Host(Box::new(h))),
            Kind::HttpRule => snap
                .http_rules()
                .get(&r.key)
                .cloned()
                .map(|h| RuleVersion::Http(Box::new(h))),
            Kind::L4Rule => snap.l4_rules.get(&r.key).cloned().map(|l| RuleVersion::L4(Box::new(l))),
            Kind::L7Rule => snap.l7_rules.get(&r.key).cloned().map(|l| RuleVersion::L7(Box::new(l))),
            Kind::SsoRule => snap
                .sso_rules
                .get(&r.key)
                .cloned()
                .map(|s| RuleVersion::Sso(Box::new(s))),
            Kind::AviInfraSetting => snap
                .infra_settings
                .get(&r.key)
                .cloned()
                .map(|i| RuleVersion::Infra(Box::new(i))),
            _ => None,
        }
    }

    /// Put this version in the snapshot.
    fn put(&self, snap: &mut Snapshot, r: &ObjRef) {
        match self {
            RuleVersion::Host(rule) => snap.insert_host_rule(r.key.clone(), (**rule).clone()),
            RuleVersion::Http(rule) => snap.insert_http_rule(r.key.clone(), (**rule).clone()),
            RuleVersion::L4(rule) => {
                snap.l4_rules.insert(r.key.clone(), (**rule).clone());
            }
            RuleVersion::L7(rule) => {
                snap.l7_rules.insert(r.key.clone(), (**rule).clone());
            }
            RuleVersion::Sso(rule) => {
                snap.sso_rules.insert(r.key.clone(), (**rule).clone());
            }
            RuleVersion::Infra(setting) => {
                snap.infra_settings.insert(r.key.clone(), (**setting).clone());
            }
        }
    }

    fn uid(&self) -> Option<String> {
        match self {
            RuleVersion::Host(rule) => rule.uid(),
            RuleVersion::Http(rule) => rule.uid(),
            RuleVersion::L4(rule) => rule.uid(),
            RuleVersion::L7(rule) => rule.uid(),
            RuleVersion::Sso(rule) => rule.uid(),
            RuleVersion::Infra(setting) => setting.uid(),
        }
    }

    fn resource_version(&self) -> Option<String> {
        match self {
            RuleVersion::Host(rule) => rule.resource_version(),
            RuleVersion::Http(rule) => rule.resource_version(),
            RuleVersion::L4(rule) => rule.resource_version(),
            RuleVersion::L7(rule) => rule.resource_version(),
            RuleVersion::Sso(rule) => rule.resource_version(),
            RuleVersion::Infra(setting) => setting.resource_version(),
        }
    }

    /// Whether both are versions of one object with the same spec.
    fn same_spec(&self, other: &RuleVersion) -> bool {
        match (self, other) {
            (RuleVersion::Host(a), RuleVersion::Host(b)) => a.spec == b.spec,
            (RuleVersion::Http(a), RuleVersion::Http(b)) => a.spec == b.spec,
            (RuleVersion::L4(a), RuleVersion::L4(b)) => a.spec == b.spec,
            (RuleVersion::L7(a), RuleVersion::L7(b)) => a.spec == b.spec,
            (RuleVersion::Sso(a), RuleVersion::Sso(b)) => a.spec == b.spec,
            (RuleVersion::Infra(a), RuleVersion::Infra(b)) => a.spec == b.spec,
            _ => false,
        }
    }

    /// The status it carries.
    pub fn status(&self) -> Option<&RuleStatus> {
        match self {
            RuleVersion::Host(rule) => rule.status.as_ref(),
            RuleVersion::Http(rule) => rule.status.as_ref(),
            RuleVersion::L4(rule) => rule.status.as_ref(),
            RuleVersion::L7(rule) => rule.status.as_ref(),
            RuleVersion::Sso(rule) => rule.status.as_ref(),
            RuleVersion::Infra(setting) => setting.status.as_ref(),
        }
    }
}

/// A rule whose latest version is not in effect.
#[derive(Clone, Debug)]
pub struct Held {
    /// The latest version, as the API server has it.
    pub latest: RuleVersion,
    /// Why it is not in effect: Rejected with this reason, or (`None`) not judged yet (what it
    /// names was not looked up).
    pub rejected: Option<String>,
}

/// The last Accepted version of every rule, and the rules held at it.
#[derive(Debug, Default)]
pub struct LastGood {
    accepted: BTreeMap<ObjRef, RuleVersion>,
    held: BTreeMap<ObjRef, Held>,
}

impl LastGood {
    /// Judge the latest version of each rule of `changed` and decide which version the snapshot
    /// holds for translation. Returns the rules whose version in the snapshot was replaced (the
    /// dependency index must follow).
    pub fn decide(
        &mut self,
        snap: &mut Snapshot,
        settings: &Settings,
        cloud: &CloudFacts,
        changed: &BTreeSet<ObjRef>,
    ) -> Vec<ObjRef> {
        let mut replaced = Vec::new();
        for r in changed {
            let in_snapshot = RuleVersion::of(snap, r);
            let held = self.held.get(r);
            // The snapshot holds either the latest version (from the watch) or the accepted one
            // put there by an earlier decision.
            let ours = |v: &RuleVersion| {
                held.is_some()
                    && self
                        .accepted
                        .get(r)
                        .is_some_and(|a| a.resource_version() == v.resource_version())
            };
            let latest = match (in_snapshot, held) {
                (None, _) => {
                    // Deleted.
                    self.accepted.remove(r);
                    self.held.remove(r);
                    continue;
                }
                (Some(v), Some(h)) if ours(&v) => h.latest.clone(),
                (Some(v), _) => v,
            };
            latest.put(snap, r);
            let verdict = verdict_of(snap, settings, cloud, r);
            let good = self
                .accepted
                .get(r)
                .filter(|g| g.uid() == latest.uid() && !g.same_spec(&latest))
                .cloned();
            match (verdict, good) {
                (Verdict::Accepted, _) => {
                    self.accepted.insert(r.clone(), latest);
                    self.held.remove(r);
                }
                (verdict, Some(good)) => {
                    let rejected = match verdict {
                        Verdict::Rejected(e) => Some(e),
                        _ => None,
                    };
                    good.put(snap, r);
                    self.held.insert(r.clone(), Held { latest, rejected });
                    replaced.push(r.clone());
                }
                (_, None) => {
                    self.held.remove(r);
                }
            }
        }
        replaced
    }

    /// The rules held at their last Accepted version.
    pub fn held(&self) -> &BTreeMap<ObjRef, Held> {
        &self.held
    }
}
