//! The reverse-dependency index: which translation [`Unit`]s a change to one Kubernetes object
//! touches. Ingresses are indexed by the Services and Secrets they name and (for
//! `fqdnReusePolicy: Strict`) by their hosts; EndpointSlices by their Service; each Ingress
//! and Service remembers the units it fed last, so a change touches the units of the object
//! before *and* after it.
//!
//! | change        | units touched                                                         |
//! |---------------|-----------------------------------------------------------------------|
//! | Ingress       | its units, before and after (Strict: and of every Ingress sharing a host, transitively) |
//! | Service       | its own/shared-VIP units, before and after; units of the Ingresses naming it |
//! | EndpointSlice | as a change of its Service (the one before and the one after)        |
//! | Secret        | units of the Ingresses naming it in `spec.tls`                        |
//! | Pod           | as a change of every Service of its namespace (NodePortLocal)         |
//! | Node          | every unit in NodePort mode (members are node addresses), else none   |
//! | IngressClass  | every Ingress's units                                                 |
//! | Namespace     | as a change of each of its Ingresses and Services (filters, tenant)   |
//!
//! The caller applies the change to the snapshot first, then asks [`Deps::changed`].

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::networking::v1::Ingress;

use crate::model::CloudFacts;
use crate::settings::{FqdnReusePolicy, ServiceType, Settings};
use crate::snapshot::{NsName, Snapshot, service_of};
use crate::units::{Unit, units_of_ingress, units_of_service};

