//! Retrying the steps that must eventually work (start-up, controller re-reads) with ako-rs's
//! one backoff ([`avi_client::backoff`]), 1 s doubling to 30 s, forever, logging each failure.
//! Per-model retries of the reconcile loop use the same backoff, per key
//! ([`crate::reconcile::retry`]).

use std::future::Future;
use std::time::Duration;

use backon::Retryable;

/// Run `step` until it succeeds, logging each failure as `what: <error>; retrying`.
pub async fn retry_forever<T, F, Fut>(what: &str, step: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let result = step
        .retry(avi_client::backoff(Duration::from_secs(1), Duration::from_secs(30)).without_max_times())
        .notify(|e: &anyhow::Error, wait: Duration| {
            tracing::error!(retry_in_ms = wait.as_millis() as u64, "{what}: {e:#}; retrying");
        })
        .await;
    match result {
        Ok(v) => v,
        // Unreachable without a limit on attempts; kept total rather than panicking.
        Err(e) => {
            tracing::error!("{what}: {e:#}; giving up");
            std::future::pending().await
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_until_the_step_works() {
        let calls = AtomicU32::new(0);
        let v = retry_forever("step", || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < 3 { Err(anyhow::anyhow!("not yet")) } else { Ok(n) }
        })
        .await;
        assert_eq!(v, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
