//! Garbage in, no panic out: generated manifests with hostile values where Kubernetes lets
//! through (or `ako plan` reads) almost anything — hosts and paths of any characters and length,
//! unknown path types, ports out of range, named ports that do not exist, annotations with any
//! value, Secrets with any bytes, Services with odd ports, rules and backends missing — are loaded
//! (each document accepted or refused with a message) and translated in SNI and EVH modes, with
//! passthrough and every shard size. Translation never panics, is deterministic, and does not
//! depend on the order the objects were loaded in.

mod common;

use ako_translate::{Settings, Snapshot, Values, load_document, translate};
use common::cloud;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Strings a user might write, from the plausible to the hostile.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop_oneof![Just("a.avi.internal"), Just("b.avi.internal"), Just("*.avi.internal"), Just("/"), Just("/api")]
            .prop_map(str::to_owned),
        1 => Just(String::new()),
        2 => "[a-z0-9./*_-]{1,40}",
        1 => "\\PC{0,20}",
        1 => "[a-z]{63}\\.[a-z]{63}\\.[a-z]{63}\\.avi\\.internal",
    ]
}

/// A port as a backend names it: a number of any size, or a name.
fn port() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => Just(json!({"number": 80})),
        1 => any::<i32>().prop_map(|n| json!({"number": n})),
        1 => text().prop_map(|n| json!({"name": n})),
        1 => Just(json!({})),
    ]
}

fn backend() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (prop_oneof![Just("web".to_owned()), Just("api".to_owned()), text()], port())
            .prop_map(|(name, port)| json!({"service": {"name": name, "port": port}})),
        1 => Just(json!({"resource": {"kind": "Bucket", "name": "b"}})),
        1 => Just(json!({})),
    ]
}

fn path() -> impl Strategy<Value = Value> {
    (
        text(),
        prop_oneof![
            Just("Prefix"),
            Just("Exact"),
            Just("ImplementationSpecific"),
            Just("Regex")
        ],
        backend(),
    )
        .prop_map(|(p, t, b)| json!({"path": p, "pathType": t, "backend": b}))
}

fn ingress(n: usize) -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(
            (text(), proptest::option::of(proptest::collection::vec(path(), 0..3))),
            0..3,
        ),
        proptest::option::of((
            text(),
            prop_oneof![Just("tls".to_owned()), Just("other-tls".to_owned()), text()],
        )),
        proptest::option::of(prop_oneof![Just("true".to_owned()), text()]),
        proptest::option::of(backend()),
        prop_oneof![Just("shop"), Just("other")],
    )
        .prop_map(move |(rules, tls, passthrough, default, ns)| {
            let rules: Vec<Value> = rules
                .into_iter()
                .map(|(host, paths)| match paths {
                    Some(paths) => json!({"host": host, "http": {"paths": paths}}),
                    None => json!({"host": host}),
                })
                .collect();
            let mut spec = json!({"rules": rules});
            if let Some((host, secret)) = tls {
                spec["tls"] = json!([{"hosts": [host], "secretName": secret}]);
            }
            if let Some(b) = default {
                spec["defaultBackend"] = b;
            }
            let mut meta = json!({"name": format!("i{n}"), "namespace": ns});
            if let Some(p) = passthrough {
                meta["annotations"] = json!({"passthrough.ako.vmware.com/enabled": p});
            }
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec})
        })
}

/// Service `name`.
fn service(name: &'static str) -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("shop"), Just("other")],
        proptest::collection::vec(
            (
                text(),
                any::<i32>(),
                prop_oneof![any::<i32>().prop_map(|n| json!(n)), text().prop_map(|t| json!(t))],
            ),
            0..3,
        ),
        prop_oneof![Just("ClusterIP"), Just("LoadBalancer"), Just("NodePort")],
    )
        .prop_map(move |(ns, ports, type_)| {
            let ports: Vec<Value> = ports
                .into_iter()
                .map(|(name, port, target)| json!({"name": name, "port": port, "targetPort": target}))
                .collect();
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"type": type_, "ports": ports}})
        })
}

/// Secret `name`.
fn secret(name: &'static str) -> impl Strategy<Value = Value> {
    (prop_oneof![Just("shop"), Just("other")], text(), text()).prop_map(move |(ns, crt, key)| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "type": "kubernetes.io/tls", "stringData": {"tls.crt": crt, "tls.key": key}})
    })
}

fn settings(evh: bool, shard: &str) -> Settings {
    let text = format!(
        "AKOSettings:\n  clusterName: fz\n  enableEVH: {evh}\nNetworkSettings:\n  vipNetworkList: [{{networkName: vip-net}}]\n\
         L7Settings:\n  shardVSSize: {shard}\n"
    );
    Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
}

/// The documents loaded in this order; each one accepted or refused, never a panic.
fn snapshot<'a>(docs: impl Iterator<Item = &'a Value>) -> Snapshot {
    let mut snap = Snapshot::new();
    for doc in docs {
        let _ = load_document(&mut snap, doc.clone());
    }
    snap
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hostile_manifests_translate_without_panic_deterministically_in_any_load_order(
        ingresses in proptest::collection::vec(any::<usize>(), 1..4)
            .prop_flat_map(|v| v.into_iter().enumerate().map(|(n, _)| ingress(n)).collect::<Vec<_>>()),
        // Distinct names: two objects of one name would make the load order matter, rightly.
        services in (proptest::option::of(service("web")), proptest::option::of(service("api"))),
        secrets in (proptest::option::of(secret("tls")), proptest::option::of(secret("other-tls"))),
        evh in any::<bool>(),
        shard in prop_oneof![Just("LARGE"), Just("SMALL"), Just("DEDICATED")],
    ) {
        let settings = settings(evh, shard);
        let cloud = cloud();
        let docs: Vec<Value> = [services.0, services.1, secrets.0, secrets.1]
            .into_iter()
            .flatten()
            .chain(ingresses)
            .collect();
        let forward = translate(&snapshot(docs.iter()), &settings, &cloud);
        let again = translate(&snapshot(docs.iter()), &settings, &cloud);
        prop_assert_eq!(&forward, &again, "deterministic");
        let backward = translate(&snapshot(docs.iter().rev()), &settings, &cloud);
        prop_assert_eq!(&forward, &backward, "independent of the load order");
    }
}
