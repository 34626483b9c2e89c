//! TLS trust: system roots reject the simulator's private CA; its CA bundle or an explicit
//! insecure opt-in is accepted.

use avi_client::{Client, Config, Credential, Error, Query, RetryConfig};
use serde_json::Value;

use crate::common::{PASSWORD, USER, config, sim};

#[tokio::test]
async fn untrusted_certificate_is_rejected_by_default() {
    let sim = sim().await;
    let cfg = Config::new(sim.url(), USER, Credential::password(PASSWORD)).with_retry(RetryConfig::none());
    let err = Client::connect(cfg)
        .await
        .expect_err("private CA is not in the system roots");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.to_string().contains(PASSWORD));
    assert_eq!(
        sim.counters().total(None, Some("login")),
        0,
        "no HTTP exchange without trust"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn configured_ca_is_trusted() {
    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("trusted via CA bundle");
    let _: Vec<Value> = client.list("pool", &Query::new()).await.expect("list");
    sim.shutdown().await;
}

#[tokio::test]
async fn other_ca_is_not_trusted() {
    let sim = sim().await;
    let other = avisim::Avisim::start(avisim::SimConfig::local(USER, PASSWORD))
        .await
        .expect("second sim");
    // Trusting only the second simulator's CA must not let the first one's certificate pass.
    let cfg = config(&sim).with_ca_pem(other.ca_pem()).with_retry(RetryConfig::none());
    let err = Client::connect(cfg).await.expect_err("wrong CA");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    other.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn insecure_opt_in_accepts_any_certificate() {
    let sim = sim().await;
    let cfg = Config::new(sim.url(), USER, Credential::password(PASSWORD)).with_insecure(true);
    let client = Client::connect(cfg).await.expect("insecure opt-in");
    let _: Vec<Value> = client.list("pool", &Query::new()).await.expect("list");
    sim.shutdown().await;
}
