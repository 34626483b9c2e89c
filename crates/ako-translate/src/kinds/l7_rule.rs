//! L7Rule (`ako.vmware.com/v1alpha2`): more settings of the EVH virtual service of the hosts whose
//! HostRule names it. Not a root: the HostRules naming it read it, so a change re-translates
//! their hosts. Its CRD is optional: without it, the feature is off.

use super::{InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::crds::L7Rule;
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for L7Rule {
    const KIND: Kind = Kind::L7Rule;
    const OPTIONAL: bool = true;

    plain_store!(l7_rules);

    /// The spec, not the status ako-rs writes.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::Readers
    }
}
