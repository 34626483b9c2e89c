//! Observability and fault injection state: request counters by (method, type, status), a
//! bounded request log, fault rules, added latency and the "upgrade in progress" switch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::faults::{Fault, FaultAction};

/// How many requests the log keeps.
const LOG_CAPACITY: usize = 10_000;

/// One counter row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterRow {
    /// HTTP method.
    pub method: String,
    /// Object type (`pool`, ...), or `login`, `logout`, `initial-data`, `cluster`, ...
    #[serde(rename = "type")]
    pub object_type: String,
    /// Response status (0 for a dropped connection).
    pub status: u16,
    /// Requests seen.
    pub count: u64,
}

/// A snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// One row per (method, type, status).
    pub rows: Vec<CounterRow>,
}

impl Counters {
    /// Requests matching `method` and `object_type` (`None` matches any), whatever their status.
    pub fn total(&self, method: Option<&str>, object_type: Option<&str>) -> u64 {
        self.rows
            .iter()
            .filter(|r| method.is_none_or(|m| r.method.eq_ignore_ascii_case(m)))
            .filter(|r| object_type.is_none_or(|t| r.object_type == t))
            .map(|r| r.count)
            .sum()
    }

    /// Writes (POST, PUT, PATCH, DELETE) to `/api`, excluding login and logout.
    pub fn writes(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| is_write(&r.method, &r.object_type))
            .map(|r| r.count)
            .sum()
    }
}

/// A write (POST, PUT, PATCH, DELETE) to `/api`, login and logout aside.
fn is_write(method: &str, object_type: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") && !matches!(object_type, "login" | "logout")
}

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Sequence number, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Normalized path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Object type (see [`CounterRow::object_type`]).
    #[serde(rename = "type")]
    pub object_type: String,
    /// `X-Avi-Tenant` header, if sent.
    pub tenant: Option<String>,
    /// `User-Agent` header, if sent: which client (which replica) made the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Response status (0 for a dropped connection).
    pub status: u16,
    /// Time spent, in microseconds.
    pub micros: u64,
    /// The JSON request body of a write to `/api` (a string if it was not JSON); only when
    /// the simulator runs with `log_bodies` (`--log-bodies`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// What the fault rules decided for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultDecision {
    /// Wait this long first.
    pub delay: Duration,
    /// Then answer this instead of processing.
    pub respond: Option<(u16, String)>,
    /// Or close the connection without an answer.
    pub drop: bool,
}

struct ActiveFault {
    fault: Fault,
    hits: u64,
}

/// Shared control state.
#[derive(Default)]
pub struct Control {
    faults: Mutex<Vec<ActiveFault>>,
    latency_ms: AtomicU64,
    upgrade_in_progress: AtomicBool,
    counters: Mutex<BTreeMap<(String, String, u16), u64>>,
    log: Mutex<VecDeque<RequestRecord>>,
    seq: AtomicU64,
    /// Writes to `/api` by `User-Agent` (`""` when none was sent).
    writes_by_client: Mutex<BTreeMap<String, u64>>,
}

