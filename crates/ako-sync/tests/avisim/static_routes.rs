//! This cluster's static routes in the shared VRF context, against avisim: merged with another
//! cluster's and a user's routes (never touched), nothing written when they already are as
//! desired (whatever their ids), a concurrent change (412) merged again from a fresh read.

use avisim::faults::Fault;
use serde_json::{Value, json};

use crate::support::sim;

fn route(id: &str, prefix: &str, cluster: Option<&str>) -> Value {
    let mut r = json!({"route_id": id, "prefix": {"ip_addr": {"addr": prefix, "type": "V4"}, "mask": 24},
                       "next_hop": {"addr": "10.0.0.1", "type": "V4"}});
    if let Some(c) = cluster {
        r["labels"] = json!([{"key": "clustername", "value": c}]);
    }
    r
}

async fn routes(client: &avi_client::Client) -> Vec<Value> {
    let vrf = sim::get(client, "admin", "vrfcontext", "global")
        .await
        .expect("VRF global");
    vrf["static_routes"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn routes_merge_with_other_routes_and_are_written_only_when_they_change() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    // Another cluster's route and a user's, already there.
    let mut vrf = sim::get(&client, "admin", "vrfcontext", "global").await.unwrap();
    vrf["static_routes"] = json!([
        route("c2-x-0", "10.2.0.0", Some("c2")),
        route("user-1", "10.9.0.0", None)
    ]);
    let uuid = vrf["uuid"].as_str().unwrap().to_owned();
    let _: Value = client.tenant("admin").update("vrfcontext", &uuid, &vrf).await.unwrap();

    let sync = |desired: Vec<Value>| {
        let client = client.clone();
        async move { ako_sync::sync_static_routes(&client, "admin", "Default-Cloud", "global", "c1", &desired).await }
    };
    let mine = vec![
        route("c1-a-0", "10.1.0.0", Some("c1")),
        route("c1-b-0", "10.1.1.0", Some("c1")),
    ];
    assert_eq!(
        sync(mine.clone()).await.unwrap(),
        ako_sync::RoutesSynced::Written { before: 0, after: 2 }
    );
    let now = routes(&client).await;
    assert_eq!(
        now[..2],
        [
            route("c2-x-0", "10.2.0.0", Some("c2")),
            route("user-1", "10.9.0.0", None)
        ],
        "others kept, in place"
    );
    assert_eq!(now[2..], mine[..]);

    // The same routes under other ids (AKO's random ones) and order: nothing written.
    let writes = sim::writes_of(&sim, "vrfcontext");
    let renamed = vec![
        route("c1-q-0", "10.1.1.0", Some("c1")),
        route("c1-p-0", "10.1.0.0", Some("c1")),
    ];
    assert_eq!(sync(renamed).await.unwrap(), ako_sync::RoutesSynced::Unchanged);
    assert_eq!(sim::writes_of(&sim, "vrfcontext"), writes);

    // A concurrent change between read and write: merged again.
    sim.set_faults(vec![
        Fault::status(Some("PUT"), Some("vrfcontext"), 412, "Concurrent Update Error").times(1),
    ]);
    assert_eq!(
        sync(mine[..1].to_vec()).await.unwrap(),
        ako_sync::RoutesSynced::Written { before: 2, after: 1 }
    );
    assert_eq!(
        sim::writes_of(&sim, "vrfcontext"),
        writes + 2,
        "a refused PUT, then one that took"
    );
    let now = routes(&client).await;
    assert_eq!(now.len(), 3, "{now:?}");
    assert_eq!(now[2], mine[0]);

    // None wanted (a Node-less cluster, deleteConfig): ours go, the others stay.
    sync(Vec::new()).await.unwrap();
    assert_eq!(
        routes(&client).await,
        [
            route("c2-x-0", "10.2.0.0", Some("c2")),
            route("user-1", "10.9.0.0", None)
        ]
    );

    let missing = ako_sync::sync_static_routes(&client, "admin", "Default-Cloud", "no-such-vrf", "c1", &[])
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("no-such-vrf"), "{missing}");
    sim.shutdown().await;
}
