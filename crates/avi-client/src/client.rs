//! The client handle and request execution: headers, concurrency limit, retries, re-login.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::cookie::Jar;
use reqwest::header::{CONTENT_TYPE, HeaderValue, REFERER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::query::Query;
use crate::retry;
use crate::session::{Session, Snapshot};
use crate::tenant::Tenant;
use crate::transport;
use crate::version;

/// Shared state behind every clone of a [`Client`].
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) jar: Arc<Jar>,
    /// `<scheme>://<host>[:port]/`, also the `Referer` value.
    pub(crate) base: Url,
    pub(crate) config: Config,
    /// The credential of the next login: `config.credential`, until replaced (a refreshed token).
    pub(crate) credential: parking_lot::RwLock<config::Credential>,
    pub(crate) default_tenant: Tenant,
    pub(crate) limiter: Semaphore,
    pub(crate) session: Session,
    /// `X-Avi-Version` learnt from the controller (unset while not negotiated or when pinned).
    pub(crate) negotiated: OnceCell<String>,
}

/// One logical request, repeatable across attempts.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// URL path, used in logs and errors (never the query, which may be long).
    pub(crate) path: String,
    pub(crate) tenant: &'a Tenant,
    pub(crate) body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(method: Method, url: Url, tenant: &'a Tenant) -> Self {
        let path = url.path().to_owned();
        Call {
            method,
            url,
            path,
            tenant,
            body: None,
        }
    }

    pub(crate) fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

