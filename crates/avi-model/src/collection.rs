//! The controller's collection envelope: `{"count": N, "results": [...], "next": "<abs url>"}`.

use serde::{Deserialize, Serialize};

/// One page of a collection GET.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Collection<T> {
    /// Total number of matching objects across all pages.
    pub count: u64,
    /// This page's objects.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Absolute URL of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
