//! The kube-rs watchers: one per kind the settings call for ([`InputKind::watched`]), feeding
//! the shared [`Index`](crate::index::Index) and waking the reconcile loop.
//!
//! Watches of whole objects are untyped ([`DynamicObject`]) so that one malformed object is
//! skipped by the index instead of failing a whole list. Kinds watched as
//! [`Watch::Referenced`] are watched as metadata only ([`PartialObjectMeta`]). Watch errors
//! (API server unreachable, RBAC, an expired resource version) are logged and retried with
//! kube's default backoff; a watch never ends while the process runs, and a failed watch never
//! counts as "the objects are gone".
//!
//! The CRDs of [optional](InputKind::OPTIONAL) kinds (AKO's HostRule, HTTPRule) may be missing:
//! such a kind then counts as listed with no objects (the feature is off, logged once) and is
//! looked for again every [`CRD_POLL`] until its CRD appears, when it is watched like any other.

use std::collections::BTreeSet;
use std::time::Duration;

use ako_translate::Settings;
use ako_translate::kinds::{InputKind, Kind, KindVisitor, Watch, for_each};
use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, ListParams, PartialObjectMeta};
use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use crate::index::Shared;

/// How often the CRD of an optional kind that is missing is looked for again.
pub const CRD_POLL: Duration = Duration::from_secs(10);

/// Start a watcher, on the current runtime, for every kind `settings` calls for that is not in
/// `watching` yet (settings change live: NodePortLocal turned on starts watching Pods), and
/// add it there; the index expects its initial list.
pub fn spawn(client: &Client, shared: &Shared, settings: &Settings, watching: &mut BTreeSet<Kind>) {
    struct Spawn<'a> {
        client: &'a Client,
        shared: &'a Shared,
        settings: &'a Settings,
        watching: &'a mut BTreeSet<Kind>,
    }
    impl KindVisitor for Spawn<'_> {
        fn visit<K: InputKind>(&mut self) {
            if !K::watched(self.settings) || !self.watching.insert(K::KIND) {
                return;
            }
            self.shared.lock().expect(K::KIND);
            match K::WATCH {
                Watch::Objects if K::OPTIONAL => spawn_optional::<K>(self.client.clone(), self.shared.clone()),
                Watch::Objects => spawn_objects::<K>(self.client.clone(), self.shared.clone()),
                Watch::Referenced => spawn_meta::<K>(self.client.clone(), self.shared.clone()),
            }
        }
    }
    for_each(&mut Spawn {
        client,
        shared,
        settings,
        watching,
    });
}

/// Watch whole objects of kind `K`.
fn spawn_objects<K: InputKind>(client: Client, shared: Shared) {
    tokio::spawn(watch_objects::<K>(client, shared));
}

async fn watch_objects<K: InputKind>(client: Client, shared: Shared) {
    let api = Api::<DynamicObject>::all_with(client, &ApiResource::erase::<K>(&()));
    let mut events = watcher(api, watcher::Config::default()).backoff(backoff()).boxed();
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => {
                shared.health.ok(K::KIND);
                shared.update(|index| index.apply::<K>(event));
            }
            Err(e) => failed::<K>(&shared, &e),
        }
    }
    tracing::error!(kind = %K::KIND, "watch ended");
}

/// The watchers' backoff after an error: client-go's (from 800 ms, doubling, jittered, reset after
/// 2 minutes without errors) but capped at 5 s instead of 30 s, so that watches broken by an API
/// server outage resume within seconds of its return. The price while it is down: one request per
/// watched kind every 5 s.
fn backoff() -> ResetTimerBackoff<watcher::ExponentialBackoff> {
    let exponential = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(800))
        .with_max_delay(Duration::from_secs(5))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times();
    ResetTimerBackoff::new(exponential.into(), Duration::from_secs(120))
}

/// A watch error: logged and shown (`/api/status`, metrics) until the watch delivers again. The
/// watcher retries with backoff; on 410 Gone (its resource version compacted away) it lists
/// again from scratch.
fn failed<K: InputKind>(shared: &Shared, e: &watcher::Error) {
    tracing::warn!(kind = %K::KIND, error = %e, "watch failed; retrying with backoff");
    shared.health.failed(K::KIND, e);
}

/// Watch kind `K` once its CRD is there; until then it counts as listed, with no objects.
fn spawn_optional<K: InputKind>(client: Client, shared: Shared) {
    tokio::spawn(async move {
        let api = Api::<DynamicObject>::all_with(client.clone(), &ApiResource::erase::<K>(&()));
        let mut off = false;
        while let Err(e) = api.list(&ListParams::default().limit(1)).await {
            if !off {
                off = true;
                match &e {
                    kube::Error::Api(s) if s.code == 404 => tracing::info!(
                        kind = %K::KIND,
                        "its CustomResourceDefinition is not installed: the feature is off until it is"
                    ),
                    _ => tracing::warn!(
                        kind = %K::KIND,
                        error = %e,
                        "cannot list (check the CRD and the ClusterRole): the feature is off until it can"
                    ),
                }
                // The rest of the cluster is served meanwhile: an empty initial list.
                shared.update(|index| index.apply::<K>(watcher::Event::Init));
                shared.update(|index| index.apply::<K>(watcher::Event::InitDone));
            }
            tokio::time::sleep(CRD_POLL).await;
        }
        if off {
            tracing::info!(kind = %K::KIND, "its CustomResourceDefinition is installed: watching");
        }
        watch_objects::<K>(client, shared).await;
    });
}

/// Watch the names and versions of kind `K`.
fn spawn_meta<K: InputKind>(client: Client, shared: Shared) {
    tokio::spawn(async move {
        // An Api of PartialObjectMeta lists and watches metadata only.
        let api = Api::<PartialObjectMeta<K>>::all(client);
        let mut events = watcher(api, watcher::Config::default()).backoff(backoff()).boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    shared.health.ok(K::KIND);
                    shared.update(|index| index.apply_meta::<K>(event));
                }
                Err(e) => failed::<K>(&shared, &e),
            }
        }
        tracing::error!(kind = %K::KIND, "watch ended");
    });
}
