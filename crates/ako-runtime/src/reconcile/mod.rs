//! The reconcile loop: a work queue keyed by translation unit and by model.
//!
//! * The sources record which objects changed in the index; after a quiet period (`debounce`,
//!   at most `max_delay` after the first change) one pass ([`pass`]) takes them all: the
//!   dependency index ([`Deps`]) turns them into the translation units they touch, only those are
//!   re-translated into the desired state ([`Desired`]), the deletion guard ([`guard`]) holds
//!   back losses nobody saw happen, and only the models that changed are planned and synced (a
//!   scoped plan). Bursts coalesce; one pass runs at a time, so a model is never synced twice at
//!   once; the sync engine bounds concurrency inside a pass.
//! * A model whose sync failed (controller unreachable, 5xx, no free IP) is retried alone with
//!   its own exponential backoff ([`retry`]), without re-translating anything; so is a failed
//!   status patch.
//! * The observed state is loaded once at start and kept current by the sync engine from write
//!   responses. The periodic full resync (`fullSyncFrequency`; `0` turns it off, as in AKO)
//!   re-reads it and the cloud facts, rebuilds the index, re-translates everything and plans
//!   every model including garbage no model refers to: drift made on the controller is repaired.
//! * New settings (a changed ConfigMap) apply live: the guard's switches at once, anything else
//!   with a full pass (and a re-read of the controller when the cluster or cloud changed).
//! * Nothing is translated or deleted before every source has completed its initial list.

mod delete_config;
pub mod guard;
mod last_good;
mod pass;
pub mod retry;
mod routes;
mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ako_sync::{Observed, Owner};
use ako_translate::{CloudFacts, Deps, Desired, ModelKey, ObjRef, Settings};
use avi_client::Client;
use k8s_openapi::api::core::v1::ObjectReference;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::admin;
use crate::backoff::retry_forever;
use crate::cluster::Cluster;
use crate::events::Events;
use crate::index::Shared;
use crate::leader::Fence;
use crate::status::Vips;
use guard::{Guard, GuardSettings};
use retry::Retries;

pub use pass::PassReport;

/// When passes run.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Quiet period after a change.
    pub debounce: Duration,
    /// Longest wait for a quiet period.
    pub max_delay: Duration,
    /// Full resync interval; `None` turns the periodic resync off.
    pub resync: Option<Duration>,
}

impl Timing {
    /// ako run's defaults (200 ms quiet, 2 s at most) with the settings' `fullSyncFrequency`.
    pub fn new(settings: &Settings) -> Self {
        Timing {
            debounce: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            resync: resync_of(settings),
        }
    }
}

/// `fullSyncFrequency` in seconds; 0 turns the periodic full sync off, as in AKO.
pub fn resync_of(settings: &Settings) -> Option<Duration> {
    (settings.full_sync_seconds > 0).then(|| Duration::from_secs(settings.full_sync_seconds))
}

/// The guard's settings from AKO's settings (`deleteConfig` asks for the deletion: no guard).
fn guard_settings(settings: &Settings) -> GuardSettings {
    GuardSettings {
        allow: settings.allow_mass_deletion || settings.delete_config,
        hold: Duration::from_secs(settings.deletion_hold_seconds),
        ..GuardSettings::default()
    }
}

/// Everything the loop needs to start.
pub struct Start<C> {
    /// The controller.
    pub avi: Client,
    /// The Kubernetes side.
    pub cluster: C,
    /// The index the sources feed.
    pub shared: Shared,
    /// The settings, and their later versions.
    pub settings: watch::Receiver<Settings>,
    /// When passes run.
    pub timing: Timing,
    /// What the admin server shows.
    pub admin: Arc<admin::State>,
    /// Where Events about ako-rs itself go (its Pod), when known.
    pub identity: Option<ObjectReference>,
    /// Whether this process may write ([`Fence::alone`] when it is the only one).
    pub fence: Fence,
}

