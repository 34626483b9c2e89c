//! Node: in NodePort mode pool members are node addresses (chosen by `nodePortSelector`), so a
//! change touches every unit; otherwise no unit reads Nodes. In ClusterIP mode they give the
//! static routes ([`crate::routes`]): pod CIDRs, addresses and a few CNI annotations.

use k8s_openapi::api::core::v1::Node;

use super::{InputKind, Kind, Store, Touch, plain_store};
use crate::key::NsName;
use crate::routes::NODE_ANNOTATIONS;
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

impl InputKind for Node {
    const KIND: Kind = Kind::Node;
    const NAMESPACED: bool = false;

    plain_store!(nodes);

    /// Labels (`nodePortSelector`), addresses, pod CIDRs and the annotations routes read; not
    /// conditions, images or heartbeats, which change all the time.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        let addresses = |n: &Node| n.status.as_ref().and_then(|s| s.addresses.clone());
        let cidrs = |n: &Node| n.spec.as_ref().map(|s| (s.pod_cidr.clone(), s.pod_cidrs.clone()));
        let routed = |n: &Node| {
            let a = n.metadata.annotations.as_ref();
            NODE_ANNOTATIONS.map(|k| a.and_then(|a| a.get(k)).cloned())
        };
        a.metadata.labels == b.metadata.labels
            && addresses(a) == addresses(b)
            && cidrs(a) == cidrs(b)
            && routed(a) == routed(b)
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, settings: &Settings) -> Touch {
        if settings.service_type == ServiceType::NodePort {
            Touch::Everything
        } else {
            Touch::Nothing
        }
    }
}
