//! AKO's configuration as its Helm chart hands it to AKO: the environment variables the
//! StatefulSet sets and the data keys of the ConfigMap `avi-k8s-config` they are rendered from
//! (every value a string, lists as JSON). Both map onto the same [`Values`], validated by
//! [`Settings::from_values`]; every problem names the variable or key that was actually read.
//!
//! Precedence: a ConfigMap key wins over the environment variable of the same setting (in the
//! chart the variable is a copy of the key taken at pod start, so the ConfigMap is the newer);
//! a variable fills in what the ConfigMap lacks.
//!
//! Keys accepted but not used (AKO features ako-rs does not have) are listed by
//! [`ChartConfig::warnings`] when they ask for something; `enablePrometheus` and
//! `akoCRDOperatorEnabled` are accepted and ignored.

use std::collections::BTreeMap;

use crate::settings::{LooseBool, LooseU64, NodeNetwork, Settings, SettingsError, Values, VipNetwork};

/// How a value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Text,
    Bool,
    Number,
    /// JSON list of strings.
    Strings,
    /// JSON `[{networkName, networkUUID, cidr, v6cidr}]`.
    VipList,
    /// JSON `[{networkName, networkUUID, cidrs}]`.
    NodeList,
    /// A boolean AKO feature ako-rs does not implement: validated, a warning when true.
    UnsupportedBool,
    /// A text AKO setting ako-rs does not implement: a warning when set.
    UnsupportedText,
    /// Accepted and ignored.
    Ignored,
}

/// One setting: its environment variable (if the StatefulSet sets one), its ConfigMap key and
/// the values.yaml path it corresponds to.
struct Key {
    env: Option<&'static str>,
    key: &'static str,
    path: &'static str,
    ty: Ty,
}

const fn k(env: &'static str, key: &'static str, path: &'static str, ty: Ty) -> Key {
    Key {
        env: if env.is_empty() { None } else { Some(env) },
        key,
        path,
        ty,
    }
}

