//! What AKO's chart installs for the operator, written by the bench so that both operators read
//! the same settings: namespace `avi-system`, the ConfigMap `avi-k8s-config` (the chart's default
//! values with the bench's overrides), the Secret `avi-secret`, the Pod `ako-0`, AKO's CRDs, and
//! the environment the chart's StatefulSet gives the container.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

/// Where the chart puts the operator.
pub const NAMESPACE: &str = "avi-system";
pub const CONFIGMAP: &str = "avi-k8s-config";

/// The bench's choices on top of the chart's defaults.
pub struct Choices<'a> {
    pub cluster: &'a str,
    /// The namespace served (namespaceSelector `ako-e2e=<it>`).
    pub served: &'a str,
    /// `host:port` of the controller.
    pub controller: &'a str,
    pub shard: &'a str,
    pub evh: bool,
    /// AKO's health/API port (Go AKO listens on it).
    pub api_port: u16,
}

/// The ConfigMap's data: the chart's rendering of its default values.yaml with `c`.
pub fn configmap_data(c: &Choices) -> BTreeMap<String, String> {
    let b = |v: bool| if v { "true" } else { "false" }.to_owned();
    [
        ("primaryInstance", "true".to_owned()),
        ("controllerIP", c.controller.to_owned()),
        ("controllerVersion", String::new()),
        ("cniPlugin", String::new()),
        ("shardVSSize", c.shard.to_owned()),
        ("passthroughShardSize", "SMALL".to_owned()),
        ("fullSyncFrequency", "1800".to_owned()),
        ("cloudName", "Default-Cloud".to_owned()),
        ("clusterName", c.cluster.to_owned()),
        ("servicesAPI", b(false)),
        ("enableEVH", b(c.evh)),
        ("layer7Only", b(false)),
        ("vipPerNamespace", b(false)),
        ("tenantName", "admin".to_owned()),
        ("vrfName", String::new()),
        ("dedicatedTenantMode", b(false)),
        ("defaultDomain", String::new()),
        // No Nodes in this world.
        ("disableStaticRouteSync", b(true)),
        ("defaultIngController", b(true)),
        ("defaultLBController", b(true)),
        ("noPGForSNI", b(false)),
        ("enableRHI", b(false)),
        ("nsxtT1LR", String::new()),
        ("enableEvents", b(true)),
        // Logging every pass would be part of what is measured.
        ("logLevel", "WARN".to_owned()),
        ("deleteConfig", b(false)),
        ("autoFQDN", "default".to_owned()),
        ("nsSyncLabelKey", "ako-e2e".to_owned()),
        ("nsSyncLabelValue", c.served.to_owned()),
        ("serviceType", "ClusterIP".to_owned()),
        ("serviceEngineGroupName", "Default-Group".to_owned()),
        ("bgpPeerLabels", "[]".to_owned()),
        ("nodeNetworkList", "[]".to_owned()),
        ("vipNetworkList", r#"[{"networkName":"vip-net"}]"#.to_owned()),
        ("apiServerPort", c.api_port.to_string()),
        ("enableMCI", b(false)),
        ("blockedNamespaceList", "[]".to_owned()),
        ("ipFamily", String::new()),
        ("istioEnabled", b(false)),
        ("useDefaultSecretsOnly", b(false)),
        ("vpcMode", b(false)),
        ("enablePrometheus", b(false)),
        ("fqdnReusePolicy", "InterNamespaceAllowed".to_owned()),
        ("akoCRDOperatorEnabled", b(false)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The chart's StatefulSet: environment variable → ConfigMap key.
const ENV_KEYS: &[(&str, &str)] = &[
    ("CTRL_IPADDRESS", "controllerIP"),
    ("CTRL_VERSION", "controllerVersion"),
    ("CNI_PLUGIN", "cniPlugin"),
    ("ISTIO_ENABLED", "istioEnabled"),
    ("VIP_PER_NAMESPACE", "vipPerNamespace"),
    ("SHARD_VS_SIZE", "shardVSSize"),
    ("PASSTHROUGH_SHARD_SIZE", "passthroughShardSize"),
    ("FULL_SYNC_INTERVAL", "fullSyncFrequency"),
    ("PRIMARY_AKO_FLAG", "primaryInstance"),
    ("CLOUD_NAME", "cloudName"),
    ("TENANT_NAME", "tenantName"),
    ("DEDICATED_TENANT_MODE", "dedicatedTenantMode"),
    ("VRF_NAME", "vrfName"),
    ("CLUSTER_NAME", "clusterName"),
    ("ENABLE_RHI", "enableRHI"),
    ("ENABLE_EVH", "enableEVH"),
    ("SERVICES_API", "servicesAPI"),
    ("DEFAULT_DOMAIN", "defaultDomain"),
    ("DISABLE_STATIC_ROUTE_SYNC", "disableStaticRouteSync"),
    ("NSXT_T1_LR", "nsxtT1LR"),
    ("NAMESPACE_SYNC_LABEL_KEY", "nsSyncLabelKey"),
    ("NAMESPACE_SYNC_LABEL_VALUE", "nsSyncLabelValue"),
    ("DEFAULT_ING_CONTROLLER", "defaultIngController"),
    ("DEFAULT_LB_CONTROLLER", "defaultLBController"),
    ("SEG_NAME", "serviceEngineGroupName"),
    ("BGP_PEER_LABELS", "bgpPeerLabels"),
    ("NODE_NETWORK_LIST", "nodeNetworkList"),
    ("VIP_NETWORK_LIST", "vipNetworkList"),
    ("AKO_API_PORT", "apiServerPort"),
    ("SERVICE_TYPE", "serviceType"),
    ("AUTO_L4_FQDN", "autoFQDN"),
    ("MCI_ENABLED", "enableMCI"),
    ("BLOCKED_NS_LIST", "blockedNamespaceList"),
    ("IP_FAMILY", "ipFamily"),
    ("USE_DEFAULT_SECRETS_ONLY", "useDefaultSecretsOnly"),
    ("VPC_MODE", "vpcMode"),
    ("PROMETHEUS_ENABLED", "enablePrometheus"),
    ("FQDN_REUSE_POLICY", "fqdnReusePolicy"),
    ("AKO_CRD_OPERATOR_ENABLED", "akoCRDOperatorEnabled"),
];

/// The container's environment: the ConfigMap's keys as the chart maps them, and the Pod's.
pub fn environment(data: &BTreeMap<String, String>) -> Vec<(String, String)> {
    ENV_KEYS
        .iter()
        .filter_map(|(env, key)| Some((env.to_string(), data.get(*key)?.clone())))
        .chain([
            ("POD_NAME".to_owned(), "ako-0".to_owned()),
            ("POD_NAMESPACE".to_owned(), NAMESPACE.to_owned()),
            ("USE_PVC".to_owned(), "false".to_owned()),
        ])
        .collect()
}

/// Install it on the API server of `client`.
pub async fn install(client: &kube::Client, data: &BTreeMap<String, String>, user: &str, password: &str) {
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako/crds");
    for entry in std::fs::read_dir(&crds).expect("the chart's CRDs") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            ako_testenv::install_crd(client, &path).await.expect("install a CRD");
        }
    }
    let pp = PostParams::default();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NAMESPACE}})).unwrap();
    let _ = Api::<Namespace>::all(client.clone()).create(&pp, &ns).await;
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": CONFIGMAP}, "data": data})).unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), NAMESPACE)
        .create(&pp, &cm)
        .await
        .expect("create the ConfigMap");
    let secret: Secret = serde_json::from_value(json!({"metadata": {"name": "avi-secret"},
        "stringData": {"username": user, "password": password}}))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), NAMESPACE)
        .create(&pp, &secret)
        .await
        .expect("create avi-secret");
    let pod: Pod = serde_json::from_value(
        json!({"metadata": {"name": "ako-0", "labels": {"app.kubernetes.io/name": "ako"}},
        "spec": {"containers": [{"name": "ako", "image": "ako:bench"}]}}),
    )
    .unwrap();
    Api::<Pod>::namespaced(client.clone(), NAMESPACE)
        .create(&pp, &pod)
        .await
        .expect("create Pod ako-0");
}

/// Set `fullSyncFrequency` in the ConfigMap (both operators watch it).
pub async fn set_full_sync(client: &kube::Client, seconds: u64) {
    Api::<ConfigMap>::namespaced(client.clone(), NAMESPACE)
        .patch(
            CONFIGMAP,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"fullSyncFrequency": seconds.to_string()}})),
        )
        .await
        .expect("patch the ConfigMap");
}
