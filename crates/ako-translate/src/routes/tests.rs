//! Static routes from each CNI's source (the plain ones are golden-tested against Go AKO).

use k8s_openapi::api::core::v1::Node;
use serde_json::json;

use super::*;
use crate::kinds::{BlockAffinity, CiliumNode, HostSubnet};
use crate::settings::Values;

fn settings(extra: &str) -> Settings {
    let text =
        format!("AKOSettings:\n  clusterName: c1\n{extra}NetworkSettings:\n  vipNetworkList: [{{networkName: n}}]\n");
    Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
}

fn node(name: &str, annotations: serde_json::Value, pod_cidrs: &[&str], ips: &[&str]) -> Node {
    let addresses: Vec<_> = ips
        .iter()
        .map(|ip| json!({"type": "InternalIP", "address": ip}))
        .collect();
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"podCIDR": pod_cidrs.first(), "podCIDRs": pod_cidrs},
        "status": {"addresses": addresses},
    }))
    .unwrap()
}

fn routes_of(snap: &Snapshot, s: &Settings) -> Vec<String> {
    static_routes(snap, s, "CLOUD_NONE")
        .unwrap()
        .routes
        .iter()
        .map(Route::to_string)
        .collect()
}

#[test]
fn calico_routes_come_from_block_affinities_through_the_calico_address() {
    let s = settings("  cniPlugin: calico\n");
    let block = |name: &str, node: &str, cidr: &str| -> BlockAffinity {
        serde_json::from_value(
            json!({"metadata": {"name": name}, "spec": {"node": node, "cidr": cidr, "state": "confirmed"}}),
        )
        .unwrap()
    };
    let snap = Snapshot::new()
        .with(node(
            "n1",
            json!({"projectcalico.org/IPv4Address": "192.168.1.5/24"}),
            &["10.9.0.0/24"],
            &["10.0.0.1"],
        ))
        .with(node("n2", json!({}), &[], &["10.0.0.2"]))
        .with(block("b1", "n1", "10.1.0.0/26"))
        .with(block("b2", "n1", "10.1.0.64/26"))
        .with(block("b3", "n2", "10.1.1.0/26"));
    assert_eq!(
        routes_of(&snap, &s),
        [
            "10.1.0.0/26 via 192.168.1.5 (n1)",
            "10.1.0.64/26 via 192.168.1.5 (n1)",
            "10.1.1.0/26 via 10.0.0.2 (n2)"
        ]
    );
}

#[test]
fn openshift_and_cilium_routes_come_from_their_objects() {
    let snap = Snapshot::new()
        .with(node("n1", json!({}), &["10.9.0.0/24"], &["10.0.0.1"]))
        .with(
            serde_json::from_value::<HostSubnet>(
                json!({"metadata": {"name": "n1"}, "host": "n1", "subnet": "10.128.0.0/23"}),
            )
            .unwrap(),
        )
        .with(
            serde_json::from_value::<CiliumNode>(
                json!({"metadata": {"name": "n1"}, "spec": {"ipam": {"podCIDRs": ["10.0.8.0/24", "10.0.9.0/24"]}}}),
            )
            .unwrap(),
        );
    assert_eq!(
        routes_of(&snap, &settings("  cniPlugin: openshift\n")),
        ["10.128.0.0/23 via 10.0.0.1 (n1)"]
    );
    assert_eq!(
        routes_of(&snap, &settings("  cniPlugin: cilium\n")),
        ["10.0.8.0/24 via 10.0.0.1 (n1)", "10.0.9.0/24 via 10.0.0.1 (n1)"]
    );
    // Without its objects a Node of these CNIs gets no route, and says why.
    let bare = Snapshot::new().with(node("n2", json!({}), &["10.9.0.0/24"], &["10.0.0.2"]));
    let r = static_routes(&bare, &settings("  cniPlugin: cilium\n"), "CLOUD_NONE").unwrap();
    assert!(r.routes.is_empty());
    assert_eq!(
        r.skipped,
        [(
            "n2".to_owned(),
            "no pod CIDR for the Node in the cilium objects".to_owned()
        )]
    );
}

