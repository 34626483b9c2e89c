//! Kubernetes Events on the Ingresses and Services that caused them (events.k8s.io/v1, through
//! kube-rs's [`Recorder`], reporter `ako-rs`, instance `POD_NAME` or the hostname):
//!
//! * `Warning TranslationFailed`: the object could not be translated (the translation's message);
//! * `Warning SyncFailed`: a model the object feeds failed on the controller (the controller's
//!   message); a model is attributed to its objects through the status intents (`<tenant>/<vs>`);
//! * `Normal Synced`: every model of the object is on the controller and its VIP has an address.
//!
//! An Event is sent only when an object's `(type, reason, message)` changes from what was last
//! sent for it, not on every pass. Objects the pass cannot judge (the sync stopped without a
//! failure to blame, the VIP has no address yet) keep their last state. An Event that cannot be
//! written is logged and never fails the pass; it is tried again on the next pass, except when
//! the API server forbids it (RBAC: `events.k8s.io` `events` `create`, `patch`), which is logged
//! once per change.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::Summary;
use ako_translate::{Snapshot, Translation};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use super::status::Target;
use super::watch::Shared;

/// The reporting controller of our Events.
pub const REPORTER: &str = "ako-rs";

/// What an object's latest Event says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Normal or Warning.
    pub type_: EventType,
    /// `Synced`, `TranslationFailed` or `SyncFailed`.
    pub reason: &'static str,
    /// The human-readable message.
    pub message: String,
}

