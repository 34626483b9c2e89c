//! `cluster` and `cluster/runtime`: the controller cluster's identity and health.

use serde::{Deserialize, Serialize};

avi_object! {
    /// The controller cluster (AKO reads its uuid).
    pub struct Cluster: Cluster {
        nodes: Vec<serde_json::Value>,
        virtual_ip: serde_json::Value,
    }
}

/// `GET /api/cluster/runtime` (not a swagger object type).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterRuntime {
    /// `{"state": "CLUSTER_UP_NO_HA"}` and friends.
    pub cluster_state: ClusterState,
    /// One entry per controller node; AKO finds the `CLUSTER_LEADER` and watches its name and `up_since`.
    pub node_states: Vec<NodeState>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The cluster's overall state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    /// `CLUSTER_UP_NO_HA`, `CLUSTER_UP_HA_ACTIVE`, `CLUSTER_UP_HA_COMPROMISED`, ...
    pub state: String,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One controller node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeState {
    /// Node name (its address).
    pub name: String,
    /// `CLUSTER_LEADER` or `CLUSTER_FOLLOWER`.
    pub role: String,
    /// When the node came up; stable while it stays up.
    #[serde(default)]
    pub up_since: String,
    /// Everything else.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ClusterRuntime {
    /// True when the cluster can take configuration (the states AKO accepts).
    pub fn is_active(&self) -> bool {
        matches!(
            self.cluster_state.state.as_str(),
            "CLUSTER_UP_NO_HA" | "CLUSTER_UP_HA_ACTIVE" | "CLUSTER_UP_HA_COMPROMISED"
        )
    }

    /// The leader node, if any.
    pub fn leader(&self) -> Option<&NodeState> {
        self.node_states.iter().find(|n| n.role == "CLUSTER_LEADER")
    }
}
