//! Unit tests of the index: lists, relists, relevance, metadata-only kinds.

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::json;

use super::*;

fn dynamic(v: serde_json::Value) -> DynamicObject {
    serde_json::from_value(v).unwrap()
}

fn service(name: &str) -> DynamicObject {
    dynamic(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "ns", "managedFields": [{"manager": "x"}]},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}
    }))
}

fn svc_ref(name: &str) -> ObjRef {
    ObjRef::new(Kind::Service, "ns", name)
}

#[test]
fn synced_only_after_every_kind_listed() {
    let mut c = Index::new([Kind::Service, Kind::Ingress]);
    assert!(!c.synced());
    c.apply::<Service>(Event::Init);
    c.apply::<Service>(Event::InitApply(service("a")));
    c.apply::<Service>(Event::InitDone);
    assert!(!c.synced());
    assert_eq!(c.pending(), vec![Kind::Ingress]);
    c.apply::<Ingress>(Event::Init);
    c.apply::<Ingress>(Event::InitDone);
    assert!(c.synced());
    let svc = c.snapshot.service("ns", "a").unwrap();
    assert!(svc.metadata.managed_fields.is_none());
}

#[test]
fn a_relist_removes_exactly_what_it_did_not_list_and_only_at_the_end_as_vanished() {
    let mut c = Index::new([Kind::Service]);
    for e in [
        Event::Init,
        Event::InitApply(service("a")),
        Event::InitApply(service("b")),
        Event::InitDone,
    ] {
        c.apply::<Service>(e);
    }
    c.take_changes();
    c.apply::<Service>(Event::Init);
    c.apply::<Service>(Event::InitApply(service("b")));
    assert_eq!(c.snapshot.services().len(), 2, "a partial relist deletes nothing");
    assert!(
        c.apply::<Service>(Event::InitDone),
        "what the relist removed wakes the loop"
    );
    let names: Vec<_> = c.snapshot.services().keys().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["b"]);
    let changes = c.take_changes();
    assert_eq!(changes.vanished, BTreeSet::from([svc_ref("a")]));
    assert!(changes.deleted.is_empty(), "no one saw it deleted");
    assert_eq!(changes.objects, BTreeSet::from([svc_ref("a")]));
}

#[test]
fn a_watched_deletion_is_evidence_and_a_recreation_cancels_it() {
    let mut c = Index::new([Kind::Service]);
    c.apply::<Service>(Event::Apply(service("a")));
    c.take_changes();
    assert!(c.apply::<Service>(Event::Delete(service("a"))));
    assert!(c.snapshot.services().is_empty());
    let changes = c.take_changes();
    assert_eq!(changes.deleted, BTreeSet::from([svc_ref("a")]));
    c.apply::<Service>(Event::Delete(service("a")));
    c.apply::<Service>(Event::Apply(service("a")));
    let changes = c.take_changes();
    assert!(changes.deleted.is_empty(), "{changes:?}");
    assert_eq!(changes.objects, BTreeSet::from([svc_ref("a")]));
}

#[test]
fn an_object_of_the_wrong_shape_is_skipped_and_the_rest_applies() {
    let mut c = Index::new([Kind::Service]);
    let bad = dynamic(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "bad", "namespace": "ns"},
        "spec": {"ports": "not a list"}
    }));
    assert!(!c.apply::<Service>(Event::Apply(bad)));
    assert!(c.apply::<Service>(Event::Apply(service("good"))));
    assert_eq!(c.skipped, 1);
    assert_eq!(c.snapshot.services().len(), 1);
}

#[test]
fn an_update_translation_ignores_is_not_a_change_and_a_status_alone_is_a_status_change() {
    let mut c = Index::new([Kind::Service]);
    c.apply::<Service>(Event::Apply(service("a")));
    let first = c.take_changes();
    assert_eq!(first.objects.len(), 1);
    // A new resource version and managed fields only: nothing to do.
    let mut same = service("a");
    same.metadata.resource_version = Some("7".into());
    assert!(!c.apply::<Service>(Event::Apply(same)));
    assert_eq!(c.queued(), 0);
    // Our own status write coming back: a status check, no translation.
    let with_status = dynamic(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "a", "namespace": "ns"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
    }));
    assert!(c.apply::<Service>(Event::Apply(with_status)));
    let changes = c.take_changes();
    assert!(changes.objects.is_empty());
    assert_eq!(changes.statuses, BTreeSet::from([svc_ref("a")]));
    // A spec change is a change.
    let mut other = service("a");
    other.data["spec"]["ports"][0]["port"] = json!(81);
    assert!(c.apply::<Service>(Event::Apply(other)));
    assert_eq!(c.take_changes().objects.len(), 1);
}

#[test]
fn referenced_kinds_are_known_by_version_only() {
    let meta = |name: &str, rv: &str| {
        let mut m = PartialObjectMeta::<Secret>::default();
        m.metadata.namespace = Some("ns".into());
        m.metadata.name = Some(name.into());
        m.metadata.resource_version = Some(rv.into());
        m
    };
    let a = ObjRef::new(Kind::Secret, "ns", "a");
    let mut c = Index::new([Kind::Secret]);
    c.apply_meta::<Secret>(Event::Init);
    c.apply_meta(Event::InitApply(meta("a", "1")));
    c.apply_meta::<Secret>(Event::InitDone);
    assert!(c.synced());
    assert!(c.snapshot.secrets.is_empty(), "no data is held from the watch");
    assert_eq!(c.version(&a), Some("1"));
    c.take_changes();
    assert!(!c.apply_meta(Event::Apply(meta("a", "1"))), "same version: nothing");
    assert!(c.apply_meta(Event::Apply(meta("a", "2"))));
    assert!(c.apply_meta(Event::Delete(meta("a", "2"))));
    assert_eq!(c.version(&a), None);
    assert_eq!(c.take_changes().deleted, BTreeSet::from([a]));
}
