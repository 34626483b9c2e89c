//! The HTTPS listener and the front door every request passes: path normalization (the
//! controller answers `//api/pool/` as `/api/pool`, never with a redirect), fault injection,
//! added latency, counting and logging, then the controller API or avisim's `/_sim` API.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, Response, StatusCode, Uri};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::control::RequestRecord;
use crate::error::ApiError;
use crate::{Shared, api, sim_api};

/// Request bodies up to this size are accepted (a VS with many rules can be large).
const MAX_BODY: usize = 64 << 20;

/// Everything a connection needs to answer requests.
#[derive(Clone)]
pub struct FrontDoor {
    shared: Arc<Shared>,
    api: Router,
    sim: Router,
}

impl FrontDoor {
    /// Build the routers.
    pub fn new(shared: Arc<Shared>) -> Self {
        let api = Router::new()
            .fallback(api::handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let sim = sim_api::routes(shared.clone());
        FrontDoor { shared, api, sim }
    }

    /// Answer one request. An `Err` makes hyper close the connection without a response,
    /// which is how a "dropped connection" fault is delivered.
    pub async fn call(&self, req: Request<Incoming>) -> Result<Response<Body>, io::Error> {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        let path = normalize(parts.uri.path());
        let query = parts.uri.query().unwrap_or_default().to_owned();
        parts.uri = rebuild_uri(&path, &query);
        if path.starts_with("/_sim/") {
            let req = Request::from_parts(parts, Body::new(body));
            return Ok(self
                .sim
                .clone()
                .oneshot(req)
                .await
                .unwrap_or_else(|never| match never {}));
        }
        let method = parts.method.as_str().to_owned();
        let object_type = classify(&path);
        // With `log_bodies`, a write to /api is buffered so its body can be logged too.
        let (body, logged_body) = if self.shared.log_bodies
            && path.starts_with("/api/")
            && matches!(method.as_str(), "POST" | "PUT" | "PATCH")
        {
            match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
                Ok(bytes) => {
                    let logged = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
                    (Body::from(bytes), Some(logged))
                }
                Err(e) => {
                    let response =
                        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")).into_response();
                    self.shared.control.record(RequestRecord {
                        seq: 0,
                        method,
                        path,
                        query,
                        object_type,
                        tenant: None,
                        client: None,
                        status: response.status().as_u16(),
                        micros: started.elapsed().as_micros() as u64,
                        body: None,
                    });
                    return Ok(response);
                }
            }
        } else {
            (Body::new(body), None)
        };
        let req = Request::from_parts(parts, body);
        let tenant = req
            .headers()
            .get("x-avi-tenant")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let client = req
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let decision = self.shared.control.decide(&method, &object_type);
        if !decision.delay.is_zero() {
            tokio::time::sleep(decision.delay).await;
        }
        let response = if decision.drop {
            None
        } else if let Some((status, message)) = decision.respond {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(ApiError::new(status, message).into_response())
        } else {
            Some(
                self.api
                    .clone()
                    .oneshot(req)
                    .await
                    .unwrap_or_else(|never| match never {}),
            )
        };
        self.shared.control.record(RequestRecord {
            seq: 0,
            method,
            path,
            query,
            object_type,
            tenant,
            client,
            status: response.as_ref().map_or(0, |r| r.status().as_u16()),
            micros: started.elapsed().as_micros() as u64,
            body: logged_body,
        });
        response.ok_or_else(|| io::Error::other("avisim: connection dropped by fault injection"))
    }
}

/// Collapse duplicate slashes and drop a trailing slash.
fn normalize(path: &str) -> String {
    let joined: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", joined.join("/"))
}

fn rebuild_uri(path: &str, query: &str) -> Uri {
    let s = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    s.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

/// The object type a request is about: `pool` for `/api/pool/...`, `login` for `/login`.
fn classify(path: &str) -> String {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    match segments.next() {
        Some("api") => segments.next().unwrap_or("api").to_owned(),
        Some(other) => other.to_owned(),
        None => String::new(),
    }
}

/// Accept TLS connections until `shutdown`, then wait for open connections to end.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, door: FrontDoor, shutdown: CancellationToken) {
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                continue;
            }
        };
        let (acceptor, door, shutdown) = (acceptor.clone(), door.clone(), shutdown.clone());
        tracker.spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
            };
            let service = hyper::service::service_fn(move |req| {
                let door = door.clone();
                async move { door.call(req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                result = conn => if let Err(e) = result { tracing::debug!(%peer, "connection ended: {e}") },
                _ = shutdown.cancelled() => {}
            }
        });
    }
    tracker.close();
    tracker.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths_like_the_controller() {
        assert_eq!(normalize("//api/pool/"), "/api/pool");
        assert_eq!(normalize("/api//vsvip/vsvip-1/"), "/api/vsvip/vsvip-1");
        assert_eq!(normalize("/"), "/");
        assert_eq!(classify("/api/pool/pool-1"), "pool");
        assert_eq!(classify("/login"), "login");
    }
}
