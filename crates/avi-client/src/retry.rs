//! Retry policy: which failures may be retried for which method, and the jittered backoff.

use std::time::Duration;

use rand::Rng;
use reqwest::Method;

use crate::config::RetryConfig;
use crate::error::Error;

/// Methods whose repetition has the same effect as a single call (PUT carries the full object).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether a failed attempt may be repeated.
///
/// * Idempotent methods: transport errors, timeouts, 5xx and 408.
/// * POST (creates): only when the controller provably did not process the request — no
///   connection could be established, or it answered 408 (it gave up before reading the
///   request). A 5xx or a lost response after sending could mean the object now exists.
pub(crate) fn should_retry(idempotent: bool, err: &Error) -> bool {
    match err {
        Error::Transport { connect: true, .. } => true,
        Error::Transport { .. } | Error::Timeout { .. } => idempotent,
        Error::Api { status: 408, .. } => true,
        Error::Api { status, .. } => idempotent && (500..=599).contains(status),
        _ => false,
    }
}

/// Delay before retry number `retry` (1 for the first retry): exponential growth from
/// `base_delay`, capped at `max_delay`, with "equal jitter" (uniform in the upper half) so
/// that many clients failing together do not retry in lock-step yet still back off.
pub(crate) fn backoff(policy: &RetryConfig, retry: u32) -> Duration {
    let exp = retry.saturating_sub(1).min(31);
    let ceiling = policy.base_delay.saturating_mul(1u32 << exp).min(policy.max_delay);
    let half = ceiling / 2;
    let jitter_nanos = rand::rng().random_range(0..=half.as_nanos().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_nanos(jitter_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            message: String::new(),
            method: String::new(),
            path: String::new(),
        }
    }

    fn timeout() -> Error {
        Error::Timeout {
            method: String::new(),
            path: String::new(),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn idempotent_methods_retry_server_errors() {
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            assert!(should_retry(is_idempotent(&m), &api(503)), "{m}");
            assert!(should_retry(is_idempotent(&m), &api(500)), "{m}");
            assert!(should_retry(is_idempotent(&m), &api(408)), "{m}");
            assert!(should_retry(is_idempotent(&m), &timeout()), "{m}");
            assert!(!should_retry(is_idempotent(&m), &api(404)), "{m}");
            assert!(!should_retry(is_idempotent(&m), &api(409)), "{m}");
        }
    }

    #[test]
    fn post_is_not_blindly_retried() {
        assert!(!should_retry(is_idempotent(&Method::POST), &api(503)));
        assert!(!should_retry(is_idempotent(&Method::POST), &api(500)));
        assert!(!should_retry(is_idempotent(&Method::POST), &timeout()));
        assert!(should_retry(is_idempotent(&Method::POST), &api(408)));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryConfig {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let d1 = backoff(&p, 1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = backoff(&p, 3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d20 = backoff(&p, 20);
            assert!(
                d20 >= Duration::from_millis(500) && d20 <= Duration::from_millis(1000),
                "{d20:?}"
            );
        }
        assert!(backoff(&p, u32::MAX) <= Duration::from_millis(1000));
    }
}
