//! Run a plan against the controller.
//!
//! * One batch (model) runs its steps in order; the operations of a step are sent in parallel,
//!   up to [`ExecuteOptions::concurrency`] at once. Up to that many batches run at once. (The
//!   client's own limit caps the requests in flight.) Leading batches ([`Batch::leads`]: they
//!   write an object other models refer to) all end before the others start.
//! * Every successful write records the response body in the observed index: POST and PUT
//!   answer with the stored object, so nothing is re-read.
//! * An operation whose predecessors ([`Operation::after`]) failed is not sent: a failed pool
//!   never leaves an L4 policy set or VS referring to nothing. Independent operations of the
//!   same model still go (one bad host does not hold back the others of a shared VS).
//!
//! Controller answers handled in place (notes/avi-api.md §3):
//!
//! | answer | action |
//! |---|---|
//! | 409 "already exists" on POST | read the object by name; ours → PUT it (adopt); another owner's → failure, never touched |
//! | 404 on PUT | deleted out of band: POST it again |
//! | 404 on DELETE | already gone: done |
//! | 412 on PUT | re-read the object, PUT once more |
//!
//! Everything else becomes a [`Failure`] with a [`Retry`] class: 5xx, transport errors,
//! timeouts and lost sessions are `Fast` (the client already retried idempotent calls; the
//! model is retried by [`crate::sync`] with backoff), "No available free IPs", an upgrade in
//! progress or a missing VRF/network/tenant are `Slow`, any other 4xx is `Never` and carries
//! the controller's message. Refused credentials stop the remaining batches.
//!
//! Every request sent is counted in [`Outcome::requests`] by object type, method and result
//! (see [`Requests`] for what counts as one request).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use ako_translate::Body;
use avi_client::{Client, Page, Query};
use avi_model::ObjectType;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use parking_lot::Mutex;
use serde_json::Value;

use crate::compare::UpdateReason;
use crate::key::ObjectKey;
use crate::observed::Observed;
use crate::plan::{Action, Batch, Operation, Plan};
use crate::summary::{Failure, RequestResult, Requests, Retry};

/// Executor settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Models (batches) in flight at once, and operations of one step of a batch.
    pub concurrency: usize,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        // Chosen by benchmark (BENCHMARKS.md, "Sync engine"): with 20 ms of controller
        // latency, 1,000 Services bootstrap in 5.1 s with 16 models in flight, 2.4 s with 64 and
        // 2.3 s with 128 (the client's 64-request limit and the CPU are then the bound).
        ExecuteOptions { concurrency: 64 }
    }
}

/// What executing a plan did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Objects created.
    pub created: usize,
    /// Objects updated (adoptions included).
    pub updated: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Operations not sent because a predecessor failed.
    pub skipped: usize,
    /// Failed operations, in batch order.
    pub failures: Vec<Failure>,
    /// The controller refused our credentials, or the write gate closed; remaining batches
    /// were not started.
    pub aborted: bool,
    /// The controller requests sent.
    pub requests: Requests,
}

/// What one operation did.
enum Done {
    Created,
    Updated,
    Deleted,
}

