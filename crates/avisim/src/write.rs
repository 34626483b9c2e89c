//! Create, update and delete with the controller's integrity rules: unique names per
//! (type, tenant), references that must resolve in the tenant, optimistic concurrency on
//! `_last_modified`, no delete of a referenced object, SNI parent/child typing, and IPAM.

use avi_model::{ObjectRef, ObjectType};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::refs::{pointer, visit_refs_mut};
use crate::store::{ADMIN, Record, Scope, Store};
use crate::{defaults, ipam};

const VH_PARENT: &str = "VS_TYPE_VH_PARENT";
const VH_CHILD: &str = "VS_TYPE_VH_CHILD";

/// Fields the controller computes; a client's values are ignored.
const READ_ONLY: &[&str] = &["url", "vh_child_vs_uuid"];

/// Create an object (POST). `now` is the wall clock in microseconds.
pub fn create(
    store: &mut Store,
    scope: &Scope,
    kind: ObjectType,
    mut body: Map<String, Value>,
    now: u64,
) -> ApiResult<Record> {
    let name = required_name(&body)?;
    let tenant = owning_tenant(store, scope, kind, &body)?;
    let uuid = match body.get("uuid").and_then(Value::as_str).filter(|u| !u.is_empty()) {
        Some(u) if store.get(kind, u).is_some() => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("{} with uuid {u} already exists.", kind.model_name()),
            ));
        }
        Some(u) => u.to_owned(),
        None => format!("{}-{}", kind.path(), uuid::Uuid::new_v4()),
    };
    if store.name_taken(kind, &tenant, &name).is_some() {
        return Err(duplicate(kind, &name));
    }
    prepare(store, kind, &tenant, &uuid, &mut body, None)?;
    finish(store, kind, uuid, name, tenant, body, now)
}

/// Replace an object (PUT with the whole object).
pub fn update(
    store: &mut Store,
    scope: &Scope,
    kind: ObjectType,
    uuid: &str,
    mut body: Map<String, Value>,
    now: u64,
) -> ApiResult<Record> {
    let existing = visible(store, scope, kind, uuid)?.clone();
    if existing.system {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Cannot modify system object {}", existing.describe()),
        ));
    }
    if let Some(sent) = body.get("_last_modified").and_then(Value::as_str)
        && Some(sent) != existing.body.get("_last_modified").and_then(Value::as_str)
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "Concurrent Update Error: Need to reload object data {} {}",
                kind.model_name(),
                existing.name()
            ),
        ));
    }
    let name = match body.get("name") {
        None => existing.name().to_owned(),
        Some(_) => required_name(&body)?,
    };
    let tenant = existing.tenant().to_owned();
    if store
        .name_taken(kind, &tenant, &name)
        .is_some_and(|other| other != uuid)
    {
        return Err(duplicate(kind, &name));
    }
    if kind == ObjectType::SslKeyAndCertificate && !body.contains_key("key") {
        // Responses redact the key, so a read-modify-write PUT omits it: keep the stored one.
        if let Some(key) = existing.body.get("key") {
            body.insert("key".into(), key.clone());
        }
    }
    prepare(store, kind, &tenant, uuid, &mut body, Some(&existing))?;
    finish(store, kind, uuid.to_owned(), name, tenant, body, now)
}

/// Delete an object, refusing while anything refers to it.
pub fn delete(store: &mut Store, scope: &Scope, kind: ObjectType, uuid: &str) -> ApiResult<Record> {
    let existing = visible(store, scope, kind, uuid)?;
    if existing.system {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Cannot delete system object {}", existing.describe()),
        ));
    }
    let mut referrers: Vec<String> = store.referrers(uuid).map(|r| format!("'{}'", r.describe())).collect();
    if !referrers.is_empty() {
        let total = referrers.len();
        referrers.truncate(20);
        let more = if total > 20 {
            format!(" and {} more", total - 20)
        } else {
            String::new()
        };
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Cannot delete, object is referred by: [{}]{more}", referrers.join(", ")),
        ));
    }
    Ok(store.remove(kind, uuid).expect("checked above"))
}

/// The object `uuid` of `kind` if `scope` may see it, else the controller's 404.
pub fn visible<'s>(store: &'s Store, scope: &Scope, kind: ObjectType, uuid: &str) -> ApiResult<&'s Record> {
    store
        .get(kind, uuid)
        .filter(|r| Store::visible(scope, r))
        .ok_or_else(|| ApiError::not_found(kind.model_name()))
}

fn required_name(body: &Map<String, Value>) -> ApiResult<String> {
    match body.get("name").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_owned()),
        _ => Err(ApiError::bad_request("name: This field is required.")),
    }
}

fn duplicate(kind: ObjectType, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "{} with this Name and Tenant ref already exists. (name '{name}')",
            kind.model_name()
        ),
    )
}

/// The tenant a new object belongs to: its `tenant_ref`, else the request's tenant.
fn owning_tenant(store: &Store, scope: &Scope, kind: ObjectType, body: &Map<String, Value>) -> ApiResult<String> {
    if kind == ObjectType::Tenant {
        return Ok(ADMIN.to_owned());
    }
    match body
        .get("tenant_ref")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
    {
        Some(r) => {
            let parsed = ObjectRef::parse(r).map_err(|e| ApiError::bad_request(format!("tenant_ref: {e}")))?;
            store
                .resolve(ADMIN, &parsed)
                .filter(|t| t.kind == ObjectType::Tenant)
                .map(|t| t.uuid().to_owned())
                .ok_or_else(|| ApiError::no_tenant(parsed.name().or(parsed.uuid()).unwrap_or(r)))
        }
        None => Ok(match scope {
            Scope::All => ADMIN.to_owned(),
            Scope::Tenant(t) => t.clone(),
        }),
    }
}

