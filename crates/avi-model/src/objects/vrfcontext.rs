//! `vrfcontext`: a routing context; AKO adds static routes to pod CIDRs.

use crate::Ref;
use crate::common::{IpAddr, IpAddrPrefix, KeyValue, RoleFilterMatchLabel};

avi_object! {
    /// A VRF context.
    pub struct VrfContext: VrfContext {
        cloud_ref: Ref,
        system_default: bool,
        description: String,
        static_routes: Vec<StaticRoute>,
        attrs: Vec<KeyValue>,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// A static route; AKO labels its own with `clustername`.
    pub struct StaticRoute {
        route_id: String,
        prefix: IpAddrPrefix,
        next_hop: IpAddr,
        labels: Vec<KeyValue>,
        if_name: String,
        disable_gateway_monitor: bool,
    }
}
