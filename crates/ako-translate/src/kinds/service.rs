//! Service: a root of L4 translation (a LoadBalancer Service feeds its own VS, or its shared-VIP
//! group's), and an input of the Ingresses naming it as a backend.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Service;

use super::{Dep, InputKind, Kind, LbEntry, Store, lb_entries, same_served_meta};
use crate::infra::service_setting;
use crate::key::{NsName, ObjRef};
use crate::l4::rule::l4_rule_key;
use crate::model::CloudFacts;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::units::{Unit, units_of_service};

impl InputKind for Service {
    const KIND: Kind = Kind::Service;
    const ROOT: bool = true;

    fn store(snap: &Snapshot) -> &Store<Self> {
        snap.services()
    }

    fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
        snap.insert_service(key, object);
    }

    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
        snap.remove_service(key)
    }

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

    fn units(snap: &Snapshot, _settings: &Settings, _cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
        units_of_service(snap, key)
    }

    /// Its AviInfraSetting (its annotation's, else its Namespace's) and its L4Rule, when it is a
    /// LoadBalancer Service.
    fn dependencies(key: &NsName, object: &Self, snap: &Snapshot, _settings: &Settings) -> BTreeSet<Dep> {
        let mut deps = BTreeSet::new();
        if object.spec.as_ref().and_then(|s| s.type_.as_deref()) != Some("LoadBalancer") {
            return deps;
        }
        if let Some(name) = service_setting(snap, &key.namespace, object) {
            deps.insert(Dep::Object(ObjRef::new(Kind::AviInfraSetting, "", name)));
        }
        if let Some(rule) = l4_rule_key(&key.namespace, object) {
            deps.insert(Dep::Object(ObjRef::of::<crate::crds::L4Rule>(&rule)));
        }
        deps
    }
}
