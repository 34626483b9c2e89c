//! The sync engine: make the Avi Controller hold exactly the objects translation wants, with as
//! few writes as possible, and never destroy what cannot be proven to be garbage.
//!
//! ```text
//!  load (IO)       observed index  ─┐
//!  translation     desired models  ─┴─► plan (PURE) ─► execute (IO) ─► summary
//!                                                      └─ observed index updated from responses
//! ```
//!
//! * [`observed`]: what the controller holds that we own, keyed by (type, tenant, name).
//! * [`load`]: fills the index from the controller (every owned object, all tenants, paginated,
//!   types in parallel).
//! * [`compare`]: does an existing object need a PUT? (stored checksum and/or field comparison).
//! * [`plan`]: desired + observed → ordered operations per model; no IO, deterministic.
//! * [`order`]: the dependency graph that orders one model's operations into parallel steps.
//! * [`execute`]: runs a plan with bounded concurrency and the controller's error rules.
//! * [`facts`]: what translation needs from the controller (cloud type, DNS domains, license).
//! * [`lookup`]: the controller objects HostRules and HTTPRules name.
//! * [`sync`]: load/plan/execute rounds with backoff until converged, plus the [`Summary`].
//!
//! Ownership ([`owner`]) is decided in one place: an object is ours when its `created_by` is
//! `ako-<cluster>` (or, for the types without `created_by`, its name carries the cluster prefix
//! and nothing says it belongs to someone else). Objects that are not ours never enter the
//! observed index, so the planner cannot update or delete them.

pub mod compare;
pub mod execute;
pub mod facts;
pub mod key;
pub mod load;
pub mod lookup;
pub mod observed;
pub mod order;
pub mod owner;
pub mod plan;
pub mod protect;
pub mod refs;
pub mod se_group;
pub mod static_routes;
pub mod summary;
pub mod sync;

pub use compare::{DriftCheck, UpdateReason};
pub use execute::{ExecuteOptions, execute};
pub use facts::{FactsError, cloud_facts, controller_cluster_uuid};
pub use key::ObjectKey;
pub use load::{LoadError, MANAGED_KINDS, load_observed, load_observed_against};
pub use lookup::lookup_refs;
pub use observed::{Observed, ObservedObject, RecordError};
pub use owner::Owner;
pub use plan::{Action, Batch, DeletionGuard, GuardRefusal, Operation, Plan, PlanOptions, PlanProblem, plan};
pub use protect::Protection;
pub use se_group::{SeGroupError, SeGroupLabel, label_se_group, unlabel_se_group};
pub use static_routes::{RoutesError, RoutesSynced, sync_static_routes};
pub use summary::{Failure, RequestResult, Requests, Retry, Summary};
pub use sync::{SyncOptions, sync, sync_once};
