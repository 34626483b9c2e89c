//! One kube-rs watcher per kind, feeding the shared [`Cache`] and waking the reconcile loop.
//!
//! Watches are untyped ([`DynamicObject`]) so that one malformed object is skipped by the cache
//! instead of failing a whole list. Watch errors (API server unreachable, RBAC, an expired
//! resource version) are logged and retried with kube's default backoff; a watch never ends
//! while the process runs, and a failed watch never counts as "the objects are gone".
//!
//! Secrets: only `type=kubernetes.io/tls` are watched (a field selector, so the API server does
//! the filtering). Ingresses reference nothing else, and clusters hold many more Secrets of
//! other types (service-account tokens, Helm releases, opaque application secrets) that would
//! only cost memory: AKO, which caches every Secret, used 456 MB with 14k of them. Watching
//! only the referenced ones by name would be tighter still but needs the reverse index (issue 6).

use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::Notify;

use super::cache::{Cache, Cached, Kind};

/// The cache and the signal that it changed, shared by the watchers and the reconcile loop.
#[derive(Clone)]
pub struct Shared {
    cache: Arc<Mutex<Cache>>,
    /// Notified on every change (and when a kind completes its initial list).
    pub changed: Arc<Notify>,
}

impl Shared {
    /// A cache expecting `kinds`.
    pub fn new(kinds: &[Kind]) -> Self {
        Shared {
            cache: Arc::new(Mutex::new(Cache::new(kinds.iter().copied()))),
            changed: Arc::new(Notify::new()),
        }
    }

    /// The cache, locked. Never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, Cache> {
        // A poisoned lock means a panic elsewhere; the data is still the best we have.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Start the watcher of kind `K` (with an optional field selector) on the current runtime.
pub fn spawn<K: Cached>(client: Client, fields: Option<&str>, shared: Shared) {
    let mut config = watcher::Config::default();
    if let Some(f) = fields {
        config = config.fields(f);
    }
    tokio::spawn(async move {
        let api = Api::<DynamicObject>::all_with(client, &ApiResource::erase::<K>(&()));
        let mut events = watcher(api, config).default_backoff().boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    let changed = shared.lock().apply::<K>(event);
                    if changed {
                        shared.changed.notify_one();
                    }
                }
                Err(e) => tracing::warn!(kind = ?K::KIND, error = %e, "watch failed; retrying with backoff"),
            }
        }
        tracing::error!(kind = ?K::KIND, "watch ended");
    });
}
