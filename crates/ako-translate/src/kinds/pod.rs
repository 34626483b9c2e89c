//! Pod: only under NodePortLocal, where Antrea's annotation on a Pod maps its ports to node
//! ports; a change is a change of the input of every Service in its namespace.

use k8s_openapi::api::core::v1::Pod;

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::key::{NsName, ObjRef};
use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

impl InputKind for Pod {
    const KIND: Kind = Kind::Pod;

    fn watched(settings: &Settings) -> bool {
        settings.service_type == ServiceType::NodePortLocal
    }

    plain_store!(pods);

    /// Labels (Service selectors), annotations (NodePortLocal's mapping) and readiness.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        let ready = |p: &Pod| {
            p.status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .find(|c| c.type_ == "Ready")
                .map(|c| c.status.clone())
        };
        same_meta(&a.metadata, &b.metadata) && ready(a) == ready(b)
    }

    fn touches(key: &NsName, _object: Option<&Self>, snap: &Snapshot, _settings: &Settings) -> Touch {
        let services = snap
            .services()
            .range(NsName::new(&key.namespace, "")..)
            .take_while(|(k, _)| k.namespace == key.namespace)
            .map(|(k, _)| ObjRef {
                kind: Kind::Service,
                key: k.clone(),
            })
            .collect();
        Touch::InputOf(services)
    }
}
