//! Login (password, token, bad credentials), CSRF, transparent re-login and version negotiation.

use avi_client::{Client, Credential, Method, Query, version};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::common::{PASSWORD, config, issue_token, sim};

#[tokio::test]
async fn login_with_password() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let counters = sim.counters();
    assert_eq!(counters.total(Some("POST"), Some("login")), 1);
    let clouds: Vec<Value> = client
        .list("cloud", &Query::new().name("Default-Cloud"))
        .await
        .expect("list clouds");
    assert_eq!(clouds.len(), 1);
    assert_eq!(clouds[0]["name"], "Default-Cloud");
    // `connect` logged in once; later calls reuse the session.
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn lazy_login_on_first_call() {
    let sim = sim().await;
    let client = Client::new(config(&sim)).expect("build");
    assert_eq!(sim.counters().total(None, Some("login")), 0);
    let tenant: Option<Value> = client.get_by_name("tenant", "admin").await.expect("get tenant");
    assert_eq!(tenant.expect("admin tenant")["uuid"], "admin");
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn login_with_token() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let (token, _) = issue_token(&client).await;

    let mut token_config = config(&sim);
    token_config.credential = Credential::token(token.clone());
    let token_client = Client::connect(token_config.clone()).await.expect("token login");
    let pools: Vec<Value> = token_client
        .list("pool", &Query::new())
        .await
        .expect("list with token session");
    assert!(pools.is_empty());
    assert!(!format!("{token_config:?}").contains(&token));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_replaced_token_is_used_by_the_next_login() {
    let sim = sim().await;
    let admin = Client::connect(config(&sim)).await.expect("login");
    let (old, old_uuid) = issue_token(&admin).await;
    let (new, _) = issue_token(&admin).await;
    let mut cfg = config(&sim);
    cfg.credential = Credential::token(old);
    let client = Client::connect(cfg.clone()).await.expect("login with the old token");
    client.set_credential(Credential::token(new));
    let _: Value = admin
        .request(
            Method::DELETE,
            &format!("api/user-token/{old_uuid}"),
            &Query::new(),
            None::<&()>,
        )
        .await
        .unwrap_or(Value::Null);
    let refused = Client::connect(cfg).await.expect_err("the old token is revoked");
    assert!(refused.is_invalid_credentials(), "{refused:?}");
    sim.expire_sessions();
    let pools: Vec<Value> = client
        .list("pool", &Query::new())
        .await
        .expect("re-login with the new token");
    assert!(pools.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_password_is_invalid_credentials_without_retry_storm() {
    let sim = sim().await;
    let mut cfg = config(&sim);
    cfg.credential = Credential::password("wrong-password-123");
    let err = Client::connect(cfg.clone()).await.expect_err("must be refused");
    assert!(err.is_invalid_credentials(), "{err:?}");
    assert_eq!(err.message(), Some("Invalid credentials"));
    assert!(!err.to_string().contains("wrong-password-123"));
    assert!(!format!("{err:?}").contains("wrong-password-123"));
    assert_eq!(
        sim.counters().total(Some("POST"), Some("login")),
        1,
        "a refused login is not retried"
    );

    // Eight concurrent calls on a fresh client share one refused login.
    sim.reset_counters();
    let client = Client::new(cfg).expect("build");
    let results = {
        let q = Query::new();
        join_all((0..8).map(|_| client.list::<Value>("pool", &q))).await
    };
    for r in results {
        assert!(r.expect_err("refused").is_invalid_credentials());
    }
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    assert_eq!(sim.counters().total(Some("GET"), None), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn writes_carry_csrf_token_and_referer() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    // avisim refuses writes without a matching X-CSRFToken (401, plain text) or without Referer.
    let created: Value = client
        .create("pool", &json!({"name": "csrf-pool"}))
        .await
        .expect("create");
    let uuid = created["uuid"].as_str().expect("uuid").to_owned();
    let mut body = created.clone();
    body["description"] = json!("updated");
    let updated: Value = client.update("pool", &uuid, &body).await.expect("update");
    assert_eq!(updated["description"], "updated");
    client.delete("pool", &uuid).await.expect("delete");
    // No write needed a re-login, so the CSRF token was right the first time.
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn relogin_after_session_expiry() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.expire_sessions();
    sim.reset_counters();
    let pools: Vec<Value> = client.list("pool", &Query::new()).await.expect("transparent re-login");
    assert!(pools.is_empty());
    let c = sim.counters();
    assert_eq!(c.total(Some("POST"), Some("login")), 1);
    assert_eq!(c.total(Some("GET"), Some("pool")), 2, "one 401, one retry");

    // A write after expiry is also repeated once after re-login.
    sim.expire_sessions();
    let _: Value = client
        .create("pool", &json!({"name": "after-expiry"}))
        .await
        .expect("create after expiry");
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_401s_cause_a_single_relogin() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.expire_sessions();
    sim.reset_counters();
    let results = join_all((0..8).map(|i| {
        let c = client.clone();
        async move {
            let q = Query::new().name(format!("nope-{i}"));
            c.list::<Value>("pool", &q).await
        }
    }))
    .await;
    for r in results {
        assert!(r.expect("re-login is transparent").is_empty());
    }
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn relogin_after_session_invalidated_419() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.invalidate_sessions();
    let pools: Vec<Value> = client.list("pool", &Query::new()).await.expect("re-login on 419");
    assert!(pools.is_empty());
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn password_change_surfaces_invalid_credentials() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_password("rotated-password");
    sim.reset_counters();
    let err = client
        .list::<Value>("pool", &Query::new())
        .await
        .expect_err("old password refused");
    assert!(err.is_invalid_credentials(), "{err:?}");
    assert_eq!(sim.counters().total(Some("POST"), Some("login")), 1);
    assert!(!err.to_string().contains(PASSWORD));
    sim.shutdown().await;
}

#[tokio::test]
async fn version_is_negotiated_and_capped() {
    let sim = sim().await;
    let client = Client::new(config(&sim)).expect("build");
    assert_eq!(client.version(), version::INITIAL_VERSION);
    client.login().await.expect("login");
    let data: Value = client
        .request(Method::GET, "/api/initial-data", &Query::new(), None::<&Value>)
        .await
        .expect("initial-data");
    let reported = data["version"]["Version"].as_str().expect("version.Version");
    assert_eq!(client.version(), version::negotiate(reported));
    if version::compare(reported, version::MAX_VERSION).is_gt() {
        assert_eq!(client.version(), version::MAX_VERSION);
    }
    // Negotiation happens once per client, not per login.
    sim.expire_sessions();
    let _: Vec<Value> = client.list("pool", &Query::new()).await.expect("list");
    assert_eq!(
        sim.counters().total(Some("GET"), Some("initial-data")),
        2,
        "negotiation + our own read"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn pinned_version_skips_negotiation() {
    let sim = sim().await;
    let client = Client::connect(config(&sim).with_api_version("22.1.3"))
        .await
        .expect("login");
    assert_eq!(client.version(), "22.1.3");
    assert_eq!(sim.counters().total(None, Some("initial-data")), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn persistent_401_relogs_in_once_then_fails() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    sim.set_faults(vec![avisim::faults::Fault::status(
        Some("GET"),
        Some("pool"),
        401,
        "Authentication required",
    )]);
    sim.reset_counters();
    let err = client
        .list::<Value>("pool", &Query::new())
        .await
        .expect_err("still 401");
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_invalid_credentials(), "the login itself succeeded: {err:?}");
    let c = sim.counters();
    assert_eq!(c.total(Some("POST"), Some("login")), 1, "one re-login, no loop");
    assert_eq!(c.total(Some("GET"), Some("pool")), 2, "the request is repeated once");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_closed_write_gate_stops_writes_not_reads_or_logins() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let sim = sim().await;
    let open = Arc::new(AtomicBool::new(true));
    let gate = {
        let open = open.clone();
        avi_client::WriteGate::new(move || {
            if open.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("the lease is lost".to_owned())
            }
        })
    };
    let mut cfg = config(&sim);
    cfg.write_gate = Some(gate);
    cfg.instance = Some("replica-1".to_owned());
    let client = Client::connect(cfg).await.expect("login");
    let _: Value = client
        .create("pool", &json!({"name": "gated-1"}))
        .await
        .expect("open gate: created");
    open.store(false, Ordering::SeqCst);
    let refused = client
        .create::<_, Value>("pool", &json!({"name": "gated-2"}))
        .await
        .expect_err("closed gate");
    assert_eq!(refused.kind(), avi_client::ErrorKind::Fenced, "{refused}");
    assert!(refused.to_string().contains("the lease is lost"), "{refused}");
    // Reads and a new login still work.
    client
        .get_by_name::<Value>("pool", "gated-1")
        .await
        .expect("read")
        .expect("gated-1 exists");
    sim.expire_sessions();
    client
        .get_by_name::<Value>("pool", "gated-1")
        .await
        .expect("re-login and read");
    // Only the first create reached the controller, and it says who sent it.
    let by_client = sim.writes_by_client();
    let ours = format!("ako-rs/{} (replica-1)", env!("CARGO_PKG_VERSION"));
    assert_eq!(by_client.get(&ours), Some(&1), "{by_client:?}");
    assert_eq!(by_client.values().sum::<u64>(), 1, "{by_client:?}");
    assert!(
        client
            .get_by_name::<Value>("pool", "gated-2")
            .await
            .expect("read")
            .is_none()
    );
    sim.shutdown().await;
}