/// One object that changed (added, updated or deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    /// An Ingress.
    Ingress(&'a NsName),
    /// A Service.
    Service(&'a NsName),
    /// An EndpointSlice.
    EndpointSlice(&'a NsName),
    /// A Secret.
    Secret(&'a NsName),
    /// A Pod.
    Pod(&'a NsName),
    /// A Node.
    Node,
    /// An IngressClass.
    IngressClass,
    /// A Namespace, by name.
    Namespace(&'a str),
}

/// What one Ingress refers to, as last indexed.
#[derive(Clone, Debug, Default)]
struct IngressRefs {
    units: BTreeSet<Unit>,
    services: BTreeSet<NsName>,
    secrets: BTreeSet<NsName>,
    /// The hosts as written (empty for a rule without host): what Strict claims.
    hosts: BTreeSet<String>,
}

/// The index.
#[derive(Debug, Default)]
pub struct Deps {
    ingresses: HashMap<NsName, IngressRefs>,
    by_service: HashMap<NsName, BTreeSet<NsName>>,
    by_secret: HashMap<NsName, BTreeSet<NsName>>,
    by_host: HashMap<String, BTreeSet<NsName>>,
    /// The Ingresses feeding each L7 unit: the candidates its translation reads.
    by_unit: HashMap<Unit, BTreeSet<NsName>>,
    /// The units each Service fed last.
    services: HashMap<NsName, BTreeSet<Unit>>,
    /// The Service of each EndpointSlice, as last seen.
    slices: HashMap<NsName, NsName>,
}

impl Deps {
    /// Index a whole snapshot.
    pub fn build(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Deps {
        let mut deps = Deps::default();
        for key in snap.ingresses.keys() {
            deps.reindex_ingress(snap, settings, cloud, key);
        }
        for key in snap.services.keys() {
            deps.services.insert(key.clone(), units_of_service(snap, key));
        }
        for (key, slice) in snap.endpoint_slices() {
            if let Some(svc) = service_of(slice) {
                deps.slices.insert(key.clone(), (key.0.clone(), svc.to_owned()));
            }
        }
        deps
    }

    /// Every unit of the snapshot as indexed.
    pub fn all_units(&self) -> BTreeSet<Unit> {
        let ingress = self.ingresses.values().flat_map(|r| r.units.iter());
        let service = self.services.values().flatten();
        ingress.chain(service).cloned().collect()
    }

    /// The Ingresses feeding an L7 unit (what its translation needs to read).
    pub fn candidates(&self, unit: &Unit) -> Option<&BTreeSet<NsName>> {
        self.by_unit.get(unit)
    }

    /// Whether some Ingress names this Secret in `spec.tls`.
    pub fn secret_referenced(&self, key: &NsName) -> bool {
        self.by_secret.get(key).is_some_and(|s| !s.is_empty())
    }

    /// The Secrets some Ingress names in `spec.tls`.
    pub fn referenced_secrets(&self) -> impl Iterator<Item = &NsName> {
        self.by_secret.iter().filter(|(_, s)| !s.is_empty()).map(|(k, _)| k)
    }

    /// The units touched by `change` (already applied to `snap`); the index follows it.
    pub fn changed(
        &mut self,
        snap: &Snapshot,
        settings: &Settings,
        cloud: &CloudFacts,
        change: Change<'_>,
    ) -> BTreeSet<Unit> {
        let mut out = BTreeSet::new();
        match change {
            Change::Ingress(key) => self.ingress_changed(snap, settings, cloud, key, &mut out),
            Change::Service(key) => self.service_changed(snap, key, &mut out),
            Change::EndpointSlice(key) => {
                let before = self.slices.remove(key);
                let after = snap
                    .endpoint_slices()
                    .get(key)
                    .and_then(service_of)
                    .map(|svc| (key.0.clone(), svc.to_owned()));
                if let Some(svc) = &after {
                    self.slices.insert(key.clone(), svc.clone());
                }
                for svc in before.iter().chain(after.iter()) {
                    self.service_used(svc, &mut out);
                }
            }
            Change::Secret(key) => {
                for ing in self.by_secret.get(key).into_iter().flatten() {
                    out.extend(
                        self.ingresses
                            .get(ing)
                            .into_iter()
                            .flat_map(|r| r.units.iter().cloned()),
                    );
                }
            }
            Change::Pod(key) => {
                let in_ns: Vec<NsName> = snap
                    .services
                    .range((key.0.clone(), String::new())..)
                    .take_while(|((ns, _), _)| *ns == key.0)
                    .map(|(k, _)| k.clone())
                    .collect();
                for svc in &in_ns {
                    self.service_used(svc, &mut out);
                }
            }
            Change::Node => {
                if settings.service_type == ServiceType::NodePort {
                    out = self.all_units();
                }
            }
            Change::IngressClass => {
                out.extend(self.ingresses.values().flat_map(|r| r.units.iter().cloned()));
            }
            Change::Namespace(ns) => {
                let mine = |k: &&NsName| k.0 == ns;
                let ingresses: Vec<NsName> = self.ingresses.keys().filter(mine).cloned().collect();
                let services: Vec<NsName> = self.services.keys().filter(mine).cloned().collect();
                for key in &ingresses {
                    self.ingress_changed(snap, settings, cloud, key, &mut out);
                }
                for key in &services {
                    self.service_changed(snap, key, &mut out);
                }
            }
        }
        out
    }

    fn ingress_changed(
        &mut self,
        snap: &Snapshot,
        settings: &Settings,
        cloud: &CloudFacts,
        key: &NsName,
        out: &mut BTreeSet<Unit>,
    ) {
        let before = self.unindex_ingress(key);
        let after = self.reindex_ingress(snap, settings, cloud, key);
        out.extend(before.units.iter().cloned());
        out.extend(after.units.iter().cloned());
        if settings.fqdn_reuse_policy == FqdnReusePolicy::Strict {
            // Whether an Ingress may claim its hosts depends on the Ingresses claiming them
            // before it, and so on: every Ingress reachable through shared hosts.
            let mut hosts: Vec<String> = before.hosts.union(&after.hosts).cloned().collect();
            let mut seen_hosts: BTreeSet<String> = hosts.iter().cloned().collect();
            let mut seen: BTreeSet<NsName> = BTreeSet::from([key.clone()]);
            while let Some(host) = hosts.pop() {
                for ing in self.by_host.get(&host).into_iter().flatten() {
                    if !seen.insert(ing.clone()) {
                        continue;
                    }
                    let Some(refs) = self.ingresses.get(ing) else { continue };
                    out.extend(refs.units.iter().cloned());
                    for h in &refs.hosts {
                        if seen_hosts.insert(h.clone()) {
                            hosts.push(h.clone());
                        }
                    }
                }
            }
        }
    }

    fn service_changed(&mut self, snap: &Snapshot, key: &NsName, out: &mut BTreeSet<Unit>) {
        let after = units_of_service(snap, key);
        let before = if after.is_empty() {
            self.services.remove(key)
        } else {
            self.services.insert(key.clone(), after.clone())
        };
        out.extend(before.into_iter().flatten());
        out.extend(after);
        self.service_used(key, out);
    }

    /// The units reading this Service: the Ingresses naming it, and its own.
    fn service_used(&self, key: &NsName, out: &mut BTreeSet<Unit>) {
        for ing in self.by_service.get(key).into_iter().flatten() {
            out.extend(
                self.ingresses
                    .get(ing)
                    .into_iter()
                    .flat_map(|r| r.units.iter().cloned()),
            );
        }
        out.extend(self.services.get(key).into_iter().flatten().cloned());
    }

    fn unindex_ingress(&mut self, key: &NsName) -> IngressRefs {
        let Some(refs) = self.ingresses.remove(key) else {
            return IngressRefs::default();
        };
        let lists = [
            (&mut self.by_service, &refs.services),
            (&mut self.by_secret, &refs.secrets),
        ];
        for (map, keys) in lists {
            for k in keys {
                remove_from(map, k, key);
            }
        }
        for h in &refs.hosts {
            remove_from(&mut self.by_host, h, key);
        }
        for u in &refs.units {
            remove_from(&mut self.by_unit, u, key);
        }
        refs
    }

    fn reindex_ingress(
        &mut self,
        snap: &Snapshot,
        settings: &Settings,
        cloud: &CloudFacts,
        key: &NsName,
    ) -> IngressRefs {
        let Some(ing) = snap.ingresses.get(key) else {
            return IngressRefs::default();
        };
        let refs = IngressRefs {
            units: units_of_ingress(snap, settings, cloud, key),
            ..references(&key.0, ing)
        };
        for s in &refs.services {
            self.by_service.entry(s.clone()).or_default().insert(key.clone());
        }
        for s in &refs.secrets {
            self.by_secret.entry(s.clone()).or_default().insert(key.clone());
        }
        for h in &refs.hosts {
            self.by_host.entry(h.clone()).or_default().insert(key.clone());
        }
        for u in &refs.units {
            self.by_unit.entry(u.clone()).or_default().insert(key.clone());
        }
        self.ingresses.insert(key.clone(), refs.clone());
        refs
    }
}

/// The Services (rule backends), TLS Secrets and hosts an Ingress names.
fn references(ns: &str, ing: &Ingress) -> IngressRefs {
    let mut refs = IngressRefs::default();
    let Some(spec) = ing.spec.as_ref() else {
        return refs;
    };
    for rule in spec.rules.iter().flatten() {
        refs.hosts.insert(rule.host.clone().unwrap_or_default());
        for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
            if let Some(svc) = &path.backend.service {
                refs.services.insert((ns.to_owned(), svc.name.clone()));
            }
        }
    }
    for tls in spec.tls.iter().flatten() {
        if let Some(secret) = &tls.secret_name {
            refs.secrets.insert((ns.to_owned(), secret.clone()));
        }
    }
    refs
}

fn remove_from<K: std::hash::Hash + Eq + Clone, V: Ord>(map: &mut HashMap<K, BTreeSet<V>>, key: &K, value: &V) {
    if let Some(set) = map.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            map.remove(key);
        }
    }
}
