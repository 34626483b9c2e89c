//! The CNI objects that say which pod CIDRs a Node has, read for the static routes
//! ([`crate::routes`]) when `cniPlugin` names their CNI: Calico's BlockAffinity, OpenShift SDN's
//! HostSubnet, Cilium's CiliumNode. Only the fields AKO reads are kept; their CRDs are the CNI's
//! (optional: a cluster without that CNI has none). Not roots, and no translation unit reads
//! them: a change re-computes the routes.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{InputKind, Kind, Store, plain_store};
use crate::key::NsName;
use crate::routes::{self, sources};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// `spec` of a Calico BlockAffinity (`crd.projectcalico.org/v1`): an address block of a Node.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "crd.projectcalico.org",
    version = "v1",
    kind = "BlockAffinity",
    plural = "blockaffinities",
    derive = "PartialEq",
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
pub struct BlockAffinitySpec {
    /// The Node.
    #[serde(default)]
    pub node: String,
    /// The block.
    #[serde(default)]
    pub cidr: String,
}

/// `spec` of a CiliumNode (`cilium.io/v2`), named like its Node.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "cilium.io",
    version = "v2",
    kind = "CiliumNode",
    plural = "ciliumnodes",
    derive = "PartialEq",
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
pub struct CiliumNodeSpec {
    /// Address management.
    #[serde(default)]
    pub ipam: CiliumIpam,
}

/// `spec.ipam` of a CiliumNode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CiliumIpam {
    /// The Node's pod CIDRs.
    #[serde(default, rename = "podCIDRs")]
    pub pod_cidrs: Vec<String>,
}

/// An OpenShift SDN HostSubnet (`network.openshift.io/v1`): its fields are at the top level,
/// not under `spec`, hence no derive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostSubnet {
    /// Name and labels.
    pub metadata: ObjectMeta,
    /// The Node.
    #[serde(default)]
    pub host: String,
    /// Its pod CIDR.
    #[serde(default)]
    pub subnet: String,
}

impl kube_core::Resource for HostSubnet {
    type DynamicType = ();
    type Scope = kube_core::ClusterResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        "HostSubnet".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        "network.openshift.io".into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        "v1".into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        "hostsubnets".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// Watched when static routes are kept and `cniPlugin` is `cni`.
fn watched_for(settings: &Settings, cni: &str) -> bool {
    settings.cni_plugin == cni && routes::disabled_because(settings, "").is_none()
}

impl InputKind for BlockAffinity {
    const KIND: Kind = Kind::BlockAffinity;
    const NAMESPACED: bool = false;
    const OPTIONAL: bool = true;

    plain_store!(block_affinities);

    fn watched(settings: &Settings) -> bool {
        watched_for(settings, sources::CALICO)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        a.spec == b.spec
    }
}

impl InputKind for HostSubnet {
    const KIND: Kind = Kind::HostSubnet;
    const NAMESPACED: bool = false;
    const OPTIONAL: bool = true;

    plain_store!(host_subnets);

    fn watched(settings: &Settings) -> bool {
        watched_for(settings, sources::OPENSHIFT)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        (&a.host, &a.subnet) == (&b.host, &b.subnet)
    }
}

impl InputKind for CiliumNode {
    const KIND: Kind = Kind::CiliumNode;
    const NAMESPACED: bool = false;
    const OPTIONAL: bool = true;

    plain_store!(cilium_nodes);

    fn watched(settings: &Settings) -> bool {
        watched_for(settings, sources::CILIUM)
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        a.spec == b.spec
    }
}
