//! Kubernetes Events on the objects that caused them (events.k8s.io/v1, reporter `ako-rs`,
//! instance `POD_NAME` or the host name; see [`crate::cluster`]):
//!
//! * `Warning TranslationFailed`: the object could not be translated (the translation's message);
//! * `Warning SyncFailed`: a model the object feeds failed on the controller (the controller's
//!   message); a model is attributed to its objects through the status intents;
//! * `Normal Synced`: every model of the object is on the controller and its VIP has an address;
//! * `Warning Rejected` / `Normal Accepted`: the verdict on a HostRule, HTTPRule or
//!   AviInfraSetting.
//!
//! An Event is sent only when an object's `(type, reason, message)` changes from what was last
//! sent for it, not on every pass. Objects the pass cannot judge (the sync stopped without a
//! failure to blame, the VIP has no address yet) keep their last state. An Event that cannot be
//! written is logged and never fails the pass; it is tried again on the next pass, except when
//! the API server forbids it (RBAC: `events.k8s.io` `events` `create`, `patch`), which is logged
//! once per change.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::Summary;
use ako_translate::kinds::{InputKind, KindVisitor, with_kind};
use ako_translate::rules::Verdict;
use ako_translate::{Kind, ModelKey, ObjRef, Snapshot, StatusIntent, Translation};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::EventType;

use crate::cluster::Cluster;
use crate::index::Shared;
use crate::status::Vips;

/// The Event API's limit on a note, in bytes.
const MAX_NOTE: usize = 1024;

/// What an object's latest Event says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Normal or Warning.
    pub type_: EventType,
    /// `Synced`, `TranslationFailed`, `SyncFailed`, ...
    pub reason: &'static str,
    /// The human-readable message.
    pub message: String,
}

impl Note {
    /// A Warning joining `messages`.
    pub fn warning(reason: &'static str, messages: &BTreeSet<String>) -> Note {
        Note {
            type_: EventType::Warning,
            reason,
            message: messages.iter().map(String::as_str).collect::<Vec<_>>().join("; "),
        }
    }
}

/// The Note each object should carry after a pass: `Some` when the pass tells, `None` for an
/// object we serve whose outcome this pass cannot tell (keep what was sent). Objects absent from
/// the map are neither served nor failed.
pub fn desired(
    translation: &Translation,
    summary: &Summary,
    vips: &Vips,
    rules: &RuleVerdicts<'_>,
) -> BTreeMap<ObjRef, Option<Note>> {
    let mut out = BTreeMap::new();

    // HostRules, HTTPRules and AviInfraSettings: their verdict.
    for (r, verdict) in rules.verdicts {
        let applied = match r.kind {
            Kind::AviInfraSetting => "places the Ingresses and Services that name it",
            Kind::L4Rule => "applied to the LoadBalancer Services that name it",
            Kind::L7Rule => "applied (EVH mode) to the hosts whose HostRule names it",
            Kind::SsoRule => "applied (EVH mode) to the virtual service of its FQDN",
            _ => "applied to the objects of its hosts",
        };
        let note = match verdict {
            Verdict::Accepted => Some(match rules.notes.get(r) {
                None => Note {
                    type_: EventType::Normal,
                    reason: "Accepted",
                    message: format!("{} accepted: {applied}", r.kind),
                },
                Some(n) => Note {
                    type_: EventType::Warning,
                    reason: "Accepted",
                    message: format!("{} accepted; {n}", r.kind),
                },
            }),
            Verdict::Rejected(e) => Some(Note {
                type_: EventType::Warning,
                reason: "Rejected",
                message: format!("{} rejected, it changes nothing: {e}", r.kind),
            }),
            Verdict::Unresolved(_) => None,
        };
        out.insert(r.clone(), note);
    }

    // Translation failures come first: such an object is not (wholly) on the controller.
    let mut translation_failed: BTreeMap<ObjRef, BTreeSet<String>> = BTreeMap::new();
    for f in &translation.failures {
        translation_failed
            .entry(f.object.clone())
            .or_default()
            .insert(f.message.clone());
    }

    // The objects feeding each model, and the models (with VS and VsVip) of each object.
    let mut by_model: BTreeMap<&ModelKey, BTreeSet<&ObjRef>> = BTreeMap::new();
    let mut models_of: BTreeMap<&ObjRef, Vec<&StatusIntent>> = BTreeMap::new();
    for s in &translation.status {
        by_model.entry(&s.model).or_default().insert(&s.object);
        models_of.entry(&s.object).or_default().push(s);
    }

    // Sync failures: on every object of the failed model.
    let mut failed_models = BTreeSet::new();
    let mut sync_failed: BTreeMap<ObjRef, BTreeSet<String>> = BTreeMap::new();
    for f in &summary.failed {
        failed_models.insert(&f.model);
        let message = format!("{} {}: {}", f.verb, f.key, f.message);
        for t in by_model.get(&f.model).into_iter().flatten() {
            sync_failed.entry((*t).clone()).or_default().insert(message.clone());
        }
    }

    // A model without a failure is known good when the sync converged, or when what stopped it
    // is a failure elsewhere; otherwise (deadline, refusal) the pass cannot tell.
    let judged = summary.converged || !summary.failed.is_empty();
    for (t, intents) in models_of {
        if translation_failed.contains_key(t) || sync_failed.contains_key(t) {
            continue;
        }
        let models_ok = intents.iter().all(|s| !failed_models.contains(&s.model));
        let mut ips = BTreeSet::new();
        let mut addressed = true;
        for s in &intents {
            match vips.of_intent(s) {
                Some(list) => ips.extend(list.iter().cloned()),
                None => addressed = false,
            }
        }
        let note = (judged && models_ok && addressed).then(|| {
            let vses: BTreeSet<&str> = intents.iter().map(|s| s.model.vs.as_str()).collect();
            Note {
                type_: EventType::Normal,
                reason: "Synced",
                message: format!(
                    "virtual service {} on the controller, VIP {}",
                    vses.into_iter().collect::<Vec<_>>().join(", "),
                    ips.into_iter().collect::<Vec<_>>().join(", ")
                ),
            }
        });
        out.insert(t.clone(), note);
    }
    for (t, messages) in sync_failed {
        if !translation_failed.contains_key(&t) {
            out.insert(t, Some(Note::warning("SyncFailed", &messages)));
        }
    }
    for (t, messages) in translation_failed {
        out.insert(t, Some(Note::warning("TranslationFailed", &messages)));
    }
    out
}

