//! `tenant`: an isolation domain for object names.

use crate::common::KeyValue;

avi_object! {
    /// A tenant (the admin tenant's uuid is literally `admin`).
    pub struct Tenant: Tenant {
        description: String,
        local: bool,
        created_by: String,
        attrs: Vec<KeyValue>,
        config_settings: serde_json::Value,
    }
}
