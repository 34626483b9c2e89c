//! Properties of the L4 translation over generated LoadBalancer Services: every reference in
//! the output resolves to an object of the same output or to a system object the controller
//! has (avisim's default seed stands for it), and loading the same manifests twice changes
//! nothing. A Service in two carries a shared-VIP key (`ako.vmware.com/enable-shared-vip`) and
//! half of them live in one namespace, so that groups form.

mod common;

use std::collections::BTreeSet;

use ako_translate::{Settings, Snapshot, Translation, Values, load_manifests, translate_l4, translate_l4_service};
use avi_model::{ObjectRef, RefTarget};
use common::{cloud, refs, seeded_objects};
use proptest::prelude::*;

const VALUES: &str = "
AKOSettings: {clusterName: prop}
NetworkSettings: {vipNetworkList: [{networkName: vip-net}]}
";

fn settings() -> Settings {
    Settings::from_values(&Values::from_yaml(VALUES).unwrap()).unwrap()
}

fn snapshot(text: &str, times: usize) -> Snapshot {
    let mut snap = Snapshot::new();
    for _ in 0..times {
        load_manifests(&mut snap, "generated.yaml", text).expect("generated manifests load");
    }
    snap
}

fn translate(text: &str, times: usize) -> Translation {
    translate_l4(&snapshot(text, times), &settings(), &cloud())
}

/// One Service with its EndpointSlice.
#[derive(Clone, Debug)]
struct Svc {
    ns: String,
    name: String,
    ports: Vec<(u16, &'static str)>,
    ready: Vec<bool>,
    shared_vip: Option<&'static str>,
}

impl Svc {
    fn yaml(&self) -> String {
        let ports: Vec<String> = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, (p, proto))| format!("{{name: p{i}, port: {p}, targetPort: {}, protocol: {proto}}}", p + 1))
            .collect();
        let slice_ports: Vec<String> = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, (p, proto))| format!("{{name: p{i}, port: {}, protocol: {proto}}}", p + 1))
            .collect();
        let endpoints: Vec<String> = self
            .ready
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "  - {{addresses: [10.0.{}.{}], conditions: {{ready: {r}}}}}",
                    self.ports.len(),
                    i + 1
                )
            })
            .collect();
        let annotations = match self.shared_vip {
            Some(key) => format!(", annotations: {{ako.vmware.com/enable-shared-vip: {key}}}"),
            None => String::new(),
        };
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: \"{n}\", namespace: \"{ns}\"{annotations}}}\nspec: {{type: LoadBalancer, ports: [{ports}]}}\n\
             ---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: \"{n}-abc\", namespace: \"{ns}\", labels: {{kubernetes.io/service-name: \"{n}\"}}}}\n\
             addressType: IPv4\nports: [{slice_ports}]\nendpoints:\n{endpoints}\n",
            n = self.name,
            ns = self.ns,
            ports = ports.join(", "),
            slice_ports = slice_ports.join(", "),
            endpoints = if endpoints.is_empty() {
                "  []".to_owned()
            } else {
                endpoints.join("\n")
            },
        )
    }
}

fn svc() -> impl Strategy<Value = Svc> {
    (
        prop_oneof![Just("shared".to_owned()), "[a-z][a-z0-9]{0,8}"],
        "[a-z][a-z0-9-]{0,10}[a-z0-9]",
        proptest::collection::btree_map(1u16..60000, prop_oneof![Just("TCP"), Just("UDP"), Just("SCTP")], 1..4),
        proptest::collection::vec(any::<bool>(), 0..4),
        prop_oneof![2 => Just(None), 1 => Just(Some("k1")), 1 => Just(Some("k2"))],
    )
        .prop_map(|(ns, name, ports, ready, shared_vip)| Svc {
            ns,
            name,
            ports: ports.into_iter().collect(),
            ready,
            shared_vip,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_reference_resolves(services in proptest::collection::vec(svc(), 1..5)) {
        let text: String = services.iter().map(Svc::yaml).collect();
        let t = translate(&text, 1);
        let seeded = seeded_objects();
        let produced: BTreeSet<(String, String)> = t
            .models
            .values()
            .flat_map(|m| m.objects.iter().map(|o| (o.kind.path().to_owned(), o.name.clone())))
            .collect();
        prop_assert!(!produced.is_empty() || !t.failures.is_empty(), "every Service yields objects or a failure");
        for model in t.models.values() {
            for object in &model.objects {
                let mut found = Vec::new();
                refs(&object.body.to_value(), &mut found);
                for r in found.iter().filter(|r| !r.is_empty()) {
                    let parsed = ObjectRef::parse(r).map_err(|e| TestCaseError::fail(format!("{r}: {e}")))?;
                    let RefTarget::Name(name) = &parsed.target else {
                        return Err(TestCaseError::fail(format!("{r} is not a name reference")));
                    };
                    let key = (parsed.kind.clone(), name.clone());
                    prop_assert!(
                        produced.contains(&key) || seeded.contains(&key),
                        "{} {} refers to {r}, which is neither in the output nor a system object",
                        object.kind,
                        object.name
                    );
                }
            }
        }
    }

    #[test]
    fn loading_the_same_manifests_twice_changes_nothing(services in proptest::collection::vec(svc(), 1..4)) {
        let text: String = services.iter().map(Svc::yaml).collect();
        let once = serde_json::to_string(&translate(&text, 1)).unwrap();
        let twice = serde_json::to_string(&translate(&text, 2)).unwrap();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn the_whole_is_the_union_of_per_service_translations(services in proptest::collection::vec(svc(), 1..5)) {
        let text: String = services.iter().map(Svc::yaml).collect();
        let snap = snapshot(&text, 1);
        let whole = translate_l4(&snap, &settings(), &cloud());
        let mut union = Translation::default();
        for k in snap.services().keys() {
            let one = translate_l4_service(&snap, &settings(), &cloud(), &k.namespace, &k.name);
            union.models.extend(one.models);
            union.failures.extend(one.failures);
            union.status.extend(one.status);
        }
        union.normalize();
        // Every Service of a shared-VIP group re-translates the whole group.
        union.failures.dedup();
        union.status.dedup();
        prop_assert_eq!(serde_json::to_string(&whole).unwrap(), serde_json::to_string(&union).unwrap());
    }
}
