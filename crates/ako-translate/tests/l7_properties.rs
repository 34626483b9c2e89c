//! Properties of the L7 translation over generated Ingresses (hosts shared between Ingresses
//! and namespaces, TLS with present and missing Secrets, missing Services, every shard mode):
//! every reference resolves inside the output or to a system object; the order objects are
//! loaded in and loading them twice change nothing; translating one model gives exactly that
//! model of the whole translation.

mod common;

use std::collections::BTreeSet;

use ako_translate::{Settings, Snapshot, Translation, Values, load_document, translate, translate_l7_model};
use avi_model::{ObjectRef, RefTarget};
use common::{cloud, refs, seeded_objects};
use proptest::prelude::*;
use serde_json::{Value, json};

const HOSTS: &[&str] = &[
    "a.avi.internal",
    "b.avi.internal",
    "c.avi.internal",
    "Mixed.Avi.Internal",
    "",
];
const PATHS: &[&str] = &["/", "/api", "/api/v2", ""];

/// A path: index into PATHS, Exact or not, backend `svc<n>`.
type PathSpec = (usize, bool, u8);

#[derive(Clone, Debug)]
struct Ing {
    ns: &'static str,
    name: String,
    /// Rules: index into HOSTS, paths.
    rules: Vec<(usize, Vec<PathSpec>)>,
    tls: Option<(usize, bool)>,
}

fn ing() -> impl Strategy<Value = Ing> {
    (
        prop_oneof![Just("red"), Just("blue")],
        "[a-z]{1,6}",
        proptest::collection::vec(
            (
                0..HOSTS.len(),
                proptest::collection::vec((0..PATHS.len(), any::<bool>(), 0u8..3), 1..3),
            ),
            1..3,
        ),
        proptest::option::of((0..HOSTS.len(), any::<bool>())),
    )
        .prop_map(|(ns, name, rules, tls)| Ing { ns, name, rules, tls })
}

impl Ing {
    fn docs(&self) -> Vec<Value> {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(h, paths)| {
                let paths: Vec<Value> = paths
                    .iter()
                    .map(|(p, exact, svc)| {
                        json!({"path": PATHS[*p], "pathType": if *exact {"Exact"} else {"Prefix"},
                               "backend": {"service": {"name": format!("svc{svc}"), "port": {"number": 80}}}})
                    })
                    .collect();
                json!({"host": HOSTS[*h], "http": {"paths": paths}})
            })
            .collect();
        let mut spec = json!({"rules": rules});
        let mut docs = Vec::new();
        if let Some((h, secret_exists)) = self.tls {
            let secret = format!("{}-tls", self.name);
            spec["tls"] = json!([{"hosts": [HOSTS[h]], "secretName": secret}]);
            if secret_exists {
                docs.push(
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret, "namespace": self.ns},
                    "stringData": {"tls.crt": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                                   "tls.key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"}}),
                );
            }
        }
        docs.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": self.name, "namespace": self.ns}, "spec": spec}));
        docs
    }
}

/// The cluster around the Ingresses: the default class, Services svc0 and svc1 (svc2 is
/// missing) with endpoints in both namespaces.
fn environment() -> Vec<Value> {
    let mut docs = vec![json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ako.vmware.com/avi-lb"}})];
    for ns in ["red", "blue"] {
        for (i, svc) in ["svc0", "svc1"].iter().enumerate() {
            docs.push(
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": ns},
                "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
            );
            docs.push(json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{svc}-x"), "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
                "addressType": "IPv4", "ports": [{"port": 8080}],
                "endpoints": [{"addresses": [format!("10.{i}.0.1")], "conditions": {"ready": true}}]}));
        }
    }
    docs
}

fn settings(shard: &str, no_pg: bool) -> Settings {
    let text = format!(
        "AKOSettings: {{clusterName: prop}}\nNetworkSettings: {{vipNetworkList: [{{networkName: vip-net}}]}}\nL7Settings: {{shardVSSize: {shard}, noPGForSNI: {no_pg}}}\n"
    );
    Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
}

