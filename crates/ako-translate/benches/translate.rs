//! Translation benchmark: I Ingresses (one host, 3 paths to their own ClusterIP Service with
//! an EndpointSlice of 3 endpoints; 30 % TLS with their own Secret) and S LoadBalancer Services
//! (two ports, an EndpointSlice of three endpoints) → total translation time, peak memory, and
//! the cost of re-translating one model after a change (one L7 shard, one L4 Service).
//!
//! Run: `cargo bench -p ako-translate --bench translate` (I from `AKO_BENCH_INGRESSES`, default
//! 10000; S from `AKO_BENCH_SERVICES`, default 2000; `AKO_BENCH_SHARD` LARGE/MEDIUM/SMALL,
//! default LARGE as in AKO's chart; `AKO_BENCH_EVH=1` for EVH mode; `AKO_BENCH_ROUTES=1` for as
//! many OpenShift Routes instead of the Ingresses: one path, 30 % edge with an inline certificate).

use std::time::{Duration, Instant};

use ako_translate::{CloudFacts, Settings, Snapshot, Values, translate, translate_l4_service, translate_l7_model};
use serde_json::json;

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUbench\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGbench\n-----END PRIVATE KEY-----\n";

fn add_ingresses(snap: &mut Snapshot, n: usize) {
    snap.insert::<k8s_openapi::api::networking::v1::IngressClass>(
        serde_json::from_value(json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
            "spec": {"controller": "ako.vmware.com/avi-lb"}
        }))
        .unwrap(),
    );
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("web-{i}"));
        let host = format!("app-{i}.avi.internal");
        let backend = json!({"service": {"name": name, "port": {"number": 80}}});
        let paths: Vec<_> = ["/", "/api", "/static"]
            .iter()
            .map(|p| json!({"path": p, "pathType": "Prefix", "backend": backend}))
            .collect();
        let mut spec = json!({"rules": [{"host": host, "http": {"paths": paths}}]});
        if i % 10 < 3 {
            spec["tls"] = json!([{"hosts": [host], "secretName": format!("{name}-tls")}]);
            snap.insert::<k8s_openapi::api::core::v1::Secret>(
                serde_json::from_value(json!({
                    "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                    "metadata": {"name": format!("{name}-tls"), "namespace": ns},
                    "stringData": {"tls.crt": PEM, "tls.key": KEY}
                }))
                .unwrap(),
            );
        }
        snap.insert::<k8s_openapi::api::networking::v1::Ingress>(
            serde_json::from_value(json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": name, "namespace": ns}, "spec": spec
            }))
            .unwrap(),
        );
        add_backend(snap, &ns, &name, i);
    }
}

/// N OpenShift Routes shaped like [`add_ingresses`]'s Ingresses: one host, path `/`, their own
/// Service; 30 % edge with their certificate inline.
fn add_routes(snap: &mut Snapshot, n: usize) {
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("web-{i}"));
        let mut spec = json!({"host": format!("app-{i}.avi.internal"), "path": "/",
            "to": {"kind": "Service", "name": name}});
        if i % 10 < 3 {
            spec["tls"] = json!({"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect",
                "certificate": PEM, "key": KEY});
        }
        snap.insert::<ako_translate::openshift::Route>(
            serde_json::from_value(json!({
                "apiVersion": "route.openshift.io/v1", "kind": "Route",
                "metadata": {"name": name, "namespace": ns}, "spec": spec
            }))
            .unwrap(),
        );
        add_backend(snap, &ns, &name, i);
    }
}

/// Service `ns/name` (port 80 → 8080) and its EndpointSlice of three endpoints.
fn add_backend(snap: &mut Snapshot, ns: &str, name: &str, i: usize) {
    snap.insert::<k8s_openapi::api::core::v1::Service>(
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
        }))
        .unwrap(),
    );
    let endpoints: Vec<_> = (0..3)
        .map(|e| json!({"addresses": [format!("10.{}.{}.{}", 100 + i / 65536 % 100, i / 256 % 256, i % 256)], "conditions": {"ready": e != 2}, "nodeName": format!("node-{e}")}))
        .collect();
    endpoint_slice(snap, ns, name, json!([{"port": 8080, "protocol": "TCP"}]), endpoints);
}

/// The EndpointSlice of Service `ns/name` with `ports` and `endpoints`.
fn endpoint_slice(
    snap: &mut Snapshot,
    ns: &str,
    name: &str,
    ports: serde_json::Value,
    endpoints: Vec<serde_json::Value>,
) {
    snap.insert_endpoint_slice(
        serde_json::from_value(json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{name}-abcde"), "namespace": ns,
                         "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4",
            "ports": ports,
            "endpoints": endpoints
        }))
        .unwrap(),
    );
}

