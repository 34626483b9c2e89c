//! AviInfraSetting (`ako.vmware.com/v1beta1`, cluster-scoped): where the virtual services of the
//! Ingresses (through their IngressClass) and LoadBalancer Services (through their own or their
//! Namespace's annotation) that name it are placed. Not a root: a change re-indexes the roots
//! naming it, since its shard size moves their hosts to other models. Its CRD is optional:
//! without it, the feature is off.

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::crds::AviInfraSetting;
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for AviInfraSetting {
    const KIND: Kind = Kind::AviInfraSetting;
    const NAMESPACED: bool = false;
    const OPTIONAL: bool = true;

    plain_store!(infra_settings);

    /// The spec, not the status ako-rs writes.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        // The generation too: a spec set back to the version in effect must reach the loop.
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::ReadersMove
    }
}
