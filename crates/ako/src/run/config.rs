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
//! ConfigMap or the Secret is picked up without a restart.

use std::path::PathBuf;

use ako_translate::{ChartConfig, Settings};
use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;

use crate::sync_cmd::{ControllerArgs, Password};

/// The Secret AKO's chart creates with the controller credentials.
pub(crate) const SECRET_NAME: &str = "avi-secret";
/// The ConfigMap AKO's chart creates.
pub(crate) const CONFIGMAP_NAME: &str = "avi-k8s-config";

/// Where settings come from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// `--values FILE`.
    Values(PathBuf),
    /// The environment, and this ConfigMap (namespace, name) when given.
    Chart(Option<(String, String)>),
}

impl Source {
    /// From `--values` and `--configmap` (and `POD_NAMESPACE`).
    pub(crate) fn new(values: Option<PathBuf>, configmap: Option<&str>) -> anyhow::Result<Source> {
        if let Some(path) = values {
            return Ok(Source::Values(path));
        }
        let pod_namespace = std::env::var("POD_NAMESPACE").ok().filter(|s| !s.is_empty());
        let cm = match configmap {
            Some(arg) => Some(match arg.split_once('/') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() => (ns.to_owned(), name.to_owned()),
                None if !arg.is_empty() => (
                    pod_namespace.context("--configmap NAME without a namespace needs POD_NAMESPACE; give NS/NAME")?,
                    arg.to_owned(),
                ),
                _ => bail!("--configmap {arg:?}: expected NAMESPACE/NAME"),
            }),
            None => pod_namespace.map(|ns| (ns, CONFIGMAP_NAME.to_owned())),
        };
        Ok(Source::Chart(cm))
    }

    /// The namespace of AKO's ConfigMap and Secret, when known.
    pub(crate) fn namespace(&self) -> Option<String> {
        match self {
            Source::Chart(Some((ns, _))) => Some(ns.clone()),
            _ => std::env::var("POD_NAMESPACE").ok().filter(|s| !s.is_empty()),
        }
    }

    /// Read and validate the settings; the error names every bad key.
    pub(crate) async fn settings(&self, kube: &kube::Client) -> anyhow::Result<Settings> {
        let cm = match self {
            Source::Values(path) => return crate::plan::read_settings(path),
            Source::Chart(cm) => cm,
        };
        let mut config = ChartConfig::new();
        config.add_env(|name| std::env::var(name).ok());
        let mut from = vec!["the environment".to_owned()];
        if let Some((ns, name)) = cm {
            let found = Api::<ConfigMap>::namespaced(kube.clone(), ns)
                .get_opt(name)
                .await
                .with_context(|| format!("cannot read ConfigMap {ns}/{name}"))?
                .with_context(|| format!("ConfigMap {ns}/{name} not found"))?;
            config.add_configmap(&found.data.unwrap_or_default());
            from.insert(0, format!("ConfigMap {ns}/{name}"));
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
}

/// The controller flags completed: the address from the settings, missing credentials (and
/// the CA) from the Secret `avi-secret`.
pub(crate) async fn controller(
    args: &ControllerArgs,
    settings: &Settings,
    kube: &kube::Client,
    namespace: Option<&str>,
) -> anyhow::Result<ControllerArgs> {
    let mut out = args.clone();
    if out.controller.is_none() {
        out.controller.clone_from(&settings.controller_host);
    }
    if out.controller.is_none() {
        bail!("no controller address: set controllerIP in the ConfigMap, CTRL_IPADDRESS, or --controller");
    }
    if out.username.is_some() && out.password.is_some() {
        return Ok(out);
    }
    let ns = namespace.context(
        "no controller credentials: set AKO_CONTROLLER_USERNAME and AKO_CONTROLLER_PASSWORD, or give \
         --configmap NS/NAME (or POD_NAMESPACE) so that the Secret avi-secret is read",
    )?;
    let secret = Api::<Secret>::namespaced(kube.clone(), ns)
        .get_opt(SECRET_NAME)
        .await
        .with_context(|| format!("cannot read Secret {ns}/{SECRET_NAME}"))?
        .with_context(|| format!("Secret {ns}/{SECRET_NAME} not found (it holds the controller credentials)"))?;
    let data = secret.data.unwrap_or_default();
    let text = |key: &str| -> anyhow::Result<Option<String>> {
        match data.get(key) {
            None => Ok(None),
            Some(bytes) => {
                let s = String::from_utf8(bytes.0.clone())
                    .map_err(|_| anyhow::anyhow!("Secret {ns}/{SECRET_NAME}: key {key} is not UTF-8 text"))?;
                let s = s.trim().to_owned();
                Ok((!s.is_empty()).then_some(s))
            }
        }
    };
    if out.username.is_none() {
        out.username = Some(
            text("username")?
                .with_context(|| format!("Secret {ns}/{SECRET_NAME}: key username is missing or empty"))?,
        );
    }
    if out.password.is_none() {
        match (text("password")?, text("authtoken")?) {
            (Some(password), _) => out.password = Some(Password(password)),
            (None, Some(token)) => out.auth_token = Some(Password(token)),
            (None, None) => bail!("Secret {ns}/{SECRET_NAME}: needs key password or authtoken"),
        }
    }
    if out.ca_file.is_none() && out.ca_pem.is_none() {
        out.ca_pem = text("certificateAuthorityData")?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configmap_argument() {
        match Source::new(None, Some("ns1/cm")).unwrap() {
            Source::Chart(Some((ns, name))) => assert_eq!((ns.as_str(), name.as_str()), ("ns1", "cm")),
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
