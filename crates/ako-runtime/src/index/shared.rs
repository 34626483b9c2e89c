//! The index shared by its one writer at a time (the sources) and the reconcile loop, with the
//! signal that it changed.

use std::sync::{Arc, Mutex, MutexGuard};

use ako_translate::kinds::Kind;
use tokio::sync::Notify;

use super::Index;
use crate::watch_health::WatchHealth;

/// The index and its change signal.
#[derive(Clone, Debug)]
pub struct Shared {
    index: Arc<Mutex<Index>>,
    /// Notified on every change (and when a kind completes its initial list).
    pub changed: Arc<Notify>,
    /// Which watches feeding the index are failing.
    pub health: WatchHealth,
}

impl Shared {
    /// An index expecting `kinds` to be listed.
    pub fn new(kinds: impl IntoIterator<Item = Kind>) -> Self {
        Shared {
            index: Arc::new(Mutex::new(Index::new(kinds))),
            changed: Arc::new(Notify::new()),
            health: WatchHealth::default(),
        }
    }

    /// The index, locked. Never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, Index> {
        // A poisoned lock means a panic elsewhere; the data is still the best we have.
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the index and wake the reconcile loop when it says something changed.
    pub fn update(&self, f: impl FnOnce(&mut Index) -> bool) {
        let changed = f(&mut self.lock());
        if changed {
            self.changed.notify_one();
        }
    }
}
