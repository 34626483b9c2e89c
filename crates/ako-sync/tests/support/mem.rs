//! A controller in memory for planner tests: it stores objects in the form the controller
//! answers with and enforces its integrity rules (unique names, references that must resolve,
//! no delete of a referenced object, whole-object PUT).

use std::collections::BTreeMap;

use ako_sync::refs::ref_keys;
use ako_sync::{Action, MANAGED_KINDS, ObjectKey, Observed, Operation};
use avi_model::ObjectRef;
use serde_json::{Value, json};

/// A controller in memory: stored objects in the form the controller answers with.
#[derive(Clone, Debug, Default)]
pub struct Mem {
    pub objects: BTreeMap<ObjectKey, Value>,
    pub serial: u64,
}

impl Mem {
    /// The stored form of a body: uuid, tenant_ref and name references as `https://…/<uuid>#name`.
    pub fn render(&mut self, key: &ObjectKey, mut body: Value, uuid: Option<String>) -> Value {
        let uuid = uuid.unwrap_or_else(|| {
            self.serial += 1;
            format!("{}-{}", key.kind.path(), self.serial)
        });
        rewrite_refs(&mut body);
        body["uuid"] = json!(uuid);
        body["tenant_ref"] = json!(format!("https://mem/api/tenant/{0}#{0}", key.tenant));
        body
    }

    fn check_refs(&self, key: &ObjectKey, body: &Value) -> Result<(), String> {
        for target in ref_keys(body, &key.tenant) {
            if MANAGED_KINDS.contains(&target.kind) && !self.objects.contains_key(&target) {
                return Err(format!("{key} refers to missing {target}"));
            }
        }
        Ok(())
    }

    fn uuid_of(&self, key: &ObjectKey) -> Option<String> {
        self.objects
            .get(key)
            .and_then(|o| o["uuid"].as_str())
            .map(str::to_owned)
    }

    /// Apply one operation; `Ok(Some(body))` is the write response.
    pub fn apply(&mut self, op: &Operation) -> Result<Option<Value>, String> {
        let key = &op.key;
        match &op.action {
            Action::Create { body } => {
                if self.objects.contains_key(key) {
                    return Err(format!("409: {key} already exists"));
                }
                let body = body.to_value();
                self.check_refs(key, &body)?;
                let stored = self.render(key, body, None);
                self.objects.insert(key.clone(), stored.clone());
                Ok(Some(stored))
            }
            Action::Update { uuid, body, .. } => {
                if self.uuid_of(key).as_deref() != Some(uuid.as_str()) {
                    return Err(format!("404: {key} {uuid}"));
                }
                let body = body.to_value();
                self.check_refs(key, &body)?;
                let stored = self.render(key, body, Some(uuid.clone()));
                self.objects.insert(key.clone(), stored.clone());
                Ok(Some(stored))
            }
            Action::Delete { uuid } => {
                if self.uuid_of(key).as_deref() != Some(uuid.as_str()) {
                    return Err(format!("404: {key} {uuid}"));
                }
                if let Some((by, _)) = self
                    .objects
                    .iter()
                    .find(|(k, o)| *k != key && ref_keys(o, &k.tenant).contains(key))
                {
                    return Err(format!("Cannot delete {key}, object is referred by {by}"));
                }
                self.objects.remove(key);
                Ok(None)
            }
        }
    }

    pub fn observed(&self) -> Observed {
        let mut o = Observed::new(super::sim::owner());
        for (key, body) in &self.objects {
            let _ = o.record(key.kind, body.clone(), &key.tenant);
        }
        o
    }
}

/// Name references → `https://mem/api/<type>/<type>-x#<name>` (the controller's answer form).
fn rewrite_refs(v: &mut Value) {
    let fix = |s: &mut String| {
        if let Ok(r) = ObjectRef::parse(s)
            && let Some(name) = r.name().map(str::to_owned)
            && r.uuid().is_none()
        {
            *s = format!("https://mem/api/{0}/{0}-x#{name}", r.kind);
        }
    };
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match x {
                    Value::String(s) if k.ends_with("_ref") => fix(s),
                    Value::Array(items) if k.ends_with("_refs") => {
                        for i in items.iter_mut() {
                            match i {
                                Value::String(s) => fix(s),
                                other => rewrite_refs(other),
                            }
                        }
                    }
                    other => rewrite_refs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

impl Mem {
    /// Apply every operation of `plan` in order; panics on an integrity violation.
    pub fn apply_plan(&mut self, plan: &ako_sync::Plan) {
        for op in plan.operations() {
            self.apply(op).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// A controller holding exactly `desired` (planned from empty and applied).
    pub fn holding(desired: &ako_translate::Translation) -> Mem {
        let mut mem = Mem::default();
        let options = ako_sync::PlanOptions::default();
        let p = ako_sync::plan(desired, &mem.observed(), &options);
        mem.apply_plan(&p);
        mem
    }
}