/// AKO's environment variables and ConfigMap keys (notes §6.2).
const KEYS: &[Key] = &[
    k(
        "CTRL_IPADDRESS",
        "controllerIP",
        "ControllerSettings.controllerHost",
        Ty::Text,
    ),
    k(
        "CTRL_VERSION",
        "controllerVersion",
        "ControllerSettings.controllerVersion",
        Ty::Text,
    ),
    k("CNI_PLUGIN", "cniPlugin", "AKOSettings.cniPlugin", Ty::Text),
    k("SHARD_VS_SIZE", "shardVSSize", "L7Settings.shardVSSize", Ty::Text),
    k(
        "PASSTHROUGH_SHARD_SIZE",
        "passthroughShardSize",
        "L7Settings.passthroughShardSize",
        Ty::Text,
    ),
    k(
        "FULL_SYNC_INTERVAL",
        "fullSyncFrequency",
        "AKOSettings.fullSyncFrequency",
        Ty::Number,
    ),
    k(
        "PRIMARY_AKO_FLAG",
        "primaryInstance",
        "AKOSettings.primaryInstance",
        Ty::Bool,
    ),
    k("CLOUD_NAME", "cloudName", "ControllerSettings.cloudName", Ty::Text),
    k("TENANT_NAME", "tenantName", "ControllerSettings.tenantName", Ty::Text),
    k("VRF_NAME", "vrfName", "ControllerSettings.vrfName", Ty::Text),
    k("CLUSTER_NAME", "clusterName", "AKOSettings.clusterName", Ty::Text),
    k("ENABLE_RHI", "enableRHI", "NetworkSettings.enableRHI", Ty::Bool),
    k("ENABLE_EVH", "enableEVH", "AKOSettings.enableEVH", Ty::Bool),
    k(
        "VIP_PER_NAMESPACE",
        "vipPerNamespace",
        "AKOSettings.vipPerNamespace",
        Ty::Bool,
    ),
    k(
        "DEFAULT_DOMAIN",
        "defaultDomain",
        "NetworkSettings.defaultDomain",
        Ty::Text,
    ),
    k(
        "DISABLE_STATIC_ROUTE_SYNC",
        "disableStaticRouteSync",
        "AKOSettings.disableStaticRouteSync",
        Ty::Bool,
    ),
    k(
        "NAMESPACE_SYNC_LABEL_KEY",
        "nsSyncLabelKey",
        "AKOSettings.namespaceSelector.labelKey",
        Ty::Text,
    ),
    k(
        "NAMESPACE_SYNC_LABEL_VALUE",
        "nsSyncLabelValue",
        "AKOSettings.namespaceSelector.labelValue",
        Ty::Text,
    ),
    k(
        "DEFAULT_ING_CONTROLLER",
        "defaultIngController",
        "L7Settings.defaultIngController",
        Ty::Bool,
    ),
    k(
        "DEFAULT_LB_CONTROLLER",
        "defaultLBController",
        "L4Settings.defaultLBController",
        Ty::Bool,
    ),
    k(
        "SEG_NAME",
        "serviceEngineGroupName",
        "ControllerSettings.serviceEngineGroupName",
        Ty::Text,
    ),
    k(
        "BGP_PEER_LABELS",
        "bgpPeerLabels",
        "NetworkSettings.bgpPeerLabels",
        Ty::Strings,
    ),
    k(
        "NODE_NETWORK_LIST",
        "nodeNetworkList",
        "NetworkSettings.nodeNetworkList",
        Ty::NodeList,
    ),
    k(
        "VIP_NETWORK_LIST",
        "vipNetworkList",
        "NetworkSettings.vipNetworkList",
        Ty::VipList,
    ),
    k("AKO_API_PORT", "apiServerPort", "AKOSettings.apiServerPort", Ty::Number),
    k("SERVICE_TYPE", "serviceType", "L7Settings.serviceType", Ty::Text),
    k("NODE_KEY", "nodeKey", "nodePortSelector.key", Ty::Text),
    k("NODE_VALUE", "nodeValue", "nodePortSelector.value", Ty::Text),
    k("AUTO_L4_FQDN", "autoFQDN", "L4Settings.autoFQDN", Ty::Text),
    k(
        "BLOCKED_NS_LIST",
        "blockedNamespaceList",
        "AKOSettings.blockedNamespaceList",
        Ty::Strings,
    ),
    k("IP_FAMILY", "ipFamily", "AKOSettings.ipFamily", Ty::Text),
    k(
        "FQDN_REUSE_POLICY",
        "fqdnReusePolicy",
        "L7Settings.fqdnReusePolicy",
        Ty::Text,
    ),
    // AKO reads these two from the ConfigMap only; the variables are accepted for use outside a cluster.
    k("LAYER7_ONLY", "layer7Only", "AKOSettings.layer7Only", Ty::Bool),
    k("NO_PG_FOR_SNI", "noPGForSNI", "L7Settings.noPGForSNI", Ty::Bool),
    // ako-rs's own, live: the deletion guard.
    k("", "allowMassDeletion", "AKOSettings.allowMassDeletion", Ty::Bool),
    k(
        "",
        "massDeletionHoldSeconds",
        "AKOSettings.massDeletionHoldSeconds",
        Ty::Number,
    ),
    // AKO features ako-rs does not implement.
    k(
        "ISTIO_ENABLED",
        "istioEnabled",
        "AKOSettings.istioEnabled",
        Ty::UnsupportedBool,
    ),
    k(
        "DEDICATED_TENANT_MODE",
        "dedicatedTenantMode",
        "ControllerSettings.dedicatedTenantMode",
        Ty::UnsupportedBool,
    ),
    k(
        "SERVICES_API",
        "servicesAPI",
        "AKOSettings.servicesAPI",
        Ty::UnsupportedBool,
    ),
    k("MCI_ENABLED", "enableMCI", "L7Settings.enableMCI", Ty::UnsupportedBool),
    k(
        "USE_DEFAULT_SECRETS_ONLY",
        "useDefaultSecretsOnly",
        "AKOSettings.useDefaultSecretsOnly",
        Ty::Bool,
    ),
    k("VPC_MODE", "vpcMode", "AKOSettings.vpcMode", Ty::UnsupportedBool),
    k("", "deleteConfig", "AKOSettings.deleteConfig", Ty::Bool),
    k(
        "NSXT_T1_LR",
        "nsxtT1LR",
        "NetworkSettings.nsxtT1LR",
        Ty::UnsupportedText,
    ),
    k(
        "PROMETHEUS_ENABLED",
        "enablePrometheus",
        "featureGates.EnablePrometheus",
        Ty::Ignored,
    ),
    k(
        "AKO_CRD_OPERATOR_ENABLED",
        "akoCRDOperatorEnabled",
        "ako-crd-operator.enabled",
        Ty::Ignored,
    ),
    k("", "gatewayAPI", "featureGates.GatewayAPI", Ty::Bool),
    k("", "logLevel", "AKOSettings.logLevel", Ty::Text),
    k("", "enableEvents", "AKOSettings.enableEvents", Ty::Bool),
];

