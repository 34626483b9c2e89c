//! The operator's Prometheus metrics (prometheus-client registry, OpenMetrics text via
//! [`Metrics::render`]). Written by the reconcile loop after every pass; read by `/metrics`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `ako_reconcile_passes_total` | counter | `result`: `converged`, `not_converged` |
//! | `ako_reconcile_duration_seconds` | histogram | |
//! | `ako_queue_depth` | gauge | changed objects waiting for a pass |
//! | `ako_retries_pending` | gauge | models and statuses waiting for a retry |
//! | `ako_cached_objects` | gauge | `kind`: Kubernetes objects held in memory |
//! | `ako_models_synced_total` | counter | models planned and synced by passes |
//! | `ako_translation_failures` | gauge | objects not translated in the last pass |
//! | `ako_models` | gauge | models (virtual services) in the last translation |
//! | `ako_objects_managed` | gauge | `type`: Avi object type this cluster owns |
//! | `ako_deletions_held` | gauge | `reason`: roots or models whose deletes the guard holds |
//! | `ako_full_resyncs_total` | counter | periodic full resyncs done |
//! | `ako_full_resync_seconds` | gauge | the last one's duration (controller re-read and full pass) |
//! | `ako_avi_rest_operations_total` | counter | `type` (Avi object type), `method` (`GET`/`POST`/`PUT`/`DELETE`), `result` |
//!
//! `ako_avi_rest_operations_total` counts the requests the sync engine sent to the Avi
//! Controller ([`ako_sync::Requests`]: the GET of a 409 adoption or a 412 re-read included, the
//! client's internal retries not); `result` is what the controller answered: `success`,
//! `client_error` (4xx), `server_error` (5xx), `unreachable` (no answer) or `error`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use ako_sync::{Observed, Summary};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RestLabel {
    r#type: &'static str,
    method: &'static str,
    result: &'static str,
}

