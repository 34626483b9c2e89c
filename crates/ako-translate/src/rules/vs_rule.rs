//! What an Accepted HostRule sets on the virtual service of its host (`BuildL7HostRule` in AKO's
//! `internal/nodes/crd_translator.go`): references to controller objects, listeners, VIP,
//! aliases. The L7 translation carries it into the bodies and checksums.

use super::catalog::ControllerRef;
use crate::checksum::{cluster_label_checksum, go_json_strings, hash};
use crate::crds::{CertificateType, HostRule, Throttle};
use crate::key::NsName;
use avi_model::ObjectType;
use serde_json::{Value, json};

/// A HostRule, as the VS it applies to sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VsRule {
    /// The rule (`service_metadata.crd_status`).
    pub rule: NsName,
    /// `ssl_key_and_certificate_refs` from the controller: they replace the Secret's certificate.
    pub certificates: Vec<String>,
    /// `ssl_profile_ref`.
    pub ssl_profile: Option<String>,
    /// `waf_policy_ref`.
    pub waf_policy: Option<String>,
    /// `application_profile_ref`.
    pub application_profile: Option<String>,
    /// `analytics_profile_ref`.
    pub analytics_profile: Option<String>,
    /// `error_page_profile_ref` (AKO sends `""` when unset).
    pub error_page_profile: String,
    /// `icap_request_profile_refs`.
    pub icap_profiles: Vec<String>,
    /// HTTP policy sets added after AKO's own.
    pub policy_sets: Vec<String>,
    /// AKO's own HTTP policy sets are dropped.
    pub overwrite: bool,
    /// `vs_datascripts`: on a shared parent they replace AKO's host-switching datascript.
    pub datascripts: Vec<String>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `analytics_policy`.
    pub analytics_policy: Option<AnalyticsPolicyOut>,
    /// More virtual-hosting domains for the host.
    pub aliases: Vec<String>,
    /// `useRegex`: the paths of its VS are regular expressions.
    pub use_regex: bool,
    /// `applicationRootPath`: where the path `/` is served, and redirected to.
    pub app_root: Option<String>,
    /// `gslb.fqdn`: the FQDN a GSLB service sends clients with. A host of the shared parent gets
    /// a policy set rewriting it to the host; an SNI child serves it as a virtual-hosting domain
    /// and the parent redirects it (never in a VsVip's DNS: the GSLB service owns that name).
    pub gslb_fqdn: Option<String>,
    /// `tcpSettings.listeners` as (port, SSL): a shared parent's or dedicated VS's services.
    pub listeners: Option<Vec<(i32, bool)>>,
    /// `tcpSettings.loadBalancerIP`: the VsVip's address (shared parent, dedicated VS).
    pub load_balancer_ip: Option<String>,
    /// `network_security_policy_ref` (shared parent, dedicated VS).
    pub network_security_policy: Option<String>,
    /// What the Accepted L7Rule the HostRule names sets on the VS itself (EVH mode).
    pub l7: Option<super::l7_rule::L7Fields>,
}

/// `analytics_policy` as AKO builds it from `analyticsPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnalyticsPolicyOut {
    /// `all_headers`.
    pub all_headers: Option<bool>,
    /// `full_client_logs.duration` (0: always).
    pub duration: u32,
    /// `full_client_logs.enabled`.
    pub enabled: Option<bool>,
    /// `full_client_logs.throttle`, when `fullClientLogs` is given.
    pub throttle: Option<u32>,
}

impl AnalyticsPolicyOut {
    /// The JSON AKO sends, which is also what it hashes: Go's field order, `enabled` always
    /// written (`null` when unset), the others only when set.
    pub fn go_json(&self) -> String {
        let mut out = String::from("{");
        if let Some(h) = self.all_headers {
            out.push_str(&format!("\"all_headers\":{h},"));
        }
        let enabled = self.enabled.map_or("null".to_owned(), |e| e.to_string());
        out.push_str(&format!(
            "\"full_client_logs\":{{\"duration\":{},\"enabled\":{enabled}",
            self.duration
        ));
        if let Some(t) = self.throttle {
            out.push_str(&format!(",\"throttle\":{t}"));
        }
        out.push_str("}}");
        out
    }

    /// The body field.
    pub fn to_json(&self) -> Value {
        serde_json::from_str(&self.go_json()).unwrap_or_else(|_| json!({}))
    }

    /// Its part of the VS checksum (`lib.GetAnalyticsPolicyChecksum`).
    pub fn checksum(&self, cluster: &str) -> u32 {
        hash(&self.go_json()).wrapping_add(cluster_label_checksum(cluster))
    }
}

pub(crate) fn throttle_value(t: Option<Throttle>) -> u32 {
    match t {
        Some(Throttle::High) => 10,
        Some(Throttle::Medium) => 30,
        Some(Throttle::Low) => 50,
        Some(Throttle::Disabled) | None => 0,
    }
}

