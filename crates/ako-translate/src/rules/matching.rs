//! Which rule applies where: the HostRule of a host (by FQDN type) or of a shared VS, and the
//! HTTPRule paths of a host (`internal/objects/crdrules.go`).
//!
//! AKO splits HostRules in two: those whose FQDN contains `Shared-` configure shared parent
//! VSes (matched against the parent's FQDN), the others configure hosts. Among several pattern
//! rules matching one host AKO takes whichever its map yields first; ako-rs takes the longest
//! pattern (the most specific), then the first by namespace/name. Rules in a namespace this
//! instance does not serve (`namespaceSelector`, `blockedNamespaceList`) are ignored, like its
//! Ingresses (AKO applies them whatever their namespace).

use super::verdict::{host_rule_verdict, http_rule_verdict};
use crate::crds::{FqdnType, HostRule, HttpRulePath};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The substring that makes a HostRule a shared VS's.
const SHARED_VS: &str = "Shared-";

/// Whether a HostRule of FQDN `pattern` and type `t` matches `fqdn`.
pub fn fqdn_matches(t: FqdnType, pattern: &str, fqdn: &str) -> bool {
    match t {
        FqdnType::Exact => pattern == fqdn,
        FqdnType::Contains => fqdn.contains(pattern),
        FqdnType::Wildcard => pattern.strip_prefix('*').is_some_and(|suffix| fqdn.ends_with(suffix)),
    }
}

/// Whether the HostRule configures shared parent VSes rather than hosts.
pub fn is_shared_vs_rule(rule: &HostRule) -> bool {
    rule.spec.virtualhost.fqdn.contains(SHARED_VS)
}

/// The HostRule that applies to the host `host` of a VS in `tenant`: Accepted, of a namespace of
/// that tenant, an exact match before any pattern.
pub fn host_rule_for<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    tenant: &str,
    host: &str,
) -> Option<(&'a NsName, &'a HostRule)> {
    rule_for(snap, settings, cloud, tenant, host, false)
}

/// The HostRule that applies to a shared parent VS whose FQDN is `fqdn` (its name when the cloud
/// has no DNS).
pub fn shared_vs_rule_for<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    tenant: &str,
    fqdn: &str,
) -> Option<(&'a NsName, &'a HostRule)> {
    rule_for(snap, settings, cloud, tenant, fqdn, true)
}

fn rule_for<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    tenant: &str,
    fqdn: &str,
    shared: bool,
) -> Option<(&'a NsName, &'a HostRule)> {
    let eligible = |(k, r): &(&NsName, &HostRule)| {
        is_shared_vs_rule(r) == shared
            && namespace_accepted(snap, settings, &k.namespace)
            && host_rule_verdict(snap, settings, cloud, k).is_accepted()
    };
    let exact = snap
        .host_rules_claiming(fqdn)
        .filter(|(_, r)| r.spec.virtualhost.fqdn_type.unwrap_or_default() == FqdnType::Exact)
        .find(eligible);
    let found = exact.or_else(|| {
        snap.pattern_host_rules()
            .filter(|(_, r)| {
                let vh = &r.spec.virtualhost;
                fqdn_matches(vh.fqdn_type.unwrap_or_default(), &vh.fqdn, fqdn)
            })
            .filter(eligible)
            .max_by(|(ka, a), (kb, b)| {
                let la = a.spec.virtualhost.fqdn.len();
                let lb = b.spec.virtualhost.fqdn.len();
                la.cmp(&lb).then_with(|| kb.cmp(ka))
            })
    })?;
    // A rule configures only the VSes of its own tenant (AKO logs the mismatch and applies nothing).
    (tenant_of(snap, settings, &found.0.namespace) == tenant).then_some(found)
}

/// One HTTPRule path that applies to a host.
#[derive(Clone, Copy, Debug)]
pub struct PathRule<'a> {
    /// The rule.
    pub rule: &'a NsName,
    /// The path settings.
    pub path: &'a HttpRulePath,
}

/// The HTTPRule paths of `host` in `tenant`, least specific target first (so that a longer target
/// decides what both set); where two rules name one target, the newer wins, as in AKO (its map
/// keeps the last rule it saw).
pub fn path_rules_for<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    tenant: &str,
    host: &str,
) -> Vec<PathRule<'a>> {
    let mut by_target: std::collections::BTreeMap<&str, (Option<_>, PathRule<'a>)> = std::collections::BTreeMap::new();
    for (key, rule) in snap.http_rules_of(host) {
        if tenant_of(snap, settings, &key.namespace) != tenant
            || !namespace_accepted(snap, settings, &key.namespace)
            || !http_rule_verdict(snap, settings, cloud, key).is_accepted()
        {
            continue;
        }
        let created = rule.metadata.creation_timestamp.as_ref().map(|t| t.0);
        for path in rule.spec.paths.iter().flatten() {
            let candidate = (created, PathRule { rule: key, path });
            match by_target.get(path.target.as_str()) {
                Some((c, p)) if (*c, p.rule) > (created, key) => {}
                _ => {
                    by_target.insert(&path.target, candidate);
                }
            }
        }
    }
    let mut out: Vec<PathRule<'a>> = by_target.into_values().map(|(_, p)| p).collect();
    out.sort_by(|a, b| (a.path.target.len(), &a.path.target).cmp(&(b.path.target.len(), &b.path.target)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_types_match_as_in_ako() {
        assert!(fqdn_matches(FqdnType::Exact, "a.b.c", "a.b.c"));
        assert!(!fqdn_matches(FqdnType::Exact, "a.b.c", "x.a.b.c"));
        assert!(fqdn_matches(FqdnType::Wildcard, "*.b.c", "a.b.c"));
        assert!(fqdn_matches(FqdnType::Wildcard, "*.b.c", "x.y.b.c"));
        assert!(!fqdn_matches(FqdnType::Wildcard, "*.b.c", "b.c"));
        assert!(
            !fqdn_matches(FqdnType::Wildcard, "b.c", "a.b.c"),
            "a wildcard starts with *"
        );
        assert!(fqdn_matches(FqdnType::Contains, "shop", "my-shop.example"));
        assert!(!fqdn_matches(FqdnType::Contains, "shop", "example"));
    }
}
