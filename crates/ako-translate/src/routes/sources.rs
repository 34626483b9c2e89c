//! Where a Node's pod CIDRs and next hop come from, by `cniPlugin`, as AKO reads them: Calico's
//! BlockAffinities and node address annotation, OpenShift SDN's HostSubnets, OVN-Kubernetes'
//! node-subnets annotation, Cilium's CiliumNodes, Antrea's transport address; otherwise the
//! annotation `ako.vmware.com/pod-cidrs`, else `spec.podCIDRs`, and the InternalIP.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Node;
use serde_json::Value;

use crate::settings::{IpFamily, Settings};
use crate::snapshot::Snapshot;

/// Pod CIDRs given by hand (comma-separated), for CNIs whose Nodes have no `spec.podCIDRs`.
pub const POD_CIDRS_ANNOTATION: &str = "ako.vmware.com/pod-cidrs";
/// OVN-Kubernetes: `{"default": CIDR}` or `{"default": [CIDR, …]}`.
const OVN_SUBNETS: &str = "k8s.ovn.org/node-subnets";
/// Antrea: the Node's tunnel addresses, comma-separated.
const ANTREA_TRANSPORT: &str = "node.antrea.io/transport-addresses";
/// Calico: the Node's address with its mask.
const CALICO_V4: &str = "projectcalico.org/IPv4Address";
const CALICO_V6: &str = "projectcalico.org/IPv6Address";

/// The Node annotations routes read (a change of another annotation changes no route).
pub const NODE_ANNOTATIONS: [&str; 5] = [
    POD_CIDRS_ANNOTATION,
    OVN_SUBNETS,
    ANTREA_TRANSPORT,
    CALICO_V4,
    CALICO_V6,
];

/// The CNIs with their own source of pod CIDRs.
pub const CALICO: &str = "calico";
pub const OPENSHIFT: &str = "openshift";
pub const OVN_KUBERNETES: &str = "ovn-kubernetes";
pub const CILIUM: &str = "cilium";
pub const ANTREA: &str = "antrea";

fn annotation<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

/// The Node's IPv4 and IPv6 next hops in the cluster's family: the CNI's address when it has
/// one, else the first InternalIP of the family.
pub fn next_hops(node: &Node, settings: &Settings) -> (Option<IpAddr>, Option<IpAddr>) {
    let (want4, want6) = (settings.ip_family == IpFamily::V4, settings.ip_family == IpFamily::V6);
    let (mut v4, mut v6) = (None, None);
    let mut take = |addr: &str| match addr.trim().parse::<IpAddr>() {
        Ok(a @ IpAddr::V4(_)) if want4 && v4.is_none() => v4 = Some(a),
        Ok(a @ IpAddr::V6(_)) if want6 && v6.is_none() => v6 = Some(a),
        _ => {}
    };
    match settings.cni_plugin.as_str() {
        CALICO => {
            for key in [CALICO_V4, CALICO_V6] {
                if let Some(a) = annotation(node, key) {
                    take(a.split('/').next().unwrap_or_default());
                }
            }
        }
        ANTREA => annotation(node, ANTREA_TRANSPORT)
            .into_iter()
            .flat_map(|a| a.split(','))
            .for_each(&mut take),
        _ => {}
    }
    let internal = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .into_iter()
        .flatten()
        .filter(|a| a.type_ == "InternalIP");
    for a in internal {
        take(&a.address);
    }
    (v4, v6)
}

/// The Node's pod CIDRs, in the source's order, or why there are none.
pub fn pod_cidrs(name: &str, node: &Node, snap: &Snapshot, settings: &Settings) -> Result<Vec<String>, String> {
    let mut cidrs: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !cidrs.iter().any(|x| x == c) {
            cidrs.push(c.to_owned());
        }
    };
    match settings.cni_plugin.as_str() {
        CALICO => snap
            .block_affinities
            .values()
            .filter(|b| b.spec.node == name)
            .for_each(|b| add(&b.spec.cidr)),
        OPENSHIFT => snap
            .host_subnets
            .values()
            .filter(|h| h.host == name)
            .for_each(|h| add(&h.subnet)),
        CILIUM => {
            if let Some(c) = snap
                .cilium_nodes
                .values()
                .find(|c| c.metadata.name.as_deref() == Some(name))
            {
                c.spec.ipam.pod_cidrs.iter().for_each(|p| add(p));
            }
        }
        OVN_KUBERNETES => return ovn_subnets(node),
        _ => return default_cidrs(node),
    }
    if cidrs.iter().any(String::is_empty) || cidrs.is_empty() {
        return Err(format!(
            "no pod CIDR for the Node in the {} objects",
            settings.cni_plugin
        ));
    }
    Ok(cidrs)
}

/// OVN-Kubernetes' `k8s.ovn.org/node-subnets`.
fn ovn_subnets(node: &Node) -> Result<Vec<String>, String> {
    let text = annotation(node, OVN_SUBNETS).ok_or_else(|| format!("the Node has no annotation {OVN_SUBNETS}"))?;
    let parsed: Value = serde_json::from_str(text).map_err(|e| format!("annotation {OVN_SUBNETS} is not JSON: {e}"))?;
    let cidrs: Vec<String> = match &parsed["default"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    if cidrs.is_empty() || cidrs.iter().any(String::is_empty) {
        return Err(format!("annotation {OVN_SUBNETS} has no \"default\" pod CIDR"));
    }
    Ok(cidrs)
}

/// `ako.vmware.com/pod-cidrs` (IPv4 CIDRs, comma-separated), else `spec.podCIDRs`.
fn default_cidrs(node: &Node) -> Result<Vec<String>, String> {
    if let Some(text) = annotation(node, POD_CIDRS_ANNOTATION) {
        let mut cidrs = Vec::new();
        for cidr in text.trim().split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let ok = cidr.split_once('/').is_some_and(|(a, m)| {
                a.parse::<std::net::Ipv4Addr>().is_ok() && m.parse::<u8>().is_ok_and(|m| m <= 32)
            });
            if !ok {
                return Err(format!(
                    "{cidr:?} in annotation {POD_CIDRS_ANNOTATION} is not an IPv4 CIDR"
                ));
            }
            cidrs.push(cidr.to_owned());
        }
        return Ok(cidrs);
    }
    let spec = node.spec.as_ref();
    if spec.and_then(|s| s.pod_cidr.as_deref()).unwrap_or_default().is_empty() {
        return Err(format!(
            "the Node has no spec.podCIDR (set annotation {POD_CIDRS_ANNOTATION}, or cniPlugin for a CNI that keeps its own)"
        ));
    }
    Ok(spec.and_then(|s| s.pod_cidrs.clone()).unwrap_or_default())
}
