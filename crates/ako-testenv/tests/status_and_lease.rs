//! Proof: a Service's status is written through the status subresource only, and a
//! coordination.k8s.io/v1 Lease is renewed with optimistic concurrency, as leader election does.

use ako_testenv::TestNamespace;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

fn lb_ingress_ips(service: &Service) -> Vec<String> {
    service
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .map(|ingress| ingress.iter().filter_map(|i| i.ip.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn service_status_goes_through_the_status_subresource() {
    let ns = TestNamespace::new("status").await;
    let api = ns.api::<Service>();
    let service = Service {
        metadata: ObjectMeta {
            name: Some("lb".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            ports: Some(vec![ServicePort {
                port: 443,
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    api.create(&PostParams::default(), &service).await.expect("create");

    // 192.0.2.0/24 is TEST-NET-1: a documentation address, only ever stored as data here.
    let vip = json!({"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}});

    // Through the main resource the status part of a patch is dropped.
    let via_main = api
        .patch("lb", &PatchParams::default(), &Patch::Merge(&vip))
        .await
        .expect("patch main resource");
    assert!(lb_ingress_ips(&via_main).is_empty(), "{via_main:?}");

    // Through /status it is stored, and a spec change in the same patch is dropped.
    let mut via_status = vip.clone();
    via_status["spec"] = json!({"ports": [{"port": 8443}]});
    api.patch_status("lb", &PatchParams::default(), &Patch::Merge(&via_status))
        .await
        .expect("patch status");

    let read_back = api.get_status("lb").await.expect("get status");
    assert_eq!(lb_ingress_ips(&read_back), vec!["192.0.2.10".to_owned()]);
    let ports = read_back.spec.and_then(|s| s.ports).expect("ports");
    assert_eq!(ports[0].port, 443, "spec must not change through /status");
    ns.delete().await;
}

#[tokio::test]
async fn lease_is_created_and_renewed() {
    let ns = TestNamespace::new("lease").await;
    let api = ns.api::<Lease>();
    let now = || Some(MicroTime(Timestamp::now()));
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some("ako-leader".into()),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("ako-0".into()),
            lease_duration_seconds: Some(15),
            acquire_time: now(),
            renew_time: now(),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        }),
    };
    let created = api.create(&PostParams::default(), &lease).await.expect("create lease");
    let first_renew = created
        .spec
        .as_ref()
        .and_then(|s| s.renew_time.clone())
        .expect("renewTime stored");

    // Renew as a leader does: replace carrying the resourceVersion that was read.
    let mut renewed = created.clone();
    renewed.spec.as_mut().expect("spec").renew_time = now();
    let renewed = api
        .replace("ako-leader", &PostParams::default(), &renewed)
        .await
        .expect("renew lease");
    let second_renew = renewed
        .spec
        .as_ref()
        .and_then(|s| s.renew_time.clone())
        .expect("renewTime stored");
    assert!(
        second_renew.0 > first_renew.0,
        "renewTime must move forward: {first_renew:?} -> {second_renew:?}"
    );
    assert_ne!(created.metadata.resource_version, renewed.metadata.resource_version);

    let stored = api.get("ako-leader").await.expect("get lease");
    assert_eq!(
        stored.spec.and_then(|s| s.renew_time),
        Some(second_renew),
        "the renewal is what is stored"
    );

    // A second candidate still holding the old resourceVersion must lose.
    let mut stale = created;
    stale.spec.as_mut().expect("spec").holder_identity = Some("ako-1".into());
    match api.replace("ako-leader", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 409, "{status:?}"),
        other => panic!("a stale lease update must conflict, got {other:?}"),
    }
    ns.delete().await;
}
