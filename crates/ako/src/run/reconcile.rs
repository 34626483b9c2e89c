//! The reconcile loop: debounce changes, translate the whole snapshot, sync the controller from
//! the observed state kept in memory, write statuses; re-read the controller periodically.
//!
//! * A burst of changes coalesces: a pass starts after `debounce` without a change, or
//!   `max_delay` after the first change, whichever is first.
//! * The observed state is loaded once at start and then kept current by the sync engine from
//!   write responses; the periodic full resync (`fullSyncFrequency`) reloads it and the cloud
//!   facts, so drift made on the controller is repaired.
//! * Garbage collection only runs while every watch has completed its initial list and every
//!   failed object can be mapped to its model (see `sync_cmd::protected_models`).
//! * A pass that did not converge (controller unreachable, rejected writes, status patches that
//!   failed) is retried with backoff even when nothing changes.
//!
//! Translation is the whole snapshot every time; per-model work queues come with the reverse
//! index (issue 6).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ako_sync::{ExecuteOptions, Observed, Owner, PlanOptions, SyncOptions};
use ako_translate::{CloudFacts, Settings};
use avi_client::Client;
use tokio::time::Instant;

use super::admin;
use super::events::Events;
use super::status::{self, Target};
use super::watch::Shared;
use super::{Backoff, retry};
use crate::sync_cmd::protected_models;

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

/// The loop's state.
pub struct Reconciler {
    avi: Client,
    kube: kube::Client,
    shared: Shared,
    settings: Settings,
    timing: Timing,
    cloud: CloudFacts,
    observed: Observed,
    /// Objects whose status we answer for (see [`status::changes`]).
    status_owned: BTreeSet<Target>,
    /// The translation failures last logged: logged again only when they change.
    last_failures: Vec<ako_translate::Failure>,
    /// Kubernetes Events on the objects (sent when an object's outcome changes).
    events: Events,
    /// What the admin server shows.
    admin: Arc<admin::State>,
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
        let status_owned = {
            let cache = shared.lock();
            status::ours_at_start(&cache.snapshot, &status::vip_addresses(&observed))
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
        }
    }

    /// Run forever.
    pub async fn run(&mut self) {
        let mut next_resync = Instant::now() + self.timing.resync;
        let mut failure_backoff = Backoff::new();
        loop {
            let converged = self.pass().await;
            let retry_at = if converged {
                failure_backoff = Backoff::new();
                None
            } else {
                let at = Instant::now() + failure_backoff.0;
                failure_backoff.0 = (failure_backoff.0 * 2).min(Duration::from_secs(60));
                Some(at)
            };
            let wake = retry_at.map_or(next_resync, |r| r.min(next_resync));
            tokio::select! {
                () = self.shared.changed.notified() => {
                    self.admin.metrics.set_dirty(true);
                    self.debounce().await;
                }
                () = tokio::time::sleep_until(wake) => {}
            }
            if Instant::now() >= next_resync {
                self.reload().await;
                next_resync = Instant::now() + self.timing.resync;
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

    /// Translate, sync, write statuses. Returns whether everything converged.
    async fn pass(&mut self) -> bool {
        let started = Instant::now();
        self.admin.metrics.set_dirty(false);
        let (translation, synced, (protected, unmapped)) = {
            let cache = self.shared.lock();
            let translation = ako_translate::translate(&cache.snapshot, &self.settings, &self.cloud);
            let protected = protected_models(&cache.snapshot, &self.settings, &self.cloud, &translation);
            (translation, cache.synced(), protected)
        };
        if translation.failures != self.last_failures {
            for f in &translation.failures {
                tracing::warn!(kind = %f.kind, namespace = %f.namespace, name = %f.name, "not translated: {}", f.message);
            }
            self.last_failures.clone_from(&translation.failures);
        }
        let options = SyncOptions {
            plan: PlanOptions {
                collect_garbage: synced && unmapped.is_empty(),
                protected_models: protected,
                ..PlanOptions::default()
            },
            execute: ExecuteOptions::default(),
            deadline: Some(Duration::from_secs(30)),
            ..SyncOptions::default()
        };
        let summary = ako_sync::sync(&self.avi, &translation, &mut self.observed, &options).await;
        if summary.created + summary.updated + summary.deleted > 0 || !summary.converged {
            tracing::info!(
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
            tracing::warn!("sync failure: {f:?}");
        }
        let statuses_ok = self.write_statuses(&translation.status).await;
        let vips = status::vip_addresses(&self.observed);
        self.events.emit(&self.shared, &translation, &summary, &vips).await;
        let converged = summary.converged && statuses_ok;
        self.admin.metrics.pass(
            started.elapsed(),
            converged,
            &summary,
            translation.failures.len(),
            translation.models.len(),
            &self.observed,
        );
        self.admin.synced(
            converged,
            translation.models.len(),
            &translation.failures,
            summary.failed.len(),
        );
        // Transport errors, 5xx, lost sessions: the controller is not answering as it should.
        let mut unreachable = summary
            .failed
            .iter()
            .filter(|f| f.retry == ako_sync::Retry::Fast)
            .peekable();
        if unreachable.peek().is_none() {
            self.admin.controller(&Ok(()));
        }
        for f in unreachable {
            self.admin.controller_error(&f.to_string());
        }
        converged
    }

    /// Patch the statuses that differ; true when every patch went through.
    async fn write_statuses(&mut self, intents: &[ako_translate::StatusIntent]) -> bool {
        let want = status::desired(intents, &status::vip_addresses(&self.observed));
        let changes = {
            let cache = self.shared.lock();
            status::changes(&cache.snapshot, &want, &mut self.status_owned)
        };
        let mut ok = true;
        for change in &changes {
            let (t, entries) = change;
            match status::patch(&self.kube, change).await {
                Ok(()) => tracing::info!(kind = %t.kind, namespace = %t.namespace, name = %t.name,
                    ips = ?entries.as_ref().map(|e| e.iter().map(|(ip, _)| ip.as_str()).collect::<BTreeSet<_>>()),
                    "status written"),
                Err(e) => {
                    ok = false;
                    tracing::warn!(kind = %t.kind, namespace = %t.namespace, name = %t.name, "cannot write status: {e}");
                }
            }
        }
        ok
    }
}
