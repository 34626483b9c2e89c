//! One pass of the reconcile loop, as explicit stages:
//!
//! 1. [`take`](Reconciler::take): the recorded changes (everything on a full pass) → units;
//! 2. [`fetch`](crate::fetch): the referenced objects (Secrets) translation now needs → more units;
//!    [`lookup`](Reconciler::lookup): the controller objects rules name → more units;
//! 3. [`translate`](Reconciler::translate) the units (pure, under the index lock);
//! 4. [`guard`](Reconciler::guard): hold back outputs that lose roots nobody saw go;
//! 5. commit the rest into the desired state;
//! 6. the [static routes](super::routes) when what they read changed, then
//!    [`sync`](Reconciler::sync) the models that changed (a scoped plan), or everything;
//! 7. [`record`](Reconciler::record) the outcome: failures, retries, VIP addresses;
//! 8. [`statuses`](Reconciler::statuses), AKO's [annotations](Reconciler::annotations),
//!    [rules' statuses](Reconciler::rule_statuses) and Events of the objects concerned;
//! 9. [`report`](Reconciler::report): metrics, `/api/status`, listeners.

use std::collections::BTreeSet;
use std::time::Duration;

use ako_sync::{DeletionGuard, ExecuteOptions, ObjectKey, PlanOptions, Protection, Retry, Summary, SyncOptions};
use ako_translate::kinds::InputKind;
use ako_translate::settings::ServiceType;
use ako_translate::{Deps, ModelKey, ObjRef, StatusIntent, Translation, Unit, translate_unit};
use avi_model::ObjectType;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::events::EventType;
use tokio::time::Instant;

use super::Reconciler;
use super::guard::{Hold, Retranslated};
use super::retry::Retries;
use super::routes;
use super::rules::{self, NamedRef};
use crate::cluster::Cluster;
use crate::events::Note;
use crate::fetch;
use crate::index::Changes;
use crate::{annotations, route_status, status};

/// Longest a pass spends syncing before failed models go to their own retries.
const SYNC_DEADLINE: Duration = Duration::from_secs(10);
/// What one pass does beyond the changes recorded in the index.
#[derive(Debug, Default)]
pub struct Work {
    /// Everything: rebuild the index, re-translate every unit, plan every model.
    pub full: bool,
    /// Models to sync again (their retry is due).
    pub models: BTreeSet<ModelKey>,
    /// Statuses to check again.
    pub statuses: BTreeSet<ObjRef>,
    /// Units to translate again (a hold ended).
    pub units: BTreeSet<Unit>,
    /// Look up the references rules name again (an earlier lookup failed).
    pub lookups: bool,
    /// Write the static routes again (an earlier write failed).
    pub routes: bool,
}

impl Work {
    /// A full pass.
    pub fn full() -> Self {
        Work {
            full: true,
            ..Work::default()
        }
    }

    /// Add the retries due at `now`.
    pub fn add_due(&mut self, models: &Retries<ModelKey>, statuses: &Retries<ObjRef>, now: Instant) {
        self.models.extend(models.due(now).cloned());
        self.statuses.extend(statuses.due(now).cloned());
    }

    /// A hold was released: what it held is translated again (steady state) or everything is
    /// planned (start).
    pub fn release(&mut self, hold: Hold) {
        if hold.lost.is_empty() {
            self.full = true;
        }
        self.units.extend(hold.lost.into_keys());
    }

    /// Nothing beyond the recorded changes.
    pub fn is_idle(&self) -> bool {
        !self.full
            && self.models.is_empty()
            && self.statuses.is_empty()
            && self.units.is_empty()
            && !self.lookups
            && !self.routes
    }
}

/// The outcome of one pass, for listeners (`ako demo`, tests).
#[derive(Clone, Debug)]
pub struct PassReport {
    /// A full pass (start, resync, new settings).
    pub full: bool,
    /// Units re-translated.
    pub units: usize,
    /// Models planned.
    pub models: usize,
    /// What the sync did.
    pub summary: Summary,
    /// The translation failures of the whole desired state.
    pub failures: Vec<ako_translate::Failure>,
    /// The controller holds the desired state and every status is written.
    pub converged: bool,
    /// Deletions held by the guard, described.
    pub held: Option<String>,
}

