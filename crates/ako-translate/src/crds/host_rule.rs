//! HostRule (`ako.vmware.com/v1beta1`): settings of the virtual service serving one FQDN — its
//! certificate, SSL profile, WAF policy, application/analytics/error-page/ICAP profiles,
//! additional HTTP policy sets and datascripts, aliases, GSLB FQDN, listeners.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleStatus;

/// `spec` of a HostRule.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1beta1",
    kind = "HostRule",
    plural = "hostrules",
    shortname = "hostrule",
    shortname = "hr",
    namespaced,
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "Host", "type": "string", "description": "virtualhost for which the hostrule is valid", "jsonPath": ".spec.virtualhost.fqdn"}"#,
    printcolumn = r#"{"name": "Status", "type": "string", "description": "status of the hostrule object", "jsonPath": ".status.status"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#,
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct HostRuleSpec {
    /// The virtual host this rule configures.
    pub virtualhost: VirtualHost,
}

/// How `fqdn` is matched against the hosts of Ingresses and Routes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FqdnType {
    /// The host equals `fqdn`.
    #[default]
    Exact,
    /// `fqdn` is `*.domain`: the hosts under the domain.
    Wildcard,
    /// The host contains `fqdn`.
    Contains,
}

/// `spec.virtualhost`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualHost {
    /// The FQDN (or pattern, per `fqdnType`) of the hosts this rule applies to.
    pub fqdn: String,
    /// How `fqdn` is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Exact"))]
    pub fqdn_type: Option<FqdnType>,
    /// Analytics profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_profile: Option<String>,
    /// Application profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_profile: Option<String>,
    /// ICAP profiles (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icap_profile: Option<Vec<String>>,
    /// Whether the virtual host is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_virtual_host: Option<bool>,
    /// Error page profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_page_profile: Option<String>,
    /// Datascripts (by name), in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datascripts: Option<Vec<String>>,
    /// Additional HTTP policy sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_policy: Option<HttpPolicy>,
    /// Network security policy (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_security_policy: Option<String>,
    /// L7Rule (by name, same namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l7_rule: Option<String>,
    /// GSLB settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gslb: Option<Gslb>,
    /// TLS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<HostTls>,
    /// WAF policy (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf_policy: Option<String>,
    /// Analytics policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_policy: Option<AnalyticsPolicy>,
    /// Listeners and VIP of a dedicated or shared virtual service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_settings: Option<TcpSettings>,
    /// Other FQDNs of the virtual host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
    /// Paths of the Ingresses are regular expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_regex: Option<bool>,
    /// Path the root `/` is redirected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_root_path: Option<String>,
}

/// `spec.virtualhost.httpPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpPolicy {
    /// Replace AKO's own HTTP policy sets instead of adding to them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    /// HTTP policy sets (by name), in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_sets: Option<Vec<String>>,
}

/// `spec.virtualhost.gslb`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gslb {
    /// The GSLB FQDN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Whether the aliases are GSLB FQDNs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub include_aliases: Option<bool>,
}

/// `spec.virtualhost.tls`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostTls {
    /// SSL profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_profile: Option<String>,
    /// The certificate.
    pub ssl_key_certificate: SslKeyCertificate,
    /// Where TLS terminates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination: Option<Termination>,
}

/// TLS termination of a HostRule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Termination {
    /// On the virtual service.
    #[default]
    Edge,
}

/// Where a certificate comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CertificateType {
    /// An SSLKeyAndCertificate on the controller, by name.
    #[default]
    Ref,
    /// A Kubernetes Secret in the rule's namespace.
    Secret,
}

/// `tls.sslKeyCertificate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SslKeyCertificate {
    /// Its name.
    pub name: String,
    /// Where it comes from.
    #[serde(rename = "type")]
    pub type_: CertificateType,
    /// A second certificate (e.g. ECDSA beside RSA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_certificate: Option<AlternateCertificate>,
}

impl SslKeyCertificate {
    /// The names of its certificates (main first, then the alternate) that come from `from`.
    pub fn names_from(&self, from: CertificateType) -> impl Iterator<Item = &str> {
        let alt = self.alternate_certificate.iter().map(|a| (a.type_, &a.name));
        std::iter::once((self.type_, &self.name))
            .chain(alt)
            .filter(move |(t, name)| *t == from && !name.is_empty())
            .map(|(_, name)| name.as_str())
    }
}

/// `tls.sslKeyCertificate.alternateCertificate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlternateCertificate {
    /// Its name.
    pub name: String,
    /// Where it comes from.
    #[serde(rename = "type")]
    pub type_: CertificateType,
}

/// `spec.virtualhost.analyticsPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsPolicy {
    /// Full client logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_client_logs: Option<FullClientLogs>,
    /// Log all headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub log_all_headers: Option<bool>,
}

/// `analyticsPolicy.fullClientLogs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FullClientLogs {
    /// Whether they are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub enabled: Option<bool>,
    /// Throttling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "HIGH"))]
    pub throttle: Option<Throttle>,
    /// For how long, in minutes (0: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 0))]
    pub duration: Option<u32>,
}

/// Full client log throttling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Throttle {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High (AKO's default).
    #[default]
    High,
    /// Disabled.
    Disabled,
}

/// `spec.virtualhost.tcpSettings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TcpSettings {
    /// Listener ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listeners: Option<Vec<Listener>>,
    /// The VIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
}

/// One listener.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    /// TLS on this port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "enableSSL")]
    pub enable_ssl: Option<bool>,
}
