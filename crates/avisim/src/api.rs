//! The controller's REST surface: `/login`, `/logout` and `/api/...` (objects, initial-data,
//! cluster, cluster runtime, system configuration, IPAM/DNS domain list, user tokens).
//!
//! Paths arrive normalized (duplicate and trailing slashes removed, see `server.rs`), so
//! `//api/pool/` and `/api/pool` are the same request, and nothing is ever redirected.

use std::sync::Arc;

use avi_model::ObjectType;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLockWriteGuard;
use serde_json::{Map, Value, json};

use crate::auth::{LoginRequest, UserToken, is_write, random_token, session_cookies};
use crate::error::{ApiError, ApiResult};
use crate::query::ListQuery;
use crate::refs::pointer;
use crate::render::{RenderOptions, render};
use crate::store::{ADMIN, Record, Scope, Store};
use crate::write::visible;
use crate::{Shared, now_micros};

/// Handle one controller request.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let version = headers
        .get("x-avi-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| shared.world.read().controller.version.clone());
    let mut response = match dispatch(&shared, &method, &uri, &headers, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&version) {
        response.headers_mut().insert("avi_api_version", v);
    }
    response
}

fn dispatch(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> ApiResult<Response> {
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["login"]) => return login(shared, headers, body),
        (&Method::POST, ["logout"]) => {
            shared.sessions.lock().close(headers);
            return Ok(StatusCode::OK.into_response());
        }
        (_, ["api", ..]) => {}
        _ => return Err(ApiError::not_found("Resource")),
    }
    shared.sessions.lock().check(method, headers)?;
    if is_write(method) && shared.control.upgrade_in_progress() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Configuration is disallowed during upgrade",
        ));
    }
    let ctx = Ctx::new(shared, uri, headers)?;
    match (method, &segments[1..]) {
        (&Method::GET, ["initial-data"]) => Ok(json_ok(initial_data(shared))),
        (&Method::GET, ["cluster", "runtime"]) => Ok(json_ok(cluster_runtime(shared))),
        (&Method::GET, ["ipamdnsproviderprofiledomainlist"]) => domain_list(shared, &ctx),
        (_, ["user-token", rest @ ..]) => user_token(shared, method, rest, body),
        (&Method::GET, ["cluster" | "systemconfiguration"]) => singleton(shared, &ctx, segments[1]),
        (&Method::PUT, ["systemconfiguration"]) => {
            let uuid = singleton_uuid(shared, ObjectType::SystemConfiguration)?;
            object(shared, &ctx, method, ObjectType::SystemConfiguration, Some(&uuid), body)
        }
        (_, [kind]) => object(shared, &ctx, method, parse_kind(kind)?, None, body),
        (_, [kind, uuid]) => object(shared, &ctx, method, parse_kind(kind)?, Some(uuid), body),
        _ => Err(ApiError::not_found("Resource")),
    }
}

/// Per-request context: tenant scope, query and rendering options.
struct Ctx {
    scope: Scope,
    query: ListQuery,
    render: RenderOptions,
}

impl Ctx {
    fn new(shared: &Shared, uri: &Uri, headers: &HeaderMap) -> ApiResult<Ctx> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let query = ListQuery::parse(pairs);
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let base = format!("https://{}", host.unwrap_or_else(|| shared.listen.to_string()));
        let render = RenderOptions {
            base,
            include_name: query.include_name,
            fields: query.fields.clone(),
        };
        Ok(Ctx {
            scope: tenant_scope(&shared.world.read().store, headers)?,
            query,
            render,
        })
    }
}

/// `X-Avi-Tenant` (name, or `*` for all) or `X-Avi-Tenant-UUID`; default `admin`.
fn tenant_scope(store: &Store, headers: &HeaderMap) -> ApiResult<Scope> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(uuid) = header("x-avi-tenant-uuid") {
        return store
            .get(ObjectType::Tenant, uuid)
            .map(|t| Scope::Tenant(t.uuid().to_owned()))
            .ok_or_else(|| ApiError::no_tenant(uuid));
    }
    match header("x-avi-tenant") {
        None => Ok(Scope::Tenant(ADMIN.to_owned())),
        Some("*") => Ok(Scope::All),
        Some(name) => store
            .by_name(ObjectType::Tenant, ADMIN, name)
            .map(|t| Scope::Tenant(t.uuid().to_owned()))
            .ok_or_else(|| ApiError::no_tenant(name)),
    }
}

