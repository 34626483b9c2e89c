//! Answers as the controller writes them: references and `url` as absolute URLs, with the
//! `#name` suffix on writes and with `include_name`; the computed `vh_child_vs_uuid`; the
//! private key redacted; `fields` projection.

use std::collections::BTreeSet;

use avi_model::{ObjectRef, ObjectType};
use serde_json::{Value, json};

use crate::refs::visit_refs_mut;
use crate::store::{Record, Store};
use crate::write::children;

/// How to render.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// `https://host:port`, from the request's Host header.
    pub base: String,
    /// Add `#name` to references and `url`.
    pub include_name: bool,
    /// Keep only these fields (plus `name`, `url`, `uuid`).
    pub fields: Option<BTreeSet<String>>,
}

/// Render a stored record for a response.
pub fn render(store: &Store, rec: &Record, opts: &RenderOptions) -> Value {
    let mut body = rec.body.clone();
    if rec.kind == ObjectType::SslKeyAndCertificate {
        body.remove("key");
    }
    if rec.kind == ObjectType::VirtualService && body.get("type").and_then(Value::as_str) == Some("VS_TYPE_VH_PARENT") {
        let mut kids: Vec<&str> = children(store, rec.uuid()).map(Record::uuid).collect();
        kids.sort_unstable();
        body.insert("vh_child_vs_uuid".into(), json!(kids));
    }
    let self_ref = ObjectRef::by_uuid(rec.kind, rec.uuid());
    body.insert(
        "url".into(),
        json!(self_ref.to_url(&opts.base, opts.include_name.then(|| rec.name()))),
    );
    if let Some(fields) = &opts.fields {
        body.retain(|k, _| fields.contains(k) || matches!(k.as_str(), "name" | "url" | "uuid"));
    }
    let mut value = Value::Object(body);
    let _ = visit_refs_mut::<()>(&mut value, &mut |_, r| {
        *r = url_of(store, r, opts);
        Ok(())
    });
    value
}

fn url_of(store: &Store, canonical: &str, opts: &RenderOptions) -> String {
    let Ok(parsed) = ObjectRef::parse(canonical) else {
        return canonical.to_owned();
    };
    let name = match (parsed.object_type(), parsed.uuid()) {
        (Some(kind), Some(uuid)) => store.get(kind, uuid).map(Record::name),
        _ => None,
    };
    if canonical.starts_with("/api/") {
        parsed.to_url(&opts.base, name.filter(|_| opts.include_name))
    } else {
        canonical.to_owned()
    }
}
