//! Translation benchmark (L4 part of issue 4's): N LoadBalancer Services with two ports and an
//! EndpointSlice of three endpoints each → total translation time, peak memory, and the cost
//! of re-translating one Service after a change.
//!
//! Run: `cargo bench -p ako-translate --bench translate_l4` (N from `AKO_BENCH_SERVICES`, default 2000).

use std::time::{Duration, Instant};

use ako_translate::{CloudFacts, Settings, Snapshot, Values, translate_l4, translate_l4_service};
use serde_json::json;

fn snapshot(n: usize) -> Snapshot {
    let mut snap = Snapshot::new();
    for i in 0..n {
        let (ns, name) = (format!("team-{}", i % 50), format!("svc-{i}"));
        snap.insert_service(
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
        snap.insert_endpoint_slice(
            serde_json::from_value(json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{name}-abcde"), "namespace": ns,
                             "labels": {"kubernetes.io/service-name": name}},
                "addressType": "IPv4",
                "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}, {"name": "dns", "port": 5353, "protocol": "UDP"}],
                "endpoints": endpoints
            }))
            .unwrap(),
        );
    }
    snap
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

fn main() {
    let n: usize = std::env::var("AKO_BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let settings = Settings::from_values(
        &Values::from_yaml(
            "AKOSettings: {clusterName: bench}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}\n",
        )
        .unwrap(),
    )
    .unwrap();
    let cloud = CloudFacts {
        dns_domains: vec!["avi.internal".into()],
        license_tier: "ENTERPRISE".into(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: "CLOUD_NONE".into(),
    };
    let rss_before = peak_rss_mib().unwrap_or_default();
    let snap = snapshot(n);
    let rss_snapshot = peak_rss_mib().unwrap_or_default();

    let mut runs = Vec::new();
    let mut objects = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let out = translate_l4(&snap, &settings, &cloud);
        runs.push(t.elapsed());
        objects = out.models.values().map(|m| m.objects.len()).sum();
        assert!(out.failures.is_empty(), "{:?}", out.failures.first());
    }
    let rss_after = peak_rss_mib().unwrap_or_default();

    let (ns, name) = ("team-7".to_owned(), "svc-1007".to_owned());
    let mut one = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let out = translate_l4_service(&snap, &settings, &cloud, &ns, &name);
        one.push(t.elapsed());
        assert_eq!(out.models.len(), 1);
    }
    let full = median(runs);
    println!("{n} LoadBalancer Services (2 ports, 3 endpoints each) -> {objects} Avi objects");
    println!(
        "  full translation: median {full:.2?} over 5 runs ({:.1} µs per Service)",
        full.as_secs_f64() * 1e6 / n as f64
    );
    println!("  re-translate one Service: median {:.1?} over 1000 runs", median(one));
    println!(
        "  peak RSS: {rss_before:.1} MiB at start, {rss_snapshot:.1} MiB with the snapshot, {rss_after:.1} MiB after translating"
    );
}
