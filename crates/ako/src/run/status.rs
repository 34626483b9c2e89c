//! Status write-back: `status.loadBalancer.ingress` of the Ingresses and Services we serve,
//! from the addresses of their VsVips as the controller returned them.
//!
//! * Ingress: one `{ip, hostname}` per address and host (all hosts of one Ingress merged).
//! * Service: `{ip}` per address, with the hostname (the first FQDN) when there is one.
//!
//! A patch is sent only when the entries differ from what the object carries. An object we
//! wrote status to (in this process, or whose status holds one of our VIPs when we started) and
//! that translation no longer serves gets its entries removed. Objects we never served are not
//! touched: another controller may own their status.

use std::collections::{BTreeMap, BTreeSet};

use ako_sync::{ObjectKey, Observed};
use ako_translate::{Snapshot, StatusIntent};
use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

/// The field manager of status patches.
pub const FIELD_MANAGER: &str = "ako-rs";

/// An Ingress or a Service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// `Ingress` or `Service`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// `(ip, hostname)`: one element of `status.loadBalancer.ingress`.
pub type Entry = (String, Option<String>);

/// What to do to one object's status: `Some(entries)` to set, `None` to clear.
pub type Change = (Target, Option<BTreeSet<Entry>>);

/// The addresses of every VsVip we own, by `(tenant, name)`: see [`vip_of`].
pub fn vip_addresses(observed: &Observed) -> BTreeMap<(String, String), Vec<String>> {
    observed
        .iter()
        .filter(|(key, _)| key.kind == ObjectType::VsVip)
        .filter_map(|(key, object)| {
            let ips = addresses(&object.body());
            (!ips.is_empty()).then(|| ((key.tenant.clone(), key.name.clone()), ips))
        })
        .collect()
}

/// The addresses of one VsVip as observed, if it exists and has any.
pub fn vip_of(observed: &Observed, tenant: &str, name: &str) -> Option<Vec<String>> {
    let object = observed.get(&ObjectKey::new(ObjectType::VsVip, tenant, name))?;
    let ips = addresses(&object.body());
    (!ips.is_empty()).then_some(ips)
}

/// The floating IP of each VIP when it has one, else its IPv4 and IPv6 addresses.
fn addresses(body: &Value) -> Vec<String> {
    let mut ips = Vec::new();
    for vip in body.get("vip").and_then(Value::as_array).into_iter().flatten() {
        let addr = |field: &str| vip.pointer(&format!("/{field}/addr")).and_then(Value::as_str);
        if let Some(fip) = addr("floating_ip") {
            ips.push(fip.to_owned());
            continue;
        }
        ips.extend(addr("ip_address").map(str::to_owned));
        ips.extend(addr("ip6_address").map(str::to_owned));
    }
    ips
}

/// The entries each served object should carry; `None` when its VIP has no address yet.
pub fn desired<'a>(
    intents: impl IntoIterator<Item = &'a StatusIntent>,
    vips: &BTreeMap<(String, String), Vec<String>>,
) -> BTreeMap<Target, Option<BTreeSet<Entry>>> {
    let mut out: BTreeMap<Target, Option<BTreeSet<Entry>>> = BTreeMap::new();
    for s in intents {
        let target = Target {
            kind: s.kind.clone(),
            namespace: s.namespace.clone(),
            name: s.name.clone(),
        };
        let slot = out.entry(target).or_default();
        if let Some(ips) = vips.get(&(s.tenant.clone(), s.vsvip_name.clone())) {
            let set = slot.get_or_insert_with(BTreeSet::new);
            set.extend(ips.iter().map(|ip| (ip.clone(), s.hostname.clone())));
        }
    }
    out
}

/// An object whose status has `loadBalancer.ingress[]`: Ingresses and Services.
pub trait LoadBalanced {
    /// The entries with an IP (the only kind we write).
    fn entries(&self) -> BTreeSet<Entry>;
}

macro_rules! load_balanced {
    ($ty:ty) => {
        impl LoadBalanced for $ty {
            fn entries(&self) -> BTreeSet<Entry> {
                let list = self
                    .status
                    .as_ref()
                    .and_then(|s| s.load_balancer.as_ref()?.ingress.as_ref());
                list.into_iter()
                    .flatten()
                    .filter_map(|e| Some((e.ip.clone()?, e.hostname.clone())))
                    .collect()
            }
        }
    };
}

load_balanced!(Ingress);
load_balanced!(Service);

/// The entries an object carries now, or `None` when it is not in the snapshot.
pub fn current(snap: &Snapshot, target: &Target) -> Option<BTreeSet<Entry>> {
    let key = (target.namespace.clone(), target.name.clone());
    match target.kind.as_str() {
        "Ingress" => snap.ingresses.get(&key).map(LoadBalanced::entries),
        "Service" => snap.services.get(&key).map(LoadBalanced::entries),
        _ => None,
    }
}

