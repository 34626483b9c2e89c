//! The kube-rs watchers: one per kind the settings call for ([`InputKind::watched`]), feeding
//! the shared [`Index`](crate::index::Index) and waking the reconcile loop.
//!
//! Watches of whole objects are untyped ([`DynamicObject`]) so that one malformed object is
//! skipped by the index instead of failing a whole list. Kinds watched as
//! [`Watch::Referenced`] are watched as metadata only ([`PartialObjectMeta`]). Watch errors
//! (API server unreachable, RBAC, an expired resource version) are logged and retried with
//! kube's default backoff; a watch never ends while the process runs, and a failed watch never
//! counts as "the objects are gone".

use std::collections::BTreeSet;

use ako_translate::Settings;
use ako_translate::kinds::{InputKind, Kind, KindVisitor, Watch, for_each};
use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, PartialObjectMeta};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use crate::index::Shared;

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
    tokio::spawn(async move {
        let api = Api::<DynamicObject>::all_with(client, &ApiResource::erase::<K>(&()));
        let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => shared.update(|index| index.apply::<K>(event)),
                Err(e) => tracing::warn!(kind = %K::KIND, error = %e, "watch failed; retrying with backoff"),
            }
        }
        tracing::error!(kind = %K::KIND, "watch ended");
    });
}

/// Watch the names and versions of kind `K`.
fn spawn_meta<K: InputKind>(client: Client, shared: Shared) {
    tokio::spawn(async move {
        // An Api of PartialObjectMeta lists and watches metadata only.
        let api = Api::<PartialObjectMeta<K>>::all(client);
        let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => shared.update(|index| index.apply_meta::<K>(event)),
                Err(e) => tracing::warn!(kind = %K::KIND, error = %e, "watch failed; retrying with backoff"),
            }
        }
        tracing::error!(kind = %K::KIND, "watch ended");
    });
}
