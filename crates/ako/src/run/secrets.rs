//! The Secrets translation holds: exactly the Secrets some Ingress names in `spec.tls`, fetched when an
//! Ingress starts naming one or its resource version changes, dropped when no Ingress names it
//! or it is deleted. The watch only sees names and versions ([`super::watch::spawn_secrets`]).

use std::collections::BTreeSet;

use ako_translate::Deps;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use super::cache::Cache;

/// `(namespace, name)`.
type Key = (String, String);

/// At most this many Secrets are fetched at once.
const CONCURRENT_FETCHES: usize = 16;

/// What to fetch and what to drop so the snapshot holds exactly the referenced Secrets that
/// exist, at their latest version.
pub fn reconcile_plan(cache: &Cache, deps: &Deps) -> (Vec<Key>, Vec<Key>) {
    let fetch = deps
        .referenced_secrets()
        .filter(|key| {
            let Some(version) = cache.secret_versions.get(*key) else {
                return false;
            };
            let held = cache.snapshot.secrets.get(*key);
            held.and_then(|s| s.metadata.resource_version.as_ref()) != Some(version)
        })
        .cloned()
        .collect();
    let drop = cache
        .snapshot
        .secrets
        .keys()
        .filter(|key| !deps.secret_referenced(key) || !cache.secret_versions.contains_key(*key))
        .cloned()
        .collect();
    (fetch, drop)
}

/// GET each Secret; `None` for one that is gone (404). Other errors are logged and the Secret
/// is left out (it is retried on the next pass that sees it changed, or the next resync).
pub async fn fetch(client: &kube::Client, keys: Vec<Key>) -> Vec<(Key, Option<Secret>)> {
    futures::stream::iter(keys)
        .map(|key| async move {
            let api = Api::<Secret>::namespaced(client.clone(), &key.0);
            match api.get_opt(&key.1).await {
                Ok(found) => Some((key, found)),
                Err(e) => {
                    tracing::warn!(namespace = %key.0, name = %key.1, "cannot read Secret: {e}");
                    None
                }
            }
        })
        .buffer_unordered(CONCURRENT_FETCHES)
        .filter_map(|r| async move { r })
        .collect()
        .await
}

/// Put the fetched Secrets in the snapshot and drop the others; the keys that changed.
pub fn apply(cache: &mut Cache, fetched: Vec<(Key, Option<Secret>)>, drop: Vec<Key>) -> BTreeSet<Key> {
    let mut changed = BTreeSet::new();
    for key in drop {
        if cache.snapshot.secrets.remove(&key).is_some() {
            changed.insert(key);
        }
    }
    for (key, secret) in fetched {
        match secret {
            Some(mut s) => {
                s.metadata.managed_fields = None;
                cache.snapshot.insert_secret(s);
            }
            None => {
                cache.snapshot.secrets.remove(&key);
            }
        }
        changed.insert(key);
    }
    changed
}