/// The rules' verdicts, and what the Events of Accepted ones add.
#[derive(Clone, Copy, Debug)]
pub struct RuleVerdicts<'a> {
    /// Every rule's verdict.
    pub verdicts: &'a BTreeMap<ObjRef, Verdict>,
    /// Notes on Accepted rules (fields without effect).
    pub notes: &'a BTreeMap<ObjRef, String>,
}

/// The Notes last sent, per object.
#[derive(Debug, Default)]
pub struct Sent(BTreeMap<ObjRef, Note>);

impl Sent {
    /// The Notes to send now: those that differ from what was last sent. Objects no longer in
    /// `want` are forgotten (should they come back, their Note is sent again).
    pub fn pending(&mut self, want: &BTreeMap<ObjRef, Option<Note>>) -> Vec<(ObjRef, Note)> {
        self.0.retain(|t, _| want.contains_key(t));
        want.iter()
            .filter_map(|(t, note)| {
                let note = note.as_ref()?;
                (self.0.get(t) != Some(note)).then(|| (t.clone(), note.clone()))
            })
            .collect()
    }

    /// Remember that `note` was sent for `target`.
    pub fn record(&mut self, target: ObjRef, note: Note) {
        self.0.insert(target, note);
    }
}

/// The Event writer of the reconcile loop.
#[derive(Debug, Default)]
pub struct Events {
    sent: Sent,
}

impl Events {
    /// Send the Events this pass calls for. Never fails: problems are logged.
    pub async fn emit(
        &mut self,
        cluster: &impl Cluster,
        shared: &Shared,
        translation: &Translation,
        summary: &Summary,
        vips: &Vips,
        rules: RuleVerdicts<'_>,
    ) {
        let pending = self.sent.pending(&desired(translation, summary, vips, &rules));
        if pending.is_empty() {
            return;
        }
        let pending: Vec<_> = {
            let index = shared.lock();
            pending
                .into_iter()
                .filter_map(|(t, note)| Some((reference(&index.snapshot, &t)?, t, note)))
                .collect()
        };
        let mut pending = pending;
        while !pending.is_empty() {
            let batch: Vec<_> = pending
                .drain(..pending.len().min(crate::reconcile::CONCURRENT_WRITES))
                .collect();
            let writes = batch.into_iter().map(|(reference, target, mut note)| async move {
                note.message = truncate(&note.message, MAX_NOTE);
                let result = cluster.publish(&reference, &note).await;
                (target, note, result)
            });
            for (target, note, result) in futures::future::join_all(writes).await {
                match result {
                    Ok(()) => {
                        tracing::debug!(object = %target, reason = note.reason, "event written");
                        self.sent.record(target, note);
                    }
                    Err(e) => {
                        tracing::warn!(object = %target, reason = note.reason, "cannot write event: {e}");
                        if e.forbidden {
                            self.sent.record(target, note);
                        }
                    }
                }
            }
        }
    }
}

