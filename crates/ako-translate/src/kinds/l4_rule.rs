//! L4Rule (`ako.vmware.com/v1alpha2`): settings of the L4 virtual service and pools of the
//! LoadBalancer Services of its namespace that name it. Not a root: a change re-translates the
//! models of the Services naming it. Its CRD is optional: without it, the feature is off.

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::crds::L4Rule;
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for L4Rule {
    const KIND: Kind = Kind::L4Rule;
    const OPTIONAL: bool = true;

    plain_store!(l4_rules);

    /// The spec, not the status ako-rs writes.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        // The generation too: a spec set back to the version in effect must reach the loop.
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::Readers
    }
}