/// The environment variables `ako run` reads (for documentation and `--help`).
pub fn env_var_names() -> impl Iterator<Item = &'static str> {
    KEYS.iter().filter_map(|k| k.env)
}

/// Every ConfigMap key ako-rs reads and its environment variable, if it has one: what a chart
/// must render for `ako run` (deploy/helm/ako is checked against this list).
pub fn chart_keys() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    KEYS.iter().map(|k| (k.key, k.env))
}

/// Configuration gathered from the environment and/or a ConfigMap's data.
#[derive(Clone, Debug, Default)]
pub struct ChartConfig {
    env: BTreeMap<&'static str, String>,
    configmap: BTreeMap<&'static str, String>,
    /// ConfigMap keys AKO does not read (a typo, most often).
    unknown: Vec<String>,
}

impl ChartConfig {
    /// Nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read AKO's environment variables through `lookup` (e.g. `|n| std::env::var(n).ok()`).
    pub fn add_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> &mut Self {
        for key in KEYS {
            if let Some(value) = key.env.and_then(&lookup) {
                self.env.insert(key.key, value);
            }
        }
        self
    }

    /// Read the `avi-k8s-config` ConfigMap's data. Keys AKO does not read are ignored, as AKO
    /// does, and reported by [`ChartConfig::warnings`] (AKO says nothing of a misspelt key).
    pub fn add_configmap(&mut self, data: &BTreeMap<String, String>) -> &mut Self {
        for key in KEYS {
            if let Some(value) = data.get(key.key) {
                self.configmap.insert(key.key, value.clone());
            }
        }
        self.unknown = data
            .keys()
            .filter(|k| !KEYS.iter().any(|key| key.key == k.as_str()))
            .cloned()
            .collect();
        self
    }

    /// Whether anything was read at all.
    pub fn is_empty(&self) -> bool {
        self.env.is_empty() && self.configmap.is_empty()
    }

