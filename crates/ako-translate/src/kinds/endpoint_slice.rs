//! EndpointSlice: the pool members of its Service (label `kubernetes.io/service-name`). A change
//! is a change of that Service's input; the snapshot keeps a per-Service index of slices.

use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::{InputKind, Kind, Store, Touch, same_meta};
use crate::key::{NsName, ObjRef};
use crate::settings::Settings;
use crate::snapshot::{Snapshot, service_of};

impl InputKind for EndpointSlice {
    const KIND: Kind = Kind::EndpointSlice;

    fn store(snap: &Snapshot) -> &Store<Self> {
        snap.endpoint_slices()
    }

    fn insert(snap: &mut Snapshot, _key: NsName, object: Self) {
        snap.insert_endpoint_slice(object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.remove_endpoint_slice(key)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata)
            && a.address_type == b.address_type
            && a.endpoints == b.endpoints
            && a.ports == b.ports
    }

    fn touches(key: &NsName, object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        let service = object
            .and_then(service_of)
            .map(|svc| ObjRef::new(Kind::Service, &key.namespace, svc));
        Touch::PartOf(service)
    }
}
