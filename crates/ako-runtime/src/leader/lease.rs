//! The elector: client-go's leader election on a `coordination.k8s.io/v1` Lease, so ako-rs and
//! Go AKO (which holds `ako-lease-lock` the same way) respect each other's leases during a
//! migration.
//!
//! * A candidate takes the Lease when it has no holder, or when its record (seen through its
//!   `resourceVersion`) has not changed for `leaseDurationSeconds` on the candidate's own
//!   monotonic clock: the holder's wall clock is never trusted.
//! * Every write is a `replace` guarded by the `resourceVersion` read just before: of two
//!   candidates only one wins; the other gets 409 and follows.
//! * The leader renews every retry period. Its fence ([`super::Fence`]) closes at the send time
//!   of its last successful renewal plus the renew deadline, before anyone else may take the
//!   lease (lease duration after they saw that renewal).
//! * Followers also watch the Lease, so a released lease is taken at once, not at their next
//!   poll.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::fence::{Fence, Role, Standing};

/// AKO's Lease.
pub const LEASE_NAME: &str = "ako-lease-lock";

/// A follower tries this long after the lease it saw runs out, to be past it on its own clock.
const EXPIRY_MARGIN: Duration = Duration::from_millis(10);

/// Where the lease is and how it is held (AKO's durations by default).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// The Lease's namespace (AKO's).
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// This replica (its Pod name).
    pub identity: String,
    /// How long a lease not renewed stays the holder's (15 s).
    pub lease_duration: Duration,
    /// How long the leader keeps writing without a successful renewal (10 s).
    pub renew_deadline: Duration,
    /// How often the leader renews and a follower tries (2 s).
    pub retry_period: Duration,
}

impl LeaseSettings {
    /// AKO's lease in `namespace`, held by `identity`, with AKO's durations.
    pub fn new(namespace: impl Into<String>, identity: impl Into<String>) -> Self {
        LeaseSettings {
            namespace: namespace.into(),
            name: LEASE_NAME.to_owned(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }

    /// The durations must nest: retry period < renew deadline < lease duration.
    pub fn validate(&self) -> Result<(), String> {
        if self.retry_period.is_zero() || self.retry_period >= self.renew_deadline {
            return Err("the retry period must be shorter than the renew deadline".into());
        }
        if self.renew_deadline >= self.lease_duration {
            return Err("the renew deadline must be shorter than the lease duration".into());
        }
        Ok(())
    }
}

/// An election: the fence it drives, the task competing for the lease, and how to step down.
pub struct Election {
    fence: Fence,
    tx: Arc<watch::Sender<Standing>>,
    task: parking_lot::Mutex<Option<JoinHandle<()>>>,
    api: Api<Lease>,
    settings: LeaseSettings,
}

impl Election {
    /// An election on `settings`' lease, not competing yet (the fence is closed).
    pub fn new(client: Client, settings: LeaseSettings) -> Election {
        let api = Api::<Lease>::namespaced(client, &settings.namespace);
        let (tx, fence) = Fence::channel(Standing::follower(None));
        Election {
            fence,
            tx: Arc::new(tx),
            task: parking_lot::Mutex::new(None),
            api,
            settings,
        }
    }

    /// Compete for the lease from now on (once; later calls do nothing).
    pub fn campaign(&self) {
        let mut task = self.task.lock();
        if task.is_some() {
            return;
        }
        let changed = Arc::new(Notify::new());
        let elector = Elector {
            api: self.api.clone(),
            settings: self.settings.clone(),
            tx: self.tx.clone(),
            observed: None,
            renewed: None,
        };
        let watching = watch_lease(self.api.clone(), self.settings.name.clone(), changed.clone());
        *task = Some(tokio::spawn(async move {
            tokio::select! {
                () = elector.run(changed) => {}
                () = watching => {}
            }
        }));
    }

    /// An election on `settings`' lease, competing at once.
    pub fn start(client: Client, settings: LeaseSettings) -> Election {
        let e = Election::new(client, settings);
        e.campaign();
        e
    }

    /// The fence this election drives.
    pub fn fence(&self) -> Fence {
        self.fence.clone()
    }

    /// The lease, `namespace/name`.
    pub fn lease(&self) -> String {
        format!("{}/{}", self.settings.namespace, self.settings.name)
    }

    /// This replica's identity.
    pub fn identity(&self) -> &str {
        &self.settings.identity
    }

    /// Stop electing and close the fence at once (nothing more is sent; what is in flight
    /// finishes). [`Election::release`] then gives the lease away.
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().as_ref() {
            task.abort();
        }
        self.tx.send_replace(Standing::follower(None));
    }

    /// Give the lease away when this replica holds it, so that a follower takes over at once
    /// rather than after the lease duration. Call after [`Election::stop`] and after the
    /// in-flight writes are done.
    pub async fn release(&self) {
        let result = async {
            let Some(mut lease) = self.api.get_opt(&self.settings.name).await? else {
                return Ok::<_, kube::Error>(false);
            };
            let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
            if spec.holder_identity.as_deref() != Some(self.settings.identity.as_str()) {
                return Ok(false);
            }
            // As client-go releases: no holder, a one-second lease renewed now.
            let now = MicroTime(jiff::Timestamp::now());
            spec.holder_identity = None;
            spec.lease_duration_seconds = Some(1);
            spec.acquire_time = Some(now.clone());
            spec.renew_time = Some(now);
            self.api
                .replace(&self.settings.name, &PostParams::default(), &lease)
                .await?;
            Ok(true)
        }
        .await;
        match result {
            Ok(true) => tracing::info!(lease = self.lease(), "leader lease released"),
            Ok(false) => {}
            Err(e) => tracing::warn!(
                lease = self.lease(),
                "cannot release the leader lease: {e}; it expires by itself"
            ),
        }
    }
}

impl Drop for Election {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().take() {
            task.abort();
        }
    }
}

