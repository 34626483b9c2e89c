//! Which Services are translated, and failures that do not affect other Services.

use ako_translate::{CloudFacts, Settings, Snapshot, Values, translate_l4};
use k8s_openapi::api::core::v1::Service;

fn svc(name: &str, class: Option<&str>, proto: &str, lb_ip: Option<&str>) -> Service {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"type": "LoadBalancer", "loadBalancerClass": class, "loadBalancerIP": lb_ip,
                 "ports": [{"name": "p", "port": 53, "protocol": proto}]}
    }))
    .unwrap()
}

fn settings(extra: &str) -> Settings {
    Settings::from_values(
        &Values::from_yaml(&format!(
            "NetworkSettings:\n  vipNetworkList: [{{networkName: vnet}}]\nAKOSettings:\n  clusterName: c\n{extra}"
        ))
        .unwrap(),
    )
    .unwrap()
}

#[test]
fn bad_service_fails_alone_and_foreign_class_is_ignored() {
    let mut snap = Snapshot::new();
    snap.insert(svc("good", None, "UDP", None));
    snap.insert(svc("badproto", None, "HTTP", None));
    snap.insert(svc("badip", None, "TCP", Some("not-an-ip")));
    snap.insert(svc("foreign", Some("other.io/lb"), "TCP", None));
    snap.insert(svc("ours", Some("ako.vmware.com/avi-lb"), "TCP", None));
    let t = translate_l4(&snap, &settings(""), &CloudFacts::default());
    let keys: Vec<&ako_translate::ModelKey> = t.models.keys().collect();
    assert_eq!(keys, ["admin/c--ns-good", "admin/c--ns-ours"]);
    let failed: Vec<(&str, &str)> = t
        .failures
        .iter()
        .map(|f| (f.object.name(), f.message.as_str()))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].0, "badip");
    assert!(failed[0].1.contains("not an IP address"));
    assert_eq!(failed[1].0, "badproto");
    assert!(failed[1].1.contains("HTTP"));
    // UDP only: UDP fast path, UDP health monitor; no auto FQDN without cloud DNS domains.
    let good = &t.models[&ako_translate::ModelKey::new("admin", "c--ns-good")];
    let vs = good
        .objects
        .iter()
        .find(|o| o.kind == avi_model::ObjectType::VirtualService)
        .unwrap();
    assert_eq!(
        vs.body.to_value()["network_profile_ref"],
        "/api/networkprofile/?name=System-UDP-Fast-Path"
    );
    let pool = good
        .objects
        .iter()
        .find(|o| o.kind == avi_model::ObjectType::Pool)
        .unwrap();
    assert_eq!(pool.name, "c--ns-good-UDP-53");
    assert_eq!(
        pool.body.to_value()["health_monitor_refs"][0],
        "/api/healthmonitor/?name=System-UDP"
    );
    assert!(t.status.iter().all(|s| s.hostname.is_none()));
}

#[test]
fn layer7_only_and_non_default_controller() {
    let mut snap = Snapshot::new();
    snap.insert(svc("a", None, "TCP", None));
    let t = translate_l4(&snap, &settings("  layer7Only: true\n"), &CloudFacts::default());
    assert!(t.models.is_empty() && t.failures.is_empty());
    let t = translate_l4(
        &snap,
        &settings("L4Settings:\n  defaultLBController: false\n"),
        &CloudFacts::default(),
    );
    assert!(t.models.is_empty());
}

#[test]
fn mixed_protocols_override_per_port() {
    let mut s: Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "dns", "namespace": "ns"},
        "spec": {"type": "LoadBalancer", "ports": [
            {"name": "udp", "port": 53, "protocol": "UDP"}, {"name": "tcp", "port": 53, "protocol": "TCP"}]}
    }))
    .unwrap();
    s.metadata.annotations = None;
    let snap = Snapshot::new().with(s);
    let t = translate_l4(
        &snap,
        &settings(""),
        &CloudFacts {
            license_tier: "ESSENTIALS".into(),
            ..Default::default()
        },
    );
    let vs = t.models[&ako_translate::ModelKey::new("admin", "c--ns-dns")]
        .objects
        .iter()
        .find(|o| o.kind == avi_model::ObjectType::VirtualService)
        .unwrap();
    assert_eq!(
        vs.body.to_value()["network_profile_ref"],
        "/api/networkprofile/?name=System-TCP-Fast-Path"
    );
    // services sorted by port name: "tcp" before "udp"; only the UDP one is overridden.
    assert!(
        vs.body.to_value()["services"][0]
            .get("override_network_profile_ref")
            .is_none()
    );
    assert_eq!(
        vs.body.to_value()["services"][1]["override_network_profile_ref"],
        "/api/networkprofile/?name=System-UDP-Fast-Path"
    );
}
