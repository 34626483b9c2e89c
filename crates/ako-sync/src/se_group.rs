//! The SE group label AKO puts on the Service Engine group it places virtual services on
//! (`ConfigureSeGroupLabels`): `clustername=<cluster>`, set when the group has no labels at all;
//! a group already labelled for this cluster is left alone, one labelled otherwise is reported
//! and not touched (AKO refuses to start on it; ako-rs runs on and says so). `deleteConfig`
//! removes this cluster's label again.

use ako_translate::markers::CLUSTER_LABEL;
use avi_client::{Client, Query};
use serde_json::{Value, json};

/// What [`label_se_group`] found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeGroupLabel {
    /// The group carries this cluster's label already: nothing written.
    Present,
    /// The group had no labels: this cluster's was written.
    Added,
    /// The group carries other labels (another cluster's): left alone.
    Foreign(Vec<(String, String)>),
}

/// The group could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SeGroupError {
    /// No such group.
    #[error("the controller has no Service Engine group named {0:?} (ControllerSettings.serviceEngineGroupName)")]
    Missing(String),
    /// A request failed.
    #[error("cannot label the Service Engine group: {0}")]
    Request(#[from] avi_client::Error),
}

/// Label the SE group `name` with `clustername=<cluster>` as AKO does: a read, and a PUT of the
/// object read (its `_last_modified` guards against a concurrent change) only when it has no
/// labels.
pub async fn label_se_group(client: &Client, name: &str, cluster: &str) -> Result<SeGroupLabel, SeGroupError> {
    let mut group = read(client, name).await?;
    let labels: Vec<(String, String)> = group["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let text = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
            (text("key"), text("value"))
        })
        .collect();
    if labels.iter().any(|(k, v)| k == CLUSTER_LABEL && v == cluster) {
        return Ok(SeGroupLabel::Present);
    }
    if !labels.is_empty() {
        return Ok(SeGroupLabel::Foreign(labels));
    }
    group["labels"] = json!([{"key": CLUSTER_LABEL, "value": cluster}]);
    write(client, &group).await?;
    Ok(SeGroupLabel::Added)
}

/// Remove this cluster's label from the SE group `name` (`deleteConfig`, as AKO's
/// `DeConfigureSeGroupLabels`), leaving any other label; whether there was one to remove.
pub async fn unlabel_se_group(client: &Client, name: &str, cluster: &str) -> Result<bool, SeGroupError> {
    let mut group = read(client, name).await?;
    let Some(labels) = group["labels"].as_array_mut() else {
        return Ok(false);
    };
    let before = labels.len();
    labels.retain(|l| !(l["key"] == CLUSTER_LABEL && l["value"] == cluster));
    if labels.len() == before {
        return Ok(false);
    }
    write(client, &group).await?;
    Ok(true)
}

/// The SE group `name`, as stored (its `_last_modified` guards the write that follows).
async fn read(client: &Client, name: &str) -> Result<Value, SeGroupError> {
    let found: Vec<Value> = client
        .tenant("admin")
        .list("serviceenginegroup", &Query::new().name(name))
        .await?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| SeGroupError::Missing(name.to_owned()))
}

async fn write(client: &Client, group: &Value) -> Result<(), SeGroupError> {
    let uuid = group["uuid"].as_str().unwrap_or_default();
    let _: Value = client.tenant("admin").update("serviceenginegroup", uuid, group).await?;
    Ok(())
}