    /// Each setting's value and the name it was read under (ConfigMap key, else variable).
    fn resolved(&self) -> impl Iterator<Item = (&'static Key, &str, &'static str)> + '_ {
        KEYS.iter().filter_map(|key| {
            if let Some(v) = self.configmap.get(key.key) {
                Some((key, v.as_str(), key.key))
            } else {
                let env = key.env?;
                self.env.get(key.key).map(|v| (key, v.as_str(), env))
            }
        })
    }

    /// The name to report a problem with `path` under: what was read, else both names.
    fn name_of(&self, path: &str) -> String {
        let (base, suffix) = match path.find('[') {
            Some(i) => (&path[..i], &path[i..]),
            None => (path, ""),
        };
        let Some(key) = KEYS.iter().find(|k| k.path == base) else {
            return path.to_owned();
        };
        if self.configmap.contains_key(key.key) {
            format!("{}{suffix}", key.key)
        } else if let (Some(env), true) = (key.env, self.env.contains_key(key.key)) {
            format!("{env}{suffix}")
        } else {
            match key.env {
                Some(env) => format!("{} (or {env}){suffix}", key.key),
                None => format!("{}{suffix}", key.key),
            }
        }
    }

    /// The chart's values these settings amount to, and the problems found reading them.
    pub fn values(&self) -> (Values, Vec<SettingsError>) {
        let mut v = Values::default();
        let mut errors = Vec::new();
        for (key, raw, name) in self.resolved() {
            if let Err(message) = apply(&mut v, key, raw) {
                errors.push(SettingsError {
                    key: name.to_owned(),
                    message,
                });
            }
        }
        (v, errors)
    }

    /// Validate, applying AKO's defaults. Every problem names the ConfigMap key or environment
    /// variable it came from (a missing required setting: both names).
    pub fn settings(&self) -> Result<Settings, Vec<SettingsError>> {
        let (values, mut errors) = self.values();
        match Settings::from_values(&values) {
            Ok(settings) if errors.is_empty() => Ok(settings),
            Ok(_) => Err(errors),
            Err(more) => {
                for e in more {
                    let key = self.name_of(&e.key);
                    // A value that did not parse is reported once, not again as missing.
                    if !errors.iter().any(|seen| key.starts_with(seen.key.as_str())) {
                        errors.push(SettingsError {
                            key,
                            message: e.message,
                        });
                    }
                }
                Err(errors)
            }
        }
    }

    /// ConfigMap keys AKO does not read, and AKO features asked for that ako-rs does not
    /// implement (one line each, naming the key).
    pub fn warnings(&self) -> Vec<String> {
        let unknown = self.unknown.iter().map(|k| {
            let meant = crate::unknown_keys::closest(KEYS.iter().map(|key| key.key), k)
                .map(|m| format!(" (did you mean {m}?)"))
                .unwrap_or_default();
            format!("{k} is not a key AKO reads: it is ignored{meant}")
        });
        let unsupported = self.resolved().filter_map(|(key, raw, name)| match key.ty {
            Ty::UnsupportedBool if raw.trim().eq_ignore_ascii_case("true") => {
                Some(format!("{name}: true is not supported by ako-rs and is ignored"))
            }
            Ty::UnsupportedText if !raw.trim().is_empty() => {
                Some(format!("{name}: {raw:?} is not supported by ako-rs and is ignored"))
            }
            _ => None,
        });
        unknown.chain(unsupported).collect()
    }
}

/// A boolean as AKO's chart renders it: `"true"`/`"false"` (any case); empty = unset.
fn boolean(raw: &str) -> Option<LooseBool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "true" => Some(LooseBool(Some(true))),
        "false" => Some(LooseBool(Some(false))),
        _ => Some(LooseBool(None)),
    }
}

/// A JSON list; empty, `null` and `[]` are an empty list.
fn json_list<T: serde::de::DeserializeOwned>(raw: &str, shape: &str) -> Result<Vec<T>, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "null" {
        return Ok(Vec::new());
    }
    serde_json::from_str::<Option<Vec<T>>>(raw)
        .map(Option::unwrap_or_default)
        .map_err(|e| format!("{raw:?} is not a JSON list {shape}: {e}"))
}

