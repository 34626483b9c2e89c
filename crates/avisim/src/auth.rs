//! Sessions as the controller keeps them: `POST /login` (JSON or form, password or token) sets
//! `csrftoken`, `avi-sessionid` and `sessionid`; every API call needs the session cookie, and
//! writes need `X-CSRFToken` matching it. Sessions can be expired on demand (401 on next use)
//! or invalidated (419, what the controller answers after a password change).

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode, header};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The session cookie names the controller sets (same value in both).
pub const SESSION_COOKIES: [&str; 2] = ["avi-sessionid", "sessionid"];

/// A user token from `/api/user-token`, usable in place of the password at login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserToken {
    /// `user-token-<uuid>`.
    pub uuid: String,
    /// The secret.
    pub token: String,
    /// Expiry, seconds since the epoch.
    pub expires_at_secs: u64,
    /// Requested lifetime.
    pub hours: u64,
}

#[derive(Clone, Debug)]
struct Session {
    csrftoken: String,
    /// Status to answer on next use, when the session was expired or invalidated.
    revoked: Option<StatusCode>,
}

/// Live sessions.
#[derive(Default)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
}

/// A new session's cookies.
pub struct NewSession {
    /// Session id.
    pub session_id: String,
    /// CSRF token.
    pub csrftoken: String,
}

impl Sessions {
    /// Open a session.
    pub fn open(&mut self) -> NewSession {
        let session_id = random_token(32);
        let csrftoken = random_token(32);
        self.by_id.insert(
            session_id.clone(),
            Session {
                csrftoken: csrftoken.clone(),
                revoked: None,
            },
        );
        NewSession { session_id, csrftoken }
    }

    /// Close a session (logout).
    pub fn close(&mut self, headers: &HeaderMap) {
        if let Some(id) = session_id(headers) {
            self.by_id.remove(&id);
        }
    }

    /// Mark every session revoked: its next use is answered with `status`, then it is gone.
    pub fn revoke_all(&mut self, status: StatusCode) {
        for s in self.by_id.values_mut() {
            s.revoked = Some(status);
        }
    }

    /// Check a request's session, and its CSRF token on writes.
    pub fn check(&mut self, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Authentication credentials were not provided.",
            )
        };
        let id = session_id(headers).ok_or_else(unauthenticated)?;
        let session = self.by_id.get(&id).ok_or_else(unauthenticated)?.clone();
        if let Some(status) = session.revoked {
            self.by_id.remove(&id);
            return Err(ApiError::new(status, "Session expired, please login again."));
        }
        if is_write(method) {
            let sent = headers.get("x-csrftoken").and_then(|v| v.to_str().ok());
            if sent != Some(session.csrftoken.as_str()) {
                return Err(csrf_failure("CSRF token missing or incorrect."));
            }
            if method == Method::POST && !headers.contains_key(header::REFERER) {
                return Err(csrf_failure("CSRF Failed: Referer checking failed - no Referer."));
            }
        }
        Ok(())
    }
}

/// The controller answers CSRF failures in plain text.
fn csrf_failure(message: &str) -> ApiError {
    ApiError::plain_text(StatusCode::UNAUTHORIZED, message)
}

/// True for methods that change state.
pub fn is_write(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// The session id from the request's cookies (`avi-sessionid` or `sessionid`).
fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| SESSION_COOKIES.contains(k))
        .map(|(_, v)| v.to_owned())
}

/// A random alphanumeric token.
pub fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Login credentials, from a JSON or form body.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LoginRequest {
    /// User name.
    #[serde(default)]
    pub username: String,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
    /// Auth token (token mode).
    #[serde(default)]
    pub token: Option<String>,
}

impl LoginRequest {
    /// Parse a JSON or `application/x-www-form-urlencoded` body.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if form {
            let mut req = LoginRequest::default();
            for (k, v) in form_urlencoded::parse(body) {
                match k.as_ref() {
                    "username" => req.username = v.into_owned(),
                    "password" => req.password = Some(v.into_owned()),
                    "token" => req.token = Some(v.into_owned()),
                    _ => {}
                }
            }
            Some(req)
        } else {
            serde_json::from_slice(body).ok()
        }
    }
}

/// `Set-Cookie` values for a new session.
pub fn session_cookies(s: &NewSession) -> Vec<String> {
    vec![
        format!(
            "csrftoken={}; Max-Age=31449600; Path=/; SameSite=Lax; Secure",
            s.csrftoken
        ),
        format!(
            "avi-sessionid={}; HttpOnly; Max-Age=86400; Path=/; SameSite=Lax; Secure",
            s.session_id
        ),
        format!(
            "sessionid={}; HttpOnly; Max-Age=86400; Path=/; SameSite=Lax; Secure",
            s.session_id
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(cookie: &str, csrf: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        if let Some(c) = csrf {
            h.insert("x-csrftoken", HeaderValue::from_str(c).unwrap());
        }
        h.insert(header::REFERER, HeaderValue::from_static("https://h/"));
        h
    }

    #[test]
    fn writes_need_the_sessions_csrf_token() {
        let mut s = Sessions::default();
        let new = s.open();
        let cookie = format!("csrftoken={}; avi-sessionid={}", new.csrftoken, new.session_id);
        assert!(s.check(&Method::GET, &headers(&cookie, None)).is_ok());
        assert!(s.check(&Method::POST, &headers(&cookie, Some(&new.csrftoken))).is_ok());
        let err = s.check(&Method::POST, &headers(&cookie, Some("wrong"))).unwrap_err();
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.message, "CSRF token missing or incorrect.");
        assert!(err.plain_text);
        assert!(s.check(&Method::GET, &headers("sessionid=nope", None)).is_err());
    }

    #[test]
    fn revoked_sessions_answer_once_then_are_gone() {
        let mut s = Sessions::default();
        let new = s.open();
        let cookie = format!("sessionid={}", new.session_id);
        s.revoke_all(StatusCode::from_u16(419).unwrap());
        assert_eq!(
            s.check(&Method::GET, &headers(&cookie, None))
                .unwrap_err()
                .status
                .as_u16(),
            419
        );
        assert_eq!(
            s.check(&Method::GET, &headers(&cookie, None)).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn parses_json_and_form_logins() {
        let mut h = HeaderMap::new();
        let json = LoginRequest::parse(&h, br#"{"username":"admin","token":"t"}"#).unwrap();
        assert_eq!((json.username.as_str(), json.token.as_deref()), ("admin", Some("t")));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let form = LoginRequest::parse(&h, b"username=admin&password=p%40ss").unwrap();
        assert_eq!(form.password.as_deref(), Some("p@ss"));
    }
}
