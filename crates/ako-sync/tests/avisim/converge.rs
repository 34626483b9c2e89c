//! From empty to the desired state, then only what changed: a second run sends no write, a
//! changed endpoint rewrites one pool, a removed Service goes top-down, an L7 host's SNI child
//! goes before the objects it used while the shared parent stays.

use ako_sync::{Summary, sync, sync_once};
use avi_client::Client;
use serde_json::json;

use crate::support::desired::{Host, Svc, desired_keys, l4, l7_model, merge, translation};
use crate::support::sim::{self, names, options, owner, write_log};

fn services() -> Vec<Svc> {
    vec![
        Svc::new("shop", "web"),
        Svc::new("shop", "dns").ports(vec![("TCP", 53, 5353), ("UDP", 53, 5353)]),
        Svc::new("billing", "api").endpoints(&["10.2.0.1"]),
    ]
}

fn hosts() -> Vec<Host> {
    vec![
        Host::new("a.example.com", &[("10.3.0.1", 8443), ("10.3.0.2", 8443)]),
        Host::new("b.example.com", &[("10.3.1.1", 8443)]),
    ]
}

fn assert_converged(s: &Summary) {
    assert!(s.converged, "not converged:\n{s}");
    assert!(s.failed.is_empty(), "{s}");
}

/// Every (type, tenant, name) we own on the controller.
async fn controller_keys(client: &Client) -> Vec<(avi_model::ObjectType, String, String)> {
    let observed = ako_sync::load_observed(client, &owner()).await.expect("load");
    observed
        .iter()
        .map(|(k, _)| (k.kind, k.tenant.clone(), k.name.clone()))
        .collect()
}

#[tokio::test]
async fn creates_from_empty_then_a_second_run_sends_no_write() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let _: serde_json::Value = client.create("tenant", &json!({"name": "t1"})).await.expect("tenant");
    let desired = merge(
        l4(&services()),
        translation([
            l7_model("admin", "Shared-L7-0", &hosts()),
            l7_model("t1", "Shared-L7-1", &hosts()[..1]),
        ]),
    );
    let total = desired_keys(&desired).len();

    sim.reset_counters();
    let (first, mut observed) = sync_once(&client, &desired, &owner(), &options()).await.expect("load");
    assert_converged(&first);
    assert_eq!((first.created, first.updated, first.deleted), (total, 0, 0), "{first}");
    // One list per managed type, one POST per object, and no read after a write: the index is
    // updated from the write responses.
    let c = sim.counters();
    assert_eq!(
        c.total(Some("GET"), None),
        ako_sync::MANAGED_KINDS.len() as u64,
        "{c:?}"
    );
    assert_eq!(c.writes(), total as u64);
    assert_eq!(observed.len(), total);
    assert_eq!(controller_keys(&client).await, desired_keys(&desired));
    // Children of the shared VS exist under their parent.
    let parent = sim::get(&client, "admin", "virtualservice", "c1--Shared-L7-0")
        .await
        .unwrap();
    assert_eq!(parent["vh_child_vs_uuid"].as_array().map(Vec::len), Some(2));

    // Again from a fresh read, and again from the index the first run kept current.
    sim.reset_counters();
    let (second, _) = sync_once(&client, &desired, &owner(), &options()).await.expect("load");
    assert_converged(&second);
    assert_eq!(
        (second.created, second.updated, second.deleted, second.unchanged),
        (0, 0, 0, total)
    );
    let third = sync(&client, &desired, &mut observed, &options()).await;
    assert_converged(&third);
    assert_eq!(sim.counters().writes(), 0, "writes: {:?}", write_log(&sim));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_changed_endpoint_rewrites_only_its_pool() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let (s, mut observed) = sync_once(&client, &l4(&services()), &owner(), &options())
        .await
        .unwrap();
    assert_converged(&s);

    let mut changed = services();
    changed[1] = changed[1].clone().endpoints(&["10.1.0.1", "10.1.0.7"]);
    sim.reset_counters();
    let s = sync(&client, &l4(&changed), &mut observed, &options()).await;
    assert_converged(&s);
    let mut log = write_log(&sim);
    log.sort();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|(m, t, _)| m == "PUT" && t == "pool"), "{log:?}");
    assert_eq!(s.updated, 2, "the TCP and UDP pools of shop/dns");

    // A new port: a new pool, and the L4 policy set and VS that use it.
    let mut ported = changed.clone();
    ported[0] = ported[0].clone().port("TCP", 443, 8443);
    sim.reset_counters();
    let s = sync(&client, &l4(&ported), &mut observed, &options()).await;
    assert_converged(&s);
    assert_eq!((s.created, s.updated, s.deleted), (1, 2, 0), "{s}");
    let log = write_log(&sim);
    let order: Vec<String> = log.iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    assert_eq!(order, ["POST pool", "PUT l4policyset", "PUT virtualservice"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_removed_service_goes_top_down_and_others_stay() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let (s, mut observed) = sync_once(&client, &l4(&services()), &owner(), &options())
        .await
        .unwrap();
    assert_converged(&s);

    sim.reset_counters();
    let remaining = &services()[..2];
    let s = sync(&client, &l4(remaining), &mut observed, &options()).await;
    assert_converged(&s);
    assert_eq!((s.created, s.updated, s.deleted), (0, 0, 4), "{s}");
    let log: Vec<String> = write_log(&sim).iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    assert_eq!(log[0], "DELETE virtualservice", "{log:?}");
    assert_eq!(log[3], "DELETE pool", "{log:?}");
    let mut middle = log[1..3].to_vec();
    middle.sort();
    assert_eq!(middle, ["DELETE l4policyset", "DELETE vsvip"]);
    assert_eq!(controller_keys(&client).await, desired_keys(&l4(remaining)));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_removed_host_goes_child_first_and_the_shared_parent_stays() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let both = translation([l7_model("admin", "Shared-L7-0", &hosts())]);
    let (s, mut observed) = sync_once(&client, &both, &owner(), &options()).await.unwrap();
    assert_converged(&s);

    sim.reset_counters();
    let one = translation([l7_model("admin", "Shared-L7-0", &hosts()[..1])]);
    let s = sync(&client, &one, &mut observed, &options()).await;
    assert_converged(&s);
    let log: Vec<String> = write_log(&sim).iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    // The datascript stops using b's pool group, then b's child VS, pool group and pool go.
    assert_eq!(
        log,
        [
            "PUT vsdatascriptset",
            "DELETE virtualservice",
            "DELETE poolgroup",
            "DELETE pool"
        ]
    );
    assert_eq!(
        names(&client, "virtualservice").await,
        ["c1--Shared-L7-0", "c1--a.example.com"]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_observed_state_is_read_across_pages() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    // 230 Services: 230 objects of each type, two pages of 200 per type.
    let many: Vec<Svc> = (0..230).map(|i| Svc::new("bulk", &format!("s{i}"))).collect();
    let desired = l4(&many);
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert_converged(&s);
    sim.reset_counters();
    let observed = ako_sync::load_observed(&client, &owner()).await.unwrap();
    assert_eq!(observed.len(), 4 * 230);
    let pool_pages = sim.request_log(0).iter().filter(|r| r.object_type == "pool").count();
    assert_eq!(pool_pages, 2, "page 1, then page 2 fetched by number");
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.unchanged == 4 * 230, "{s}");
    assert_eq!(sim.counters().writes(), 0);
    sim.shutdown().await;
}