fn apply(v: &mut Values, key: &Key, raw: &str) -> Result<(), String> {
    let text = || Some(raw.to_owned());
    match key.ty {
        Ty::Ignored | Ty::UnsupportedText => return Ok(()),
        Ty::UnsupportedBool => {
            return match boolean(raw) {
                Some(LooseBool(None)) => Err(format!("{raw:?} must be true or false")),
                _ => Ok(()),
            };
        }
        Ty::Bool => {
            let b = boolean(raw);
            if let Some(LooseBool(None)) = b {
                return Err(format!("{raw:?} must be true or false"));
            }
            let a = &mut v.ako_settings;
            match key.key {
                "primaryInstance" => a.primary_instance = b,
                "enableEVH" => a.enable_evh = b,
                "vipPerNamespace" => a.vip_per_namespace = b,
                "disableStaticRouteSync" => a.disable_static_route_sync = b,
                "useDefaultSecretsOnly" => a.use_default_secrets_only = b,
                "deleteConfig" => a.delete_config = b,
                "layer7Only" => a.layer7_only = b,
                "allowMassDeletion" => a.allow_mass_deletion = b,
                "enableEvents" => a.enable_events = b,
                "enableRHI" => v.network_settings.enable_rhi = b,
                "defaultIngController" => v.l7_settings.default_ing_controller = b,
                "noPGForSNI" => v.l7_settings.no_pg_for_sni = b,
                "defaultLBController" => v.l4_settings.default_lb_controller = b,
                "gatewayAPI" => v.feature_gates.gateway_api = b,
                other => unreachable!("boolean key {other} has no field"),
            }
        }
        Ty::Number => {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                return Ok(());
            }
            let n = trimmed
                .parse::<u64>()
                .map_err(|_| format!("{raw:?} must be a whole number"))?;
            match key.key {
                "fullSyncFrequency" => v.ako_settings.full_sync_frequency = Some(LooseU64(Some(n))),
                "apiServerPort" => v.ako_settings.api_server_port = Some(LooseU64(Some(n))),
                "massDeletionHoldSeconds" => v.ako_settings.mass_deletion_hold_seconds = Some(LooseU64(Some(n))),
                other => unreachable!("number key {other} has no field"),
            }
        }
        Ty::Strings => {
            let list: Vec<String> = json_list(raw, r#"of strings, e.g. ["a","b"]"#)?;
            match key.key {
                "bgpPeerLabels" => v.network_settings.bgp_peer_labels = list,
                "blockedNamespaceList" => v.ako_settings.blocked_namespace_list = list,
                other => unreachable!("list key {other} has no field"),
            }
        }
        Ty::VipList => {
            v.network_settings.vip_network_list =
                json_list::<VipNetwork>(raw, r#"e.g. [{"networkName":"vip-net","cidr":"10.0.0.0/24"}]"#)?;
        }
        Ty::NodeList => {
            v.network_settings.node_network_list =
                json_list::<NodeNetwork>(raw, r#"e.g. [{"networkName":"node-net","cidrs":["10.0.0.0/24"]}]"#)?;
        }
        Ty::Text => {
            let c = &mut v.controller_settings;
            match key.key {
                "controllerIP" => c.controller_host = text(),
                "controllerVersion" => c.controller_version = text(),
                "cloudName" => c.cloud_name = text(),
                "tenantName" => c.tenant_name = text(),
                "vrfName" => c.vrf_name = text(),
                "serviceEngineGroupName" => c.service_engine_group_name = text(),
                "cniPlugin" => v.ako_settings.cni_plugin = text(),
                "clusterName" => v.ako_settings.cluster_name = text(),
                "ipFamily" => v.ako_settings.ip_family = text(),
                "logLevel" => v.ako_settings.log_level = text(),
                "nsSyncLabelKey" => v.ako_settings.namespace_selector.label_key = raw.trim().to_owned(),
                "nsSyncLabelValue" => v.ako_settings.namespace_selector.label_value = raw.trim().to_owned(),
                "shardVSSize" => v.l7_settings.shard_vs_size = text(),
                "passthroughShardSize" => v.l7_settings.passthrough_shard_size = text(),
                "serviceType" => v.l7_settings.service_type = text(),
                "fqdnReusePolicy" => v.l7_settings.fqdn_reuse_policy = text(),
                "defaultDomain" => v.network_settings.default_domain = text(),
                "autoFQDN" => v.l4_settings.auto_fqdn = text(),
                "nodeKey" => v.node_port_selector.key = raw.trim().to_owned(),
                "nodeValue" => v.node_port_selector.value = raw.trim().to_owned(),
                other => unreachable!("text key {other} has no field"),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::settings::{AutoFqdn, FqdnReusePolicy, ServiceType};
    use crate::shard::ShardSize;

    #[derive(serde::Deserialize)]
    struct ConfigMap {
        data: BTreeMap<String, String>,
    }

    fn chart_configmap() -> BTreeMap<String, String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/avi-k8s-config.yaml");
        let text = std::fs::read_to_string(path).expect("fixture");
        serde_saphyr::from_str::<ConfigMap>(&text).expect("a ConfigMap").data
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    fn keys(errors: &[SettingsError]) -> BTreeSet<&str> {
        errors.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn configmap_keys_ako_does_not_read_are_named_with_the_key_meant() {
        let mut data = chart_configmap();
        let mut config = ChartConfig::new();
        config.add_configmap(&data);
        assert!(
            !config.warnings().iter().any(|w| w.contains("not a key")),
            "every key of AKO's chart is read: {:?}",
            config.warnings()
        );
        data.insert("shardVsSize".to_owned(), "SMALL".to_owned());
        data.insert("colour".to_owned(), "blue".to_owned());
        let mut config = ChartConfig::new();
        config.add_configmap(&data);
        let warnings = config.warnings();
        assert!(
            warnings
                .contains(&"shardVsSize is not a key AKO reads: it is ignored (did you mean shardVSSize?)".to_owned()),
            "{warnings:?}"
        );
        assert!(
            warnings.contains(&"colour is not a key AKO reads: it is ignored".to_owned()),
            "{warnings:?}"
        );
    }

    #[test]
    fn every_key_maps_to_a_distinct_setting() {
        let names: BTreeSet<_> = KEYS.iter().map(|k| k.key).collect();
        assert_eq!(names.len(), KEYS.len());
        let envs: BTreeSet<_> = env_var_names().collect();
        assert_eq!(envs.len(), KEYS.iter().filter(|k| k.env.is_some()).count());
        // Every settable key reaches a field (an unreachable! would fire).
        let mut v = Values::default();
        for key in KEYS {
            let sample = match key.ty {
                Ty::Bool | Ty::UnsupportedBool => "true",
                Ty::Number => "7",
                Ty::Strings | Ty::VipList | Ty::NodeList => "[]",
                _ => "x",
            };
            apply(&mut v, key, sample).unwrap();
        }
    }

    #[test]
    fn the_charts_rendered_configmap_gives_akos_defaults() {
        let mut c = ChartConfig::new();
        c.add_configmap(&chart_configmap());
        let s = c.settings().unwrap();
        assert_eq!(s.cluster_name, "my-cluster");
        assert_eq!(s.cloud_name, "Default-Cloud");
        assert_eq!(s.tenant, "admin");
        assert_eq!(s.se_group, "Default-Group");
        assert_eq!(s.vrf_name, None);
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
        assert_eq!(s.vip_networks[0].cidr, "10.10.10.0/24");
        assert!(s.node_networks.is_empty() && s.bgp_peer_labels.is_empty() && s.blocked_namespaces.is_empty());
        assert_eq!(
            (s.namespace_selector.clone(), s.node_port_selector.clone()),
            (None, None)
        );
        assert_eq!((s.controller_host.clone(), s.controller_version.clone()), (None, None));
        assert!(c.warnings().is_empty(), "{:?}", c.warnings());

        // The StatefulSet's environment alone gives the same settings, but for `logLevel` and
        // `enableEvents`, which only the ConfigMap carries (as for AKO).
        let cm = chart_configmap();
        let mut e = ChartConfig::new();
        e.add_env(|name| {
            let key = KEYS.iter().find(|k| k.env == Some(name))?;
            cm.get(key.key).cloned()
        });
        assert!(e.settings().unwrap().same_for_translation(&s));
    }

    #[test]
    fn environment_variables_as_the_statefulset_sets_them() {
        let mut c = ChartConfig::new();
        c.add_env(env_of(&[
            ("CTRL_IPADDRESS", "10.0.0.5"),
            ("CLUSTER_NAME", "prod"),
            ("CLOUD_NAME", "vc"),
            ("SEG_NAME", "seg1"),
            ("TENANT_NAME", "t1"),
            ("VRF_NAME", "global"),
            ("SHARD_VS_SIZE", "SMALL"),
            ("SERVICE_TYPE", "NodePort"),
            ("NODE_KEY", "role"),
            ("NODE_VALUE", "edge"),
            (
                "VIP_NETWORK_LIST",
                r#"[{"networkName":"v","networkUUID":"u","cidr":"1.2.3.0/24","v6cidr":""}]"#,
            ),
            ("NODE_NETWORK_LIST", r#"[{"networkName":"n","cidrs":["10.1.0.0/16"]}]"#),
            ("BGP_PEER_LABELS", r#"["p1","p2"]"#),
            ("ENABLE_RHI", "true"),
            ("AUTO_L4_FQDN", "flat"),
            ("DEFAULT_DOMAIN", "avi.example"),
            ("BLOCKED_NS_LIST", r#"["kube-system"]"#),
            ("FQDN_REUSE_POLICY", "strict"),
            ("NO_PG_FOR_SNI", "true"),
            ("LAYER7_ONLY", "TRUE"),
            ("CNI_PLUGIN", "Calico"),
            ("IP_FAMILY", "V6"),
            ("FULL_SYNC_INTERVAL", "300"),
            ("DEFAULT_ING_CONTROLLER", "false"),
            ("DEFAULT_LB_CONTROLLER", "false"),
            ("ENABLE_EVH", "true"),
            ("NAMESPACE_SYNC_LABEL_KEY", "team"),
            ("NAMESPACE_SYNC_LABEL_VALUE", "a"),
            ("AKO_API_PORT", "9090"),
        ]));
        let s = c.settings().unwrap();
        assert_eq!(s.controller_host.as_deref(), Some("10.0.0.5"));
        assert_eq!((s.cluster_name.as_str(), s.cloud_name.as_str()), ("prod", "vc"));
        assert_eq!((s.se_group.as_str(), s.tenant.as_str()), ("seg1", "t1"));
        assert_eq!(s.vrf_name.as_deref(), Some("global"));
        assert_eq!(s.shard_size, ShardSize::Small);
        assert_eq!(s.service_type, ServiceType::NodePort);
        assert_eq!(s.node_port_selector, Some(("role".into(), "edge".into())));
        assert_eq!(s.vip_networks[0].network_uuid, "u");
        assert_eq!(s.node_networks[0].cidrs, ["10.1.0.0/16"]);
        assert_eq!(s.bgp_peer_labels, ["p1", "p2"]);
        assert!(s.enable_rhi && s.no_pg_for_sni && s.layer7_only && s.enable_evh);
        assert!(!s.default_ing_controller && !s.default_lb_controller);
        assert_eq!(s.auto_fqdn, AutoFqdn::Flat);
        assert_eq!(s.default_domain.as_deref(), Some("avi.example"));
        assert!(s.blocked_namespaces.contains("kube-system"));
        assert_eq!(s.fqdn_reuse_policy, FqdnReusePolicy::Strict);
        assert_eq!(s.cni_plugin, "calico");
        assert_eq!(s.ip_family, crate::settings::IpFamily::V6);
        assert_eq!(s.full_sync_seconds, 300);
        assert_eq!(s.api_server_port, 9090);
        assert_eq!(s.namespace_selector, Some(("team".into(), "a".into())));
    }

    #[test]
    fn the_configmap_wins_over_the_environment() {
        let mut data = chart_configmap();
        data.insert("shardVSSize".into(), "MEDIUM".into());
        data.remove("cloudName");
        let mut c = ChartConfig::new();
        c.add_env(env_of(&[("SHARD_VS_SIZE", "HUGE"), ("CLOUD_NAME", "from-env")]))
            .add_configmap(&data);
        let s = c.settings().unwrap();
        assert_eq!(s.shard_size, ShardSize::Medium);
        assert_eq!(s.cloud_name, "from-env");
    }

    #[test]
    fn garbage_in_the_configmap_names_each_key() {
        let mut data = chart_configmap();
        for (k, v) in [
            ("shardVSSize", "HUGE"),
            ("enableRHI", "yes please"),
            ("fullSyncFrequency", "often"),
            ("apiServerPort", "70000"),
            ("vipNetworkList", "vip-net"),
            ("nodeNetworkList", r#"{"networkName":"n"}"#),
            ("bgpPeerLabels", "[1,"),
            ("serviceType", "LoadBalancer"),
            ("autoFQDN", "sometimes"),
            ("fqdnReusePolicy", "never"),
            ("ipFamily", "V5"),
            ("clusterName", "my cluster"),
            ("deleteConfig", "maybe"),
        ] {
            data.insert(k.into(), v.into());
        }
        let mut c = ChartConfig::new();
        c.add_configmap(&data);
        let errors = c.settings().unwrap_err();
        let expected: BTreeSet<&str> = [
            "shardVSSize",
            "enableRHI",
            "fullSyncFrequency",
            "apiServerPort",
            "vipNetworkList",
            "nodeNetworkList",
            "bgpPeerLabels",
            "serviceType",
            "autoFQDN",
            "fqdnReusePolicy",
            "ipFamily",
            "clusterName",
            "deleteConfig",
        ]
        .into_iter()
        .collect();
        assert_eq!(keys(&errors), expected, "{errors:#?}");
        assert_eq!(errors.len(), expected.len(), "each key once: {errors:#?}");
        assert!(errors.iter().all(|e| !e.message.is_empty()));
        let shard = errors.iter().find(|e| e.key == "shardVSSize").unwrap();
        assert!(
            shard.to_string().contains("HUGE") || shard.message.contains("LARGE"),
            "{shard}"
        );
    }

    #[test]
    fn garbage_in_the_environment_names_the_variable() {
        let mut c = ChartConfig::new();
        c.add_env(env_of(&[
            ("CLUSTER_NAME", "c"),
            ("VIP_NETWORK_LIST", r#"[{"networkName":""}]"#),
            ("SHARD_VS_SIZE", "HUGE"),
            ("ENABLE_EVH", "1"),
            ("FULL_SYNC_INTERVAL", "-5"),
        ]));
        let errors = c.settings().unwrap_err();
        let expected: BTreeSet<&str> = [
            "VIP_NETWORK_LIST[0]",
            "SHARD_VS_SIZE",
            "ENABLE_EVH",
            "FULL_SYNC_INTERVAL",
        ]
        .into_iter()
        .collect();
        assert_eq!(keys(&errors), expected, "{errors:#?}");
    }

    #[test]
    fn missing_required_settings_name_both_the_key_and_the_variable() {
        let errors = ChartConfig::new().settings().unwrap_err();
        assert_eq!(
            keys(&errors),
            ["clusterName (or CLUSTER_NAME)", "vipNetworkList (or VIP_NETWORK_LIST)"]
                .into_iter()
                .collect()
        );
    }

    #[test]
    fn unsupported_features_are_warned_about() {
        let mut data = chart_configmap();
        data.insert("deleteConfig".into(), "true".into());
        data.insert("nsxtT1LR".into(), "/infra/tier-1s/t1".into());
        data.remove("istioEnabled");
        let mut c = ChartConfig::new();
        c.add_configmap(&data).add_env(env_of(&[("ISTIO_ENABLED", "true")]));
        let settings = c.settings().expect("valid");
        assert!(settings.delete_config, "deleteConfig is supported");
        let w = c.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().any(|l| l.starts_with("nsxtT1LR:")));
        assert!(w.iter().any(|l| l.starts_with("ISTIO_ENABLED:")));
    }

    #[test]
    fn log_level_and_events_are_read_and_checked() {
        let mut cm = chart_configmap();
        let s = ChartConfig::new()
            .add_configmap(&cm)
            .settings()
            .expect("the chart's ConfigMap");
        assert_eq!((s.log_level, s.enable_events), (Some(crate::LogLevel::Warn), true));
        cm.insert("logLevel".into(), "debug".into());
        cm.insert("enableEvents".into(), "false".into());
        let t = ChartConfig::new().add_configmap(&cm).settings().expect("valid");
        assert_eq!((t.log_level, t.enable_events), (Some(crate::LogLevel::Debug), false));
        assert!(s.same_for_translation(&t), "logging and Events translate nothing");
        cm.insert("logLevel".into(), "LOUD".into());
        let errors = ChartConfig::new().add_configmap(&cm).settings().unwrap_err();
        assert_eq!(keys(&errors), BTreeSet::from(["logLevel"]), "{errors:?}");
        assert!(errors[0].message.contains("DEBUG, INFO, WARN, ERROR"), "{errors:?}");
    }
}
