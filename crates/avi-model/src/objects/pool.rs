//! `pool`: a set of servers (pod IPs, node ports) with health monitors.

use crate::Ref;
use crate::common::{IpAddr, PlacementNetwork, RoleFilterMatchLabel};

avi_object! {
    /// A server pool.
    pub struct Pool: Pool {
        cloud_ref: Ref,
        cloud_config_cksum: String,
        created_by: String,
        description: String,
        enabled: bool,
        servers: Vec<Server>,
        default_server_port: u32,
        lb_algorithm: String,
        health_monitor_refs: Vec<Ref>,
        placement_networks: Vec<PlacementNetwork>,
        ssl_profile_ref: Ref,
        ssl_key_and_certificate_ref: Ref,
        pki_profile_ref: Ref,
        application_persistence_profile_ref: Ref,
        vrf_ref: Ref,
        markers: Vec<RoleFilterMatchLabel>,
        service_metadata: String,
        sni_enabled: bool,
    }
}

avi_struct! {
    /// One backend server.
    pub struct Server {
        ip: IpAddr,
        port: u32,
        enabled: bool,
        hostname: String,
        ratio: u32,
        nw_ref: Ref,
        description: String,
    }
}
