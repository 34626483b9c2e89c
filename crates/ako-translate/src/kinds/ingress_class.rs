//! IngressClass: which Ingresses AKO serves (`spec.controller`, the default-class annotation).
//! A change may accept or drop any Ingress, so it touches every Ingress's units.

use k8s_openapi::api::networking::v1::IngressClass;

use super::{InputKind, Kind, Store, Touch, same_meta};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for IngressClass {
    const KIND: Kind = Kind::IngressClass;
    const NAMESPACED: bool = false;

    fn store(snap: &Snapshot) -> &Store<Self> {
        &snap.ingress_classes
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.ingress_classes.insert(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.ingress_classes.remove(key)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::UnitsOf(Kind::Ingress)
    }
}
