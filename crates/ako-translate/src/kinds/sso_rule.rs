//! SSORule (`ako.vmware.com/v1alpha2`): single sign-on on the EVH virtual service of the host its
//! `fqdn` names. Not a root: a change re-translates the models of the host it named before and
//! names now; the Secrets of its OAuth client and server secrets are fetched for it. Its CRD is
//! optional: without it, the feature is off.

use super::{HostPattern, InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::crds::{FqdnType, SsoRule};
use crate::key::{NsName, ObjRef};
use crate::namespaces::namespace_accepted;
use crate::rules::sso_rule_secrets;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for SsoRule {
    const KIND: Kind = Kind::SsoRule;
    const OPTIONAL: bool = true;

    plain_store!(sso_rules);

    /// The spec and the creation time (which of two rules naming one FQDN wins); not the status
    /// ako-rs writes.
    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_meta(&a.metadata, &b.metadata) && a.spec == b.spec && a.metadata.generation == b.metadata.generation
    }

    fn touches(key: &NsName, object: Option<&Self>, snap: &Snapshot, settings: &Settings) -> Touch {
        let patterns = object
            .map(|r| HostPattern {
                fqdn_type: FqdnType::Exact,
                fqdn: r.spec.fqdn.clone(),
                shared_vs: false,
            })
            .into_iter()
            .collect();
        // What a rule of a namespace this instance does not serve names is never fetched, nor
        // a Secret `useDefaultSecretsOnly` keeps it from.
        let reads = object
            .filter(|_| namespace_accepted(snap, settings, &key.namespace))
            .filter(|_| settings.secrets_restricted(&key.namespace).is_none())
            .into_iter()
            .flat_map(sso_rule_secrets)
            .map(|name| ObjRef::new(Kind::Secret, &key.namespace, name))
            .collect();
        Touch::Hosts(patterns, reads)
    }
}
