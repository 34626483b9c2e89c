//! HTTPRule (`ako.vmware.com/v1beta1`): settings of the pools of one host's paths. Not a root: a
//! change re-translates the models of its host, before and after. Its CRD is optional: without
//! it, the feature is off.

use super::{HostPattern, InputKind, Kind, Store, Touch, same_meta};
use crate::crds::{FqdnType, HttpRule};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for HttpRule {
    const KIND: Kind = Kind::HttpRule;
    const OPTIONAL: bool = true;

    fn store(snap: &Snapshot) -> &Store<Self> {
        snap.http_rules()
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.insert_http_rule(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.remove_http_rule(key)
    }

    /// The spec and the creation time (the newer of two rules naming one path wins).
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        // The generation too: a spec set back to the version in effect must reach the loop.
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    fn touches(_key: &NsName, object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::Hosts(
            object
                .map(|r| HostPattern {
                    fqdn_type: FqdnType::Exact,
                    fqdn: r.spec.fqdn.clone(),
                    shared_vs: false,
                })
                .into_iter()
                .collect(),
            Vec::new(),
        )
    }
}
