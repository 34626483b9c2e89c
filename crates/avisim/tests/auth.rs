//! Sessions, CSRF and login forms, over real HTTPS.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn login_sets_cookies_and_api_calls_need_the_session() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    assert_eq!(s.get("/api/tenant").await.status, StatusCode::OK);

    let anonymous = http(&sim);
    let r = to_reply(anonymous.get(format!("{}/api/tenant", sim.url())).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "Authentication credentials were not provided.");
}

#[tokio::test]
async fn bad_credentials_get_the_controllers_message() {
    let sim = start().await;
    let err = Session::login_with(&sim, json!({"username": USER, "password": "wrong"}))
        .await
        .err()
        .unwrap();
    assert_eq!(err.status, StatusCode::UNAUTHORIZED);
    assert_eq!(err.error(), "Invalid credentials");
    let err = Session::login_with(&sim, json!({"username": "other", "password": PASSWORD}))
        .await
        .err()
        .unwrap();
    assert_eq!(err.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn form_encoded_login_works() {
    let sim = start().await;
    let client = http(&sim);
    let resp = client
        .post(format!("{}/login", sim.url()))
        .form(&[("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        client
            .get(format!("{}/api/cloud", sim.url()))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn writes_need_the_csrf_token_and_a_referer() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let no_csrf = to_reply(
        s.http
            .post(format!("{}/api/pool", s.base))
            .header("Referer", &s.base)
            .body(r#"{"name":"p"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        no_csrf.body,
        json!("CSRF token missing or incorrect."),
        "plain text, like the controller"
    );

    let no_referer = to_reply(
        s.http
            .post(format!("{}/api/pool", s.base))
            .header("X-CSRFToken", &s.csrf)
            .body(r#"{"name":"p"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_referer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.counters().total(Some("POST"), Some("pool")), 2);
    assert!(s.list("/api/pool").await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn token_login_with_a_user_token() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let token = s.post("/api/user-token", json!({"hours": "240"})).await;
    assert_eq!(token.status, StatusCode::CREATED);
    let secret = token.body["token"].as_str().unwrap().to_owned();
    let listed = s.list("/api/user-token").await;
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]["expires_at"].as_str().unwrap().contains('T'),
        "RFC 3339 expiry"
    );

    let by_token = Session::login_with(&sim, json!({"username": USER, "token": secret}))
        .await
        .unwrap();
    assert_eq!(by_token.get("/api/cloud").await.status, StatusCode::OK);

    let uuid = uuid_of(&token.body);
    assert_eq!(
        s.delete(&format!("/api/user-token/{uuid}")).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = Session::login_with(&sim, json!({"username": USER, "token": secret})).await;
    assert_eq!(revoked.err().unwrap().status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_sessions_get_401_and_invalidated_ones_419() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.expire_sessions();
    assert_eq!(s.get("/api/cloud").await.status, StatusCode::UNAUTHORIZED);

    let s = Session::login(&sim).await;
    sim.invalidate_sessions();
    assert_eq!(s.get("/api/cloud").await.status.as_u16(), 419);
    assert_eq!(
        s.get("/api/cloud").await.status,
        StatusCode::UNAUTHORIZED,
        "the session is gone after"
    );
}

#[tokio::test]
async fn password_change_invalidates_sessions_and_the_new_password_works() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    sim.set_password("rotated");
    assert_eq!(s.get("/api/cloud").await.status.as_u16(), 419);
    assert!(
        Session::login_with(&sim, json!({"username": USER, "password": PASSWORD}))
            .await
            .is_err()
    );
    assert!(
        Session::login_with(&sim, json!({"username": USER, "password": "rotated"}))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn controller_information_endpoints() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let init = s.get("/api/initial-data").await;
    assert_eq!(init.body["version"]["Version"], "31.1.1");
    assert_eq!(
        init.headers.get("avi_api_version").unwrap(),
        "30.2.1",
        "echoes X-Avi-Version"
    );

    let runtime = s.get("/api/cluster/runtime").await.body;
    assert_eq!(runtime["cluster_state"]["state"], "CLUSTER_UP_NO_HA");
    let leader = &runtime["node_states"][0];
    assert_eq!(leader["role"], "CLUSTER_LEADER");
    let again = s.get("/api/cluster/runtime").await.body;
    assert_eq!(again["node_states"][0]["up_since"], leader["up_since"], "stable leader");

    assert!(
        s.get("/api/cluster").await.body["uuid"]
            .as_str()
            .unwrap()
            .starts_with("cluster-")
    );
    assert_eq!(
        s.get("/api/systemconfiguration").await.body["default_license_tier"],
        "ENTERPRISE"
    );
    let cloud = &s.list("/api/cloud?name=Default-Cloud").await[0];
    let domains = s
        .get(&format!(
            "/api/ipamdnsproviderprofiledomainlist?cloud_uuid={}",
            uuid_of(cloud)
        ))
        .await;
    assert_eq!(domains.body, json!({"domains": ["avi.internal", "avisim.example"]}));
}
