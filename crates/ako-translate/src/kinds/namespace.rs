//! Namespace: its labels decide the namespace filters (`namespaceSelector`) and its annotation
//! the Avi tenant, so a change re-indexes every root in it.

use k8s_openapi::api::core::v1::Namespace;

use super::{InputKind, Kind, Store, Touch, same_meta};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for Namespace {
    const KIND: Kind = Kind::Namespace;
    const NAMESPACED: bool = false;

    fn store(snap: &Snapshot) -> &Store<Self> {
        &snap.namespaces
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.namespaces.insert(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.namespaces.remove(key)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata)
    }

    fn touches(key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::RootsIn(key.name.clone())
    }
}
