//! Status write-back: `status.loadBalancer.ingress` of the Ingresses and Services we serve,
//! from the addresses of their VsVips as the controller returned them.
//!
//! * Ingress: one `{ip, hostname}` per address and host (all hosts of one Ingress merged).
//! * Service: `{ip}` per address, with the hostname (the first FQDN) when there is one.
//!
//! * Route (OpenShift): `status.ingress[]`, one entry per address and host, as AKO writes it:
//!   `routerName` `ako-<cluster>`, an `Admitted` condition `True` with the address as message and
//!   AKO's three annotations (as JSON) as reason. Other routers' entries are kept as they are.
//!
//! A patch is sent only when the entries differ from what the object carries. An object we
//! wrote status to (in this process, or whose status holds one of our VIPs when we started) and
//! that translation no longer serves gets its entries removed. Objects we never served are not
//! touched: another controller may own their status.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::{ObjectKey, Observed};
use ako_translate::kinds::{
    CONTROLLER_UUID_ANNOTATION, InputKind, KindVisitor, LbEntry, TENANT_ANNOTATION, VS_MAP_ANNOTATION, with_kind,
};
use ako_translate::openshift::Route;
use ako_translate::openshift::api::{RouteCondition, RouteIngress};
use ako_translate::{Kind, ObjRef, Snapshot, StatusIntent};
use avi_model::ObjectType;
use avi_model::objects::VsVip;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

/// What to do to one object's status: `Some(entries)` to set, `None` to clear.
pub type Change = (ObjRef, Option<BTreeSet<LbEntry>>);

/// The addresses of the VsVips we own, as the controller returned them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vips(BTreeMap<ObjectKey, Vec<String>>);

impl FromIterator<(ObjectKey, Vec<String>)> for Vips {
    fn from_iter<I: IntoIterator<Item = (ObjectKey, Vec<String>)>>(iter: I) -> Self {
        Vips(iter.into_iter().collect())
    }
}

impl Vips {
    /// Every VsVip of `observed` that has an address.
    pub fn of(observed: &Observed) -> Vips {
        observed
            .iter()
            .filter(|(key, _)| key.kind == ObjectType::VsVip)
            .filter_map(|(key, object)| Some((key.clone(), addresses(object)?)))
            .collect()
    }

    /// Read one VsVip again from `observed` (after its model was synced).
    pub fn refresh(&mut self, observed: &Observed, key: ObjectKey) {
        match observed.get(&key).and_then(addresses) {
            Some(ips) => self.0.insert(key, ips),
            None => self.0.remove(&key),
        };
    }

    /// The addresses serving a status intent, when its VsVip has any.
    pub fn of_intent(&self, s: &StatusIntent) -> Option<&Vec<String>> {
        self.0
            .get(&ObjectKey::new(ObjectType::VsVip, &s.model.tenant, &s.vsvip))
    }

    /// Every address.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.0.values().flatten()
    }
}

fn addresses(object: &ako_sync::ObservedObject) -> Option<Vec<String>> {
    let vsvip: VsVip = object.typed()?;
    let ips: Vec<String> = vsvip.reachable_addresses().into_iter().map(str::to_owned).collect();
    (!ips.is_empty()).then_some(ips)
}

/// The entries each served object should carry; `None` when its VIP has no address yet.
pub fn desired<'a>(
    intents: impl IntoIterator<Item = &'a StatusIntent>,
    vips: &Vips,
) -> BTreeMap<ObjRef, Option<BTreeSet<LbEntry>>> {
    let mut out: BTreeMap<ObjRef, Option<BTreeSet<LbEntry>>> = BTreeMap::new();
    for s in intents {
        let slot = out.entry(s.object.clone()).or_default();
        if let Some(ips) = vips.of_intent(s) {
            let set = slot.get_or_insert_with(BTreeSet::new);
            set.extend(ips.iter().map(|ip| (ip.clone(), s.hostname.clone())));
        }
    }
    out
}

