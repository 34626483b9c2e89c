//! `deleteConfig`, AKO's documented way to remove everything a cluster put on the controller,
//! at start or at any time: translation then wants nothing (so every pass deletes what this
//! cluster owns, children before parents, static routes included, and clears the statuses it
//! wrote), the deletion guard stands aside (the deletion is asked for), and the SE group loses
//! this cluster's label. Progress is reported as AKO reports it: the annotation
//! `AviObjectDeletionStatus` on ako's StatefulSet (`Started`, then `Done` once a pass converged
//! on nothing, or `Timeout` after 30 minutes) and Events on ako's Pod. Back to false, the
//! annotation goes, the label comes back and the next (full) pass builds everything again.

use std::time::Duration;

use ako_translate::Settings;
use avi_client::Client;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::EventType;
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::events::Note;

/// The StatefulSet annotation AKO reports deletion progress in.
pub const ANNOTATION: &str = "AviObjectDeletionStatus";
/// AKO's StatefulSet (the chart's name for it).
const STATEFULSET: &str = "ako";
/// How long deletion may take before it is reported as timed out (AKO: 30 minutes).
const TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where deletion stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Syncing normally.
    #[default]
    Off,
    /// Deleting since then.
    Deleting(Instant),
    /// Everything is gone (or the timeout was reported): waiting for `deleteConfig: false`.
    Reported,
}

/// `deleteConfig` as the loop follows it.
#[derive(Debug, Default)]
pub struct DeleteConfig {
    phase: Phase,
}

impl DeleteConfig {
    /// The settings' `deleteConfig` now (at start, or after a change): start deleting, or stop.
    pub async fn follow(
        &mut self,
        avi: &Client,
        cluster: &impl Cluster,
        me: Option<&ObjectReference>,
        settings: &Settings,
    ) {
        let on = settings.delete_config;
        match (on, self.phase) {
            (true, Phase::Off) => {
                tracing::warn!("deleteConfig is true: removing every object of this cluster from the controller");
                self.phase = Phase::Deleting(Instant::now());
                annotate(cluster, me, Some("Started")).await;
                let message = "DeleteConfig set in configmap, sync would be disabled";
                event(cluster, me, settings, "AKODeleteConfigSet", message).await;
                match ako_sync::unlabel_se_group(avi, &settings.se_group, &settings.cluster_name).await {
                    Ok(true) => tracing::info!(
                        group = settings.se_group,
                        "removed this cluster's label from the SE group"
                    ),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(group = settings.se_group, "{e}"),
                }
            }
            (false, Phase::Deleting(_) | Phase::Reported) => {
                tracing::info!("deleteConfig is false: syncing again");
                self.phase = Phase::Off;
                annotate(cluster, me, None).await;
                let message = "DeleteConfig unset in configmap, sync would be enabled";
                event(cluster, me, settings, "AKODeleteConfigUnset", message).await;
                // (Without the cloud's type: on an NSX-T cloud with NCP, which AKO never labels,
                // the label comes back.)
                if ako_translate::routes::se_groups_labelled(settings, "") {
                    super::label_se_group(avi, settings).await;
                }
            }
            // At start: a report a previous run left is cleared, as AKO does.
            (false, Phase::Off) => annotate(cluster, me, None).await,
            (true, _) => {}
        }
    }

    /// After a pass: deletion is done when the pass converged on nothing, or timed out.
    pub async fn after_pass(
        &mut self,
        converged: bool,
        cluster: &impl Cluster,
        me: Option<&ObjectReference>,
        settings: &Settings,
    ) {
        let Phase::Deleting(since) = self.phase else {
            return;
        };
        if converged {
            tracing::info!("deleteConfig: every object of this cluster is gone from the controller");
            self.phase = Phase::Reported;
            annotate(cluster, me, Some("Done")).await;
            let message = "AKO has removed all objects from Avi Controller";
            event(cluster, me, settings, "AKODeleteConfigDone", message).await;
        } else if since.elapsed() >= TIMEOUT {
            tracing::warn!("deleteConfig: objects are still on the controller after {TIMEOUT:?}; still trying");
            self.phase = Phase::Reported;
            annotate(cluster, me, Some("Timeout")).await;
            let message = "Timed out while waiting for rest layer to respond for delete config";
            event(cluster, me, settings, "AKODeleteConfigTimeout", message).await;
        }
    }
}

/// The annotation on the StatefulSet of ako's namespace (known from its Pod).
async fn annotate(cluster: &impl Cluster, me: Option<&ObjectReference>, value: Option<&str>) {
    let Some(namespace) = me.and_then(|me| me.namespace.as_deref()) else {
        tracing::debug!("own namespace unknown (POD_NAMESPACE): {ANNOTATION} not written");
        return;
    };
    if let Err(e) = cluster
        .annotate_statefulset(namespace, STATEFULSET, ANNOTATION, value)
        .await
    {
        tracing::warn!("cannot write {ANNOTATION} on StatefulSet {namespace}/{STATEFULSET}: {e}");
    }
}

/// A Normal Event on ako's Pod, when Events are on.
async fn event(
    cluster: &impl Cluster,
    me: Option<&ObjectReference>,
    settings: &Settings,
    reason: &'static str,
    message: &str,
) {
    if let Some(me) = me.filter(|_| settings.enable_events) {
        let note = Note {
            type_: EventType::Normal,
            reason,
            message: message.to_owned(),
        };
        super::pass::publish_about(cluster, me, &note).await;
    }
}