/// Run `plan`, keeping `observed` current.
pub async fn execute(
    client: &Client,
    plan: &Plan<'_>,
    observed: &Mutex<Observed>,
    options: &ExecuteOptions,
) -> Outcome {
    let abort = AtomicBool::new(false);
    let tally = Mutex::new(Requests::default());
    // A loop over `FuturesUnordered` of a named async fn rather than a stream of closures: a
    // closure's argument lifetimes would be inferred higher-ranked, and the whole future would
    // not be `Send` for callers that spawn it (rust-lang/rust#100013).
    let mut results: Vec<(usize, Outcome)> = Vec::new();
    let concurrency = options.concurrency.max(1);
    // Leading batches (they write objects other models refer to) end before the others start.
    for leading in [true, false] {
        let mut batches = plan.batches.iter().enumerate().filter(|(_, b)| b.leads == leading);
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < concurrency {
                let Some((i, batch)) = batches.next() else { break };
                running.push(run_numbered(i, client, batch, observed, &abort, &tally, concurrency));
            }
            match running.next().await {
                Some(r) => results.push(r),
                None => break,
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let mut total = Outcome {
        aborted: abort.load(Ordering::Relaxed),
        requests: tally.into_inner(),
        ..Outcome::default()
    };
    for (_, o) in results {
        total.created += o.created;
        total.updated += o.updated;
        total.deleted += o.deleted;
        total.skipped += o.skipped;
        total.failures.extend(o.failures);
    }
    total
}

/// [`run_batch`] unless the run was aborted, with the batch's number.
async fn run_numbered(
    i: usize,
    client: &Client,
    batch: &Batch<'_>,
    observed: &Mutex<Observed>,
    abort: &AtomicBool,
    tally: &Mutex<Requests>,
    per_step: usize,
) -> (usize, Outcome) {
    if abort.load(Ordering::Relaxed) {
        return (i, Outcome::default());
    }
    (i, run_batch(client, batch, observed, abort, tally, per_step).await)
}

async fn run_batch(
    client: &Client,
    batch: &Batch<'_>,
    observed: &Mutex<Observed>,
    abort: &AtomicBool,
    tally: &Mutex<Requests>,
    per_step: usize,
) -> Outcome {
    let mut out = Outcome::default();
    let mut failed: HashSet<&ObjectKey> = HashSet::new();
    for step in &batch.steps {
        let (send, skip): (Vec<&Operation<'_>>, Vec<&Operation<'_>>) =
            step.iter().partition(|op| !op.after.iter().any(|k| failed.contains(k)));
        for op in skip {
            failed.insert(&op.key);
            out.skipped += 1;
        }
        // At most `per_step` operations at once: a step can hold thousands (every pool of a
        // LARGE shard at bootstrap), and each operation's future holds its encoded body and
        // its request while it waits for the client's limit (10,000 Ingresses: ~200 MiB when
        // all were made at once). The client's limit bounds the requests in flight anyway.
        // (The same named-fn loop as in `execute`, for the same reason.)
        let mut ops = send.iter().copied().enumerate();
        let mut running = FuturesUnordered::new();
        let mut results = Vec::with_capacity(send.len());
        loop {
            while running.len() < per_step {
                let Some((j, op)) = ops.next() else { break };
                running.push(run_op_numbered(j, client, op, observed, tally));
            }
            match running.next().await {
                Some(r) => results.push(r),
                None => break,
            }
        }
        results.sort_by_key(|(j, _)| *j);
        let results = results.into_iter().map(|(_, r)| r);
        for (op, result) in send.into_iter().zip(results) {
            match result {
                Ok(Done::Created) => out.created += 1,
                Ok(Done::Updated) => out.updated += 1,
                Ok(Done::Deleted) => out.deleted += 1,
                Err((retry, message, fatal)) => {
                    tracing::warn!(model = %batch.model, object = %op.key, op = op.action.verb(), %message, ?retry, "avi operation failed");
                    if fatal {
                        abort.store(true, Ordering::Relaxed);
                    }
                    failed.insert(&op.key);
                    out.failures.push(Failure {
                        model: batch.model.clone(),
                        key: op.key.clone(),
                        verb: op.action.verb(),
                        message,
                        retry,
                        sources: Vec::new(),
                    });
                }
            }
        }
        if abort.load(Ordering::Relaxed) {
            break;
        }
    }
    out
}

/// [`run_op`] with the operation's number.
async fn run_op_numbered(
    j: usize,
    client: &Client,
    op: &Operation<'_>,
    observed: &Mutex<Observed>,
    tally: &Mutex<Requests>,
) -> (usize, Result<Done, OpError>) {
    (j, run_op(client, op, observed, tally).await)
}

/// (retry class, message, credentials refused)
type OpError = (Retry, String, bool);

/// Count a request the engine sent (see [`Requests`]), then hand its result on.
fn note<T>(
    tally: &Mutex<Requests>,
    kind: ObjectType,
    method: &'static str,
    r: Result<T, avi_client::Error>,
) -> Result<T, avi_client::Error> {
    tally.lock().add(kind, method, RequestResult::of(&r), 1);
    r
}

async fn run_op(
    client: &Client,
    op: &Operation<'_>,
    observed: &Mutex<Observed>,
    tally: &Mutex<Requests>,
) -> Result<Done, OpError> {
    let api = client.tenant(op.key.tenant.as_str());
    let kind = op.key.kind;
    match &op.action {
        Action::Create { body } => create_or_adopt(&api, &op.key, body, observed, tally).await,
        Action::Update { uuid, body, reason } => {
            tracing::debug!(object = %op.key, %reason, "updating");
            match note(
                tally,
                kind,
                "PUT",
                api.update::<_, Value>(kind.path(), uuid, body).await,
            ) {
                Ok(stored) => record(observed, kind, stored, &op.key, Some(body)).map(|()| Done::Updated),
                Err(e) if e.is_not_found() => {
                    // Deleted out of band since it was observed: create it again.
                    observed.lock().remove(&op.key);
                    create_or_adopt(&api, &op.key, body, observed, tally).await
                }
                Err(e) if e.is_precondition_failed() => {
                    let current: Value = note(
                        tally,
                        kind,
                        "GET",
                        api.request(
                            avi_client::Method::GET,
                            &format!("api/{}/{uuid}", kind.path()),
                            &Query::new().include_name(),
                            None::<&()>,
                        )
                        .await,
                    )
                    .map_err(classify)?;
                    record(observed, kind, current, &op.key, None)?;
                    let stored: Value =
                        note(tally, kind, "PUT", api.update(kind.path(), uuid, body).await).map_err(classify)?;
                    record(observed, kind, stored, &op.key, Some(body)).map(|()| Done::Updated)
                }
                Err(e) => Err(classify(e)),
            }
        }
        Action::Delete { uuid } => match note(tally, kind, "DELETE", api.delete(kind.path(), uuid).await) {
            Ok(()) => {
                observed.lock().remove(&op.key);
                Ok(Done::Deleted)
            }
            Err(e) if e.is_not_found() => {
                observed.lock().remove(&op.key);
                Ok(Done::Deleted)
            }
            Err(e) => Err(classify(e)),
        },
    }
}

/// POST; on "already exists" adopt the object if it is ours, refuse if it is not.
async fn create_or_adopt(
    api: &Client,
    key: &ObjectKey,
    body: &Body,
    observed: &Mutex<Observed>,
    tally: &Mutex<Requests>,
) -> Result<Done, OpError> {
    let kind = key.kind;
    let err = match note(tally, kind, "POST", api.create::<_, Value>(kind.path(), body).await) {
        Ok(stored) => return record(observed, kind, stored, key, Some(body)).map(|()| Done::Created),
        Err(e) if e.is_already_exists() => e,
        Err(e) => return Err(classify(e)),
    };
    let page: Page<Value> = note(
        tally,
        kind,
        "GET",
        api.list_page(kind.path(), &Query::new().name(key.name.as_str()).include_name())
            .await,
    )
    .map_err(classify)?;
    let Some(existing) = page.results.into_iter().next() else {
        // Gone again between the two calls: the next round creates it.
        return Err((Retry::Fast, err.to_string(), false));
    };
    let owner = observed.lock().owner().clone();
    if !owner.owns(kind, &existing) {
        let by = existing
            .get("created_by")
            .and_then(Value::as_str)
            .unwrap_or("nobody (no created_by)");
        return Err((
            Retry::Never,
            format!(
                "the name is taken by an object that is not ours (created_by: {by}); it is left untouched, \
                 rename or remove it on the controller"
            ),
            false,
        ));
    }
    let uuid = existing
        .get("uuid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    record(observed, kind, existing, key, None)?;
    tracing::info!(object = %key, reason = %UpdateReason::Adopt, "adopting an existing object");
    let stored: Value = note(tally, kind, "PUT", api.update(kind.path(), &uuid, body).await).map_err(classify)?;
    record(observed, kind, stored, key, Some(body)).map(|()| Done::Updated)
}

/// Put a controller answer into the index: to a write of `sent`, or to a read (`None`).
fn record(
    observed: &Mutex<Observed>,
    kind: ObjectType,
    stored: Value,
    key: &ObjectKey,
    sent: Option<&Body>,
) -> Result<(), OpError> {
    let mut observed = observed.lock();
    match sent {
        Some(sent) => observed.record_written(kind, stored, &key.tenant, sent.as_str()),
        None => observed.record(kind, stored, &key.tenant),
    }
    .map(|_| ())
    .map_err(|e| {
        (
            Retry::Never,
            format!("the controller's answer cannot be recorded: {e}"),
            false,
        )
    })
}

/// The retry class of a client error.
fn classify(e: avi_client::Error) -> OpError {
    use avi_client::ErrorKind as K;
    let retry = if e.is_slow_retry() {
        Retry::Slow
    } else {
        match e.kind() {
            K::Server | K::Transport | K::Timeout | K::Unauthorized | K::NotFound | K::PreconditionFailed => {
                Retry::Fast
            }
            K::AlreadyExists => Retry::Fast,
            _ if matches!(e.status(), Some(408 | 409)) => Retry::Fast,
            _ => Retry::Never,
        }
    };
    // Refused credentials, or a closed write gate (this replica lost its lease): nothing more is
    // sent in this run.
    let fatal = e.is_invalid_credentials() || e.kind() == K::Fenced;
    (retry, e.to_string(), fatal)
}
