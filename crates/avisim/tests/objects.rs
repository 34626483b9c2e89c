//! Object CRUD with the controller's integrity rules, over real HTTPS.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn post_answers_201_with_the_stored_object_and_location() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let r = s
        .post(
            "/api/pool",
            json!({"name": "p1", "cloud_config_cksum": "123", "service_metadata": "{}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let uuid = uuid_of(&r.body);
    assert!(uuid.starts_with("pool-") && uuid.len() == "pool-".len() + 36, "{uuid}");
    let url = r.body["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/api/pool/{uuid}#p1", sim.url()), "writes carry #name");
    assert_eq!(r.headers.get("location").unwrap(), url);
    assert_eq!(r.body["cloud_config_cksum"], "123", "echoed verbatim");
    assert_eq!(r.body["service_metadata"], "{}");
    assert!(
        r.body["_last_modified"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
    );
    assert!(
        r.body["cloud_ref"].as_str().unwrap().ends_with("#Default-Cloud"),
        "default cloud filled"
    );
    assert!(
        r.body["tenant_ref"]
            .as_str()
            .unwrap()
            .ends_with("/api/tenant/admin#admin")
    );

    let plain = s.get(&format!("/api/pool/{uuid}")).await.body;
    assert!(
        !plain["tenant_ref"].as_str().unwrap().contains('#'),
        "no #name without include_name"
    );
    let named = s.get(&format!("/api/pool/{uuid}?include_name=")).await.body;
    assert!(
        named["tenant_ref"].as_str().unwrap().ends_with("#admin"),
        "include_name= with empty value is true"
    );
}

#[tokio::test]
async fn paths_are_tolerated_and_never_redirected() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let p = s.post("//api/pool/", json!({"name": "p1"})).await;
    assert_eq!(p.status, StatusCode::CREATED);
    let uuid = uuid_of(&p.body);
    for path in [
        format!("//api/pool/{uuid}"),
        format!("/api/pool/{uuid}/"),
        format!("/api/pool/{uuid}/?include_name"),
    ] {
        let r = s.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(uuid_of(&r.body), uuid);
    }
    assert_eq!(s.list("/api/pool/?name=p1").await.len(), 1);
}

#[tokio::test]
async fn references_in_every_form_resolve_and_empty_means_unset() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let pool = s.create("pool", json!({"name": "p1"})).await;
    let uuid = uuid_of(&pool);
    let full_url = pool["url"].as_str().unwrap().to_owned();
    for (i, form) in [
        "/api/pool?name=p1",
        "/api/pool/?name=p1",
        &format!("/api/pool/{uuid}"),
        &full_url,
    ]
    .iter()
    .enumerate()
    {
        let pg = s
            .create(
                "poolgroup",
                json!({"name": format!("pg{i}"), "members": [{"pool_ref": form}]}),
            )
            .await;
        let member = pg["members"][0]["pool_ref"].as_str().unwrap();
        assert_eq!(member, format!("{}/api/pool/{uuid}#p1", sim.url()), "form {form}");
    }
    let vs = s
        .create(
            "virtualservice",
            json!({"name": "vs", "error_page_profile_ref": "", "pool_ref": "/api/pool?name=p1"}),
        )
        .await;
    assert_eq!(vs["error_page_profile_ref"], "", "an empty ref stays unset");

    let missing = s
        .post(
            "/api/poolgroup",
            json!({"name": "bad", "members": [{"pool_ref": "/api/pool?name=nope"}]}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.error().contains("Pool object not found"), "{}", missing.error());
    let garbage = s
        .post(
            "/api/poolgroup",
            json!({"name": "bad", "members": [{"pool_ref": "pool-x"}]}),
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn names_are_unique_per_type_and_tenant() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    s.create("pool", json!({"name": "dup"})).await;
    let again = s.post("/api/pool", json!({"name": "dup"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.error().contains("already exists"), "{}", again.error());
    s.create("poolgroup", json!({"name": "dup"})).await; // another type: fine
    let nameless = s.post("/api/pool", json!({})).await;
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_uuids_get_404_with_the_model_name() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    for (kind, model) in [
        ("pool", "Pool"),
        ("vsvip", "VsVip"),
        ("virtualservice", "VirtualService"),
        ("vsdatascriptset", "VSDataScriptSet"),
    ] {
        let r = s.get(&format!("/api/{kind}/{kind}-nope")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error(), format!("{model} object not found!"));
        assert_eq!(
            s.delete(&format!("/api/{kind}/{kind}-nope")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.put(&format!("/api/{kind}/{kind}-nope"), json!({"name": "x"}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(s.get("/api/notatype").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn referenced_objects_cannot_be_deleted_until_released() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let pool = uuid_of(&s.create("pool", json!({"name": "p1"})).await);
    let pg = uuid_of(
        &s.create(
            "poolgroup",
            json!({"name": "g1", "members": [{"pool_ref": "/api/pool?name=p1"}]}),
        )
        .await,
    );
    let refused = s.delete(&format!("/api/pool/{pool}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.error(),
        "Cannot delete, object is referred by: ['PoolGroup g1']"
    );
    assert_eq!(
        s.delete(&format!("/api/poolgroup/{pg}")).await.status,
        StatusCode::NO_CONTENT
    );
    let deleted = s.delete(&format!("/api/pool/{pool}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, json!(""), "204 has an empty body");
}

#[tokio::test]
async fn put_replaces_the_object_and_stale_last_modified_is_412() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let v1 = s
        .create(
            "pool",
            json!({"name": "p1", "description": "one", "markers": [{"key": "k", "values": ["v"]}]}),
        )
        .await;
    let uuid = uuid_of(&v1);
    let stamp1 = v1["_last_modified"].as_str().unwrap().to_owned();

    // A body rebuilt from scratch (no _last_modified), as AKO sends for pools: accepted, and
    // fields it does not carry are gone (PUT replaces).
    let v2 = s
        .put(
            &format!("/api/pool/{uuid}"),
            json!({"name": "p1", "description": "two"}),
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK);
    assert_eq!(v2.body["description"], "two");
    assert!(v2.body.get("markers").is_none());
    let stamp2 = v2.body["_last_modified"].as_str().unwrap().to_owned();
    assert!(stamp2.parse::<u64>().unwrap() > stamp1.parse::<u64>().unwrap());

    // Read-modify-write with the old stamp: 412.
    let mut stale = v1.clone();
    stale["description"] = json!("three");
    let r = s.put(&format!("/api/pool/{uuid}"), stale).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert!(r.error().contains("Need to reload object data Pool"), "{}", r.error());

    // With the current stamp (and the URLs it was read with): accepted.
    let mut current = v2.body.clone();
    current["description"] = json!("three");
    assert_eq!(
        s.put(&format!("/api/pool/{uuid}"), current).await.status,
        StatusCode::OK
    );

    // Renaming onto another object's name is a conflict.
    s.create("pool", json!({"name": "p2"})).await;
    assert_eq!(
        s.put(&format!("/api/pool/{uuid}"), json!({"name": "p2"})).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn sni_children_need_a_vh_parent_and_the_parent_lists_them() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    s.create("virtualservice", json!({"name": "normal"})).await;
    let refused = s
        .post(
            "/api/virtualservice",
            json!({"name": "c0", "type": "VS_TYPE_VH_CHILD", "vh_parent_vs_ref": "/api/virtualservice/?name=normal"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.error().contains("VS_TYPE_VH_PARENT"), "{}", refused.error());

    let parent = uuid_of(
        &s.create("virtualservice", json!({"name": "parent", "type": "VS_TYPE_VH_PARENT"}))
            .await,
    );
    // An enhanced (EVH) child cannot hang off an SNI parent.
    let mismatched = s
        .post(
            "/api/virtualservice",
            json!({"name": "e0", "type": "VS_TYPE_VH_CHILD", "vh_type": "VS_TYPE_VH_ENHANCED",
                "vh_parent_vs_ref": "/api/virtualservice/?name=parent"}),
        )
        .await;
    assert_eq!(mismatched.status, StatusCode::BAD_REQUEST);
    assert!(mismatched.error().contains("vh_type"), "{}", mismatched.error());
    let mut kids: Vec<String> = Vec::new();
    for i in 0..2 {
        let child = s
            .create(
                "virtualservice",
                json!({"name": format!("c{i}"), "type": "VS_TYPE_VH_CHILD", "vh_parent_vs_ref": "/api/virtualservice/?name=parent"}),
            )
            .await;
        assert!(
            child["vh_parent_vs_ref"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{parent}#parent"))
        );
        kids.push(uuid_of(&child));
    }
    kids.sort();
    let p = s.get(&format!("/api/virtualservice/{parent}")).await.body;
    assert_eq!(p["vh_child_vs_uuid"], json!(kids));

    let delete_parent = s.delete(&format!("/api/virtualservice/{parent}")).await;
    assert_eq!(
        delete_parent.status,
        StatusCode::FORBIDDEN,
        "children refer to the parent"
    );
    let demote = s
        .put(
            &format!("/api/virtualservice/{parent}"),
            json!({"name": "parent", "type": "VS_TYPE_NORMAL"}),
        )
        .await;
    assert_eq!(demote.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        s.delete(&format!("/api/virtualservice/{}", kids[0])).await.status,
        StatusCode::NO_CONTENT
    );
    let p = s.get(&format!("/api/virtualservice/{parent}")).await.body;
    assert_eq!(p["vh_child_vs_uuid"], json!([kids[1]]));
}

#[tokio::test]
async fn system_objects_are_read_only_and_clients_may_choose_uuids() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let http_profile = &s.list("/api/applicationprofile?name=System-HTTP").await[0];
    let uuid = uuid_of(http_profile);
    assert_eq!(
        s.delete(&format!("/api/applicationprofile/{uuid}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.put(&format!("/api/applicationprofile/{uuid}"), json!({"name": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // AKO creates its own profiles next to the system ones.
    s.create(
        "applicationprofile",
        json!({"name": "c1-proxy-applicationprofile", "type": "APPLICATION_PROFILE_TYPE_L4"}),
    )
    .await;

    let forced = s
        .create("pool", json!({"name": "forced", "uuid": "pool-force-42"}))
        .await;
    assert_eq!(forced["uuid"], "pool-force-42");
    assert_eq!(
        s.post("/api/pool", json!({"name": "again", "uuid": "pool-force-42"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn certificate_keys_are_redacted_and_kept_across_puts() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let cert = s
        .create(
            "sslkeyandcertificate",
            json!({"name": "c", "certificate": {"certificate": pem}, "key": "PRIVATE"}),
        )
        .await;
    assert!(cert.get("key").is_none(), "the private key is never returned");
    let uuid = uuid_of(&cert);
    let mut body = cert.clone();
    body["markers"] = json!([{"key": "clustername", "values": ["c1"]}]);
    assert_eq!(
        s.put(&format!("/api/sslkeyandcertificate/{uuid}"), body).await.status,
        StatusCode::OK
    );
    let bad = s
        .post(
            "/api/sslkeyandcertificate",
            json!({"name": "bad", "certificate": {"certificate": "junk"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(bad.error().contains("Import error"));
}

#[tokio::test]
async fn malformed_bodies_are_400_not_crashes() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let r = s
        .call(
            reqwest::Method::POST,
            "/api/pool",
            Some(Value::String("{not json".into())),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.post("/api/pool", json!([1, 2])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.post("/api/vsvip", json!({"name": "v", "vip": ["x"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.get("/api/cloud").await.status, StatusCode::OK, "still serving");
}
