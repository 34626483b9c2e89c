//! Node: in NodePort mode pool members are node addresses (chosen by `nodePortSelector`), so a
//! change touches every unit; otherwise translation does not read Nodes.

use k8s_openapi::api::core::v1::Node;

use super::{InputKind, Kind, Store, Touch};
use crate::key::NsName;
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

impl InputKind for Node {
    const KIND: Kind = Kind::Node;
    const NAMESPACED: bool = false;

    fn store(snap: &Snapshot) -> &Store<Self> {
        &snap.nodes
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.nodes.insert(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.nodes.remove(key)
    }

    /// Labels (`nodePortSelector`) and addresses; not conditions, images or heartbeats, which
    /// change all the time.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        let addresses = |n: &Node| n.status.as_ref().and_then(|s| s.addresses.clone());
        a.metadata.labels == b.metadata.labels && addresses(a) == addresses(b)
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, settings: &Settings) -> Touch {
        if settings.service_type == ServiceType::NodePort {
            Touch::Everything
        } else {
            Touch::Nothing
        }
    }
}
