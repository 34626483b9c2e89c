//! `GET /api/initial-data`: the controller's version, used to negotiate `X-Avi-Version`.

use serde::{Deserialize, Serialize};

/// The initial-data document (only `version` is modelled).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InitialData {
    /// Version information.
    pub version: ControllerVersion,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `version` of initial-data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ControllerVersion {
    /// e.g. `30.2.1`.
    #[serde(rename = "Version")]
    pub version: String,
    /// Build number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<u64>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
