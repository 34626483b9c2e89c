//! Pool members (`avi_model_l4_translator.go:PopulateServers`, `PopulateServersForNodePort`,
//! `PopulateServersForNPL`, `checkIfEndpointSliceExistsForNode`, `enableServer`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::{EndpointConditions, EndpointSlice};

use crate::checksum::{MetaServer, PortProto, TargetPort};
use crate::key::NsName;
use crate::settings::{IpFamily, ServiceType, Settings};
use crate::snapshot::Snapshot;

/// One port of a Service: what a pool's members are found for.
#[derive(Clone, Copy, Debug)]
pub struct ServicePort<'a> {
    /// The Service.
    pub svc: &'a Service,
    /// Its namespace.
    pub ns: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The port.
    pub pp: &'a PortProto,
}

/// The pool's port after member computation and its servers (unsorted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Members {
    /// Port every server listens on.
    pub port: i32,
    /// Servers in discovery order.
    pub servers: Vec<MetaServer>,
}

struct Families {
    v4: bool,
    v6: bool,
}

/// Which address families the Service and AKO's `ipFamily` allow.
fn families(svc: &Service, settings: &Settings) -> Families {
    let fams = svc
        .spec
        .as_ref()
        .and_then(|s| s.ip_families.clone())
        .unwrap_or_default();
    let (v4_fam, v6_fam) = if fams.len() == 2 {
        (true, true)
    } else if fams.first().map(String::as_str) == Some("IPv6") {
        (false, true)
    } else {
        (true, false)
    };
    Families {
        v4: v4_fam && settings.ip_family == IpFamily::V4,
        v6: v6_fam && settings.ip_family == IpFamily::V6,
    }
}

impl Families {
    /// The Avi address type of `ip` (`V4`/`V6`) when its family is allowed.
    fn addr_type(&self, ip: &str) -> Option<&'static str> {
        if self.v4 && ip.parse::<Ipv4Addr>().is_ok() {
            Some("V4")
        } else if self.v6 && ip.parse::<Ipv6Addr>().is_ok() {
            Some("V6")
        } else {
            None
        }
    }
}

/// Servers in the order AKO's pool checksum sorts them in place before the REST layer sends
/// them (`AviPoolNode.CalculateCheckSum`): by address string only. Go's `sort.Slice` is an
/// insertion sort, so stable, up to 12 elements; servers sharing an address (NodePortLocal Pods on
/// one node, one Pod's several mappings) keep discovery order: Pods by name, then the annotation's
/// order. (Beyond 12 servers Go's order of equal addresses is not defined; ours stays stable.)
pub fn sort_servers(servers: &mut [MetaServer]) {
    servers.sort_by(|a, b| a.addr.cmp(&b.addr));
}

/// The members of one Service port as AKO finds them in `mode`, servers in AKO's order
/// ([`sort_servers`]): what every pool, L4 or L7, is built from. `mode` is AKO's `serviceType`
/// unless the caller knows better (an L4 Service that opts out of NodePort).
pub fn port_members(mode: ServiceType, snap: &Snapshot, settings: &Settings, sp: ServicePort<'_>) -> Members {
    let mut members = match mode {
        ServiceType::ClusterIp => cluster_ip_members(snap, settings, sp),
        ServiceType::NodePort => node_port_members(snap, settings, sp),
        ServiceType::NodePortLocal => npl_members(snap, settings, sp),
    };
    sort_servers(&mut members.servers);
    members
}

/// `enableServer`: enabled only when ready (unset counts as not ready) and not terminating.
pub fn endpoint_enabled(c: Option<&EndpointConditions>) -> bool {
    let ready = c.and_then(|c| c.ready).unwrap_or(false);
    let terminating = c.and_then(|c| c.terminating).unwrap_or(false);
    ready && !terminating
}

