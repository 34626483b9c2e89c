//! Converge: plan, execute, and repeat with backoff while retryable failures remain.
//!
//! Each round plans from the observed index as the previous round left it (responses keep it
//! current), so a retried model sends only what is still missing: a POST that timed out is
//! planned again and, if it did reach the controller, answers 409 and is adopted, never
//! duplicated. A model that failed for good (`Retry::Never`) is not retried in this sync: no hot
//! loop on a rejected object. Fast failures wait an exponential backoff with jitter; slow ones
//! ("No available free IPs", upgrade in progress) wait [`SyncOptions::slow_retry_delay`] and
//! are reported instead when the deadline does not allow the wait.
//!
//! The deletion guard is evaluated once, on the first plan: later rounds only finish what it
//! allowed, and if it refused, no round deletes anything.
//!
//! A periodic resync (drift repair) is [`sync_once`]: re-read the observed state, then sync.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use ako_translate::{ModelKey, ObjRef, Translation};
use avi_client::Client;
use backon::BackoffBuilder;
use parking_lot::Mutex;

use crate::execute::{ExecuteOptions, execute};
use crate::load::{LoadError, load_observed};
use crate::observed::Observed;
use crate::owner::Owner;
use crate::plan::{PlanOptions, plan};
use crate::summary::{Failure, Retry, Summary};

/// Sync settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncOptions {
    /// Planner settings (garbage collection, deletion guard, drift check).
    pub plan: PlanOptions,
    /// Executor settings.
    pub execute: ExecuteOptions,
    /// Plan/execute rounds at most.
    pub max_rounds: u32,
    /// First backoff after fast failures; doubles each round.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Wait before retrying slow failures (AKO: 90 s).
    pub slow_retry_delay: Duration,
    /// Give up retrying after this long (the first round always runs).
    pub deadline: Option<Duration>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            plan: PlanOptions::default(),
            execute: ExecuteOptions::default(),
            max_rounds: 8,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            slow_retry_delay: Duration::from_secs(90),
            deadline: Some(Duration::from_secs(300)),
        }
    }
}

/// Load the observed state from the controller, then [`sync`] against it.
pub async fn sync_once(
    client: &Client,
    desired: &Translation,
    owner: &Owner,
    options: &SyncOptions,
) -> Result<(Summary, Observed), LoadError> {
    let mut observed = load_observed(client, owner).await?;
    let summary = sync(client, desired, &mut observed, options).await;
    Ok((summary, observed))
}

/// Make the controller hold `desired`, starting from `observed` (which is kept current).
pub async fn sync(client: &Client, desired: &Translation, observed: &mut Observed, options: &SyncOptions) -> Summary {
    let started = Instant::now();
    let sources = sources_by_model(desired);
    let shared = Mutex::new(std::mem::replace(observed, Observed::new(observed.owner().clone())));
    let mut plan_options = options.plan.clone();
    let mut summary = Summary::default();
    let mut given_up: BTreeSet<ModelKey> = BTreeSet::new();
    let mut pending: Vec<Failure> = Vec::new();
    let mut delays = avi_client::backoff(options.backoff_base, options.backoff_max)
        .without_max_times()
        .build();
    // Set when the loop ended on an empty plan: no need to plan once more to know.
    let mut nothing_left = false;

    for round in 1..=options.max_rounds.max(1) {
        let mut current = plan(desired, &shared.lock(), &plan_options);
        if round == 1 {
            summary.unchanged = current.unchanged;
            summary.problems = current.problems.clone();
            if let Some(refused) = &current.refused {
                tracing::error!(would_delete = refused.would_delete, owned = refused.owned, "{refused}");
                summary.refused = Some(refused.clone());
                plan_options.collect_garbage = false;
            } else {
                plan_options.guard.allow_mass_delete = true;
            }
        }
        summary.kept = current.kept;
        current.batches.retain(|b| !given_up.contains(&b.model));
        if current.is_empty() {
            pending.clear();
            nothing_left = true;
            break;
        }
        summary.rounds = round;
        let outcome = execute(client, &current, &shared, &options.execute).await;
        summary.created += outcome.created;
        summary.updated += outcome.updated;
        summary.deleted += outcome.deleted;
        summary.skipped += outcome.skipped;
        summary.requests.extend(&outcome.requests);
        pending.clear();
        for mut failure in outcome.failures {
            failure.sources = sources.get(&failure.model).cloned().unwrap_or_default();
            if failure.retry == Retry::Never || outcome.aborted {
                given_up.insert(failure.model.clone());
                summary.failed.push(failure);
            } else {
                pending.push(failure);
            }
        }
        if outcome.aborted || round == options.max_rounds {
            break;
        }
        if pending.is_empty() {
            continue; // plan again to confirm
        }
        let delay = if pending.iter().any(|f| f.retry == Retry::Slow) {
            options.slow_retry_delay
        } else {
            delays.next().unwrap_or(options.backoff_max)
        };
        if options.deadline.is_some_and(|d| started.elapsed() + delay > d) {
            break;
        }
        tracing::info!(
            round,
            failures = pending.len(),
            delay_ms = delay.as_millis() as u64,
            "retrying failed models"
        );
        tokio::time::sleep(delay).await;
    }
    summary.failed.append(&mut pending);
    summary
        .failed
        .sort_by(|a, b| (&a.model, &a.key).cmp(&(&b.model, &b.key)));

    if !nothing_left {
        let mut final_plan = plan(desired, &shared.lock(), &plan_options);
        final_plan.batches.retain(|b| !given_up.contains(&b.model));
        nothing_left = final_plan.is_empty();
    }
    summary.converged = summary.failed.is_empty() && summary.refused.is_none() && nothing_left;
    *observed = shared.into_inner();
    // What was read from the controller and found equal keeps only a digest from now on.
    observed.settle(desired.models.values().flat_map(|m| &m.objects));
    summary
}

/// The Kubernetes objects behind each model, from the status intents.
fn sources_by_model(desired: &Translation) -> BTreeMap<&ModelKey, Vec<ObjRef>> {
    let mut out: BTreeMap<&ModelKey, Vec<ObjRef>> = BTreeMap::new();
    for s in &desired.status {
        out.entry(&s.model).or_default().push(s.object.clone());
    }
    out
}
