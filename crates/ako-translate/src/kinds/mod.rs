//! The Kubernetes kinds translation reads, each declared once, in its own module: where its
//! objects live in the [`Snapshot`], what of an object translation reads (two versions that
//! agree there translate the same), what a change of one touches in the dependency index
//! ([`crate::Deps`]), and how `ako run` watches it. Manifest loading, the runtime's watchers and
//! index, and the dependency index are generic over [`InputKind`] and find the kinds through
//! [`for_each`].
//!
//! Adding a kind: a module here implementing [`InputKind`], a line in the `kinds!` list below, a
//! store in [`Snapshot`] — and its translation.

mod avi_infra_setting;
mod cni;
mod endpoint_slice;
mod gateway;
mod host_rule;
mod http_rule;
mod ingress;
mod ingress_class;
mod l4_rule;
mod l7_rule;
mod namespace;
mod node;
mod pod;
mod route;
mod secret;
mod service;
mod sso_rule;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::crds::{AviInfraSetting, HostRule, HttpRule, L4Rule, L7Rule, SsoRule};
use crate::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use crate::key::{NsName, ObjRef};
use crate::model::CloudFacts;
use crate::openshift::Route;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::units::Unit;
pub use cni::{BlockAffinity, BlockAffinitySpec, CiliumIpam, CiliumNode, CiliumNodeSpec, HostSubnet};

/// The objects of one kind by namespace and name (namespace empty for cluster-scoped kinds).
pub type Store<K> = BTreeMap<NsName, K>;

/// One element of `status.loadBalancer.ingress`: `(ip, hostname)`.
pub type LbEntry = (String, Option<String>);

/// The annotation `kubectl apply` leaves: a whole copy of the object, never read by translation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// AKO's annotation on the Ingresses and Services it serves: `{host: VS uuid}`.
pub const VS_MAP_ANNOTATION: &str = "ako.vmware.com/host-fqdn-vs-uuid-map";
/// AKO's annotation on what it serves: the controller cluster's uuid.
pub const CONTROLLER_UUID_ANNOTATION: &str = "ako.vmware.com/controller-cluster-uuid";
/// AKO's annotation on what it serves: the Avi tenant (the same key on a Namespace is an input).
pub const TENANT_ANNOTATION: &str = crate::namespaces::TENANT_ANNOTATION;
/// AKO's annotation on the Services it serves under NodePortLocal: asks Antrea to give their
/// pods node ports (`"true"`).
pub const NPL_ANNOTATION: &str = "nodeportlocal.antrea.io/enabled";
/// The annotations AKO writes on the Ingresses and Services it serves: outputs, never inputs of
/// their translation.
const WRITTEN_ANNOTATIONS: [&str; 4] = [
    VS_MAP_ANNOTATION,
    CONTROLLER_UUID_ANNOTATION,
    TENANT_ANNOTATION,
    NPL_ANNOTATION,
];

/// Declares the kinds, once: the [`Kind`] enum, [`for_each`] and [`with_kind`].
macro_rules! kinds {
    ($($kind:ident $(= $name:literal)?: $ty:ty, $doc:literal;)*) => {
        /// Every kind translation reads, in [`for_each`] order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Kind {
            $(#[doc = $doc] $kind,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &[Kind] = &[$(Kind::$kind),*];

            /// The kind's name as Kubernetes writes it (`Ingress`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$kind => kinds!(@name $kind $($name)?),)*
                }
            }
        }

        /// Calls `v` with every kind, in [`Kind`] order.
        pub fn for_each(v: &mut impl KindVisitor) {
            $(v.visit::<$ty>();)*
        }

        /// Calls `v` with the type of `kind`.
        pub fn with_kind(kind: Kind, v: &mut impl KindVisitor) {
            match kind {
                $(Kind::$kind => v.visit::<$ty>(),)*
            }
        }
    };
    (@name $kind:ident) => { stringify!($kind) };
    (@name $kind:ident $name:literal) => { $name };
}

