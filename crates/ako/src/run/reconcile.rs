//! The reconcile loop: a work queue keyed by translation unit and by model.
//!
//! * Watch events record which objects changed ([`super::cache`]); after a quiet period
//!   (`debounce`, at most `max_delay` after the first change) one pass takes them all: the
//!   dependency index ([`Deps`]) turns them into the translation units they touch, only those
//!   are re-translated into the desired state ([`Desired`]), and only the models that changed
//!   are planned and synced (a scoped plan). Bursts coalesce; one pass runs at a time, so a
//!   model is never synced twice at once; the sync engine bounds concurrency inside a pass.
//! * A model whose sync failed (controller unreachable, 5xx, no free IP) is retried alone with
//!   its own exponential backoff (1 s doubling to 60 s), without re-translating anything.
//! * A status patch that failed is retried on the next pass (or after the same backoff).
//! * The observed state is loaded once at start and kept current by the sync engine from write
//!   responses. The periodic full resync (`fullSyncFrequency`) re-reads it and the cloud facts,
//!   rebuilds the index, re-translates everything and plans every model including garbage no
//!   model refers to: drift made on the controller is repaired.
//! * Garbage collection only runs while every watch has completed its initial list and every
//!   failed object can be mapped to its models (see `sync_cmd::protected_models`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use ako_sync::{ExecuteOptions, Observed, Owner, PlanOptions, Retry, Summary, SyncOptions};
use ako_translate::{Change, CloudFacts, Deps, Desired, Settings, StatusIntent, Unit, translate_unit};
use avi_client::Client;
use tokio::time::Instant;

use super::admin;
use super::cache::Kind;
use super::events::Events;
use super::retry;
use super::secrets;
use super::status::{self, Target};
use super::watch::Shared;
use crate::sync_cmd::protected_models;

/// First wait before a failed model or status is retried; doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between retries of one model.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// When passes run.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Quiet period after a change.
    pub debounce: Duration,
    /// Longest wait for a quiet period.
    pub max_delay: Duration,
    /// Full resync interval.
    pub resync: Duration,
}

/// What one pass does beyond the changes recorded by the watches.
#[derive(Debug, Default)]
struct Work {
    /// Everything: rebuild the index, re-translate every unit, plan every model.
    full: bool,
    /// Models to sync again (their retry is due).
    models: BTreeSet<String>,
    /// Statuses to check again.
    statuses: BTreeSet<Target>,
}

/// A model or status waiting for its retry.
#[derive(Debug)]
struct Pending {
    at: Instant,
    backoff: Duration,
}

impl Pending {
    /// The next retry after `previous` (none: the first).
    fn after(previous: Option<&Pending>) -> Pending {
        let backoff = previous.map_or(RETRY_FIRST, |p| (p.backoff * 2).min(RETRY_MAX));
        Pending {
            at: Instant::now() + backoff,
            backoff,
        }
    }
}

/// The loop's state.
pub struct Reconciler {
    avi: Client,
    kube: kube::Client,
    shared: Shared,
    settings: Settings,
    timing: Timing,
    cloud: CloudFacts,
    observed: Observed,
    /// Which units each object change touches.
    deps: Deps,
    /// The desired state, unit by unit.
    desired: Desired,
    /// Objects whose status we answer for (see [`status::changes`]).
    status_owned: BTreeSet<Target>,
    /// The translation failures last logged: logged again only when they change.
    last_failures: Vec<ako_translate::Failure>,
    /// Kubernetes Events on the objects (sent when an object's outcome changes).
    events: Events,
    /// What the admin server shows.
    admin: Arc<admin::State>,
    /// The failures of each model whose last sync failed.
    failed: BTreeMap<String, Vec<ako_sync::Failure>>,
    /// Models waiting for a retry.
    model_retries: BTreeMap<String, Pending>,
    /// Statuses waiting for a retry.
    status_retries: BTreeMap<Target, Pending>,
    /// The addresses of the VsVips we own, by `(tenant, name)`.
    vips: BTreeMap<(String, String), Vec<String>>,
}