#[test]
fn ipv6_clusters_route_ipv6_cidrs_only() {
    let snap = Snapshot::new().with(node(
        "n1",
        json!({}),
        &["10.1.0.0/24", "fd00:1::/64"],
        &["10.0.0.1", "fd00::1"],
    ));
    let r = static_routes(&snap, &settings("  ipFamily: V6\n"), "CLOUD_NONE").unwrap();
    assert_eq!(
        r.routes.iter().map(Route::to_string).collect::<Vec<_>>(),
        ["fd00:1::/64 via fd00::1 (n1)"]
    );
    assert_eq!(r.routes[0].index, 1, "the skipped IPv4 CIDR keeps its index");
    let body = r.routes[0].body("c1");
    assert_eq!(body["prefix"]["ip_addr"]["type"], "V6");
    assert_eq!(body["next_hop"]["type"], "V6");
}

#[test]
fn a_bad_annotation_is_named() {
    let snap = Snapshot::new().with(node(
        "n1",
        json!({POD_CIDRS_ANNOTATION: "10.1.0.0/24,10.2.0.0"}),
        &[],
        &["10.0.0.1"],
    ));
    let r = static_routes(&snap, &settings(""), "CLOUD_NONE").unwrap();
    assert_eq!(
        r.skipped,
        [(
            "n1".to_owned(),
            "\"10.2.0.0\" in annotation ako.vmware.com/pod-cidrs is not an IPv4 CIDR".to_owned()
        )]
    );
}

#[test]
fn route_ids_are_stable_per_node_and_distinct_between_nodes() {
    let route = |node: &str, index| Route {
        node: node.to_owned(),
        index,
        prefix: "10.1.0.0".parse().unwrap(),
        mask: 24,
        next_hop: "10.0.0.1".parse().unwrap(),
    };
    let id = route("n1", 0).id("c1");
    assert_eq!(id, route("n1", 0).id("c1"));
    assert!(
        id.starts_with("c1-") && id.ends_with("-0") && id.len() == "c1-".len() + 36 + 2,
        "{id}"
    );
    assert_ne!(route("n1", 0).id("c1"), route("n2", 0).id("c1"));
    assert_ne!(route("n1", 0).id("c1"), route("n1", 1).id("c1"));
}

#[test]
fn routes_are_off_where_ako_turns_them_off() {
    let snap = Snapshot::new().with(node("n1", json!({}), &["10.1.0.0/24"], &["10.0.0.1"]));
    assert!(static_routes(&snap, &settings(""), "CLOUD_NONE").is_some());
    for extra in [
        "  disableStaticRouteSync: true\n",
        "  primaryInstance: false\n",
        "L7Settings:\n  serviceType: NodePort\n",
        "  cniPlugin: antrea\nL7Settings:\n  serviceType: NodePortLocal\n",
    ] {
        let s = settings(extra);
        assert!(static_routes(&snap, &s, "CLOUD_NONE").is_none(), "{extra}");
        assert!(disabled_because(&s, "CLOUD_NONE").is_some());
    }
    // NSX-T with NCP routes pods itself; another CNI on NSX-T still gets routes.
    let ncp = settings("  cniPlugin: ncp\n");
    assert!(static_routes(&snap, &ncp, "CLOUD_NSXT").is_none());
    assert!(static_routes(&snap, &ncp, "CLOUD_NONE").is_some());
    assert!(static_routes(&snap, &settings("  cniPlugin: antrea\n"), "CLOUD_NSXT").is_some());
}

#[test]
fn delete_config_wants_no_route_where_routes_are_kept() {
    let snap = Snapshot::new().with(node("n1", json!({}), &["10.1.0.0/24"], &["10.0.0.1"]));
    let r = static_routes(&snap, &settings("  deleteConfig: true\n"), "CLOUD_NONE").unwrap();
    assert!(r.routes.is_empty() && r.skipped.is_empty(), "{r:?}");
    assert_eq!(r.vrf, "global");
    let off = settings("  deleteConfig: true\n  disableStaticRouteSync: true\n");
    assert!(static_routes(&snap, &off, "CLOUD_NONE").is_none());
}
