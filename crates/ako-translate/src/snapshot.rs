//! The cluster objects translation reads, as plain data in ordered maps: one [`Store`] per kind
//! ([`crate::kinds`]), keyed by [`NsName`], so iteration is deterministic whatever order the
//! objects arrived in.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use crate::crds::{AviInfraSetting, FqdnType, HostRule, HttpRule, L4Rule, L7Rule, SsoRule};
use crate::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use crate::key::NsName;
use crate::kinds::{BlockAffinity, CiliumNode, HostSubnet, InputKind, Store};
use crate::l4::shared_vip_key;
use crate::openshift::Route;

/// The label linking an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Everything translation may look at.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Services; private so the shared-VIP index stays right.
    services: Store<Service>,
    /// LoadBalancer Services by (namespace, shared-VIP key): a Service's group is found without
    /// scanning its namespace (2,000 LoadBalancer Services among 12,000: 24 million checks a
    /// full pass otherwise).
    shared_vips: BTreeMap<NsName, BTreeSet<String>>,
    /// EndpointSlices; private so the per-Service index stays right.
    endpoint_slices: Store<EndpointSlice>,
    /// Nodes (cluster-scoped).
    pub nodes: Store<Node>,
    /// Namespaces (cluster-scoped).
    pub namespaces: Store<Namespace>,
    /// Pods (for NodePortLocal).
    pub pods: Store<Pod>,
    /// Ingresses.
    pub ingresses: Store<Ingress>,
    /// IngressClasses (cluster-scoped).
    pub ingress_classes: Store<IngressClass>,
    /// Secrets (only those Ingresses refer to need to be here).
    pub secrets: Store<Secret>,
    /// Slice names by Service, kept by [`Snapshot::insert_endpoint_slice`] and
    /// [`Snapshot::remove_endpoint_slice`] so a Service's slices are found without a scan.
    slices_by_service: BTreeMap<NsName, BTreeSet<String>>,
    /// HostRules; private so the per-FQDN index stays right.
    host_rules: Store<HostRule>,
    /// HostRules by `spec.virtualhost.fqdn`, as written.
    host_rules_by_fqdn: BTreeMap<String, BTreeSet<NsName>>,
    /// HostRules whose FQDN is a pattern (`Wildcard`, `Contains`): few, looked at for every host.
    pattern_host_rules: BTreeSet<NsName>,
    /// HTTPRules; private so the per-FQDN index stays right.
    http_rules: Store<HttpRule>,
    /// HTTPRules by `spec.fqdn`.
    http_rules_by_fqdn: BTreeMap<String, BTreeSet<NsName>>,
    /// AviInfraSettings (cluster-scoped).
    pub infra_settings: Store<AviInfraSetting>,
    /// L4Rules.
    pub l4_rules: Store<L4Rule>,
    /// L7Rules.
    pub l7_rules: Store<L7Rule>,
    /// SSORules.
    pub sso_rules: Store<SsoRule>,
    /// Calico's BlockAffinities (cluster-scoped; `cniPlugin: calico`).
    pub block_affinities: Store<BlockAffinity>,
    /// OpenShift SDN's HostSubnets (cluster-scoped; `cniPlugin: openshift`).
    pub host_subnets: Store<HostSubnet>,
    /// Cilium's CiliumNodes (cluster-scoped; `cniPlugin: cilium`).
    pub cilium_nodes: Store<CiliumNode>,
    /// OpenShift Routes.
    pub routes: Store<Route>,
    /// Gateway API GatewayClasses (cluster-scoped).
    pub gateway_classes: Store<GatewayClass>,
    /// Gateway API Gateways.
    pub gateways: Store<Gateway>,
    /// Gateway API HTTPRoutes.
    pub http_routes: Store<HttpRoute>,
    /// Gateway API ReferenceGrants.
    pub reference_grants: Store<ReferenceGrant>,
}

