//! L7Rule (`ako.vmware.com/v1alpha2`): more settings of the EVH virtual service of the hosts
//! whose HostRule names it (`spec.virtualhost.l7Rule`, same namespace) — bot and security
//! policies, traffic cloning, limits, connection handling — and profiles the HostRule leaves
//! unset. AKO applies it in EVH mode only.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AnalyticsPolicy, HttpPolicy, PerformanceLimits, RuleStatus};

/// `spec` of an L7Rule.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1alpha2",
    kind = "L7Rule",
    plural = "l7rules",
    shortname = "l7rule",
    namespaced,
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "Status", "type": "string", "description": "Status of the L7Rule object.", "jsonPath": ".status.status"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "description": "Creation timestamp of the L7Rule object.", "jsonPath": ".metadata.creationTimestamp"}"#,
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct L7RuleSpec {
    /// Accept clients whose certificate fails validation (datascripts handle them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub allow_invalid_client_cert: Option<bool>,
    /// Bot detection policy (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_policy_ref: Option<String>,
    /// Close client connections when the VS's configuration changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub close_client_conn_on_config_update: Option<bool>,
    /// Host name the servers' replies are translated back to (parents and DEDICATED VSes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name_xlate: Option<String>,
    /// Ignore pool network reachability when placing the VS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub ign_pool_net_reach: Option<bool>,
    /// Pools that must be up for the VS to be up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub min_pools_up: Option<u32>,
    /// Connection and throughput limits (parents and DEDICATED VSes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_limits: Option<PerformanceLimits>,
    /// Stop listening while the VS is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub remove_listening_port_on_vs_down: Option<bool>,
    /// Security policy (by name; parents and DEDICATED VSes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_policy_ref: Option<String>,
    /// Expected average size of the SSL session cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 1024), range(min = 1024, max = 16383))]
    pub ssl_sess_cache_avg_size: Option<u32>,
    /// Traffic clone profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_clone_profile_ref: Option<String>,
    /// Analytics profile, unless the HostRule sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_profile: Option<KindName>,
    /// Application profile, unless the HostRule sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_profile: Option<KindName>,
    /// WAF policy, unless the HostRule sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf_policy: Option<KindName>,
    /// ICAP profile (AKO never applies it: the HostRule's empty list always wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icap_profile: Option<KindName>,
    /// Error page profile, unless the HostRule sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_page_profile: Option<KindName>,
    /// Analytics policy, unless the HostRule sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_policy: Option<AnalyticsPolicy>,
    /// HTTP policy sets, unless the HostRule sets some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_policy: Option<HttpPolicy>,
}

/// A reference to a controller object: its kind (only `AviRef`) and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KindName {
    /// `AviRef`.
    #[schemars(extend("default" = "AviRef", "enum" = ["AviRef"]))]
    pub kind: String,
    /// The object's name.
    pub name: String,
}
