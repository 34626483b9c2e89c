//! The admin server of `ako run`, on AKO's `apiServerPort` (`--admin-listen` overrides):
//!
//! * `GET /healthz`: 200 while the process runs;
//! * `GET /readyz`: 200 once the configuration is valid, every watch has completed its initial
//!   list and the observed state (what this cluster owns on the controller) is loaded; 503 with
//!   the reason otherwise;
//! * `GET /metrics`: OpenMetrics text from a prometheus-client registry ([`crate::metrics`]);
//! * `GET /api/status`: AKO's status document (`avi_api.connection_status`, `avi_api.errors`,
//!   the last 10 controller errors) with the operator's state next to it, including the
//!   deletions the guard holds (`deletions_held`) and who leads (`leader_election`).
//!
//! A follower (a replica without the leader lease) is ready once its configuration is valid,
//! its watches are synced and it is logged in to the controller: it can take over.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State as AxState;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::index::Shared;
use crate::leader::{Fence, Role};
use crate::metrics::Metrics;

/// Controller errors kept for `/api/status` (AKO keeps 10).
const MAX_ERRORS: usize = 10;

/// AKO's `connection_status` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Not tried yet.
    Initiating,
    /// The last request answered.
    Connected,
    /// The last attempt failed.
    Disconnected,
}

impl Connection {
    fn as_str(self) -> &'static str {
        match self {
            Connection::Initiating => "INITIATING",
            Connection::Connected => "CONNECTED",
            Connection::Disconnected => "DISCONNECTED",
        }
    }
}

/// What readiness depends on.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// `None` until the configuration was read once; the error while it is invalid.
    pub config: Option<Result<(), String>>,
    /// Kinds still waiting for their initial list; `None` before the watches started.
    pub watches_pending: Option<Vec<String>>,
    /// The observed state is loaded.
    pub observed_loaded: bool,
    /// A follower logged in to the controller: ready to take over (it loads the observed
    /// state when it leads).
    pub standby: bool,
}

/// `Ok` when ready, else why not (one short line).
pub fn readiness(p: &Progress) -> Result<(), String> {
    match &p.config {
        None => return Err("configuration not read yet".into()),
        Some(Err(e)) => {
            let first = e.lines().next().unwrap_or_default();
            return Err(format!("invalid configuration: {first}"));
        }
        Some(Ok(())) => {}
    }
    match &p.watches_pending {
        None => return Err("watches not started".into()),
        Some(pending) if !pending.is_empty() => {
            return Err(format!("waiting for the initial list of {}", pending.join(", ")));
        }
        Some(_) => {}
    }
    if !p.observed_loaded && !p.standby {
        return Err("observed state not loaded from the Avi Controller yet".into());
    }
    Ok(())
}

#[derive(Default)]
struct Inner {
    progress: Progress,
    shared: Option<Shared>,
    connection: Option<Connection>,
    errors: VecDeque<(String, String)>,
    last_sync: Option<String>,
    converged: Option<bool>,
    models: usize,
    translation_failures: Vec<Value>,
    sync_failures: usize,
    held: Option<Value>,
    election: Option<Election>,
}

/// The election as `/api/status` shows it.
struct Election {
    fence: Fence,
    lease: Option<String>,
    identity: String,
}

/// The operator's state as the admin server shows it; shared with the run loop.
#[derive(Default)]
pub struct State {
    inner: Mutex<Inner>,
    /// The metrics.
    pub metrics: Metrics,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The result of one attempt to read the configuration.
    pub fn config<T>(&self, r: &anyhow::Result<T>) {
        self.lock().progress.config = Some(r.as_ref().map(|_| ()).map_err(|e| format!("{e:#}")));
    }

    /// The watches started; their progress is read from `shared`.
    pub fn watches(&self, shared: &Shared) {
        self.lock().shared = Some(shared.clone());
    }

    /// A request to the controller answered (`Ok`) or failed.
    pub fn controller<T>(&self, r: &anyhow::Result<T>) {
        match r {
            Ok(_) => self.lock().connection = Some(Connection::Connected),
            Err(e) => self.controller_error(&format!("{e:#}")),
        }
    }

    /// A controller error (kept among the last 10).
    pub fn controller_error(&self, message: &str) {
        let mut s = self.lock();
        s.connection = Some(Connection::Disconnected);
        if s.errors.len() == MAX_ERRORS {
            s.errors.pop_front();
        }
        s.errors.push_back((message.to_owned(), now()));
    }

    /// The observed state is loaded.
    pub fn observed_loaded(&self) {
        let mut s = self.lock();
        s.progress.observed_loaded = true;
        s.connection = Some(Connection::Connected);
    }

    /// A pass ended.
    pub fn synced(
        &self,
        converged: bool,
        models: usize,
        translation_failures: &[ako_translate::Failure],
        sync_failures: usize,
    ) {
        let mut s = self.lock();
        s.last_sync = Some(now());
        s.converged = Some(converged);
        s.models = models;
        s.sync_failures = sync_failures;
        s.translation_failures = translation_failures
            .iter()
            .map(|f| json!({"kind": f.object.kind, "namespace": f.object.namespace(), "name": f.object.name(), "message": f.message}))
            .collect();
    }

    /// The leader election: this replica's `identity`, the `lease` (`None`: no election) and
    /// the fence it drives.
    pub fn election(&self, fence: Fence, lease: Option<String>, identity: String) {
        self.lock().election = Some(Election { fence, lease, identity });
    }

    /// The deletions the guard holds, described (`None`: none).
    pub fn held(&self, held: Option<Value>) {
        self.lock().held = held;
    }

