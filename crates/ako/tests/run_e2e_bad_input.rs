//! The bad inputs of `tests/bad_input.rs`, through `ako run` against the real API server: what
//! the API server refuses never reaches ako-rs (and `ako plan`'s admission agrees with it, case by
//! case); every other bad Ingress gets a Warning Event saying what is wrong, while the good
//! Ingress is served and the process keeps running.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ako_translate::openshift::api::Route;
use kube::api::{Api, DynamicObject};
use kube::core::GroupVersionKind;
use kube::discovery::pinned_kind;
use serde_json::Value;
use support::bad_inputs::{BASE, Case, GOOD_ROUTE, cases, is_route_case};
use support::{AkoRun, create_any, eventually, scoped_namespace};

const PASSWORD: &str = "Bad-Input-Pw1";
const WAIT: Duration = Duration::from_secs(60);

/// The documents of `text` for namespace `ns`, names (but Services') suffixed with `-<n>` so
/// that every case lives in one namespace (a cluster-scoped AviInfraSetting's with `-<n>-<ns>`,
/// unique to the run): `None` when it is not YAML.
fn documents(text: &str, ns: &str, n: usize) -> Option<Vec<Value>> {
    let text = text.replace("secretName: cert", &format!("secretName: cert-{n}"));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).ok()?;
    Some(
        docs.into_iter()
            .filter(|d| d.is_object())
            .map(|mut d| {
                let name = d["metadata"]["name"].as_str().unwrap_or_default().to_owned();
                if d["kind"] == "AviInfraSetting" {
                    d["metadata"].as_object_mut().map(|m| m.remove("namespace"));
                    d["metadata"]["name"] = format!("{name}-{n}-{ns}").into();
                } else {
                    d["metadata"]["namespace"] = ns.into();
                    // The Service `web` every case's backend names keeps its name.
                    if d["kind"] != "Service" {
                        d["metadata"]["name"] = format!("{name}-{n}").into();
                    }
                }
                d
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_by_the_api_server_or_explained_by_an_event() {
    let (sim, _avi) = support::avisim(PASSWORD).await;
    let ns = scoped_namespace("run-bad").await;
    let client = ns.client();
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako/crds");
    for crd in std::fs::read_dir(&crds).unwrap() {
        ako_testenv::install_crd(&client, crd.unwrap().path())
            .await
            .expect("install the chart's CRDs");
    }
    for doc in documents(BASE, ns.name(), 0).unwrap() {
        create_any(&client, &doc).await.expect("the good objects");
    }
    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::with_values(dir.path(), "ako", "bad", ns.name(), &sim.url(), &sim.ca_pem(), PASSWORD);
    // Routes are served where the Route API is: their own test below.
    let cases = cases().into_iter().filter(|c| !is_route_case(c)).collect();
    let table = run_table(&client, ns.name(), cases, &ako).await;

    // The good Ingress is served all the same, and the process never stopped.
    let ingresses = ns.api::<k8s_openapi::api::networking::v1::Ingress>();
    eventually("the good Ingress served", WAIT, &ako, || async {
        let ing = ingresses.get("good-0").await.ok()?;
        (!ing.status?.load_balancer?.ingress?.is_empty()).then_some(())
    })
    .await;
    assert!(ako.exited().is_none());
    assert!(!ako.log_text().contains("panicked"));
    for row in table {
        println!("{row}");
    }
}

/// The Route cases where the Route API is served (OpenShift's Route CRD in an API server of its
/// own): `ako run` serves Routes there, beside a good one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_routes_are_refused_by_the_api_server_or_explained_by_an_event() {
    let (sim, _avi) = support::avisim(PASSWORD).await;
    let env = ako_testenv::TestEnv::start_private(&[]).expect("a testenv of its own");
    let client = env.client().await.expect("client");
    ako_testenv::install_crd(&client, support::route_crd())
        .await
        .expect("install OpenShift's Route CRD");
    let scoped = support::scoped_namespace_in(&env, "bad-routes").await;
    let ns = scoped.name().to_owned();
    for doc in documents(&format!("{BASE}---\n{GOOD_ROUTE}"), &ns, 0).unwrap() {
        create_any(&client, &doc).await.expect("the good objects");
    }
    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::with_yaml_on(
        env.kubeconfig(),
        dir.path(),
        "ako",
        &support::values_yaml("badr", &ns),
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        |_| {},
    );
    let cases = cases().into_iter().filter(is_route_case).collect();
    let table = run_table(&client, &ns, cases, &ako).await;

    // The good Route is admitted all the same, and the process never stopped.
    let routes = Api::<Route>::namespaced(client.clone(), &ns);
    eventually("the good Route admitted", WAIT, &ako, || async {
        let route = routes.get("good-route-0").await.ok()?;
        let admitted = route
            .status?
            .ingress
            .iter()
            .any(|i| i.conditions.iter().any(|c| c.type_ == "Admitted" && c.status == "True"));
        admitted.then_some(())
    })
    .await;
    assert!(ako.exited().is_none());
    assert!(!ako.log_text().contains("panicked"));
    for row in table {
        println!("{row}");
    }
}

/// Create each case's objects in namespace `ns`: the API server refuses them (where `ako plan`
/// does, naming the same field), or `ako` explains the case's bad object in a Warning Event.
/// The table rows for RELIABILITY.md.
async fn run_table(client: &kube::Client, ns: &str, cases: Vec<Case>, ako: &AkoRun) -> Vec<String> {
    // Each case's objects: the API server refuses, or accepts and ako-rs must explain. The object
    // to explain, (kind, name), is the case's `bad` one.
    let mut explain: BTreeMap<(String, String), (&'static str, Vec<String>)> = BTreeMap::new();
    let mut table = Vec::new();
    for (n, c) in cases.into_iter().enumerate() {
        let n = n + 1;
        let Some(docs) = documents(&c.manifest, ns, n) else {
            assert!(c.fails, "{}: not YAML, yet ako plan read it", c.name);
            continue;
        };
        let mut refusal = None;
        for doc in &docs {
            if let Err(e) = create_any(client, doc).await {
                refusal = Some(e);
            }
        }
        match (c.refused, refusal) {
            (true, Some(e)) => {
                // The field ako plan names is the one the API server names.
                for field in c.says.iter().filter(|s| s.contains("spec.") || s.contains("port.")) {
                    assert!(
                        e.contains(field),
                        "{}: the API server says {e}, ako plan {field}",
                        c.name
                    );
                }
                table.push(format!("| {} | refused by the API server: {e} |", c.name));
            }
            (true, None) => panic!("{}: ako plan refuses it, the API server accepts it", c.name),
            (false, Some(e)) => panic!("{}: the API server refuses it ({e}), ako plan does not", c.name),
            (false, None) => {
                // In this test's namespace, with this case's names.
                // What `ako plan` says of the object (its kind and name) is the Event's subject.
                let messages: Vec<String> = c
                    .says
                    .iter()
                    .filter(|s| {
                        !s.ends_with(" shop/bad") && !s.ends_with(" bad") && !s.contains("not translated by ako-rs")
                    })
                    .map(|s| {
                        s.replace("shop/", &format!("{}/", ns))
                            .replace("/cert", &format!("/cert-{n}"))
                    })
                    .collect();
                let names = [format!("bad-{n}"), format!("bad-{n}-{}", ns)];
                let bad = docs
                    .iter()
                    .find(|d| names.iter().any(|name| d["metadata"]["name"] == name.as_str()));
                if let (Some(bad), false) = (bad, messages.is_empty()) {
                    let kind = bad["kind"].as_str().unwrap_or_default().to_owned();
                    let name = bad["metadata"]["name"].as_str().unwrap_or_default().to_owned();
                    explain.insert((kind, name), (c.name, messages));
                }
            }
        }
    }
    assert!(!explain.is_empty());

    // Each accepted bad object: a Warning Event that says what is wrong (a cluster-scoped
    // object's in `default`).
    let events = Api::<k8s_openapi::api::events::v1::Event>::namespaced(client.clone(), ns);
    let default_events = Api::<k8s_openapi::api::events::v1::Event>::namespaced(client.clone(), "default");
    for ((kind, object), (name, messages)) in &explain {
        let events = if kind == "AviInfraSetting" {
            &default_events
        } else {
            &events
        };
        let note = eventually(&format!("the Event on {kind} {object} ({name})"), WAIT, ako, || async {
            let list = events.list(&Default::default()).await.ok()?.items;
            list.into_iter()
                .filter(|e| {
                    e.regarding.as_ref().is_some_and(|r| {
                        r.name.as_deref() == Some(object.as_str()) && r.kind.as_deref() == Some(kind.as_str())
                    })
                })
                .filter(|e| e.type_.as_deref() == Some("Warning"))
                .filter_map(|e| e.note)
                .find(|note| messages.iter().all(|m| note.contains(m)))
        })
        .await;
        table.push(format!("| {name} | Warning Event: {note} |"));
    }
    // The AviInfraSettings are cluster-wide: gone, so that no later test's `ako run` judges them.
    for ((kind, object), _) in explain.iter().filter(|((k, _), _)| k == "AviInfraSetting") {
        let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", kind);
        let (ar, _) = pinned_kind(client, &gvk).await.unwrap();
        Api::<DynamicObject>::all_with(client.clone(), &ar)
            .delete(object, &Default::default())
            .await
            .expect("delete the AviInfraSetting");
    }
    table
}
