//! AKO's configuration: the chart's values.yaml keys (the compatibility contract, see
//! `shared/reference/ako-chart/values.yaml`) and what they mean once validated.
//!
//! values.yaml mixes `true` and `"true"`, so booleans are read loosely, as AKO's chart
//! renders them into strings anyway. Every problem is reported with the key that caused it.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer};

use crate::shard::ShardSize;

/// The chart's values (only the sections and keys AKO reads; everything else is ignored).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Values {
    /// `AKOSettings`.
    #[serde(rename = "AKOSettings")]
    pub ako_settings: AkoSettings,
    /// `NetworkSettings`.
    pub network_settings: NetworkSettings,
    /// `L7Settings`.
    #[serde(rename = "L7Settings")]
    pub l7_settings: L7Settings,
    /// `L4Settings`.
    #[serde(rename = "L4Settings")]
    pub l4_settings: L4Settings,
    /// `ControllerSettings`.
    pub controller_settings: ControllerSettings,
    /// `nodePortSelector`.
    #[serde(rename = "nodePortSelector")]
    pub node_port_selector: LabelSelector,
    /// `featureGates`.
    #[serde(rename = "featureGates")]
    pub feature_gates: FeatureGates,
}

/// `featureGates`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FeatureGates {
    /// `GatewayAPI`: serve GatewayClasses, Gateways and HTTPRoutes (AKO's separate container;
    /// built into `ako run`).
    #[serde(rename = "GatewayAPI")]
    pub gateway_api: Option<LooseBool>,
}

/// `AKOSettings`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AkoSettings {
    /// `primaryInstance`.
    pub primary_instance: Option<LooseBool>,
    /// `fullSyncFrequency` (seconds).
    pub full_sync_frequency: Option<LooseU64>,
    /// `apiServerPort`.
    pub api_server_port: Option<LooseU64>,
    /// `disableStaticRouteSync`.
    pub disable_static_route_sync: Option<LooseBool>,
    /// `useDefaultSecretsOnly`.
    pub use_default_secrets_only: Option<LooseBool>,
    /// `deleteConfig`.
    pub delete_config: Option<LooseBool>,
    /// `clusterName`.
    pub cluster_name: Option<String>,
    /// `cniPlugin`.
    pub cni_plugin: Option<String>,
    /// `enableEVH`.
    #[serde(rename = "enableEVH")]
    pub enable_evh: Option<LooseBool>,
    /// `vipPerNamespace`.
    pub vip_per_namespace: Option<LooseBool>,
    /// `layer7Only`.
    pub layer7_only: Option<LooseBool>,
    /// `namespaceSelector`.
    pub namespace_selector: LabelSelectorKeys,
    /// `blockedNamespaceList`.
    pub blocked_namespace_list: Vec<String>,
    /// `ipFamily`.
    pub ip_family: Option<String>,
    /// `allowMassDeletion` (ako-rs): never hold deletes for lack of evidence.
    pub allow_mass_deletion: Option<LooseBool>,
    /// `massDeletionHoldSeconds` (ako-rs): how long held deletes wait.
    pub mass_deletion_hold_seconds: Option<LooseU64>,
    /// `logLevel`: `DEBUG`, `INFO`, `WARN` or `ERROR`.
    pub log_level: Option<String>,
    /// `enableEvents`.
    pub enable_events: Option<LooseBool>,
}

/// `NetworkSettings`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkSettings {
    /// `nodeNetworkList`.
    pub node_network_list: Vec<NodeNetwork>,
    /// `enableRHI`.
    #[serde(rename = "enableRHI")]
    pub enable_rhi: Option<LooseBool>,
    /// `bgpPeerLabels`.
    pub bgp_peer_labels: Vec<String>,
    /// `vipNetworkList`.
    pub vip_network_list: Vec<VipNetwork>,
    /// `defaultDomain`.
    pub default_domain: Option<String>,
}