impl Control {
    /// Replace the fault rules.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        *self.faults.lock() = faults.into_iter().map(|fault| ActiveFault { fault, hits: 0 }).collect();
    }

    /// The current rules.
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.lock().iter().map(|f| f.fault.clone()).collect()
    }

    /// Latency added to every API request.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    /// Refuse writes with 403 "Configuration is disallowed during upgrade".
    pub fn set_upgrade_in_progress(&self, on: bool) {
        self.upgrade_in_progress.store(on, Ordering::Relaxed);
    }

    /// Whether an upgrade is simulated.
    pub fn upgrade_in_progress(&self) -> bool {
        self.upgrade_in_progress.load(Ordering::Relaxed)
    }

    /// Apply the fault rules to a request. Delays add up; the first status or drop rule wins.
    pub fn decide(&self, method: &str, object_type: &str) -> FaultDecision {
        let mut decision = FaultDecision {
            delay: self.latency(),
            ..Default::default()
        };
        let mut rng = rand::rng();
        for active in self.faults.lock().iter_mut() {
            let f = &active.fault;
            let matches = f.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.object_type.as_deref().is_none_or(|t| t == object_type)
                && f.times.is_none_or(|max| active.hits < max);
            let decided = decision.respond.is_some() || decision.drop;
            if !matches || (decided && f.delay().is_none()) || (f.rate < 1.0 && !rng.random_bool(f.rate.max(0.0))) {
                continue;
            }
            active.hits += 1;
            match &f.action {
                FaultAction::Delay { ms } => decision.delay += Duration::from_millis(*ms),
                FaultAction::Status { status, message } => decision.respond = Some((*status, message.clone())),
                FaultAction::Drop => decision.drop = true,
            }
        }
        decision
    }

    /// Count and log a finished request.
    pub fn record(&self, mut rec: RequestRecord) {
        *self
            .counters
            .lock()
            .entry((rec.method.clone(), rec.object_type.clone(), rec.status))
            .or_default() += 1;
        if is_write(&rec.method, &rec.object_type) {
            *self
                .writes_by_client
                .lock()
                .entry(rec.client.clone().unwrap_or_default())
                .or_default() += 1;
        }
        rec.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut log = self.log.lock();
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(rec);
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        let rows = self
            .counters
            .lock()
            .iter()
            .map(|((method, object_type, status), count)| CounterRow {
                method: method.clone(),
                object_type: object_type.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        Counters { rows }
    }

    /// Writes to `/api` by client (`User-Agent`; `""` for none), since the last reset.
    pub fn writes_by_client(&self) -> BTreeMap<String, u64> {
        self.writes_by_client.lock().clone()
    }

    /// Logged requests with a sequence number above `since`.
    pub fn requests_since(&self, since: u64) -> Vec<RequestRecord> {
        self.log.lock().iter().filter(|r| r.seq > since).cloned().collect()
    }

    /// Zero the counters and clear the log.
    pub fn reset_counters(&self) {
        self.counters.lock().clear();
        self.writes_by_client.lock().clear();
        self.log.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_method_and_type_and_run_out() {
        let c = Control::default();
        c.set_faults(vec![Fault::status(Some("GET"), Some("pool"), 503, "busy").times(2)]);
        assert_eq!(c.decide("POST", "pool").respond, None);
        assert_eq!(c.decide("GET", "vsvip").respond, None);
        assert_eq!(c.decide("get", "pool").respond, Some((503, "busy".into())));
        assert!(c.decide("GET", "pool").respond.is_some());
        assert_eq!(c.decide("GET", "pool").respond, None, "spent after two hits");
    }

    #[test]
    fn delays_add_up_with_latency() {
        let c = Control::default();
        c.set_latency(Duration::from_millis(20));
        c.set_faults(vec![Fault {
            method: None,
            object_type: None,
            action: FaultAction::Delay { ms: 5 },
            rate: 1.0,
            times: None,
        }]);
        assert_eq!(c.decide("GET", "x").delay, Duration::from_millis(25));
    }

    #[test]
    fn counters_sum_writes_only() {
        let c = Control::default();
        for (method, ty, status) in [
            ("POST", "pool", 201),
            ("GET", "pool", 200),
            ("POST", "login", 200),
            ("DELETE", "pool", 204),
        ] {
            c.record(RequestRecord {
                client: None,
                seq: 0,
                method: method.into(),
                path: String::new(),
                query: String::new(),
                object_type: ty.into(),
                tenant: None,
                status,
                micros: 1,
                body: None,
            });
        }
        let counters = c.counters();
        assert_eq!(counters.writes(), 2);
        assert_eq!(counters.total(Some("POST"), None), 2);
        assert_eq!(counters.total(None, Some("pool")), 3);
        assert_eq!(c.requests_since(2).len(), 2);
    }
}