/// What stage 1 took.
struct Intake {
    units: BTreeSet<Unit>,
    statuses: BTreeSet<ObjRef>,
    /// Roots whose own deletion or change was observed.
    evidence: BTreeSet<ObjRef>,
    /// Rules to judge again (changed, or naming a controller object whose answer changed).
    rules: BTreeSet<ObjRef>,
    /// Something the static routes read changed.
    routes: bool,
}

impl<C: Cluster> Reconciler<C> {
    /// One pass.
    pub(super) async fn pass(&mut self, work: Work) {
        let started = Instant::now();
        let mut intake = self.take(&work);
        let fetched = fetch::referenced(&self.cluster, &self.shared, &self.deps, &self.settings).await;
        {
            let index = self.shared.lock();
            for r in &fetched {
                intake.units.extend(
                    self.deps
                        .changed(&index.snapshot, &self.settings, &self.cloud, r.kind, &r.key),
                );
                // A rule naming it (a HostRule's certificate Secret) is judged again.
                intake.rules.extend(self.deps.rules_reading(r));
            }
            if fetched.iter().any(|r| !self.deps.rules_reading(r).is_empty()) {
                self.rules.invalidate();
            }
            // Before any status is written: what is held is known once the fetches are done.
            self.admin.metrics.cached(&index.counts());
        }
        self.lookup(&work, &mut intake).await;
        self.decide_rules(&mut intake);
        tracing::debug!(units = ?intake.units, "pass");
        let outputs = self.translate(&intake.units);
        let (outputs, held, retranslate) = self.guard(outputs, &intake);
        let touched = self.desired.replace(outputs);
        self.log_failures();
        if intake.routes || work.routes {
            // Before the virtual services, as AKO: their pools' servers are reached through them.
            let wanted = routes::Wanted::of(&self.shared.lock().snapshot, &self.settings, &self.cloud.cloud_type);
            self.routes
                .stage(&self.avi, &self.cluster, wanted, &self.settings, work.full)
                .await;
        }
        let (scope, summary) = self.sync(&work, &touched.models, &held).await;
        if !self.fence.is_open() {
            // This replica lost its lease (or is stopping) during the sync: what failed for that
            // reason is not a failure to retry or report; the next leader starts from the
            // controller's state.
            tracing::info!("pass ended early: this replica may no longer write");
            return;
        }
        self.record(&work, &scope, &summary);

        let mut targets = None;
        if !work.full {
            let mut t: BTreeSet<ObjRef> = touched.sources;
            t.extend(intake.statuses);
            t.extend(work.statuses.iter().cloned());
            let view = self.desired.view();
            t.extend(
                view.status
                    .iter()
                    .filter(|s| scope.contains(&s.model))
                    .map(|s| s.object.clone()),
            );
            targets = Some(t);
        }
        let statuses_ok = self.statuses(targets.as_ref()).await;
        self.annotations(targets.as_ref()).await;
        self.rule_statuses().await;
        self.gateway_statuses().await;
        self.label_infra_se_groups().await;
        let events_summary = Summary {
            failed: self.failed.values().flatten().cloned().collect(),
            converged: summary.converged,
            ..Summary::default()
        };
        // `enableEvents: false` writes none (AKO's switch); the memory of what was written stays,
        // so switching back writes only what changed since.
        if self.settings.enable_events {
            self.events
                .emit(
                    &self.cluster,
                    &self.shared,
                    self.desired.view(),
                    &events_summary,
                    &self.vips,
                    crate::events::RuleVerdicts {
                        verdicts: self.rules.current(),
                        notes: self.rules.notes(),
                    },
                )
                .await;
        }
        self.report_hold().await;
        if !retranslate.is_empty() {
            // A hold ended without its units being translated: do it now.
            self.shared.changed.notify_one();
            self.pending_units.extend(retranslate);
        }
        let converged = self.report(&work, intake.units.len(), &scope, &summary, statuses_ok, started);
        self.deletion
            .after_pass(
                converged && !self.routes.failing(),
                &self.cluster,
                self.identity.as_ref(),
                &self.settings,
            )
            .await;
    }