impl Inner {
    /// Resolve a path relative to the controller base (`api/pool`, `/api/pool`, `//api/pool`, `login`).
    pub(crate) fn url_for(&self, path: &str) -> Result<Url> {
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("invalid request path {path:?}: {e}")))?;
        // A path like `https:other-host/...` would join to another origin, which would then
        // receive our CSRF token. Only same-origin URLs are ever requested.
        if url.origin() != self.base.origin() {
            return Err(Error::Config(format!(
                "request path {path:?} leaves the controller origin"
            )));
        }
        Ok(url)
    }

    /// `api/<object_type>[/<uuid>]` with each segment percent-encoded.
    pub(crate) fn object_url(&self, object_type: &str, uuid: Option<&str>) -> Result<Url> {
        if object_type.is_empty() || object_type.contains('/') {
            return Err(Error::Config(format!("invalid object type {object_type:?}")));
        }
        if uuid.is_some_and(str::is_empty) {
            return Err(Error::Config(format!("empty uuid for {object_type}")));
        }
        let mut url = self.base.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| Error::Config("controller URL cannot be a base".into()))?;
            segments.pop_if_empty().push("api").push(object_type);
            if let Some(uuid) = uuid {
                segments.push(uuid);
            }
        }
        Ok(url)
    }

    /// The `X-Avi-Version` to send now.
    pub(crate) fn api_version(&self) -> &str {
        self.config
            .api_version
            .as_deref()
            .or_else(|| self.negotiated.get().map(String::as_str))
            .unwrap_or(version::INITIAL_VERSION)
    }

    /// One HTTP exchange under the concurrency limit. Returns the status and the whole body.
    pub(crate) async fn send_once(
        &self,
        call: &Call<'_>,
        session: &Snapshot,
        attempt: u32,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let method = call.method.as_str();
        let tenant = HeaderValue::from_str(call.tenant.as_header()).map_err(|_| {
            Error::Config(format!(
                "tenant {:?} is not a valid header value",
                call.tenant.as_header()
            ))
        })?;
        let version = HeaderValue::from_str(self.api_version())
            .map_err(|_| Error::Config("api version is not a valid header value".into()))?;
        let user_agent = HeaderValue::from_str(&self.config.user_agent)
            .map_err(|_| Error::Config("user agent is not a valid header value".into()))?;

        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(REFERER, self.base.as_str())
            .header("X-Avi-Version", version)
            .header("X-Avi-Tenant", tenant)
            .header("X-Avi-UserAgent", user_agent);
        if let Some(token) = &session.csrf {
            let mut value = HeaderValue::from_str(token)
                .map_err(|_| Error::Config("controller sent an unusable csrftoken".into()))?;
            // Keeps the token out of HTTP/2 header compression tables and debug output.
            value.set_sensitive(true);
            request = request.header("X-CSRFToken", value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }

        // The permit covers the whole exchange including reading the body, but not backoff
        // sleeps or login waits, so a slow retry does not starve other requests.
        let _permit = self
            .limiter
            .acquire()
            .await
            .map_err(|_| Error::Config("client request limiter closed".into()))?;
        // After the wait for a permit, which may be long: the gate answers for now.
        if let Some(gate) = &self.config.write_gate
            && is_write(&call.method)
            && call.url.path().starts_with("/api/")
            && let Err(reason) = gate.check()
        {
            return Err(Error::Fenced {
                method: method.to_owned(),
                path: call.path.clone(),
                reason,
            });
        }
        let started = Instant::now();
        let timeout = self.config.request_timeout;
        let outcome = async {
            let response = request.send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body.to_vec()))
        }
        .await
        .map_err(|e| Error::transport(method, &call.path, e, timeout));
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Ok((status, _)) => tracing::debug!(
                method,
                path = %call.path,
                tenant = %call.tenant,
                attempt,
                status = status.as_u16(),
                elapsed_ms,
                "avi request"
            ),
            Err(err) => tracing::debug!(
                method,
                path = %call.path,
                tenant = %call.tenant,
                attempt,
                elapsed_ms,
                error = %err,
                "avi request failed"
            ),
        }
        outcome
    }

    /// Run a request on the current session: retries transient failures (per [`retry`]) and
    /// re-logs in once on 401/419. Returns the body of a 2xx response.
    pub(crate) async fn execute_inner(&self, call: &Call<'_>) -> Result<Vec<u8>> {
        let policy = &self.config.retry;
        let idempotent = retry::is_idempotent(&call.method);
        let mut attempt = 1;
        let mut delays = retry::delays(policy);
        let mut relogged = false;
        loop {
            let session = self.session.snapshot();
            let err = match self.send_once(call, &session, attempt).await {
                Ok((status, body)) if status.is_success() => return Ok(body),
                Ok((status, _)) if matches!(status.as_u16(), 401 | 419) && !relogged => {
                    // The session expired or was invalidated: log in again (shared with other
                    // requests that hit the same) and repeat this request once. The request
                    // was rejected before processing, so repeating a POST is safe here.
                    relogged = true;
                    tracing::debug!(status = status.as_u16(), path = %call.path, "session rejected; logging in again");
                    self.relogin(session.generation).await?;
                    continue;
                }
                Ok((status, body)) => Error::api(status.as_u16(), &body, call.method.as_str(), &call.path),
                Err(e) => e,
            };
            if !retry::should_retry(idempotent, &err) {
                return Err(err);
            }
            let Some(delay) = delays.next() else {
                return Err(err);
            };
            tracing::debug!(
                method = call.method.as_str(),
                path = %call.path,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying avi request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Ensure a session, then run the request.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Vec<u8>> {
        self.ensure_ready().await?;
        self.execute_inner(call).await
    }
}

/// A method that changes something on the controller.
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Decode a JSON body; an empty body (e.g. 204) decodes as `null`.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], method: &str, path: &str) -> Result<T> {
    let trimmed = body.trim_ascii();
    let result = if trimmed.is_empty() {
        serde_json::from_value(serde_json::Value::Null)
    } else {
        serde_json::from_slice(trimmed)
    };
    result.map_err(|e| Error::decode(method, path, e.to_string()))
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::Config(format!("cannot encode request body: {e}")))
}