impl Note {
    fn warning(reason: &'static str, messages: &BTreeSet<String>) -> Note {
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
    vips: &BTreeMap<(String, String), Vec<String>>,
) -> BTreeMap<Target, Option<Note>> {
    let target = |kind: &str, namespace: &str, name: &str| Target {
        kind: kind.to_owned(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    };
    let mut out = BTreeMap::new();

    // Translation failures come first: such an object is not (wholly) on the controller.
    let mut translation_failed: BTreeMap<Target, BTreeSet<String>> = BTreeMap::new();
    for f in &translation.failures {
        translation_failed
            .entry(target(&f.kind, &f.namespace, &f.name))
            .or_default()
            .insert(f.message.clone());
    }

    // The objects feeding each model, and the models (with VS and VsVip) of each object.
    let mut by_model: BTreeMap<String, BTreeSet<Target>> = BTreeMap::new();
    let mut models_of: BTreeMap<Target, Vec<&ako_translate::StatusIntent>> = BTreeMap::new();
    for s in &translation.status {
        let t = target(&s.kind, &s.namespace, &s.name);
        by_model
            .entry(format!("{}/{}", s.tenant, s.vs_name))
            .or_default()
            .insert(t.clone());
        models_of.entry(t).or_default().push(s);
    }

    // Sync failures: on every object of the failed model.
    let mut failed_models = BTreeSet::new();
    let mut sync_failed: BTreeMap<Target, BTreeSet<String>> = BTreeMap::new();
    for f in &summary.failed {
        failed_models.insert(f.model.as_str());
        let message = format!("{} {}: {}", f.verb, f.key, f.message);
        for t in by_model.get(&f.model).into_iter().flatten() {
            sync_failed.entry(t.clone()).or_default().insert(message.clone());
        }
    }

    // A model without a failure is known good when the sync converged, or when what stopped it
    // is a failure elsewhere; otherwise (deadline, refusal) the pass cannot tell.
    let judged = summary.converged || !summary.failed.is_empty();
    for (t, intents) in models_of {
        if translation_failed.contains_key(&t) || sync_failed.contains_key(&t) {
            continue;
        }
        let models_ok = intents
            .iter()
            .all(|s| !failed_models.contains(format!("{}/{}", s.tenant, s.vs_name).as_str()));
        let mut ips = BTreeSet::new();
        let mut addressed = true;
        for s in &intents {
            match vips.get(&(s.tenant.clone(), s.vsvip_name.clone())) {
                Some(list) => ips.extend(list.iter().cloned()),
                None => addressed = false,
            }
        }
        let note = (judged && models_ok && addressed).then(|| {
            let vses: BTreeSet<&str> = intents.iter().map(|s| s.vs_name.as_str()).collect();
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
        out.insert(t, note);
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

/// The Notes last sent, per object.
#[derive(Default)]
pub struct Sent(BTreeMap<Target, Note>);

impl Sent {
    /// The Notes to send now: those that differ from what was last sent. Objects no longer in
    /// `want` are forgotten (should they come back, their Note is sent again).
    pub fn pending(&mut self, want: &BTreeMap<Target, Option<Note>>) -> Vec<(Target, Note)> {
        self.0.retain(|t, _| want.contains_key(t));
        want.iter()
            .filter_map(|(t, note)| {
                let note = note.as_ref()?;
                (self.0.get(t) != Some(note)).then(|| (t.clone(), note.clone()))
            })
            .collect()
    }

    /// Remember that `note` was sent for `target`.
    pub fn record(&mut self, target: Target, note: Note) {
        self.0.insert(target, note);
    }
}

/// The Event writer of `ako run`.
pub struct Events {
    client: kube::Client,
    reporter: Reporter,
    sent: Sent,
}

impl Events {
    /// Reporter `ako-rs`, instance `POD_NAME` when set, else the hostname.
    pub fn new(client: kube::Client) -> Self {
        let mut reporter = Reporter::from(REPORTER);
        if let Ok(pod) = std::env::var("POD_NAME")
            && !pod.is_empty()
        {
            reporter.instance = Some(pod);
        }
        Events {
            client,
            reporter,
            sent: Sent::default(),
        }
    }

    /// Send the Events this pass calls for. Never fails: problems are logged.
    pub async fn emit(
        &mut self,
        shared: &Shared,
        translation: &Translation,
        summary: &Summary,
        vips: &BTreeMap<(String, String), Vec<String>>,
    ) {
        let pending = self.sent.pending(&desired(translation, summary, vips));
        if pending.is_empty() {
            return;
        }
        let pending: Vec<_> = {
            let cache = shared.lock();
            pending
                .into_iter()
                .filter_map(|(t, note)| Some((reference(&cache.snapshot, &t)?, t, note)))
                .collect()
        };
        for (reference, target, note) in pending {
            // A fresh recorder per Event: kube's recorder folds Events with the same reason into
            // a series that keeps the first message, and a changed message must be seen.
            let recorder = Recorder::new(self.client.clone(), self.reporter.clone());
            let event = Event {
                type_: note.type_,
                reason: note.reason.to_owned(),
                note: Some(truncate(&note.message, 1024)),
                action: "Reconcile".to_owned(),
                secondary: None,
            };
            match recorder.publish(&event, &reference).await {
                Ok(()) => {
                    tracing::debug!(kind = %target.kind, namespace = %target.namespace, name = %target.name,
                        reason = note.reason, "event written");
                    self.sent.record(target, note);
                }
                Err(e) => {
                    tracing::warn!(kind = %target.kind, namespace = %target.namespace, name = %target.name,
                        reason = note.reason, "cannot write event: {e}");
                    if matches!(&e, kube::Error::Api(s) if s.code == 403) {
                        self.sent.record(target, note);
                    }
                }
            }
        }
    }
}

/// The reference of an Ingress or Service in the snapshot (with its uid), `None` when gone.
fn reference(snap: &Snapshot, t: &Target) -> Option<ObjectReference> {
    let key = (t.namespace.clone(), t.name.clone());
    let (api_version, meta) = match t.kind.as_str() {
        "Ingress" => ("networking.k8s.io/v1", &snap.ingresses.get(&key)?.metadata),
        "Service" => ("v1", &snap.services.get(&key)?.metadata),
        _ => return None,
    };
    Some(ObjectReference {
        api_version: Some(api_version.to_owned()),
        kind: Some(t.kind.clone()),
        namespace: Some(t.namespace.clone()),
        name: Some(t.name.clone()),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        ..ObjectReference::default()
    })
}

/// At most `max` bytes (the API's limit on an Event's note), cut at a character boundary.
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
    use ako_translate::{Failure, StatusIntent};
    use avi_model::ObjectType;

    use super::*;

    fn t(kind: &str, name: &str) -> Target {
        Target {
            kind: kind.to_owned(),
            namespace: "ns".to_owned(),
            name: name.to_owned(),
        }
    }

    fn intent(kind: &str, name: &str, vs: &str) -> StatusIntent {
        StatusIntent {
            kind: kind.to_owned(),
            namespace: "ns".to_owned(),
            name: name.to_owned(),
            tenant: "admin".to_owned(),
            vs_name: vs.to_owned(),
            vsvip_name: vs.to_owned(),
            hostname: None,
        }
    }

    fn failure(kind: &str, name: &str, message: &str) -> Failure {
        Failure {
            kind: kind.to_owned(),
            namespace: "ns".to_owned(),
            name: name.to_owned(),
            message: message.to_owned(),
        }
    }

    fn sync_failure(vs: &str, message: &str) -> ako_sync::Failure {
        ako_sync::Failure {
            model: format!("admin/{vs}"),
            key: ObjectKey::new(ObjectType::Pool, "admin", format!("{vs}-pool")),
            verb: "create",
            message: message.to_owned(),
            retry: Retry::Never,
            sources: Vec::new(),
        }
    }

    fn vips(names: &[&str]) -> BTreeMap<(String, String), Vec<String>> {
        names
            .iter()
            .map(|n| (("admin".to_owned(), (*n).to_owned()), vec!["1.1.1.1".to_owned()]))
            .collect()
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
        let want = desired(&translation, &summary, &vips(&["shared", "l4", "l4b"]));
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
    fn undetermined_objects_keep_their_state() {
        let translation = Translation {
            status: vec![intent("Ingress", "a", "vs"), intent("Ingress", "b", "novip")],
            ..Translation::default()
        };
        // Not converged and no failure to blame: nothing is known.
        let want = desired(&translation, &Summary::default(), &vips(&["vs"]));
        assert_eq!(want[&t("Ingress", "a")], None);
        // Converged, but `novip` has no address yet.
        let summary = Summary {
            converged: true,
            ..Summary::default()
        };
        let want = desired(&translation, &summary, &vips(&["vs"]));
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
