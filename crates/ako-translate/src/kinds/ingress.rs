//! Ingress: a root of L7 translation. It feeds the models of its hosts (or its own failure unit)
//! and reads its backend Services, its TLS Secrets and, under `fqdnReusePolicy: Strict`, the
//! other Ingresses claiming its hosts.

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::Ingress;

use super::{Dep, InputKind, Kind, LbEntry, Store, lb_entries, plain_store, same_served_meta};
use crate::infra::ingress_setting;
use crate::ingress::is_served;
use crate::key::{NsName, ObjRef};
use crate::model::CloudFacts;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::units::{Unit, units_of_ingress};

impl InputKind for Ingress {
    const KIND: Kind = Kind::Ingress;
    const ROOT: bool = true;

    /// Not where the Route API exists: AKO serves Routes there.
    fn watched(settings: &Settings) -> bool {
        !settings.route_api
    }

    plain_store!(ingresses);

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        same_served_meta(&a.metadata, &b.metadata) && a.spec == b.spec
    }

    fn lb_status(object: &Self) -> Option<BTreeSet<LbEntry>> {
        let list = object
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref()?.ingress.as_ref());
        Some(lb_entries(list.into_iter().flatten().map(|e| (&e.ip, &e.hostname))))
    }

    fn units(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
        units_of_ingress(snap, settings, cloud, key)
    }

    /// The Services of its rules' backends, the Secrets of `spec.tls`, its AviInfraSetting and its
    /// hosts as written (empty for a rule without host); only its AviInfraSetting when AKO does
    /// not serve it (namespace filters, another class).
    fn dependencies(key: &NsName, object: &Self, snap: &Snapshot, settings: &Settings) -> BTreeSet<Dep> {
        let mut deps = BTreeSet::new();
        // Its AviInfraSetting names the models it feeds, served or not (a failure is reported
        // in them).
        if let Some(infra) = ingress_setting(snap, &key.namespace, object) {
            deps.insert(Dep::Object(ObjRef::new(Kind::AviInfraSetting, "", infra)));
        }
        if !is_served(snap, settings, &key.namespace, object) {
            return deps;
        }
        let Some(spec) = object.spec.as_ref() else {
            return deps;
        };
        let ns = key.namespace.as_str();
        for rule in spec.rules.iter().flatten() {
            deps.insert(Dep::Host(rule.host.clone().unwrap_or_default()));
            for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
                if let Some(svc) = &path.backend.service {
                    deps.insert(Dep::Object(ObjRef::new(Kind::Service, ns, &svc.name)));
                }
            }
        }
        for tls in spec.tls.iter().flatten() {
            if let Some(secret) = &tls.secret_name {
                deps.insert(Dep::Object(ObjRef::new(Kind::Secret, ns, secret)));
            }
        }
        deps
    }
}