/// Wake the elector whenever the Lease changes (a release, a new holder).
async fn watch_lease(api: Api<Lease>, name: String, changed: Arc<Notify>) {
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(_) => changed.notify_one(),
            Err(e) => tracing::debug!("lease watch: {e}"),
        }
    }
    std::future::pending::<()>().await;
}

/// The election loop's state.
struct Elector {
    api: Api<Lease>,
    settings: LeaseSettings,
    tx: Arc<watch::Sender<Standing>>,
    /// The lease's last `resourceVersion` seen, and when it was first seen (monotonic).
    observed: Option<(String, Instant)>,
    /// When the last successful renewal (or acquisition) was sent, while leading.
    renewed: Option<Instant>,
}

impl Elector {
    /// When the lease as last seen runs out (its record first seen plus its duration), if held
    /// by another.
    fn expiry(&self, holder_duration: Duration) -> Option<Instant> {
        self.observed.as_ref().map(|(_, seen)| *seen + holder_duration)
    }
}

/// What one attempt found.
enum Attempt {
    /// This replica holds the lease; the write was sent at that instant.
    Holds(Instant),
    /// Someone else holds it (until then, unless renewed, when known).
    Other(Option<String>, Option<Instant>),
}

impl Elector {
    async fn run(mut self, changed: Arc<Notify>) {
        loop {
            let leading = self.renewed.is_some();
            if let Some(renewed) = self.renewed
                && Instant::now() >= renewed + self.settings.renew_deadline
            {
                // Not renewed in time (the API server unreachable, or this process paused):
                // the fence is already closed by the clock; say so and compete again.
                self.lose(None, "the lease was not renewed within the renew deadline");
                continue;
            }
            let mut wait = self.settings.retry_period;
            match self.attempt().await {
                Ok(Attempt::Holds(sent)) => self.hold(sent),
                Ok(Attempt::Other(holder, expiry)) => {
                    if leading {
                        self.lose(holder.clone(), "another replica holds the lease");
                    }
                    self.follow(holder);
                    // Try again the moment the lease runs out, not at the next tick after.
                    if let Some(expiry) = expiry {
                        wait = wait.min(expiry.saturating_duration_since(Instant::now()) + EXPIRY_MARGIN);
                    }
                }
                Err(e) => tracing::warn!(lease = %self.settings.name, "leader election: {e}"),
            }
            if self.renewed.is_some() {
                tokio::time::sleep(wait).await;
            } else {
                // A follower also wakes when the Lease changes (released: take it at once).
                let _ = tokio::time::timeout(wait, changed.notified()).await;
            }
        }
    }

    /// One try to acquire or renew, as client-go's `tryAcquireOrRenew`.
    async fn attempt(&mut self) -> Result<Attempt, kube::Error> {
        let me = self.settings.identity.clone();
        let sent = Instant::now();
        let now = MicroTime(jiff::Timestamp::now());
        let duration = i32::try_from(self.settings.lease_duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.settings.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.settings.name.clone()),
                    namespace: Some(self.settings.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(duration),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Holds(sent)),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Other(None, None)),
                Err(e) => Err(e),
            };
        };
        let version = lease.metadata.resource_version.clone().unwrap_or_default();
        let first_seen = match &self.observed {
            Some((v, at)) if *v == version => *at,
            _ => {
                self.observed = Some((version, sent));
                sent
            }
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let record_duration = Duration::from_secs(spec.lease_duration_seconds.unwrap_or(0).max(0) as u64);
        let mine = holder.as_deref() == Some(me.as_str());
        if holder.is_some() && !mine && sent < first_seen + record_duration {
            let expiry = self.expiry(record_duration);
            return Ok(Attempt::Other(holder, expiry));
        }
        if !mine {
            spec.holder_identity = Some(me);
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.renew_time = Some(now);
        spec.lease_duration_seconds = Some(duration);
        match self
            .api
            .replace(&self.settings.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(Attempt::Holds(sent)),
            // Someone wrote it since our read: read again next time.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Other(holder.filter(|_| !mine), None)),
            Err(e) => Err(e),
        }
    }

    /// This replica holds the lease since `sent`: the fence opens until `sent` + renew deadline.
    fn hold(&mut self, sent: Instant) {
        if self.renewed.is_none() {
            tracing::info!(
                identity = self.settings.identity,
                "became the leader: writing from now on"
            );
        }
        self.renewed = Some(sent);
        self.tx.send_replace(Standing {
            role: Role::Leader,
            until: Some(sent + self.settings.renew_deadline),
        });
    }

    /// Leadership ends (the fence closes; the process goes on as a follower).
    fn lose(&mut self, holder: Option<String>, why: &str) {
        self.renewed = None;
        tracing::warn!(
            identity = self.settings.identity,
            "lost the leadership: {why}; following from now on"
        );
        self.tx.send_replace(Standing::follower(holder));
    }

    /// Record who leads, when it changed.
    fn follow(&mut self, holder: Option<String>) {
        let current = self.tx.borrow().role.clone();
        let next = Role::Follower { leader: holder.clone() };
        if current != next {
            tracing::info!(leader = holder.as_deref().unwrap_or("none"), "following");
            self.tx.send_replace(Standing::follower(holder));
        }
    }
}
