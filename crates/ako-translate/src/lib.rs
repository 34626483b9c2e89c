//! The pure core of ako-rs: what AKO's settings mean, how AKO names and shards Avi objects,
//! and the translation of Kubernetes objects (LoadBalancer Services, Ingresses) into AKO's Avi
//! object graph.
//!
//! No IO, no clock, no randomness: everything here is a function of its inputs, so it can be
//! golden-tested and reused offline by `ako plan`.

pub mod admission;
pub mod certificate_expiry;
pub mod chart;
pub mod checksum;
pub mod crds;
pub mod deps;
pub mod desired;
pub mod fqdn;
pub mod gateway;
pub mod infra;
pub mod ingress;
pub mod key;
pub mod kinds;
pub mod l4;
pub mod l7;
pub mod manifests;
pub mod markers;
pub mod members;
pub mod memo;
pub mod model;
pub mod namespaces;
pub mod naming;
pub mod openshift;
pub mod pool;
pub mod protect;
pub mod routes;
pub mod rules;
pub mod settings;
pub mod settings_env;
pub mod shard;
pub mod small_set;
pub mod snapshot;
pub mod tls_pair;
pub mod translate;
pub mod units;
pub mod unknown_keys;
pub mod vsvip;

pub use deps::Deps;
pub use desired::{Desired, Touched};
pub use key::{Kind, ModelKey, NsName, ObjRef};
pub use l4::{translate_l4, translate_l4_service, translate_l4_shared_vip};
pub use l7::{translate_l7, translate_l7_model};
pub use manifests::{ManifestError, load_document, load_manifests};
pub use model::{Body, CloudFacts, DesiredObject, Failure, Model, StatusIntent, Translation};
pub use naming::{NameTooLong, Namer};
pub use protect::models_of_failure;
pub use settings::{LogLevel, Settings, SettingsError, Values};
pub use settings_env::ChartConfig;
pub use shard::ShardSize;
pub use snapshot::Snapshot;
pub use translate::translate;
pub use units::{Unit, translate_unit, units_of_ingress, units_of_service};
