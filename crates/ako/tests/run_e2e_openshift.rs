//! `ako run` end to end with OpenShift Routes (issue 19): OpenShift's own Route CRD (from the
//! OpenShift API Go module, `scripts/route-crd.sh`) in a real kube-apiserver of its own (with the
//! Route API present ako-rs serves Routes instead of Ingresses, which the other tests' `ako run`
//! processes must not see), avisim over HTTPS, the real `ako` binary.
//!
//! * The Route API is found at start: Routes are served, an Ingress of the same namespace is not.
//! * An insecure Route: a pool per Service on the shared parent (`…-<ns>-<route>-<svc>`).
//! * An edge Route with its certificate inline, an alternate backend by weight and `Redirect`: an
//!   SNI child with the certificate, its pool group with the weights as ratios, the parent's
//!   redirect; a new weight reaches the controller.
//! * A reencrypt Route with a destination CA: TLS to the pool, a PKI profile with the CA.
//! * An edge Route without certificate: the AKO namespace's `router-certs-default`.
//! * Status: `status.ingress[]` with `routerName: ako-<cluster>`, the host, `Admitted` true with
//!   the VIP; another router's entry is kept as it was.
//! * A Route naming one Service twice: not served, a Warning Event saying why, and our status
//!   entry `Admitted: False` with AKO's error name as the reason; fixed, it is admitted.
//! * `useDefaultSecretsOnly`: a HostRule naming a Secret outside the AKO namespace is Rejected
//!   with AKO's message.
//! * Two resyncs with nothing changed write nothing; the Routes' private keys are in no log line,
//!   Event or `/api/status`; a deleted Route's objects go.
//!
//! Everything is polled with a deadline.

mod support;

use std::path::Path;
use std::time::Duration;

use ako_translate::crds::HostRule;
use ako_translate::openshift::Route;
use k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, avi_object, avi_objects, create_in, eventually, ref_name};

const PASSWORD: &str = "Run-Route-Pw1";
const CLUSTER: &str = "oshift";
const WAIT: Duration = Duration::from_secs(60);

/// OpenShift's Route CRD, from the OpenShift API Go module (downloaded through the Go proxy).
fn route(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": name}, "spec": spec})
}

async fn service(api: &Api<Service>, slices: &Api<EndpointSlice>, name: &str, ip: &str) {
    create_in::<Service>(
        api,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": name}}}),
    )
    .await;
    create_in::<EndpointSlice>(slices, support::slice(&format!("{name}-1"), name, &[ip])).await;
}

/// Our router's `(host, VIP)` entries admitted in the Route's status, and the other routers' names.
async fn route_status(routes: &Api<Route>, name: &str) -> (Vec<(String, String)>, Vec<String>) {
    let Ok(r) = routes.get(name).await else {
        return (Vec::new(), Vec::new());
    };
    let entries = r.status.map(|s| s.ingress).unwrap_or_default();
    let router = format!("ako-{CLUSTER}");
    let ours = entries
        .iter()
        .filter(|e| e.router_name == router)
        .flat_map(|e| {
            e.conditions
                .iter()
                .filter(|c| c.type_ == "Admitted" && c.status == "True")
                .map(|c| (e.host.clone(), c.message.clone().unwrap_or_default()))
        })
        .collect();
    let others = entries
        .iter()
        .filter(|e| e.router_name != router)
        .map(|e| e.router_name.clone())
        .collect();
    (ours, others)
}

