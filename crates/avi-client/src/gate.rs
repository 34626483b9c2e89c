//! The write gate: a check made just before each write to the controller is sent, so that a
//! process that may no longer write (a replica that lost its leader lease) stops at once,
//! whatever task the write comes from.

use std::fmt;
use std::sync::Arc;

/// Decides whether a write (any method but GET/HEAD on `/api/...`; the login is not a write)
/// may be sent now: `Err(reason)` refuses it with [`crate::Error::Fenced`]. Called after the
/// request waited for its concurrency permit, right before it goes out, on every attempt.
#[derive(Clone)]
pub struct WriteGate(Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl WriteGate {
    /// A gate asking `check`.
    pub fn new(check: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        WriteGate(Arc::new(check))
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        (self.0)()
    }
}

impl fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteGate")
    }
}
