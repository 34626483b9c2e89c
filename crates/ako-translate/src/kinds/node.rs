//! Node: in NodePort mode pool members are node addresses (chosen by `nodePortSelector`), so a
//! change touches every unit; otherwise translation does not read Nodes.

use k8s_openapi::api::core::v1::Node;

use super::{InputKind, Kind, Store, Touch, plain_store};
use crate::key::NsName;
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

impl InputKind for Node {
    const KIND: Kind = Kind::Node;
    const NAMESPACED: bool = false;

    plain_store!(nodes);

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
