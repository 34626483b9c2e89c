//! The OpenShift Route API (`route.openshift.io/v1`) as ako-rs reads and writes it: the spec
//! fields AKO serves and the status it reports. OpenShift owns the API; this is a client-side
//! view of it (unknown fields are ignored on read).

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `spec` of a Route: one host (or a subdomain of the default domain) and path, sent to a
/// Service and its alternates by weight, with an optional TLS termination.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "route.openshift.io",
    version = "v1",
    kind = "Route",
    plural = "routes",
    namespaced,
    status = "RouteStatus",
    derive = "PartialEq",
    derive = "Default",
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    /// The host served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// With no host: the host is `<subdomain>.<defaultDomain>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain: Option<String>,
    /// The path served (a prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The Service receiving the traffic.
    pub to: RouteTarget,
    /// More Services sharing the traffic by weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternate_backends: Vec<RouteTarget>,
    /// The port of the Services' endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<RoutePort>,
    /// TLS termination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<RouteTls>,
}

/// `spec.to` or an element of `spec.alternateBackends`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RouteTarget {
    /// `Service` (the only kind served).
    #[serde(default)]
    pub kind: String,
    /// The Service's name.
    pub name: String,
    /// Its share of the traffic (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// `spec.port`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoutePort {
    /// An endpoint port number, or the name of a Service port.
    pub target_port: IntOrString,
}

/// `spec.tls`. Its `Debug` leaves the private key out.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteTls {
    /// `edge`, `reencrypt` or `passthrough`.
    #[serde(default)]
    pub termination: String,
    /// The certificate (PEM); without it and `key`, the AKO namespace's `router-certs-default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// The certificate's private key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The CA chain of the certificate (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
    /// `reencrypt`: the CA the backends' certificates are checked against (PEM).
    #[serde(
        default,
        rename = "destinationCACertificate",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_ca_certificate: Option<String>,
    /// HTTP on a TLS host: `Allow`, `Redirect` or `None` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_edge_termination_policy: Option<String>,
}

impl fmt::Debug for RouteTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteTls")
            .field("termination", &self.termination)
            .field("certificate", &self.certificate)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("ca_certificate", &self.ca_certificate)
            .field("destination_ca_certificate", &self.destination_ca_certificate)
            .field(
                "insecure_edge_termination_policy",
                &self.insecure_edge_termination_policy,
            )
            .finish()
    }
}

impl RouteTls {
    /// Both its certificate and key are given (else an edge or reencrypt Route uses the AKO
    /// namespace's `router-certs-default`).
    pub fn has_own_certificate(&self) -> bool {
        let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        given(&self.certificate) && given(&self.key)
    }
}

/// `status` of a Route: one entry per router (and host) that admitted it, or refused it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RouteStatus {
    /// The routers' entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<RouteIngress>,
}

/// An element of `status.ingress`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteIngress {
    /// The host admitted.
    #[serde(default)]
    pub host: String,
    /// The router (AKO: `ako-<cluster>`).
    #[serde(default)]
    pub router_name: String,
    /// `Admitted`, true or false.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<RouteCondition>,
    /// Set by other routers; kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard_policy: Option<String>,
    /// Set by other routers; kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_canonical_hostname: Option<String>,
}

/// A condition of a router's entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteCondition {
    /// `Admitted`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True` or `False`.
    pub status: String,
    /// AKO: its annotations as JSON when admitted, the failure when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// AKO: the VIP when admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routes_debug_leaves_its_private_key_out() {
        let route: Route = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "h", "to": {"kind": "Service", "name": "a"},
                "tls": {"termination": "edge", "certificate": "CERT-BODY", "key": "KEY-MARKER-7f3a"}}}))
        .unwrap();
        let text = format!("{route:?}");
        assert!(!text.contains("KEY-MARKER-7f3a"), "{text}");
        assert!(text.contains("CERT-BODY") && text.contains("<redacted>"), "{text}");
    }
}
