//! The static routes AKO keeps in the VRF context in ClusterIP mode, so that Service Engines
//! reach pod IPs: one route per pod CIDR of every Node, next hop the Node's address, labelled
//! `clustername=<cluster>`. Pure: computed from the snapshot and the settings; the controller
//! side (merge with other clusters' routes, the guarded PUT) is `ako_sync::static_routes`.
//!
//! As AKO: Nodes in name order, each Node's CIDRs in its source's order; a CIDR of the wrong
//! family (an IPv6 CIDR in an IPv4 cluster) is skipped but keeps its index; a Node without an
//! address or pod CIDR gets no route, nor does one whose CIDR an earlier Node already routes.
//! Route ids are `<cluster>-<uuid>-<index>` like AKO's, with a UUID derived from the Node's
//! name instead of a random one, so that the same cluster gives the same routes.

pub(crate) mod sources;

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Node;
use serde_json::{Value, json};

use crate::settings::{ServiceType, Settings};
use crate::snapshot::Snapshot;

pub use sources::{NODE_ANNOTATIONS, POD_CIDRS_ANNOTATION};

/// The routes this cluster wants in its VRF, and the Nodes that get none, with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticRoutes {
    /// The VRF context they go to.
    pub vrf: String,
    /// In AKO's order.
    pub routes: Vec<Route>,
    /// Nodes without a route, by name, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// One route: a pod CIDR of a Node through the Node's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The Node.
    pub node: String,
    /// The CIDR's position in the Node's list (part of the route id).
    pub index: usize,
    /// The pod CIDR's network address.
    pub prefix: IpAddr,
    /// Its mask length.
    pub mask: u8,
    /// The Node's address.
    pub next_hop: IpAddr,
}

/// Why static routes are not kept, when they are not: the settings' reasons, and (once the
/// cloud is known; `""` before) an NSX-T cloud with NCP, whose pods are routed by NSX (AKO).
pub fn disabled_because(settings: &Settings, cloud_type: &str) -> Option<&'static str> {
    routing_off(settings, cloud_type).or_else(|| {
        (!settings.primary_instance).then_some("primaryInstance is false: the primary AKO of the cluster keeps them")
    })
}

/// Why no AKO instance of this cluster routes to pods (AKO's `GetDisableStaticRoute`), if so.
fn routing_off(settings: &Settings, cloud_type: &str) -> Option<&'static str> {
    if cloud_type == "CLOUD_NSXT" && settings.cni_plugin == "ncp" {
        Some("an NSX-T cloud with the NCP CNI routes pods itself")
    } else if settings.disable_static_route_sync {
        Some("disableStaticRouteSync is true")
    } else if settings.service_type != ServiceType::ClusterIp {
        Some("pool members are node ports (NodePort, NodePortLocal), not pod addresses")
    } else {
        None
    }
}

/// Whether AKO labels the SE groups it places virtual services on `clustername=<cluster>`
/// (`validateAndConfigureSeGroup`): only where pods are routed to (the label tells the SEs' routes
/// apart), whichever instance it is.
pub fn se_groups_labelled(settings: &Settings, cloud_type: &str) -> bool {
    routing_off(settings, cloud_type).is_none()
}

/// The routes `settings` call for in a cloud of `cloud_type` (`None`: static routes are off, see
/// [`disabled_because`]; none under `deleteConfig`).
pub fn static_routes(snap: &Snapshot, settings: &Settings, cloud_type: &str) -> Option<StaticRoutes> {
    if disabled_because(settings, cloud_type).is_some() {
        return None;
    }
    let mut out = StaticRoutes {
        vrf: settings.vrf().to_owned(),
        ..StaticRoutes::default()
    };
    if settings.delete_config {
        return Some(out);
    }
    let mut routed: BTreeSet<IpAddr> = BTreeSet::new();
    for (key, node) in &snap.nodes {
        let name = &key.name;
        let routes = match node_routes(name, node, snap, settings) {
            Ok(routes) => routes,
            Err(reason) => {
                out.skipped.push((name.clone(), reason));
                continue;
            }
        };
        if let Some(taken) = routes.iter().find(|r| routed.contains(&r.prefix)) {
            out.skipped.push((
                name.clone(),
                format!(
                    "pod CIDR {}/{} is routed to another Node already",
                    taken.prefix, taken.mask
                ),
            ));
            continue;
        }
        if routes.is_empty() {
            out.skipped
                .push((name.clone(), "no pod CIDR of the cluster's IP family".to_owned()));
            continue;
        }
        routed.extend(routes.iter().map(|r| r.prefix));
        out.routes.extend(routes);
    }
    Some(out)
}

/// One Node's routes, or why it gets none.
fn node_routes(name: &str, node: &Node, snap: &Snapshot, settings: &Settings) -> Result<Vec<Route>, String> {
    let (v4, v6) = sources::next_hops(node, settings);
    if v4.is_none() && v6.is_none() {
        return Err("the Node has no address to route to (status.addresses has no InternalIP)".to_owned());
    }
    let cidrs = sources::pod_cidrs(name, node, snap, settings)?;
    let mut routes = Vec::new();
    for (index, cidr) in cidrs.iter().enumerate() {
        let (prefix, mask) = parse_cidr(cidr).ok_or_else(|| format!("pod CIDR {cidr:?} is not a CIDR"))?;
        let next_hop = match prefix {
            IpAddr::V4(_) => v4,
            IpAddr::V6(_) => v6,
        };
        // A CIDR of the other family: skipped, its index kept (AKO does the same).
        if let Some(next_hop) = next_hop {
            routes.push(Route {
                node: name.to_owned(),
                index,
                prefix,
                mask,
                next_hop,
            });
        }
    }
    Ok(routes)
}

/// `addr/mask`, the mask within the family's length.
fn parse_cidr(cidr: &str) -> Option<(IpAddr, u8)> {
    let (addr, mask) = cidr.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let mask: u8 = mask.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (mask <= max).then_some((addr, mask))
}

/// The Avi type of an address.
fn family(addr: &IpAddr) -> &'static str {
    if addr.is_ipv4() { "V4" } else { "V6" }
}

impl Route {
    /// The route id: `<cluster>-<uuid of the Node's name>-<index>`.
    pub fn id(&self, cluster: &str) -> String {
        let uuid = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("ako-rs/node/{}", self.node).as_bytes(),
        );
        format!("{cluster}-{uuid}-{}", self.index)
    }

    /// The route as the controller's `StaticRoute`, labelled for `cluster`.
    pub fn body(&self, cluster: &str) -> Value {
        json!({
            "route_id": self.id(cluster),
            "prefix": {"ip_addr": {"addr": self.prefix.to_string(), "type": family(&self.prefix)}, "mask": self.mask},
            "next_hop": {"addr": self.next_hop.to_string(), "type": family(&self.next_hop)},
            "labels": [{"key": crate::markers::CLUSTER_LABEL, "value": cluster}],
        })
    }
}

impl StaticRoutes {
    /// Every route as the controller's `StaticRoute`.
    pub fn bodies(&self, cluster: &str) -> Vec<Value> {
        self.routes.iter().map(|r| r.body(cluster)).collect()
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} via {} ({})", self.prefix, self.mask, self.next_hop, self.node)
    }
}

#[cfg(test)]
mod tests;