/// The key of an object of kind `K`: a namespaced object without a namespace is in `default`
/// (as `kubectl apply` would put it), a cluster-scoped one has none.
pub fn key_of<K: InputKind>(object: &K) -> NsName {
    let meta = object.meta();
    let namespace = if K::NAMESPACED {
        meta.namespace.clone().unwrap_or_else(|| "default".to_owned())
    } else {
        String::new()
    };
    NsName::new(namespace, meta.name.clone().unwrap_or_default())
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Snapshot::default()
    }

    /// Add or replace an object of any kind, [normalized](InputKind::normalize).
    pub fn insert<K: InputKind>(&mut self, mut object: K) {
        object.normalize();
        let key = key_of(&object);
        K::insert(self, key, object);
    }

    /// [`Snapshot::insert`], by value.
    pub fn with<K: InputKind>(mut self, object: K) -> Self {
        self.insert(object);
        self
    }

    /// Remove an object of kind `K`.
    pub fn remove<K: InputKind>(&mut self, key: &NsName) -> Option<K> {
        K::remove(self, key)
    }

    /// The object of kind `K` named `key`.
    pub fn get<K: InputKind>(&self, key: &NsName) -> Option<&K> {
        K::store(self).get(key)
    }

    /// The Service `ns/name`.
    pub fn service(&self, ns: &str, name: &str) -> Option<&Service> {
        self.services.get(&NsName::new(ns, name))
    }

    /// Services.
    pub fn services(&self) -> &Store<Service> {
        &self.services
    }

    /// Add or replace a Service, keeping the shared-VIP index.
    pub(crate) fn insert_service(&mut self, key: NsName, svc: Service) {
        self.remove_service(&key);
        if let Some(group) = shared_vip_key(&svc) {
            self.shared_vips
                .entry(NsName::new(&key.namespace, group))
                .or_default()
                .insert(key.name.clone());
        }
        self.services.insert(key, svc);
    }

    /// Remove a Service, keeping the shared-VIP index.
    pub(crate) fn remove_service(&mut self, key: &NsName) -> Option<Service> {
        let old = self.services.remove(key)?;
        if let Some(group) = shared_vip_key(&old) {
            let group = NsName::new(&key.namespace, group);
            if let Some(names) = self.shared_vips.get_mut(&group) {
                names.remove(&key.name);
                if names.is_empty() {
                    self.shared_vips.remove(&group);
                }
            }
        }
        Some(old)
    }

    /// The LoadBalancer Services of namespace `ns` carrying shared-VIP key `key`, by name.
    pub fn shared_vip_group<'a>(&'a self, ns: &str, key: &str) -> impl Iterator<Item = (&'a str, &'a Service)> + 'a {
        let group = NsName::new(ns, key);
        let namespace = group.namespace.clone();
        self.shared_vips
            .get(&group)
            .into_iter()
            .flatten()
            .filter_map(move |name| {
                let (k, svc) = self.services.get_key_value(&NsName::new(&namespace, name))?;
                Some((k.name.as_str(), svc))
            })
    }

    /// The Namespace `name`.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(&NsName::cluster(name))
    }

    /// The IngressClass `name`.
    pub fn ingress_class(&self, name: &str) -> Option<&IngressClass> {
        self.ingress_classes.get(&NsName::cluster(name))
    }

    /// Add or replace an EndpointSlice, keeping the per-Service index.
    pub fn insert_endpoint_slice(&mut self, slice: EndpointSlice) {
        let key = key_of(&slice);
        self.remove_endpoint_slice(&key);
        if let Some(svc) = service_of(&slice) {
            self.slices_by_service
                .entry(NsName::new(&key.namespace, svc))
                .or_default()
                .insert(key.name.clone());
        }
        self.endpoint_slices.insert(key, slice);
    }

    /// EndpointSlices.
    pub fn endpoint_slices(&self) -> &Store<EndpointSlice> {
        &self.endpoint_slices
    }

    /// Remove an EndpointSlice, keeping the per-Service index.
    pub fn remove_endpoint_slice(&mut self, key: &NsName) -> Option<EndpointSlice> {
        let old = self.endpoint_slices.remove(key)?;
        if let Some(svc) = service_of(&old) {
            let service = NsName::new(&key.namespace, svc);
            if let Some(names) = self.slices_by_service.get_mut(&service) {
                names.remove(&key.name);
                if names.is_empty() {
                    self.slices_by_service.remove(&service);
                }
            }
        }
        Some(old)
    }

    /// The EndpointSlices of Service `ns/name` (label `kubernetes.io/service-name`), in slice-name order.
    pub fn slices_for_service<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        self.slices_by_service
            .get(&NsName::new(ns, name))
            .into_iter()
            .flatten()
            .filter_map(move |slice| self.endpoint_slices.get(&NsName::new(ns, slice.as_str())))
    }
}

impl Snapshot {
    /// HostRules.
    pub fn host_rules(&self) -> &Store<HostRule> {
        &self.host_rules
    }

    /// Add or replace a HostRule, keeping the per-FQDN index.
    pub fn insert_host_rule(&mut self, key: NsName, rule: HostRule) {
        self.remove_host_rule(&key);
        index_add(&mut self.host_rules_by_fqdn, &rule.spec.virtualhost.fqdn, &key);
        if rule.spec.virtualhost.fqdn_type.unwrap_or_default() != FqdnType::Exact {
            self.pattern_host_rules.insert(key.clone());
        }
        self.host_rules.insert(key, rule);
    }

