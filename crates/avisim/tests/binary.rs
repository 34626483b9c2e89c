//! The `avisim` binary: prints its ready line, serves HTTPS with the CA in `--cert-dir`, and
//! after `kill -9` a restart on the same `--state` has every acknowledged write.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path, listen: &str) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_avisim"))
        .args(["--listen", listen, "--username", "admin", "--password", "bin-Pass1"])
        .arg("--cert-dir")
        .arg(dir.join("certs"))
        .arg("--state")
        .arg(dir.join("state.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn avisim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read stdout");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Running {
        url: url.to_owned(),
        child,
    }
}

async fn login(url: &str, ca: &str) -> (reqwest::Client, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
        .cookie_store(true)
        .build()
        .unwrap();
    let resp = http
        .post(format!("{url}/login"))
        .json(&json!({"username": "admin", "password": "bin-Pass1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csrf = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .unwrap()
                .strip_prefix("csrftoken=")
                .map(|c| c.split(';').next().unwrap().to_owned())
        })
        .unwrap();
    (http, csrf)
}

#[tokio::test]
async fn binary_serves_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn(dir.path(), "127.0.0.1:0");
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.crt")).expect("ca.crt written");
    let (http, csrf) = login(&first.url, &ca).await;
    let mut uuids = Vec::new();
    for i in 0..20 {
        let resp = http
            .post(format!("{}/api/pool", first.url))
            .header("X-CSRFToken", &csrf)
            .header("Referer", format!("{}/", first.url))
            .json(&json!({"name": format!("p{i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        uuids.push(resp.json::<Value>().await.unwrap()["uuid"].as_str().unwrap().to_owned());
    }
    let port = first.url.rsplit(':').next().unwrap().to_owned();
    drop(first); // SIGKILL: no graceful shutdown, no final snapshot

    // Same port: tokio binds with SO_REUSEADDR, so the killed listener does not block it.
    let second = spawn(dir.path(), &format!("127.0.0.1:{port}"));
    let (http, _) = login(&second.url, &ca).await;
    for uuid in &uuids {
        let resp = http
            .get(format!("{}/api/pool/{uuid}", second.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "pool {uuid} lost across kill -9");
    }
}
