//! The deletion guard: deletes that follow from evidence go ahead, a sudden drop of inputs
//! without evidence is held.
//!
//! A watch event saying "this Ingress was deleted", or an edit of the Ingress itself, is
//! positive evidence for exactly the objects it fed: those deletes go ahead, whatever their
//! share of what we own. What the guard is for is inputs vanishing *without* evidence: a relist
//! that returns far fewer objects than the index held, a namespace label or IngressClass change
//! that suddenly excludes most of the cluster, a restart that sees an empty cluster while the
//! controller holds our objects.
//!
//! * **In steady state** each pass compares, for the units it re-translated, the roots (Ingresses,
//!   Services) they served before with those they serve or fail after. Roots no longer served
//!   whose own deletion or change was not observed are *unexplained*. When they are at least
//!   [`GuardSettings::min_count`] and more than [`GuardSettings::max_share`] of every root
//!   served, the new translation of the units that lost them is not committed: their models stay
//!   on the controller exactly as they were (frozen), and the hold is reported.
//! * **At start** there is nothing to compare with but the controller: when the first full plan
//!   would delete more than `max_share` of the objects this cluster owns, the models with
//!   deletes are frozen.
//!
//! A hold is released when the inputs come back (the units re-translate without the drop), when
//! `allowMassDeletion` is set (live, from the ConfigMap), or when the same state has been
//! observed for [`GuardSettings::hold`]. Pure: time is passed in.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ako_translate::{ModelKey, ObjRef, Unit};
use tokio::time::Instant;

/// How the guard decides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GuardSettings {
    /// Largest share (0..=1) of the served roots (steady state) or owned objects (start) that may
    /// go without evidence.
    pub max_share: f64,
    /// Fewer unexplained losses than this are never held.
    pub min_count: usize,
    /// A hold whose state has not changed for this long is released.
    pub hold: Duration,
    /// Never hold (`allowMassDeletion`).
    pub allow: bool,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            max_share: 0.5,
            min_count: 5,
            hold: Duration::from_secs(600),
            allow: false,
        }
    }
}

/// Why deletes are held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    /// Roots stopped being served without a deletion or change of their own.
    InputsDropped,
    /// At start, the cluster asks for far less than the controller holds.
    SmallerThanController,
}

impl HoldReason {
    /// For metrics labels and `/api/status`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::InputsDropped => "inputs_dropped",
            HoldReason::SmallerThanController => "smaller_than_controller",
        }
    }
}

/// Deletes being held.
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    /// Why.
    pub reason: HoldReason,
    /// The units whose new translation is held back, each with the roots it lost without
    /// evidence (steady state).
    pub lost: BTreeMap<Unit, BTreeSet<ObjRef>>,
    /// The models frozen (at start), or those of the held units.
    pub models: BTreeSet<ModelKey>,
    /// How many objects or roots the decision weighed against.
    pub base: usize,
    /// Since when this state has been observed unchanged.
    pub since: Instant,
}

impl Hold {
    /// The roots lost without evidence.
    pub fn roots(&self) -> BTreeSet<&ObjRef> {
        self.lost.values().flatten().collect()
    }

    /// One line for logs, Events and `/api/status`.
    pub fn describe(&self, settings: &GuardSettings) -> String {
        let what = match self.reason {
            HoldReason::InputsDropped => format!(
                "{} of the {} Ingresses and Services served stopped being served without being deleted \
                 (a relist, a namespace or IngressClass change?)",
                self.roots().len(),
                self.base
            ),
            HoldReason::SmallerThanController => format!(
                "at start the cluster asks for far less than the controller holds: deletes in {} model(s) \
                 out of {} owned objects",
                self.models.len(),
                self.base
            ),
        };
        let first: Vec<String> = match self.reason {
            HoldReason::InputsDropped => self.roots().into_iter().take(3).map(ToString::to_string).collect(),
            HoldReason::SmallerThanController => self.models.iter().take(3).map(ToString::to_string).collect(),
        };
        format!(
            "deletions held: {what}; the virtual services of {} are kept as they are (e.g. {}). Released when \
             the objects come back, when allowMassDeletion is set to true in the ConfigMap, or after {} s \
             without change",
            plural(self.models.len(), "model"),
            first.join(", "),
            settings.hold.as_secs()
        )
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What one pass re-translated, for the steady-state check.
#[derive(Debug, Default)]
pub struct Retranslated {
    /// The units of the current hold that were re-translated (the others stay frozen).
    pub held_units: BTreeSet<Unit>,
    /// Of those, the ones that stopped serving roots that neither the new outputs serve or fail
    /// nor the pass saw deleted or changed: those roots, and the models the unit produced.
    pub lost: BTreeMap<Unit, (BTreeSet<ObjRef>, BTreeSet<ModelKey>)>,
    /// Every root the desired state served before the pass.
    pub served: usize,
}

/// What the steady-state check decided.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Units whose new outputs must not be committed this pass.
    pub hold: BTreeSet<Unit>,
    /// Units held back earlier and not re-translated now, whose hold just ended: translate them
    /// again.
    pub retranslate: BTreeSet<Unit>,
}

/// The guard's state.
#[derive(Debug, Default)]
pub struct Guard {
    /// The settings (live).
    pub settings: GuardSettings,
    held: Option<Hold>,
    /// Roots whose loss a released hold accepted: not counted again.
    accepted: BTreeSet<ObjRef>,
    /// The start check is over (a full plan passed it, or its hold was released).
    started: bool,
}

impl Guard {
    /// A guard with these settings.
    pub fn new(settings: GuardSettings) -> Self {
        Guard {
            settings,
            ..Guard::default()
        }
    }