    /// Remove a HostRule, keeping the per-FQDN index.
    pub fn remove_host_rule(&mut self, key: &NsName) -> Option<HostRule> {
        let old = self.host_rules.remove(key)?;
        index_remove(&mut self.host_rules_by_fqdn, &old.spec.virtualhost.fqdn, key);
        self.pattern_host_rules.remove(key);
        Some(old)
    }

    /// The HostRules whose `fqdn` is exactly `fqdn` (whatever their FQDN type), in key order.
    pub fn host_rules_claiming<'a>(&'a self, fqdn: &str) -> impl Iterator<Item = (&'a NsName, &'a HostRule)> + 'a {
        indexed(&self.host_rules_by_fqdn, &self.host_rules, fqdn)
    }

    /// The HostRules whose FQDN is a pattern (`Wildcard`, `Contains`), in key order.
    pub fn pattern_host_rules(&self) -> impl Iterator<Item = (&NsName, &HostRule)> {
        self.pattern_host_rules
            .iter()
            .filter_map(|k| self.host_rules.get_key_value(k))
    }

    /// HTTPRules.
    pub fn http_rules(&self) -> &Store<HttpRule> {
        &self.http_rules
    }

    /// Add or replace an HTTPRule, keeping the per-FQDN index.
    pub fn insert_http_rule(&mut self, key: NsName, rule: HttpRule) {
        self.remove_http_rule(&key);
        index_add(&mut self.http_rules_by_fqdn, &rule.spec.fqdn, &key);
        self.http_rules.insert(key, rule);
    }

    /// Remove an HTTPRule, keeping the per-FQDN index.
    pub fn remove_http_rule(&mut self, key: &NsName) -> Option<HttpRule> {
        let old = self.http_rules.remove(key)?;
        index_remove(&mut self.http_rules_by_fqdn, &old.spec.fqdn, key);
        Some(old)
    }

    /// The HTTPRules of host `fqdn`, in key order.
    pub fn http_rules_of<'a>(&'a self, fqdn: &str) -> impl Iterator<Item = (&'a NsName, &'a HttpRule)> + 'a {
        indexed(&self.http_rules_by_fqdn, &self.http_rules, fqdn)
    }
}

fn index_add(index: &mut BTreeMap<String, BTreeSet<NsName>>, fqdn: &str, key: &NsName) {
    index.entry(fqdn.to_owned()).or_default().insert(key.clone());
}

fn index_remove(index: &mut BTreeMap<String, BTreeSet<NsName>>, fqdn: &str, key: &NsName) {
    if let Some(keys) = index.get_mut(fqdn) {
        keys.remove(key);
        if keys.is_empty() {
            index.remove(fqdn);
        }
    }
}

fn indexed<'a, T>(
    index: &'a BTreeMap<String, BTreeSet<NsName>>,
    store: &'a Store<T>,
    fqdn: &str,
) -> impl Iterator<Item = (&'a NsName, &'a T)> + 'a {
    index
        .get(fqdn)
        .into_iter()
        .flatten()
        .filter_map(|k| store.get_key_value(k))
}

pub(crate) fn service_of(slice: &EndpointSlice) -> Option<&str> {
    slice
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(SERVICE_NAME_LABEL))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(name: &str, group: Option<&str>) -> Service {
        let annotations = group.map(|g| format!("annotations: {{{}: {g}}}", crate::l4::SHARED_VIP_ANNOTATION));
        serde_saphyr::from_str(&format!(
            "metadata: {{name: {name}, namespace: shop, {}}}\nspec: {{type: LoadBalancer}}\n",
            annotations.unwrap_or_default()
        ))
        .unwrap()
    }

    fn group(snap: &Snapshot, key: &str) -> Vec<String> {
        snap.shared_vip_group("shop", key).map(|(n, _)| n.to_owned()).collect()
    }

    #[test]
    fn the_shared_vip_index_follows_inserts_changes_and_removals() {
        let mut snap = Snapshot::new();
        snap.insert(lb("a", Some("g1")));
        snap.insert(lb("b", Some("g1")));
        snap.insert(lb("c", None));
        assert_eq!(group(&snap, "g1"), ["a", "b"]);
        // A Service moved to another group leaves its old one.
        snap.insert(lb("b", Some("g2")));
        assert_eq!(group(&snap, "g1"), ["a"]);
        assert_eq!(group(&snap, "g2"), ["b"]);
        snap.remove::<Service>(&NsName::new("shop", "a"));
        assert!(group(&snap, "g1").is_empty());
        assert!(
            !snap.shared_vips.contains_key(&NsName::new("shop", "g1")),
            "empty groups are dropped"
        );
        assert!(group(&snap, "c").is_empty());
    }
}
