//! One kube-rs watcher per kind, feeding the shared [`Cache`] and waking the reconcile loop.
//!
//! Watches are untyped ([`DynamicObject`]) so that one malformed object is skipped by the cache
//! instead of failing a whole list. Watch errors (API server unreachable, RBAC, an expired
//! resource version) are logged and retried with kube's default backoff; a watch never ends
//! while the process runs, and a failed watch never counts as "the objects are gone".
//!
//! Secrets: as metadata only (names and resource versions, of every type: AKO serves any Secret
//! with `tls.crt` and `tls.key`, not only `kubernetes.io/tls` ones): clusters hold many Secrets
//! and AKO, which caches every one, used 456 MB with 14k of them. The reconciler fetches the
//! data of the Secrets Ingresses name ([`super::secrets`]) and holds nothing else; of the
//! others only a name and a version are kept.

use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
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

/// Start the watcher of kind `K` on the current runtime.
pub fn spawn<K: Cached>(client: Client, shared: Shared) {
    let config = watcher::Config::default();
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

/// Start the metadata-only watcher of Secrets.
pub fn spawn_secrets(client: Client, shared: Shared) {
    let config = watcher::Config::default();
    tokio::spawn(async move {
        // An Api of PartialObjectMeta lists and watches metadata only.
        let api = Api::<PartialObjectMeta<Secret>>::all(client);
        let mut events = watcher(api, config).default_backoff().boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    let changed = shared.lock().apply_secret(event);
                    if changed {
                        shared.changed.notify_one();
                    }
                }
                Err(e) => tracing::warn!(kind = ?Kind::Secret, error = %e, "watch failed; retrying with backoff"),
            }
        }
        tracing::error!(kind = ?Kind::Secret, "watch ended");
    });
}
