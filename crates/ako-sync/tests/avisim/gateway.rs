//! Objects several models share, against avisim: Gateways of AKO's Gateway API all refer to one
//! 404 HTTP policy set. On a controller that has none, the first sync must create it before any
//! Gateway's virtual service refers to it: every Gateway converges in that sync, none is refused
//! with "HTTPPolicySet object not found".

use std::path::Path;

use ako_sync::{Owner, sync_once};
use ako_translate::{Settings, Snapshot, Values, load_manifests};
use avisim::{Fault, FaultAction};

use crate::support::sim::{self, options};

fn case(file: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ako-translate/testdata");
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// gw_basic's Gateway and `n - 1` more like it, each with its own listener host.
fn gateways(n: usize) -> String {
    (1..n)
        .map(|i| {
            format!(
                "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw{i}, namespace: shop}}\n\
                 spec: {{gatewayClassName: avi-lb, listeners: [{{name: http, protocol: HTTP, port: 80, hostname: 'gw{i}.avi.internal'}}]}}\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn gateways_sharing_the_404_policy_set_converge_in_one_sync() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let settings = Settings::from_values(&Values::from_yaml(&case("gateway/gw_basic/values.yaml")).unwrap()).unwrap();
    let mut snapshot = Snapshot::new();
    load_manifests(&mut snapshot, "environment.yaml", &case("l7/environment.yaml")).unwrap();
    let input = format!("{}\n{}", case("gateway/gw_basic/in.yaml"), gateways(6));
    load_manifests(&mut snapshot, "in.yaml", &input).unwrap();
    let cloud = ako_sync::cloud_facts(&client, &settings.cloud_name).await.unwrap();
    let desired = ako_translate::translate(&snapshot, &settings, &cloud);
    assert_eq!(desired.models.len(), 6, "a model per Gateway");
    let owner = Owner::for_settings(&settings);
    // The shared policy set is slow to create: a Gateway not waiting for it refers to nothing.
    sim.set_faults(vec![Fault {
        method: Some("POST".into()),
        object_type: Some("httppolicyset".into()),
        action: FaultAction::Delay { ms: 300 },
        rate: 1.0,
        times: None,
    }]);

    let (s, _) = sync_once(&client, &desired, &owner, &options()).await.unwrap();
    // One round: no Gateway waited for a retry of a refused reference.
    assert!(s.converged && s.rounds == 1, "{s}");
    let (s, _) = sync_once(&client, &desired, &owner, &options()).await.unwrap();
    assert!(s.converged && s.created + s.updated + s.deleted == 0, "{s}");
}
