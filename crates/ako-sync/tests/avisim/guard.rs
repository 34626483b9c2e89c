//! The mass-deletion guard against a real controller: a desired state that would delete most of
//! what we own is refused loudly, nothing is deleted, creates and updates still happen; an
//! explicit override deletes.

use ako_sync::sync_once;

use crate::support::desired::{Svc, desired_keys, l4};
use crate::support::sim::{self, options, owner};

#[tokio::test]
async fn mass_deletion_is_refused_and_reported() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let all: Vec<Svc> = (0..10).map(|i| Svc::new("shop", &format!("svc{i}"))).collect();
    let (s, _) = sync_once(&client, &l4(&all), &owner(), &options()).await.unwrap();
    assert!(s.converged, "{s}");

    // A manifest directory that lost most of its files, plus one new Service.
    let mut few = all[..2].to_vec();
    few.push(Svc::new("shop", "new"));
    sim.reset_counters();
    let (s, _) = sync_once(&client, &l4(&few), &owner(), &options()).await.unwrap();
    assert!(!s.converged);
    let refused = s.refused.clone().expect("refused");
    assert_eq!((refused.would_delete, refused.owned), (32, 40));
    assert_eq!((s.created, s.deleted), (4, 0), "{s}");
    assert!(
        s.to_string()
            .contains("REFUSED: refusing to delete 32 of the 40 objects"),
        "{s}"
    );
    assert_eq!(sim.counters().total(Some("DELETE"), None), 0);
    assert_eq!(sim::names(&client, "virtualservice").await.len(), 11);

    let mut allow = options();
    allow.plan.guard.allow_mass_delete = true;
    let (s, _) = sync_once(&client, &l4(&few), &owner(), &allow).await.unwrap();
    assert!(s.converged, "{s}");
    assert_eq!(s.deleted, 32);
    let observed = ako_sync::load_observed(&client, &owner()).await.unwrap();
    let have: Vec<_> = observed
        .iter()
        .map(|(k, _)| (k.kind, k.tenant.clone(), k.name.clone()))
        .collect();
    assert_eq!(have, desired_keys(&l4(&few)));
    sim.shutdown().await;
}
