//! `cloud`: the infrastructure the controller places VIPs in (read by AKO, never written).

use crate::Ref;

avi_object! {
    /// A cloud.
    pub struct Cloud: Cloud {
        /// `CLOUD_NONE`, `CLOUD_VCENTER`, `CLOUD_NSXT`, `CLOUD_AWS`, ...
        vtype: String,
        ipam_provider_ref: Ref,
        dns_provider_ref: Ref,
        license_tier: String,
        license_type: String,
        vcenter_configuration: serde_json::Value,
        nsxt_configuration: serde_json::Value,
    }
}
