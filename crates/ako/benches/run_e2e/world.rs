//! The cluster the operator bench creates before an operator starts: N Ingresses, each with its
//! own Service and EndpointSlice, some with TLS, some with a HostRule; LoadBalancer Services with
//! their EndpointSlices; Secrets nobody names.

use ako_testenv::TestNamespace;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Requests in flight while creating the cluster's objects.
const CREATE_CONCURRENCY: usize = 16;

/// What to create.
pub struct Shape {
    /// Ingresses (one host each).
    pub ingresses: usize,
    /// Paths per Ingress, all to its Service.
    pub paths: usize,
    /// Percentage of the Ingresses with a TLS section (a Secret of their own).
    pub tls_percent: usize,
    /// Hosts with a HostRule (a controller certificate and a WAF policy: an SNI child).
    pub host_rules: usize,
    /// LoadBalancer Services, each with its EndpointSlice.
    pub lb_services: usize,
    /// Opaque Secrets of 1 KiB that nothing names.
    pub other_secrets: usize,
}

/// The endpoint address `e` of backend `i` (unique per backend: Ingress Services first, then
/// the LoadBalancer Services).
pub fn ip(i: usize, e: usize) -> String {
    format!("10.{}.{}.{}", 100 + i / 256 % 100, i % 256, e + 1)
}

/// The host of Ingress `i`.
pub fn host(i: usize) -> String {
    format!("app-{i}.avi.internal")
}

/// EndpointSlice `<service>-1` of backend `i` with `endpoints` ready endpoints.
pub fn slice(service: &str, i: usize, endpoints: usize) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-1"), "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "endpoints": (0..endpoints).map(|e| json!({"addresses": [ip(i, e)], "conditions": {"ready": true}})).collect::<Vec<_>>()
    })
}

/// Ingress `web-<i>`: `paths` paths (`/`, `/p1`, ...) then `extra` (added by changes), all to
/// Service `web-<i>`; TLS through Secret `tls-<i>` when `tls`.
pub fn ingress(i: usize, paths: usize, tls: bool, extra: &[String]) -> Value {
    let name = format!("web-{i}");
    let backend = json!({"service": {"name": name, "port": {"number": 80}}});
    let paths: Vec<Value> = (0..paths)
        .map(|p| if p == 0 { "/".to_owned() } else { format!("/p{p}") })
        .chain(extra.iter().cloned())
        .map(|path| json!({"path": path, "pathType": "Prefix", "backend": backend}))
        .collect();
    let mut spec = json!({"ingressClassName": "avi-lb", "rules": [{"host": host(i), "http": {"paths": paths}}]});
    if tls {
        spec["tls"] = json!([{"hosts": [host(i)], "secretName": format!("tls-{i}")}]);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name}, "spec": spec})
}

impl Shape {
    /// Whether Ingress `i` has TLS: the first `tls_percent` of every hundred.
    pub fn tls(&self, i: usize) -> bool {
        i % 100 < self.tls_percent
    }

    /// Create it all in `ns`. The Ingresses' Services are headless (the pools are built from the
    /// EndpointSlices either way); the LoadBalancer Services get ClusterIPs (the bench's testenv
    /// has a /16 Service range for them). Every TLS Secret holds the same wildcard certificate.
    pub async fn create(&self, ns: &TestNamespace) {
        let (cert, key) = super::support::certificate("*.avi.internal");
        let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "HostRule");
        let host_rules: Api<DynamicObject> = Api::namespaced_with(
            ns.client(),
            ns.name(),
            &ApiResource::from_gvk_with_plural(&gvk, "hostrules"),
        );
        // Every `every`-th host gets a HostRule.
        let every = self
            .ingresses
            .checked_div(self.host_rules)
            .map_or(usize::MAX, |e| e.max(1));
        let (services, slices, ingresses, secrets) = (
            ns.api::<Service>(),
            ns.api::<EndpointSlice>(),
            ns.api::<Ingress>(),
            ns.api::<Secret>(),
        );
        let web = |i: usize| {
            let (services, slices, ingresses, secrets, host_rules) =
                (&services, &slices, &ingresses, &secrets, &host_rules);
            let (cert, key) = (&cert, &key);
            async move {
                if i.is_multiple_of(every) && i / every < self.host_rules {
                    create(host_rules, json!({
                        "apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule", "metadata": {"name": format!("web-{i}")},
                        "spec": {"virtualhost": {"fqdn": host(i), "wafPolicy": "System-WAF-Policy",
                            "tls": {"sslKeyCertificate": {"name": "avi-cert", "type": "ref"}}}}
                    }))
                    .await;
                }
                let name = format!("web-{i}");
                create(services, json!({
                    "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                    "spec": {"clusterIP": "None", "ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": name}}
                }))
                .await;
                create(slices, slice(&name, i, 2)).await;
                if self.tls(i) {
                    create(secrets, json!({
                        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": format!("tls-{i}")},
                        "stringData": {"tls.crt": cert, "tls.key": key}
                    }))
                    .await;
                }
                create(ingresses, ingress(i, self.paths, self.tls(i), &[])).await;
            }
        };
        run_all((0..self.ingresses).map(web)).await;
        let lb = |j: usize| {
            let (services, slices) = (&services, &slices);
            async move {
                let name = format!("lb-{j}");
                create(services, json!({
                    "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                    "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": name}}
                }))
                .await;
                create(slices, slice(&name, self.ingresses + j, 2)).await;
            }
        };
        run_all((0..self.lb_services).map(lb)).await;
        let other = |i: usize| {
            let secrets = &secrets;
            async move {
                create(secrets, json!({
                    "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": format!("other-{i}")},
                    "stringData": {"data": "x".repeat(1024)}
                }))
                .await;
            }
        };
        run_all((0..self.other_secrets).map(other)).await;
    }
}

async fn create<K>(api: &Api<K>, object: Value)
where
    K: Clone + DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let object: K = serde_json::from_value(object).expect("a valid object");
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("create {object:?}: {e}"));
}

async fn run_all(work: impl Iterator<Item = impl Future<Output = ()>>) {
    futures::stream::iter(work)
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}
