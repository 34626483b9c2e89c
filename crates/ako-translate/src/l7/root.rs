//! The roots of L7 translation, Ingresses and OpenShift Routes, through what placement, units
//! and failures need of either: its hosts, its AviInfraSetting, whether it passes TLS through.

use k8s_openapi::api::networking::v1::Ingress;

use crate::infra::{annotated_setting, ingress_setting};
use crate::ingress::{is_passthrough, rule_hosts};
use crate::key::{Kind, NsName};
use crate::model::CloudFacts;
use crate::openshift::{Route, route_host};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// An Ingress or a Route.
#[derive(Clone, Copy)]
pub enum L7Root<'a> {
    /// An Ingress.
    Ingress(&'a Ingress),
    /// An OpenShift Route.
    Route(&'a Route),
}

impl<'a> L7Root<'a> {
    /// The root `key` of `kind` in the snapshot (`None` for another kind, or when it is not there).
    pub fn find(snap: &'a Snapshot, kind: Kind, key: &NsName) -> Option<Self> {
        match kind {
            Kind::Ingress => snap.ingresses.get(key).map(L7Root::Ingress),
            Kind::Route => snap.routes.get(key).map(L7Root::Route),
            _ => None,
        }
    }

    /// The AviInfraSetting it names (an Ingress through its class, a Route by annotation, else
    /// its Namespace's).
    pub fn setting(&self, snap: &'a Snapshot, ns: &str) -> Option<&'a str> {
        match self {
            L7Root::Ingress(ing) => ingress_setting(snap, ns, ing),
            L7Root::Route(route) => annotated_setting(snap, ns, &route.metadata),
        }
    }

    /// Its hosts pass TLS through to the backends.
    pub fn passthrough(&self) -> bool {
        match self {
            L7Root::Ingress(ing) => is_passthrough(ing),
            L7Root::Route(route) => route
                .spec
                .tls
                .as_ref()
                .is_some_and(|t| t.termination.eq_ignore_ascii_case("passthrough")),
        }
    }

    /// Its hosts as AKO names them, before any validation: what decides which models it feeds.
    pub fn hosts(&self, key: &NsName, settings: &Settings, cloud: &CloudFacts) -> Vec<String> {
        match self {
            L7Root::Ingress(ing) => rule_hosts(&key.namespace, &key.name, ing, cloud),
            L7Root::Route(route) => route_host(route, settings).into_iter().collect(),
        }
    }
}
