//! Typed errors and the classification helpers AKO-style callers branch on.

use std::sync::Arc;
use std::time::Duration;

/// Longest controller message kept in an error; bodies beyond this are truncated.
const MAX_MESSAGE_LEN: usize = 2048;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to the controller.
///
/// No variant ever carries a password, token, CSRF token or cookie. `Clone` so a single
/// failed login can be reported to every request that waited for it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The controller answered with a non-success status.
    #[error("{method} {path}: HTTP {status}: {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// The controller's `error` field, or the raw (truncated) body if it is not JSON.
        message: String,
        /// HTTP method of the failed request.
        method: String,
        /// Request path (without query).
        path: String,
    },
    /// Login was refused with 401: wrong user name, password or token.
    #[error("login refused: {message}")]
    InvalidCredentials {
        /// The controller's message, e.g. `Invalid credentials`.
        message: String,
    },
    /// The request could not be sent or the response could not be read.
    #[error("{method} {path}: transport error: {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// True if no connection could be established (the request surely was not processed).
        connect: bool,
        /// Underlying error (URL stripped).
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The request did not complete within the configured timeout.
    #[error("{method} {path}: timed out after {timeout:?}")]
    Timeout {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The configured timeout that expired.
        timeout: Duration,
    },
    /// The response body did not have the expected shape.
    #[error("{method} {path}: cannot decode response: {message}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A lookup by name matched more than one object.
    #[error("{object_type} named {name:?}: {count} objects match, expected at most one")]
    Ambiguous {
        /// Object type queried.
        object_type: String,
        /// Name queried.
        name: String,
        /// Number of matches reported.
        count: u64,
    },
    /// The client configuration is invalid or the HTTP client could not be built.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The write gate refused the write: it was not sent.
    #[error("{method} {path}: not sent: {reason}")]
    Fenced {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// Why the gate refused it.
        reason: String,
    },
}

/// Coarse classification of an [`Error`], for `match`-style handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 404: the object (or path) does not exist.
    NotFound,
    /// 409 with "already exists": duplicate name.
    AlreadyExists,
    /// "Cannot delete, object is referred by": delete of a referenced object.
    Referenced,
    /// 412: stale `_last_modified`; re-read and retry.
    PreconditionFailed,
    /// 401 after re-login, or 419.
    Unauthorized,
    /// Login refused.
    InvalidCredentials,
    /// 403 other than the referenced-delete case.
    Forbidden,
    /// Other 4xx.
    BadRequest,
    /// 5xx.
    Server,
    /// Connection or protocol failure.
    Transport,
    /// Timeout.
    Timeout,
    /// Unexpected response shape.
    Decode,
    /// Ambiguous name lookup.
    Ambiguous,
    /// Bad configuration.
    Config,
    /// Refused by the write gate before it was sent.
    Fenced,
}

/// Messages that mean "the controller cannot do this now; try again much later" (AKO's slow retry queue).
const SLOW_RETRY_MESSAGES: &[&str] = &[
    "No available free IPs",
    "Configuration is disallowed during upgrade",
    "VrfContext not found",
    "VrfContext object not found",
    "Network object not found",
];

