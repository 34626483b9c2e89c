//! The operator runtime of ako-rs: everything around the pure translation and planning that
//! `ako run` (and `ako demo`) is made of.
//!
//! ```text
//!  sources ── watch (kube-rs watchers, one per kind)  or  files (a manifest directory)
//!     │ apply / delete / relist
//!     ▼
//!  index ── one writer at a time; the snapshot and what changed
//!     │ changed objects → translation units (ako_translate::Deps)
//!     ▼
//!  reconcile ── take → fetch → translate → guard → commit → sync → record → statuses/Events
//!     │                                                    (ako_translate, ako_sync)
//!     ▼
//!  cluster ── status patches, Events, fetches (ApiServer, or MemoryCluster in memory)
//! ```
//!
//! Every kind is declared once, in `ako_translate::kinds`; nothing here names a kind except
//! where a kind has a behaviour of its own (ako-rs's statuses on Ingresses and Services).

#![forbid(unsafe_code)]

pub mod admin;
pub mod annotations;
pub mod backoff;
pub mod cluster;
pub mod config;
pub mod controller;
pub mod events;
pub mod fetch;
pub mod files;
pub mod gateway_status;
pub mod index;
pub mod inputs;
pub mod leader;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod operator;
pub mod reconcile;
pub mod route_status;
pub mod status;
pub mod token;
pub mod trust;
pub mod watch;
pub mod watch_health;

pub use cluster::{ApiServer, Cluster, ClusterError};
pub use controller::{ControllerAccess, Redacted};
pub use index::{Index, Shared};
pub use memory::MemoryCluster;
pub use operator::{ElectionOptions, RunOptions, run};
pub use reconcile::{PassReport, Reconciler, Start, Timing};
