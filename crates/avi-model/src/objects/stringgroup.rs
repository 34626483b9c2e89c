//! `stringgroup`: string lists (AKO's path groups for large path sets).

use crate::common::{KeyValue, RoleFilterMatchLabel};

avi_object! {
    /// A string group.
    pub struct StringGroup: StringGroup {
        description: String,
        /// `SG_TYPE_STRING` or `SG_TYPE_KEYVAL`.
        r#type: String,
        kv: Vec<KeyValue>,
        longest_match: bool,
        markers: Vec<RoleFilterMatchLabel>,
    }
}
