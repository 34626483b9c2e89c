//! Where `ako run` gets its configuration, as AKO's chart configures AKO:
//!
//! 1. `--values FILE` (AKO's values.yaml keys): when given, the only source of settings;
//! 2. otherwise the ConfigMap `avi-k8s-config` (`--configmap NS/NAME`, default
//!    `$POD_NAMESPACE/avi-k8s-config` when `POD_NAMESPACE` is set) read from the API server,
//!    over AKO's environment variables (`CLUSTER_NAME`, `VIP_NETWORK_LIST`, … as the StatefulSet
//!    sets them; a ConfigMap key wins over its variable);
//! 3. controller credentials from `--username`/`--password` or `AKO_CONTROLLER_USERNAME` /
//!    `AKO_CONTROLLER_PASSWORD`, and whatever of them is missing from the Secret `avi-secret` in
//!    the ConfigMap's namespace (`username` with `password` or `authtoken`;
//!    `certificateAuthorityData` is the CA unless `--ca-file` is given);
//! 4. the controller address from `--controller`/`AKO_CONTROLLER`, else `CTRL_IPADDRESS` /
//!    `controllerIP` (`ControllerSettings.controllerHost`).
//!
//! Every function here is re-run by the caller with backoff until it succeeds, so fixing the
//! ConfigMap or the Secret is picked up without a restart; once running, the ConfigMap is
//! watched and its changes apply live ([`Source::watch`]).

use std::path::PathBuf;

use ako_translate::{ChartConfig, NsName, Settings};
use anyhow::{Context, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;

/// The ConfigMap AKO's chart creates.
pub const CONFIGMAP_NAME: &str = "avi-k8s-config";

/// Where settings come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `--values FILE`.
    Values(PathBuf),
    /// The environment, and this ConfigMap (namespace, name) when given.
    Chart(Option<NsName>),
}

impl Source {
    /// From `--values` and `--configmap` (and `POD_NAMESPACE`).
    pub fn new(values: Option<PathBuf>, configmap: Option<&str>) -> anyhow::Result<Source> {
        if let Some(path) = values {
            return Ok(Source::Values(path));
        }
        let pod_namespace = std::env::var("POD_NAMESPACE").ok().filter(|s| !s.is_empty());
        let cm = match configmap {
            Some(arg) => Some(match arg.split_once('/') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() => NsName::new(ns, name),
                None if !arg.is_empty() => NsName::new(
                    pod_namespace.context("--configmap NAME without a namespace needs POD_NAMESPACE; give NS/NAME")?,
                    arg,
                ),
                _ => bail!("--configmap {arg:?}: expected NAMESPACE/NAME"),
            }),
            None => pod_namespace.map(|ns| NsName::new(ns, CONFIGMAP_NAME)),
        };
        Ok(Source::Chart(cm))
    }

    /// The namespace of AKO's ConfigMap and Secret, when known.
    pub fn namespace(&self) -> Option<String> {
        match self {
            Source::Chart(Some(cm)) => Some(cm.namespace.clone()),
            _ => std::env::var("POD_NAMESPACE").ok().filter(|s| !s.is_empty()),
        }
    }

    /// Read and validate the settings; the error names every bad key.
    pub async fn settings(&self, kube: &kube::Client) -> anyhow::Result<Settings> {
        let cm = match self {
            Source::Values(path) => return crate::inputs::read_settings(path),
            Source::Chart(None) => return chart_settings(None),
            Source::Chart(Some(cm)) => cm,
        };
        let found = Api::<ConfigMap>::namespaced(kube.clone(), &cm.namespace)
            .get_opt(&cm.name)
            .await
            .with_context(|| format!("cannot read ConfigMap {cm}"))?
            .with_context(|| format!("ConfigMap {cm} not found"))?;
        chart_settings(Some((cm, &found)))
    }

    /// Keep `settings` current while the process runs: every change of the ConfigMap is read
    /// (a new version that is invalid is logged, naming its keys, and ignored: the last valid
    /// settings stay). Nothing to watch with `--values` or without a ConfigMap.
    pub async fn watch(&self, kube: kube::Client, settings: watch::Sender<Settings>, facts: ClusterFacts) {
        let Source::Chart(Some(label)) = self else {
            return;
        };
        let api = Api::<ConfigMap>::namespaced(kube, &label.namespace);
        let config = watcher::Config::default().fields(&format!("metadata.name={}", label.name));
        let mut events = watcher(api, config).default_backoff().applied_objects().boxed();
        while let Some(item) = events.next().await {
            match item {
                Ok(cm) => match chart_settings(Some((label, &cm))) {
                    Ok(mut new) => {
                        facts.apply(&mut new);
                        settings.send_if_modified(|old| {
                            let differs = *old != new;
                            if differs {
                                tracing::info!(configmap = %label, "configuration changed");
                                *old = new;
                            }
                            differs
                        });
                    }
                    Err(e) => tracing::error!("{e:#}; keeping the last valid configuration"),
                },
                Err(e) => tracing::warn!(configmap = %label, "watch failed; retrying with backoff: {e}"),
            }
        }
    }
}