/// A handle to one Avi Controller. Cheap to clone; clones share the session, cookie jar,
/// concurrency limit and negotiated version. Each handle carries the tenant its calls use.
///
/// ```no_run
/// # async fn demo() -> avi_client::Result<()> {
/// use avi_client::{Client, Config, Credential, Query};
/// use serde_json::Value;
///
/// let client = Client::connect(Config::new("10.10.10.10", "admin", Credential::password("..."))).await?;
/// let pools: Vec<Value> = client.all_tenants().list("pool", &Query::new().created_by("ako-c1")).await?;
/// let created: Value = client.tenant("t1").create("pool", &serde_json::json!({"name": "p1"})).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    pub(crate) tenant: Tenant,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("controller", &self.inner.base.as_str())
            .field("username", &self.inner.config.username)
            .field("tenant", &self.tenant)
            .field("api_version", &self.inner.api_version())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Build a client without contacting the controller; the first call logs in.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let base = config::base_url(&config.controller)?;
        let jar = Arc::new(Jar::default());
        let http = transport::build_http(&config, Arc::clone(&jar))?;
        let default_tenant = Tenant::from(config.tenant.as_str());
        let inner = Inner {
            http,
            jar,
            base,
            limiter: Semaphore::new(config.max_concurrency),
            default_tenant: default_tenant.clone(),
            credential: parking_lot::RwLock::new(config.credential.clone()),
            config,
            session: Session::default(),
            negotiated: OnceCell::new(),
        };
        Ok(Client {
            inner: Arc::new(inner),
            tenant: default_tenant,
        })
    }

    /// Build a client, log in and negotiate the API version.
    pub async fn connect(config: Config) -> Result<Self> {
        let client = Client::new(config)?;
        client.login().await?;
        Ok(client)
    }

    /// Log in (and negotiate the version) unless a session already exists.
    pub async fn login(&self) -> Result<()> {
        self.inner.ensure_ready().await
    }

    /// Log in with `credential` from now on (a refreshed token): the session in use stays, the
    /// next login (after a 401 or 419) uses it.
    pub fn set_credential(&self, credential: config::Credential) {
        *self.inner.credential.write() = credential;
    }

    /// A handle whose calls run in `tenant` (`"*"` or [`Tenant::All`] for all tenants).
    pub fn tenant(&self, tenant: impl Into<Tenant>) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            tenant: tenant.into(),
        }
    }

    /// A handle whose calls run across all tenants (`X-Avi-Tenant: *`).
    pub fn all_tenants(&self) -> Client {
        self.tenant(Tenant::All)
    }

    /// The tenant this handle's calls use.
    pub fn current_tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The `X-Avi-Version` in use: pinned, negotiated (capped at 30.2.1), or 18.2.6 before login.
    pub fn version(&self) -> String {
        self.inner.api_version().to_owned()
    }

    /// The controller base URL (`https://host/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Number of requests currently holding a concurrency permit.
    pub fn in_flight(&self) -> usize {
        self.inner
            .config
            .max_concurrency
            .saturating_sub(self.inner.limiter.available_permits())
    }

    /// Any request relative to the controller root (`api/cluster/runtime`, `api/user-token`),
    /// with session handling and retries. `T = serde_json::Value` for untyped results.
    pub async fn request<B, T>(&self, method: Method, path: &str, query: &Query, body: Option<&B>) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let mut url = self.inner.url_for(path)?;
        apply_query(&mut url, query);
        let mut call = Call::new(method, url, &self.tenant);
        if let Some(body) = body {
            call = call.with_body(encode(body)?);
        }
        let bytes = self.inner.execute(&call).await?;
        decode(&bytes, call.method.as_str(), &call.path)
    }

    /// `GET /api/<type>/<uuid>`.
    pub async fn get<T: DeserializeOwned>(&self, object_type: &str, uuid: &str) -> Result<T> {
        self.get_with(object_type, uuid, &Query::new()).await
    }

    /// `GET /api/<type>/<uuid>?<query>` (e.g. with `include_name`).
    pub async fn get_with<T: DeserializeOwned>(&self, object_type: &str, uuid: &str, query: &Query) -> Result<T> {
        let mut url = self.inner.object_url(object_type, Some(uuid))?;
        apply_query(&mut url, query);
        self.send_json(Call::new(Method::GET, url, &self.tenant)).await
    }

    /// `POST /api/<type>`: create an object; returns the stored object (201, with defaults filled in).
    ///
    /// Not retried on 5xx or lost responses, since the object may have been created. A
    /// [`Error::Decode`] here means the object *was* created but did not decode as `T`.
    pub async fn create<B, T>(&self, object_type: &str, body: &B) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let url = self.inner.object_url(object_type, None)?;
        self.send_json(Call::new(Method::POST, url, &self.tenant).with_body(encode(body)?))
            .await
    }

    /// `PUT /api/<type>/<uuid>` with the full object; returns the stored object.
    pub async fn update<B, T>(&self, object_type: &str, uuid: &str, body: &B) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let url = self.inner.object_url(object_type, Some(uuid))?;
        self.send_json(Call::new(Method::PUT, url, &self.tenant).with_body(encode(body)?))
            .await
    }

    /// `DELETE /api/<type>/<uuid>`. A missing object is an error with
    /// [`Error::is_not_found`] true, so callers decide whether that counts as success.
    pub async fn delete(&self, object_type: &str, uuid: &str) -> Result<()> {
        let url = self.inner.object_url(object_type, Some(uuid))?;
        self.inner
            .execute(&Call::new(Method::DELETE, url, &self.tenant))
            .await?;
        Ok(())
    }

    async fn send_json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        let bytes = self.inner.execute(&call).await?;
        decode(&bytes, call.method.as_str(), &call.path)
    }
}

