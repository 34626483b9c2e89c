//! AKO's custom resources, defined in Rust (group `ako.vmware.com`): the types translation reads
//! and the CustomResourceDefinitions the chart installs (generated from these types by
//! `ako crds`, never written by hand). Field names, types, enums and defaults are AKO's, so
//! the objects AKO users have keep working unchanged.

mod avi_infra_setting;
mod host_rule;
mod http_rule;
mod l4_rule;
mod l7_rule;
mod sso_rule;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube_core::CustomResourceExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use avi_infra_setting::*;
pub use host_rule::*;
pub use http_rule::*;
pub use l4_rule::*;
pub use l7_rule::*;
pub use sso_rule::*;

/// The API group of AKO's custom resources.
pub const GROUP: &str = "ako.vmware.com";

/// `status` of a rule, as AKO writes it: `Accepted` or `Rejected`, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleStatus {
    /// `Accepted` or `Rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every CustomResourceDefinition ako-rs installs, as the chart ships them. Those AKO serves as
/// `v1beta1` (stored) are, like AKO's, also served as `v1alpha1` (served only, the same schema: a
/// superset of AKO's `v1alpha1`), so objects written against either keep working; L4Rule is
/// `v1alpha2` only, as in AKO, and so are L7Rule and SSORule.
pub fn definitions() -> Vec<CustomResourceDefinition> {
    [AviInfraSetting::crd(), HostRule::crd(), HttpRule::crd()]
        .into_iter()
        .map(|crd| with_alpha(spec_optional(crd)))
        .chain([L4Rule::crd(), L7Rule::crd(), SsoRule::crd()].map(spec_optional))
        .collect()
}

/// AKO's CRDs do not require `spec` (only what is inside it): neither may ours, or an AKO
/// user's object without one would be refused.
fn spec_optional(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    for version in &mut crd.spec.versions {
        let root = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut());
        if let Some(required) = root.and_then(|r| r.required.as_mut()) {
            required.retain(|field| field != "spec");
        }
    }
    crd
}

/// `crd` with a served, not stored, `v1alpha1` copy of its version. Like AKO's, the old version
/// has neither printer columns nor a status subresource: `kubectl get` and status writes use
/// `v1beta1`.
fn with_alpha(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    if let Some(stored) = crd.spec.versions.first().cloned() {
        let mut alpha = stored;
        alpha.name = "v1alpha1".to_owned();
        alpha.storage = false;
        alpha.additional_printer_columns = None;
        alpha.subresources = None;
        crd.spec.versions.insert(0, alpha);
    }
    crd
}