impl Error {
    /// HTTP status for [`Error::Api`] (and 401 for [`Error::InvalidCredentials`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::InvalidCredentials { .. } => Some(401),
            _ => None,
        }
    }

    /// The controller's message, if the controller answered.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } | Error::InvalidCredentials { message } => Some(message),
            _ => None,
        }
    }

    /// Coarse classification.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api { status, message, .. } => match *status {
                _ if message.contains("Cannot delete, object is referred by") => ErrorKind::Referenced,
                404 => ErrorKind::NotFound,
                409 if message.contains("already exists") => ErrorKind::AlreadyExists,
                412 => ErrorKind::PreconditionFailed,
                401 | 419 => ErrorKind::Unauthorized,
                403 => ErrorKind::Forbidden,
                500..=599 => ErrorKind::Server,
                _ => ErrorKind::BadRequest,
            },
            Error::InvalidCredentials { .. } => ErrorKind::InvalidCredentials,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Ambiguous { .. } => ErrorKind::Ambiguous,
            Error::Config(_) => ErrorKind::Config,
            Error::Fenced { .. } => ErrorKind::Fenced,
        }
    }

    /// 404 (unknown uuid or path). Callers deleting objects usually treat this as success.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// 409 "already exists": an object of this type and name exists in the tenant.
    pub fn is_already_exists(&self) -> bool {
        self.kind() == ErrorKind::AlreadyExists
    }

    /// Delete refused because other objects still reference this one (403, or 400 on old controllers).
    pub fn is_referenced(&self) -> bool {
        self.kind() == ErrorKind::Referenced
    }

    /// 412: the object changed since it was read.
    pub fn is_precondition_failed(&self) -> bool {
        self.kind() == ErrorKind::PreconditionFailed
    }

    /// Login refused.
    pub fn is_invalid_credentials(&self) -> bool {
        matches!(self, Error::InvalidCredentials { .. })
    }

    /// Timed out (the request timeout, or connecting took longer than the connect timeout).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    /// Whether the *operation* is worth retrying later (AKO's `isErrorRetryable`): transport
    /// errors, timeouts, 5xx, 401, 404, 408, 409, 412, and the slow-retry conditions.
    ///
    /// This is about the caller's reconcile loop; the client has already done its own
    /// immediate retries where they were safe.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Api { status, .. } => {
                matches!(status, 401 | 404 | 408 | 409 | 412 | 419 | 500..=599) || self.is_slow_retry()
            }
            _ => false,
        }
    }

    /// Conditions that clear only slowly (IP exhaustion, upgrade, missing VRF/network, missing tenant):
    /// retry on a long interval rather than immediately.
    pub fn is_slow_retry(&self) -> bool {
        match self {
            Error::Api { message, .. } => {
                SLOW_RETRY_MESSAGES.iter().any(|m| message.contains(m))
                    || (message.contains("Tenant '") && message.contains("does not exist"))
            }
            _ => false,
        }
    }

    pub(crate) fn transport(method: &str, path: &str, err: reqwest::Error, timeout: Duration) -> Self {
        // A connect timeout is first of all a failed connection: the request never left, so
        // it stays a `Transport { connect: true }` that even a POST may retry.
        if err.is_timeout() && !err.is_connect() {
            return Error::Timeout {
                method: method.to_owned(),
                path: path.to_owned(),
                timeout,
            };
        }
        Error::Transport {
            method: method.to_owned(),
            path: path.to_owned(),
            connect: err.is_connect(),
            // The path is already in the message; drop the URL so nothing unexpected is echoed.
            source: Arc::new(err.without_url()),
        }
    }

    pub(crate) fn api(status: u16, body: &[u8], method: &str, path: &str) -> Self {
        Error::Api {
            status,
            message: message_from_body(body),
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }

    pub(crate) fn decode(method: &str, path: &str, message: impl Into<String>) -> Self {
        Error::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// Extract the human-readable message from an error body: the `error` field of a JSON object
/// (`{"error": "..."}`), else the whole body as text (e.g. `CSRF token missing or incorrect.`).
pub(crate) fn message_from_body(body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["error", "detail", "message"] {
            if let Some(serde_json::Value::String(s)) = map.get(key) {
                return truncate(s.trim());
            }
        }
    }
    truncate(String::from_utf8_lossy(body).trim())
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_MESSAGE_LEN {
        return s.to_owned();
    }
    let mut end = MAX_MESSAGE_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> Error {
        Error::Api {
            status,
            message: message.into(),
            method: "GET".into(),
            path: "/api/pool".into(),
        }
    }

    #[test]
    fn message_extraction() {
        assert_eq!(
            message_from_body(br#"{"error": "Pool object not found!"}"#),
            "Pool object not found!"
        );
        assert_eq!(
            message_from_body(b"CSRF token missing or incorrect.\n"),
            "CSRF token missing or incorrect."
        );
        assert_eq!(message_from_body(br#"{"foo": 1}"#), r#"{"foo": 1}"#);
        let long = "x".repeat(5000);
        assert!(message_from_body(long.as_bytes()).len() < 2100);
    }

    #[test]
    fn classification() {
        assert!(api(404, "Pool object not found!").is_not_found());
        assert!(api(409, "Pool with name p1 already exists").is_already_exists());
        assert!(!api(409, "conflict").is_already_exists());
        let referred = api(403, "Cannot delete, object is referred by: ['PoolGroup pg1']");
        assert!(referred.is_referenced());
        assert!(!referred.is_retryable());
        assert!(api(400, "Cannot delete, object is referred by: [VCenterServer vc]").is_referenced());
        assert!(api(412, "Need to reload object data VsVip").is_precondition_failed());
        assert!(api(503, "boom").is_retryable());
        assert!(!api(400, "bad field").is_retryable());
        assert_eq!(api(500, "x").kind(), ErrorKind::Server);
        assert_eq!(api(401, "x").status(), Some(401));
    }

    #[test]
    fn slow_retry() {
        for m in [
            "No available free IPs",
            "Configuration is disallowed during upgrade",
            "VrfContext not found",
            "Network object not found",
            "Tenant 't9' does not exist!",
        ] {
            assert!(api(403, m).is_slow_retry(), "{m}");
            assert!(api(400, m).is_retryable(), "{m}");
        }
        assert!(!api(400, "Invalid field").is_slow_retry());
    }

    #[test]
    fn display_is_informative() {
        let e = api(404, "Pool object not found!");
        assert_eq!(e.to_string(), "GET /api/pool: HTTP 404: Pool object not found!");
        let e = Error::InvalidCredentials {
            message: "Invalid credentials".into(),
        };
        assert_eq!(e.to_string(), "login refused: Invalid credentials");
    }
}
