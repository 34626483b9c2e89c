//! The controller facts translation needs, read from avisim's default seed.

use crate::support::sim;

#[tokio::test]
async fn cloud_facts_come_from_the_controller() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let facts = ako_sync::cloud_facts(&client, "Default-Cloud").await.expect("facts");
    assert_eq!(facts.cloud_type, "CLOUD_NONE");
    assert_eq!(facts.ipam_type, "IPAMDNS_TYPE_INTERNAL");
    assert_eq!(facts.license_tier, "ENTERPRISE");
    assert_eq!(facts.dns_domains, ["avi.internal", "avisim.example"]);
    let missing = ako_sync::cloud_facts(&client, "No-Such-Cloud").await.unwrap_err();
    assert_eq!(
        missing.to_string(),
        "the controller has no cloud named \"No-Such-Cloud\" (ControllerSettings.cloudName)"
    );
    sim.shutdown().await;
}