/// Append the query's pairs (percent-encoded) to `url`.
pub(crate) fn apply_query(url: &mut Url, query: &Query) {
    if query.is_empty() {
        return;
    }
    let mut pairs = url.query_pairs_mut();
    for (k, v) in query.pairs() {
        pairs.append_pair(k, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Credential;

    fn client(controller: &str) -> Client {
        Client::new(Config::new(controller, "admin", Credential::password("pw"))).unwrap()
    }

    #[test]
    fn object_urls_are_encoded() {
        let c = client("ctrl");
        assert_eq!(
            c.inner.object_url("pool", None).unwrap().as_str(),
            "https://ctrl/api/pool"
        );
        assert_eq!(
            c.inner.object_url("pool", Some("pool-1")).unwrap().as_str(),
            "https://ctrl/api/pool/pool-1"
        );
        assert_eq!(
            c.inner.object_url("pool", Some("a b/c")).unwrap().as_str(),
            "https://ctrl/api/pool/a%20b%2Fc"
        );
        assert!(c.inner.object_url("", None).is_err());
        assert!(c.inner.object_url("pool", Some("")).is_err());
        let prefixed = client("https://ctrl/prefix");
        assert_eq!(
            prefixed.inner.object_url("pool", None).unwrap().as_str(),
            "https://ctrl/prefix/api/pool"
        );
    }

    #[test]
    fn paths_stay_on_origin() {
        let c = client("ctrl:8443");
        assert_eq!(
            c.inner.url_for("//api/pool").unwrap().as_str(),
            "https://ctrl:8443/api/pool"
        );
        assert_eq!(c.inner.url_for("login").unwrap().as_str(), "https://ctrl:8443/login");
        assert!(c.inner.url_for("https://evil.example/api").is_err());
        assert!(c.inner.url_for("http:evil.example/api").is_err());
        // Same-scheme "https:x" is a relative reference per the URL standard: stays on origin.
        assert_eq!(c.inner.url_for("https:x/api").unwrap().origin(), c.inner.base.origin());
    }

    #[test]
    fn query_is_percent_encoded() {
        let mut url = Url::parse("https://ctrl/api/pool").unwrap();
        apply_query(&mut url, &Query::new().name_in(["a b", "c"]).include_name());
        assert_eq!(url.as_str(), "https://ctrl/api/pool?name.in=a+b%2Cc&include_name=true");
    }

    #[test]
    fn decode_empty_body_as_null() {
        let v: serde_json::Value = decode(b"", "DELETE", "/api/pool/x").unwrap();
        assert!(v.is_null());
        let err = decode::<Vec<u8>>(b"{", "GET", "/api/pool").unwrap_err();
        assert!(matches!(err, Error::Decode { .. }));
    }

    #[test]
    fn version_before_login_is_sdk_default() {
        let c = client("ctrl");
        assert_eq!(c.version(), "18.2.6");
        let pinned =
            Client::new(Config::new("ctrl", "a", Credential::password("p")).with_api_version("22.1.3")).unwrap();
        assert_eq!(pinned.version(), "22.1.3");
    }

    #[test]
    fn tenant_handles_share_state() {
        let c = client("ctrl");
        let t = c.tenant("t1");
        assert_eq!(t.current_tenant(), &Tenant::Name("t1".into()));
        assert_eq!(c.all_tenants().current_tenant(), &Tenant::All);
        assert!(Arc::ptr_eq(&c.inner, &t.inner));
        assert_eq!(c.current_tenant(), &Tenant::Name("admin".into()));
    }

    #[test]
    fn debug_has_no_secrets() {
        let c = Client::new(Config::new("ctrl", "admin", Credential::password("s3cr3t-pass"))).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t-pass"));
    }

    #[test]
    fn bad_ca_is_a_config_error() {
        let cfg = Config::new("ctrl", "admin", Credential::password("p")).with_ca_pem("not a pem");
        assert!(matches!(Client::new(cfg), Err(Error::Config(_))));
    }
}
