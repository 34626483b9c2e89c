//! HTTPRule (`ako.vmware.com/v1beta1`): settings of the pools serving the paths of one FQDN —
//! load-balancing algorithm, health monitors, persistence, re-encryption to the backends.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleStatus;

/// `spec` of an HTTPRule.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1beta1",
    kind = "HTTPRule",
    root = "HttpRule",
    plural = "httprules",
    shortname = "httprule",
    namespaced,
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "HOST", "type": "string", "description": "fqdn associated with the httprule", "jsonPath": ".spec.fqdn"}"#,
    printcolumn = r#"{"name": "Status", "type": "string", "description": "status of the httprule object", "jsonPath": ".status.status"}"#,
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
pub struct HttpRuleSpec {
    /// The FQDN whose paths this rule configures.
    pub fqdn: String,
    /// Per path target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<HttpRulePath>>,
}

/// One path of an HTTPRule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpRulePath {
    /// The path (of an Ingress rule) whose pools this applies to.
    #[schemars(regex(pattern = r"^\/.*$"))]
    pub target: String,
    /// Load-balancing algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_policy: Option<LoadBalancerPolicy>,
    /// Health monitors (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_monitors: Option<Vec<String>>,
    /// Persistence profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_persistence: Option<String>,
    /// TLS to the backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<PathTls>,
    /// HTTP/2 to the backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "enableHTTP2")]
    pub enable_http2: Option<bool>,
}

/// `paths[].loadBalancerPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerPolicy {
    /// The algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<LbAlgorithm>,
    /// The hash of `LB_ALGORITHM_CONSISTENT_HASH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<LbHash>,
    /// The header of `LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_header: Option<String>,
}

/// A pool's load-balancing algorithm (the controller's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum LbAlgorithm {
    /// Consistent hash.
    LB_ALGORITHM_CONSISTENT_HASH,
    /// Core affinity.
    LB_ALGORITHM_CORE_AFFINITY,
    /// Fastest response.
    LB_ALGORITHM_FASTEST_RESPONSE,
    /// Fewest servers.
    LB_ALGORITHM_FEWEST_SERVERS,
    /// Least connections.
    LB_ALGORITHM_LEAST_CONNECTIONS,
    /// Least load.
    LB_ALGORITHM_LEAST_LOAD,
    /// Round robin.
    LB_ALGORITHM_ROUND_ROBIN,
}

/// A consistent hash (the controller's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum LbHash {
    /// SIP Call-ID.
    LB_ALGORITHM_CONSISTENT_HASH_CALLID,
    /// Source IP.
    LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS,
    /// Source IP and port.
    LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS_AND_PORT,
    /// URI.
    LB_ALGORITHM_CONSISTENT_HASH_URI,
    /// A header (`hostHeader`).
    LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER,
    /// A string.
    LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_STRING,
}

/// `paths[].tls`: re-encryption to the backends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathTls {
    /// Always `reencrypt`.
    #[serde(rename = "type")]
    pub type_: ReencryptType,
    /// SSL profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_profile: Option<String>,
    /// PKI profile (by name) validating the backends' certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pki_profile: Option<String>,
    /// The CA of the backends' certificates, as PEM (AKO makes a PKI profile of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "destinationCA")]
    pub destination_ca: Option<String>,
}

/// The only TLS type of a path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReencryptType {
    /// Re-encrypt to the backend.
    #[default]
    Reencrypt,
}
