//! AviInfraSetting (`ako.vmware.com/v1beta1`, cluster-scoped): where the virtual services of the
//! Ingresses and Services that name it are placed — Service Engine group, VIP and node networks,
//! route health injection with BGP peer labels, public IPs, the L7 shard size, the NSX-T tier-1.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleStatus;

/// `spec` of an AviInfraSetting.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1beta1",
    kind = "AviInfraSetting",
    plural = "aviinfrasettings",
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "Status", "type": "string", "description": "status of the nas object", "jsonPath": ".status.status"}"#,
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
pub struct AviInfraSettingSpec {
    /// Networking of the virtual services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<InfraNetwork>,
    /// The Service Engine group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_group: Option<InfraSeGroup>,
    /// L7 settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l7_settings: Option<InfraL7Settings>,
    /// NSX-T settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsx_settings: Option<InfraNsxSettings>,
}

/// `spec.network`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraNetwork {
    /// The networks VIPs are allocated from (the first is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_networks: Option<Vec<InfraVipNetwork>>,
    /// The networks that reach the nodes (pool placement networks in vCenter clouds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_networks: Option<Vec<InfraNodeNetwork>>,
    /// Route health injection of the VIPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_rhi: Option<bool>,
    /// A public IP for every VIP (public clouds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "enablePublicIP")]
    pub enable_public_ip: Option<bool>,
    /// Ports of the shared L7 virtual services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listeners: Option<Vec<InfraListener>>,
    /// BGP peer labels the VIPs are advertised to (with `enableRhi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp_peer_labels: Option<Vec<String>>,
}

/// One of `spec.network.vipNetworks`: by name or by uuid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{"required": ["networkName"]}, {"required": ["networkUUID"]}]))]
pub struct InfraVipNetwork {
    /// The network's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    /// The network's uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "networkUUID")]
    pub network_uuid: Option<String>,
    /// The IPv4 subnet VIPs come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// The IPv6 subnet VIPs come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v6cidr: Option<String>,
}

/// One of `spec.network.nodeNetworks`: by name or by uuid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{"required": ["networkName"]}, {"required": ["networkUUID"]}]))]
pub struct InfraNodeNetwork {
    /// The network's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    /// The network's uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "networkUUID")]
    pub network_uuid: Option<String>,
    /// The node subnets in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<String>>,
}

/// One of `spec.network.listeners`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraListener {
    /// The port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// TLS on the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "enableSSL")]
    pub enable_ssl: Option<bool>,
    /// HTTP/2 on the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "enableHTTP2")]
    pub enable_http2: Option<bool>,
}

/// `spec.seGroup`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InfraSeGroup {
    /// The group's name.
    pub name: String,
}

/// `spec.l7Settings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraL7Settings {
    /// How many shared L7 virtual services the hosts are spread over.
    pub shard_size: InfraShardSize,
}

/// `spec.l7Settings.shardSize`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum InfraShardSize {
    /// 1 shared virtual service.
    #[default]
    Small,
    /// 4.
    Medium,
    /// 8.
    Large,
    /// One virtual service per host.
    Dedicated,
}

impl From<InfraShardSize> for crate::shard::ShardSize {
    fn from(s: InfraShardSize) -> Self {
        match s {
            InfraShardSize::Small => crate::shard::ShardSize::Small,
            InfraShardSize::Medium => crate::shard::ShardSize::Medium,
            InfraShardSize::Large => crate::shard::ShardSize::Large,
            InfraShardSize::Dedicated => crate::shard::ShardSize::Dedicated,
        }
    }
}

/// `spec.nsxSettings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InfraNsxSettings {
    /// The NSX-T tier-1 logical router's path.
    pub t1lr: String,
}
