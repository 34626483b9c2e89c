//! Test helpers: start avisim in-process and talk to it over real HTTPS with a bare HTTP
//! client, so tests see the wire exactly (status codes, text bodies, cookies, headers).

#![allow(dead_code)]

use std::time::Duration;

use avisim::{Avisim, SimConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "s3cret-Pass";

pub async fn start() -> Avisim {
    start_with(SimConfig::local(USER, PASSWORD)).await
}

pub async fn start_with(config: SimConfig) -> Avisim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Avisim::start(config).await.expect("avisim starts")
}

/// An HTTP client that trusts the simulator's CA and keeps cookies.
pub fn http(sim: &Avisim) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap()])
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A logged-in session, sending the headers the Go SDK sends.
#[derive(Clone)]
pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
    pub tenant: Option<String>,
}

/// A response: status, body as JSON (or a string for text bodies), headers.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .or(self.body.as_str())
            .unwrap_or_default()
    }
}

impl Session {
    pub async fn login(sim: &Avisim) -> Session {
        Self::login_with(sim, serde_json::json!({"username": USER, "password": PASSWORD}))
            .await
            .unwrap()
    }

    pub async fn login_with(sim: &Avisim, creds: Value) -> Result<Session, Reply> {
        let http = http(sim);
        let base = sim.url();
        let resp = http.post(format!("{base}/login")).json(&creds).send().await.unwrap();
        let cookies: Vec<String> = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let reply = to_reply(resp).await;
        if reply.status != StatusCode::OK {
            return Err(reply);
        }
        let csrf = cookies
            .iter()
            .find_map(|c| c.strip_prefix("csrftoken="))
            .and_then(|c| c.split(';').next())
            .expect("csrftoken cookie")
            .to_owned();
        assert!(cookies.iter().any(|c| c.starts_with("avi-sessionid=")), "{cookies:?}");
        assert!(cookies.iter().any(|c| c.starts_with("sessionid=")), "{cookies:?}");
        Ok(Session {
            http,
            base,
            csrf,
            tenant: None,
        })
    }

    pub fn in_tenant(&self, tenant: &str) -> Session {
        Session {
            http: self.http.clone(),
            base: self.base.clone(),
            csrf: self.csrf.clone(),
            tenant: Some(tenant.into()),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("X-CSRFToken", &self.csrf)
            .header("Referer", format!("{}/", self.base))
            .header("X-Avi-Version", "30.2.1")
            .header("Content-Type", "application/json");
        if let Some(t) = &self.tenant {
            req = req.header("X-Avi-Tenant", t);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        to_reply(req.send().await.expect("request reaches avisim")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// POST that must succeed; returns the created object.
    pub async fn create(&self, kind: &str, body: Value) -> Value {
        let r = self.post(&format!("/api/{kind}"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {kind}: {}", r.body);
        r.body
    }

    /// Results of a collection GET that must succeed.
    pub async fn list(&self, path: &str) -> Vec<Value> {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.body["results"].as_array().cloned().unwrap_or_default()
    }
}

pub async fn to_reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body, headers }
}

pub fn uuid_of(v: &Value) -> String {
    v["uuid"].as_str().expect("uuid").to_owned()
}

pub fn names(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect()
}