    /// The current hold.
    pub fn held(&self) -> Option<&Hold> {
        self.held.as_ref()
    }

    /// Steady state: which new outputs must not be committed this pass. Updates the hold: a
    /// state that changed restarts its clock; nothing lost any more ends it.
    pub fn check(&mut self, pass: &Retranslated, now: Instant) -> Verdict {
        let accepted = std::mem::take(&mut self.accepted);
        let mut lost: BTreeMap<Unit, BTreeSet<ObjRef>> = BTreeMap::new();
        let mut models: BTreeSet<ModelKey> = BTreeSet::new();
        for (unit, (roots, unit_models)) in &pass.lost {
            let roots: BTreeSet<ObjRef> = roots.iter().filter(|r| !accepted.contains(*r)).cloned().collect();
            if !roots.is_empty() {
                lost.insert(unit.clone(), roots);
                models.extend(unit_models.iter().cloned());
            }
        }
        let hold: BTreeSet<Unit> = lost.keys().cloned().collect();
        // What an earlier hold froze and this pass did not re-translate is still lost.
        let mut earlier = BTreeSet::new();
        if let Some(h) = self.held.as_ref().filter(|h| h.reason == HoldReason::InputsDropped) {
            for (unit, roots) in h.lost.iter().filter(|(u, _)| !pass.held_units.contains(*u)) {
                earlier.insert(unit.clone());
                lost.insert(unit.clone(), roots.clone());
            }
            models.extend(h.models.iter().cloned());
        }
        let total: usize = lost.values().map(BTreeSet::len).sum();
        let base = pass.served.max(1);
        let trips = !self.settings.allow
            && total >= self.settings.min_count
            && total as f64 > self.settings.max_share * base as f64;
        if !trips {
            if self
                .held
                .as_ref()
                .is_some_and(|h| h.reason == HoldReason::InputsDropped)
            {
                self.held = None;
            }
            return Verdict {
                hold: BTreeSet::new(),
                retranslate: earlier,
            };
        }
        let since = match &self.held {
            Some(h) if h.reason == HoldReason::InputsDropped && h.lost == lost => h.since,
            _ => now,
        };
        self.held = Some(Hold {
            reason: HoldReason::InputsDropped,
            lost,
            models,
            base,
            since,
        });
        Verdict {
            hold,
            retranslate: BTreeSet::new(),
        }
    }

    /// At start (or a full pass while a start hold is on): the first plan would delete
    /// `would_delete` of `owned` objects, in `models`. Returns the models to freeze.
    pub fn check_start(
        &mut self,
        would_delete: usize,
        owned: usize,
        models: BTreeSet<ModelKey>,
        now: Instant,
    ) -> BTreeSet<ModelKey> {
        if self.started {
            return BTreeSet::new();
        }
        let trips = !self.settings.allow
            && would_delete >= self.settings.min_count
            && would_delete as f64 > self.settings.max_share * owned.max(1) as f64;
        if !trips {
            if self
                .held
                .as_ref()
                .is_some_and(|h| h.reason == HoldReason::SmallerThanController)
            {
                self.held = None;
            }
            self.started = true;
            return BTreeSet::new();
        }
        let since = match &self.held {
            Some(h) if h.reason == HoldReason::SmallerThanController && h.models == models => h.since,
            _ => now,
        };
        self.held = Some(Hold {
            reason: HoldReason::SmallerThanController,
            lost: BTreeMap::new(),
            models: models.clone(),
            base: owned,
            since,
        });
        models
    }

    /// When the current hold expires, if one is on.
    pub fn expires(&self) -> Option<Instant> {
        self.held.as_ref().map(|h| h.since + self.settings.hold)
    }

    /// Release the hold if `allowMassDeletion` is set or it expired at `now`, and return it:
    /// the caller translates its units again (steady state) or plans everything (start), and the
    /// losses it held are accepted.
    pub fn release_due(&mut self, now: Instant) -> Option<Hold> {
        let due = self.settings.allow || self.expires().is_some_and(|at| at <= now);
        if !due {
            return None;
        }
        let hold = self.held.take()?;
        match hold.reason {
            HoldReason::InputsDropped => self.accepted.extend(hold.roots().into_iter().cloned()),
            HoldReason::SmallerThanController => self.started = true,
        }
        Some(hold)
    }
}

#[cfg(test)]
mod tests {
    use ako_translate::Kind;

