//! AKO's annotations on the Ingresses and Services it serves, written after their status as AKO
//! writes them (`status/ing_status.go`, `svc_status.go`):
//!
//! * `ako.vmware.com/host-fqdn-vs-uuid-map`: `{host: uuid of the virtual service serving it}`
//!   (an SNI child, the shared parent, a dedicated or L4 VS) as Go's JSON writes a map: compact,
//!   keys sorted; for a Service, its FQDN only (none without one, as in AKO);
//! * `ako.vmware.com/controller-cluster-uuid`: the controller cluster's uuid;
//! * `ako.vmware.com/tenant-name`: the Avi tenant.
//!
//! A patch goes out only when the map or the tenant differ from what the object carries (AKO's
//! test, so objects AKO annotated are left as they are); the three are removed from an object
//! no longer served.
//!
//! Under NodePortLocal, AKO also annotates the Services it serves (LoadBalancer Services and the
//! backends of its Ingresses) `nodeportlocal.antrea.io/enabled: "true"`, so that Antrea gives
//! their pods node ports; ako-rs removes the annotation from a Service it annotated once no
//! longer served.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::{ObjectKey, Observed};
use ako_translate::kinds::{
    CONTROLLER_UUID_ANNOTATION, InputKind, KindVisitor, NPL_ANNOTATION, TENANT_ANNOTATION, VS_MAP_ANNOTATION, with_kind,
};
use ako_translate::{Deps, Kind, ObjRef, Snapshot, StatusIntent};
use avi_model::ObjectType;

use crate::status::Vips;

/// The annotations to set on one object (`None`: remove).
pub type Patch = (ObjRef, BTreeMap<&'static str, Option<String>>);

/// What one served object should say: its hosts' VS uuids, in its tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// Host → uuid of the VS serving it.
    pub hosts: BTreeMap<String, String>,
    /// The Avi tenant.
    pub tenant: String,
}

/// What each served object should carry: its hosts with an address whose VS the controller has.
pub fn desired<'a>(
    intents: impl IntoIterator<Item = &'a StatusIntent>,
    vips: &Vips,
    observed: &Observed,
) -> BTreeMap<ObjRef, Wanted> {
    let mut out: BTreeMap<ObjRef, Wanted> = BTreeMap::new();
    for s in intents {
        let slot = out.entry(s.object.clone()).or_insert_with(|| Wanted {
            tenant: s.model.tenant.clone(),
            ..Wanted::default()
        });
        let (Some(host), Some(_)) = (&s.hostname, vips.of_intent(s)) else {
            continue;
        };
        if let Some(vs) = observed.get(&ObjectKey::new(ObjectType::VirtualService, &s.model.tenant, &s.vs)) {
            slot.hosts.insert(host.clone(), vs.uuid.clone());
        }
    }
    out
}

/// The patches to send: served objects whose annotations differ (the controller's uuid given),
/// and objects in `ours` no longer served that still carry them. With `only`, just those.
pub fn changes(
    snap: &Snapshot,
    want: &BTreeMap<ObjRef, Wanted>,
    controller: &str,
    ours: &BTreeSet<ObjRef>,
    only: Option<&BTreeSet<ObjRef>>,
) -> Vec<Patch> {
    let looked_at = |t: &ObjRef| only.is_none_or(|o| o.contains(t));
    let mut out = Vec::new();
    for (target, wanted) in want.iter().filter(|(t, _)| looked_at(t)) {
        let Some(now) = annotations(snap, target) else {
            continue;
        };
        if wanted.hosts.is_empty() {
            if now.contains_key(VS_MAP_ANNOTATION) {
                out.push(removal(target));
            }
            continue;
        }
        if !differs(&now, wanted) {
            continue;
        }
        let map = serde_json::to_string(&wanted.hosts).unwrap_or_default();
        out.push((
            target.clone(),
            BTreeMap::from([
                (VS_MAP_ANNOTATION, Some(map)),
                (CONTROLLER_UUID_ANNOTATION, Some(controller.to_owned())),
                (TENANT_ANNOTATION, Some(wanted.tenant.clone())),
            ]),
        ));
    }
    for target in ours.iter().filter(|t| looked_at(t) && !want.contains_key(*t)) {
        if annotations(snap, target).is_some_and(|now| now.contains_key(VS_MAP_ANNOTATION)) {
            out.push(removal(target));
        }
    }
    out
}

/// The Services served under NodePortLocal: the backends roots name (`deps`) and the
/// LoadBalancer Services with a status intent.
pub fn npl_served(deps: &Deps, intents: &[StatusIntent]) -> BTreeSet<ObjRef> {
    let backends = deps.referenced(Kind::Service).map(|k| ObjRef {
        kind: Kind::Service,
        key: k.clone(),
    });
    let lb = intents
        .iter()
        .map(|s| &s.object)
        .filter(|o| o.kind == Kind::Service)
        .cloned();
    backends.chain(lb).collect()
}

/// The NodePortLocal annotation: set on the `served` Services that lack it, removed from those
/// in `ours` (annotated by this process) no longer served; `ours` follows.
pub fn npl_changes(snap: &Snapshot, served: &BTreeSet<ObjRef>, ours: &mut BTreeSet<ObjRef>) -> Vec<Patch> {
    let mut out = Vec::new();
    for target in served {
        let Some(now) = annotations(snap, target) else {
            continue;
        };
        if now.get(NPL_ANNOTATION).map(String::as_str) != Some("true") {
            out.push((
                target.clone(),
                BTreeMap::from([(NPL_ANNOTATION, Some("true".to_owned()))]),
            ));
            ours.insert(target.clone());
        }
    }
    ours.retain(|target| {
        if served.contains(target) {
            return true;
        }
        if annotations(snap, target).is_some_and(|now| now.contains_key(NPL_ANNOTATION)) {
            out.push((target.clone(), BTreeMap::from([(NPL_ANNOTATION, None)])));
        }
        false
    });
    out
}