/// Ingresses and Services whose status holds one of our VIP addresses: what a previous run of
/// ours wrote, so ours to clear when they are no longer served.
pub fn ours_at_start(snap: &Snapshot, vips: &BTreeMap<(String, String), Vec<String>>) -> BTreeSet<Target> {
    let ips: BTreeSet<&String> = vips.values().flatten().collect();
    let ingresses = snap.ingresses.keys().map(|k| ("Ingress", k));
    let services = snap.services.keys().map(|k| ("Service", k));
    ingresses
        .chain(services)
        .map(|(kind, (ns, name))| Target {
            kind: kind.to_owned(),
            namespace: ns.clone(),
            name: name.clone(),
        })
        .filter(|t| current(snap, t).is_some_and(|c| c.iter().any(|(ip, _)| ips.contains(ip))))
        .collect()
}

/// The patches to send: served objects whose entries differ, and objects in `ours` no longer
/// served that still carry entries. Objects gone from the snapshot are dropped from `ours`;
/// served ones are added. With `only`, just those objects are looked at.
pub fn changes(
    snap: &Snapshot,
    want: &BTreeMap<Target, Option<BTreeSet<Entry>>>,
    ours: &mut BTreeSet<Target>,
    only: Option<&BTreeSet<Target>>,
) -> Vec<Change> {
    let looked_at = |t: &Target| only.is_none_or(|o| o.contains(t));
    let mut out = Vec::new();
    for (target, entries) in want.iter().filter(|(t, _)| looked_at(t)) {
        ours.insert(target.clone());
        let (Some(entries), Some(now)) = (entries, current(snap, target)) else {
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
        match current(snap, target) {
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

/// Send one change through the status subresource. A 404 (the object went) is not an error.
pub async fn patch(client: &Client, (target, entries): &Change) -> Result<(), kube::Error> {
    let list: Value = match entries {
        None => Value::Null,
        Some(entries) => entries
            .iter()
            .map(|(ip, host)| match host {
                Some(h) => json!({"ip": ip, "hostname": h}),
                None => json!({"ip": ip}),
            })
            .collect(),
    };
    let body = json!({"status": {"loadBalancer": {"ingress": list}}});
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    };
    let result = match target.kind.as_str() {
        "Ingress" => Api::<Ingress>::namespaced(client.clone(), &target.namespace)
            .patch_status(&target.name, &params, &Patch::Merge(&body))
            .await
            .map(drop),
        _ => Api::<Service>::namespaced(client.clone(), &target.namespace)
            .patch_status(&target.name, &params, &Patch::Merge(&body))
            .await
            .map(drop),
    };
    match result {
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(kind: &str, name: &str, vsvip: &str, host: Option<&str>) -> StatusIntent {
        StatusIntent {
            kind: kind.to_owned(),
            namespace: "ns".to_owned(),
            name: name.to_owned(),
            tenant: "admin".to_owned(),
            vs_name: vsvip.to_owned(),
            vsvip_name: vsvip.to_owned(),
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

    fn t(kind: &str, name: &str) -> Target {
        Target {
            kind: kind.to_owned(),
            namespace: "ns".to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn hosts_of_one_ingress_merge_and_equal_status_sends_nothing() {
        let vips = BTreeMap::from([(("admin".to_owned(), "vs".to_owned()), vec!["1.1.1.1".to_owned()])]);
        let intents = [
            intent("Ingress", "a", "vs", Some("x.com")),
            intent("Ingress", "a", "vs", Some("y.com")),
            intent("Service", "s", "l4", None),
        ];
        let want = desired(&intents, &vips);
        assert_eq!(want[&t("Service", "s")], None, "no address yet");
        let mut snap = Snapshot::new();
        snap.insert_ingress(ingress("a", &[]));
        let mut ours = BTreeSet::new();
        let ch = changes(&snap, &want, &mut ours, None);
        assert_eq!(ch.len(), 1);
        let entries = ch[0].1.clone().unwrap();
        assert_eq!(entries.len(), 2);
        snap.insert_ingress(ingress("a", &[("1.1.1.1", "y.com"), ("1.1.1.1", "x.com")]));
        assert!(changes(&snap, &want, &mut ours, None).is_empty());
        assert_eq!(ours.len(), 2);
    }

    #[test]
    fn only_objects_we_served_are_cleared() {
        let mut snap = Snapshot::new();
        snap.insert_ingress(ingress("ours", &[("1.1.1.1", "x.com")]));
        snap.insert_ingress(ingress("theirs", &[("9.9.9.9", "z.com")]));
        let vips = BTreeMap::from([(("admin".to_owned(), "vs".to_owned()), vec!["1.1.1.1".to_owned()])]);
        let mut ours = ours_at_start(&snap, &vips);
        assert_eq!(ours, BTreeSet::from([t("Ingress", "ours")]));
        let ch = changes(&snap, &BTreeMap::new(), &mut ours, None);
        assert_eq!(ch, vec![(t("Ingress", "ours"), None)]);
        snap.insert_ingress(ingress("ours", &[]));
        assert!(changes(&snap, &BTreeMap::new(), &mut ours, None).is_empty());
        assert!(ours.is_empty());
    }
}