/// The loop's state.
pub struct Reconciler<C> {
    avi: Client,
    cluster: C,
    shared: Shared,
    settings: Settings,
    settings_rx: watch::Receiver<Settings>,
    /// The settings' sender still exists (a closed channel is never polled again).
    settings_open: bool,
    timing: Timing,
    cloud: CloudFacts,
    observed: Observed,
    /// Which units each object change touches.
    deps: Deps,
    /// The desired state, unit by unit.
    desired: Desired,
    /// Objects whose status we answer for (see [`crate::status::changes`]).
    status_owned: std::collections::BTreeSet<ObjRef>,
    /// The translation failures last logged: logged again only when they change.
    last_failures: Vec<ako_translate::Failure>,
    /// Kubernetes Events on the objects.
    events: Events,
    /// What the admin server shows.
    admin: Arc<admin::State>,
    /// The failures of each model whose last sync failed.
    failed: BTreeMap<ModelKey, Vec<ako_sync::Failure>>,
    /// Models waiting for a retry.
    model_retries: Retries<ModelKey>,
    /// Statuses waiting for a retry.
    status_retries: Retries<ObjRef>,
    /// The addresses of the VsVips we own.
    vips: Vips,
    /// The deletion guard.
    guard: Guard,
    /// The hold last reported (Event, log), to report changes only.
    reported_hold: Option<String>,
    /// ako-rs's own Pod, for Events about itself.
    identity: Option<ObjectReference>,
    /// Units to translate on the next pass whatever changed (a hold ended).
    pending_units: std::collections::BTreeSet<ako_translate::Unit>,
    /// Outcomes of passes, for whoever listens (`ako demo`, tests).
    reports: broadcast::Sender<PassReport>,
    /// HostRules' and HTTPRules' verdicts.
    rules: rules::Rules,
    /// The static routes last written.
    routes: routes::Routes,
    /// `deleteConfig`'s progress.
    deletion: delete_config::DeleteConfig,
    /// The controller cluster's uuid (for AKO's annotations), once read.
    controller_uuid: Option<String>,
    /// Services this process annotated for NodePortLocal.
    npl_annotated: std::collections::BTreeSet<ObjRef>,
    /// Whether this process may write: [`Reconciler::run`] ends when it closes.
    fence: Fence,
}

impl<C: Cluster> Reconciler<C> {
    /// Read the cloud facts and the observed state (retrying until the controller answers).
    pub async fn start(s: Start<C>) -> Self {
        let settings = s.settings.borrow().clone();
        let (cloud, observed) = load_controller(&s.avi, &settings, &s.admin).await;
        let controller_uuid = controller_uuid(&s.avi).await;
        let vips = Vips::of(&observed);
        let router = ako_translate::Namer::for_settings(&settings).ako_user();
        let status_owned = crate::status::ours_at_start(&s.shared.lock().snapshot, &vips, &router);
        let (reports, _) = broadcast::channel(16);
        Reconciler {
            avi: s.avi,
            cluster: s.cluster,
            shared: s.shared,
            guard: Guard::new(guard_settings(&settings)),
            settings,
            settings_rx: s.settings,
            settings_open: true,
            timing: s.timing,
            cloud,
            observed,
            deps: Deps::default(),
            desired: Desired::new(),
            status_owned,
            last_failures: Vec::new(),
            events: Events::default(),
            admin: s.admin,
            failed: BTreeMap::new(),
            model_retries: Retries::default(),
            status_retries: Retries::default(),
            vips,
            reported_hold: None,
            identity: s.identity,
            pending_units: Default::default(),
            reports,
            rules: rules::Rules::default(),
            routes: routes::Routes::default(),
            deletion: delete_config::DeleteConfig::default(),
            controller_uuid,
            npl_annotated: Default::default(),
            fence: s.fence,
        }
    }

    /// The outcome of every pass from now on.
    pub fn reports(&self) -> broadcast::Receiver<PassReport> {
        self.reports.subscribe()
    }

