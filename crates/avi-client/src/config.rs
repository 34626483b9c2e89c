//! Client configuration: controller address, credentials, TLS trust, timeouts, limits and retry policy.

use std::fmt;
use std::net::Ipv6Addr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::error::Error;
use crate::gate::WriteGate;
use crate::pin::CertificatePin;

/// Default `X-Avi-Tenant` when none is configured (the controller's own default).
pub const DEFAULT_TENANT: &str = "admin";
/// Value of the `X-Avi-UserAgent` header unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str = "ako-rs";

/// The secret half of the login: a password or a controller-issued auth token.
///
/// Both are held in [`SecretString`] so they are zeroed on drop and never printed.
#[derive(Clone)]
pub enum Credential {
    /// Log in with `{"username", "password"}`.
    Password(SecretString),
    /// Log in with `{"username", "token"}` (a token from `POST /api/user-token`).
    Token(SecretString),
}

impl Credential {
    /// A password credential.
    pub fn password(password: impl Into<String>) -> Self {
        Credential::Password(SecretString::from(password.into()))
    }

    /// An auth-token credential.
    pub fn token(token: impl Into<String>) -> Self {
        Credential::Token(SecretString::from(token.into()))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written so that no future change to the field types can leak the secret.
        match self {
            Credential::Password(_) => f.write_str("Password(<redacted>)"),
            Credential::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// Retry policy for transient failures (transport errors, 5xx, 408).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Total attempts per request, including the first one (at least 1).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles on each further retry.
    pub base_delay: Duration,
    /// Upper bound for a single delay.
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryConfig {
    /// A policy that never retries (one attempt).
    pub fn none() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }
}

/// Everything needed to build a [`Client`](crate::Client).
///
/// Construct with [`Config::new`] and adjust with the `with_*` methods or the public fields.
#[derive(Clone)]
pub struct Config {
    /// Controller address: a host (`10.1.1.1`, `ctrl.example`, `fd00::1`), `host:port`, or a URL
    /// (`https://ctrl:8443`, `http://ctrl`). A bare host means HTTPS.
    pub controller: String,
    /// Login user name.
    pub username: String,
    /// Password or auth token.
    pub credential: Credential,
    /// Tenant sent as `X-Avi-Tenant` when a call does not choose one.
    pub tenant: String,
    /// Fixed `X-Avi-Version`; `None` negotiates it from `/api/initial-data` after login.
    pub api_version: Option<String>,
    /// PEM bundle of the CA(s) to trust *instead of* the system roots (`certificateAuthorityData`).
    pub ca_pem: Option<String>,
    /// Accept any server certificate. Only for explicit opt-in; never a fallback.
    pub insecure: bool,
    /// Without `ca_pem`: trust the certificate by its fingerprint (trust on first use) instead
    /// of the system roots.
    pub pin: Option<CertificatePin>,
    /// Deadline for one HTTP exchange (connect, send, receive the whole body).
    pub request_timeout: Duration,
    /// Deadline for establishing a TCP+TLS connection.
    pub connect_timeout: Duration,
    /// Maximum number of requests in flight at once on this client (all tenants together).
    pub max_concurrency: usize,
    /// Retry policy for transient failures.
    pub retry: RetryConfig,
    /// Value of the `X-Avi-UserAgent` header.
    pub user_agent: String,
    /// Who this client is, added to the HTTP `User-Agent` (`ako-rs/<version> (<instance>)`),
    /// so that the controller's logs tell replicas apart.
    pub instance: Option<String>,
    /// Asked before each write is sent (see [`WriteGate`]).
    pub write_gate: Option<WriteGate>,
}

impl Config {
    /// A configuration with defaults: tenant `admin`, negotiated version, system CA roots,
    /// 60 s request timeout, 10 s connect timeout, 16 concurrent requests, 4 attempts.
    pub fn new(controller: impl Into<String>, username: impl Into<String>, credential: Credential) -> Self {
        Config {
            controller: controller.into(),
            username: username.into(),
            credential,
            tenant: DEFAULT_TENANT.to_owned(),
            api_version: None,
            ca_pem: None,
            insecure: false,
            pin: None,
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_concurrency: 16,
            retry: RetryConfig::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            instance: None,
            write_gate: None,
        }
    }

    /// Set the default tenant.
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// Pin `X-Avi-Version` instead of negotiating it.
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Trust only the CA(s) in this PEM bundle.
    pub fn with_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Trust the controller's certificate by its fingerprint, `pin` (when no CA is given).
    pub fn with_pin(mut self, pin: CertificatePin) -> Self {
        self.pin = Some(pin);
        self
    }

    /// Accept any server certificate (explicit opt-in, for labs only).
    pub fn with_insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Set the per-request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Set the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Set the in-flight request limit.
    pub fn with_max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
        self
    }

    /// Set the retry policy.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Check the values that cannot be checked by the type system.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.username.is_empty() {
            return Err(Error::Config("username must not be empty".into()));
        }
        if self.tenant.is_empty() {
            return Err(Error::Config("tenant must not be empty".into()));
        }
        if self.max_concurrency == 0 {
            return Err(Error::Config("max_concurrency must be at least 1".into()));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::Config("retry.max_attempts must be at least 1".into()));
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::Config("timeouts must be non-zero".into()));
        }
        if let Some(v) = &self.api_version
            && crate::version::parse(v).is_none()
        {
            return Err(Error::Config(format!("api_version {v:?} is not a dotted version")));
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand: the credential is redacted and the CA bundle is summarised,
        // so a debug log of the config is always safe.
        f.debug_struct("Config")
            .field("controller", &self.controller)
            .field("username", &self.username)
            .field("credential", &self.credential)
            .field("tenant", &self.tenant)
            .field("api_version", &self.api_version)
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| format!("<{} bytes>", p.len())))
            .field("insecure", &self.insecure)
            .field("pin", &self.pin)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("instance", &self.instance)
            .field("write_gate", &self.write_gate)
            .finish()
    }
}