async fn vip_of(avi: &avi_client::Client, name: &str) -> Option<String> {
    let vsvip = avi_object(avi, "vsvip", name).await?;
    vsvip["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned)
}

/// `(pool, ratio)` of a pool group's members.
async fn members(avi: &avi_client::Client, pg: &str) -> Option<Vec<(String, u64)>> {
    let pg = avi_object(avi, "poolgroup", pg).await?;
    let mut out: Vec<(String, u64)> = pg["members"]
        .as_array()?
        .iter()
        .map(|m| {
            (
                ref_name(&m["pool_ref"]).unwrap_or_default().to_owned(),
                m["ratio"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_are_served_instead_of_ingresses_with_their_status() {
    let env = ako_testenv::TestEnv::start_private(&[]).expect("a testenv of its own");
    let client = env.client().await.expect("client");
    ako_testenv::install_crd(&client, support::route_crd())
        .await
        .expect("install OpenShift's Route CRD");
    let hostrules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako/crds/ako.vmware.com_hostrules.yaml");
    ako_testenv::install_crd(&client, hostrules)
        .await
        .expect("install the chart's HostRule CRD");
    let ns = format!("route-{:06x}", rand::random::<u32>() & 0xff_ffff);
    for (name, labels) in [(ns.as_str(), json!({"ako-e2e": ns})), ("avi-system", json!({}))] {
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("namespace");
    }
    let services = Api::<Service>::namespaced(client.clone(), &ns);
    let slices = Api::<EndpointSlice>::namespaced(client.clone(), &ns);
    service(&services, &slices, "a", "10.1.0.1").await;
    service(&services, &slices, "b", "10.1.0.2").await;
    // Routes' default certificate, in the AKO namespace.
    let (default_cert, default_key) = support::certificate("router.avi.internal");
    create_in::<Secret>(
        &Api::namespaced(client.clone(), "avi-system"),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "router-certs-default"},
            "stringData": {"tls.crt": default_cert, "tls.key": default_key}}),
    )
    .await;
    let routes = Api::<Route>::namespaced(client.clone(), &ns);
    let (cert, key) = support::certificate("edge.avi.internal");
    let (ca, _) = support::certificate("backend-ca");
    for body in [
        route(
            "plain",
            json!({"host": "plain.avi.internal", "to": {"kind": "Service", "name": "a"}}),
        ),
        route(
            "edge",
            json!({"host": "edge.avi.internal", "path": "/app",
                "to": {"kind": "Service", "name": "a", "weight": 100},
                "alternateBackends": [{"kind": "Service", "name": "b", "weight": 50}],
                "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect",
                    "certificate": cert, "key": key}}),
        ),
        route(
            "reenc",
            json!({"host": "reenc.avi.internal", "to": {"kind": "Service", "name": "b"},
                "tls": {"termination": "reencrypt", "certificate": cert, "key": key,
                    "destinationCACertificate": ca}}),
        ),
        route(
            "dflt",
            json!({"host": "dflt.avi.internal", "to": {"kind": "Service", "name": "a"},
                "tls": {"termination": "edge"}}),
        ),
        route(
            "twice",
            json!({"host": "twice.avi.internal", "to": {"kind": "Service", "name": "a"},
                "alternateBackends": [{"kind": "Service", "name": "a", "weight": 20}]}),
        ),
    ] {
        create_in::<Route>(&routes, body).await;
    }
    // Another router admitted `plain` before ako-rs started: its entry must stay.
    routes
        .patch_status(
            "plain",
            &PatchParams::default(),
            &Patch::Merge(
                &json!({"status": {"ingress": [{"host": "plain.avi.internal", "routerName": "default",
                "conditions": [{"type": "Admitted", "status": "True"}]}]}}),
            ),
        )
        .await
        .expect("another router's status");
    // A HostRule naming a Secret of the Route's namespace: refused under useDefaultSecretsOnly.
    create_in::<Secret>(
        &Api::namespaced(client.clone(), &ns),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "plain-tls"},
            "stringData": {"tls.crt": cert, "tls.key": key}}),
    )
    .await;
    create_in::<HostRule>(
        &Api::namespaced(client.clone(), &ns),
        json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule", "metadata": {"name": "plain-cert"},
            "spec": {"virtualhost": {"fqdn": "plain.avi.internal",
                "tls": {"sslKeyCertificate": {"name": "plain-tls", "type": "secret"}, "termination": "edge"}}}}),
    )
    .await;
    // An Ingress: not served where the Route API exists.
    create_in::<Ingress>(
        &Api::namespaced(client.clone(), &ns),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
            "spec": {"ingressClassName": "avi-lb", "rules": [{"host": "ing.avi.internal", "http": {"paths": [{"path": "/",
                "pathType": "Prefix", "backend": {"service": {"name": "a", "port": {"number": 80}}}}]}}]}}),
    )
    .await;

    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let run = AkoRun::with_yaml_on(
        env.kubeconfig(),
        dir.path(),
        "ako",
        &support::values_yaml(CLUSTER, &ns).replace("AKOSettings:\n", "AKOSettings:\n  useDefaultSecretsOnly: true\n"),
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        |cmd| {
            cmd.arg("--resync-seconds").arg("3");
        },
    );

    // The insecure Route: a pool per Service on the shared parent, with the Service's endpoint.
    let parent = format!("{CLUSTER}--Shared-L7-0");
    let plain_pool = format!("{CLUSTER}--plain.avi.internal-{ns}-plain-a");
    let pool = eventually("the insecure Route's pool", WAIT, &run, || {
        avi_object(&avi, "pool", &plain_pool)
    })
    .await;
    assert_eq!(pool["servers"][0]["ip"]["addr"], "10.1.0.1");
    // The edge Route: an SNI child with the inline certificate, the weights as ratios.
    let child_name = format!("{CLUSTER}--edge.avi.internal");
    let child = eventually("the edge Route's SNI child", WAIT, &run, || {
        avi_object(&avi, "virtualservice", &child_name)
    })
    .await;
    assert_eq!(ref_name(&child["vh_parent_vs_ref"]), Some(parent.as_str()));
    let keycert = avi_object(&avi, "sslkeyandcertificate", &format!("{CLUSTER}--edge.avi.internal"))
        .await
        .expect("the edge Route's certificate");
    assert_eq!(
        keycert["certificate"]["certificate"].as_str().map(str::trim),
        Some(cert.trim())
    );
    let edge_pg = format!("{CLUSTER}--{ns}-edge.avi.internal_app-edge");
    let pool_a = format!("{edge_pg}-a");
    let pool_b = format!("{edge_pg}-b");
    assert_eq!(
        members(&avi, &edge_pg).await,
        Some(vec![(pool_a.clone(), 100), (pool_b.clone(), 50)])
    );
    let redirect = avi_object(&avi, "httppolicyset", &parent)
        .await
        .expect("the parent's redirect");
    let redirected = &redirect["http_request_policy"]["rules"][0]["match"]["host_hdr"]["value"];
    assert!(
        redirected.as_array().unwrap().iter().any(|h| h == "edge.avi.internal"),
        "{redirected}"
    );
    // The reencrypt Route: TLS to the backends, checked with its destination CA.
    let reenc_pool = format!("{CLUSTER}--{ns}-reenc.avi.internal-reenc-b");
    let pool = avi_object(&avi, "pool", &reenc_pool).await.expect("the reencrypt pool");
    assert_eq!(pool["sni_enabled"], true);
    assert_eq!(ref_name(&pool["ssl_profile_ref"]), Some("System-Standard"));
    let pki = avi_object(&avi, "pkiprofile", &format!("{reenc_pool}-pkiprofile"))
        .await
        .expect("the destination CA's PKI profile");
    assert_eq!(
        pki["ca_certs"][0]["certificate"].as_str().map(str::trim),
        Some(ca.trim())
    );
    // The edge Route without certificate: the default one.
    let dflt = avi_object(
        &avi,
        "sslkeyandcertificate",
        &format!("{CLUSTER}--router-certs-default"),
    )
    .await
    .expect("the default certificate");
    assert_eq!(
        dflt["certificate"]["certificate"].as_str().map(str::trim),
        Some(default_cert.trim())
    );

    // Status: our entry with the VIP; the other router's kept.
    let vip = eventually("the VIP", WAIT, &run, || vip_of(&avi, &parent)).await;
    for (name, host) in [
        ("plain", "plain.avi.internal"),
        ("edge", "edge.avi.internal"),
        ("dflt", "dflt.avi.internal"),
    ] {
        eventually(&format!("the status of Route {name}"), WAIT, &run, || async {
            let (ours, _) = route_status(&routes, name).await;
            (ours == [(host.to_owned(), vip.clone())]).then_some(())
        })
        .await;
    }
    assert_eq!(
        route_status(&routes, "plain").await.1,
        ["default"],
        "another router's entry is kept"
    );

    // useDefaultSecretsOnly: the HostRule's Secret is outside the AKO namespace; plain stays
    // insecure (its pool on the parent, checked above).
    let rules = Api::<HostRule>::namespaced(client.clone(), &ns);
    eventually("the HostRule refused", WAIT, &run, || async {
        let status = rules.get("plain-cert").await.ok()?.status?;
        (status.status.as_deref() == Some("Rejected")
            && status.error.as_deref() == Some("secret handling is restricted to avi-system namespace only"))
        .then_some(())
    })
    .await;

    // The Route naming a Service twice: a Warning Event, no objects, no status.
    let events = Api::<Event>::namespaced(client.clone(), &ns);
    eventually("a Warning Event on Route twice", WAIT, &run, || async {
        let list = events.list(&Default::default()).await.ok()?;
        list.items
            .iter()
            .any(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("twice")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note
                        .as_deref()
                        .is_some_and(|n| n.contains("MultipleBackendsWithSameServiceError"))
            })
            .then_some(())
    })
    .await;
    // And in its status: our entry `Admitted: False` with AKO's error name as the reason.
    eventually("Route twice refused in its status", WAIT, &run, || async {
        let r = routes.get("twice").await.ok()?;
        let entries = r.status?.ingress;
        let ours: Vec<_> = entries
            .iter()
            .filter(|e| e.router_name == format!("ako-{CLUSTER}"))
            .collect();
        let refused = matches!(ours.as_slice(), [e] if e.host == "twice.avi.internal"
            && e.conditions.iter().any(|c| c.type_ == "Admitted" && c.status == "False"
                && c.reason.as_deref() == Some("MultipleBackendsWithSameServiceError")));
        refused.then_some(())
    })
    .await;
    assert!(route_status(&routes, "twice").await.0.is_empty(), "not admitted");
    // The Ingress is not served.
    let pools = avi_objects(&avi, "pool").await;
    assert!(
        !pools
            .iter()
            .any(|p| p["name"].as_str().is_some_and(|n| n.contains("ing.avi.internal"))),
        "an Ingress is not served where the Route API exists"
    );

    support::no_writes_over_two_resyncs(&run, &sim, WAIT).await;

    // The Routes' private keys (inline, and the default certificate's) appear in nothing ako-rs
    // emits: its log, the Events, its /api/status.
    let port = run.admin_port(WAIT).await;
    let (_, api_status) = support::get(port, "/api/status").await.expect("/api/status");
    let events_text = serde_json::to_string(&events.list(&Default::default()).await.expect("events").items).unwrap();
    for (what, pem) in [
        ("the edge Route's key", &key),
        ("router-certs-default's key", &default_key),
    ] {
        let body = pem.lines().find(|l| !l.starts_with("-----")).expect("a PEM body line");
        for (place, text) in [
            ("log", run.log_text()),
            ("Events", events_text.clone()),
            ("/api/status", api_status.clone()),
        ] {
            assert!(!text.contains(body), "{what} appears in the {place}");
        }
    }

    // Fixed, the refused Route is admitted: our False entry replaced by the VIP.
    routes
        .patch(
            "twice",
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"alternateBackends": [{"kind": "Service", "name": "b", "weight": 20}]}})),
        )
        .await
        .expect("fix Route twice");
    eventually("Route twice admitted", WAIT, &run, || async {
        let (ours, _) = route_status(&routes, "twice").await;
        (ours == [("twice.avi.internal".to_owned(), vip.clone())]).then_some(())
    })
    .await;

    // A new weight reaches the controller.
    routes
        .patch(
            "edge",
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"alternateBackends": [{"kind": "Service", "name": "b", "weight": 10}]}})),
        )
        .await
        .expect("change the weight");
    eventually("the new ratio", WAIT, &run, || async {
        (members(&avi, &edge_pg).await? == vec![(pool_a.clone(), 100), (pool_b.clone(), 10)]).then_some(())
    })
    .await;

    // A deleted Route's objects go.
    routes
        .delete("edge", &DeleteParams::default())
        .await
        .expect("delete the Route");
    eventually("the edge Route's objects gone", WAIT, &run, || async {
        let child = avi_object(&avi, "virtualservice", &child_name).await;
        let pg = avi_object(&avi, "poolgroup", &edge_pg).await;
        (child.is_none() && pg.is_none()).then_some(())
    })
    .await;
    assert!(run.exited().is_none(), "ako run keeps running");
}