/// `L7Settings`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct L7Settings {
    /// `defaultIngController`.
    pub default_ing_controller: Option<LooseBool>,
    /// `noPGForSNI`.
    #[serde(rename = "noPGForSNI")]
    pub no_pg_for_sni: Option<LooseBool>,
    /// `serviceType`.
    pub service_type: Option<String>,
    /// `shardVSSize`.
    #[serde(rename = "shardVSSize")]
    pub shard_vs_size: Option<String>,
    /// `passthroughShardSize`.
    pub passthrough_shard_size: Option<String>,
    /// `fqdnReusePolicy`.
    pub fqdn_reuse_policy: Option<String>,
}

/// `L4Settings`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct L4Settings {
    /// `defaultLBController`.
    #[serde(rename = "defaultLBController")]
    pub default_lb_controller: Option<LooseBool>,
    /// `defaultDomain` (deprecated in favour of `NetworkSettings.defaultDomain`).
    pub default_domain: Option<String>,
    /// `autoFQDN`.
    #[serde(rename = "autoFQDN")]
    pub auto_fqdn: Option<String>,
}

/// `ControllerSettings`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ControllerSettings {
    /// `serviceEngineGroupName`.
    pub service_engine_group_name: Option<String>,
    /// `controllerVersion`.
    pub controller_version: Option<String>,
    /// `cloudName`.
    pub cloud_name: Option<String>,
    /// `controllerHost`.
    pub controller_host: Option<String>,
    /// `tenantName`.
    pub tenant_name: Option<String>,
    /// `vrfName`.
    pub vrf_name: Option<String>,
}

/// `{labelKey, labelValue}` (namespaceSelector).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelectorKeys {
    /// Label key.
    pub label_key: String,
    /// Label value.
    pub label_value: String,
}

/// `{key, value}` (nodePortSelector).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LabelSelector {
    /// Label key.
    pub key: String,
    /// Label value.
    pub value: String,
}

/// An entry of `vipNetworkList`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VipNetwork {
    /// Network name.
    pub network_name: String,
    /// Network uuid (instead of the name).
    #[serde(rename = "networkUUID")]
    pub network_uuid: String,
    /// IPv4 CIDR to allocate from.
    pub cidr: String,
    /// IPv6 CIDR to allocate from.
    pub v6cidr: String,
}

/// An entry of `nodeNetworkList`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeNetwork {
    /// Network name.
    pub network_name: String,
    /// Network uuid (instead of the name).
    #[serde(rename = "networkUUID")]
    pub network_uuid: String,
    /// Node CIDRs in that network.
    pub cidrs: Vec<String>,
}

/// A boolean written as `true` or `"true"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LooseBool(pub Option<bool>);

impl<'de> Deserialize<'de> for LooseBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        Ok(LooseBool(match Raw::deserialize(d)? {
            Raw::Bool(b) => Some(b),
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                // Unparseable: reported by validation with the key's name.
                _ => None,
            },
        }))
    }
}

/// A number written as `1800` or `"1800"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LooseU64(pub Option<u64>);

impl<'de> Deserialize<'de> for LooseU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        Ok(LooseU64(match Raw::deserialize(d)? {
            Raw::Number(n) => Some(n),
            Raw::Text(s) => s.trim().parse().ok(),
        }))
    }
}

impl Values {
    /// Parse a values.yaml document.
    pub fn from_yaml(text: &str) -> Result<Values, SettingsError> {
        serde_saphyr::from_str(text).map_err(|e| SettingsError::new("values.yaml", e.to_string()))
    }
}

/// One configuration problem, naming the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingsError {
    /// The values.yaml key, e.g. `AKOSettings.clusterName`.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl SettingsError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        SettingsError {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// How pool members are addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    /// Pod IPs from EndpointSlices.
    ClusterIp,
    /// Node IPs and the Service's node port.
    NodePort,
    /// Antrea NodePortLocal: node IP and per-pod port from the pod annotation.
    NodePortLocal,
}

/// Auto-generated FQDNs for LoadBalancer Services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoFqdn {
    /// `<svc>.<ns>.<subdomain>`.
    Default,
    /// `<svc>-<ns>.<subdomain>`.
    Flat,
    /// None.
    Disabled,
}

