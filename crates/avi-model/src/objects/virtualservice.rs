//! `virtualservice`: the listener. AKO writes shared L7 parents, SNI children and dedicated L4 VSes.

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// A virtual service.
    pub struct VirtualService: VirtualService {
        cloud_ref: Ref,
        cloud_config_cksum: String,
        created_by: String,
        description: String,
        enabled: bool,
        traffic_enabled: bool,
        /// `VS_TYPE_NORMAL`, `VS_TYPE_VH_PARENT` or `VS_TYPE_VH_CHILD`.
        r#type: String,
        /// `VS_TYPE_VH_SNI` or `VS_TYPE_VH_ENHANCED` (EVH).
        vh_type: String,
        vh_parent_vs_ref: Ref,
        vh_domain_name: Vec<String>,
        /// Read-only list of SNI children the controller maintains on a parent (not in the swagger).
        vh_child_vs_uuid: Vec<String>,
        vsvip_ref: Ref,
        application_profile_ref: Ref,
        network_profile_ref: Ref,
        analytics_profile_ref: Ref,
        error_page_profile_ref: Ref,
        se_group_ref: Ref,
        vrf_context_ref: Ref,
        pool_ref: Ref,
        pool_group_ref: Ref,
        ssl_profile_ref: Ref,
        ssl_key_and_certificate_refs: Vec<Ref>,
        services: Vec<Service>,
        http_policies: Vec<HTTPPolicies>,
        vs_datascripts: Vec<VSDataScripts>,
        l4_policies: Vec<L4Policies>,
        markers: Vec<RoleFilterMatchLabel>,
        /// AKO's JSON string describing which Kubernetes objects the VS serves.
        service_metadata: String,
        enable_rhi: bool,
        east_west_placement: bool,
        ign_pool_net_reach: bool,
        remove_listening_port_on_vs_down: bool,
        bgp_peer_labels: Vec<String>,
        vsvip_cloud_config_cksum: String,
    }
}

avi_struct! {
    /// A listening port (range).
    pub struct Service {
        port: u32,
        port_range_end: u32,
        enable_ssl: bool,
        enable_http2: bool,
        override_network_profile_ref: Ref,
        override_application_profile_ref: Ref,
    }
}

avi_struct! {
    /// An HTTP policy set attached at an index.
    pub struct HTTPPolicies {
        index: u32,
        http_policy_set_ref: Ref,
    }
}

avi_struct! {
    /// A DataScript set attached at an index.
    pub struct VSDataScripts {
        index: u32,
        vs_datascript_set_ref: Ref,
    }
}

avi_struct! {
    /// An L4 policy set attached at an index.
    pub struct L4Policies {
        index: u32,
        l4_policy_set_ref: Ref,
    }
}