fn parse_kind(kind: &str) -> ApiResult<ObjectType> {
    kind.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, format!("Unknown object type '{kind}'")))
}

fn json_ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn parse_body(body: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("Request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Invalid JSON in request body: {e}"))),
    }
}

/// CRUD on `/api/<type>` and `/api/<type>/<uuid>`.
fn object(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    kind: ObjectType,
    uuid: Option<&str>,
    body: &[u8],
) -> ApiResult<Response> {
    let write_view = RenderOptions {
        include_name: true,
        fields: None,
        ..ctx.render.clone()
    };
    if method == Method::GET {
        // Reads share the lock, so concurrent GETs and lists run in parallel.
        let world = shared.world.read();
        return match uuid {
            None => Ok(json_ok(list(&world.store, ctx, kind))),
            Some(uuid) => Ok(json_ok(render(
                &world.store,
                visible(&world.store, &ctx.scope, kind, uuid)?,
                &ctx.render,
            ))),
        };
    }
    let body = if is_write(method) && *method != Method::DELETE {
        Some(parse_body(body)?)
    } else {
        None
    };
    let mut world = shared.world.write();
    match (method, uuid, body) {
        (&Method::POST, None, Some(body)) => {
            let rec = world.create(&ctx.scope, kind, body, now_micros())?;
            let world = RwLockWriteGuard::downgrade(world);
            let rendered = render(&world.store, &rec, &write_view);
            let location = rendered
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut resp = (StatusCode::CREATED, axum::Json(rendered)).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        (&Method::PUT, Some(uuid), Some(body)) => {
            let rec = world.update(&ctx.scope, kind, uuid, body, now_micros())?;
            let world = RwLockWriteGuard::downgrade(world);
            Ok(json_ok(render(&world.store, &rec, &write_view)))
        }
        (&Method::DELETE, Some(uuid), _) => {
            world.delete(&ctx.scope, kind, uuid)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (&Method::PATCH, _, _) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "avisim does not implement PATCH",
        )),
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method {method} not allowed here"),
        )),
    }
}

/// A collection page: `{"count", "results", "next"}`, in creation order.
fn list(store: &Store, ctx: &Ctx, kind: ObjectType) -> Value {
    // Creation order, like the controller; `name=` is answered from the name index.
    let candidates: Box<dyn Iterator<Item = &Record>> = match ctx.query.exact_name() {
        Some(name) => Box::new(store.named(kind, name).into_iter()),
        None => Box::new(store.all(kind)),
    };
    let q = &ctx.query;
    let start = (q.page - 1).saturating_mul(q.page_size);
    let mut count = 0;
    let mut results = Vec::new();
    for rec in candidates.filter(|r| Store::visible(&ctx.scope, r) && q.matches(store, r)) {
        if count >= start && results.len() < q.page_size {
            results.push(render(store, rec, &ctx.render));
        }
        count += 1;
    }
    let mut page = json!({"count": count, "results": results});
    if start + q.page_size < count {
        page["next"] = json!(format!(
            "{}/api/{}?{}",
            ctx.render.base,
            kind.path(),
            q.next_page_query()
        ));
    }
    page
}

/// The one object of a singleton type (cluster, systemconfiguration).
fn only(store: &Store, kind: ObjectType) -> ApiResult<&Record> {
    store
        .all(kind)
        .next()
        .ok_or_else(|| ApiError::not_found(kind.model_name()))
}

fn singleton_uuid(shared: &Shared, kind: ObjectType) -> ApiResult<String> {
    Ok(only(&shared.world.read().store, kind)?.uuid().to_owned())
}

/// `/api/cluster` and `/api/systemconfiguration` answer with the bare object.
fn singleton(shared: &Shared, ctx: &Ctx, kind: &str) -> ApiResult<Response> {
    let world = shared.world.read();
    Ok(json_ok(render(
        &world.store,
        only(&world.store, parse_kind(kind)?)?,
        &ctx.render,
    )))
}

fn initial_data(shared: &Shared) -> Value {
    let c = shared.world.read().controller.clone();
    json!({
        "version": {
            "Version": c.version,
            "build": c.build,
            "Tag": format!("{}-{}-avisim", c.version, c.build),
            "min_version": 15.2,
            "ProductName": "Avi Cloud Controller (avisim)",
        },
        "user_initialized": true,
        "setup_failed": false,
    })
}

fn cluster_runtime(shared: &Shared) -> Value {
    let c = shared.world.read().controller.clone();
    json!({
        "cluster_state": {"state": "CLUSTER_UP_NO_HA", "progress": 100},
        "node_states": [{"name": c.leader_name, "role": "CLUSTER_LEADER", "state": "CLUSTER_ACTIVE", "up_since": c.up_since}],
    })
}

