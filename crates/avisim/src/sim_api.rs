//! avisim's own control API under `/_sim` (not part of the controller's surface, needs no
//! session): counters, request log, faults, latency, session expiry, upgrade mode,
//! credentials and reset. Tests and benchmarks use it to prove "zero writes at rest" and to
//! inject faults.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;

use crate::Shared;
use crate::faults::Fault;

/// The `/_sim` routes.
pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/stats", get(stats).delete(reset_stats))
        .route("/_sim/requests", get(requests))
        .route("/_sim/faults", get(faults).put(set_faults).delete(clear_faults))
        .route("/_sim/latency", put(set_latency))
        .route("/_sim/sessions/expire", post(expire_sessions))
        .route("/_sim/sessions/invalidate", post(invalidate_sessions))
        .route("/_sim/upgrade", put(set_upgrade))
        .route("/_sim/credentials", put(set_credentials))
        .route("/_sim/reset", post(reset))
        .with_state(shared)
}

async fn stats(State(s): State<Arc<Shared>>) -> Response {
    let counters = s.control.counters();
    let objects = s.world.read().store.len();
    Json(json!({"writes": counters.writes(), "objects": objects, "counters": counters.rows})).into_response()
}

async fn reset_stats(State(s): State<Arc<Shared>>) -> StatusCode {
    s.control.reset_counters();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

async fn requests(State(s): State<Arc<Shared>>, Query(q): Query<Since>) -> Response {
    Json(s.control.requests_since(q.since)).into_response()
}

async fn faults(State(s): State<Arc<Shared>>) -> Response {
    Json(s.control.faults()).into_response()
}

async fn set_faults(State(s): State<Arc<Shared>>, Json(faults): Json<Vec<Fault>>) -> StatusCode {
    s.control.set_faults(faults);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> StatusCode {
    s.control.set_faults(Vec::new());
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
}

async fn set_latency(State(s): State<Arc<Shared>>, Json(l): Json<Latency>) -> StatusCode {
    s.control.set_latency(Duration::from_millis(l.ms));
    StatusCode::NO_CONTENT
}

async fn expire_sessions(State(s): State<Arc<Shared>>) -> StatusCode {
    s.sessions.lock().revoke_all(StatusCode::UNAUTHORIZED);
    StatusCode::NO_CONTENT
}

async fn invalidate_sessions(State(s): State<Arc<Shared>>) -> StatusCode {
    s.sessions.lock().revoke_all(crate::SESSION_INVALIDATED);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Upgrade {
    in_progress: bool,
}

async fn set_upgrade(State(s): State<Arc<Shared>>, Json(u): Json<Upgrade>) -> StatusCode {
    s.control.set_upgrade_in_progress(u.in_progress);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Password {
    password: String,
}

async fn set_credentials(State(s): State<Arc<Shared>>, Json(p): Json<Password>) -> StatusCode {
    s.set_password(p.password);
    StatusCode::NO_CONTENT
}

async fn reset(State(s): State<Arc<Shared>>) -> Response {
    match s.reset() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response(),
    }
}