/// Who may use an FQDN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FqdnReusePolicy {
    /// Any namespace.
    InterNamespaceAllowed,
    /// The first namespace that claims it.
    Strict,
}

/// Address family of pool members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// Validated settings with AKO's defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `clusterName`: the prefix of every object name.
    pub cluster_name: String,
    /// `cloudName`.
    pub cloud_name: String,
    /// `tenantName`.
    pub tenant: String,
    /// `serviceEngineGroupName`.
    pub se_group: String,
    /// `vrfName`, when set.
    pub vrf_name: Option<String>,
    /// `vipNetworkList`.
    pub vip_networks: Vec<VipNetwork>,
    /// `nodeNetworkList`.
    pub node_networks: Vec<NodeNetwork>,
    /// `shardVSSize`.
    pub shard_size: ShardSize,
    /// `passthroughShardSize`.
    pub passthrough_shard_size: ShardSize,
    /// `serviceType`.
    pub service_type: ServiceType,
    /// `nodePortSelector`, when set (NodePort mode).
    pub node_port_selector: Option<(String, String)>,
    /// `cniPlugin` (lower-case).
    pub cni_plugin: String,
    /// `layer7Only`.
    pub layer7_only: bool,
    /// `defaultIngController`.
    pub default_ing_controller: bool,
    /// `defaultLBController`.
    pub default_lb_controller: bool,
    /// `autoFQDN`.
    pub auto_fqdn: AutoFqdn,
    /// `defaultDomain` (NetworkSettings, else L4Settings).
    pub default_domain: Option<String>,
    /// `enableRHI`.
    pub enable_rhi: bool,
    /// `bgpPeerLabels`.
    pub bgp_peer_labels: Vec<String>,
    /// `blockedNamespaceList`.
    pub blocked_namespaces: BTreeSet<String>,
    /// `namespaceSelector`, when set.
    pub namespace_selector: Option<(String, String)>,
    /// `noPGForSNI`.
    pub no_pg_for_sni: bool,
    /// `fqdnReusePolicy`.
    pub fqdn_reuse_policy: FqdnReusePolicy,
    /// `ipFamily`.
    pub ip_family: IpFamily,
    /// `enableEVH`.
    pub enable_evh: bool,
    /// `vipPerNamespace`: in EVH mode, one shared parent per namespace (no effect otherwise).
    pub vip_per_namespace: bool,
    /// `primaryInstance`.
    pub primary_instance: bool,
    /// `fullSyncFrequency`, seconds.
    pub full_sync_seconds: u64,
    /// `apiServerPort`.
    pub api_server_port: u16,
    /// `disableStaticRouteSync`.
    pub disable_static_route_sync: bool,
    /// `deleteConfig`: everything this cluster owns on the controller is removed and nothing
    /// is synced until it is false again.
    pub delete_config: bool,
    /// `controllerHost`, when set.
    pub controller_host: Option<String>,
    /// `controllerVersion`, when set.
    pub controller_version: Option<String>,
    /// `allowMassDeletion` (ako-rs, live): deletes are never held for lack of evidence.
    pub allow_mass_deletion: bool,
    /// `massDeletionHoldSeconds` (ako-rs, live): held deletes go ahead after this long without
    /// change.
    pub deletion_hold_seconds: u64,
    /// `logLevel` (live); `None`: the command's default. `RUST_LOG`, when set, wins.
    pub log_level: Option<LogLevel>,
    /// `enableEvents` (live): whether Kubernetes Events are written.
    pub enable_events: bool,
    /// The namespace AKO runs in (`POD_NAMESPACE`; the chart's `avi-system` by default): where
    /// Routes' default certificate, the Secret `router-certs-default`, is read.
    pub ako_namespace: String,
    /// The cluster serves OpenShift's Route API: as AKO does there, Routes are served instead
    /// of Ingresses. Not a setting: `ako run` finds it out at start.
    pub route_api: bool,
    /// `useDefaultSecretsOnly`: where the Route API exists, the rules may name Secrets of the
    /// AKO namespace only.
    pub use_default_secrets_only: bool,
    /// `featureGates.GatewayAPI`: Gateways and HTTPRoutes of GatewayClasses with AKO's
    /// controller name are served.
    pub gateway_api: bool,
}

