//! OpenShift Route: a root of L7 translation, watched (instead of Ingresses) where the cluster
//! serves the Route API. It feeds the model of its host (or its own failure unit) and reads its
//! Services, its AviInfraSetting and, for a TLS Route without a certificate of its own, the AKO
//! namespace's `router-certs-default`.

use std::collections::BTreeSet;

use super::{Dep, InputKind, Kind, Store, plain_store, same_served_meta};
use crate::infra::annotated_setting;
use crate::key::{NsName, ObjRef};
use crate::model::CloudFacts;
use crate::namespaces::namespace_accepted;
use crate::openshift::{ROUTER_DEFAULT_SECRET, Route, route_host};
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::units::{Unit, units_of_root};

impl InputKind for Route {
    const KIND: Kind = Kind::Route;
    const OPTIONAL: bool = true;
    const ROOT: bool = true;

    plain_store!(routes);

    /// Only where the Route API exists, as AKO.
    fn watched(settings: &Settings) -> bool {
        settings.route_api
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_served_meta(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    fn units(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
        units_of_root(
            snap,
            settings,
            cloud,
            &ObjRef::new(Kind::Route, &key.namespace, &key.name),
        )
    }

    /// Its Services, its AviInfraSetting, its host, and the default certificate when it uses it.
    fn dependencies(key: &NsName, object: &Self, snap: &Snapshot, settings: &Settings) -> BTreeSet<Dep> {
        let mut deps = BTreeSet::new();
        if let Some(infra) = annotated_setting(snap, &key.namespace, &object.metadata) {
            deps.insert(Dep::Object(ObjRef::new(Kind::AviInfraSetting, "", infra)));
        }
        if !namespace_accepted(snap, settings, &key.namespace) {
            return deps;
        }
        let spec = &object.spec;
        deps.insert(Dep::Host(route_host(object, settings).unwrap_or_default()));
        for t in std::iter::once(&spec.to).chain(&spec.alternate_backends) {
            deps.insert(Dep::Object(ObjRef::new(Kind::Service, &key.namespace, &t.name)));
        }
        if spec
            .tls
            .as_ref()
            .is_some_and(|t| !t.termination.eq_ignore_ascii_case("passthrough") && !t.has_own_certificate())
        {
            deps.insert(Dep::Object(ObjRef::new(
                Kind::Secret,
                &settings.ako_namespace,
                ROUTER_DEFAULT_SECRET,
            )));
        }
        deps
    }
}