impl Reconciler {
    /// Read the cloud facts and the observed state (retrying until the controller answers).
    pub async fn start(
        avi: Client,
        kube: kube::Client,
        shared: Shared,
        settings: Settings,
        timing: Timing,
        admin: Arc<admin::State>,
    ) -> Self {
        let owner = Owner::new(&settings.cluster_name);
        let cloud = retry("cannot read the cloud from the controller", || async {
            let r = ako_sync::cloud_facts(&avi, &settings.cloud_name)
                .await
                .map_err(anyhow::Error::from);
            admin.controller(&r);
            r
        })
        .await;
        let observed = retry(
            "cannot read the objects this cluster owns on the controller",
            || async {
                let r = ako_sync::load_observed(&avi, &owner).await.map_err(anyhow::Error::from);
                admin.controller(&r);
                r
            },
        )
        .await;
        tracing::info!(objects = observed.len(), "observed state loaded");
        admin.observed_loaded();
        let vips = status::vip_addresses(&observed);
        let status_owned = {
            let cache = shared.lock();
            status::ours_at_start(&cache.snapshot, &vips)
        };
        Reconciler {
            avi,
            events: Events::new(kube.clone()),
            kube,
            shared,
            settings,
            timing,
            cloud,
            observed,
            status_owned,
            last_failures: Vec::new(),
            admin,
            deps: Deps::default(),
            desired: Desired::new(),
            failed: BTreeMap::new(),
            model_retries: BTreeMap::new(),
            status_retries: BTreeMap::new(),
            vips,
        }
    }

    /// Run forever.
    pub async fn run(&mut self) {
        let mut next_resync = Instant::now() + self.timing.resync;
        self.pass(Work {
            full: true,
            ..Work::default()
        })
        .await;
        loop {
            let retries = self.model_retries.values().chain(self.status_retries.values());
            let wake = retries.map(|p| p.at).fold(next_resync, Instant::min);
            tokio::select! {
                () = self.shared.changed.notified() => self.debounce().await,
                () = tokio::time::sleep_until(wake) => {}
            }
            let work = if Instant::now() >= next_resync {
                self.reload().await;
                next_resync = Instant::now() + self.timing.resync;
                Work {
                    full: true,
                    ..Work::default()
                }
            } else {
                self.due()
            };
            let idle = !work.full && work.models.is_empty() && work.statuses.is_empty();
            if idle && self.shared.lock().queued() == 0 {
                continue; // woken for nothing (e.g. a retry that another pass already did)
            }
            self.pass(work).await;
        }
    }

    /// The retries that are due, taken from the queue.
    fn due(&mut self) -> Work {
        let now = Instant::now();
        let mut work = Work::default();
        for (model, p) in &self.model_retries {
            if p.at <= now {
                work.models.insert(model.clone());
            }
        }
        for (target, p) in &self.status_retries {
            if p.at <= now {
                work.statuses.insert(target.clone());
            }
        }
        work
    }