impl Settings {
    /// Why a rule of namespace `ns` may not read its Secrets (`useDefaultSecretsOnly` where the
    /// Route API exists, outside the AKO namespace), in AKO's words.
    pub fn secrets_restricted(&self, ns: &str) -> Option<String> {
        (self.route_api && self.use_default_secrets_only && ns != self.ako_namespace)
            .then(|| format!("secret handling is restricted to {} namespace only", self.ako_namespace))
    }
}

/// The namespace of the chart's release, where AKO runs unless told otherwise.
pub const DEFAULT_AKO_NAMESPACE: &str = "avi-system";

/// AKO's `logLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
}

impl LogLevel {
    /// As a `tracing` level name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl std::str::FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "DEBUG" => Ok(LogLevel::Debug),
            "INFO" => Ok(LogLevel::Info),
            "WARN" | "WARNING" => Ok(LogLevel::Warn),
            "ERROR" => Ok(LogLevel::Error),
            _ => Err(format!("{s:?} is not one of DEBUG, INFO, WARN, ERROR")),
        }
    }
}

impl Settings {
    /// Whether translation and sync read the same of both (everything but logging and Events).
    pub fn same_for_translation(&self, other: &Settings) -> bool {
        let mut other = other.clone();
        other.log_level = self.log_level;
        other.enable_events = self.enable_events;
        *self == other
    }