/// ClusterIP mode: endpoint addresses of the matching EndpointSlices.
fn cluster_ip_members(snap: &Snapshot, settings: &Settings, sp: ServicePort<'_>) -> Members {
    let ServicePort { svc, ns, name, pp } = sp;
    let fam = families(svc, settings);
    let slices: Vec<&EndpointSlice> = snap.slices_for_service(ns, name).collect();
    let only_one = slices.len() == 1;
    let mut port = pp.port;
    let mut seen = BTreeSet::new();
    let mut servers = Vec::new();
    for slice in &slices {
        let ports = slice.ports.as_deref().unwrap_or_default();
        let mut matched: Option<(i32, String)> = ports
            .iter()
            .find(|p| p.name.as_deref() == Some(pp.name.as_str()) || p.port == Some(pp.target_port.int_val()))
            .map(|p| {
                (
                    p.port.unwrap_or(0),
                    p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                )
            });
        if only_one && ports.len() == 1 {
            let p = &ports[0];
            matched = Some((
                p.port.unwrap_or(0),
                p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
            ));
        }
        let Some((ep_port, ep_proto)) = matched else { continue };
        port = ep_port;
        for ep in &slice.endpoints {
            let Some(ip) = ep.addresses.first() else { continue };
            if !seen.insert((ip.clone(), port, ep_proto.clone(), slice.address_type.clone())) {
                continue;
            }
            let Some(addr_type) = fam.addr_type(ip) else { continue };
            servers.push(MetaServer {
                addr: ip.clone(),
                addr_type,
                server_node: ep.node_name.clone().unwrap_or_default(),
                port: 0,
                enabled: Some(endpoint_enabled(ep.conditions.as_ref())),
            });
        }
    }
    Members { port, servers }
}

/// NodePort mode: the InternalIP of every selected node, on the port's nodePort.
fn node_port_members(snap: &Snapshot, settings: &Settings, sp: ServicePort<'_>) -> Members {
    let ServicePort { svc, ns, name, pp } = sp;
    let fam = families(svc, settings);
    let spec = svc.spec.clone().unwrap_or_default();
    let ports = spec.ports.unwrap_or_default();
    let local = spec.external_traffic_policy.as_deref() == Some("Local");
    let mut port = pp.port;
    let mut servers = Vec::new();
    for sp in &ports {
        if sp.name.as_deref().unwrap_or("") != pp.name && ports.len() != 1 {
            continue;
        }
        port = sp.node_port.unwrap_or(0);
        for node in snap.nodes.values() {
            if let Some((key, value)) = &settings.node_port_selector {
                let labels = node.metadata.labels.as_ref();
                if labels.and_then(|l| l.get(key)) != Some(value) {
                    continue;
                }
            }
            let (mut has4, mut has6) = (true, true);
            if local {
                (has4, has6) = node_has_endpoint(snap, ns, name, pp, node);
                if !has4 && !has6 {
                    continue;
                }
            }
            let (ip4, ip6) = node_ips(node);
            let (addr, addr_type) = match (ip4, ip6) {
                (Some(ip), _) if fam.v4 && has4 => (ip, "V4"),
                (_, Some(ip)) if fam.v6 && has6 => (ip, "V6"),
                _ => continue,
            };
            servers.push(MetaServer {
                addr,
                addr_type,
                server_node: String::new(),
                port: 0,
                enabled: None,
            });
        }
    }
    Members { port, servers }
}

/// The Antrea NodePortLocal annotation on a Pod: `[{"podPort", "nodeIP", "nodePort"}, ...]`.
pub const NPL_ANNOTATION: &str = "nodeportlocal.antrea.io";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct NplEntry {
    pod_port: i32,
    #[serde(rename = "nodeIP")]
    node_ip: String,
    node_port: i32,
}

