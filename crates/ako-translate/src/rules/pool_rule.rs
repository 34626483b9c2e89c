//! What Accepted HTTPRules (and L4Rules, [`crate::l4::rule`]) set on the pools of their host (`BuildPoolHTTPRule` in AKO's
//! `internal/nodes/crd_translator.go`): load balancing, health monitors, persistence,
//! re-encryption to the backends (with a PKI profile of its own for a `destinationCA`),
//! HTTP/2.
//!
//! A rule path applies to a pool of the same namespace and host whose path starts with it (AKO
//! matches pool names against `<host><target with / as _>`), so target `/` applies to every
//! path; several matching targets apply from the shortest to the longest.

use super::catalog::ControllerRef;
use super::matching::PathRule;
use crate::crds::LbHash;
use avi_model::ObjectType;

/// The SSL profile of a re-encrypting pool whose rule names none.
const DEFAULT_POOL_SSL_PROFILE: &str = "System-Standard";

/// What rules set on one pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolRule {
    /// `rule/target` of the last path applied (`service_metadata.crd_status`).
    pub applied: Option<String>,
    /// `sni_enabled`.
    pub sni_enabled: bool,
    /// `ssl_profile_ref`.
    pub ssl_profile: Option<String>,
    /// `pki_profile_ref` to a controller object.
    pub pki_profile: Option<String>,
    /// The CA of a PKI profile ako-rs owns (from `destinationCA`), with the target that set it
    /// (the profile's `Path` marker).
    pub destination_ca: Option<(String, String)>,
    /// `health_monitor_refs` (replacing the default).
    pub health_monitors: Vec<String>,
    /// `application_persistence_profile_ref`.
    pub persistence: Option<String>,
    /// `enable_http2`.
    pub enable_http2: Option<bool>,
    /// `lb_algorithm`.
    pub lb_algorithm: Option<String>,
    /// `lb_algorithm_hash`.
    pub lb_algorithm_hash: Option<String>,
    /// `lb_algorithm_consistent_hash_hdr`.
    pub lb_algorithm_consistent_hash_hdr: Option<String>,
    /// `ssl_key_and_certificate_ref` (an L4Rule's client certificate).
    pub ssl_key_and_certificate: Option<String>,
    /// `analytics_policy.enable_realtime_metrics` (an L4Rule's).
    pub realtime_metrics: Option<bool>,
    /// `enabled` (an L4Rule's).
    pub enabled: Option<bool>,
    /// `min_servers_up` (an L4Rule's).
    pub min_servers_up: Option<u32>,
}

/// Whether the rule target `target` covers a pool built for Ingress path `path` (both as AKO
/// writes them into names: `/` becomes `_`).
pub fn target_covers(target: &str, path: &str) -> bool {
    let target = if path.is_empty() && target == "/" { "" } else { target };
    path.replace('/', "_").starts_with(&target.replace('/', "_"))
}

impl PoolRule {
    /// A Route re-encrypting to the pool of its path `path`, with the destination CA `ca` (empty:
    /// none), under what HTTPRules set (`rule`): TLS to the backends with the default SSL
    /// profile, and a PKI profile of its own for the CA — the rules' settings win.
    pub fn route_reencrypt(rule: Option<PoolRule>, ca: &str, path: &str) -> PoolRule {
        let mut out = rule.unwrap_or_default();
        out.sni_enabled = true;
        out.ssl_profile
            .get_or_insert_with(|| ControllerRef::new(ObjectType::SslProfile, DEFAULT_POOL_SSL_PROFILE).api_ref());
        if out.destination_ca.is_none() && out.pki_profile.is_none() && !ca.is_empty() {
            out.destination_ca = Some((ca.to_owned(), path.to_owned()));
        }
        out
    }

    /// The effect of `rules` (least specific first) on a pool of `namespace` for path `path`;
    /// `None` when none applies.
    pub fn of(rules: &[PathRule<'_>], namespace: &str, path: &str) -> Option<PoolRule> {
        let mut out: Option<PoolRule> = None;
        for r in rules
            .iter()
            .filter(|r| r.rule.namespace == namespace && target_covers(&r.path.target, path))
        {
            out.get_or_insert_with(PoolRule::default).apply(r, path);
        }
        out
    }

    /// Apply the rule path `r` to a pool of path `pool_path`.
    fn apply(&mut self, r: &PathRule<'_>, pool_path: &str) {
        let p = r.path;
        // A Route's pool may have no path: target `/` is then read as that empty path (in
        // `crd_status` and the PKI profile's marker).
        let target = if pool_path.is_empty() && p.target == "/" {
            ""
        } else {
            p.target.as_str()
        };
        if let Some(tls) = &p.tls {
            self.sni_enabled = true;
            let profile = tls
                .ssl_profile
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(DEFAULT_POOL_SSL_PROFILE);
            self.ssl_profile = Some(ControllerRef::new(ObjectType::SslProfile, profile).api_ref());
            self.destination_ca = tls
                .destination_ca
                .clone()
                .filter(|c| !c.is_empty())
                .map(|ca| (ca, target.to_owned()));
            if let Some(pki) = tls.pki_profile.as_ref().filter(|p| !p.is_empty()) {
                self.pki_profile = Some(ControllerRef::new(ObjectType::PkiProfile, pki).api_ref());
            }
        }
        // AKO resets persistence with every path it applies, and adds health monitors.
        self.persistence = p
            .application_persistence
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| ControllerRef::new(ObjectType::ApplicationPersistenceProfile, s).api_ref());
        for hm in p.health_monitors.iter().flatten() {
            let r = ControllerRef::new(ObjectType::HealthMonitor, hm).api_ref();
            if !self.health_monitors.contains(&r) {
                self.health_monitors.push(r);
            }
        }
        if p.enable_http2.is_some() {
            self.enable_http2 = p.enable_http2;
        }
        let lb = p.load_balancer_policy.as_ref();
        if let Some(a) = lb.and_then(|l| l.algorithm) {
            self.lb_algorithm = Some(enum_name(&a));
        }
        if self.lb_algorithm.as_deref() == Some("LB_ALGORITHM_CONSISTENT_HASH") {
            let hash = lb.and_then(|l| l.hash);
            self.lb_algorithm_hash = Some(hash.map(|h| enum_name(&h)).unwrap_or_default());
            let header = lb.and_then(|l| l.host_header.clone()).filter(|h| !h.is_empty());
            if hash == Some(LbHash::LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER) && header.is_some() {
                self.lb_algorithm_consistent_hash_hdr = header;
            }
        }
        self.applied = Some(format!("{}/{target}", r.rule));
    }
}

/// The name serde gives an enum variant (the controller's spelling).
pub(crate) fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_covers_the_paths_it_prefixes() {
        assert!(target_covers("/", "/"));
        assert!(target_covers("/", "/api"));
        assert!(target_covers("/api", "/api/v1"));
        assert!(target_covers("/ap", "/api"), "AKO compares names, not path segments");
        assert!(!target_covers("/api", "/"));
        assert!(target_covers("/", ""), "an empty path is matched by /");
    }
}
