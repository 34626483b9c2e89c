//! Trace logs name method, path, tenant and status, and never credentials or session tokens.
//!
//! A test binary of its own: tracing caches per-callsite interest process-wide, so a
//! thread-local subscriber misses events when other tests run concurrently in the same process.

#[path = "avisim/common.rs"]
mod common;

use std::io;
use std::sync::Arc;

use avi_client::{Client, Credential, Query};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use common::{PASSWORD, config, issue_token, sim};

/// Collects formatted log lines in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn trace_logs_contain_no_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("avi_client=trace"))
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded, so a thread-local default covers every await below.
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim().await;
    let client = Client::connect(config(&sim)).await.expect("login");
    let (token, _) = issue_token(&client).await;
    let _: Value = client
        .create("pool", &json!({"name": "log-pool"}))
        .await
        .expect("create");
    sim.expire_sessions();
    let _: Vec<Value> = client
        .tenant("*")
        .list("pool", &Query::new())
        .await
        .expect("list after re-login");
    let mut token_cfg = config(&sim);
    token_cfg.credential = Credential::token(token.clone());
    let _ = Client::connect(token_cfg).await.expect("token login");
    let mut bad = config(&sim);
    bad.credential = Credential::password("bad-password-xyz");
    let _ = Client::connect(bad).await.expect_err("refused");
    sim.shutdown().await;

    let logs = String::from_utf8(captured.0.lock().clone()).expect("utf-8 logs");
    assert!(logs.contains("avi request"), "request events are logged:\n{logs}");
    assert!(
        logs.contains("path=/api/pool") && logs.contains("tenant=*") && logs.contains("status=201"),
        "{logs}"
    );
    for secret in [PASSWORD, token.as_str(), "bad-password-xyz", "csrftoken=", "sessionid="] {
        assert!(!logs.contains(secret), "log leaks {secret:?}:\n{logs}");
    }
}