/// Defaults, reference resolution and type rules, shared by create and update.
fn prepare(
    store: &Store,
    kind: ObjectType,
    tenant: &str,
    uuid: &str,
    body: &mut Map<String, Value>,
    previous: Option<&Record>,
) -> ApiResult<()> {
    for field in READ_ONLY {
        body.remove(*field);
    }
    body.remove("tenant_ref");
    defaults::apply(kind, body, |k, n| store.by_name(k, tenant, n).is_some());
    let mut value = Value::Object(std::mem::take(body));
    visit_refs_mut(&mut value, &mut |field, r| resolve_in_place(store, tenant, field, r))?;
    let Value::Object(resolved) = value else {
        unreachable!("an object stays an object")
    };
    *body = resolved;
    match kind {
        ObjectType::VirtualService => check_virtual_service(store, uuid, body, previous),
        ObjectType::VsVip => ipam::assign(store, uuid, body, previous),
        ObjectType::SslKeyAndCertificate => check_certificate(body),
        _ => Ok(()),
    }
}

/// Rewrite one reference to the canonical `/api/<type>/<uuid>`; `""` stays unset.
fn resolve_in_place(store: &Store, tenant: &str, field: &str, r: &mut String) -> ApiResult<()> {
    if r.trim().is_empty() {
        r.clear();
        return Ok(());
    }
    let parsed = ObjectRef::parse(r).map_err(|e| ApiError::bad_request(format!("{field}: {e}")))?;
    let Some(kind) = parsed.object_type() else {
        // A type avisim does not model (vimgrnwruntime, ...): keep the reference as given.
        return Ok(());
    };
    let target = store
        .resolve(tenant, &parsed)
        .ok_or_else(|| ApiError::bad_request(format!("{} object not found! ({field}: {r})", kind.model_name())))?;
    *r = format!("/api/{}/{}", kind.path(), target.uuid());
    Ok(())
}

/// Virtual hosting: a child needs a parent of type `VS_TYPE_VH_PARENT` and of its `vh_type` (SNI
/// or enhanced); a parent with children cannot stop being one.
fn check_virtual_service(
    store: &Store,
    uuid: &str,
    body: &Map<String, Value>,
    previous: Option<&Record>,
) -> ApiResult<()> {
    let vs_type = body.get("type").and_then(Value::as_str).unwrap_or("VS_TYPE_NORMAL");
    if vs_type == VH_CHILD {
        let parent = body
            .get("vh_parent_vs_ref")
            .and_then(Value::as_str)
            .and_then(|r| ObjectRef::parse(r).ok())
            .and_then(|r| store.get(ObjectType::VirtualService, r.uuid()?))
            .ok_or_else(|| {
                ApiError::bad_request("vh_parent_vs_ref is required for a VS_TYPE_VH_CHILD virtual service")
            })?;
        if parent.body.get("type").and_then(Value::as_str) != Some(VH_PARENT) {
            return Err(ApiError::bad_request(format!(
                "Parent virtual service {} is not of type VS_TYPE_VH_PARENT",
                parent.name()
            )));
        }
        // An enhanced (EVH) child needs an enhanced parent, an SNI child an SNI one.
        let vh_type = |b: &Map<String, Value>| {
            b.get("vh_type")
                .and_then(Value::as_str)
                .unwrap_or("VS_TYPE_VH_SNI")
                .to_owned()
        };
        if vh_type(body) != vh_type(&parent.body) {
            return Err(ApiError::bad_request(format!(
                "Child virtual service vh_type {} does not match parent virtual service {} vh_type {}",
                vh_type(body),
                parent.name(),
                vh_type(&parent.body)
            )));
        }
    }
    let was_parent = previous.is_some_and(|p| p.body.get("type").and_then(Value::as_str) == Some(VH_PARENT));
    if was_parent && vs_type != VH_PARENT && children(store, uuid).next().is_some() {
        return Err(ApiError::bad_request(
            "Cannot change the type of a VS_TYPE_VH_PARENT virtual service that has child virtual services",
        ));
    }
    Ok(())
}

/// Child virtual services of a parent, from the reference index.
pub fn children<'s>(store: &'s Store, parent: &'s str) -> impl Iterator<Item = &'s Record> {
    let parent_ref = format!("/api/virtualservice/{parent}");
    store.referrers(parent).filter(move |r| {
        r.kind == ObjectType::VirtualService
            && r.body.get("vh_parent_vs_ref").and_then(Value::as_str) == Some(&parent_ref)
    })
}

/// The controller parses the PEM on import and answers 500 "Import error" when it cannot.
fn check_certificate(body: &Map<String, Value>) -> ApiResult<()> {
    let pem = pointer(body, "/certificate/certificate")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !pem.contains("-----BEGIN CERTIFICATE-----") || !pem.contains("-----END CERTIFICATE-----") {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Import error: certificate.certificate is not a PEM certificate (common_name could not be read)",
        ));
    }
    Ok(())
}

fn finish(
    store: &mut Store,
    kind: ObjectType,
    uuid: String,
    name: String,
    tenant: String,
    mut body: Map<String, Value>,
    now: u64,
) -> ApiResult<Record> {
    body.insert("uuid".into(), json!(uuid));
    body.insert("name".into(), json!(name));
    if kind != ObjectType::Tenant {
        body.insert("tenant_ref".into(), json!(format!("/api/tenant/{tenant}")));
    }
    body.insert("_last_modified".into(), json!(store.tick(now)));
    Ok(store
        .put(Record {
            kind,
            system: false,
            body,
            seq: 0,
        })
        .clone())
}
