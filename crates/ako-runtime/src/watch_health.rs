//! Which Kubernetes watches are failing right now, and since when: what `/api/status` and the
//! metrics show while the API server is unreachable or a watch keeps breaking.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ako_translate::kinds::Kind;
use serde_json::{Value, json};

/// How long after its last error a watch still counts as failing without an event since: a
/// broken watch errs again within its backoff (at most 5 s, jittered up to twice that), and one
/// that resumed quietly (no change to report, nothing relisted) delivers no event to say so.
const QUIET: Duration = Duration::from_secs(30);

/// The watches' health, shared by the watch tasks (which report) and the admin server (which
/// shows it). A kind is failing from its first error until its next event, or until [`QUIET`]
/// passes without another error.
#[derive(Clone, Debug)]
pub struct WatchHealth {
    failing: Arc<Mutex<BTreeMap<Kind, Failing>>>,
    quiet: Duration,
}

impl Default for WatchHealth {
    fn default() -> Self {
        WatchHealth {
            failing: Arc::default(),
            quiet: QUIET,
        }
    }
}

#[derive(Debug)]
struct Failing {
    error: String,
    since: String,
    errors: u64,
    last: Instant,
}

impl WatchHealth {
    /// The watch of `kind` failed with `error` (it retries with backoff).
    pub fn failed(&self, kind: Kind, error: &dyn std::fmt::Display) {
        let mut failing = self.lock();
        let f = failing.entry(kind).or_insert_with(|| Failing {
            error: String::new(),
            since: jiff::Timestamp::now().to_string(),
            errors: 0,
            last: Instant::now(),
        });
        f.error = error.to_string();
        f.errors += 1;
        f.last = Instant::now();
    }

    /// The watch of `kind` delivered an event: it works (again).
    pub fn ok(&self, kind: Kind) {
        let mut failing = self.lock();
        if failing.remove(&kind).is_some() {
            tracing::info!(%kind, "watch recovered");
        }
    }

    /// The kinds whose watch is failing.
    pub fn failing_kinds(&self) -> Vec<Kind> {
        self.lock().keys().copied().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Kind, Failing>> {
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        let quiet = self.quiet;
        failing.retain(|_, f| f.last.elapsed() < quiet);
        failing
    }

    /// The failing watches as `/api/status` shows them: kind → last error, since, errors.
    pub fn status(&self) -> Value {
        self.lock()
            .iter()
            .map(|(kind, f)| {
                (
                    kind.to_string(),
                    json!({"error": f.error, "since": f.since, "errors": f.errors}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_fails_from_its_first_error_until_its_next_event() {
        let h = WatchHealth::default();
        assert_eq!(h.status(), json!({}));
        h.failed(Kind::Ingress, &"connection refused");
        h.failed(Kind::Ingress, &"410 Gone");
        assert_eq!(h.failing_kinds(), [Kind::Ingress]);
        assert_eq!(h.status()["Ingress"]["errors"], 2);
        assert_eq!(h.status()["Ingress"]["error"], "410 Gone");
        h.ok(Kind::Service);
        h.ok(Kind::Ingress);
        assert!(h.failing_kinds().is_empty());
    }

    #[test]
    fn a_kind_without_errors_for_a_while_is_no_longer_failing() {
        let h = WatchHealth {
            quiet: Duration::from_millis(50),
            ..WatchHealth::default()
        };
        h.failed(Kind::IngressClass, &"connection refused");
        assert_eq!(h.failing_kinds(), [Kind::IngressClass]);
        // Waiting out the quiet period is the condition under test.
        std::thread::sleep(Duration::from_millis(60));
        assert!(h.failing_kinds().is_empty(), "resumed quietly: no event, no error");
    }
}
