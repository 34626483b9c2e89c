//! Answers about PEM texts remembered per text (by a digest), for the checks that cost more than
//! the rest of a host's translation (loading a key, parsing a certificate): a model is translated
//! again on every change of it, and each text is checked once per process.

use std::collections::HashMap;
use std::sync::Mutex;

use sha1::{Digest, Sha1};

/// Texts remembered at most; past it the memory starts afresh (a cluster has far fewer).
const REMEMBERED: usize = 100_000;

/// One check's remembered answers.
#[derive(Default)]
pub struct Memo<T> {
    seen: Mutex<HashMap<[u8; 20], T>>,
}

impl<T: Copy> Memo<T> {
    /// The answer for `texts` (taken together), computed by `check` the first time.
    pub fn get_or(&self, texts: &[&str], check: impl FnOnce() -> T) -> T {
        let mut hasher = Sha1::new();
        for t in texts {
            // The lengths keep ("ab", "c") and ("a", "bc") apart.
            hasher.update(t.len().to_le_bytes());
            hasher.update(t);
        }
        let digest: [u8; 20] = hasher.finalize().into();
        if let Some(known) = self.lock().get(&digest) {
            return *known;
        }
        let answer = check();
        let mut map = self.lock();
        if map.len() >= REMEMBERED {
            map.clear();
        }
        map.insert(digest, answer);
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 20], T>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}
