//! L4Rule (`ako.vmware.com/v1alpha2`): settings of the L4 virtual service of the LoadBalancer
//! Services that name it (annotation `ako.vmware.com/l4rule`) — its profiles, listeners, VIP,
//! limits, policies, certificates and datascripts — and of their pools, port by port.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleStatus;

/// `spec` of an L4Rule.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1alpha2",
    kind = "L4Rule",
    plural = "l4rules",
    shortname = "l4rule",
    namespaced,
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "Status", "type": "string", "description": "Status of the L4Rule object.", "jsonPath": ".status.status"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "description": "Creation timestamp of the L4Rule object.", "jsonPath": ".metadata.creationTimestamp"}"#,
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct L4RuleSpec {
    /// Analytics policy of the VS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_policy: Option<L4AnalyticsPolicy>,
    /// Analytics profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "System-Analytics-Profile"))]
    pub analytics_profile_ref: Option<String>,
    /// Application profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "System-L4-Application"))]
    pub application_profile_ref: Option<String>,
    /// Settings of the pools, by port and protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_properties: Option<Vec<BackendProperties>>,
    /// The VS's listeners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_properties: Option<Vec<ListenerProperties>>,
    /// The preferred VIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    /// Network profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "System-TCP-Proxy"))]
    pub network_profile_ref: Option<String>,
    /// Network security policy (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_security_policy_ref: Option<String>,
    /// Connection and throughput limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_limits: Option<PerformanceLimits>,
    /// Security policy (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_policy_ref: Option<String>,
    /// Certificates of the VS (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_key_and_certificate_refs: Option<Vec<String>>,
    /// SSL profile of the VS (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_profile_ref: Option<String>,
    /// Datascripts of the VS (by name), in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_datascript_refs: Option<Vec<String>>,
    /// Withdraw the VIP's route when the VS is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub revoke_vip_route: Option<bool>,
}

/// `spec.analyticsPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct L4AnalyticsPolicy {
    /// Full client logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_client_logs: Option<L4FullClientLogs>,
}

/// `spec.analyticsPolicy.fullClientLogs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct L4FullClientLogs {
    /// Whether they are on.
    pub enabled: bool,
    /// For how long (minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535), extend("default" = 30))]
    pub duration: Option<u32>,
    /// At most this many per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535), extend("default" = 10))]
    pub throttle: Option<u32>,
}

/// One of `spec.backendProperties`: the pool of the Service port with this port and protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendProperties {
    /// Realtime metrics of the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_policy: Option<PoolAnalyticsPolicy>,
    /// Persistence profile (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_persistence_profile_ref: Option<String>,
    /// Whether the pool is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Health monitors (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_monitor_refs: Option<Vec<String>>,
    /// Load-balancing algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "LB_ALGORITHM_LEAST_CONNECTIONS"))]
    pub lb_algorithm: Option<L4LbAlgorithm>,
    /// The header of `LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lb_algorithm_consistent_hash_hdr: Option<String>,
    /// The hash of `LB_ALGORITHM_CONSISTENT_HASH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lb_algorithm_hash: Option<L4LbHash>,
    /// At least this many servers up for the pool to be up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub min_servers_up: Option<u32>,
    /// PKI profile (by name) validating the servers' certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pki_profile_ref: Option<String>,
    /// The Service port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Its protocol.
    pub protocol: L4Protocol,
    /// Client certificate to the servers (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_key_and_certificate_ref: Option<String>,
    /// SSL profile to the servers (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_profile_ref: Option<String>,
    /// Health monitors (HealthMonitor objects of ako-crd-operator, by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_monitor_crd_refs: Option<Vec<String>>,
}

/// `backendProperties[].analyticsPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolAnalyticsPolicy {
    /// Realtime metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub enable_realtime_metrics: Option<bool>,
}

/// A pool's load-balancing algorithm (the controller's names; more than an HTTPRule allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum L4LbAlgorithm {
    /// Least connections.
    LB_ALGORITHM_LEAST_CONNECTIONS,
    /// Round robin.
    LB_ALGORITHM_ROUND_ROBIN,
    /// Fastest response.
    LB_ALGORITHM_FASTEST_RESPONSE,
    /// Consistent hash.
    LB_ALGORITHM_CONSISTENT_HASH,
    /// Least load.
    LB_ALGORITHM_LEAST_LOAD,
    /// Fewest servers.
    LB_ALGORITHM_FEWEST_SERVERS,
    /// Random.
    LB_ALGORITHM_RANDOM,
    /// Fewest tasks.
    LB_ALGORITHM_FEWEST_TASKS,
    /// Nearest server.
    LB_ALGORITHM_NEAREST_SERVER,
    /// Core affinity.
    LB_ALGORITHM_CORE_AFFINITY,
    /// Topology.
    LB_ALGORITHM_TOPOLOGY,
}

/// A consistent hash (the controller's names, in AKO's L4Rule order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum L4LbHash {
    /// Source IP.
    LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS,
    /// Source IP and port.
    LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS_AND_PORT,
    /// URI.
    LB_ALGORITHM_CONSISTENT_HASH_URI,
    /// A header (`lbAlgorithmConsistentHashHdr`).
    LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER,
    /// A string.
    LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_STRING,
    /// SIP Call-ID.
    LB_ALGORITHM_CONSISTENT_HASH_CALLID,
}

/// A Service port's protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum L4Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// One of `spec.listenerProperties`: a port of the VS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListenerProperties {
    /// SSL on the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub enable_ssl: Option<bool>,
    /// The port.
    #[schemars(range(min = 0, max = 65535))]
    pub port: i32,
    /// Its protocol (TCP only).
    pub protocol: ListenerProtocol,
}

/// The only protocol of a listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ListenerProtocol {
    /// TCP.
    #[default]
    Tcp,
}

/// `spec.performanceLimits`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceLimits {
    /// Concurrent connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub max_concurrent_connections: Option<u32>,
    /// Throughput (Mbps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub max_throughput: Option<u32>,
}