/// Everything `/metrics` shows.
pub struct Metrics {
    registry: Registry,
    passes: Family<ResultLabel, Counter>,
    duration: Histogram,
    queue: Gauge,
    retry_pending: Gauge,
    cached: Family<KindLabel, Gauge>,
    models_synced: Counter,
    translation_failures: Gauge,
    models: Gauge,
    managed: Family<TypeLabel, Gauge>,
    rest: Family<RestLabel, Counter>,
    held: Family<HeldLabel, Gauge>,
    leader: Gauge,
    watches_failing: Family<KindLabel, Gauge>,
    full_resyncs: Counter,
    full_resync: Gauge<f64, AtomicU64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HeldLabel {
    reason: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let m = Metrics {
            registry: Registry::default(),
            passes: Family::default(),
            duration: Histogram::new(BUCKETS),
            queue: Gauge::default(),
            retry_pending: Gauge::default(),
            cached: Family::default(),
            models_synced: Counter::default(),
            translation_failures: Gauge::default(),
            models: Gauge::default(),
            managed: Family::default(),
            rest: Family::default(),
            held: Family::default(),
            leader: Gauge::default(),
            watches_failing: Family::default(),
            full_resyncs: Counter::default(),
            full_resync: Gauge::default(),
        };
        // Both results exist from the start, so a dashboard sees zeros instead of no series.
        for result in ["converged", "not_converged"] {
            let _ = m.passes.get_or_create(&ResultLabel { result });
        }
        let mut m = m;
        let r = &mut m.registry;
        r.register("ako_reconcile_passes", "Reconcile passes by result", m.passes.clone());
        r.register(
            "ako_reconcile_duration_seconds",
            "Duration of reconcile passes (translate, sync, statuses)",
            m.duration.clone(),
        );
        r.register(
            "ako_queue_depth",
            "Changed Kubernetes objects waiting for a reconcile pass",
            m.queue.clone(),
        );
        r.register(
            "ako_retries_pending",
            "Models and statuses waiting to be retried with backoff",
            m.retry_pending.clone(),
        );
        r.register(
            "ako_models_synced",
            "Models planned and synced by passes (a change syncs only the models it touched)",
            m.models_synced.clone(),
        );
        r.register(
            "ako_cached_objects",
            "Kubernetes objects held in memory, by kind (Secrets: only those Ingresses name)",
            m.cached.clone(),
        );
        r.register(
            "ako_translation_failures",
            "Kubernetes objects the last pass could not translate",
            m.translation_failures.clone(),
        );
        r.register(
            "ako_models",
            "Models (virtual services) in the last translation",
            m.models.clone(),
        );
        r.register(
            "ako_objects_managed",
            "Avi objects this cluster owns, by type",
            m.managed.clone(),
        );
        r.register(
            "ako_deletions_held",
            "Ingresses and Services (or, at start, models) whose deletes the deletion guard holds",
            m.held.clone(),
        );
        r.register(
            "ako_leader",
            "1 while this replica writes (it holds the leader lease, or runs alone), 0 while it follows",
            m.leader.clone(),
        );
        r.register(
            "ako_kubernetes_watch_failing",
            "1 while the watch of a kind is failing (the API server unreachable, access denied), by kind",
            m.watches_failing.clone(),
        );
        r.register(
            "ako_full_resyncs",
            "Periodic full resyncs done (fullSyncFrequency)",
            m.full_resyncs.clone(),
        );
        r.register(
            "ako_full_resync_seconds",
            "Duration of the last periodic full resync: the controller re-read and a full pass",
            m.full_resync.clone(),
        );
        r.register(
            "ako_avi_rest_operations",
            "Requests sent to the Avi Controller by object type, method and result",
            m.rest.clone(),
        );
        m
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    /// The work queue: changed objects waiting for a pass, models and statuses waiting for a
    /// retry.
    pub fn set_queue(&self, changed: usize, retries: usize) {
        self.queue.set(count(changed));
        self.retry_pending.set(count(retries));
    }

    /// A pass planned and synced `n` models.
    pub fn models_synced(&self, n: usize) {
        self.models_synced.inc_by(n as u64);
    }

    /// A periodic full resync took `took`.
    pub fn full_resync(&self, took: Duration) {
        self.full_resync.set(took.as_secs_f64());
        self.full_resyncs.inc();
    }

    /// Whether this replica writes (leads, or runs alone).
    pub fn set_leader(&self, writing: bool) {
        self.leader.set(i64::from(writing));
    }

    /// The objects held in memory, by kind.
    pub fn cached(&self, counts: &[(impl std::fmt::Display, usize)]) {
        for (kind, n) in counts {
            self.cached
                .get_or_create(&KindLabel { kind: kind.to_string() })
                .set(count(*n));
        }
    }

    /// The kinds whose watch is failing now: a series at 1 each, none for a kind that watches.
    pub fn watches_failing(&self, kinds: &[ako_translate::Kind]) {
        self.watches_failing.clear();
        for kind in kinds {
            self.watches_failing
                .get_or_create(&KindLabel { kind: kind.to_string() })
                .set(1);
        }
    }

    /// The deletions held, by reason (`None`: none).
    pub fn held(&self, held: Option<(&'static str, usize)>) {
        self.held.clear();
        if let Some((reason, n)) = held {
            self.held.get_or_create(&HeldLabel { reason }).set(count(n));
        }
    }

    /// Record one pass: its duration, outcome, the sync summary and the state after it.
    pub fn pass(
        &self,
        elapsed: Duration,
        converged: bool,
        summary: &Summary,
        translation_failures: usize,
        models: usize,
        observed: &Observed,
    ) {
        let result = if converged { "converged" } else { "not_converged" };
        self.passes.get_or_create(&ResultLabel { result }).inc();
        self.duration.observe(elapsed.as_secs_f64());
        self.translation_failures.set(count(translation_failures));
        self.models.set(count(models));
        for (kind, method, result, n) in summary.requests.iter() {
            let label = RestLabel {
                r#type: kind.path(),
                method,
                result: result.as_str(),
            };
            self.rest.get_or_create(&label).inc_by(n as u64);
        }
        let mut managed = std::collections::BTreeMap::<String, usize>::new();
        for (key, _) in observed.iter() {
            *managed.entry(key.kind.path().to_owned()).or_default() += 1;
        }
        // Types no longer owned drop out instead of keeping their last count.
        self.managed.clear();
        for (ty, n) in managed {
            self.managed.get_or_create(&TypeLabel { r#type: ty }).set(count(n));
        }
    }

    /// The OpenMetrics text exposition ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ako_sync::{Failure, ObjectKey, Owner, RequestResult, Requests, Retry};
    use avi_model::ObjectType;

    #[test]
    fn render_before_any_pass_has_every_family_at_zero() {
        let text = Metrics::default().render();
        assert!(
            text.contains("ako_reconcile_passes_total{result=\"converged\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("ako_reconcile_duration_seconds_bucket{le=\"+Inf\"} 0\n"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("ako_queue_depth 0\n"), "{text}");
    }

    #[test]
    fn full_resyncs_are_counted_with_the_last_duration() {
        let m = Metrics::default();
        assert!(m.render().contains("ako_full_resyncs_total 0\n"));
        m.full_resync(Duration::from_millis(1500));
        m.full_resync(Duration::from_millis(250));
        let text = m.render();
        assert!(text.contains("ako_full_resyncs_total 2\n"), "{text}");
        assert!(text.contains("ako_full_resync_seconds 0.25\n"), "{text}");
    }

    #[test]
    fn a_pass_counts_latency_rest_operations_and_failures() {
        let m = Metrics::default();
        let mut requests = Requests::default();
        requests.add(ObjectType::Pool, "POST", RequestResult::Success, 2);
        requests.add(ObjectType::Pool, "POST", RequestResult::ServerError, 1);
        requests.add(ObjectType::VirtualService, "POST", RequestResult::Success, 1);
        requests.add(ObjectType::VirtualService, "PUT", RequestResult::Success, 1);
        requests.add(ObjectType::VsVip, "DELETE", RequestResult::Unreachable, 1);
        let summary = Summary {
            created: 3,
            updated: 1,
            failed: vec![Failure {
                model: ako_translate::ModelKey::new("admin", "vs"),
                key: ObjectKey::new(ObjectType::Pool, "admin", "p"),
                verb: "create",
                message: "no".into(),
                retry: Retry::Never,
                sources: vec![],
            }],
            requests: requests.clone(),
            ..Summary::default()
        };
        let observed = Observed::new(Owner::new("c"));
        m.set_queue(4, 1);
        m.cached(&[(ako_translate::Kind::Secret, 2)]);
        m.pass(Duration::from_millis(40), false, &summary, 2, 5, &observed);
        m.pass(Duration::from_secs(100), true, &Summary::default(), 0, 5, &observed);
        // Counters add up over passes.
        let again = Summary {
            requests,
            ..Summary::default()
        };
        m.pass(Duration::from_millis(1), true, &again, 0, 5, &observed);
        let text = m.render();
        for line in [
            "ako_reconcile_passes_total{result=\"converged\"} 2",
            "ako_reconcile_passes_total{result=\"not_converged\"} 1",
            "ako_reconcile_duration_seconds_bucket{le=\"0.025\"} 1",
            "ako_reconcile_duration_seconds_bucket{le=\"0.05\"} 2",
            "ako_reconcile_duration_seconds_bucket{le=\"30.0\"} 2",
            "ako_reconcile_duration_seconds_bucket{le=\"+Inf\"} 3",
            "ako_reconcile_duration_seconds_count 3",
            "ako_queue_depth 4",
            "ako_retries_pending 1",
            "ako_cached_objects{kind=\"Secret\"} 2",
            "ako_translation_failures 0",
            "ako_models 5",
            "ako_avi_rest_operations_total{type=\"pool\",method=\"POST\",result=\"success\"} 4",
            "ako_avi_rest_operations_total{type=\"pool\",method=\"POST\",result=\"server_error\"} 2",
            "ako_avi_rest_operations_total{type=\"virtualservice\",method=\"POST\",result=\"success\"} 2",
            "ako_avi_rest_operations_total{type=\"virtualservice\",method=\"PUT\",result=\"success\"} 2",
            "ako_avi_rest_operations_total{type=\"vsvip\",method=\"DELETE\",result=\"unreachable\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("ako_rest_"), "the older families are gone:\n{text}");
    }
}