/// What ako-rs finds out about the cluster at start, kept in every version of the settings.
#[derive(Clone, Debug, Default)]
pub struct ClusterFacts {
    /// The namespace it runs in, when known.
    pub namespace: Option<String>,
    /// The cluster serves OpenShift's Route API.
    pub route_api: bool,
}

impl ClusterFacts {
    /// Find out: the Route API is there when Routes can be listed (AKO's test).
    pub async fn discover(kube: &kube::Client, namespace: Option<String>) -> ClusterFacts {
        use ako_translate::openshift::Route;
        let routes = Api::<Route>::all(kube.clone());
        let route_api = routes.list(&kube::api::ListParams::default().limit(1)).await.is_ok();
        if route_api {
            tracing::info!(
                "the Route API (route.openshift.io/v1) is served: Routes are served, Ingresses are not (as AKO on OpenShift)"
            );
        }
        ClusterFacts { namespace, route_api }
    }

    /// Put them in `settings`.
    pub fn apply(&self, settings: &mut Settings) {
        settings.route_api = self.route_api;
        if let Some(ns) = &self.namespace {
            settings.ako_namespace = ns.clone();
        }
    }
}

/// The settings from AKO's environment variables and, when given, the ConfigMap (and its
/// name), whose keys win.
fn chart_settings(cm: Option<(&NsName, &ConfigMap)>) -> anyhow::Result<Settings> {
    let mut config = ChartConfig::new();
    config.add_env(|name| std::env::var(name).ok());
    let mut from = vec!["the environment".to_owned()];
    if let Some((label, cm)) = cm {
        config.add_configmap(&cm.data.clone().unwrap_or_default());
        from.insert(0, format!("ConfigMap {label}"));
    }
    let from = from.join(" and ");
    if config.is_empty() {
        bail!(
            "no configuration: give --values FILE, --configmap NAMESPACE/NAME, or AKO's environment \
             variables (CLUSTER_NAME, VIP_NETWORK_LIST, ...)"
        );
    }
    for warning in config.warnings() {
        tracing::warn!("{from}: {warning}");
    }
    config.settings().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        anyhow::anyhow!("invalid settings in {from}:\n{}", lines.join("\n"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configmap_argument() {
        match Source::new(None, Some("ns1/cm")).unwrap() {
            Source::Chart(Some(cm)) => assert_eq!(cm, NsName::new("ns1", "cm")),
            other => panic!("{other:?}"),
        }
        assert!(Source::new(None, Some("/cm")).is_err());
        assert!(Source::new(None, Some("ns/")).is_err());
        assert!(matches!(
            Source::new(Some("v.yaml".into()), Some("a/b")).unwrap(),
            Source::Values(_)
        ));
    }
}