/// NodePortLocal mode: for every ready Pod behind the Service, the node IP and node port Antrea
/// mapped to the target port; enabled as the Pod's endpoint is (enabled when it has none).
fn npl_members(snap: &Snapshot, settings: &Settings, sp: ServicePort<'_>) -> Members {
    let ServicePort { svc, ns, name, pp } = sp;
    let fam = families(svc, settings);
    let mut out = Members {
        port: pp.port,
        servers: Vec::new(),
    };
    let selector = svc.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
    if selector.is_empty() {
        return out;
    }
    let pods: Vec<&Pod> = snap
        .pods
        .range(NsName::new(ns, "")..)
        .take_while(|(k, _)| k.namespace == ns)
        .map(|(_, p)| p)
        .filter(|p| {
            let labels = p.metadata.labels.as_ref();
            selector.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        })
        .filter(|p| {
            !p.status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .any(|c| c.type_ == "Ready" && c.status == "False")
        })
        .collect();
    // A named target port is the container port of that name (the last Pod's wins, as in AKO).
    let mut target = pp.target_port.int_val();
    if let TargetPort::Name(port_name) = &pp.target_port {
        for pod in &pods {
            for c in pod.spec.iter().flat_map(|s| &s.containers) {
                for p in c.ports.iter().flatten() {
                    if p.name.as_deref() == Some(port_name.as_str()) {
                        target = p.container_port;
                    }
                }
            }
        }
    }
    let mut enabled: BTreeMap<&str, bool> = BTreeMap::new();
    for slice in snap.slices_for_service(ns, name) {
        let matches = slice
            .ports
            .iter()
            .flatten()
            .any(|p| p.port == Some(pp.target_port.int_val()) || p.name.as_deref() == Some(pp.name.as_str()));
        if !matches {
            continue;
        }
        for pod in &pods {
            let pod_name = pod.metadata.name.as_deref().unwrap_or("");
            if let Some(ep) = slice
                .endpoints
                .iter()
                .find(|ep| ep.target_ref.as_ref().and_then(|r| r.name.as_deref()) == Some(pod_name))
            {
                enabled.insert(pod_name, endpoint_enabled(ep.conditions.as_ref()));
            }
        }
    }
    for pod in pods {
        let pod_name = pod.metadata.name.as_deref().unwrap_or("");
        let Some(entries) = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(NPL_ANNOTATION))
            .and_then(|v| serde_json::from_str::<Vec<NplEntry>>(v).ok())
        else {
            continue;
        };
        for e in entries {
            let Some(addr_type) = fam.addr_type(&e.node_ip) else {
                continue;
            };
            let int_target = matches!(pp.target_port, TargetPort::Int(_));
            if (int_target && e.pod_port == pp.target_port.int_val()) || e.pod_port == target {
                out.servers.push(MetaServer {
                    addr: e.node_ip,
                    addr_type,
                    server_node: String::new(),
                    port: e.node_port,
                    enabled: Some(enabled.get(pod_name).copied().unwrap_or(true)),
                });
            }
        }
    }
    out
}

/// A node's first IPv4 and IPv6 InternalIP.
fn node_ips(node: &Node) -> (Option<String>, Option<String>) {
    let addrs = node.status.as_ref().and_then(|s| s.addresses.as_ref());
    let internal = || addrs.into_iter().flatten().filter(|a| a.type_ == "InternalIP");
    let v4 = internal()
        .find(|a| a.address.parse::<Ipv4Addr>().is_ok())
        .map(|a| a.address.clone());
    let v6 = internal()
        .find(|a| a.address.parse::<Ipv6Addr>().is_ok())
        .map(|a| a.address.clone());
    (v4, v6)
}