/// The entries an object carries now (a Route: those of `router`), or `None` when it is not in
/// the snapshot or its kind has no load-balancer status.
pub fn current(snap: &Snapshot, target: &ObjRef, router: &str) -> Option<BTreeSet<LbEntry>> {
    struct Current<'a> {
        snap: &'a Snapshot,
        target: &'a ObjRef,
        out: Option<BTreeSet<LbEntry>>,
    }
    impl KindVisitor for Current<'_> {
        fn visit<K: InputKind>(&mut self) {
            self.out = self.snap.get::<K>(&self.target.key).and_then(K::lb_status);
        }
    }
    if target.kind == Kind::Route {
        return snap.routes.get(&target.key).map(|r| route_current(r, router));
    }
    let mut c = Current {
        snap,
        target,
        out: None,
    };
    with_kind(target.kind, &mut c);
    c.out
}

/// Ingresses, Services and Routes whose status holds one of our VIP addresses (a Route: in an
/// entry of `router`): what a previous run of ours wrote, so ours to clear when they are no
/// longer served.
pub fn ours_at_start(snap: &Snapshot, vips: &Vips, router: &str) -> BTreeSet<ObjRef> {
    let ips: BTreeSet<&String> = vips.all().collect();
    let keys = |kind: Kind, keys: &mut dyn Iterator<Item = &ako_translate::NsName>| -> Vec<ObjRef> {
        keys.map(|k| ObjRef { kind, key: k.clone() }).collect()
    };
    let mut all = keys(Kind::Ingress, &mut snap.ingresses.keys());
    all.extend(keys(Kind::Service, &mut snap.services.keys()));
    all.extend(keys(Kind::Route, &mut snap.routes.keys()));
    all.into_iter()
        .filter(|t| current(snap, t, router).is_some_and(|c| c.iter().any(|(ip, _)| ips.contains(ip))))
        .collect()
}

/// The `Admitted` entries of `router` in a Route's status: (address, host).
pub fn route_current(route: &Route, router: &str) -> BTreeSet<LbEntry> {
    route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name == router)
        .flat_map(|i| {
            i.conditions
                .iter()
                .filter(|c| c.type_ == "Admitted" && c.status == "True")
                .map(|c| (c.message.clone().unwrap_or_default(), Some(i.host.clone())))
        })
        .collect()
}

/// Why ako-rs does not serve a Route: `(host, reason, message)` of its `Admitted: False` entry.
pub type Refusal = (String, String, String);

/// The refusal of a Route that fails and is not served: its host (as written), a reason (AKO's
/// error name when the message starts with one, else `NotServed`) and the message.
pub fn route_refusal(route: &Route, message: &str) -> Refusal {
    let host = route.spec.host.clone().unwrap_or_default();
    let reason = message
        .split_once(':')
        .map(|(head, _)| head)
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("NotServed");
    (host, reason.to_owned(), message.to_owned())
}

/// Whether a Route's status already holds exactly `refusal` as our router's only entry.
pub fn route_refused(route: &Route, router: &str, refusal: &Refusal) -> bool {
    let ours: Vec<&RouteIngress> = route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name == router)
        .collect();
    let (host, reason, message) = refusal;
    matches!(ours.as_slice(), [i] if i.host == *host
        && matches!(i.conditions.as_slice(), [c] if c.type_ == "Admitted" && c.status == "False"
            && c.reason.as_deref() == Some(reason) && c.message.as_deref() == Some(message)))
}

/// The merge patch of a Route's `status` refusing it: other routers' entries as they are, ours
/// one `Admitted: False` entry with the reason.
pub fn route_refusal_patch(route: &Route, router: &str, refusal: &Refusal, now: Time) -> Value {
    let mut list: Vec<RouteIngress> = route
        .status
        .iter()
        .flat_map(|s| &s.ingress)
        .filter(|i| i.router_name != router)
        .cloned()
        .collect();
    let (host, reason, message) = refusal;
    list.push(RouteIngress {
        host: host.clone(),
        router_name: router.to_owned(),
        conditions: vec![RouteCondition {
            type_: "Admitted".to_owned(),
            status: "False".to_owned(),
            reason: Some(reason.clone()),
            message: Some(message.clone()),
            last_transition_time: Some(now),
        }],
        wildcard_policy: None,
        router_canonical_hostname: None,
    });
    json!({"status": {"ingress": list}})
}

