//! Retry policy: which failures may be retried for which method, and the backoff every retry
//! of ako-rs uses ([`backoff`]).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
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

/// The backoff of every retry in ako-rs (requests here, sync rounds, per-model retries, start-up
/// steps): delays growing exponentially from `first` up to `longest`, each with "equal jitter"
/// (uniform in the upper half of the step) so that many clients failing together do not retry in
/// lock-step yet still back off. backon's jitter adds up to one step to the step, so the steps
/// are half the delays. At most three retries unless the caller says otherwise
/// (`.without_max_times()`, `.with_max_times(n)`).
pub fn backoff(first: Duration, longest: Duration) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(first / 2)
        .with_max_delay(longest / 2)
        .with_jitter()
}

/// The delays between the attempts of one request.
pub(crate) fn delays(policy: &RetryConfig) -> impl Iterator<Item = Duration> {
    backoff(policy.base_delay, policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .build()
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
    fn backoff_grows_with_equal_jitter_and_is_capped() {
        let p = RetryConfig {
            max_attempts: 21,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        let ms = Duration::from_millis;
        for _ in 0..50 {
            let d: Vec<Duration> = delays(&p).collect();
            assert_eq!(d.len(), 20, "one delay before each retry");
            assert!(d[0] >= ms(50) && d[0] <= ms(100), "{:?}", d[0]);
            assert!(d[2] >= ms(200) && d[2] <= ms(400), "{:?}", d[2]);
            assert!(d[19] >= ms(500) && d[19] <= ms(1000), "{:?}", d[19]);
        }
        assert_eq!(delays(&RetryConfig::none()).count(), 0);
    }
}