/// externalTrafficPolicy Local: does the node run an endpoint of this port (per address family)?
fn node_has_endpoint(snap: &Snapshot, ns: &str, name: &str, pp: &PortProto, node: &Node) -> (bool, bool) {
    let node_name = node.metadata.name.as_deref().unwrap_or("");
    let slices: Vec<&EndpointSlice> = snap.slices_for_service(ns, name).collect();
    let (mut f4, mut f6) = (false, false);
    for slice in &slices {
        let ports = slice.ports.as_deref().unwrap_or_default();
        let mut found = ports
            .iter()
            .any(|p| p.port == Some(pp.target_port.int_val()) || p.name.as_deref() == Some(pp.name.as_str()));
        if !found && pp.target_port.int_val() == 0 && pp.name.is_empty() && slices.len() == 1 && ports.len() == 1 {
            found = true;
        }
        if !found {
            continue;
        }
        if slice
            .endpoints
            .iter()
            .any(|ep| ep.node_name.as_deref() == Some(node_name))
        {
            match slice.address_type.as_str() {
                "IPv4" => f4 = true,
                "IPv6" => f6 = true,
                _ => {}
            }
        }
        if f4 && f6 {
            break;
        }
    }
    (f4, f6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::discovery::v1::EndpointConditions;

    #[test]
    fn enabled_needs_ready_and_not_terminating() {
        let c = |ready, terminating| EndpointConditions {
            ready,
            terminating,
            serving: None,
        };
        assert!(endpoint_enabled(Some(&c(Some(true), None))));
        assert!(endpoint_enabled(Some(&c(Some(true), Some(false)))));
        assert!(!endpoint_enabled(Some(&c(Some(true), Some(true)))));
        assert!(!endpoint_enabled(Some(&c(None, None))));
        assert!(!endpoint_enabled(None));
    }

    /// Two Pods on one node and one elsewhere; the annotation lists the higher node port first.
    const NPL_PODS: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns}
spec:
  type: ClusterIP
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  namespace: ns
  labels: {app: web}
  annotations: {nodeportlocal.antrea.io: '[{"podPort":8080,"nodeIP":"10.0.0.2","nodePort":61009},{"podPort":8080,"nodeIP":"10.0.0.2","nodePort":61002}]'}
---
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: ns
  labels: {app: web}
  annotations: {nodeportlocal.antrea.io: '[{"podPort":9090,"nodeIP":"10.0.0.9","nodePort":61000},{"podPort":8080,"nodeIP":"10.0.0.2","nodePort":61005}]'}
---
apiVersion: v1
kind: Pod
metadata:
  name: c
  namespace: ns
  labels: {app: web}
  annotations: {nodeportlocal.antrea.io: '[{"podPort":8080,"nodeIP":"10.0.0.1","nodePort":61001}]'}
status:
  conditions: [{type: Ready, status: 'True'}]
---
apiVersion: v1
kind: Pod
metadata:
  name: d
  namespace: ns
  labels: {app: web}
  annotations: {nodeportlocal.antrea.io: '[{"podPort":8080,"nodeIP":"10.0.0.0","nodePort":61000}]'}
status:
  conditions: [{type: Ready, status: 'False'}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: ns, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [10.1.0.1], conditions: {ready: false}, targetRef: {kind: Pod, name: b}}
"#;

    #[test]
    fn npl_servers_keep_pod_then_annotation_order_on_one_address() {
        let mut snap = Snapshot::new();
        crate::manifests::load_manifests(&mut snap, "t.yaml", NPL_PODS).unwrap();
        let values = crate::settings::Values::from_yaml(
            "AKOSettings: {clusterName: c, cniPlugin: antrea}\nNetworkSettings: {vipNetworkList: [{networkName: n}]}\nL7Settings: {serviceType: NodePortLocal}\n",
        )
        .unwrap();
        let settings = Settings::from_values(&values).unwrap();
        let svc = snap.service("ns", "web").unwrap();
        let pp = PortProto {
            port: 80,
            target_port: TargetPort::Int(8080),
            protocol: "TCP".into(),
            name: "http".into(),
            enable_ssl: false,
            enable_http2: false,
        };
        let sp = ServicePort {
            svc,
            ns: "ns",
            name: "web",
            pp: &pp,
        };
        let m = port_members(ServiceType::NodePortLocal, &snap, &settings, sp);
        let got: Vec<(&str, i32, Option<bool>)> =
            m.servers.iter().map(|s| (s.addr.as_str(), s.port, s.enabled)).collect();
        // d is not Ready: no server. a's 9090 mapping is another port. b's endpoint is not ready.
        // On 10.0.0.2: Pod a before Pod b, and b's mappings as its annotation lists them.
        assert_eq!(
            got,
            vec![
                ("10.0.0.1", 61001, Some(true)),
                ("10.0.0.2", 61005, Some(true)),
                ("10.0.0.2", 61009, Some(false)),
                ("10.0.0.2", 61002, Some(false)),
            ]
        );
        assert_eq!(m.port, 80, "the pool keeps the Service port; each server has its own");
    }
}