/// The reason AKO gives an admitted Route entry: its three annotations for the host, as Go's
/// JSON writes a map (keys sorted, compact).
pub fn route_reason(controller_uuid: &str, host: &str, vs_uuid: &str, tenant: &str) -> String {
    let map: BTreeMap<&str, String> = BTreeMap::from([
        (CONTROLLER_UUID_ANNOTATION, controller_uuid.to_owned()),
        (VS_MAP_ANNOTATION, json!({host: vs_uuid}).to_string()),
        (TENANT_ANNOTATION, tenant.to_owned()),
    ]);
    serde_json::to_string(&map).unwrap_or_default()
}

/// The merge patch of a Route's `status`: other routers' entries as they are; ours (`router`)
/// one `Admitted` entry per (address, host) of `entries` (none for `None`), with the reason
/// `reasons` has for the host. An entry already there keeps its transition time.
pub fn route_status_patch(
    route: &Route,
    entries: Option<&BTreeSet<LbEntry>>,
    router: &str,
    reasons: &BTreeMap<String, String>,
    now: Time,
) -> Value {
    let existing: Vec<&RouteIngress> = route.status.iter().flat_map(|s| &s.ingress).collect();
    let mut list: Vec<RouteIngress> = existing
        .iter()
        .filter(|i| i.router_name != router)
        .map(|i| (*i).clone())
        .collect();
    for (ip, host) in entries.into_iter().flatten() {
        let host = host.clone().unwrap_or_default();
        let since = existing
            .iter()
            .filter(|i| i.router_name == router && i.host == host)
            .flat_map(|i| &i.conditions)
            .find(|c| c.type_ == "Admitted" && c.status == "True" && c.message.as_deref() == Some(ip))
            .and_then(|c| c.last_transition_time.clone());
        list.push(RouteIngress {
            conditions: vec![RouteCondition {
                type_: "Admitted".to_owned(),
                status: "True".to_owned(),
                reason: reasons.get(&host).cloned(),
                message: Some(ip.clone()),
                last_transition_time: Some(since.unwrap_or_else(|| now.clone())),
            }],
            host,
            router_name: router.to_owned(),
            wildcard_policy: None,
            router_canonical_hostname: None,
        });
    }
    if list.is_empty() {
        return json!({"status": {"ingress": null}});
    }
    json!({"status": {"ingress": list}})
}

