//! avisim: a stateful simulator of the Avi Controller REST API, for development, demos and
//! tests — faithful enough that a client that works against it works against the controller.
//!
//! It keeps objects (not canned answers) and applies the controller's rules: sessions, CSRF,
//! tenants, references in every form, unique names, referential integrity, optimistic
//! concurrency, SNI parent/child typing and IPAM VIP allocation. A control API under `/_sim`
//! counts requests and injects faults. Start it in-process with [`Avisim::start`] or run the
//! `avisim` binary.

#![forbid(unsafe_code)]

mod api;
mod auth;
pub mod control;
mod defaults;
pub mod error;
pub mod faults;
mod ipam;
mod persist;
mod query;
mod refs;
mod render;
pub mod seed;
mod server;
mod sim_api;
mod store;
mod tls;
mod world;
mod write;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::http::StatusCode;
use parking_lot::{Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

pub use control::{CounterRow, Counters, RequestRecord};
pub use faults::{Fault, FaultAction};
pub use seed::Seed;

use auth::Sessions;
use control::Control;
use world::World;

/// The status the controller answers on a session invalidated by a password change.
const SESSION_INVALIDATED: StatusCode = match StatusCode::from_u16(419) {
    Ok(s) => s,
    Err(_) => StatusCode::UNAUTHORIZED,
};

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Listen address; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The one user that may log in.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Where the CA is kept (`ca.crt`, `ca.key`); none keeps it in memory only.
    pub cert_dir: Option<PathBuf>,
    /// A seed file replacing the embedded default seed.
    pub seed: Option<PathBuf>,
    /// Persist state here (plus `<state>.journal`) so a restart loses nothing.
    pub state_file: Option<PathBuf>,
    /// Keep the JSON body of every POST/PUT/PATCH to `/api` in the request log
    /// (`/_sim/requests`). Off by default: bodies can be large and may hold key material.
    pub log_bodies: bool,
}

impl SimConfig {
    /// A simulator on a free loopback port with the default seed and no persistence.
    pub fn local(username: &str, password: &str) -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: username.to_owned(),
            password: password.to_owned(),
            cert_dir: None,
            seed: None,
            state_file: None,
            log_bodies: false,
        }
    }
}

/// State shared by every connection.
pub(crate) struct Shared {
    world: RwLock<World>,
    sessions: Mutex<Sessions>,
    control: Control,
    credentials: RwLock<(String, String)>,
    seed: Seed,
    listen: SocketAddr,
    log_bodies: bool,
}

impl Shared {
    fn credentials(&self) -> (String, String) {
        self.credentials.read().clone()
    }

    /// Change the password; like the controller, this invalidates every session (419).
    fn set_password(&self, password: String) {
        self.credentials.write().1 = password;
        self.sessions.lock().revoke_all(SESSION_INVALIDATED);
    }

    fn reset(&self) -> anyhow::Result<()> {
        self.world.write().reset(&self.seed, now_micros())?;
        self.control.set_faults(Vec::new());
        self.control.set_latency(Duration::ZERO);
        self.control.set_upgrade_in_progress(false);
        self.control.reset_counters();
        Ok(())
    }
}

/// Wall clock in microseconds since the epoch (the controller's `_last_modified` unit).
pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// A running simulator.
pub struct Avisim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    ca_pem: String,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Avisim {
    /// Load or seed the state, bind, and start serving HTTPS.
    pub async fn start(config: SimConfig) -> anyhow::Result<Avisim> {
        let seed = match &config.seed {
            Some(path) => {
                Seed::parse(&std::fs::read_to_string(path).with_context(|| format!("read seed {}", path.display()))?)
                    .with_context(|| format!("seed {}", path.display()))?
            }
            None => Seed::default_seed(),
        };
        let world = World::open(config.state_file.as_deref(), &seed, now_micros())?;
        let identity = tls::identity(config.cert_dir.as_deref(), config.listen.ip())?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("bind {}", config.listen))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            world: RwLock::new(world),
            sessions: Mutex::new(Sessions::default()),
            control: Control::default(),
            credentials: RwLock::new((config.username, config.password)),
            seed,
            listen: addr,
            log_bodies: config.log_bodies,
        });
        let shutdown = CancellationToken::new();
        let door = server::FrontDoor::new(shared.clone());
        let acceptor = TlsAcceptor::from(identity.server_config);
        let task = tokio::spawn(server::serve(listener, acceptor, door, shutdown.clone()));
        Ok(Avisim {
            shared,
            addr,
            ca_pem: identity.ca_pem,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The CA that signed the server certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// Request counters.
    pub fn counters(&self) -> Counters {
        self.shared.control.counters()
    }

    /// Writes to `/api` by client (`User-Agent`; `""` for none), since the last reset.
    pub fn writes_by_client(&self) -> std::collections::BTreeMap<String, u64> {
        self.shared.control.writes_by_client()
    }

    /// Zero the counters and clear the request log.
    pub fn reset_counters(&self) {
        self.shared.control.reset_counters();
    }

    /// Logged requests after sequence number `since` (0 for all kept).
    pub fn request_log(&self, since: u64) -> Vec<RequestRecord> {
        self.shared.control.requests_since(since)
    }

    /// Replace the fault rules.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.shared.control.set_faults(faults);
    }

    /// Remove all fault rules.
    pub fn clear_faults(&self) {
        self.shared.control.set_faults(Vec::new());
    }

    /// Add latency to every controller request.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.control.set_latency(latency);
    }

    /// Expire every session: its next use gets 401.
    pub fn expire_sessions(&self) {
        self.shared.sessions.lock().revoke_all(StatusCode::UNAUTHORIZED);
    }

    /// Invalidate every session: its next use gets 419.
    pub fn invalidate_sessions(&self) {
        self.shared.sessions.lock().revoke_all(SESSION_INVALIDATED);
    }

    /// Simulate a controller upgrade: writes get 403 "Configuration is disallowed during upgrade".
    pub fn set_upgrade_in_progress(&self, on: bool) {
        self.shared.control.set_upgrade_in_progress(on);
    }

    /// Change the password (sessions are invalidated, as on the controller).
    pub fn set_password(&self, password: &str) {
        self.shared.set_password(password.to_owned());
    }

    /// Number of stored objects.
    pub fn object_count(&self) -> usize {
        self.shared.world.read().store.len()
    }

    /// Back to the seed; faults, latency and counters cleared.
    pub fn reset(&self) -> anyhow::Result<()> {
        self.shared.reset()
    }

    /// Stop serving and wait for open connections to close.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }

    /// A token that stops the server when cancelled (for signal handling).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}
