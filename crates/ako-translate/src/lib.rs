//! The pure core of ako-rs: what AKO's settings mean, how AKO names and shards Avi objects,
//! and (to come) the translation of Kubernetes objects into AKO's Avi object graph.
//!
//! No IO, no clock, no randomness: everything here is a function of its inputs, so it can be
//! golden-tested and reused offline by `ako plan`.

pub mod naming;
pub mod settings;
pub mod shard;

pub use naming::{NameTooLong, Namer};
pub use settings::{Settings, SettingsError, Values};
pub use shard::ShardSize;