    use super::*;

    fn ing(n: usize) -> ObjRef {
        ObjRef::new(Kind::Ingress, "ns", format!("i{n}"))
    }

    fn unit() -> Unit {
        Unit::L7(ModelKey::new("admin", "c--Shared-L7-0"))
    }

    /// One shared unit re-translated, that served `n` Ingresses; after the pass it serves `kept`
    /// of them, and `evidence` more were seen deleted.
    fn pass(n: usize, kept: usize, evidence: usize) -> Retranslated {
        let lost: BTreeSet<ObjRef> = (kept + evidence..n).map(ing).collect();
        let model = BTreeSet::from([ModelKey::new("admin", "c--Shared-L7-0")]);
        Retranslated {
            held_units: BTreeSet::from([unit()]),
            lost: if lost.is_empty() {
                BTreeMap::new()
            } else {
                BTreeMap::from([(unit(), (lost, model))])
            },
            served: n,
        }
    }

    #[test]
    fn deletes_with_evidence_go_ahead_whatever_their_share() {
        let mut g = Guard::default();
        // 11 of 12 Ingresses deleted, each seen deleted by the watch.
        assert_eq!(g.check(&pass(12, 1, 11), Instant::now()), Verdict::default());
        assert!(g.held().is_none());
    }

    #[test]
    fn a_drop_without_evidence_is_held_until_the_inputs_return() {
        let mut g = Guard::default();
        let t0 = Instant::now();
        let held = g.check(&pass(20, 2, 0), t0).hold;
        assert_eq!(held, BTreeSet::from([unit()]));
        let h = g.held().unwrap();
        assert_eq!((h.reason, h.roots().len(), h.base), (HoldReason::InputsDropped, 18, 20));
        assert!(
            h.describe(&g.settings).contains("18 of the 20"),
            "{}",
            h.describe(&g.settings)
        );
        // Still the same a minute later: the clock keeps running from the first sight.
        assert_eq!(g.check(&pass(20, 2, 0), t0 + Duration::from_secs(60)).hold.len(), 1);
        assert_eq!(g.held().unwrap().since, t0);
        // Another pass re-translating something else keeps the hold (and its units) as it is.
        let other = Retranslated {
            served: 20,
            ..Retranslated::default()
        };
        assert_eq!(g.check(&other, t0 + Duration::from_secs(65)), Verdict::default());
        assert_eq!(g.held().unwrap().lost.keys().collect::<Vec<_>>(), [&unit()]);
        // They come back: nothing lost any more, the hold ends.
        assert_eq!(
            g.check(&pass(20, 20, 0), t0 + Duration::from_secs(70)),
            Verdict::default()
        );
        assert!(g.held().is_none());
    }

    #[test]
    fn small_losses_and_small_shares_are_not_held() {
        let mut g = Guard::default();
        assert!(
            g.check(&pass(20, 16, 0), Instant::now()).hold.is_empty(),
            "4 < min_count"
        );
        assert!(g.check(&pass(100, 60, 0), Instant::now()).hold.is_empty(), "40% <= 50%");
    }

    #[test]
    fn a_hold_is_released_by_the_setting_or_by_time() {
        let mut g = Guard::default();
        let t0 = Instant::now();
        g.check(&pass(20, 0, 0), t0);
        assert!(g.release_due(t0 + Duration::from_secs(599)).is_none());
        assert!(g.release_due(t0 + Duration::from_secs(600)).is_some());
        assert!(g.held().is_none());
        // Translated again after the release, the same losses are accepted once.
        assert!(g.check(&pass(20, 0, 0), t0 + Duration::from_secs(600)).hold.is_empty());
        g.check(&pass(20, 0, 0), t0);
        g.settings.allow = true;
        assert!(g.release_due(t0).is_some());
        assert!(g.check(&pass(20, 0, 0), t0).hold.is_empty(), "allowed: nothing held");
    }

    #[test]
    fn at_start_a_much_smaller_cluster_freezes_the_models_with_deletes() {
        let mut g = Guard::default();
        let models = BTreeSet::from([ModelKey::new("admin", "a"), ModelKey::new("admin", "b")]);
        let t0 = Instant::now();
        assert_eq!(g.check_start(30, 40, models.clone(), t0), models);
        assert_eq!(g.held().unwrap().reason, HoldReason::SmallerThanController);
        assert!(
            g.check_start(3, 40, models.clone(), t0).is_empty(),
            "few deletes: none held"
        );
        assert!(g.held().is_none());
        assert!(
            g.check_start(30, 40, models, t0).is_empty(),
            "only until the start check passed once"
        );
    }
}
