//! HostRule (`ako.vmware.com/v1beta1`): settings of the virtual service of the hosts its FQDN
//! matches, or of shared parent VSes. Not a root: a change re-translates the models of the hosts
//! it matched before and matches now; the Secret of a certificate it names is fetched for it.
//! Its CRD is optional: without it, the feature is off.

use super::{HostPattern, InputKind, Kind, Store, Touch, same_meta};
use crate::crds::HostRule;
use crate::key::{NsName, ObjRef};
use crate::namespaces::namespace_accepted;
use crate::rules::matching::is_shared_vs_rule;
use crate::rules::verdict::certificate_secrets;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for HostRule {
    const KIND: Kind = Kind::HostRule;
    const OPTIONAL: bool = true;

    fn store(snap: &Snapshot) -> &Store<Self> {
        snap.host_rules()
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.insert_host_rule(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.remove_host_rule(key)
    }

    /// The spec and the creation time (which of two rules claiming one FQDN wins); not the
    /// status ako-rs writes.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        // The generation too: a spec set back to the version in effect must reach the loop.
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    /// Its hosts, and those of every rule with aliases: an alias is claimed by the oldest rule
    /// naming it, so a change (or deletion) of one rule can accept or reject another.
    fn touches(key: &NsName, object: Option<&Self>, snap: &Snapshot, settings: &Settings) -> Touch {
        let mut patterns: Vec<HostPattern> = object.map(pattern).into_iter().collect();
        for other in snap.host_rules().values() {
            let p = pattern(other);
            if other.spec.virtualhost.aliases.as_ref().is_some_and(|a| !a.is_empty()) && !patterns.contains(&p) {
                patterns.push(p);
            }
        }
        // What a rule of a namespace this instance does not serve names is never fetched, nor
        // a Secret `useDefaultSecretsOnly` keeps it from.
        let served = namespace_accepted(snap, settings, &key.namespace);
        let secrets_allowed = settings.secrets_restricted(&key.namespace).is_none();
        // The Secrets of its certificates, and its L7Rule.
        let reads = object
            .filter(|_| served)
            .into_iter()
            .flat_map(|r| {
                let secrets = certificate_secrets(r)
                    .into_iter()
                    .filter(|_| secrets_allowed)
                    .map(|name| ObjRef::new(Kind::Secret, &key.namespace, name));
                let l7 = r.spec.virtualhost.l7_rule.as_deref().filter(|n| !n.is_empty());
                secrets.chain(l7.map(|name| ObjRef::new(Kind::L7Rule, &key.namespace, name)))
            })
            .collect();
        Touch::Hosts(patterns, reads)
    }
}

fn pattern(r: &HostRule) -> HostPattern {
    HostPattern {
        fqdn_type: r.spec.virtualhost.fqdn_type.unwrap_or_default(),
        fqdn: r.spec.virtualhost.fqdn.clone(),
        shared_vs: is_shared_vs_rule(r),
    }
}
