//! `ako run` end to end with the Gateway API (issue 20): a kube-apiserver of its own (testenv)
//! with the Gateway API's standard CRDs from the `sigs.k8s.io/gateway-api` module, avisim over
//! HTTPS, the real `ako` binary with `featureGates.GatewayAPI`.
//!
//! * A GatewayClass of AKO's controller, a Gateway with an HTTP listener and an HTTPRoute with
//!   two rules → the EVH parent `ako-gw-<cluster>--<ns>-<gw>-EVH` with its VsVip and the 404
//!   policy set, one EVH child, pool group and pool per rule, named as Go AKO's container names
//!   them; the GatewayClass Accepted, the Gateway Accepted and Programmed with the VIP in
//!   `addresses` and 1 Route attached to its listener, the HTTPRoute Accepted by it.
//! * Two full resyncs with nothing changed → no controller write, no status rewritten.
//! * The Namespace annotated with an AviInfraSetting → the parent moves to its SE group (the
//!   children stay on the global one, as AKO's container places them); a setting that does not
//!   exist → back on the global SE group, with a Warning Event on the Gateway.
//! * A rule removed → its child, pool group and pool deleted.
//! * A backend Service that does not exist → the Route's `ResolvedRefs` False,
//!   `BackendNotFound`, naming it; the rule is served without that pool.
//! * A backend Service of another namespace → `ResolvedRefs` False, `RefNotPermitted`, no pool;
//!   a ReferenceGrant there allowing the Route's namespace → served, `ResolvedRefs` True.
//! * The Gateway deleted → all its objects deleted.

mod support;

use std::time::Duration;

use ako_translate::crds::AviInfraSetting;
use ako_translate::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};
use support::{AkoRun, avi_object, avi_objects, create, eventually, ref_name};

const PASSWORD: &str = "Run-Gateway-Pw1";
const CLUSTER: &str = "gw";
const WAIT: Duration = Duration::from_secs(60);

