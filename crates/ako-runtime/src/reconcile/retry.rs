//! Keys (models, statuses) waiting for a retry, each with its own exponential backoff with
//! jitter ([`avi_client::backoff`]): 1 s, doubling to 60 s, so one failing model is retried
//! alone without delaying or hammering anything else.

use std::collections::BTreeMap;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::time::Instant;

/// First wait before a retry.
const FIRST: Duration = Duration::from_secs(1);
/// Longest wait between two retries of one key.
const LONGEST: Duration = Duration::from_secs(60);

/// One key's next retry and its backoff.
#[derive(Debug)]
struct Pending {
    at: Instant,
    backoff: ExponentialBackoff,
}

/// Keys waiting for a retry.
#[derive(Debug)]
pub struct Retries<K> {
    pending: BTreeMap<K, Pending>,
    builder: ExponentialBuilder,
}

impl<K: Ord + Clone> Default for Retries<K> {
    fn default() -> Self {
        Retries {
            pending: BTreeMap::new(),
            builder: avi_client::backoff(FIRST, LONGEST).without_max_times(),
        }
    }
}

impl<K: Ord + Clone> Retries<K> {
    /// `key` failed (again): its next retry is one backoff step later.
    pub fn failed(&mut self, key: K) {
        let now = Instant::now();
        let builder = self.builder;
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            at: now,
            backoff: builder.build(),
        });
        p.at = now + p.backoff.next().unwrap_or(LONGEST);
    }

    /// `key` succeeded: no retry, and a later failure starts from the first step again.
    pub fn succeeded(&mut self, key: &K) {
        self.pending.remove(key);
    }

    /// Whether `key` waits for a retry.
    pub fn contains(&self, key: &K) -> bool {
        self.pending.contains_key(key)
    }

    /// The keys whose retry is due at `now`.
    pub fn due(&self, now: Instant) -> impl Iterator<Item = &K> {
        self.pending.iter().filter(move |(_, p)| p.at <= now).map(|(k, _)| k)
    }

    /// Every key waiting.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.pending.keys()
    }

    /// When the earliest retry is due.
    pub fn next(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.at).min()
    }

    /// How many keys wait.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Forget every key.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_key_backs_off_on_its_own_and_success_resets_it() {
        let mut r = Retries::default();
        let t0 = Instant::now();
        r.failed("a");
        let first = r.next().unwrap() - t0;
        assert!(first >= FIRST / 2 && first <= FIRST, "{first:?}");
        r.failed("a");
        r.failed("a");
        let third = r.next().unwrap() - t0;
        assert!(third >= 2 * FIRST && third <= 4 * FIRST, "{third:?}");
        r.failed("b");
        assert_eq!(r.len(), 2);
        tokio::time::advance(FIRST).await;
        let due: Vec<_> = r.due(Instant::now()).copied().collect();
        assert_eq!(due, ["b"], "a waits for its own, longer backoff");
        r.succeeded(&"a");
        r.failed("a");
        let again = r.next().unwrap() - Instant::now();
        assert!(again <= FIRST, "the backoff starts over after a success: {again:?}");
        for _ in 0..20 {
            r.failed("c");
        }
        let c = r.pending[&"c"].at - Instant::now();
        assert!(c <= LONGEST && c >= LONGEST / 2, "capped: {c:?}");
    }
}
