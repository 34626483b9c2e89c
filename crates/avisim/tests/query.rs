//! Collection filters, projection and pagination as AKO uses them.

mod common;

use common::*;
use serde_json::{Value, json};

async fn seeded() -> (avisim::Avisim, Session) {
    let sim = start().await;
    let s = Session::login(&sim).await;
    for (name, by) in [
        ("c1--a", "ako-c1"),
        ("c1--b", "ako-c1"),
        ("c2--a", "ako-c2"),
        ("other", "someone"),
    ] {
        s.create(
            "pool",
            json!({"name": name, "created_by": by, "markers": [{"key": "clustername", "values": [by]}]}),
        )
        .await;
    }
    (sim, s)
}

#[tokio::test]
async fn name_filters() {
    let (_sim, s) = seeded().await;
    assert_eq!(names(&s.list("/api/pool?name=c1--a").await), ["c1--a"]);
    assert_eq!(names(&s.list("/api/pool?name.contains=c1--").await), ["c1--a", "c1--b"]);
    assert_eq!(names(&s.list("/api/pool?name.icontains=C2--").await), ["c2--a"]);
    assert_eq!(
        names(&s.list("/api/pool?name.in=other%2Cc2--a").await),
        ["c2--a", "other"]
    );
    assert!(s.list("/api/pool?name=missing").await.is_empty());
}

#[tokio::test]
async fn uuid_field_ref_and_label_filters() {
    let (_sim, s) = seeded().await;
    let all = s.list("/api/pool?page_size=200").await;
    let two: Vec<String> = all.iter().take(2).map(uuid_of).collect();
    assert_eq!(s.list(&format!("/api/pool?uuid.in={}", two.join(","))).await.len(), 2);
    assert_eq!(names(&s.list("/api/pool?created_by=ako-c1").await), ["c1--a", "c1--b"]);
    assert_eq!(
        names(&s.list("/api/pool?label_key=clustername&label_value=ako-c2").await),
        ["c2--a"]
    );
    assert_eq!(s.list("/api/pool?cloud_ref.name=Default-Cloud").await.len(), 4);
    assert!(s.list("/api/pool?cloud_ref.name=Other-Cloud").await.is_empty());
    let cloud = uuid_of(&s.list("/api/cloud?name=Default-Cloud").await[0]);
    assert_eq!(s.list(&format!("/api/pool?cloud_uuid={cloud}")).await.len(), 4);
    // AKO's exact cache-population query, keys sorted and include_name empty, as Go encodes it.
    let ako = s
        .list("/api/pool/?cloud_ref.name=Default-Cloud&created_by=ako-c1&include_name=&page_size=100")
        .await;
    assert_eq!(names(&ako), ["c1--a", "c1--b"]);
    assert!(ako[0]["cloud_ref"].as_str().unwrap().ends_with("#Default-Cloud"));
}

#[tokio::test]
async fn fields_projection_keeps_identity_fields() {
    let (_sim, s) = seeded().await;
    let items = s.list("/api/pool?name=c1--a&fields=created_by").await;
    let keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
    let mut keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["created_by", "name", "url", "uuid"]);
}

#[tokio::test]
async fn pagination_follows_absolute_next_links() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    for i in 0..205 {
        s.create("stringgroup", json!({"name": format!("sg-{i:03}"), "kv": []}))
            .await;
    }
    let first = s.get("/api/stringgroup?page_size=100&name.contains=sg-").await.body;
    assert_eq!(first["count"], 205);
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    let mut seen = names(first["results"].as_array().unwrap());
    let mut next = first["next"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(url) = next {
        assert!(url.starts_with(&format!("{}/api/stringgroup?", sim.url())), "{url}");
        let page = s.get(url.strip_prefix(&sim.url()).unwrap()).await.body;
        seen.extend(names(page["results"].as_array().unwrap()));
        next = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..205).map(|i| format!("sg-{i:03}")).collect();
    assert_eq!(seen, expected, "every object once, in order");

    let capped = s.get("/api/stringgroup?page_size=1000").await.body;
    assert_eq!(
        capped["results"].as_array().unwrap().len(),
        200,
        "page_size is capped at 200"
    );
    let default = s.get("/api/stringgroup").await.body;
    assert_eq!(default["results"].as_array().unwrap().len(), 25);
    let empty = s.get("/api/stringgroup?name=none").await.body;
    assert_eq!(empty, json!({"count": 0, "results": Value::Array(vec![])}));
}

#[tokio::test]
async fn collections_list_in_creation_order() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    // AKO's cache population resolves a child's parent only if the parent was listed before
    // it; a parent is always created first, and the controller lists in creation order.
    s.create(
        "virtualservice",
        json!({"name": "c1--Shared-L7-EVH-0", "type": "VS_TYPE_VH_PARENT"}),
    )
    .await;
    s.create(
        "virtualservice",
        json!({"name": "c1--6bbe9b50", "type": "VS_TYPE_VH_CHILD", "vh_parent_vs_ref": "/api/virtualservice/?name=c1--Shared-L7-EVH-0"}),
    )
    .await;
    s.create("virtualservice", json!({"name": "a-last"})).await;
    assert_eq!(
        names(&s.list("/api/virtualservice").await),
        ["c1--Shared-L7-EVH-0", "c1--6bbe9b50", "a-last"]
    );
    // An update keeps an object's place.
    let first = uuid_of(&s.list("/api/virtualservice?name=c1--Shared-L7-EVH-0").await[0]);
    let put = s
        .put(
            &format!("/api/virtualservice/{first}"),
            json!({"name": "c1--Shared-L7-EVH-0", "type": "VS_TYPE_VH_PARENT", "description": "x"}),
        )
        .await;
    assert_eq!(put.status, reqwest::StatusCode::OK);
    assert_eq!(names(&s.list("/api/virtualservice").await)[0], "c1--Shared-L7-EVH-0");
}