impl VsRule {
    /// The effect of the Accepted HostRule `key`.
    pub fn of(key: &NsName, rule: &HostRule) -> VsRule {
        let vh = &rule.spec.virtualhost;
        let api = |kind: ObjectType, name: &Option<String>| {
            name.as_ref()
                .filter(|n| !n.is_empty())
                .map(|n| ControllerRef::new(kind, n).api_ref())
        };
        let mut certificates = Vec::new();
        let mut ssl_profile = None;
        if let Some(tls) = &vh.tls {
            certificates = tls
                .ssl_key_certificate
                .names_from(CertificateType::Ref)
                .map(|name| ControllerRef::new(ObjectType::SslKeyAndCertificate, name).api_ref())
                .collect();
            ssl_profile = api(ObjectType::SslProfile, &tls.ssl_profile);
        }
        let mut policy_sets: Vec<String> = Vec::new();
        for p in vh.http_policy.iter().flat_map(|p| p.policy_sets.iter().flatten()) {
            let r = ControllerRef::new(ObjectType::HttpPolicySet, p).api_ref();
            if !policy_sets.contains(&r) {
                policy_sets.push(r);
            }
        }
        let mut datascripts: Vec<String> = Vec::new();
        for d in vh.datascripts.iter().flatten() {
            let r = ControllerRef::new(ObjectType::VsDataScriptSet, d).api_ref();
            if !datascripts.contains(&r) {
                datascripts.push(r);
            }
        }
        let analytics_policy = vh.analytics_policy.as_ref().map(|a| {
            let logs = a.full_client_logs.as_ref();
            AnalyticsPolicyOut {
                all_headers: a.log_all_headers,
                duration: logs.and_then(|l| l.duration).unwrap_or(0),
                enabled: logs.and_then(|l| l.enabled),
                throttle: logs.map(|l| throttle_value(l.throttle)),
            }
        });
        let tcp = vh.tcp_settings.as_ref();
        VsRule {
            rule: key.clone(),
            certificates,
            ssl_profile,
            waf_policy: api(ObjectType::WafPolicy, &vh.waf_policy),
            application_profile: api(ObjectType::ApplicationProfile, &vh.application_profile),
            analytics_profile: api(ObjectType::AnalyticsProfile, &vh.analytics_profile),
            error_page_profile: api(ObjectType::ErrorPageProfile, &vh.error_page_profile).unwrap_or_default(),
            icap_profiles: vh
                .icap_profile
                .iter()
                .flatten()
                .take(1)
                .map(|i| ControllerRef::new(ObjectType::IcapProfile, i).api_ref())
                .collect(),
            policy_sets,
            overwrite: vh.http_policy.as_ref().and_then(|p| p.overwrite).unwrap_or(false),
            datascripts,
            enabled: vh.enable_virtual_host,
            analytics_policy,
            aliases: vh.aliases.clone().unwrap_or_default(),
            use_regex: vh.use_regex == Some(true),
            app_root: vh.application_root_path.clone().filter(|p| p.starts_with('/')),
            gslb_fqdn: vh.gslb.as_ref().and_then(|g| g.fqdn.clone()).filter(|f| !f.is_empty()),
            listeners: tcp.and_then(|t| t.listeners.as_ref()).map(|ls| {
                ls.iter()
                    .map(|l| (l.port.unwrap_or(0), l.enable_ssl.unwrap_or(false)))
                    .collect()
            }),
            load_balancer_ip: tcp.and_then(|t| t.load_balancer_ip.clone()).filter(|ip| !ip.is_empty()),
            network_security_policy: api(ObjectType::NetworkSecurityPolicy, &vh.network_security_policy),
            l7: None,
        }
    }

    /// Whether the rule gives the host a certificate of its own (the host is then served over
    /// TLS even when the Ingress has no `spec.tls` for it).
    pub fn has_certificate(&self) -> bool {
        !self.certificates.is_empty()
    }

    /// The references of the VS checksum's `vsRefs` part, in AKO's order: WAF, application,
    /// analytics, error page and SSL profiles, then the datascript, policy set and ICAP lists.
    pub fn checksum_refs(&self) -> String {
        let mut s = String::new();
        for r in [&self.waf_policy, &self.application_profile, &self.analytics_profile]
            .into_iter()
            .flatten()
        {
            s.push_str(r);
        }
        s.push_str(&self.error_page_profile);
        if let Some(p) = &self.ssl_profile {
            s.push_str(p);
        }
        for list in [&self.datascripts, &self.policy_sets, &self.icap_profiles] {
            if !list.is_empty() {
                s.push_str(&go_json_strings(list));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytics_policy_is_go_shaped() {
        let only_headers = AnalyticsPolicyOut {
            all_headers: Some(true),
            ..AnalyticsPolicyOut::default()
        };
        assert_eq!(
            only_headers.go_json(),
            r#"{"all_headers":true,"full_client_logs":{"duration":0,"enabled":null}}"#
        );
        let full = AnalyticsPolicyOut {
            all_headers: None,
            duration: 30,
            enabled: Some(true),
            throttle: Some(10),
        };
        assert_eq!(
            full.go_json(),
            r#"{"full_client_logs":{"duration":30,"enabled":true,"throttle":10}}"#
        );
        assert_eq!(full.to_json()["full_client_logs"]["throttle"], 10);
    }
}
