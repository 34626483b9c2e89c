//! L7Rule (`BuildL7Rule`, `populateCommonFields` in AKO's `internal/nodes/crd_translator.go`,
//! `ValidateL7RuleObj` in `internal/k8s/validator.go`): what an Accepted L7Rule named by a
//! HostRule (`spec.virtualhost.l7Rule`, same namespace) adds to the EVH virtual service of its
//! host — its own fields, and the HostRule's profiles and policies where the HostRule leaves them
//! unset — and its verdict.

use avi_model::ObjectType;
use serde_json::{Value, json};

use super::catalog::ControllerRef;
use super::verdict::{Verdict, check_refs};
use super::vs_rule::{AnalyticsPolicyOut, VsRule, throttle_value};
use crate::crds::{L7Rule, L7RuleSpec};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::namespaces::tenant_of;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The controller objects an L7Rule names, in AKO's order.
pub fn l7_rule_refs(rule: &L7Rule) -> Vec<ControllerRef> {
    let s = &rule.spec;
    let mut refs = Vec::new();
    let mut add = |kind: ObjectType, name: Option<&str>| {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            refs.push(ControllerRef::new(kind, n));
        }
    };
    add(ObjectType::BotDetectionPolicy, s.bot_policy_ref.as_deref());
    add(ObjectType::SecurityPolicy, s.security_policy_ref.as_deref());
    add(ObjectType::TrafficCloneProfile, s.traffic_clone_profile_ref.as_deref());
    for (kind, r) in [
        (ObjectType::AnalyticsProfile, &s.analytics_profile),
        (ObjectType::WafPolicy, &s.waf_policy),
        (ObjectType::IcapProfile, &s.icap_profile),
        (ObjectType::ErrorPageProfile, &s.error_page_profile),
        (ObjectType::ApplicationProfile, &s.application_profile),
    ] {
        add(kind, r.as_ref().map(|r| r.name.as_str()));
    }
    for p in s.http_policy.iter().flat_map(|p| p.policy_sets.iter().flatten()) {
        add(ObjectType::HttpPolicySet, Some(p));
    }
    refs.dedup();
    refs
}

/// The verdict of the L7Rule `key`: Accepted once every object it names exists on the controller
/// (in the tenant of its namespace), with the application profile of type HTTP.
pub fn l7_rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Verdict {
    let Some(rule) = snap.l7_rules.get(key) else {
        return Verdict::Rejected("the L7Rule does not exist".to_owned());
    };
    let tenant = tenant_of(snap, settings, &key.namespace);
    check_refs(cloud, settings, &tenant, &l7_rule_refs(rule))
}

/// The Accepted L7Rule the HostRule of namespace `ns` names, if any.
pub fn l7_rule_of<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: Option<&str>,
) -> Option<&'a L7Rule> {
    let key = NsName::new(ns, name.filter(|n| !n.is_empty())?);
    let rule = snap.l7_rules.get(&key)?;
    (l7_rule_verdict(snap, settings, cloud, &key) == Verdict::Accepted).then_some(rule)
}

/// The fields an L7Rule sets on a VS itself (AKO's generated fields), with the CRD's defaults
/// applied as the API server applies them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L7Fields {
    pub(super) spec: L7RuleSpec,
}

impl L7Fields {
    /// Every field of the VS body the rule sets; on a child (`child`), not those AKO keeps for
    /// parents and DEDICATED VSes (host name translation, security policy, limits).
    pub fn apply(&self, body: &mut Value, child: bool) {
        let s = &self.spec;
        body["allow_invalid_client_cert"] = json!(s.allow_invalid_client_cert.unwrap_or(false));
        if let Some(b) = &s.bot_policy_ref {
            body["bot_policy_ref"] = json!(format!("/api/botpolicy?name={b}"));
        }
        body["close_client_conn_on_config_update"] = json!(s.close_client_conn_on_config_update.unwrap_or(false));
        body["ign_pool_net_reach"] = json!(s.ign_pool_net_reach.unwrap_or(false));
        if let Some(m) = s.min_pools_up {
            body["min_pools_up"] = json!(m);
        }
        body["remove_listening_port_on_vs_down"] = json!(s.remove_listening_port_on_vs_down.unwrap_or(false));
        body["ssl_sess_cache_avg_size"] = json!(s.ssl_sess_cache_avg_size.unwrap_or(DEFAULT_SSL_SESS_CACHE));
        if let Some(t) = &s.traffic_clone_profile_ref {
            body["traffic_clone_profile_ref"] = json!(format!("/api/trafficcloneprofile?name={t}"));
        }
        if child {
            return;
        }
        if let Some(h) = &s.host_name_xlate {
            body["host_name_xlate"] = json!(h);
        }
        if let Some(p) = &s.security_policy_ref {
            body["security_policy_ref"] = json!(format!("/api/securitypolicy?name={p}"));
        }
        if let Some(l) = &s.performance_limits {
            let mut limits = json!({});
            if let Some(c) = l.max_concurrent_connections {
                limits["max_concurrent_connections"] = json!(c);
            }
            if let Some(t) = l.max_throughput {
                limits["max_throughput"] = json!(t);
            }
            body["performance_limits"] = limits;
        }
    }
}

/// The CRD's default `sslSessCacheAvgSize`.
pub(super) const DEFAULT_SSL_SESS_CACHE: u32 = 1024;

impl VsRule {
    /// The rule with what the L7Rule `l7` adds: its own fields, and the profiles and policies the
    /// HostRule leaves unset (never its ICAP profile: AKO's HostRule default always wins).
    pub fn with_l7(mut self, l7: &L7Rule) -> VsRule {
        let s = &l7.spec;
        let api = |kind: ObjectType, r: &Option<crate::crds::KindName>| {
            r.as_ref().map(|r| ControllerRef::new(kind, &r.name).api_ref())
        };
        if self.analytics_policy.is_none()
            && let Some(a) = &s.analytics_policy
        {
            let logs = a.full_client_logs.as_ref();
            self.analytics_policy = Some(AnalyticsPolicyOut {
                all_headers: a.log_all_headers,
                duration: logs.and_then(|l| l.duration).unwrap_or(0),
                enabled: logs.and_then(|l| l.enabled),
                throttle: logs.map(|l| throttle_value(l.throttle)),
            });
        }
        if self.analytics_profile.is_none() {
            self.analytics_profile = api(ObjectType::AnalyticsProfile, &s.analytics_profile);
        }
        if self.error_page_profile.is_empty() {
            self.error_page_profile = api(ObjectType::ErrorPageProfile, &s.error_page_profile).unwrap_or_default();
        }
        if self.application_profile.is_none() {
            self.application_profile = api(ObjectType::ApplicationProfile, &s.application_profile);
        }
        if self.waf_policy.is_none() {
            self.waf_policy = api(ObjectType::WafPolicy, &s.waf_policy);
        }
        if self.policy_sets.is_empty()
            && let Some(p) = &s.http_policy
        {
            for name in p.policy_sets.iter().flatten() {
                let r = ControllerRef::new(ObjectType::HttpPolicySet, name).api_ref();
                if !self.policy_sets.contains(&r) {
                    self.policy_sets.push(r);
                }
            }
            self.overwrite |= p.overwrite == Some(true);
        }
        self.l7 = Some(L7Fields { spec: s.clone() });
        self
    }
}