    /// Stage 1: take the recorded changes (all of them on a full pass) and turn them into units.
    fn take(&mut self, work: &Work) -> Intake {
        let mut index = self.shared.lock();
        let Changes {
            objects,
            statuses,
            deleted,
            vanished,
        } = index.take_changes();
        tracing::debug!(?objects, ?statuses, "changes");
        if work.full || objects.iter().any(is_rule) {
            self.rules.invalidate();
        }
        let mut rules: BTreeSet<ObjRef> = objects
            .iter()
            .filter(|r| rules::is_rule_kind(r.kind))
            .cloned()
            .collect();
        if work.full {
            rules.extend(ako_translate::rules::every_rule(&index.snapshot));
        }
        let mut units: BTreeSet<Unit> = std::mem::take(&mut self.pending_units);
        units.extend(work.units.iter().cloned());
        if work.full {
            self.deps = Deps::build(&index.snapshot, &self.settings, &self.cloud);
            units.extend(self.deps.all_units());
            // Units that produced something and no longer exist must be emptied.
            units.extend(self.desired.units().cloned());
        } else {
            for r in &objects {
                units.extend(
                    self.deps
                        .changed(&index.snapshot, &self.settings, &self.cloud, r.kind, &r.key),
                );
                let readers = self.deps.rules_reading(r);
                if !readers.is_empty() {
                    self.rules.invalidate();
                    rules.extend(readers);
                }
            }
        }
        // Evidence: a root seen deleted, or changed itself (an edit of its class or hosts).
        let evidence = objects
            .iter()
            .filter(|r| !vanished.contains(*r) && is_root(r))
            .chain(deleted.iter())
            .cloned()
            .collect();
        Intake {
            units,
            statuses,
            evidence,
            rules,
            routes: work.full || objects.iter().any(|r| routes::is_route_input(r.kind)),
        }
    }

    /// Stage 2b: look up the controller objects rules name that are not known yet (all of them
    /// on a full pass, to see what changed on the controller); the rules naming one whose answer
    /// changed are translated again.
    async fn lookup(&mut self, work: &Work, intake: &mut Intake) {
        let (named, wanted): (_, Vec<NamedRef>) = {
            let index = self.shared.lock();
            let named = rules::named_refs(&index.snapshot, &self.settings);
            if work.full {
                self.cloud
                    .refs
                    .retain(|t, r| named.contains_key(&(t.to_owned(), r.clone())));
            }
            let wanted = named
                .keys()
                .filter(|(t, r)| work.full || self.cloud.refs.get(t, r).is_none())
                .cloned()
                .collect();
            (named, wanted)
        };
        if wanted.is_empty() {
            self.rules.lookups_failed(false);
            return;
        }
        let asked = wanted.len();
        let found = ako_sync::lookup_refs(&self.avi, wanted).await;
        self.rules.lookups_failed(found.len() < asked);
        let mut touched: BTreeSet<&ObjRef> = BTreeSet::new();
        for (tenant, r, state) in found {
            let key = (tenant, r);
            if self.cloud.refs.record(&key.0, key.1.clone(), state) {
                touched.extend(named.get(&key).into_iter().flatten());
            }
        }
        if touched.is_empty() {
            return;
        }
        self.rules.invalidate();
        intake.rules.extend(touched.iter().map(|r| (*r).clone()));
        if !work.full {
            let index = self.shared.lock();
            for r in touched {
                intake.units.extend(
                    self.deps
                        .changed(&index.snapshot, &self.settings, &self.cloud, r.kind, &r.key),
                );
            }
        }
    }

