//! Proof: a CRD installs into the apiserver, which then defaults and validates objects against
//! the CRD's OpenAPI schema (the HostRule CRD ako-rs ships, generated from its Rust types; AKO's
//! own is the same for what this checks, and both have the same name, so one test binary must
//! not install the other's while the suite shares an apiserver).

use ako_testenv::{TestNamespace, install_crd, list_names};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

const HOSTRULE_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/helm/ako/crds/ako.vmware.com_hostrules.yaml"
);

async fn hostrules(ns: &TestNamespace) -> (Api<DynamicObject>, ApiResource) {
    install_crd(&ns.client(), HOSTRULE_CRD)
        .await
        .expect("install the HostRule CRD");
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "HostRule");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "hostrules");
    (Api::namespaced_with(ns.client(), ns.name(), &resource), resource)
}

fn hostrule(resource: &ApiResource, name: &str, virtualhost: Value) -> DynamicObject {
    DynamicObject::new(name, resource).data(json!({"spec": {"virtualhost": virtualhost}}))
}

/// Creating `obj` must fail with 422 Invalid, naming `field` in the message.
async fn assert_invalid(api: &Api<DynamicObject>, obj: DynamicObject, field: &str) {
    let name = obj.name_any();
    match api.create(&PostParams::default(), &obj).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422, "{name}: {status:?}");
            assert_eq!(status.reason, "Invalid", "{name}: {status:?}");
            assert!(
                status.message.contains(field),
                "{name}: expected the message to name {field}: {}",
                status.message
            );
        }
        Ok(created) => panic!("{name} violates the schema but was accepted: {created:?}"),
        Err(other) => panic!("{name}: expected 422 Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn hostrule_schema_is_enforced() {
    let ns = TestNamespace::new("hostrule").await;
    let (api, resource) = hostrules(&ns).await;

    let valid = hostrule(&resource, "valid", json!({"fqdn": "web.example.com"}));
    let created = api
        .create(&PostParams::default(), &valid)
        .await
        .expect("a valid HostRule is accepted");
    // The default comes from the CRD schema: only a real apiserver applies it.
    assert_eq!(created.data["spec"]["virtualhost"]["fqdnType"], json!("Exact"));

    assert_invalid(
        &api,
        hostrule(
            &resource,
            "bad-enum",
            json!({"fqdn": "web.example.com", "fqdnType": "Bogus"}),
        ),
        "fqdnType",
    )
    .await;
    assert_invalid(
        &api,
        hostrule(&resource, "missing-fqdn", json!({"enableVirtualHost": true})),
        "fqdn",
    )
    .await;
    assert_invalid(
        &api,
        hostrule(
            &resource,
            "wrong-type",
            json!({"fqdn": "web.example.com", "enableVirtualHost": "yes"}),
        ),
        "enableVirtualHost",
    )
    .await;

    let stored = list_names(&api).await.expect("list");
    assert_eq!(stored, vec!["valid".to_owned()]);
    ns.delete().await;
}