kinds! {
    Ingress: Ingress, "networking.k8s.io/v1 Ingress: a root of L7 translation.";
    IngressClass: IngressClass, "networking.k8s.io/v1 IngressClass.";
    Service: Service, "v1 Service: a root of L4 translation, and an Ingress backend.";
    EndpointSlice: EndpointSlice, "discovery.k8s.io/v1 EndpointSlice.";
    Namespace: Namespace, "v1 Namespace.";
    Node: Node, "v1 Node.";
    Pod: Pod, "v1 Pod (NodePortLocal).";
    Secret: Secret, "v1 Secret (the ones Ingresses and rules name).";
    HostRule: HostRule, "ako.vmware.com/v1beta1 HostRule (optional CRD).";
    HttpRule = "HTTPRule": HttpRule, "ako.vmware.com/v1beta1 HTTPRule (optional CRD).";
    AviInfraSetting: AviInfraSetting, "ako.vmware.com/v1beta1 AviInfraSetting (cluster-scoped; optional CRD).";
    L4Rule: L4Rule, "ako.vmware.com/v1alpha2 L4Rule (optional CRD).";
    L7Rule: L7Rule, "ako.vmware.com/v1alpha2 L7Rule (optional CRD).";
    SsoRule = "SSORule": SsoRule, "ako.vmware.com/v1alpha2 SSORule (optional CRD).";
    BlockAffinity: BlockAffinity, "crd.projectcalico.org/v1 BlockAffinity (Calico; optional CRD).";
    HostSubnet: HostSubnet, "network.openshift.io/v1 HostSubnet (OpenShift SDN; optional CRD).";
    CiliumNode: CiliumNode, "cilium.io/v2 CiliumNode (Cilium; optional CRD).";
    Route: Route, "route.openshift.io/v1 Route: a root of L7 translation where the Route API exists (OpenShift).";
    GatewayClass: GatewayClass, "gateway.networking.k8s.io/v1 GatewayClass (cluster-scoped; optional CRD).";
    Gateway: Gateway, "gateway.networking.k8s.io/v1 Gateway: a root of Gateway API translation (optional CRD).";
    HttpRoute = "HTTPRoute": HttpRoute, "gateway.networking.k8s.io/v1 HTTPRoute: feeds its Gateways (optional CRD).";
    ReferenceGrant: ReferenceGrant, "gateway.networking.k8s.io/v1beta1 ReferenceGrant (optional CRD).";
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How `ako run` watches a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// Every object, whole.
    Objects,
    /// Names and resource versions only; the objects the dependency index says translation
    /// reads are fetched one by one ([`crate::Deps::referenced`]). For kinds a cluster holds
    /// many of and translation reads few of (Secrets).
    Referenced,
}

/// What a change of one object touches in the dependency index; [`crate::Deps`] turns it into
/// translation units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Touch {
    /// Nothing translation reads.
    Nothing,
    /// The roots that name this object (a Secret: the Ingresses with it in `spec.tls`).
    Readers,
    /// The roots that name this object are re-indexed, as when they change themselves: it
    /// decides which models they feed (an AviInfraSetting: its shard size and name).
    ReadersMove,
    /// The object is part of another one's input (an EndpointSlice of its Service). The owner is
    /// remembered, so a change of owner touches the old one too.
    PartOf(Option<ObjRef>),
    /// As a change of the input of each of these objects (a Pod: every Service of its
    /// namespace, under NodePortLocal).
    InputOf(Vec<ObjRef>),
    /// Every root in this namespace is re-indexed, as when it changes itself (a Namespace:
    /// filters and tenant).
    RootsIn(String),
    /// Every root of these kinds is re-indexed, as when it changes itself (an IngressClass: every
    /// Ingress, whose class decides whether it is served and what it reads).
    RootsOf(&'static [Kind]),
    /// The units serving the hosts the patterns match (a HostRule, an HTTPRule, and the rules
    /// whose verdict depends on it), before and after the change: the patterns are remembered,
    /// so a new FQDN touches the old hosts too. The objects the rule reads (the Secret of a
    /// HostRule's certificate) follow: they are fetched like a root's, and their change touches
    /// the rule's hosts.
    Hosts(Vec<HostPattern>, Vec<ObjRef>),
    /// Every unit (a Node, when pool members are node addresses).
    Everything,
}

/// The hosts a rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    /// How `fqdn` matches.
    pub fqdn_type: crate::crds::FqdnType,
    /// The FQDN or pattern.
    pub fqdn: String,
    /// It configures shared parent VSes (matched against their FQDN), not hosts.
    pub shared_vs: bool,
}

/// Something translation depends on, as a root names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dep {
    /// Another Kubernetes object (an Ingress's Service or Secret).
    Object(ObjRef),
    /// A host name as written in a root (claimed exclusively under `fqdnReusePolicy: Strict`).
    Host(String),
}

