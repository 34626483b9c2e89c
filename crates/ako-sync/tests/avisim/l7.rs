//! The real translator's Ingress output (`ako_translate::translate` on `examples/`, with the
//! chart's IngressClass: a shared
//! parent VS with VsVip, pool group, datascript and redirect policy; an SNI child with its
//! certificate, HTTP policy set, pool groups and pools) against avisim: created in one round,
//! a resync sends nothing, a removed path rewrites one policy and deletes its pool group and
//! pool, a removed Ingress takes its whole tree away without one refused delete.

use std::path::Path;

use ako_sync::sync_once;
use ako_translate::{Settings, Snapshot, Translation, Values, load_manifests};
use avi_client::Client;

use crate::support::desired::desired_keys;
use crate::support::sim::{self, options, write_log};

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn settings() -> Settings {
    let text = std::fs::read_to_string(examples().join("values.yaml")).unwrap();
    Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
}

/// The examples' manifests, each file passed through `edit` first.
async fn translate(client: &Client, edit: impl Fn(&str, String) -> String) -> Translation {
    let mut snapshot = Snapshot::new();
    let mut files: Vec<_> = std::fs::read_dir(examples().join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = edit(&name, std::fs::read_to_string(&f).unwrap());
        load_manifests(&mut snapshot, &name, &text).unwrap();
    }
    let settings = settings();
    // As installed by AKO's chart: IngressClass avi-lb.
    ako_translate::chart::add_chart_objects(&mut snapshot, &settings);
    let cloud = ako_sync::cloud_facts(client, &settings.cloud_name).await.unwrap();
    let t = ako_translate::translate(&snapshot, &settings, &cloud);
    assert!(t.failures.is_empty(), "{:?}", t.failures);
    t
}

fn owner() -> ako_sync::Owner {
    ako_sync::Owner::new(settings().cluster_name)
}

#[tokio::test]
async fn ingress_objects_converge_change_minimally_and_go_in_order() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let desired = translate(&client, |_, t| t).await;
    let kinds: std::collections::BTreeSet<_> = desired_keys(&desired).into_iter().map(|k| k.0).collect();
    assert!(kinds.len() >= 7, "L7 shapes present: {kinds:?}");

    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.rounds == 1, "{s}");
    sim.reset_counters();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.created + s.updated + s.deleted == 0, "{s}");
    assert_eq!(sim.counters().writes(), 0, "{:?}", write_log(&sim));

    // Drop the /api path of shop.avi.internal.
    let no_api = translate(&client, |name, text| {
        if name == "storefront.yaml" {
            text.lines()
                .filter(|l| !l.contains("path: /api"))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            text
        }
    })
    .await;
    sim.reset_counters();
    let (s, _) = sync_once(&client, &no_api, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");
    let log: Vec<String> = write_log(&sim).iter().map(|(m, t, _)| format!("{m} {t}")).collect();
    assert_eq!(log, ["PUT httppolicyset", "DELETE poolgroup", "DELETE pool"], "{s}");

    // Remove the Ingress altogether (more than half of what we own: override the guard).
    let no_ingress = translate(&client, |name, text| {
        if name == "storefront.yaml" {
            text.split("\n---")
                .filter(|doc| !doc.contains("kind: Ingress\n"))
                .collect::<Vec<_>>()
                .join("\n---")
        } else {
            text
        }
    })
    .await;
    let mut allow = options();
    allow.plan.guard.allow_mass_delete = true;
    sim.reset_counters();
    let (s, _) = sync_once(&client, &no_ingress, &owner(), &allow).await.unwrap();
    assert!(s.converged && s.rounds == 1, "{s}");
    assert!(s.deleted > 8, "{s}");
    let refused = sim.counters().rows.iter().filter(|r| r.status >= 400).count();
    assert_eq!(refused, 0, "no delete was refused: {:?}", sim.counters());
    let observed = ako_sync::load_observed(&client, &owner()).await.unwrap();
    let have: Vec<_> = observed
        .iter()
        .map(|(k, _)| (k.kind, k.tenant.clone(), k.name.clone()))
        .collect();
    assert_eq!(have, desired_keys(&no_ingress));
    sim.shutdown().await;
}

/// An Ingress with two plain hosts, added to the examples.
const MORE_HOSTS: &str = r"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: more, namespace: shop}
spec:
  rules:
  - host: b.avi.internal
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: storefront, port: {number: 80}}}}]}
  - host: a.avi.internal
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: storefront, port: {number: 80}}}}]}
";

/// What Go AKO leaves on a controller it populated at scale: a shared pool group's members and
/// the shared VsVip's FQDNs in the order it processed Ingresses (its checksum is the same in
/// any order). Taking over sends nothing for that; an edited member is still repaired.
#[tokio::test]
async fn members_and_fqdns_in_another_order_are_not_rewritten() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    // A second Ingress with plain hosts: the shared parent's pool group gets several members.
    let desired = translate(&client, |name, text| {
        if name == "storefront.yaml" {
            text + MORE_HOSTS
        } else {
            text
        }
    })
    .await;
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");

    // Every pool group and VsVip with two or more members or FQDNs, with the list reversed.
    let mut reordered = Vec::new();
    for (kind, field) in [("poolgroup", "members"), ("vsvip", "dns_info")] {
        for mut object in client.list_raw(kind, &Default::default()).await.unwrap() {
            let Some(list) = object[field].as_array_mut().filter(|l| l.len() > 1) else {
                continue;
            };
            list.reverse();
            let uuid = object["uuid"].as_str().unwrap().to_owned();
            let _: serde_json::Value = client.update(kind, &uuid, &object).await.unwrap();
            reordered.push((kind, uuid, object));
        }
    }
    let kinds: std::collections::BTreeSet<_> = reordered.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(
        kinds.len(),
        2,
        "the examples have a shared pool group and VsVip: {kinds:?}"
    );

    sim.reset_counters();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.created + s.updated + s.deleted == 0, "{s}");
    assert_eq!(sim.counters().writes(), 0, "{:?}", write_log(&sim));

    // A member edited out of band, in the reordered list: repaired with one PUT.
    let (_, uuid, pg) = reordered.into_iter().find(|(k, _, _)| *k == "poolgroup").unwrap();
    let name = pg["name"].as_str().unwrap();
    let mut pg = crate::support::sim::get(&client, "admin", "poolgroup", name)
        .await
        .unwrap();
    pg["members"][0]["ratio"] = serde_json::json!(7);
    let _: serde_json::Value = client.update("poolgroup", &uuid, &pg).await.unwrap();
    sim.reset_counters();
    let (s, _) = sync_once(&client, &desired, &owner(), &options()).await.unwrap();
    assert!(s.converged && s.updated == 1, "{s}");
    assert_eq!(
        write_log(&sim)
            .iter()
            .map(|(m, t, _)| format!("{m} {t}"))
            .collect::<Vec<_>>(),
        ["PUT poolgroup"]
    );
    sim.shutdown().await;
}
