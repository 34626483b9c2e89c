//! Status write-back: `status.loadBalancer.ingress` of the Ingresses and Services we serve,
//! from the addresses of their VsVips as the controller returned them.
//!
//! * Ingress: one `{ip, hostname}` per address and host (all hosts of one Ingress merged).
//! * Service: `{ip}` per address, with the hostname (the first FQDN) when there is one.
//!
//! * Route (OpenShift): `status.ingress[]` entries of our router (see [`crate::route_status`]).
//!
//! A patch is sent only when the entries differ from what the object carries. An object we
//! wrote status to (in this process, or whose status holds one of our VIPs when we started) and
//! that translation no longer serves gets its entries removed. Objects we never served are not
//! touched: another controller may own their status.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::{ObjectKey, Observed};
use ako_translate::kinds::{InputKind, KindVisitor, LbEntry, with_kind};
use ako_translate::{Kind, ObjRef, Snapshot, StatusIntent};
use avi_model::ObjectType;
use avi_model::objects::VsVip;

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

    /// The addresses of VsVip `name` of `tenant`, when it has any.
    pub fn get(&self, tenant: &str, name: &str) -> Option<&Vec<String>> {
        self.0.get(&ObjectKey::new(ObjectType::VsVip, tenant, name))
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
        return snap
            .routes
            .get(&target.key)
            .map(|r| crate::route_status::route_current(r, router));
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
    let of = |kind: Kind| move |key: &ako_translate::NsName| ObjRef { kind, key: key.clone() };
    snap.ingresses
        .keys()
        .map(of(Kind::Ingress))
        .chain(snap.services().keys().map(of(Kind::Service)))
        .chain(snap.routes.keys().map(of(Kind::Route)))
        // A Route we refused holds an entry without address.
        .filter(|t| {
            current(snap, t, router).is_some_and(|c| {
                c.iter()
                    .any(|(ip, _)| ips.contains(ip) || (t.kind == Kind::Route && ip.is_empty()))
            })
        })
        .collect()
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
}