/// The condition `type_` of a status's `conditions` as `(status, reason)`.
fn condition(status: &Value, type_: &str) -> Option<(String, String)> {
    status["conditions"].as_array()?.iter().find_map(|c| {
        (c["type"] == type_).then(|| {
            (
                c["status"].as_str().unwrap_or_default().to_owned(),
                c["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
    })
}

fn ok(reason: &str) -> Option<(String, String)> {
    Some(("True".to_owned(), reason.to_owned()))
}

/// Names of this cluster's objects of `kind` on the controller.
async fn names(avi: &avi_client::Client, kind: &str) -> Vec<String> {
    let prefix = format!("ako-gw-{CLUSTER}--");
    let mut out: Vec<String> = avi_objects(avi, kind)
        .await
        .iter()
        .filter_map(|o| o["name"].as_str())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// `ako run` with `featureGates.GatewayAPI`, serving namespace `ns` of `env` on `sim`.
fn start_ako(
    env: &ako_testenv::TestEnv,
    dir: &std::path::Path,
    sim: &avisim::Avisim,
    ns: &str,
    more: impl FnOnce(&mut std::process::Command),
) -> AkoRun {
    let values = format!(
        "{}featureGates:\n  GatewayAPI: true\n",
        support::values_yaml(CLUSTER, ns)
    );
    AkoRun::with_yaml_on(
        env.kubeconfig(),
        dir,
        "ako",
        &values,
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        more,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_and_http_routes_are_served_with_their_status() {
    let (env, client) = support::gateway_api_testenv().await;
    ako_testenv::install_crd(
        &client,
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/helm/ako/crds/ako.vmware.com_aviinfrasettings.yaml"),
    )
    .await
    .expect("install the AviInfraSetting CRD");
    let ns = support::scoped_namespace_in(&env, "gw").await;
    let name = ns.name().to_owned();
    support::web_backend(&ns, &["10.1.0.1", "10.1.0.2"]).await;
    let classes = Api::<GatewayClass>::all(client.clone());
    let gateways = Api::<Gateway>::namespaced(client.clone(), &name);
    create::<Gateway>(
        &ns,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
            "spec": {"gatewayClassName": "avi-lb", "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.avi.internal"}]}}),
    )
    .await;
    let routes = Api::<HttpRoute>::namespaced(client.clone(), &name);
    let rule = |path_type: &str, path: &str, backend: &str| {
        json!({"matches": [{"path": {"type": path_type, "value": path}}],
            "backendRefs": [{"name": backend, "port": 80}]})
    };
    create::<HttpRoute>(
        &ns,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["shop.avi.internal"],
                "rules": [rule("PathPrefix", "/", "web"), rule("Exact", "/api", "web")]}}),
    )
    .await;

    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let run = start_ako(&env, dir.path(), &sim, &name, |cmd| {
        cmd.arg("--resync-seconds").arg("3");
    });

    // The parent, its VsVip with the Route's host, and a child per rule.
    let parent = format!("ako-gw-{CLUSTER}--{name}-gw-EVH");
    let vs = eventually("the Gateway's parent", WAIT, &run, || {
        avi_object(&avi, "virtualservice", &parent)
    })
    .await;
    assert_eq!(vs["created_by"], format!("ako-gw-{CLUSTER}-avi-system"));
    assert_eq!(
        ref_name(&vs["http_policies"][0]["http_policy_set_ref"]),
        Some(format!("ako-gw-{CLUSTER}--default-backend").as_str())
    );
    let children = eventually("two children", WAIT, &run, || async {
        let children: Vec<Value> = avi_objects(&avi, "virtualservice")
            .await
            .into_iter()
            .filter(|v| ref_name(&v["vh_parent_vs_ref"]) == Some(parent.as_str()))
            .collect();
        (children.len() == 2).then_some(children)
    })
    .await;
    let mut paths: Vec<(String, String)> = children
        .iter()
        .map(|c| {
            let m = &c["vh_matches"][0]["rules"][0]["matches"]["path"];
            (
                m["match_criteria"].as_str().unwrap().to_owned(),
                m["match_str"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ("BEGINS_WITH".to_owned(), "/".to_owned()),
            ("EQUALS".to_owned(), "/api".to_owned())
        ]
    );
    for c in &children {
        assert_eq!(c["vh_matches"][0]["host"], "shop.avi.internal");
        let pg = avi_object(&avi, "poolgroup", ref_name(&c["pool_group_ref"]).unwrap())
            .await
            .expect("the child's pool group");
        let pool = avi_object(&avi, "pool", ref_name(&pg["members"][0]["pool_ref"]).unwrap())
            .await
            .expect("the rule's pool");
        let mut servers: Vec<&str> = pool["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ip"]["addr"].as_str().unwrap())
            .collect();
        servers.sort();
        assert_eq!(servers, ["10.1.0.1", "10.1.0.2"]);
    }
    let vsvip = avi_object(&avi, "vsvip", &parent).await.expect("the VsVip");
    assert_eq!(vsvip["dns_info"][0]["fqdn"], "shop.avi.internal");

    // Statuses.
    let vip = eventually("the VIP", WAIT, &run, || async {
        let v = avi_object(&avi, "vsvip", &parent).await?;
        v["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned)
    })
    .await;
    eventually("the GatewayClass Accepted", WAIT, &run, || async {
        let c = classes.get("avi-lb").await.ok()?;
        (condition(c.status.as_ref()?, "Accepted") == ok("Accepted")).then_some(())
    })
    .await;
    let status = eventually("the Gateway Programmed", WAIT, &run, || async {
        let g = gateways.get("gw").await.ok()?;
        let s = g.status?;
        (condition(&s, "Programmed") == ok("Programmed")).then_some(s)
    })
    .await;
    assert_eq!(condition(&status, "Accepted"), ok("Accepted"));
    assert_eq!(status["addresses"], json!([{"type": "IPAddress", "value": vip}]));
    assert_eq!(status["listeners"][0]["attachedRoutes"], 1);
    assert_eq!(condition(&status["listeners"][0], "ResolvedRefs"), ok("ResolvedRefs"));
    let parent_status = eventually("the HTTPRoute Accepted", WAIT, &run, || async {
        let r = routes.get("web").await.ok()?;
        let parent = r.status?["parents"][0].clone();
        (condition(&parent, "Accepted") == ok("Accepted")).then_some(parent)
    })
    .await;
    assert_eq!(parent_status["controllerName"], "ako.vmware.com/avi-lb");
    assert_eq!(parent_status["parentRef"]["name"], "gw");
    assert_eq!(
        parent_status["conditions"][0]["observedGeneration"],
        routes.get("web").await.unwrap().metadata.generation.unwrap()
    );

    // Settled: full resyncs write nothing, to the controller or to the statuses.
    let versions = || async {
        (
            classes.get("avi-lb").await.unwrap().metadata.resource_version,
            gateways.get("gw").await.unwrap().metadata.resource_version,
            routes.get("web").await.unwrap().metadata.resource_version,
        )
    };
    let before = versions().await;
    support::no_writes_over_two_resyncs(&run, &sim, WAIT).await;
    assert_eq!(
        versions().await,
        before,
        "statuses are not rewritten when nothing changed"
    );

    // An AviInfraSetting named by the Gateway's Namespace: the parent moves to its SE group.
    support::create_in::<AviInfraSetting>(
        &Api::all(client.clone()),
        json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "AviInfraSetting", "metadata": {"name": "gw-green"},
            "spec": {"seGroup": {"name": "infra-seg"}}}),
    )
    .await;
    let annotate = json!({"metadata": {"annotations": {"aviinfrasetting.ako.vmware.com/name": "gw-green"}}});
    Api::<Namespace>::all(client.clone())
        .patch(&name, &PatchParams::default(), &Patch::Merge(&annotate))
        .await
        .expect("annotate the Namespace");
    eventually("the parent on the setting's SE group", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &parent).await?;
        (ref_name(&vs["se_group_ref"]) == Some("infra-seg")).then_some(())
    })
    .await;
    for c in avi_objects(&avi, "virtualservice")
        .await
        .iter()
        .filter(|v| ref_name(&v["vh_parent_vs_ref"]) == Some(parent.as_str()))
    {
        assert_eq!(ref_name(&c["se_group_ref"]), Some("Default-Group"), "{c}");
    }
    // A setting that does not exist: back on the global SE group, and a Warning Event says why.
    let annotate = json!({"metadata": {"annotations": {"aviinfrasetting.ako.vmware.com/name": "gw-missing"}}});
    Api::<Namespace>::all(client.clone())
        .patch(&name, &PatchParams::default(), &Patch::Merge(&annotate))
        .await
        .expect("annotate the Namespace");
    eventually("the parent back on the global SE group", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &parent).await?;
        (ref_name(&vs["se_group_ref"]) == Some("Default-Group")).then_some(())
    })
    .await;
    let events = Api::<Event>::namespaced(client.clone(), &name);
    eventually("a Warning Event on the Gateway", WAIT, &run, || async {
        let list = events.list(&Default::default()).await.ok()?.items;
        list.into_iter().find(|e| {
            e.type_.as_deref() == Some("Warning")
                && e.regarding
                    .as_ref()
                    .is_some_and(|r| r.kind.as_deref() == Some("Gateway"))
                && e.note
                    .as_deref()
                    .is_some_and(|n| n.contains("\"gw-missing\" does not exist"))
        })
    })
    .await;

    // The /api rule removed, and a backend that does not exist added to the other.
    let patch = json!({"spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [{"name": "web", "port": 80}, {"name": "gone", "port": 80}]}]}});
    routes
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch the HTTPRoute");
    eventually("one child left", WAIT, &run, || async {
        let n = avi_objects(&avi, "virtualservice")
            .await
            .iter()
            .filter(|v| ref_name(&v["vh_parent_vs_ref"]) == Some(parent.as_str()))
            .count();
        (n == 1).then_some(())
    })
    .await;
    let message = eventually("ResolvedRefs False", WAIT, &run, || async {
        let r = routes.get("web").await.ok()?;
        let parent = r.status?["parents"][0].clone();
        let c = parent["conditions"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == "ResolvedRefs" && c["status"] == "False")?
            .clone();
        (c["reason"] == "BackendNotFound").then(|| c["message"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    assert!(message.contains(&format!("{name}/gone")), "{message}");
    assert_eq!(names(&avi, "poolgroup").await.len(), 1);
    assert_eq!(names(&avi, "pool").await.len(), 1, "the missing Service has no pool");

    // A backend in another namespace: refused until a ReferenceGrant there allows it.
    let other = support::scoped_namespace_in(&env, "gwb").await;
    support::web_backend(&other, &["10.2.0.1"]).await;
    let patch = json!({"spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [{"name": "web", "namespace": other.name(), "port": 80}]}]}});
    routes
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch the HTTPRoute");
    let resolved = |reason: &'static str| {
        let routes = routes.clone();
        move || {
            let routes = routes.clone();
            async move {
                let r = routes.get("web").await.ok()?;
                let parent = r.status?["parents"][0].clone();
                parent["conditions"]
                    .as_array()?
                    .iter()
                    .any(|c| c["type"] == "ResolvedRefs" && c["reason"] == reason)
                    .then_some(())
            }
        }
    };
    eventually("RefNotPermitted", WAIT, &run, resolved("RefNotPermitted")).await;
    assert!(names(&avi, "pool").await.is_empty(), "no pool without the grant");
    support::create_in::<ReferenceGrant>(
        &Api::namespaced(client.clone(), other.name()),
        json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": "from-routes"},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": name}],
                "to": [{"group": "", "kind": "Service"}]}}),
    )
    .await;
    eventually("ResolvedRefs with the grant", WAIT, &run, resolved("ResolvedRefs")).await;
    let pool = eventually("the granted backend's pool", WAIT, &run, || async {
        let pools = names(&avi, "pool").await;
        avi_object(&avi, "pool", pools.first()?).await
    })
    .await;
    assert_eq!(pool["servers"][0]["ip"]["addr"], "10.2.0.1");

    // The Gateway deleted: everything of it goes (the shared 404 policy set too: no Gateway
    // is left).
    gateways
        .delete("gw", &DeleteParams::default())
        .await
        .expect("delete the Gateway");
    eventually("the Gateway's objects deleted", WAIT, &run, || async {
        let mut left = Vec::new();
        for kind in ["virtualservice", "vsvip", "poolgroup", "pool", "httppolicyset"] {
            left.extend(names(&avi, kind).await);
        }
        left.is_empty().then_some(())
    })
    .await;
    drop(run);
    sim.shutdown().await;
}

/// A Gateway in AKO's dedicated mode: one normal virtual service whose policy set routes the
/// Route's rules; without the annotation it is an EVH parent again (the dedicated VS deleted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dedicated_gateway_is_one_virtual_service() {
    let (env, client) = support::gateway_api_testenv().await;
    let ns = support::scoped_namespace_in(&env, "gwd").await;
    let name = ns.name().to_owned();
    support::web_backend(&ns, &["10.1.0.1"]).await;
    create::<Gateway>(
        &ns,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "ded", "annotations": {"ako.vmware.com/dedicated-gateway-mode": "true"}},
            "spec": {"gatewayClassName": "avi-lb", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}),
    )
    .await;
    create::<HttpRoute>(
        &ns,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "app"},
            "spec": {"parentRefs": [{"name": "ded"}], "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [{"name": "web", "port": 80}]},
                {"matches": [{"path": {"type": "Exact", "value": "/api"}}], "backendRefs": [{"name": "web", "port": 80}]}]}}),
    )
    .await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let run = start_ako(&env, dir.path(), &sim, &name, |_| {});

    let dedicated = format!("ako-gw-{CLUSTER}--{name}-ded-L7-dedicated-EVH");
    let vs = eventually("the dedicated virtual service", WAIT, &run, || {
        avi_object(&avi, "virtualservice", &dedicated)
    })
    .await;
    assert_eq!(vs["type"], "VS_TYPE_NORMAL");
    let policy = eventually("its policy set", WAIT, &run, || async {
        let ps = ref_name(&vs["http_policies"][0]["http_policy_set_ref"])?.to_owned();
        avi_object(&avi, "httppolicyset", &ps).await
    })
    .await;
    let paths: Vec<&str> = policy["http_request_policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["match"]["path"]["match_str"][0].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/api", "/"], "exact before prefix");
    let routes = Api::<HttpRoute>::namespaced(client.clone(), &name);
    eventually("the HTTPRoute Accepted", WAIT, &run, || async {
        let r = routes.get("app").await.ok()?;
        let parent = r.status?["parents"][0].clone();
        (condition(&parent, "Accepted") == ok("Accepted")).then_some(())
    })
    .await;

    // The annotation removed: an EVH parent again, the dedicated VS gone.
    let plain = json!({"metadata": {"annotations": {"ako.vmware.com/dedicated-gateway-mode": null}}});
    Api::<Gateway>::namespaced(client.clone(), &name)
        .patch("ded", &PatchParams::default(), &Patch::Merge(&plain))
        .await
        .expect("patch the Gateway");
    let parent = format!("ako-gw-{CLUSTER}--{name}-ded-EVH");
    eventually("the EVH parent, and no dedicated VS", WAIT, &run, || async {
        let evh = avi_object(&avi, "virtualservice", &parent).await?;
        avi_object(&avi, "virtualservice", &dedicated)
            .await
            .is_none()
            .then_some(evh)
    })
    .await;
    drop(run);
    sim.shutdown().await;
}
