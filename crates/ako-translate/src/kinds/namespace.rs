//! Namespace: its labels decide the namespace filters (`namespaceSelector`) and its annotation
//! the Avi tenant, so a change re-indexes every root in it.

use k8s_openapi::api::core::v1::Namespace;

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for Namespace {
    const KIND: Kind = Kind::Namespace;
    const NAMESPACED: bool = false;

    plain_store!(namespaces);

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata)
    }

    fn touches(key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::RootsIn(key.name.clone())
    }
}