/// Turn the configured controller address into the base URL `<scheme>://<host>[:port]/`.
///
/// Bare hosts get `https://`; bare IPv6 literals get brackets. User info, queries and
/// fragments are rejected: they would either leak into logs or change every request.
pub(crate) fn base_url(controller: &str) -> Result<Url, Error> {
    let raw = controller.trim();
    if raw.is_empty() {
        return Err(Error::Config("controller address must not be empty".into()));
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else if raw.parse::<Ipv6Addr>().is_ok() {
        format!("https://[{raw}]")
    } else {
        format!("https://{raw}")
    };
    // The address itself is not secret, but echoing an unparsable string could echo a
    // mistyped password pasted into the wrong field, so the message stays generic.
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| Error::Config(format!("controller address is not a valid host or URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::Config(format!(
            "unsupported controller URL scheme {:?}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config("controller URL has no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "controller URL must not contain user info; use username/credential".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(
            "controller URL must not contain a query or fragment".into(),
        ));
    }
    // A trailing slash makes `Url::join("api/...")` append instead of replacing the last segment.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hosts_become_https() {
        assert_eq!(base_url("10.1.1.1").unwrap().as_str(), "https://10.1.1.1/");
        assert_eq!(
            base_url("ctrl.example:8443").unwrap().as_str(),
            "https://ctrl.example:8443/"
        );
        assert_eq!(base_url(" ctrl ").unwrap().as_str(), "https://ctrl/");
    }

    #[test]
    fn ipv6_gets_brackets() {
        assert_eq!(base_url("fd00::1").unwrap().as_str(), "https://[fd00::1]/");
        assert_eq!(base_url("[fd00::1]:8443").unwrap().as_str(), "https://[fd00::1]:8443/");
        assert_eq!(base_url("https://[::1]").unwrap().as_str(), "https://[::1]/");
    }

    #[test]
    fn urls_are_kept_and_normalised() {
        assert_eq!(base_url("http://ctrl").unwrap().as_str(), "http://ctrl/");
        assert_eq!(
            base_url("https://ctrl/prefix").unwrap().as_str(),
            "https://ctrl/prefix/"
        );
    }

    #[test]
    fn bad_addresses_are_rejected() {
        assert!(base_url("").is_err());
        assert!(base_url("ftp://ctrl").is_err());
        assert!(base_url("https://admin:pw@ctrl").is_err());
        assert!(base_url("https://ctrl/?x=1").is_err());
    }

    #[test]
    fn debug_redacts_credentials() {
        let cfg = Config::new("ctrl", "admin", Credential::password("hunter2-secret"))
            .with_ca_pem("-----BEGIN CERTIFICATE-----");
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("hunter2-secret"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert!(!dbg.contains("BEGIN CERTIFICATE"));
        let tok = format!("{:?}", Credential::token("tok-abcdef"));
        assert!(!tok.contains("tok-abcdef"));
    }

    #[test]
    fn validation() {
        let ok = Config::new("ctrl", "admin", Credential::password("p"));
        assert!(ok.validate().is_ok());
        assert!(ok.clone().with_max_concurrency(0).validate().is_err());
        assert!(ok.clone().with_api_version("latest").validate().is_err());
        assert!(ok.clone().with_api_version("22.1.3").validate().is_ok());
        let mut no_user = ok;
        no_user.username.clear();
        assert!(no_user.validate().is_err());
    }
}
