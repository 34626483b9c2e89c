//! Gateway API kinds (with `featureGates.GatewayAPI`, where the cluster has their CRDs): a
//! GatewayClass decides which Gateways are served; a Gateway is a root of its own unit and
//! reads its listeners' Secrets; an HTTPRoute feeds the units of the Gateways it names and
//! reads its backend Services; a ReferenceGrant decides which Services of other namespaces
//! Routes may send traffic to.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Dep, InputKind, Kind, Store, Touch, plain_store, same_meta};
use crate::gateway::api::{HttpPathMatch, HttpRouteMatch};
use crate::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant, gateway_infra_setting};
use crate::key::{NsName, ObjRef};
use crate::model::CloudFacts;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::units::Unit;

impl InputKind for GatewayClass {
    const KIND: Kind = Kind::GatewayClass;
    const NAMESPACED: bool = false;
    const OPTIONAL: bool = true;

    plain_store!(gateway_classes);

    fn watched(settings: &Settings) -> bool {
        settings.gateway_api
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_gateway_api_object(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    /// Its controller name decides which Gateways are served.
    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::RootsOf(&[Kind::Gateway])
    }
}

impl InputKind for Gateway {
    const KIND: Kind = Kind::Gateway;
    const OPTIONAL: bool = true;
    const ROOT: bool = true;

    plain_store!(gateways);

    fn watched(settings: &Settings) -> bool {
        settings.gateway_api
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_gateway_api_object(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    fn units(snap: &Snapshot, _settings: &Settings, _cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
        if snap.gateways.contains_key(key) {
            BTreeSet::from([Unit::Gateway(key.clone())])
        } else {
            BTreeSet::new()
        }
    }

    /// The Secrets of its listeners' certificates and its AviInfraSetting.
    fn dependencies(key: &NsName, object: &Self, snap: &Snapshot, _settings: &Settings) -> BTreeSet<Dep> {
        let mut deps: BTreeSet<Dep> = object
            .spec
            .listeners
            .iter()
            .filter_map(|l| l.tls.as_ref())
            .flat_map(|t| &t.certificate_refs)
            .map(|r| {
                let ns = r.namespace.as_deref().unwrap_or(&key.namespace);
                Dep::Object(ObjRef::new(Kind::Secret, ns, &r.name))
            })
            .collect();
        if let Some(infra) = gateway_infra_setting(snap, &key.namespace, object) {
            deps.insert(Dep::Object(ObjRef::new(Kind::AviInfraSetting, "", infra)));
        }
        deps
    }
}

impl InputKind for HttpRoute {
    const KIND: Kind = Kind::HttpRoute;
    const OPTIONAL: bool = true;
    const ROOT: bool = true;

    plain_store!(http_routes);

    /// The defaults the API server applies (the CRD's): a rule without matches matches
    /// `PathPrefix /`, a path is a `PathPrefix` of `/`, a header match is `Exact`. A manifest
    /// read offline (`ako plan`) then names its rules as the cluster's object does.
    fn normalize(&mut self) {
        super::strip_meta(&mut self.metadata);
        for rule in &mut self.spec.rules {
            if rule.matches.is_empty() {
                rule.matches.push(HttpRouteMatch {
                    path: Some(HttpPathMatch::default()),
                    headers: Vec::new(),
                });
            }
            for m in &mut rule.matches {
                if let Some(path) = &mut m.path {
                    path.type_.get_or_insert_with(|| "PathPrefix".to_owned());
                    path.value.get_or_insert_with(|| "/".to_owned());
                }
                for h in &mut m.headers {
                    h.type_.get_or_insert_with(|| "Exact".to_owned());
                }
            }
        }
    }

    fn watched(settings: &Settings) -> bool {
        settings.gateway_api
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_gateway_api_object(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    /// The units of the Gateways it names.
    fn units(snap: &Snapshot, _settings: &Settings, _cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
        let Some(route) = snap.http_routes.get(key) else {
            return BTreeSet::new();
        };
        route
            .spec
            .parent_refs
            .iter()
            .filter(|p| p.kind.as_deref().unwrap_or("Gateway") == "Gateway")
            .map(|p| Unit::Gateway(NsName::new(p.namespace.as_deref().unwrap_or(&key.namespace), &p.name)))
            .collect()
    }

    /// Its backend Services.
    fn dependencies(key: &NsName, object: &Self, _snap: &Snapshot, _settings: &Settings) -> BTreeSet<Dep> {
        object
            .spec
            .rules
            .iter()
            .flat_map(|r| &r.backend_refs)
            .map(|b| {
                let ns = b.namespace.as_deref().unwrap_or(&key.namespace);
                Dep::Object(ObjRef::new(Kind::Service, ns, &b.name))
            })
            .collect()
    }
}

impl InputKind for ReferenceGrant {
    const KIND: Kind = Kind::ReferenceGrant;
    const OPTIONAL: bool = true;

    plain_store!(reference_grants);

    fn watched(settings: &Settings) -> bool {
        settings.gateway_api
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        a.spec == b.spec
    }

    /// It may open or close any Route's backends or Gateway's certificates of its namespace
    /// (grants are few and rarely change: every Route and Gateway is re-indexed).
    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::RootsOf(&[Kind::HttpRoute, Kind::Gateway])
    }
}

/// Two versions of a Gateway API object are the same to ako-rs when their metadata and
/// generation are: a spec change in a field ako-rs does not read (a GatewayClass's
/// `description`) still bumps the generation, and the statuses' `observedGeneration` must
/// follow it.
fn same_gateway_api_object(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    same_meta(a, b) && a.generation == b.generation
}
