//! avisim in-process over real HTTPS, and a client for it.

use std::time::{Duration, Instant};

use ako_sync::{Owner, PlanOptions, SyncOptions};
use avi_client::{Client, Config, Credential, Query, RetryConfig};
use avisim::{Avisim, SimConfig};
use serde_json::Value;

use super::desired::CLUSTER;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "sync-Pass1";

pub async fn start() -> Avisim {
    start_with(SimConfig::local(USER, PASSWORD)).await
}

pub async fn start_with(config: SimConfig) -> Avisim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Avisim::start(config).await.expect("avisim starts")
}

/// Client settings for tests: verified TLS, quick retries.
pub fn config(url: &str, ca_pem: &str) -> Config {
    Config::new(url, USER, Credential::password(PASSWORD))
        .with_ca_pem(ca_pem)
        .with_request_timeout(Duration::from_secs(20))
        .with_connect_timeout(Duration::from_secs(2))
        .with_retry(RetryConfig {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        })
}

pub async fn client(sim: &Avisim) -> Client {
    Client::connect(config(&sim.url(), &sim.ca_pem())).await.expect("login")
}

pub fn owner() -> Owner {
    Owner::new(CLUSTER)
}

/// Sync options for tests: garbage collection on, quick backoff.
pub fn options() -> SyncOptions {
    SyncOptions {
        plan: PlanOptions {
            collect_garbage: true,
            ..PlanOptions::default()
        },
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        slow_retry_delay: Duration::from_millis(300),
        deadline: Some(Duration::from_secs(60)),
        ..SyncOptions::default()
    }
}

/// Names of every object of `kind` in all tenants, sorted.
pub async fn names(client: &Client, kind: &str) -> Vec<String> {
    let all: Vec<Value> = client.all_tenants().list(kind, &Query::new()).await.expect("list");
    let mut names: Vec<String> = all
        .iter()
        .map(|o| o["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

/// The object of `kind` named `name` in `tenant` (with `#name` refs).
pub async fn get(client: &Client, tenant: &str, kind: &str, name: &str) -> Option<Value> {
    let page: avi_client::Page<Value> = client
        .tenant(tenant)
        .list_page(kind, &Query::new().name(name).include_name())
        .await
        .expect("get by name");
    page.results.into_iter().next()
}

/// Writes (POST/PUT/DELETE) the simulator counted for `kind`, any status.
pub fn writes_of(sim: &Avisim, kind: &str) -> u64 {
    let c = sim.counters();
    ["POST", "PUT", "DELETE"]
        .iter()
        .map(|m| c.total(Some(m), Some(kind)))
        .sum()
}

/// (method, type, name-or-uuid path) of every logged write, in order.
pub fn write_log(sim: &Avisim) -> Vec<(String, String, String)> {
    sim.request_log(0)
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "DELETE") && r.object_type != "login")
        .map(|r| (r.method, r.object_type, r.path))
        .collect()
}

/// Poll `check` until it is true or `deadline` passes.
pub async fn eventually<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