    fn progress(&self) -> Progress {
        let (mut p, shared) = {
            let s = self.lock();
            let following = s
                .election
                .as_ref()
                .is_some_and(|e| matches!(e.fence.role(), Role::Follower { .. }));
            let mut p = s.progress.clone();
            p.standby = following && s.connection == Some(Connection::Connected);
            (p, s.shared.clone())
        };
        if let Some(shared) = shared {
            p.watches_pending = Some(shared.lock().pending().iter().map(ToString::to_string).collect());
        }
        p
    }

    /// `/api/status`: AKO's document plus the operator's state.
    pub fn status(&self) -> Value {
        let progress = self.progress();
        let ready = readiness(&progress);
        let s = self.lock();
        json!({
            "avi_api": {
                "connection_status": s.connection.unwrap_or(Connection::Initiating).as_str(),
                "errors": s.errors.iter().map(|(e, t)| json!({"error": e, "timestamp": t})).collect::<Vec<_>>(),
            },
            "kubernetes": {
                "watches_failing": s.shared.as_ref().map_or_else(|| json!({}), |sh| sh.health.status()),
            },
            "ready": ready.is_ok(),
            "reason": ready.err(),
            "watches_pending": progress.watches_pending,
            "last_sync": s.last_sync,
            "converged": s.converged,
            "models": s.models,
            "translation_failures": s.translation_failures,
            "sync_failures": s.sync_failures,
            "deletions_held": s.held,
            "leader_election": s.election.as_ref().map(|e| {
                let role = e.fence.role();
                let leader = match &role {
                    Role::Leader => Some(e.identity.clone()),
                    Role::Follower { leader } => leader.clone(),
                    Role::Alone => None,
                };
                json!({"lease": e.lease, "identity": e.identity, "role": role.as_str(), "leader": leader})
            }),
        })
    }
}

/// The admin routes.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(|AxState(s): AxState<Arc<State>>| async move {
                match readiness(&s.progress()) {
                    Ok(()) => (StatusCode::OK, "ok\n".to_owned()),
                    Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")),
                }
            }),
        )
        .route(
            "/metrics",
            get(|AxState(s): AxState<Arc<State>>| async move {
                {
                    let inner = s.lock();
                    if let Some(e) = &inner.election {
                        s.metrics.set_leader(e.fence.is_open());
                    }
                    if let Some(shared) = &inner.shared {
                        s.metrics.watches_failing(&shared.health.failing_kinds());
                    }
                }
                let headers = [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)];
                (headers, s.metrics.render()).into_response()
            }),
        )
        .route(
            "/api/status",
            get(|AxState(s): AxState<Arc<State>>| async move { axum::Json(s.status()).into_response() }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

/// Bind `addr` and serve the admin routes until the returned task is aborted. Logs the bound
/// address (`admin server listening`) and writes its port to `port_file` when given. A bind
/// failure is logged, never fatal: the operator runs without its admin server.
pub async fn serve(
    addr: SocketAddr,
    port_file: Option<PathBuf>,
    state: Arc<State>,
) -> Option<tokio::task::JoinHandle<()>> {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, "cannot start the admin server: {e}");
            return None;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(addr = %local, "admin server listening");
    if let Some(path) = port_file {
        // Written whole then renamed, so a reader never sees a partial file.
        let tmp = path.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, format!("{}\n", local.port())).and_then(|()| std::fs::rename(&tmp, &path))
        {
            tracing::warn!("cannot write {}: {e}", path.display());
        }
    }
    let app = router(state);
    Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("admin server failed: {e}");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Progress {
        Progress {
            config: Some(Ok(())),
            watches_pending: Some(vec![]),
            observed_loaded: true,
            standby: false,
        }
    }

    #[test]
    fn ready_only_when_config_watches_and_observed_state_are_all_there() {
        assert_eq!(readiness(&ready()), Ok(()));
        let mut p = ready();
        p.config = None;
        assert_eq!(readiness(&p).unwrap_err(), "configuration not read yet");
        p.config = Some(Err("invalid settings:\n  shardVSSize: HUGE".into()));
        assert_eq!(readiness(&p).unwrap_err(), "invalid configuration: invalid settings:");
        let mut p = ready();
        p.watches_pending = None;
        assert_eq!(readiness(&p).unwrap_err(), "watches not started");
        p.watches_pending = Some(vec!["Ingress".into(), "Service".into()]);
        assert_eq!(
            readiness(&p).unwrap_err(),
            "waiting for the initial list of Ingress, Service"
        );
        let mut p = ready();
        p.observed_loaded = false;
        assert!(readiness(&p).unwrap_err().contains("observed state"));
        // A follower logged in is ready to take over without the observed state.
        p.standby = true;
        assert_eq!(readiness(&p), Ok(()));
        p.watches_pending = Some(vec!["Ingress".into()]);
        assert!(readiness(&p).is_err());
    }

    #[test]
    fn status_is_akos_document_with_the_last_ten_errors() {
        let s = State::default();
        assert_eq!(s.status()["avi_api"]["connection_status"], "INITIATING");
        assert_eq!(s.status()["ready"], false);
        for i in 0..12 {
            s.controller_error(&format!("e{i}"));
        }
        let st = s.status();
        assert_eq!(st["avi_api"]["connection_status"], "DISCONNECTED");
        let errors = st["avi_api"]["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 10);
        assert_eq!(errors[0]["error"], "e2");
        assert!(errors[0]["timestamp"].as_str().unwrap().ends_with('Z'));
        s.observed_loaded();
        assert_eq!(s.status()["avi_api"]["connection_status"], "CONNECTED");
    }
}