/// The patches to send: served objects whose entries differ, and objects in `ours` no longer
/// served that still carry entries. Objects gone from the snapshot are dropped from `ours`;
/// served ones are added. With `only`, just those objects are looked at.
pub fn changes(
    snap: &Snapshot,
    want: &BTreeMap<ObjRef, Option<BTreeSet<LbEntry>>>,
    ours: &mut BTreeSet<ObjRef>,
    only: Option<&BTreeSet<ObjRef>>,
    router: &str,
) -> Vec<Change> {
    let looked_at = |t: &ObjRef| only.is_none_or(|o| o.contains(t));
    let mut out = Vec::new();
    for (target, entries) in want.iter().filter(|(t, _)| looked_at(t)) {
        ours.insert(target.clone());
        let (Some(entries), Some(now)) = (entries, current(snap, target, router)) else {
            continue;
        };
        if &now != entries {
            out.push((target.clone(), Some(entries.clone())));
        }
    }
    ours.retain(|target| {
        if want.contains_key(target) || !looked_at(target) {
            return true;
        }
        match current(snap, target, router) {
            None => false,
            Some(now) if now.is_empty() => false,
            Some(_) => {
                out.push((target.clone(), None));
                true // until the clear is seen
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use ako_translate::ModelKey;
    use k8s_openapi::api::networking::v1::Ingress;
    use serde_json::json;

    use super::*;

    fn intent(kind: Kind, name: &str, vsvip: &str, host: Option<&str>) -> StatusIntent {
        StatusIntent {
            object: ObjRef::new(kind, "ns", name),
            model: ModelKey::new("admin", vsvip),
            vsvip: vsvip.to_owned(),
            vs: vsvip.to_owned(),
            hostname: host.map(str::to_owned),
        }
    }

    fn ingress(name: &str, entries: &[(&str, &str)]) -> Ingress {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns"},
            "status": {"loadBalancer": {"ingress":
                entries.iter().map(|(ip, h)| json!({"ip": ip, "hostname": h})).collect::<Vec<_>>()}}
        }))
        .unwrap()
    }

    fn t(kind: Kind, name: &str) -> ObjRef {
        ObjRef::new(kind, "ns", name)
    }

    fn vips(name: &str) -> Vips {
        Vips::from_iter([(
            ObjectKey::new(ObjectType::VsVip, "admin", name),
            vec!["1.1.1.1".to_owned()],
        )])
    }

    #[test]
    fn hosts_of_one_ingress_merge_and_equal_status_sends_nothing() {
        let vips = vips("vs");
        let intents = [
            intent(Kind::Ingress, "a", "vs", Some("x.com")),
            intent(Kind::Ingress, "a", "vs", Some("y.com")),
            intent(Kind::Service, "s", "l4", None),
        ];
        let want = desired(&intents, &vips);
        assert_eq!(want[&t(Kind::Service, "s")], None, "no address yet");
        let mut snap = Snapshot::new();
        snap.insert(ingress("a", &[]));
        let mut ours = BTreeSet::new();
        let ch = changes(&snap, &want, &mut ours, None, "ako-c");
        assert_eq!(ch.len(), 1);
        let entries = ch[0].1.clone().unwrap();
        assert_eq!(entries.len(), 2);
        snap.insert(ingress("a", &[("1.1.1.1", "y.com"), ("1.1.1.1", "x.com")]));
        assert!(changes(&snap, &want, &mut ours, None, "ako-c").is_empty());
        assert_eq!(ours.len(), 2);
    }

    #[test]
    fn only_objects_we_served_are_cleared() {
        let mut snap = Snapshot::new();
        snap.insert(ingress("ours", &[("1.1.1.1", "x.com")]));
        snap.insert(ingress("theirs", &[("9.9.9.9", "z.com")]));
        let mut ours = ours_at_start(&snap, &vips("vs"), "ako-c");
        assert_eq!(ours, BTreeSet::from([t(Kind::Ingress, "ours")]));
        let ch = changes(&snap, &BTreeMap::new(), &mut ours, None, "ako-c");
        assert_eq!(ch, vec![(t(Kind::Ingress, "ours"), None)]);
        snap.insert(ingress("ours", &[]));
        assert!(changes(&snap, &BTreeMap::new(), &mut ours, None, "ako-c").is_empty());
        assert!(ours.is_empty());
    }

    #[test]
    fn a_vsvip_is_read_through_the_typed_object_floating_ip_first() {
        let v: VsVip = serde_json::from_value(json!({"name": "v", "vip": [
            {"vip_id": "0", "ip_address": {"addr": "10.0.0.1", "type": "V4"}, "floating_ip": {"addr": "1.2.3.4", "type": "V4"}},
            {"vip_id": "1", "ip_address": {"addr": "10.0.0.2", "type": "V4"}, "ip6_address": {"addr": "fd00::2", "type": "V6"}}
        ]}))
        .unwrap();
        assert_eq!(v.reachable_addresses(), ["1.2.3.4", "10.0.0.2", "fd00::2"]);
    }

    fn route(entries: Value) -> Route {
        serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "r.com", "to": {"kind": "Service", "name": "a"}},
            "status": {"ingress": entries}}))
        .unwrap()
    }

    #[test]
    fn a_route_status_keeps_other_routers_and_the_time_of_an_unchanged_entry() {
        let since = "2026-01-02T03:04:05Z";
        let r = route(json!([
            {"host": "r.com", "routerName": "default", "conditions": [{"type": "Admitted", "status": "True"}]},
            {"host": "r.com", "routerName": "ako-c", "conditions": [{"type": "Admitted", "status": "True",
                "message": "1.1.1.1", "lastTransitionTime": since}]},
            {"host": "old.com", "routerName": "ako-c", "conditions": [{"type": "Admitted", "status": "True",
                "message": "1.1.1.1"}]}
        ]));
        assert_eq!(
            route_current(&r, "ako-c"),
            BTreeSet::from([
                ("1.1.1.1".to_owned(), Some("r.com".to_owned())),
                ("1.1.1.1".to_owned(), Some("old.com".to_owned()))
            ])
        );
        let want = BTreeSet::from([
            ("1.1.1.1".to_owned(), Some("r.com".to_owned())),
            ("2.2.2.2".to_owned(), Some("r.com".to_owned())),
        ]);
        let reasons = BTreeMap::from([("r.com".to_owned(), route_reason("cluster-1", "r.com", "vs-1", "admin"))]);
        let now = Time(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let patch = route_status_patch(&r, Some(&want), "ako-c", &reasons, now.clone());
        let list = patch["status"]["ingress"].as_array().unwrap();
        let routers: Vec<&str> = list.iter().map(|e| e["routerName"].as_str().unwrap()).collect();
        assert_eq!(
            routers,
            ["default", "ako-c", "ako-c"],
            "the other router first, ours replaced"
        );
        let ours: Vec<(&str, &str, &str)> = list[1..]
            .iter()
            .map(|e| {
                let c = &e["conditions"][0];
                (
                    e["host"].as_str().unwrap(),
                    c["message"].as_str().unwrap(),
                    c["lastTransitionTime"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ours,
            [
                ("r.com", "1.1.1.1", since),
                ("r.com", "2.2.2.2", "2027-01-15T08:00:00Z")
            ]
        );
        assert_eq!(
            list[1]["conditions"][0]["reason"],
            r#"{"ako.vmware.com/controller-cluster-uuid":"cluster-1","ako.vmware.com/host-fqdn-vs-uuid-map":"{\"r.com\":\"vs-1\"}","ako.vmware.com/tenant-name":"admin"}"#
        );
        // Ours cleared: the other router's entry alone; nothing left: the list removed.
        let cleared = route_status_patch(&r, None, "ako-c", &reasons, now.clone());
        assert_eq!(cleared["status"]["ingress"].as_array().unwrap().len(), 1);
        let alone = route(json!([]));
        assert_eq!(
            route_status_patch(&alone, None, "ako-c", &reasons, now)["status"]["ingress"],
            Value::Null
        );
    }

    #[test]
    fn a_route_not_served_is_refused_once_with_akos_error_name() {
        let r = route(json!([{"host": "r.com", "routerName": "default"}]));
        let refusal = route_refusal(&r, "MultipleBackendsWithSameServiceError: Service \"a\" is named twice");
        assert_eq!(refusal.0, "r.com");
        assert_eq!(refusal.1, "MultipleBackendsWithSameServiceError");
        assert_eq!(
            route_refusal(&r, "host \"x\" is not under any DNS sub-domain").1,
            "NotServed"
        );
        assert!(!route_refused(&r, "ako-c", &refusal));
        let now = Time(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let patch = route_refusal_patch(&r, "ako-c", &refusal, now);
        let refused: Route = serde_json::from_value(json!({"metadata": {"name": "r", "namespace": "ns"},
            "spec": {"host": "r.com", "to": {"kind": "Service", "name": "a"}}, "status": patch["status"]}))
        .unwrap();
        assert!(
            route_refused(&refused, "ako-c", &refusal),
            "written once: then nothing to do"
        );
        assert_eq!(
            refused.status.unwrap().ingress[0].router_name,
            "default",
            "the other router kept"
        );
    }
}