/// A kind of Kubernetes object translation reads. Everything about a kind that is not its
/// translation is here.
pub trait InputKind:
    kube_core::Resource<DynamicType = ()> + DeserializeOwned + Serialize + Clone + fmt::Debug + Send + Sync + 'static
{
    /// Which kind this is.
    const KIND: Kind;
    /// How `ako run` watches it.
    const WATCH: Watch = Watch::Objects;
    /// Whether its objects live in namespaces.
    const NAMESPACED: bool = true;
    /// Whether its CustomResourceDefinition may be missing from a cluster: the kind is then
    /// not watched (the feature is off) until the CRD appears.
    const OPTIONAL: bool = false;
    /// Whether it is a root of translation: it feeds [`units`](InputKind::units) of its own,
    /// and a change of it re-indexes it.
    const ROOT: bool = false;

    /// Whether `ako run` watches it with these settings (Pods: only under NodePortLocal).
    fn watched(_settings: &Settings) -> bool {
        true
    }

    /// Its objects in the snapshot.
    fn store(snap: &Snapshot) -> &Store<Self>;

    /// Add or replace one object (already [`normalized`](InputKind::normalize)).
    fn insert(snap: &mut Snapshot, key: NsName, object: Self);

    /// Remove one object.
    fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self>;

    /// Drop what translation never reads and would only cost memory (managed fields, the
    /// last-applied annotation), and put the object in the form the API server stores.
    fn normalize(&mut self) {
        strip_meta(self.meta_mut());
    }

    /// Whether translation reads the same of both versions: an update that differs only in what
    /// it ignores (resource version, status, heartbeats) re-translates nothing.
    fn same_for_translation(a: &Self, b: &Self) -> bool;

    /// The `status.loadBalancer.ingress` entries with an IP (the only ones ako-rs writes), for
    /// the kinds it writes them to; `None` for the others.
    fn lb_status(_object: &Self) -> Option<BTreeSet<LbEntry>> {
        None
    }

    /// For a kind that is not a root: what a change of the object `key` (now `object`, `None`
    /// when deleted) touches.
    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::Nothing
    }

    /// For a root: the translation units it feeds. Empty when it is not in
    /// the snapshot.
    fn units(_snap: &Snapshot, _settings: &Settings, _cloud: &CloudFacts, _key: &NsName) -> BTreeSet<Unit> {
        BTreeSet::new()
    }

    /// For a root: what its translation reads besides itself (nothing when it is not served:
    /// the Secrets of an Ingress of another class are never fetched).
    fn dependencies(_key: &NsName, _object: &Self, _snap: &Snapshot, _settings: &Settings) -> BTreeSet<Dep> {
        BTreeSet::new()
    }
}

/// Managed fields and the last-applied annotation removed.
pub fn strip_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove(LAST_APPLIED);
        if a.is_empty() {
            meta.annotations = None;
        }
    }
}

/// Something done once per kind: [`for_each`] calls [`visit`](KindVisitor::visit) with each.
pub trait KindVisitor {
    /// Called once with each kind.
    fn visit<K: InputKind>(&mut self);
}

/// The `store`, `insert` and `remove` of a kind kept in a plain field of the [`Snapshot`].
macro_rules! plain_store {
    ($field:ident) => {
        fn store(snap: &Snapshot) -> &Store<Self> {
            &snap.$field
        }

        fn insert(snap: &mut Snapshot, key: NsName, object: Self) {
            snap.$field.insert(key, object);
        }

        fn remove(snap: &mut Snapshot, key: &NsName) -> Option<Self> {
            snap.$field.remove(key)
        }
    };
}
use plain_store;

/// `status.loadBalancer.ingress` entries (`ip`, `hostname`) with an IP.
fn lb_entries<'a>(list: impl IntoIterator<Item = (&'a Option<String>, &'a Option<String>)>) -> BTreeSet<LbEntry> {
    list.into_iter()
        .filter_map(|(ip, hostname)| Some((ip.clone()?, hostname.clone())))
        .collect()
}

/// Labels, annotations and the creation time: translation reads both maps on most kinds, and
/// the Strict FQDN policy orders Ingresses by creation.
pub(crate) fn same_meta(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    a.labels == b.labels && a.annotations == b.annotations && a.creation_timestamp == b.creation_timestamp
}

/// [`same_meta`] for the objects AKO serves, whose annotations it writes itself: those are
/// outputs, and writing them re-translates nothing.
pub(crate) fn same_served_meta(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    fn read(m: &ObjectMeta) -> impl Iterator<Item = (&String, &String)> {
        m.annotations
            .iter()
            .flatten()
            .filter(|(k, _)| !WRITTEN_ANNOTATIONS.contains(&k.as_str()))
    }
    a.labels == b.labels && read(a).eq(read(b)) && a.creation_timestamp == b.creation_timestamp
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names(Vec<(Kind, String)>);

    impl KindVisitor for Names {
        fn visit<K: InputKind>(&mut self) {
            self.0.push((K::KIND, K::kind(&()).to_string()));
        }
    }

    #[test]
    fn every_kind_is_visited_once_in_order_under_its_kubernetes_name() {
        let mut names = Names(Vec::new());
        for_each(&mut names);
        let kinds: Vec<Kind> = names.0.iter().map(|(k, _)| *k).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(kinds, sorted, "in Kind order, each once");
        for (kind, name) in &names.0 {
            assert_eq!(kind.as_str(), name);
        }
        assert_eq!(kinds.len(), 22);
    }
}
