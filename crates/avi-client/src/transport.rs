//! Construction of the underlying HTTP client: rustls trust settings, timeouts, cookie jar.

use std::sync::Arc;

use reqwest::cookie::Jar;

use crate::config::Config;
use crate::error::Error;

/// Build the reqwest client for `config`, storing session cookies in `jar`.
///
/// Trust: system roots by default; only the configured CA bundle when `ca_pem` is set; else
/// the certificate's fingerprint when a `pin` is set (trust on first use); no verification at
/// all only when `insecure` is explicitly set.
/// `ako-rs/<version>`, with ` (<instance>)` when the client says who it is: the `User-Agent` of
/// every request ako-rs makes (the operator's Kubernetes client uses it too).
pub fn user_agent(instance: Option<&str>) -> String {
    let base = concat!("ako-rs/", env!("CARGO_PKG_VERSION"));
    match instance {
        Some(i) => format!("{base} ({i})"),
        None => base.to_owned(),
    }
}

pub(crate) fn build_http(config: &Config, jar: Arc<Jar>) -> Result<reqwest::Client, Error> {
    // reqwest is built with `rustls-no-provider`, so a process-wide crypto provider must be
    // installed before the first client is built. An error only means one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .cookie_provider(jar)
        .timeout(config.request_timeout)
        .connect_timeout(config.connect_timeout)
        .user_agent(user_agent(config.instance.as_deref()))
        // The controller never redirects API calls; following one would turn a POST into a GET
        // and could carry the CSRF header to another origin.
        .redirect(reqwest::redirect::Policy::none());

    if config.insecure {
        tracing::warn!(
            controller = %config.controller,
            "TLS certificate verification is DISABLED for the Avi controller (insecure opt-in)"
        );
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(pem) = &config.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| Error::Config(format!("CA bundle is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config("CA bundle contains no certificate".into()));
        }
        builder = builder.tls_certs_only(certs);
    } else if let Some(pin) = &config.pin {
        builder = builder.tls_backend_preconfigured(crate::pin::tls_config(pin.clone()));
    }

    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot build HTTP client: {e}")))
}
