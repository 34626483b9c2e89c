//! `ako run` end to end with static routes (issue 15): a real kube-apiserver (testenv), avisim
//! over HTTPS, the real `ako` binary, in ClusterIP mode.
//!
//! * Nodes added → one route per pod CIDR in VRF `global`, next hop the Node's InternalIP (the
//!   annotation `ako.vmware.com/pod-cidrs` over `spec.podCIDRs`), labelled `clustername`;
//!   another cluster's and a user's routes already in the VRF stay as they are.
//! * A Node deleted → its routes go; a Node's pod CIDRs changed → its routes follow.
//! * A Node without a pod CIDR gets a Warning Event `NoStaticRoute` saying why.
//! * A restarted `ako run` writes nothing to the VRF.
//!
//! Nodes are cluster-wide in the shared testenv: this test's have names and CIDRs of their own,
//! the assertions look at those only, and the Nodes are deleted at the end.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use avi_client::{Client, Query};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually, scoped_namespace, values_yaml};

const PASSWORD: &str = "Run-Routes-Pw1";
const CLUSTER: &str = "routes";
const WAIT: Duration = Duration::from_secs(60);

/// The VRF `global`'s routes as `prefix/mask via next-hop [cluster label]`.
async fn routes(avi: &Client) -> Option<Vec<Value>> {
    let page = avi
        .list_page::<Value>("vrfcontext", &Query::new().name("global"))
        .await
        .ok()?;
    Some(
        page.results.first()?["static_routes"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    )
}

fn describe(r: &Value) -> String {
    let label = r["labels"][0]["value"].as_str().unwrap_or("-");
    format!(
        "{}/{} via {} [{label}]",
        r["prefix"]["ip_addr"]["addr"].as_str().unwrap_or_default(),
        r["prefix"]["mask"],
        r["next_hop"]["addr"].as_str().unwrap_or_default()
    )
}

/// This cluster's routes to this test's CIDRs (10.251.0.0/16), described, as a set.
async fn ours(avi: &Client) -> Option<BTreeSet<String>> {
    Some(
        routes(avi)
            .await?
            .iter()
            .map(describe)
            .filter(|d| d.starts_with("10.251.") && d.ends_with(&format!("[{CLUSTER}]")))
            .collect(),
    )
}

/// Wait until this cluster's routes are `want`; the other routes (`others`) must stay first and
/// untouched. Every route of the VRF.
async fn routes_become(what: &str, avi: &Client, run: &AkoRun, want: &BTreeSet<String>, others: &Value) -> Vec<Value> {
    eventually(what, WAIT, run, || async { (ours(avi).await? == *want).then_some(()) }).await;
    let all = routes(avi).await.unwrap();
    assert_eq!(
        all[..2],
        others.as_array().unwrap()[..],
        "the other routes stay first, untouched"
    );
    all
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| format!("{s} [{CLUSTER}]")).collect()
}

fn node(name: &str, annotations: Value, pod_cidr: Option<&str>) -> Node {
    let spec = pod_cidr.map_or(json!({}), |c| json!({"podCIDR": c, "podCIDRs": [c]}));
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": annotations}, "spec": spec}))
    .unwrap()
}