fn snapshot(docs: &[Value]) -> Snapshot {
    let mut snap = Snapshot::new();
    for d in docs {
        load_document(&mut snap, d.clone()).unwrap();
    }
    snap
}

fn all_docs(ings: &[Ing]) -> Vec<Value> {
    let mut docs = environment();
    // Later Ingresses with the same namespace/name replace earlier ones, as in a cluster.
    docs.extend(ings.iter().flat_map(Ing::docs));
    docs
}

fn shard() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("LARGE"), Just("SMALL"), Just("DEDICATED")]
}

fn produced(t: &Translation) -> BTreeSet<(String, String)> {
    t.models
        .values()
        .flat_map(|m| m.objects.iter().map(|o| (o.kind.path().to_owned(), o.name.clone())))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_reference_resolves(ings in proptest::collection::vec(ing(), 1..5), shard in shard(), no_pg in any::<bool>()) {
        let t = translate(&snapshot(&all_docs(&ings)), &settings(shard, no_pg), &cloud());
        let seeded = seeded_objects();
        let produced = produced(&t);
        for object in t.models.values().flat_map(|m| &m.objects) {
            let mut found = Vec::new();
            refs(&object.body.to_value(), &mut found);
            for r in found.iter().filter(|r| !r.is_empty()) {
                let parsed = ObjectRef::parse(r).map_err(|e| TestCaseError::fail(format!("{r}: {e}")))?;
                let RefTarget::Name(name) = &parsed.target else {
                    return Err(TestCaseError::fail(format!("{r} is not a name reference")));
                };
                let key = (parsed.kind.clone(), name.clone());
                prop_assert!(produced.contains(&key) || seeded.contains(&key),
                    "{} {} refers to {r}, which is neither in the output nor a system object", object.kind, object.name);
            }
        }
    }

    #[test]
    fn load_order_and_repetition_change_nothing(ings in proptest::collection::vec(ing(), 1..5), shard in shard(), seed in any::<u64>()) {
        let settings = settings(shard, false);
        // What the API server would refuse is never part of the history (the loader leaves it
        // out, keeping the version before): the versions that count are the accepted ones.
        let docs: Vec<Value> = all_docs(&ings)
            .into_iter()
            .filter(|d| d["kind"] != "Ingress" || ako_translate::admission::ingress(d).is_empty())
            .collect();
        let base = translate(&snapshot(&docs), &settings, &cloud());
        // Same objects in another order (keeping the last version of each object last), and twice.
        let mut keyed: Vec<(usize, &Value)> = docs.iter().enumerate().collect();
        keyed.sort_by_key(|(i, _)| (*i as u64).wrapping_mul(seed | 1).rotate_left(17));
        let mut shuffled: Vec<Value> = Vec::new();
        let id = |d: &Value| (d["kind"].clone(), d["metadata"]["namespace"].clone(), d["metadata"]["name"].clone());
        for (_, d) in keyed {
            let last = docs.iter().rev().find(|x| id(x) == id(d)).unwrap();
            shuffled.push(last.clone());
        }
        prop_assert_eq!(&translate(&snapshot(&shuffled), &settings, &cloud()), &base);
        let twice: Vec<Value> = docs.iter().chain(docs.iter()).cloned().collect();
        prop_assert_eq!(&translate(&snapshot(&twice), &settings, &cloud()), &base);
    }

    #[test]
    fn one_model_is_that_model_of_the_whole(ings in proptest::collection::vec(ing(), 1..5), shard in shard()) {
        let settings = settings(shard, false);
        let snap = snapshot(&all_docs(&ings));
        let whole = ako_translate::translate_l7(&snap, &settings, &cloud());
        for (key, model) in &whole.models {
            let one = translate_l7_model(&snap, &settings, &cloud(), key);
            prop_assert_eq!(one.models.len(), 1, "{}", key);
            prop_assert_eq!(&one.models[key], model);
            let status: Vec<_> = whole.status.iter().filter(|s| s.model == *key).cloned().collect();
            prop_assert_eq!(one.status, status);
        }
    }
}
