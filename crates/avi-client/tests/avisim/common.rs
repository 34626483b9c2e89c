//! Shared helpers: an in-process avisim and client configs for it.

use std::time::Duration;

use avi_client::{Client, Config, Credential, Method, Query, RetryConfig};
use avisim::{Avisim, SimConfig};

pub const USER: &str = "admin";
pub const PASSWORD: &str = "secret-pass";

/// Start a simulator on a free loopback port.
pub async fn sim() -> Avisim {
    Avisim::start(SimConfig::local(USER, PASSWORD))
        .await
        .expect("start avisim")
}

/// A config trusting the simulator's CA, with quick retries so fault tests stay fast.
pub fn config(sim: &Avisim) -> Config {
    Config::new(sim.url(), USER, Credential::password(PASSWORD))
        .with_ca_pem(sim.ca_pem())
        .with_request_timeout(Duration::from_secs(20))
        .with_retry(RetryConfig {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        })
}

/// A user token issued through `client` (`POST /api/user-token`): its value and uuid.
pub async fn issue_token(client: &Client) -> (String, String) {
    let issued: serde_json::Value = client
        .request(
            Method::POST,
            "api/user-token",
            &Query::new(),
            Some(&serde_json::json!({"hours": "240"})),
        )
        .await
        .expect("issue token");
    let text = |k: &str| issued[k].as_str().expect("token fields").to_owned();
    (text("token"), text("uuid"))
}
