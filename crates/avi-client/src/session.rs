//! Login and session state: cookies, CSRF token, single-flight re-login, version negotiation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Method;
use reqwest::cookie::CookieStore;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::client::{Call, Inner};
use crate::config::Credential;
use crate::error::{Error, Result, message_from_body};
use crate::retry;
use crate::version;

/// Cookie carrying the CSRF token that must be echoed in `X-CSRFToken`.
const CSRF_COOKIE: &str = "csrftoken";
/// Cookies that make up a session; all are forgotten before a new login.
const SESSION_COOKIES: &[&str] = &[CSRF_COOKIE, "sessionid", "avi-sessionid"];

/// What a request needs to know about the current session. Deliberately not `Debug`:
/// the CSRF token must not end up in logs.
#[derive(Clone, Default)]
pub(crate) struct Snapshot {
    /// Number of successful logins so far; 0 means "never logged in".
    pub(crate) generation: u64,
    /// Value for `X-CSRFToken`, if the controller set the cookie.
    pub(crate) csrf: Option<Arc<str>>,
}

/// Bookkeeping of login attempts, guarded by the async login lock.
#[derive(Default)]
struct Attempts {
    /// Outcome of the most recent attempt, shared with requests that waited for it.
    last_error: Option<Error>,
}

/// Session state shared by all clones of a client.
#[derive(Default)]
pub(crate) struct Session {
    current: parking_lot::RwLock<Snapshot>,
    /// Serialises logins: whoever holds it logs in; the others wait and reuse the result.
    login: tokio::sync::Mutex<Attempts>,
    /// Count of finished login attempts, readable without the lock. A waiter compares it
    /// before and after taking the lock to learn whether an attempt finished meanwhile.
    attempts_finished: AtomicU64,
}

impl Session {
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.current.read().clone()
    }
}

impl Inner {
    /// Log in again because a request made with session `observed` was rejected.
    ///
    /// Single-flight: if another task already replaced that session, or a login attempt
    /// finished while we were waiting, its outcome is reused instead of logging in again.
    /// So N concurrent 401s cause one login, and a bad password causes one refused login.
    pub(crate) async fn relogin(&self, observed: u64) -> Result<()> {
        let finished_before = self.session.attempts_finished.load(Ordering::Acquire);
        let mut attempts = self.session.login.lock().await;
        if self.session.current.read().generation != observed {
            return Ok(());
        }
        if self.session.attempts_finished.load(Ordering::Acquire) != finished_before
            && let Some(err) = &attempts.last_error
        {
            return Err(err.clone());
        }
        let outcome = self.login_now().await;
        attempts.last_error = outcome.as_ref().err().cloned();
        self.session.attempts_finished.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    /// Perform `POST /login` and install the new session. Caller holds the login lock.
    async fn login_now(&self) -> Result<()> {
        // Forget the previous session so the login carries no stale cookies (as the Go SDK
        // does); a stale session cookie without a matching CSRF header can be refused.
        for name in SESSION_COOKIES {
            self.jar
                .add_cookie_str(&format!("{name}=; Max-Age=0; Path=/"), &self.base);
        }

        let body = {
            let credential = self.credential.read().clone();
            let (field, secret) = match &credential {
                Credential::Password(p) => ("password", p.expose_secret()),
                Credential::Token(t) => ("token", t.expose_secret()),
            };
            let mut value = json!({"username": self.config.username});
            value[field] = json!(secret);
            // serde_json errors never include the data, so this message cannot leak the secret.
            serde_json::to_vec(&value).map_err(|e| Error::Config(format!("cannot encode login: {e}")))?
        };
        let call = Call::new(Method::POST, self.url_for("login")?, &self.default_tenant).with_body(body);

        let policy = &self.config.retry;
        let mut attempt = 1;
        let mut delays = retry::delays(policy);
        let no_session = Snapshot::default();
        loop {
            let err = match self.send_once(&call, &no_session, attempt).await {
                Ok((status, _)) if status.is_success() => break,
                Ok((status, body)) if status.as_u16() == 401 => {
                    // Wrong credentials do not get better by retrying; report at once.
                    return Err(Error::InvalidCredentials {
                        message: message_from_body(&body),
                    });
                }
                Ok((status, body)) => Error::api(status.as_u16(), &body, "POST", &call.path),
                Err(e) => e,
            };
            // Logging in only creates a session, so it is safe to repeat like an idempotent call.
            if !retry::should_retry(true, &err) {
                return Err(err);
            }
            let Some(delay) = delays.next() else {
                return Err(err);
            };
            tokio::time::sleep(delay).await;
            attempt += 1;
        }

        let csrf = self.csrf_from_jar();
        if csrf.is_none() {
            tracing::warn!("controller set no csrftoken cookie on login; requests will carry no X-CSRFToken");
        }
        let generation = {
            let mut current = self.session.current.write();
            current.generation += 1;
            current.csrf = csrf;
            current.generation
        };
        tracing::info!(generation, user = %self.config.username, "logged in to Avi controller");
        Ok(())
    }

    fn csrf_from_jar(&self) -> Option<Arc<str>> {
        let header = self.jar.cookies(&self.base)?;
        let text = header.to_str().ok()?;
        text.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == CSRF_COOKIE && !value.is_empty()).then(|| Arc::from(value))
        })
    }

    /// Make sure there is a session and (unless pinned) a negotiated API version.
    pub(crate) async fn ensure_ready(&self) -> Result<()> {
        let snap = self.session.snapshot();
        if snap.generation == 0 {
            self.relogin(0).await?;
        }
        if self.config.api_version.is_none() {
            self.negotiated.get_or_try_init(|| self.negotiate_version()).await?;
        }
        Ok(())
    }

    /// `GET /api/initial-data`, read `version.Version`, cap it (AKO's behaviour).
    async fn negotiate_version(&self) -> Result<String> {
        let call = Call::new(Method::GET, self.url_for("api/initial-data")?, &self.default_tenant);
        let body = self.execute_inner(&call).await?;
        let data: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| Error::decode("GET", &call.path, e.to_string()))?;
        let reported = data
            .pointer("/version/Version")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| Error::decode("GET", &call.path, "no version.Version in initial-data"))?;
        let chosen = version::negotiate(reported);
        tracing::info!(controller_version = reported, api_version = %chosen, "negotiated X-Avi-Version");
        Ok(chosen)
    }
}
