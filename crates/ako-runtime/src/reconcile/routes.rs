//! The static routes stage of a pass: when the Nodes or the CNI objects changed (or on a full
//! pass, or when a failed write is due again), the routes the snapshot calls for
//! ([`ako_translate::routes`]) are merged into the VRF context ([`ako_sync::sync_static_routes`])
//! before any virtual service is synced, as AKO does. A Node that gets no route gets a Warning
//! Event saying why, once.

use std::collections::{BTreeMap, BTreeSet};

use ako_translate::routes::{StaticRoutes, disabled_because, static_routes};
use ako_translate::{Kind, ObjRef, Settings, Snapshot};
use avi_client::Client;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::EventType;
use serde_json::Value;
use tokio::time::Instant;

use super::retry::Retries;
use crate::cluster::Cluster;
use crate::events::{Note, reference};

/// The kinds a change of which may change the routes.
pub fn is_route_input(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Node | Kind::BlockAffinity | Kind::HostSubnet | Kind::CiliumNode
    )
}

/// What was last written, and the retry of a failed write.
#[derive(Debug, Default)]
pub struct Routes {
    /// The VRF and the route bodies last confirmed on the controller.
    applied: Option<(String, Vec<Value>)>,
    /// Nodes without a route already reported, with the reason.
    reported: BTreeSet<(String, String)>,
    /// The retry of a failed write (one key: the VRF's routes).
    retry: Retries<()>,
    /// Why routes are off, as last logged.
    off: Option<&'static str>,
}

impl Routes {
    /// When a failed write is due again.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry.next()
    }

    /// The last write failed.
    pub fn failing(&self) -> bool {
        !self.retry.is_empty()
    }

    /// A failed write is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.retry.due(now).next().is_some()
    }

    /// Bring the VRF in line with `wanted`: written when the routes differ from those last
    /// written, and on `force` (a full pass: the VRF is read again, drift is repaired).
    pub async fn stage(
        &mut self,
        avi: &Client,
        cluster: &impl Cluster,
        wanted: Wanted,
        settings: &Settings,
        force: bool,
    ) {
        let Wanted {
            routes: wanted,
            nodes,
            off,
        } = wanted;
        let Some(wanted) = wanted else {
            let why = off;
            if self.off != why {
                tracing::info!(reason = why, "static routes are not kept");
                self.off = why;
            }
            self.retry.succeeded(&());
            return;
        };
        self.off = None;
        self.report_skipped(cluster, &wanted, &nodes, settings).await;
        let cluster_name = &settings.cluster_name;
        let bodies = wanted.bodies(cluster_name);
        if !force && self.applied.as_ref() == Some(&(wanted.vrf.clone(), bodies.clone())) {
            self.retry.succeeded(&());
            return;
        }
        // Routes written to another VRF before (vrfName changed) leave it first.
        if let Some((old, _)) = self.applied.as_ref().filter(|(vrf, _)| *vrf != wanted.vrf) {
            let old = old.clone();
            if let Err(e) = write(avi, settings, &old, &[]).await {
                return self.failed(e);
            }
        }
        match write(avi, settings, &wanted.vrf, &bodies).await {
            Ok(()) => {
                self.applied = Some((wanted.vrf, bodies));
                self.retry.succeeded(&());
            }
            Err(e) => self.failed(e),
        }
    }

    /// A failed write: logged, tried again with a growing backoff.
    fn failed(&mut self, e: ako_sync::RoutesError) {
        tracing::warn!("{e}; retried with backoff");
        self.retry.failed(());
    }

    /// A Warning Event on each Node newly without a route.
    async fn report_skipped(
        &mut self,
        cluster: &impl Cluster,
        wanted: &StaticRoutes,
        nodes: &BTreeMap<String, ObjectReference>,
        settings: &Settings,
    ) {
        let now: BTreeSet<(String, String)> = wanted.skipped.iter().cloned().collect();
        for (node, reason) in now.difference(&self.reported) {
            tracing::warn!(node, "no static route to the Node's pods: {reason}");
            if let Some(target) = nodes.get(node).filter(|_| settings.enable_events) {
                let note = Note {
                    type_: EventType::Warning,
                    reason: "NoStaticRoute",
                    message: format!("no static route to the pods of this Node: {reason}"),
                };
                super::pass::publish_about(cluster, target, &note).await;
            }
        }
        self.reported = now;
    }
}

/// Merge `bodies` into `vrf`, logging a change.
async fn write(avi: &Client, settings: &Settings, vrf: &str, bodies: &[Value]) -> Result<(), ako_sync::RoutesError> {
    let (tenant, cloud, cluster) = (&settings.tenant, &settings.cloud_name, &settings.cluster_name);
    let synced = ako_sync::sync_static_routes(avi, tenant, cloud, vrf, cluster, bodies).await?;
    if let ako_sync::RoutesSynced::Written { before, after } = synced {
        tracing::info!(vrf, before, after, "static routes updated");
    }
    Ok(())
}

/// The routes a snapshot calls for, and references to the Nodes that get none (for their
/// Events): taken under the index lock, used after it.
#[derive(Debug, Default)]
pub struct Wanted {
    routes: Option<StaticRoutes>,
    nodes: BTreeMap<String, ObjectReference>,
    /// Why there are none, when there are none.
    off: Option<&'static str>,
}

impl Wanted {
    /// What `snap` calls for with `settings`.
    pub fn of(snap: &Snapshot, settings: &Settings, cloud_type: &str) -> Self {
        let routes = static_routes(snap, settings, cloud_type);
        let nodes = routes
            .iter()
            .flat_map(|w| &w.skipped)
            .filter_map(|(name, _)| {
                let node = ObjRef::new(Kind::Node, "", name.as_str());
                Some((name.clone(), reference(snap, &node)?))
            })
            .collect();
        Wanted {
            routes,
            nodes,
            off: disabled_because(settings, cloud_type),
        }
    }
}