/// Create a Node with `ip` as its InternalIP (status written through its subresource, as a
/// kubelet does).
async fn create_node(nodes: &Api<Node>, n: Node, ip: &str) {
    let name = n.metadata.name.clone().unwrap();
    nodes.create(&PostParams::default(), &n).await.expect("create the Node");
    let status = json!({"status": {"addresses": [{"type": "InternalIP", "address": ip}]}});
    nodes
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("the Node's status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_follow_the_nodes_and_leave_other_routes_alone() {
    let ns = scoped_namespace("run-routes").await;
    let nodes: Api<Node> = Api::all(ns.client());
    let (sim, avi) = support::avisim(PASSWORD).await;
    // Another cluster's route and one a user added by hand.
    let mut vrf: Value = routes_object(&avi).await;
    let others = json!([
        {"route_id": "other-1", "prefix": {"ip_addr": {"addr": "10.252.0.0", "type": "V4"}, "mask": 24},
         "next_hop": {"addr": "10.9.0.1", "type": "V4"}, "labels": [{"key": "clustername", "value": "other"}]},
        {"route_id": "by-hand", "prefix": {"ip_addr": {"addr": "10.253.0.0", "type": "V4"}, "mask": 24},
         "next_hop": {"addr": "10.9.0.2", "type": "V4"}}
    ]);
    vrf["static_routes"] = others.clone();
    let uuid = vrf["uuid"].as_str().unwrap().to_owned();
    let _: Value = avi.update("vrfcontext", &uuid, &vrf).await.expect("seed the VRF");

    let prefix = ns.name().to_owned();
    let (a, b, c) = (format!("{prefix}-a"), format!("{prefix}-b"), format!("{prefix}-c"));
    create_node(&nodes, node(&a, json!({}), Some("10.251.1.0/24")), "10.9.1.1").await;
    let annotated = json!({"ako.vmware.com/pod-cidrs": "10.251.2.0/24,10.251.3.0/25"});
    create_node(&nodes, node(&b, annotated, Some("10.251.9.0/24")), "10.9.1.2").await;
    create_node(&nodes, node(&c, json!({}), None), "10.9.1.3").await;

    let dir = tempfile::tempdir().unwrap();
    let values = values_yaml(CLUSTER, ns.name()).replace("  disableStaticRouteSync: true\n", "");
    let start = |name: &str| AkoRun::with_yaml(dir.path(), name, &values, &sim.url(), &sim.ca_pem(), PASSWORD, |_| {});
    let run = start("ako-0");
    let want = set(&[
        "10.251.1.0/24 via 10.9.1.1",
        "10.251.2.0/24 via 10.9.1.2",
        "10.251.3.0/25 via 10.9.1.2",
    ]);
    let all = routes_become("a route per pod CIDR", &avi, &run, &want, &others).await;
    for r in all.iter().filter(|r| describe(r).ends_with(&format!("[{CLUSTER}]"))) {
        let id = r["route_id"].as_str().unwrap();
        assert!(id.starts_with(&format!("{CLUSTER}-")), "AKO's route id shape: {id}");
    }

    // The Node without a pod CIDR is told why.
    let events: Api<Event> = Api::namespaced(ns.client(), "default");
    let note = eventually("the NoStaticRoute Event on the Node", WAIT, &run, || async {
        let list = events.list(&ListParams::default()).await.ok()?.items;
        list.into_iter()
            .find(|e| {
                e.reason.as_deref() == Some("NoStaticRoute")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(c.as_str())
            })
            .and_then(|e| e.note)
    })
    .await;
    assert!(note.contains("spec.podCIDR"), "{note}");

    // A restart writes nothing to the VRF: the routes are the desired ones, ids aside.
    drop(run);
    sim.reset_counters();
    let run = start("ako-1");
    let port = run.admin_port(WAIT).await;
    // The routes stage runs before the first pass's sync: a converged pass has been through it.
    eventually("the restarted run converged", WAIT, &run, || async {
        let (_, text) = support::get(port, "/metrics").await?;
        (support::sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")? >= 1.0).then_some(())
    })
    .await;
    assert!(
        sim.counters().total(Some("GET"), Some("vrfcontext")) > 0,
        "the restarted run read the VRF"
    );
    assert_eq!(
        sim.counters().total(Some("PUT"), Some("vrfcontext")),
        0,
        "no VRF write after a restart"
    );

    // Node a goes; node b's CIDRs change.
    nodes.delete(&a, &DeleteParams::default()).await.expect("delete node a");
    let patch = json!({"metadata": {"annotations": {"ako.vmware.com/pod-cidrs": "10.251.4.0/24"}}});
    nodes
        .patch(&b, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("change node b's CIDRs");
    let want = set(&["10.251.4.0/24 via 10.9.1.2"]);
    routes_become("the routes follow the Nodes", &avi, &run, &want, &others).await;

    for n in [&a, &b, &c] {
        let _ = nodes.delete(n, &DeleteParams::default()).await;
    }
    eventually("no route left for this test's Nodes", WAIT, &run, || async {
        ours(&avi).await?.is_empty().then_some(())
    })
    .await;
}

/// The VRF `global` as stored.
async fn routes_object(avi: &Client) -> Value {
    let page = avi
        .list_page::<Value>("vrfcontext", &Query::new().name("global"))
        .await
        .expect("read the VRF");
    page.results.into_iter().next().expect("VRF global")
}