/// `GET /api/ipamdnsproviderprofiledomainlist?cloud_uuid=...`: the DNS domains of the cloud's
/// DNS profile (falling back to its IPAM profile).
fn domain_list(shared: &Shared, ctx: &Ctx) -> ApiResult<Response> {
    let world = shared.world.read();
    let store = &world.store;
    let wanted = ctx.query.param("cloud_uuid");
    let cloud = store
        .all(ObjectType::Cloud)
        .filter(|c| Store::visible(&ctx.scope, c))
        .find(|c| wanted.is_none_or(|uuid| c.uuid() == uuid))
        .ok_or_else(|| ApiError::not_found("Cloud"))?;
    let profile = ["dns_provider_ref", "ipam_provider_ref"].iter().find_map(|field| {
        let r = avi_model::ObjectRef::parse(cloud.body.get(*field)?.as_str()?).ok()?;
        store.get(ObjectType::IpamDnsProviderProfile, r.uuid()?)
    });
    let domains: Vec<Value> = profile
        .and_then(|p| {
            pointer(&p.body, "/internal_profile/dns_service_domain")?
                .as_array()
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.get("domain_name").cloned())
        .collect();
    Ok(json_ok(json!({"domains": domains})))
}

/// `POST /login`: JSON or form; password or token.
fn login(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> ApiResult<Response> {
    let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, "Invalid credentials");
    let req = LoginRequest::parse(headers, body).ok_or_else(invalid)?;
    let (username, password) = shared.credentials();
    let now_secs = now_micros() / 1_000_000;
    let ok = req.username == username
        && match (&req.password, &req.token) {
            (Some(p), _) => *p == password,
            (None, Some(t)) => shared
                .world
                .read()
                .tokens
                .values()
                .any(|tok| tok.token == *t && tok.expires_at_secs > now_secs),
            (None, None) => false,
        };
    if !ok {
        return Err(invalid());
    }
    let session = shared.sessions.lock().open();
    let c = shared.world.read().controller.clone();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let body = json!({
        "user_initialized": true,
        "version": {"Version": c.version, "build": c.build, "min_version": 15.2, "ProductName": "Avi Cloud Controller (avisim)"},
        "user": {"username": username, "uuid": "user-1", "default_tenant_ref": format!("https://{host}/api/tenant/admin#admin")},
        "tenants": [{"name": "admin", "uuid": "admin", "url": format!("https://{host}/api/tenant/admin#admin")}],
        "controller": {"api_idle_timeout": 15},
        "session_cookie_name": "avi-sessionid",
    });
    let mut resp = json_ok(body);
    for cookie in session_cookies(&session) {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// `/api/user-token`: list, issue (`{"hours": "240"}`, hours as a string or number), revoke.
fn user_token(shared: &Shared, method: &Method, rest: &[&str], body: &[u8]) -> ApiResult<Response> {
    let mut world = shared.world.write();
    let render_token = |t: &UserToken| {
        let expires = jiff::Timestamp::from_second(t.expires_at_secs as i64)
            .map(|ts| ts.to_string())
            .unwrap_or_default();
        json!({"uuid": t.uuid, "token": t.token, "expires_at": expires, "hours": t.hours, "username": shared.credentials().0})
    };
    match (method, rest) {
        (&Method::GET, []) => {
            let results: Vec<Value> = world.tokens.values().map(render_token).collect();
            Ok(json_ok(json!({"count": results.len(), "results": results})))
        }
        (&Method::POST, []) => {
            let req = parse_body(body)?;
            let hours = match req.get("hours") {
                Some(Value::String(s)) => s.parse().map_err(|_| ApiError::bad_request("hours must be a number"))?,
                Some(Value::Number(n)) => n
                    .as_u64()
                    .ok_or_else(|| ApiError::bad_request("hours must be a number"))?,
                _ => 24,
            };
            let token = UserToken {
                uuid: format!("user-token-{}", uuid::Uuid::new_v4()),
                token: random_token(40),
                expires_at_secs: now_micros() / 1_000_000 + hours * 3600,
                hours,
            };
            world.put_token(token.clone())?;
            Ok((StatusCode::CREATED, axum::Json(render_token(&token))).into_response())
        }
        (&Method::DELETE, [uuid]) => {
            world.delete_token(uuid)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Unsupported user-token request",
        )),
    }
}
