//! The operator's Prometheus metrics, rendered in the text exposition format (0.0.4) by
//! [`Metrics::render`]. Written by the reconcile loop after every pass; read by `/metrics`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `ako_reconcile_passes_total` | counter | `result`: `converged`, `not_converged` |
//! | `ako_reconcile_duration_seconds` | histogram | |
//! | `ako_reconcile_dirty` | gauge | 1 while changes wait for a pass |
//! | `ako_reconcile_retry_pending` | gauge | 1 while the last pass did not converge |
//! | `ako_translation_failures` | gauge | objects not translated in the last pass |
//! | `ako_models` | gauge | models (virtual services) in the last translation |
//! | `ako_objects_managed` | gauge | `type`: Avi object type this cluster owns |
//! | `ako_rest_operations_total` | counter | `method` (`POST`/`PUT`/`DELETE`), `result` |
//! | `ako_rest_failures_total` | counter | `type`, `method` |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use ako_sync::{Observed, Summary};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Everything `/metrics` shows.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default, Clone, Debug)]
struct Inner {
    passes: BTreeMap<&'static str, u64>,
    /// Per bucket (not cumulative), plus +Inf last.
    latency_buckets: [u64; BUCKETS.len() + 1],
    latency_sum: f64,
    latency_count: u64,
    dirty: bool,
    retry_pending: bool,
    translation_failures: usize,
    models: usize,
    managed: BTreeMap<String, usize>,
    rest: BTreeMap<(&'static str, &'static str), u64>,
    rest_failures: BTreeMap<(String, &'static str), u64>,
}

/// The HTTP method of a sync verb.
fn method(verb: &str) -> &'static str {
    match verb {
        "create" => "POST",
        "update" => "PUT",
        "delete" => "DELETE",
        _ => "OTHER",
    }
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes arrived that no pass has translated yet (`true`), or a pass took them (`false`).
    pub fn set_dirty(&self, dirty: bool) {
        self.lock().dirty = dirty;
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
        let mut m = self.lock();
        *m.passes
            .entry(if converged { "converged" } else { "not_converged" })
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        m.latency_buckets[bucket] += 1;
        m.latency_sum += secs;
        m.latency_count += 1;
        m.retry_pending = !converged;
        m.translation_failures = translation_failures;
        m.models = models;
        for (verb, n) in [
            ("create", summary.created),
            ("update", summary.updated),
            ("delete", summary.deleted),
        ] {
            if n > 0 {
                *m.rest.entry((method(verb), "success")).or_default() += n as u64;
            }
        }
        for f in &summary.failed {
            *m.rest.entry((method(f.verb), "failure")).or_default() += 1;
            *m.rest_failures
                .entry((f.key.kind.path().to_owned(), method(f.verb)))
                .or_default() += 1;
        }
        let mut managed = BTreeMap::new();
        for (key, _) in observed.iter() {
            *managed.entry(key.kind.path().to_owned()).or_default() += 1;
        }
        m.managed = managed;
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let m = self.lock().clone();
        let mut text = String::new();
        header(
            &mut text,
            "ako_reconcile_passes_total",
            "counter",
            "Reconcile passes by result.",
        );
        for result in ["converged", "not_converged"] {
            let n = m.passes.get(result).copied().unwrap_or(0);
            let _ = writeln!(text, "ako_reconcile_passes_total{{result=\"{result}\"}} {n}");
        }
        header(
            &mut text,
            "ako_reconcile_duration_seconds",
            "histogram",
            "Duration of reconcile passes (translate, sync, statuses).",
        );
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += m.latency_buckets[i];
            let _ = writeln!(
                text,
                "ako_reconcile_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += m.latency_buckets[BUCKETS.len()];
        let _ = writeln!(
            text,
            "ako_reconcile_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(text, "ako_reconcile_duration_seconds_sum {}", m.latency_sum);
        let _ = writeln!(text, "ako_reconcile_duration_seconds_count {}", m.latency_count);
        gauge(
            &mut text,
            "ako_reconcile_dirty",
            "1 while changes wait for a reconcile pass.",
            u64::from(m.dirty),
        );
        gauge(
            &mut text,
            "ako_reconcile_retry_pending",
            "1 while the last pass did not converge and is retried with backoff.",
            u64::from(m.retry_pending),
        );
        gauge(
            &mut text,
            "ako_translation_failures",
            "Kubernetes objects the last pass could not translate.",
            m.translation_failures as u64,
        );
        gauge(
            &mut text,
            "ako_models",
            "Models (virtual services) in the last translation.",
            m.models as u64,
        );
        header(
            &mut text,
            "ako_objects_managed",
            "gauge",
            "Avi objects this cluster owns, by type.",
        );
        for (ty, n) in &m.managed {
            let _ = writeln!(text, "ako_objects_managed{{type=\"{}\"}} {n}", escape(ty));
        }
        header(
            &mut text,
            "ako_rest_operations_total",
            "counter",
            "Controller write operations by method and result.",
        );
        for ((method, result), n) in &m.rest {
            let _ = writeln!(
                text,
                "ako_rest_operations_total{{method=\"{method}\",result=\"{result}\"}} {n}"
            );
        }
        header(
            &mut text,
            "ako_rest_failures_total",
            "counter",
            "Failed controller write operations by object type and method.",
        );
        for ((ty, method), n) in &m.rest_failures {
            let _ = writeln!(
                text,
                "ako_rest_failures_total{{type=\"{}\",method=\"{method}\"}} {n}",
                escape(ty)
            );
        }
        text
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// A label value escaped for the text format.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ako_sync::{Failure, ObjectKey, Owner, Retry};
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
        assert!(text.contains("# TYPE ako_objects_managed gauge\n"), "{text}");
        assert!(text.contains("ako_reconcile_dirty 0\n"), "{text}");
    }

    #[test]
    fn a_pass_counts_latency_rest_operations_and_failures() {
        let m = Metrics::default();
        let summary = Summary {
            created: 3,
            updated: 1,
            failed: vec![Failure {
                model: "admin/vs".into(),
                key: ObjectKey::new(ObjectType::Pool, "admin", "p"),
                verb: "create",
                message: "no".into(),
                retry: Retry::Never,
                sources: vec![],
            }],
            ..Summary::default()
        };
        let observed = Observed::new(Owner::new("c"));
        m.set_dirty(true);
        m.pass(Duration::from_millis(40), false, &summary, 2, 5, &observed);
        m.pass(Duration::from_secs(100), true, &Summary::default(), 0, 5, &observed);
        let text = m.render();
        for line in [
            "ako_reconcile_passes_total{result=\"converged\"} 1",
            "ako_reconcile_passes_total{result=\"not_converged\"} 1",
            "ako_reconcile_duration_seconds_bucket{le=\"0.025\"} 0",
            "ako_reconcile_duration_seconds_bucket{le=\"0.05\"} 1",
            "ako_reconcile_duration_seconds_bucket{le=\"30\"} 1",
            "ako_reconcile_duration_seconds_bucket{le=\"+Inf\"} 2",
            "ako_reconcile_duration_seconds_count 2",
            "ako_reconcile_dirty 1",
            "ako_reconcile_retry_pending 0",
            "ako_translation_failures 0",
            "ako_models 5",
            "ako_rest_operations_total{method=\"POST\",result=\"success\"} 3",
            "ako_rest_operations_total{method=\"PUT\",result=\"success\"} 1",
            "ako_rest_operations_total{method=\"POST\",result=\"failure\"} 1",
            "ako_rest_failures_total{type=\"pool\",method=\"POST\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
