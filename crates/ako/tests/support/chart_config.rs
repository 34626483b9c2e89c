//! The chart's way of configuring `ako run`: the ConfigMap `avi-k8s-config` and the Secret
//! `avi-secret` in a scoped namespace, no `--values` or credential variables, changed live.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::{AkoRun, USER, scoped_namespace};

/// The chart's ConfigMap `avi-k8s-config` for cluster `cluster` serving namespace `ns`, with
/// the controller at `sim_url` and shard size `shard`.
pub fn configmap(cluster: &str, ns: &str, sim_url: &str, shard: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "avi-k8s-config"},
        "data": {
            "controllerIP": sim_url,
            "clusterName": cluster,
            "cloudName": "Default-Cloud",
            "serviceEngineGroupName": "Default-Group",
            "tenantName": "admin",
            "serviceType": "ClusterIP",
            "shardVSSize": shard,
            "vipNetworkList": r#"[{"networkName":"vip-net"}]"#,
            "nodeNetworkList": "[]",
            "bgpPeerLabels": "[]",
            "blockedNamespaceList": "[]",
            "nsSyncLabelKey": "ako-e2e",
            "nsSyncLabelValue": ns,
            "fullSyncFrequency": "1800",
            "apiServerPort": "8080",
            "enableEVH": "false",
            "layer7Only": "false",
            "noPGForSNI": "false",
            "autoFQDN": "default",
            "fqdnReusePolicy": "InterNamespaceAllowed",
            "defaultIngController": "true",
            "defaultLBController": "true",
            "logLevel": "WARN",
            "deleteConfig": "false",
            // Nodes are cluster-wide in the shared testenv: routes only where a test asks.
            "disableStaticRouteSync": "true",
            "allowMassDeletion": "false",
            "massDeletionHoldSeconds": "600"
        }
    }))
    .unwrap()
}

/// The chart's Secret `avi-secret` for `sim`, whose admin password is `password`.
pub fn secret(sim: &avisim::Avisim, password: &str) -> Secret {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "avi-secret"},
        "stringData": {"username": USER, "password": password, "certificateAuthorityData": sim.ca_pem()}
    }))
    .unwrap()
}

/// A scoped namespace holding the chart's Secret for `sim` (admin password `password`) and its
/// ConfigMap for cluster `cluster` with `shard`.
pub async fn configured_namespace(
    prefix: &str,
    cluster: &str,
    sim: &avisim::Avisim,
    password: &str,
    shard: &str,
) -> (ako_testenv::TestNamespace, kube::Api<ConfigMap>) {
    let ns = scoped_namespace(prefix).await;
    ns.api::<Secret>()
        .create(&PostParams::default(), &secret(sim, password))
        .await
        .expect("create the Secret");
    let configmaps = ns.api::<ConfigMap>();
    configmaps
        .create(
            &PostParams::default(),
            &configmap(cluster, ns.name(), &sim.url(), shard),
        )
        .await
        .expect("create the ConfigMap");
    (ns, configmaps)
}

/// Merge `data` into the ConfigMap `avi-k8s-config`.
pub async fn set_data(configmaps: &kube::Api<ConfigMap>, data: Value) {
    configmaps
        .patch(
            "avi-k8s-config",
            &PatchParams::default(),
            &Patch::Merge(&json!({"data": data})),
        )
        .await
        .expect("change the ConfigMap");
}

/// `ako run` configured by the ConfigMap and Secret of `ns` only, as the chart's pod `ako-0`.
pub fn ako_in(dir: &std::path::Path, name: &str, ns: &str) -> AkoRun {
    let configmap = format!("{ns}/avi-k8s-config");
    AkoRun::start(dir, name, |cmd| {
        cmd.arg("--configmap").arg(&configmap);
        for name in ako_translate::settings_env::env_var_names().chain([
            "AKO_CONTROLLER",
            "AKO_CONTROLLER_USERNAME",
            "AKO_CONTROLLER_PASSWORD",
        ]) {
            cmd.env_remove(name);
        }
        cmd.env("POD_NAMESPACE", ns).env("POD_NAME", "ako-0");
    })
}
