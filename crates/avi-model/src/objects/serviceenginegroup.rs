//! `serviceenginegroup`: where virtual services are placed; AKO labels it with its cluster name.

use crate::Ref;
use crate::common::{KeyValue, RoleFilterMatchLabel};

avi_object! {
    /// A Service Engine group (only the fields AKO reads; the swagger has hundreds more, kept in `extra`).
    pub struct ServiceEngineGroup: ServiceEngineGroup {
        cloud_ref: Ref,
        labels: Vec<KeyValue>,
        markers: Vec<RoleFilterMatchLabel>,
        mgmt_network_ref: Ref,
        ha_mode: String,
        max_vs_per_se: u32,
    }
}
