//! AKO's `clustername` label on the Service Engine group, against avisim: added to a group
//! without labels, nothing written when present, another cluster's label left alone; removed
//! again (deleteConfig).

use serde_json::json;

use crate::support::sim;

#[tokio::test]
async fn the_se_group_is_labelled_once_and_another_clusters_label_is_left_alone() {
    let sim = sim::start().await;
    let client = sim::client(&sim).await;
    let label = |cluster| ako_sync::label_se_group(&client, "Default-Group", cluster);
    assert_eq!(label("c1").await.expect("label"), ako_sync::SeGroupLabel::Added);
    let group = sim::get(&client, "admin", "serviceenginegroup", "Default-Group")
        .await
        .unwrap();
    assert_eq!(
        group["labels"],
        json!([{"key": "clustername", "value": "c1"}]),
        "{group}"
    );
    // Unchanged otherwise: the seeded fields are still there.
    assert_eq!(group["name"], "Default-Group");
    assert!(group.get("cloud_ref").is_some(), "{group}");

    let writes = sim::writes_of(&sim, "serviceenginegroup");
    assert_eq!(label("c1").await.expect("label"), ako_sync::SeGroupLabel::Present);
    assert_eq!(
        label("c2").await.expect("label"),
        ako_sync::SeGroupLabel::Foreign(vec![("clustername".to_owned(), "c1".to_owned())])
    );
    assert_eq!(sim::writes_of(&sim, "serviceenginegroup"), writes, "nothing written");

    // deleteConfig: only this cluster's label goes.
    assert!(
        !ako_sync::unlabel_se_group(&client, "Default-Group", "c2")
            .await
            .unwrap()
    );
    assert!(
        ako_sync::unlabel_se_group(&client, "Default-Group", "c1")
            .await
            .unwrap()
    );
    let group = sim::get(&client, "admin", "serviceenginegroup", "Default-Group")
        .await
        .unwrap();
    assert_eq!(group["labels"], json!([]), "{group}");
    assert!(
        !ako_sync::unlabel_se_group(&client, "Default-Group", "c1")
            .await
            .unwrap()
    );

    let missing = ako_sync::label_se_group(&client, "No-Such-Group", "c1")
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("No-Such-Group"), "{missing}");
    sim.shutdown().await;
}
