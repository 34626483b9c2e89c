//! Typed REST client for the Avi Controller: login and CSRF sessions, per-call tenants,
//! version negotiation, safe retries, pagination and typed errors.
//!
//! The wire behaviour follows the Avi Go SDK as AKO uses it (see the shared notes
//! `avi-api.md` §1 and §3): `POST /login` outside `/api`, `X-CSRFToken`/`Referer` on every
//! other call, `X-Avi-Version` negotiated from `/api/initial-data` and capped at 30.2.1,
//! one transparent re-login on 401/419, and collections followed through `next`.
//!
//! Credentials live in [`secrecy::SecretString`] and never appear in `Debug` output,
//! errors or logs.

mod client;
mod collection;
mod config;
mod error;
mod gate;
mod pin;
mod query;
mod retry;
mod session;
mod tenant;
mod transport;
mod typed;
pub mod version;

pub use client::Client;
pub use collection::Page;
pub use config::{Config, Credential, DEFAULT_TENANT, DEFAULT_USER_AGENT, RetryConfig};
pub use error::{Error, ErrorKind, Result};
pub use gate::WriteGate;
pub use pin::{CertificatePin, Refusal, fingerprint};
pub use query::{DEFAULT_PAGE_SIZE, Query};
pub use reqwest::Method;
pub use retry::backoff;
pub use tenant::Tenant;
pub use transport::user_agent;