/// AKO's `isAnnotationsUpdateRequired`: the map (as JSON, in any key order) or the tenant differ.
fn differs(now: &BTreeMap<String, String>, wanted: &Wanted) -> bool {
    let map: Option<BTreeMap<String, String>> = now.get(VS_MAP_ANNOTATION).and_then(|m| serde_json::from_str(m).ok());
    map.as_ref() != Some(&wanted.hosts) || now.get(TENANT_ANNOTATION) != Some(&wanted.tenant)
}

fn removal(target: &ObjRef) -> Patch {
    (
        target.clone(),
        [VS_MAP_ANNOTATION, CONTROLLER_UUID_ANNOTATION, TENANT_ANNOTATION]
            .into_iter()
            .map(|k| (k, None))
            .collect(),
    )
}

/// The annotations of an object in the snapshot; `None` when it is not there.
fn annotations(snap: &Snapshot, target: &ObjRef) -> Option<BTreeMap<String, String>> {
    struct Find<'a> {
        snap: &'a Snapshot,
        target: &'a ObjRef,
        out: Option<BTreeMap<String, String>>,
    }
    impl KindVisitor for Find<'_> {
        fn visit<K: InputKind>(&mut self) {
            self.out = self
                .snap
                .get::<K>(&self.target.key)
                .map(|o| o.meta().annotations.clone().unwrap_or_default());
        }
    }
    let mut f = Find {
        snap,
        target,
        out: None,
    };
    with_kind(target.kind, &mut f);
    f.out
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::networking::v1::Ingress;
    use serde_json::json;

    use super::*;

    fn ingress(annotations: serde_json::Value) -> Ingress {
        serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "ns", "annotations": annotations}}))
            .unwrap()
    }

    fn wanted(hosts: &[(&str, &str)]) -> BTreeMap<ObjRef, Wanted> {
        let hosts = hosts.iter().map(|(h, u)| (h.to_string(), u.to_string())).collect();
        BTreeMap::from([(
            ObjRef::new(Kind::Ingress, "ns", "web"),
            Wanted {
                hosts,
                tenant: "admin".into(),
            },
        )])
    }

    #[test]
    fn written_as_ako_writes_them_and_only_when_the_map_or_tenant_differ() {
        let want = wanted(&[("b.com", "vs-2"), ("a.com", "vs-1")]);
        let snap = Snapshot::new().with(ingress(json!({})));
        let ours = BTreeSet::new();
        let patches = changes(&snap, &want, "cluster-1", &ours, None);
        assert_eq!(patches.len(), 1);
        let set = &patches[0].1;
        assert_eq!(
            set[VS_MAP_ANNOTATION].as_deref(),
            Some(r#"{"a.com":"vs-1","b.com":"vs-2"}"#),
            "Go's JSON: sorted, compact"
        );
        assert_eq!(set[CONTROLLER_UUID_ANNOTATION].as_deref(), Some("cluster-1"));
        assert_eq!(set[TENANT_ANNOTATION].as_deref(), Some("admin"));
        // Written by AKO with another key order and another controller uuid: left as it is.
        let akos = ingress(json!({VS_MAP_ANNOTATION: r#"{ "b.com": "vs-2", "a.com": "vs-1" }"#,
            CONTROLLER_UUID_ANNOTATION: "cluster-0", TENANT_ANNOTATION: "admin"}));
        assert!(changes(&Snapshot::new().with(akos), &want, "cluster-1", &ours, None).is_empty());
    }

    #[test]
    fn npl_services_are_annotated_and_released() {
        use k8s_openapi::api::core::v1::Service;
        let svc = |name: &str, annotations: serde_json::Value| -> Service {
            serde_json::from_value(json!({"metadata": {"name": name, "namespace": "ns", "annotations": annotations}}))
                .unwrap()
        };
        let snap = Snapshot::new()
            .with(svc("web", json!({})))
            .with(svc("done", json!({NPL_ANNOTATION: "true"})))
            .with(svc("users", json!({NPL_ANNOTATION: "true"})));
        let (web, done, users) = (
            ObjRef::new(Kind::Service, "ns", "web"),
            ObjRef::new(Kind::Service, "ns", "done"),
            ObjRef::new(Kind::Service, "ns", "users"),
        );
        let mut ours = BTreeSet::from([done.clone()]);
        let patches = npl_changes(&snap, &BTreeSet::from([web.clone(), users.clone()]), &mut ours);
        assert_eq!(
            patches,
            vec![
                (web.clone(), BTreeMap::from([(NPL_ANNOTATION, Some("true".to_owned()))])),
                (done, BTreeMap::from([(NPL_ANNOTATION, None)])),
            ],
            "set where missing, removed where ours and no longer served; a user's left alone"
        );
        assert_eq!(ours, BTreeSet::from([web]));
    }

    #[test]
    fn removed_when_no_longer_served_or_without_hosts() {
        let annotated = ingress(json!({VS_MAP_ANNOTATION: r#"{"a.com":"vs-1"}"#, TENANT_ANNOTATION: "admin"}));
        let snap = Snapshot::new().with(annotated);
        let web = ObjRef::new(Kind::Ingress, "ns", "web");
        let ours = BTreeSet::from([web.clone()]);
        let gone = changes(&snap, &BTreeMap::new(), "c", &ours, None);
        assert_eq!(gone, vec![removal(&web)]);
        assert_eq!(
            changes(&snap, &wanted(&[]), "c", &BTreeSet::new(), None),
            vec![removal(&web)]
        );
    }
}
