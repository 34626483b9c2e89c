//! `poolgroup`: pools with priorities and ratios, switched to by policies.

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// A pool group.
    pub struct PoolGroup: PoolGroup {
        cloud_ref: Ref,
        cloud_config_cksum: String,
        created_by: String,
        description: String,
        members: Vec<PoolGroupMember>,
        implicit_priority_labels: bool,
        markers: Vec<RoleFilterMatchLabel>,
        service_metadata: String,
    }
}

avi_struct! {
    /// A member pool of a pool group.
    pub struct PoolGroupMember {
        pool_ref: Ref,
        priority_label: String,
        ratio: u32,
    }
}