    /// Stage 2c: which version of each rule to judge is in effect (its latest, or its last
    /// Accepted one while the latest is Rejected); the dependency index follows.
    fn decide_rules(&mut self, intake: &mut Intake) {
        if intake.rules.is_empty() {
            return;
        }
        let mut index = self.shared.lock();
        let replaced = self
            .rules
            .last_good
            .decide(&mut index.snapshot, &self.settings, &self.cloud, &intake.rules);
        for r in replaced {
            intake.units.extend(
                self.deps
                    .changed(&index.snapshot, &self.settings, &self.cloud, r.kind, &r.key),
            );
        }
        self.rules.invalidate();
    }

    /// Stage 8d: write the status of the Gateway API objects whose status differs from the one
    /// wanted (with `featureGates.GatewayAPI`). A failed write is tried again on the next pass
    /// (the object still carries the old status).
    async fn gateway_statuses(&mut self) {
        if !self.settings.gateway_api {
            return;
        }
        let changes = {
            let index = self.shared.lock();
            let facts = crate::gateway_status::Facts {
                observed: &self.observed,
                vips: &self.vips,
            };
            let now = jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now());
            crate::gateway_status::changes(&index.snapshot, &self.settings, &facts, &now.to_string())
        };
        for (object, patch) in changes {
            match self.cluster.merge_status_patch(&object, &patch).await {
                Ok(()) => tracing::info!(object = %object, "Gateway API status written"),
                Err(e) => tracing::warn!(object = %object, "cannot write the Gateway API status: {e}"),
            }
        }
    }

    /// Stage 8b: write the `status` of the rules whose verdict differs from what they carry.
    async fn rule_statuses(&mut self) {
        let changes = {
            let index = self.shared.lock();
            self.rules.verdicts(&index.snapshot, &self.settings, &self.cloud);
            rules::status_changes(&index.snapshot, self.rules.current(), self.rules.last_good.held())
        };
        for (rule, status, error) in changes {
            match self.cluster.patch_rule_status(&rule, &status, &error).await {
                Ok(()) => tracing::info!(object = %rule, status, error, "rule status written"),
                Err(e) => {
                    tracing::warn!(object = %rule, "cannot write the rule's status: {e}");
                    if !e.forbidden {
                        // Checked again on the next pass.
                        self.rules.invalidate();
                    }
                }
            }
        }
    }

    /// Stage 8c: AKO's `clustername=<cluster>` label on the SE groups AviInfraSettings place
    /// virtual services on (once per group and process; a group labelled for another cluster is
    /// reported and left alone), and off again from a group no setting in effect names any more
    /// (never the global group, which [`super::label_se_group`] keeps).
    async fn label_infra_se_groups(&mut self) {
        // Not where pods are not routed to (AKO labels no group then).
        if !ako_translate::routes::se_groups_labelled(&self.settings, &self.cloud.cloud_type) {
            return;
        }
        let wanted = {
            let index = self.shared.lock();
            rules::infra_se_groups(&index.snapshot, self.rules.current(), self.rules.last_good.held())
        };
        let cluster = self.settings.cluster_name.clone();
        let new: Vec<String> = wanted.difference(&self.rules.labelled_se_groups).cloned().collect();
        for group in new {
            if group == self.settings.se_group {
                self.rules.labelled_se_groups.insert(group);
                continue;
            }
            if super::label_group(&self.avi, &group, &cluster).await {
                self.rules.labelled_se_groups.insert(group);
            }
        }
        let unused: Vec<String> = self.rules.labelled_se_groups.difference(&wanted).cloned().collect();
        for group in unused {
            if group != self.settings.se_group {
                match ako_sync::unlabel_se_group(&self.avi, &group, &cluster).await {
                    Ok(removed) => tracing::info!(
                        group,
                        removed,
                        "no AviInfraSetting names the Service Engine group any more: label clustername={cluster} removed"
                    ),
                    Err(e) => {
                        tracing::warn!(group, "{e}");
                        continue;
                    }
                }
            }
            self.rules.labelled_se_groups.remove(&group);
        }
    }

    /// Stage 3: translate the units.
    fn translate(&self, units: &BTreeSet<Unit>) -> Vec<(Unit, Translation)> {
        let index = self.shared.lock();
        units
            .iter()
            .map(|u| {
                let candidates = self.deps.candidates(u);
                let out = translate_unit(&index.snapshot, &self.settings, &self.cloud, u, candidates);
                (u.clone(), out)
            })
            .collect()
    }

    /// Stage 4: the deletion guard. Returns the outputs to commit, the models frozen by a hold
    /// and the units to translate again because a hold ended.
    fn guard(
        &mut self,
        outputs: Vec<(Unit, Translation)>,
        intake: &Intake,
    ) -> (Vec<(Unit, Translation)>, BTreeSet<ModelKey>, BTreeSet<Unit>) {
        // Only what a unit lost is kept: a full pass re-translates every unit.
        let after: BTreeSet<&ObjRef> = outputs
            .iter()
            .flat_map(|(_, out)| {
                let served = out.status.iter().map(|s| &s.object);
                served.chain(out.failures.iter().map(|f| &f.object))
            })
            .collect();
        let mut pass = Retranslated {
            served: self.desired.served(),
            ..Retranslated::default()
        };
        let held: BTreeSet<&Unit> = self.guard.held().map(|h| h.lost.keys().collect()).unwrap_or_default();
        for (unit, _) in &outputs {
            if held.contains(unit) {
                pass.held_units.insert(unit.clone());
            }
            let lost: BTreeSet<ObjRef> = self
                .desired
                .roots_of(unit)
                .filter(|r| !after.contains(r) && !intake.evidence.contains(*r))
                .cloned()
                .collect();
            if !lost.is_empty() {
                pass.lost
                    .insert(unit.clone(), (lost, self.desired.models_of(unit).cloned().collect()));
            }
        }
        let verdict = self.guard.check(&pass, Instant::now());
        let frozen: BTreeSet<ModelKey> = self.guard.held().map(|h| h.models.clone()).unwrap_or_default();
        let outputs = outputs.into_iter().filter(|(u, _)| !verdict.hold.contains(u)).collect();
        (outputs, frozen, verdict.retranslate)
    }

    /// Log the translation failures when they changed.
    fn log_failures(&mut self) {
        let view = self.desired.view();
        if view.failures != self.last_failures {
            for f in &view.failures {
                tracing::warn!(object = %f.object, "not translated: {}", f.message);
            }
            self.last_failures.clone_from(&view.failures);
        }
    }

    /// Stage 6: sync what changed (everything on a full pass), never what a hold froze. Returns
    /// the models planned.
    async fn sync(
        &mut self,
        work: &Work,
        touched: &BTreeSet<ModelKey>,
        frozen: &BTreeSet<ModelKey>,
    ) -> (BTreeSet<ModelKey>, Summary) {
        let synced = self.shared.lock().synced();
        let protection = {
            let index = self.shared.lock();
            Protection::of(&index.snapshot, &self.settings, &self.cloud, self.desired.view())
        };
        let mut plan = PlanOptions {
            collect_garbage: synced,
            // Deletes follow from evidence here; the loop's guard holds the rest.
            guard: DeletionGuard {
                allow_mass_delete: true,
                ..DeletionGuard::default()
            },
            ..PlanOptions::default()
        };
        protection.apply(&mut plan);
        let mut frozen = frozen.clone();
        if work.full {
            frozen.extend(self.start_check(&plan));
        }
        let view = self.desired.view();
        let mut scope: BTreeSet<ModelKey> = if work.full {
            view.models.keys().cloned().collect()
        } else {
            touched.iter().chain(work.models.iter()).cloned().collect()
        };
        scope.retain(|m| !frozen.contains(m));
        if !work.full || !frozen.is_empty() {
            plan.scope = Some(scope.clone());
        }
        if !work.full && scope.is_empty() {
            return (
                scope,
                Summary {
                    converged: true,
                    ..Summary::default()
                },
            );
        }
        let options = SyncOptions {
            plan,
            execute: ExecuteOptions::default(),
            // Models that keep failing are retried by the queue, not inside this pass.
            deadline: Some(SYNC_DEADLINE),
            ..SyncOptions::default()
        };
        self.admin.metrics.models_synced(scope.len());
        let summary = ako_sync::sync(&self.avi, view, &mut self.observed, &options).await;
        if summary.created + summary.updated + summary.deleted > 0 || !summary.converged {
            tracing::info!(
                models = scope.len(),
                created = summary.created,
                updated = summary.updated,
                deleted = summary.deleted,
                unchanged = summary.unchanged,
                failed = summary.failed.len(),
                converged = summary.converged,
                "synced"
            );
        }
        for f in &summary.failed {
            tracing::warn!("sync failure: {f}");
        }
        for p in &summary.problems {
            tracing::warn!("sync problem: {p}");
        }
        (scope, summary)
    }

    /// The start check of the guard on a full plan: the models to freeze.
    fn start_check(&mut self, plan: &PlanOptions) -> BTreeSet<ModelKey> {
        let mut dry = plan.clone();
        dry.guard.allow_mass_delete = false;
        dry.guard.max_share = self.guard.settings.max_share;
        dry.guard.min_owned = self.guard.settings.min_count;
        let planned = ako_sync::plan(self.desired.view(), &self.observed, &dry);
        let (would_delete, models) = match planned.refused {
            Some(r) => (r.would_delete, r.models),
            None => (0, BTreeSet::new()),
        };
        self.guard
            .check_start(would_delete, self.observed.len(), models, Instant::now())
    }

    /// Stage 7: book the outcome of a sync: failures per model, their retries, the VIP addresses.
    fn record(&mut self, work: &Work, scope: &BTreeSet<ModelKey>, summary: &Summary) {
        if work.full {
            self.failed.clear();
        } else {
            for m in scope {
                self.failed.remove(m);
            }
        }
        for f in &summary.failed {
            self.failed.entry(f.model.clone()).or_default().push(f.clone());
        }
        let mut retry: BTreeSet<&ModelKey> = summary
            .failed
            .iter()
            .filter(|f| f.retry != Retry::Never)
            .map(|f| &f.model)
            .collect();
        if !summary.converged && summary.failed.is_empty() {
            // Stopped without a failure to blame (deadline): all again.
            retry.extend(scope.iter());
        }
        let synced: Vec<ModelKey> = if work.full {
            self.model_retries.keys().cloned().collect()
        } else {
            scope.iter().cloned().collect()
        };
        for m in synced.iter().filter(|m| !retry.contains(m)) {
            self.model_retries.succeeded(m);
        }
        for m in retry {
            self.model_retries.failed(m.clone());
        }
        if work.full {
            self.vips = status::Vips::of(&self.observed);
        } else {
            for m in scope {
                self.vips
                    .refresh(&self.observed, ObjectKey::new(ObjectType::VsVip, &m.tenant, &m.vs));
            }
        }
    }

    /// Stage 8: patch the statuses that differ (of `only`, or all); true when every patch went
    /// through. A failed patch is retried with backoff.
    async fn statuses(&mut self, only: Option<&BTreeSet<ObjRef>>) -> bool {
        let intents = self
            .desired
            .view()
            .status
            .iter()
            .filter(|s| only.is_none_or(|o| o.contains(&s.object)));
        let intents: Vec<&StatusIntent> = intents.collect();
        let want = status::desired(intents.iter().copied(), &self.vips);
        let router = ako_translate::Namer::for_settings(&self.settings).ako_user();
        let (changes, route_patches) = {
            let index = self.shared.lock();
            let mut changes = status::changes(&index.snapshot, &want, &mut self.status_owned, only, &router);
            let ctx = route_status::Context {
                router: &router,
                controller: self.controller_uuid.as_deref().unwrap_or_default(),
                now: Time(jiff::Timestamp::now()),
            };
            let patches = route_status::patches(
                &index.snapshot,
                &mut changes,
                &mut self.status_owned,
                &intents,
                &self.desired.view().failures,
                &want,
                only,
                (&self.vips, &self.observed),
                &ctx,
            );
            (changes, patches)
        };
        for t in only.into_iter().flatten() {
            if !changes.iter().any(|(c, _)| c == t) {
                self.status_retries.succeeded(t);
            }
        }
        let mut ok = true;
        let cluster = &self.cluster;
        // At most CONCURRENT_WRITES in flight, refilled as each ends (no batch waits for its
        // slowest write). Refilled by hand: a stream of futures made by a closure is not
        // provably `Send` (the compiler's higher-ranked lifetime limit), and the reconciler
        // runs on a task.
        let mut pending = changes.iter();
        let mut written = FuturesUnordered::new();
        loop {
            while written.len() < super::CONCURRENT_WRITES {
                let Some((t, entries)) = pending.next() else { break };
                let route = route_patches.get(t);
                written.push(async move {
                    let result = match route {
                        Some(patch) => cluster.merge_status_patch(t, patch).await,
                        None => cluster.patch_status(t, entries.as_ref()).await,
                    };
                    (t, entries, result)
                });
            }
            let Some((t, entries, result)) = written.next().await else {
                break;
            };
            match result {
                Ok(()) => {
                    self.status_retries.succeeded(t);
                    let ips: Option<BTreeSet<&str>> =
                        entries.as_ref().map(|e| e.iter().map(|(ip, _)| ip.as_str()).collect());
                    tracing::info!(object = %t, ?ips, "status written");
                }
                Err(e) => {
                    ok = false;
                    self.status_retries.failed(t.clone());
                    tracing::warn!(object = %t, "cannot write status: {e}");
                }
            }
        }
        ok
    }

    /// Stage 8a: AKO's annotations on the objects whose status was just looked at (all on a
    /// full pass), and under NodePortLocal on the Services served; a failed patch is retried
    /// with the object's status.
    async fn annotations(&mut self, only: Option<&BTreeSet<ObjRef>>) {
        let patches = {
            let index = self.shared.lock();
            let view = self.desired.view();
            let mut patches = Vec::new();
            if let Some(controller) = self.controller_uuid.as_deref() {
                let intents = view
                    .status
                    .iter()
                    .filter(|s| only.is_none_or(|o| o.contains(&s.object)));
                let want = annotations::desired(intents, &self.vips, &self.observed);
                patches = annotations::changes(&index.snapshot, &want, controller, &self.status_owned, only);
            }
            if self.settings.service_type == ServiceType::NodePortLocal || !self.npl_annotated.is_empty() {
                // NodePortLocal turned off: nothing is served, ours are released.
                let served = match self.settings.service_type {
                    ServiceType::NodePortLocal => annotations::npl_served(&self.deps, &view.status),
                    _ => BTreeSet::new(),
                };
                patches.extend(annotations::npl_changes(
                    &index.snapshot,
                    &served,
                    &mut self.npl_annotated,
                ));
            }
            patches
        };
        let cluster = &self.cluster;
        // Bounded and refilled by hand, as the statuses are (see there why).
        let mut pending = patches.iter();
        let mut written = FuturesUnordered::new();
        loop {
            while written.len() < super::CONCURRENT_WRITES {
                let Some((t, set)) = pending.next() else { break };
                written.push(async move { (t, cluster.patch_annotations(t, set).await) });
            }
            let Some((t, result)) = written.next().await else { break };
            match result {
                Ok(()) => tracing::debug!(object = %t, "annotations written"),
                Err(e) => {
                    self.status_retries.failed(t.clone());
                    tracing::warn!(object = %t, "cannot write AKO's annotations: {e}");
                }
            }
        }
    }

    /// A new or ended hold is logged and said in an Event on ako-rs's own Pod.
    async fn report_hold(&mut self) {
        let now = self.guard.held().map(|h| h.describe(&self.guard.settings));
        if now == self.reported_hold {
            return;
        }
        let note = match &now {
            Some(text) => {
                tracing::warn!("{text}");
                Note {
                    type_: EventType::Warning,
                    reason: "DeletionsHeld",
                    message: text.clone(),
                }
            }
            None => {
                tracing::info!("deletions no longer held");
                Note {
                    type_: EventType::Normal,
                    reason: "DeletionsReleased",
                    message: "deletions are no longer held".to_owned(),
                }
            }
        };
        self.reported_hold = now;
        if let Some(me) = self.identity.as_ref().filter(|_| self.settings.enable_events) {
            publish_about(&self.cluster, me, &note).await;
        }
    }

    /// Stage 9: metrics, `/api/status`, listeners; whether the pass converged.
    fn report(
        &mut self,
        work: &Work,
        units: usize,
        scope: &BTreeSet<ModelKey>,
        summary: &Summary,
        statuses_ok: bool,
        started: Instant,
    ) -> bool {
        let view = self.desired.view();
        let converged = summary.converged && statuses_ok && self.failed.is_empty();
        let m = &self.admin.metrics;
        m.pass(
            started.elapsed(),
            summary.converged && statuses_ok,
            summary,
            view.failures.len(),
            view.models.len(),
            &self.observed,
        );
        m.set_queue(
            self.shared.lock().queued(),
            self.model_retries.len() + self.status_retries.len(),
        );
        let held = self.guard.held();
        m.held(held.map(|h| (h.reason.as_str(), h.roots().len().max(h.models.len()))));
        self.admin
            .synced(converged, view.models.len(), &view.failures, self.failed.len());
        self.admin.held(held.map(|h| {
            serde_json::json!({
                "reason": h.reason.as_str(),
                "message": h.describe(&self.guard.settings),
                "roots": h.roots().iter().map(ToString::to_string).collect::<Vec<_>>(),
                "models": h.models.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "held_for_seconds": h.since.elapsed().as_secs(),
                "release_in_seconds": self.guard.settings.hold.saturating_sub(h.since.elapsed()).as_secs(),
            })
        }));
        // Transport errors, 5xx, lost sessions: the controller is not answering as it should.
        let mut unreachable = summary.failed.iter().filter(|f| f.retry == Retry::Fast).peekable();
        // A pass that sent nothing tells nothing about the controller.
        if (work.full || !scope.is_empty()) && unreachable.peek().is_none() {
            self.admin.controller(&Ok(()));
        }
        for f in unreachable {
            self.admin.controller_error(&f.to_string());
        }
        let _ = self.reports.send(PassReport {
            full: work.full,
            units,
            models: scope.len(),
            summary: summary.clone(),
            failures: view.failures.clone(),
            converged,
            held: self.guard.held().map(|h| h.describe(&self.guard.settings)),
        });
        converged
    }
}

/// Whether an object is a root of translation (its own change is evidence about what it fed).
/// A rule, or a Namespace (its filters and tenant decide which rules apply and where).
fn is_rule(r: &ObjRef) -> bool {
    use ako_translate::Kind;
    rules::is_rule_kind(r.kind) || r.kind == Kind::Namespace
}

fn is_root(r: &ObjRef) -> bool {
    struct Root(bool);
    impl ako_translate::kinds::KindVisitor for Root {
        fn visit<K: InputKind>(&mut self) {
            self.0 = K::ROOT;
        }
    }
    let mut v = Root(false);
    ako_translate::kinds::with_kind(r.kind, &mut v);
    v.0
}

/// Publish an Event about ako-rs itself; failures are logged.
pub(super) async fn publish_about(cluster: &impl Cluster, me: &ObjectReference, note: &Note) {
    if let Err(e) = cluster.publish(me, note).await {
        tracing::warn!(reason = note.reason, "cannot write event: {e}");
    }
}
