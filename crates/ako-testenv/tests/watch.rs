//! Proof: Ingress and LoadBalancer Service objects go through a real apiserver and show up on
//! kube-runtime watches as they are created, listed, modified and deleted.

use std::fmt::Debug;
use std::time::Duration;

use ako_testenv::{DEFAULT_WAIT, TestNamespace, list_names};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    ServiceBackendPort,
};
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;

type Events<K> = BoxStream<'static, Result<Event<K>, watcher::Error>>;

/// Reads watch events until one matches, failing after `timeout`; returns the match.
async fn next_matching<K: Debug>(
    events: &mut Events<K>,
    what: &str,
    timeout: Duration,
    matches: impl Fn(&Event<K>) -> bool,
) -> Event<K> {
    let found = tokio::time::timeout(timeout, async {
        while let Some(event) = events.try_next().await.expect("watch failed") {
            if matches(&event) {
                return Some(event);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        Ok(None) => panic!("watch ended before {what}"),
        Err(_) => panic!("no watch event for {what} within {timeout:?}"),
    }
}

fn applied<'a, K: ResourceExt>(event: &'a Event<K>, name: &str) -> Option<&'a K> {
    match event {
        Event::Apply(obj) | Event::InitApply(obj) if obj.name_any() == name => Some(obj),
        _ => None,
    }
}

/// Creates `obj` with a watch open, then lists, relabels and deletes it, checking each step is
/// seen on the watch. Returns the object as first seen on the watch.
async fn create_list_watch<K>(api: Api<K>, obj: K) -> K
where
    K: Resource + Clone + Debug + DeserializeOwned + serde::Serialize + Send + Sync + 'static,
    K::DynamicType: Default,
{
    let name = obj.meta().name.clone().expect("object has a name");
    let mut events: Events<K> = watcher::watcher(api.clone(), watcher::Config::default()).boxed();
    // The namespace is new, so the initial list is empty; after InitDone every event is live.
    next_matching(&mut events, "the initial list", DEFAULT_WAIT, |e| {
        matches!(e, Event::InitDone)
    })
    .await;

    api.create(&PostParams::default(), &obj).await.expect("create");
    let created = next_matching(&mut events, "the creation", DEFAULT_WAIT, |e| {
        applied(e, &name).is_some()
    })
    .await;
    let created = applied(&created, &name).cloned().expect("matched above");

    let listed = list_names(&api).await.expect("list");
    assert_eq!(listed, vec![name.clone()]);

    api.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"ako-testenv/step": "modified"}}})),
    )
    .await
    .expect("patch");
    next_matching(&mut events, "the label change", DEFAULT_WAIT, |e| {
        applied(e, &name).is_some_and(|o| o.labels().get("ako-testenv/step").map(String::as_str) == Some("modified"))
    })
    .await;

    api.delete(&name, &DeleteParams::default()).await.expect("delete");
    next_matching(
        &mut events,
        "the deletion",
        DEFAULT_WAIT,
        |e| matches!(e, Event::Delete(o) if o.name_any() == name),
    )
    .await;
    created
}

#[tokio::test]
async fn ingress_is_created_listed_and_watched() {
    let ns = TestNamespace::new("watch-ingress").await;
    let ingress = Ingress {
        metadata: ObjectMeta {
            name: Some("web".into()),
            ..ObjectMeta::default()
        },
        spec: Some(IngressSpec {
            ingress_class_name: Some("avi-lb".into()),
            rules: Some(vec![IngressRule {
                host: Some("web.example.com".into()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: "web".into(),
                                port: Some(ServiceBackendPort {
                                    number: Some(80),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    };

    let seen = create_list_watch(ns.api::<Ingress>(), ingress).await;
    let spec = seen.spec.expect("spec");
    assert_eq!(spec.ingress_class_name.as_deref(), Some("avi-lb"));
    let rules = spec.rules.expect("rules");
    assert_eq!(rules[0].host.as_deref(), Some("web.example.com"));
    ns.delete().await;
}

#[tokio::test]
async fn loadbalancer_service_is_created_listed_and_watched() {
    let ns = TestNamespace::new("watch-service").await;
    let service = Service {
        metadata: ObjectMeta {
            name: Some("lb".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            selector: Some([("app".to_owned(), "web".to_owned())].into()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };

    let seen = create_list_watch(ns.api::<Service>(), service).await;
    let spec = seen.spec.expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
    // Allocation is the apiserver's own work: proof that a real one answered.
    let cluster_ip = spec.cluster_ip.expect("a ClusterIP is allocated");
    assert!(cluster_ip.starts_with("10.0.0."), "{cluster_ip}");
    let node_port = spec.ports.expect("ports")[0].node_port;
    assert!(
        node_port.is_some_and(|p| (30000..=32767).contains(&p)),
        "a LoadBalancer Service gets a node port, got {node_port:?}"
    );
    ns.delete().await;
}