    /// Run until the fence closes (forever for the only writer). A pass under way when it
    /// closes finishes what is in flight, sends nothing more and ends early.
    pub async fn run(&mut self) {
        if !self.fence.is_open() {
            return;
        }
        let mut next_resync = self.timing.resync.map(|d| Instant::now() + d);
        self.deletion
            .follow(&self.avi, &self.cluster, self.identity.as_ref(), &self.settings)
            .await;
        self.pass(pass::Work::full()).await;
        loop {
            if !self.fence.is_open() {
                return;
            }
            let wake = [
                next_resync,
                self.model_retries.next(),
                self.status_retries.next(),
                self.guard.expires(),
                self.rules.retry_at(),
                self.routes.retry_at(),
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let mut work = tokio::select! {
                () = self.shared.changed.notified() => {
                    self.debounce().await;
                    pass::Work::default()
                }
                changed = self.settings_rx.changed(), if self.settings_open => match changed {
                    Ok(()) => {
                        let period = self.timing.resync;
                        let work = self.new_settings().await;
                        if self.timing.resync != period {
                            // fullSyncFrequency changed: counted from now (0 turns it off).
                            next_resync = self.timing.resync.map(|d| Instant::now() + d);
                        }
                        work
                    }
                    Err(_) => {
                        // The sender is gone: the settings will not change any more.
                        self.settings_open = false;
                        pass::Work::default()
                    }
                },
                () = sleep => pass::Work::default(),
                () = self.fence.closed() => return,
            };
            let now = Instant::now();
            let resync = next_resync.is_some_and(|at| now >= at);
            if resync {
                self.reload().await;
                work.full = true;
            }
            work.add_due(&self.model_retries, &self.status_retries, now);
            work.lookups = self.rules.due(now);
            work.routes = self.routes.due(now);
            if let Some(hold) = self.guard.release_due(now) {
                tracing::info!(reason = hold.reason.as_str(), "deletion hold released");
                work.release(hold);
            }
            if work.is_idle() && self.pending_units.is_empty() && self.shared.lock().queued() == 0 {
                continue; // woken for nothing (e.g. a retry that another pass already did)
            }
            self.pass(work).await;
            if resync {
                let took = now.elapsed();
                tracing::info!(seconds = took.as_secs_f64(), "periodic full resync done");
                self.admin.metrics.full_resync(took);
                // Counted from its end: a resync longer than the period does not run back to back.
                next_resync = self.timing.resync.map(|d| Instant::now() + d);
            }
        }
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

    /// New settings: the guard's switches apply at once; a change of anything translation reads
    /// is a full pass; another cluster or cloud is a re-read of the controller first.
    async fn new_settings(&mut self) -> pass::Work {
        let new = self.settings_rx.borrow_and_update().clone();
        self.guard.settings = guard_settings(&new);
        let restart_only = self.settings.restart_only_changes(&new);
        if !restart_only.is_empty() {
            let message = format!(
                "{} changed: read once at start, it takes effect when ako-rs restarts",
                restart_only.join(", ")
            );
            tracing::warn!("{message}");
            if let Some(me) = self.identity.as_ref().filter(|_| new.enable_events) {
                let note = crate::events::Note {
                    type_: kube::runtime::events::EventType::Warning,
                    reason: "RestartRequired",
                    message,
                };
                pass::publish_about(&self.cluster, me, &note).await;
            }
        }
        if new.same_for_translation(&self.settings) {
            // Logging and Events only: nothing to translate again, but Events switched back on
            // are written for the current state by a full pass.
            let events_on = new.enable_events && !self.settings.enable_events;
            self.settings = new;
            return if events_on {
                pass::Work::full()
            } else {
                pass::Work::default()
            };
        }
        let reload = new.cluster_name != self.settings.cluster_name
            || new.cloud_name != self.settings.cloud_name
            || new.se_group != self.settings.se_group;
        let resync = resync_of(&new);
        tracing::info!(reload, "settings changed; translating everything again");
        self.settings = new;
        self.timing.resync = resync;
        self.deletion
            .follow(&self.avi, &self.cluster, self.identity.as_ref(), &self.settings)
            .await;
        if reload {
            let (cloud, observed) = load_controller(&self.avi, &self.settings, &self.admin).await;
            self.cloud = CloudFacts {
                refs: std::mem::take(&mut self.cloud.refs),
                ..cloud
            };
            self.observed = observed;
            self.vips = Vips::of(&self.observed);
        }
        pass::Work::full()
    }

    /// Full resync: re-read the cloud facts and everything we own on the controller.
    async fn reload(&mut self) {
        tracing::info!("periodic full resync");
        if self.controller_uuid.is_none() {
            self.controller_uuid = controller_uuid(&self.avi).await;
        }
        match ako_sync::cloud_facts(&self.avi, &self.settings.cloud_name).await {
            // The rules' references are looked up again by the full pass.
            Ok(cloud) => {
                self.cloud = CloudFacts {
                    refs: std::mem::take(&mut self.cloud.refs),
                    ..cloud
                }
            }
            Err(e) => tracing::warn!("cannot refresh the cloud facts: {e:#}"),
        }
        // Compared with the desired state as it is read: a resync never holds every object's text.
        let observed = ako_sync::load_observed_against(&self.avi, self.observed.owner(), self.desired.view()).await;
        match observed {
            Ok(observed) => self.observed = observed,
            Err(e) => {
                tracing::warn!("cannot re-read the controller, keeping the state in memory: {e:#}");
                self.admin.controller_error(&format!("{e:#}"));
            }
        }
    }
}

/// Kubernetes writes of a pass (statuses, annotations, Events) in flight at once: one after the
/// other, each costs a round trip (5,000 Ingresses: 12 s of annotations alone). At most this
/// many are in flight, so that only that many write futures (large: 5,000 at once cost 20 MiB)
/// exist at a time.
pub(crate) const CONCURRENT_WRITES: usize = 16;

/// The cloud facts and the observed state, retried until the controller answers.
async fn load_controller(avi: &Client, settings: &Settings, admin: &admin::State) -> (CloudFacts, Observed) {
    let owner = Owner::for_settings(settings);
    let cloud = retry_forever("cannot read the cloud from the controller", || async {
        let r = ako_sync::cloud_facts(avi, &settings.cloud_name)
            .await
            .map_err(anyhow::Error::from);
        admin.controller(&r);
        r
    })
    .await;
    if !settings.delete_config && ako_translate::routes::se_groups_labelled(settings, &cloud.cloud_type) {
        label_se_group(avi, settings).await;
    }
    let observed = retry_forever(
        "cannot read the objects this cluster owns on the controller",
        || async {
            let r = ako_sync::load_observed(avi, &owner).await.map_err(anyhow::Error::from);
            admin.controller(&r);
            r
        },
    )
    .await;
    tracing::info!(objects = observed.len(), "observed state loaded");
    admin.observed_loaded();
    (cloud, observed)
}

/// The controller cluster's uuid; `None` (logged) when it cannot be read: AKO's annotations
/// wait for the next full resync.
async fn controller_uuid(avi: &Client) -> Option<String> {
    match ako_sync::controller_cluster_uuid(avi).await {
        Ok(uuid) if !uuid.is_empty() => Some(uuid),
        Ok(_) => {
            tracing::warn!("the controller cluster has no uuid: AKO's annotations are not written");
            None
        }
        Err(e) => {
            tracing::warn!("{e}; AKO's annotations wait for the next full resync");
            None
        }
    }
}

/// AKO's `clustername` label on the global SE group (at start and for another cluster or
/// group); a failure is logged and does not stop the operator.
async fn label_se_group(avi: &Client, settings: &Settings) {
    label_group(avi, &settings.se_group, &settings.cluster_name).await;
}

/// AKO's `clustername=<cluster>` label on the SE group `group`; whether it carries it now. A
/// failure, or a group labelled for another cluster, is logged and stops nothing.
async fn label_group(avi: &Client, group: &str, cluster: &str) -> bool {
    match ako_sync::label_se_group(avi, group, cluster).await {
        Ok(ako_sync::SeGroupLabel::Present) => true,
        Ok(ako_sync::SeGroupLabel::Added) => {
            tracing::info!(group, "labelled the Service Engine group clustername={cluster}");
            true
        }
        Ok(ako_sync::SeGroupLabel::Foreign(labels)) => {
            tracing::warn!(
                group,
                ?labels,
                "the Service Engine group carries other labels than clustername={cluster} (another cluster's?): left as it is; \
                 AKO refuses to run on such a group, ako-rs places its virtual services on it anyway"
            );
            false
        }
        Err(e) => {
            tracing::warn!(group, "{e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use ako_translate::Values;

    use super::*;

    fn settings(extra: &str) -> Settings {
        let text = format!(
            "AKOSettings:\n  clusterName: c\n{extra}NetworkSettings:\n  vipNetworkList: [{{networkName: n}}]\n"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    #[test]
    fn full_sync_frequency_zero_turns_the_periodic_resync_off() {
        assert_eq!(resync_of(&settings("")), Some(Duration::from_secs(1800)));
        assert_eq!(resync_of(&settings("  fullSyncFrequency: \"0\"\n")), None);
        assert_eq!(Timing::new(&settings("  fullSyncFrequency: 0\n")).resync, None);
    }

    #[test]
    fn the_guard_is_configured_by_the_settings() {
        let g = guard_settings(&settings(""));
        assert_eq!((g.allow, g.hold), (false, Duration::from_secs(600)));
        let g = guard_settings(&settings(
            "  allowMassDeletion: \"true\"\n  massDeletionHoldSeconds: \"30\"\n",
        ));
        assert_eq!((g.allow, g.hold), (true, Duration::from_secs(30)));
    }
}
