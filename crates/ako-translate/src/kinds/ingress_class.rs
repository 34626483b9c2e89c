//! IngressClass: which Ingresses AKO serves (`spec.controller`, the default-class annotation).
//! A change may accept or drop any Ingress, so every Ingress is re-indexed.

use k8s_openapi::api::networking::v1::IngressClass;

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for IngressClass {
    const KIND: Kind = Kind::IngressClass;
    const NAMESPACED: bool = false;

    /// Not where the Route API exists: AKO serves Routes there.
    fn watched(settings: &Settings) -> bool {
        !settings.route_api
    }

    plain_store!(ingress_classes);

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::RootsOf(&[Kind::Ingress])
    }
}