    /// After a change: wait for `debounce` of quiet, at most `max_delay` in all.
    async fn debounce(&self) {
        let started = Instant::now();
        loop {
            let left = self.timing.max_delay.saturating_sub(started.elapsed());
            if left.is_zero() {
                return;
            }
            let quiet = self.timing.debounce.min(left);
            if tokio::time::timeout(quiet, self.shared.changed.notified())
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Full resync: re-read the cloud facts and everything we own on the controller.
    async fn reload(&mut self) {
        tracing::info!("periodic full resync");
        match ako_sync::cloud_facts(&self.avi, &self.settings.cloud_name).await {
            Ok(cloud) => self.cloud = cloud,
            Err(e) => tracing::warn!("cannot refresh the cloud facts: {e:#}"),
        }
        match ako_sync::load_observed(&self.avi, self.observed.owner()).await {
            Ok(observed) => self.observed = observed,
            Err(e) => {
                tracing::warn!("cannot re-read the controller, keeping the state in memory: {e:#}");
                self.admin.controller_error(&format!("{e:#}"));
            }
        }
    }

    /// One pass: the recorded changes and `work` → units → translation → scoped sync →
    /// statuses and Events.
    async fn pass(&mut self, work: Work) {
        let started = Instant::now();
        let (mut units, statuses, fetch, drop) = self.take_changes(work.full);
        tracing::debug!(?units, ?fetch, ?drop, "pass");
        let fetched = if fetch.is_empty() {
            Vec::new()
        } else {
            secrets::fetch(&self.kube, fetch).await
        };
        let (touched, protected, unmapped, synced) = {
            let mut cache = self.shared.lock();
            for key in secrets::apply(&mut cache, fetched, drop) {
                let change = Change::Secret(&key);
                units.extend(self.deps.changed(&cache.snapshot, &self.settings, &self.cloud, change));
            }
            let outputs: Vec<_> = units
                .iter()
                .map(|u| {
                    let candidates = self.deps.candidates(u);
                    let out = translate_unit(&cache.snapshot, &self.settings, &self.cloud, u, candidates);
                    (u.clone(), out)
                })
                .collect();
            let touched = self.desired.replace(outputs);
            let (protected, unmapped) =
                protected_models(&cache.snapshot, &self.settings, &self.cloud, self.desired.view());
            self.admin.metrics.cached(&cache.counts());
            (touched, protected, unmapped, cache.synced())
        };
        let view = self.desired.view();
        if view.failures != self.last_failures {
            for f in &view.failures {
                tracing::warn!(kind = %f.kind, namespace = %f.namespace, name = %f.name, "not translated: {}", f.message);
            }
            self.last_failures.clone_from(&view.failures);
        }

        let mut scope = touched.models.clone();
        scope.extend(work.models.iter().cloned());
        let summary = if work.full || !scope.is_empty() {
            let options = SyncOptions {
                plan: PlanOptions {
                    collect_garbage: synced && unmapped.is_empty(),
                    protected_models: protected,
                    scope: (!work.full).then(|| scope.clone()),
                    ..PlanOptions::default()
                },
                execute: ExecuteOptions::default(),
                // Models that keep failing are retried by the queue, not inside this pass.
                deadline: Some(Duration::from_secs(10)),
                ..SyncOptions::default()
            };
            self.admin
                .metrics
                .models_synced(if work.full { view.models.len() } else { scope.len() });
            ako_sync::sync(&self.avi, view, &mut self.observed, &options).await
        } else {
            Summary {
                converged: true,
                ..Summary::default()
            }
        };
        if summary.created + summary.updated + summary.deleted > 0 || !summary.converged {
            tracing::info!(
                units = units.len(),
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
        self.after_sync(&work, &scope, &summary);

        // Statuses: of the objects whose translation or status changed, of the models synced,
        // and those waiting for a retry; everything on a full pass.
        let targets = (!work.full).then(|| {
            let mut t: BTreeSet<Target> = touched
                .sources
                .iter()
                .filter(|(kind, _, _)| kind == "Ingress" || kind == "Service")
                .map(|(kind, namespace, name)| Target {
                    kind: kind.clone(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                })
                .collect();
            t.extend(statuses);
            t.extend(work.statuses.iter().cloned());
            t.extend(
                self.desired
                    .view()
                    .status
                    .iter()
                    .filter(|s| scope.contains(&format!("{}/{}", s.tenant, s.vs_name)))
                    .map(target_of),
            );
            t
        });
        let statuses_ok = self.write_statuses(targets.as_ref()).await;
        let events_summary = Summary {
            failed: self.failed.values().flatten().cloned().collect(),
            converged: summary.converged,
            ..Summary::default()
        };
        self.events
            .emit(&self.shared, self.desired.view(), &events_summary, &self.vips)
            .await;

        let view = self.desired.view();
        let converged = summary.converged && statuses_ok && self.failed.is_empty();
        self.admin.metrics.pass(
            started.elapsed(),
            summary.converged && statuses_ok,
            &summary,
            view.failures.len(),
            view.models.len(),
            &self.observed,
        );
        self.admin.metrics.set_queue(
            self.shared.lock().queued(),
            self.model_retries.len() + self.status_retries.len(),
        );
        self.admin
            .synced(converged, view.models.len(), &view.failures, self.failed.len());
        // Transport errors, 5xx, lost sessions: the controller is not answering as it should.
        let mut unreachable = summary.failed.iter().filter(|f| f.retry == Retry::Fast).peekable();
        // A pass that sent nothing tells nothing about the controller.
        if (work.full || !scope.is_empty()) && unreachable.peek().is_none() {
            self.admin.controller(&Ok(()));
        }
        for f in unreachable {
            self.admin.controller_error(&f.to_string());
        }
    }

    /// Take the recorded changes (all of them on a full pass) and turn them into units; say
    /// which Secrets to fetch and drop.
    #[allow(clippy::type_complexity)]
    fn take_changes(
        &mut self,
        full: bool,
    ) -> (
        BTreeSet<Unit>,
        BTreeSet<Target>,
        Vec<(String, String)>,
        Vec<(String, String)>,
    ) {
        let mut cache = self.shared.lock();
        let changes = cache.take_changes();
        tracing::debug!(objects = ?changes.objects, statuses = ?changes.statuses, "changes");
        let mut units = BTreeSet::new();
        if full {
            self.deps = Deps::build(&cache.snapshot, &self.settings, &self.cloud);
            units = self.deps.all_units();
            // Units that produced something and no longer exist must be emptied.
            units.extend(self.desired.units().cloned());
        } else {
            for (kind, key) in &changes.objects {
                let change = match kind {
                    Kind::Ingress => Change::Ingress(key),
                    Kind::Service => Change::Service(key),
                    Kind::EndpointSlice => Change::EndpointSlice(key),
                    Kind::Secret => Change::Secret(key),
                    Kind::Pod => Change::Pod(key),
                    Kind::Node => Change::Node,
                    Kind::IngressClass => Change::IngressClass,
                    Kind::Namespace => Change::Namespace(&key.1),
                };
                units.extend(self.deps.changed(&cache.snapshot, &self.settings, &self.cloud, change));
            }
        }
        let (fetch, drop) = secrets::reconcile_plan(&cache, &self.deps);
        (units, changes.statuses, fetch, drop)
    }

    /// Book the outcome of a sync: failures per model, their retries, the VIP addresses.
    fn after_sync(&mut self, work: &Work, scope: &BTreeSet<String>, summary: &Summary) {
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
        let mut retry: BTreeSet<&str> = summary
            .failed
            .iter()
            .filter(|f| f.retry != Retry::Never)
            .map(|f| f.model.as_str())
            .collect();
        if !summary.converged && summary.failed.is_empty() {
            // Stopped without a failure to blame (deadline, deletion guard): all again.
            retry.extend(scope.iter().map(String::as_str));
        }
        let synced: Vec<&String> = if work.full {
            self.model_retries.keys().collect()
        } else {
            scope.iter().collect()
        };
        let done: Vec<String> = synced
            .into_iter()
            .filter(|m| !retry.contains(m.as_str()))
            .cloned()
            .collect();
        for m in done {
            self.model_retries.remove(&m);
        }
        for m in retry {
            let next = Pending::after(self.model_retries.get(m));
            self.model_retries.insert(m.to_owned(), next);
        }
        if work.full {
            self.vips = status::vip_addresses(&self.observed);
        } else {
            for m in scope {
                let Some((tenant, vs)) = m.split_once('/') else {
                    continue;
                };
                let key = (tenant.to_owned(), vs.to_owned());
                match status::vip_of(&self.observed, tenant, vs) {
                    Some(ips) => self.vips.insert(key, ips),
                    None => self.vips.remove(&key),
                };
            }
        }
    }

    /// Patch the statuses that differ (of `only`, or all); true when every patch went through.
    /// A failed patch is retried with backoff.
    async fn write_statuses(&mut self, only: Option<&BTreeSet<Target>>) -> bool {
        let intents = self
            .desired
            .view()
            .status
            .iter()
            .filter(|s| only.is_none_or(|o| o.contains(&target_of(s))));
        let want = status::desired(intents, &self.vips);
        let changes = {
            let cache = self.shared.lock();
            status::changes(&cache.snapshot, &want, &mut self.status_owned, only)
        };
        for t in only.into_iter().flatten() {
            if !changes.iter().any(|(c, _)| c == t) {
                self.status_retries.remove(t);
            }
        }
        let mut ok = true;
        for change in &changes {
            let (t, entries) = change;
            match status::patch(&self.kube, change).await {
                Ok(()) => {
                    self.status_retries.remove(t);
                    tracing::info!(kind = %t.kind, namespace = %t.namespace, name = %t.name,
                    ips = ?entries.as_ref().map(|e| e.iter().map(|(ip, _)| ip.as_str()).collect::<BTreeSet<_>>()),
                    "status written")
                }
                Err(e) => {
                    ok = false;
                    let next = Pending::after(self.status_retries.get(t));
                    self.status_retries.insert(t.clone(), next);
                    tracing::warn!(kind = %t.kind, namespace = %t.namespace, name = %t.name, "cannot write status: {e}");
                }
            }
        }
        ok
    }
}

/// The Kubernetes object of a status intent.
fn target_of(s: &StatusIntent) -> Target {
    Target {
        kind: s.kind.clone(),
        namespace: s.namespace.clone(),
        name: s.name.clone(),
    }
}