fn add_services(snap: &mut Snapshot, n: usize) {
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("svc-{i}"));
        snap.insert::<k8s_openapi::api::core::v1::Service>(
            serde_json::from_value(json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"type": "LoadBalancer", "ports": [
                    {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                    {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}]}
            }))
            .unwrap(),
        );
        let endpoints: Vec<_> = (0..3)
            .map(|e| {
                json!({"addresses": [format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256 + e)],
                            "conditions": {"ready": e != 2}, "nodeName": format!("node-{e}")})
            })
            .collect();
        let ports = json!([{"name": "https", "port": 8443, "protocol": "TCP"}, {"name": "dns", "port": 5353, "protocol": "UDP"}]);
        endpoint_slice(snap, &ns, &name, ports, endpoints);
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let n_ing = env("AKO_BENCH_INGRESSES", 10_000);
    let n_svc = env("AKO_BENCH_SERVICES", 2_000);
    let shard = std::env::var("AKO_BENCH_SHARD").unwrap_or_else(|_| "LARGE".into());
    let evh = env("AKO_BENCH_EVH", 0) == 1;
    let routes = env("AKO_BENCH_ROUTES", 0) == 1;
    let settings = Settings::from_values(
        &Values::from_yaml(&format!(
            "AKOSettings: {{clusterName: bench, enableEVH: {evh}}}\nNetworkSettings: {{vipNetworkList: [{{networkName: vip-net}}]}}\nL7Settings: {{shardVSSize: {shard}}}\n"
        ))
        .unwrap(),
    )
    .unwrap();
    let cloud = CloudFacts {
        dns_domains: vec!["avi.internal".into()],
        license_tier: "ENTERPRISE".into(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: "CLOUD_NONE".into(),
        refs: Default::default(),
        now: None,
    };
    let rss_before = peak_rss_mib().unwrap_or_default();
    let mut snap = Snapshot::new();
    if routes {
        add_routes(&mut snap, n_ing);
    } else {
        add_ingresses(&mut snap, n_ing);
    }
    add_services(&mut snap, n_svc);
    let rss_snapshot = peak_rss_mib().unwrap_or_default();

    let mut runs = Vec::new();
    let (mut objects, mut models) = (0, 0);
    let mut some_l7_model = None;
    for _ in 0..3 {
        let t = Instant::now();
        let out = translate(&snap, &settings, &cloud);
        runs.push(t.elapsed());
        objects = out.models.values().map(|m| m.objects.len()).sum();
        models = out.models.len();
        assert!(out.failures.is_empty(), "{:?}", out.failures.first());
        some_l7_model = out.models.keys().find(|k| k.vs.contains("Shared-L7")).cloned();
    }
    let rss_after = peak_rss_mib().unwrap_or_default();

    let mut l7_one = Vec::new();
    if let Some(model) = &some_l7_model {
        for _ in 0..5 {
            let t = Instant::now();
            let out = translate_l7_model(&snap, &settings, &cloud, model);
            l7_one.push(t.elapsed());
            assert_eq!(out.models.len(), 1);
        }
    }
    let (ns, name) = ("team-7".to_owned(), "svc-1007".to_owned());
    let mut l4_one = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let out = translate_l4_service(&snap, &settings, &cloud, &ns, &name);
        l4_one.push(t.elapsed());
        assert_eq!(out.models.len(), usize::from(n_svc > 1007));
    }
    let full = median(runs);
    println!(
        "{n_ing} {} + {n_svc} LoadBalancer Services, shardVSSize {shard} -> {models} models, {objects} Avi objects",
        if routes {
            "Routes (1 path, 30 % edge)"
        } else {
            "Ingresses (3 paths, 30 % TLS)"
        }
    );
    println!("  full translation: median {full:.2?} over 3 runs");
    if !l7_one.is_empty() {
        println!(
            "  re-translate one L7 shard model: median {:.2?} over 5 runs",
            median(l7_one)
        );
    }
    println!(
        "  re-translate one LoadBalancer Service: median {:.1?} over 1000 runs",
        median(l4_one)
    );
    println!(
        "  peak RSS: {rss_before:.1} MiB at start, {rss_snapshot:.1} MiB with the snapshot, {rss_after:.1} MiB after translating"
    );
}