    /// The settings read once at start that differ in `new`: they take effect at the next
    /// restart (the controller connection and the admin server's port).
    pub fn restart_only_changes(&self, new: &Settings) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.controller_host != new.controller_host {
            out.push("ControllerSettings.controllerHost (controllerIP)");
        }
        if self.controller_version != new.controller_version {
            out.push("ControllerSettings.controllerVersion");
        }
        if self.api_server_port != new.api_server_port {
            out.push("AKOSettings.apiServerPort");
        }
        out
    }

    /// The VRF of every object AKO creates: `vrfName`, else `global`.
    pub fn vrf(&self) -> &str {
        self.vrf_name.as_deref().unwrap_or("global")
    }

    /// Validate `values`, applying AKO's defaults. Every problem is returned, each naming its key.
    pub fn from_values(v: &Values) -> Result<Settings, Vec<SettingsError>> {
        let mut errors = Vec::new();
        let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let mut flag = |key: &str, b: Option<LooseBool>, default: bool| match b {
            None => default,
            Some(LooseBool(Some(b))) => b,
            Some(LooseBool(None)) => {
                errors.push(SettingsError::new(key, "must be true or false"));
                default
            }
        };
        let a = &v.ako_settings;
        let primary_instance = flag("AKOSettings.primaryInstance", a.primary_instance, true);
        let disable_static_route_sync = flag("AKOSettings.disableStaticRouteSync", a.disable_static_route_sync, false);
        let delete_config = flag("AKOSettings.deleteConfig", a.delete_config, false);
        let use_default_secrets_only = flag("AKOSettings.useDefaultSecretsOnly", a.use_default_secrets_only, false);
        let allow_mass_deletion = flag("AKOSettings.allowMassDeletion", a.allow_mass_deletion, false);
        let enable_events = flag("AKOSettings.enableEvents", a.enable_events, true);
        let enable_evh = flag("AKOSettings.enableEVH", a.enable_evh, false);
        let gateway_api = flag("featureGates.GatewayAPI", v.feature_gates.gateway_api, false);
        let vip_per_namespace = flag("AKOSettings.vipPerNamespace", a.vip_per_namespace, false);
        let layer7_only = flag("AKOSettings.layer7Only", a.layer7_only, false);
        let enable_rhi = flag("NetworkSettings.enableRHI", v.network_settings.enable_rhi, false);
        let default_ing_controller = flag(
            "L7Settings.defaultIngController",
            v.l7_settings.default_ing_controller,
            true,
        );
        let no_pg_for_sni = flag("L7Settings.noPGForSNI", v.l7_settings.no_pg_for_sni, false);
        let default_lb_controller = flag(
            "L4Settings.defaultLBController",
            v.l4_settings.default_lb_controller,
            true,
        );

        let cluster_name = text(&a.cluster_name).unwrap_or_default();
        if cluster_name.is_empty() {
            errors.push(SettingsError::new(
                "AKOSettings.clusterName",
                "is required: a unique name for this cluster",
            ));
        } else if !cluster_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errors.push(SettingsError::new(
                "AKOSettings.clusterName",
                format!("{cluster_name:?} may only contain letters, digits, '-' and '_'"),
            ));
        }
        let c = &v.controller_settings;
        let cloud_name = text(&c.cloud_name).unwrap_or_else(|| "Default-Cloud".to_owned());

        let or_default = |raw: &Option<String>, default: &str| text(raw).unwrap_or_else(|| default.to_owned());
        let shard_raw = or_default(&v.l7_settings.shard_vs_size, "LARGE");
        let passthrough_raw = or_default(&v.l7_settings.passthrough_shard_size, "SMALL");
        let service_raw = or_default(&v.l7_settings.service_type, "ClusterIP");
        let fqdn_raw = or_default(&v.l4_settings.auto_fqdn, "default");
        let reuse_raw = or_default(&v.l7_settings.fqdn_reuse_policy, "InterNamespaceAllowed");

        let shard_size = shard_raw.parse().unwrap_or_else(|e| {
            errors.push(SettingsError::new("L7Settings.shardVSSize", e));
            ShardSize::Large
        });
        let passthrough_shard_size = match passthrough_raw.parse() {
            Ok(ShardSize::Dedicated) | Err(_) => {
                errors.push(SettingsError::new(
                    "L7Settings.passthroughShardSize",
                    "must be LARGE, MEDIUM or SMALL",
                ));
                ShardSize::Small
            }
            Ok(size) => size,
        };
        let service_type = match service_raw.as_str() {
            "ClusterIP" => ServiceType::ClusterIp,
            "NodePort" => ServiceType::NodePort,
            "NodePortLocal" => ServiceType::NodePortLocal,
            other => {
                errors.push(SettingsError::new(
                    "L7Settings.serviceType",
                    format!("{other:?} is not one of ClusterIP, NodePort, NodePortLocal"),
                ));
                ServiceType::ClusterIp
            }
        };
        // AKO treats an unknown autoFQDN value as "disabled"; so do we, and say so.
        let auto_fqdn = match fqdn_raw.as_str() {
            "default" => AutoFqdn::Default,
            "flat" => AutoFqdn::Flat,
            "disabled" => AutoFqdn::Disabled,
            other => {
                errors.push(SettingsError::new(
                    "L4Settings.autoFQDN",
                    format!("{other:?} is not one of default, flat, disabled"),
                ));
                AutoFqdn::Disabled
            }
        };
        let fqdn_reuse_policy = match reuse_raw.to_ascii_lowercase().as_str() {
            "internamespaceallowed" => FqdnReusePolicy::InterNamespaceAllowed,
            "strict" => FqdnReusePolicy::Strict,
            other => {
                errors.push(SettingsError::new(
                    "L7Settings.fqdnReusePolicy",
                    format!("{other:?} is not one of Strict, InterNamespaceAllowed"),
                ));
                FqdnReusePolicy::InterNamespaceAllowed
            }
        };
        let ip_family = match text(&a.ip_family).as_deref() {
            None | Some("V4") => IpFamily::V4,
            Some("V6") => IpFamily::V6,
            Some(other) => {
                errors.push(SettingsError::new(
                    "AKOSettings.ipFamily",
                    format!("{other:?} is not V4 or V6"),
                ));
                IpFamily::V4
            }
        };
        let vip_networks = v.network_settings.vip_network_list.clone();
        if vip_networks.is_empty() {
            errors.push(SettingsError::new(
                "NetworkSettings.vipNetworkList",
                "is required: the Avi network(s) VIPs are allocated from, e.g. [{networkName: vip-net}]",
            ));
        }
        for (i, n) in vip_networks.iter().enumerate() {
            if n.network_name.trim().is_empty() && n.network_uuid.trim().is_empty() {
                errors.push(SettingsError::new(
                    &format!("NetworkSettings.vipNetworkList[{i}]"),
                    "needs networkName or networkUUID",
                ));
            }
        }
        let cni_plugin = text(&a.cni_plugin).unwrap_or_default().to_ascii_lowercase();
        // AKO refuses NodePortLocal without Antrea (it is Antrea's feature).
        if service_type == ServiceType::NodePortLocal && cni_plugin != "antrea" {
            errors.push(SettingsError::new(
                "L7Settings.serviceType",
                "NodePortLocal needs AKOSettings.cniPlugin: antrea (NodePortLocal is an Antrea feature)",
            ));
        }
        let node_port_selector = match &v.node_port_selector {
            s if s.key.is_empty() => None,
            s => Some((s.key.clone(), s.value.clone())),
        };
        let namespace_selector = match &a.namespace_selector {
            s if s.label_key.is_empty() => None,
            s => Some((s.label_key.clone(), s.label_value.clone())),
        };
        let deletion_hold_seconds = match a.mass_deletion_hold_seconds {
            None => 600,
            Some(LooseU64(Some(n))) => n,
            Some(LooseU64(None)) => {
                errors.push(SettingsError::new(
                    "AKOSettings.massDeletionHoldSeconds",
                    "must be a number of seconds",
                ));
                600
            }
        };
        let full_sync_seconds = match a.full_sync_frequency {
            None => 1800,
            Some(LooseU64(Some(n))) => n,
            Some(LooseU64(None)) => {
                errors.push(SettingsError::new(
                    "AKOSettings.fullSyncFrequency",
                    "must be a number of seconds",
                ));
                1800
            }
        };
        let api_server_port = match a.api_server_port {
            None => 8080,
            Some(LooseU64(Some(n))) if (1..=65535).contains(&n) => n as u16,
            Some(_) => {
                errors.push(SettingsError::new(
                    "AKOSettings.apiServerPort",
                    "must be a port number (1-65535)",
                ));
                8080
            }
        };
        let log_level = match text(&a.log_level).map(|l| l.parse::<LogLevel>()) {
            None => None,
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                errors.push(SettingsError::new("AKOSettings.logLevel", e));
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Settings {
            cluster_name,
            cloud_name,
            tenant: text(&c.tenant_name).unwrap_or_else(|| "admin".to_owned()),
            se_group: text(&c.service_engine_group_name).unwrap_or_else(|| "Default-Group".to_owned()),
            vrf_name: text(&c.vrf_name),
            vip_networks,
            node_networks: v.network_settings.node_network_list.clone(),
            shard_size,
            passthrough_shard_size,
            service_type,
            node_port_selector,
            cni_plugin,
            layer7_only,
            default_ing_controller,
            default_lb_controller,
            auto_fqdn,
            default_domain: text(&v.network_settings.default_domain).or_else(|| text(&v.l4_settings.default_domain)),
            enable_rhi,
            bgp_peer_labels: v.network_settings.bgp_peer_labels.clone(),
            blocked_namespaces: a.blocked_namespace_list.iter().cloned().collect(),
            namespace_selector,
            no_pg_for_sni,
            fqdn_reuse_policy,
            ip_family,
            enable_evh,
            vip_per_namespace,
            primary_instance,
            full_sync_seconds,
            api_server_port,
            disable_static_route_sync,
            delete_config,
            controller_host: text(&c.controller_host),
            controller_version: text(&c.controller_version),
            allow_mass_deletion,
            deletion_hold_seconds,
            log_level,
            enable_events,
            ako_namespace: DEFAULT_AKO_NAMESPACE.to_owned(),
            route_api: false,
            use_default_secrets_only,
            gateway_api,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Settings, Vec<SettingsError>> {
        Settings::from_values(&Values::from_yaml(yaml).map_err(|e| vec![e])?)
    }

    #[test]
    fn akos_own_values_yaml_parses_with_its_defaults() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/ako-chart/values.yaml"
        );
        let text = std::fs::read_to_string(path).expect("the chart's values.yaml");
        // The shipped file has an empty vipNetworkList: AKO refuses to start without one.
        let errors = parse(&text).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["NetworkSettings.vipNetworkList"]
        );
        let fixed = text.replace("vipNetworkList: []", "vipNetworkList:\n    - networkName: vip-net");
        let s = parse(&fixed).unwrap();
        assert_eq!(s.cluster_name, "my-cluster");
        assert_eq!(s.cloud_name, "Default-Cloud");
        assert_eq!(s.tenant, "admin");
        assert_eq!(s.se_group, "Default-Group");
        assert_eq!(s.shard_size, ShardSize::Large);
        assert_eq!(s.passthrough_shard_size, ShardSize::Small);
        assert_eq!(s.service_type, ServiceType::ClusterIp);
        assert_eq!(s.auto_fqdn, AutoFqdn::Default);
        assert_eq!(s.fqdn_reuse_policy, FqdnReusePolicy::InterNamespaceAllowed);
        assert_eq!(s.full_sync_seconds, 1800);
        assert_eq!(s.api_server_port, 8080);
        assert!(s.default_ing_controller && s.default_lb_controller && s.primary_instance);
        assert!(!s.enable_evh && !s.layer7_only && !s.no_pg_for_sni && !s.enable_rhi);
        assert_eq!(s.vip_networks[0].network_name, "vip-net");
    }

    #[test]
    fn loose_booleans_and_numbers() {
        let s = parse(
            r#"
AKOSettings: {clusterName: c1, layer7Only: "true", enableEVH: true, fullSyncFrequency: "60"}
NetworkSettings: {vipNetworkList: [{networkName: n}], enableRHI: "false"}
L7Settings: {noPGForSNI: "TRUE", shardVSSize: small, fqdnReusePolicy: strict}
"#,
        )
        .unwrap();
        assert!(s.layer7_only && s.enable_evh && s.no_pg_for_sni && !s.enable_rhi);
        assert_eq!(s.full_sync_seconds, 60);
        assert_eq!(s.shard_size, ShardSize::Small);
        assert_eq!(s.fqdn_reuse_policy, FqdnReusePolicy::Strict);
    }

    #[test]
    fn every_problem_names_its_key() {
        let errors = parse(
            r#"
AKOSettings: {clusterName: "my cluster", layer7Only: "maybe", apiServerPort: 0}
L7Settings: {shardVSSize: HUGE, serviceType: LoadBalancer}
L4Settings: {autoFQDN: sometimes}
"#,
        )
        .unwrap_err();
        let keys: BTreeSet<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        let expected: BTreeSet<&str> = [
            "AKOSettings.clusterName",
            "AKOSettings.layer7Only",
            "AKOSettings.apiServerPort",
            "L7Settings.shardVSSize",
            "L7Settings.serviceType",
            "L4Settings.autoFQDN",
            "NetworkSettings.vipNetworkList",
        ]
        .into_iter()
        .collect();
        assert_eq!(keys, expected, "{errors:#?}");
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn node_port_local_needs_antrea() {
        let base = "AKOSettings: {clusterName: c}\nNetworkSettings: {vipNetworkList: [{networkName: n}]}\nL7Settings: {serviceType: NodePortLocal}\n";
        let errors = parse(base).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, "L7Settings.serviceType");
        assert!(errors[0].message.contains("antrea"), "{}", errors[0].message);
        let ok = parse(&base.replace("clusterName: c", "clusterName: c, cniPlugin: Antrea")).unwrap();
        assert_eq!(ok.service_type, ServiceType::NodePortLocal);
    }

    #[test]
    fn garbage_yaml_is_an_error_not_a_panic() {
        assert!(Values::from_yaml("AKOSettings: [1, 2").is_err());
        assert!(Values::from_yaml("AKOSettings: {clusterName: [a]}").is_err());
    }
}