/// The reference of an object in the snapshot (with its uid), `None` when gone.
pub fn reference(snap: &Snapshot, t: &ObjRef) -> Option<ObjectReference> {
    struct Find<'a> {
        snap: &'a Snapshot,
        t: &'a ObjRef,
        out: Option<ObjectReference>,
    }
    impl KindVisitor for Find<'_> {
        fn visit<K: InputKind>(&mut self) {
            let Some(object) = self.snap.get::<K>(&self.t.key) else {
                return;
            };
            let meta = object.meta();
            self.out = Some(ObjectReference {
                api_version: Some(K::api_version(&()).into_owned()),
                kind: Some(K::KIND.to_string()),
                namespace: Some(self.t.key.namespace.clone()).filter(|ns| !ns.is_empty()),
                name: Some(self.t.key.name.clone()),
                uid: meta.uid.clone(),
                resource_version: meta.resource_version.clone(),
                ..ObjectReference::default()
            });
        }
    }
    let mut f = Find { snap, t, out: None };
    with_kind(t.kind, &mut f);
    f.out
}

/// At most `max` bytes, cut at a character boundary.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use ako_sync::{ObjectKey, Retry};
    use ako_translate::{Failure, Kind, StatusIntent};
    use avi_model::ObjectType;

    use super::*;

    fn t(kind: &str, name: &str) -> ObjRef {
        let kind = if kind == "Ingress" {
            Kind::Ingress
        } else {
            Kind::Service
        };
        ObjRef::new(kind, "ns", name)
    }

    fn intent(kind: &str, name: &str, vs: &str) -> StatusIntent {
        StatusIntent {
            object: t(kind, name),
            model: ModelKey::new("admin", vs),
            vsvip: vs.to_owned(),
            vs: vs.to_owned(),
            hostname: None,
        }
    }

    fn failure(kind: &str, name: &str, message: &str) -> Failure {
        Failure {
            object: t(kind, name),
            message: message.to_owned(),
            keeps_objects: true,
        }
    }

    fn sync_failure(vs: &str, message: &str) -> ako_sync::Failure {
        ako_sync::Failure {
            model: ModelKey::new("admin", vs),
            key: ObjectKey::new(ObjectType::Pool, "admin", format!("{vs}-pool")),
            verb: "create",
            message: message.to_owned(),
            retry: Retry::Never,
            sources: Vec::new(),
        }
    }

    fn no_rules() -> RuleVerdicts<'static> {
        static EMPTY_V: BTreeMap<ObjRef, Verdict> = BTreeMap::new();
        static EMPTY_N: BTreeMap<ObjRef, String> = BTreeMap::new();
        RuleVerdicts {
            verdicts: &EMPTY_V,
            notes: &EMPTY_N,
        }
    }

    fn vips(names: &[&str]) -> Vips {
        Vips::from_iter(names.iter().map(|n| {
            (
                ObjectKey::new(ObjectType::VsVip, "admin", *n),
                vec!["1.1.1.1".to_owned()],
            )
        }))
    }

    #[test]
    fn failures_are_attributed_and_good_objects_are_synced() {
        let translation = Translation {
            failures: vec![failure("Ingress", "bad", "no port 81 on Service web")],
            status: vec![
                intent("Ingress", "good", "shared"),
                intent("Ingress", "other", "shared"),
                intent("Service", "lb", "l4"),
                intent("Service", "fine", "l4b"),
            ],
            ..Translation::default()
        };
        let summary = Summary {
            failed: vec![sync_failure("l4", "no free IP")],
            ..Summary::default()
        };
        let want = desired(&translation, &summary, &vips(&["shared", "l4", "l4b"]), &no_rules());
        let bad = want[&t("Ingress", "bad")].clone().unwrap();
        assert_eq!((bad.type_, bad.reason), (EventType::Warning, "TranslationFailed"));
        assert_eq!(bad.message, "no port 81 on Service web");
        let lb = want[&t("Service", "lb")].clone().unwrap();
        assert_eq!((lb.type_, lb.reason), (EventType::Warning, "SyncFailed"));
        assert!(lb.message.contains("no free IP"), "{lb:?}");
        let good = want[&t("Ingress", "good")].clone().unwrap();
        assert_eq!((good.type_, good.reason), (EventType::Normal, "Synced"));
        assert_eq!(good.message, "virtual service shared on the controller, VIP 1.1.1.1");
        assert_eq!(want[&t("Service", "fine")].as_ref().unwrap().reason, "Synced");
        assert_eq!(want.len(), 5);
    }

    #[test]
    fn rules_get_their_verdict() {
        let rule = |name: &str| ObjRef::new(Kind::HostRule, "ns", name);
        let verdicts = BTreeMap::from([
            (rule("good"), Verdict::Accepted),
            (rule("partly"), Verdict::Accepted),
            (
                rule("bad"),
                Verdict::Rejected("wafpolicy \"x\" not found on controller".into()),
            ),
            (rule("unknown"), Verdict::Unresolved(Vec::new())),
        ]);
        let notes = BTreeMap::from([(rule("partly"), "tcpSettings ignored: ...".to_owned())]);
        let rules = RuleVerdicts {
            verdicts: &verdicts,
            notes: &notes,
        };
        let want = desired(&Translation::default(), &Summary::default(), &vips(&[]), &rules);
        let good = want[&rule("good")].clone().unwrap();
        assert_eq!((good.type_, good.reason), (EventType::Normal, "Accepted"));
        let partly = want[&rule("partly")].clone().unwrap();
        assert_eq!((partly.type_, partly.reason), (EventType::Warning, "Accepted"));
        assert!(partly.message.contains("tcpSettings ignored"), "{partly:?}");
        let bad = want[&rule("bad")].clone().unwrap();
        assert_eq!((bad.type_, bad.reason), (EventType::Warning, "Rejected"));
        assert!(
            bad.message.contains("wafpolicy \"x\" not found on controller"),
            "{bad:?}"
        );
        assert_eq!(want[&rule("unknown")], None, "no verdict yet: nothing said");
    }

    #[test]
    fn undetermined_objects_keep_their_state() {
        let translation = Translation {
            status: vec![intent("Ingress", "a", "vs"), intent("Ingress", "b", "novip")],
            ..Translation::default()
        };
        // Not converged and no failure to blame: nothing is known.
        let want = desired(&translation, &Summary::default(), &vips(&["vs"]), &no_rules());
        assert_eq!(want[&t("Ingress", "a")], None);
        // Converged, but `novip` has no address yet.
        let summary = Summary {
            converged: true,
            ..Summary::default()
        };
        let want = desired(&translation, &summary, &vips(&["vs"]), &no_rules());
        assert!(want[&t("Ingress", "a")].is_some());
        assert_eq!(want[&t("Ingress", "b")], None);
    }

    #[test]
    fn sent_only_on_change_and_forgotten_when_gone() {
        let note = |reason, message: &str| Note {
            type_: EventType::Warning,
            reason,
            message: message.to_owned(),
        };
        let mut sent = Sent::default();
        let mut want = BTreeMap::from([(t("Ingress", "a"), Some(note("TranslationFailed", "x")))]);
        let p = sent.pending(&want);
        assert_eq!(p.len(), 1);
        // Not recorded (the write failed): pending again.
        assert_eq!(sent.pending(&want).len(), 1);
        sent.record(p[0].0.clone(), p[0].1.clone());
        assert!(sent.pending(&want).is_empty(), "no repeat");
        // Unknown this pass: nothing sent, nothing forgotten.
        want.insert(t("Ingress", "a"), None);
        assert!(sent.pending(&want).is_empty());
        want.insert(t("Ingress", "a"), Some(note("TranslationFailed", "x")));
        assert!(sent.pending(&want).is_empty());
        // A new message is a change.
        want.insert(t("Ingress", "a"), Some(note("TranslationFailed", "y")));
        assert_eq!(sent.pending(&want).len(), 1);
        // Gone: forgotten, so it is sent again if it comes back.
        assert!(sent.pending(&BTreeMap::new()).is_empty());
        want.insert(t("Ingress", "a"), Some(note("TranslationFailed", "x")));
        assert_eq!(sent.pending(&want).len(), 1);
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let s = "é".repeat(600);
        let cut = truncate(&s, 1024);
        assert!(cut.len() <= 1024 && cut.ends_with("..."));
        assert_eq!(truncate("short", 1024), "short");
    }
}
