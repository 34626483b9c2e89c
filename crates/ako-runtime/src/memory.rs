//! A cluster in memory, standing in for an API server: it holds whole objects, feeds the index
//! exactly as watches would (lists, updates, deletions, metadata only for kinds watched by
//! reference), serves fetches, takes status patches (and echoes them back, as a watch would) and
//! records Events. `ako demo`'s manifest directory ([`crate::files`]) and the runtime's feature
//! tests drive the real reconcile loop through it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use ako_translate::kinds::{InputKind, LbEntry, Watch, with_kind};
use ako_translate::manifests::kind_of;
use ako_translate::{Kind, NsName, ObjRef};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{DynamicObject, PartialObjectMeta};
use kube::runtime::watcher::Event;
use serde_json::Value;

use crate::cluster::{Cluster, ClusterError, rule_status_patch, status_patch};
use crate::events::Note;
use crate::index::Shared;

/// An Event as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The object it is about (`Kind ns/name`).
    pub regarding: String,
    /// `Normal` or `Warning`.
    pub warning: bool,
    /// Its reason.
    pub reason: String,
    /// Its message.
    pub message: String,
}

#[derive(Debug, Default)]
struct Inner {
    objects: BTreeMap<ObjRef, Value>,
    /// The last resource version given out.
    version: u64,
    events: Vec<Published>,
    /// Status patches, in order.
    patches: Vec<(ObjRef, Option<BTreeSet<LbEntry>>)>,
    /// Objects whose status patches fail (a simulated API server fault).
    failing_status: BTreeSet<ObjRef>,
}

/// The in-memory cluster. Cloning gives another handle to the same cluster.
#[derive(Clone, Debug)]
pub struct MemoryCluster {
    inner: Arc<Mutex<Inner>>,
    shared: Shared,
}

/// An object's reference from its JSON, when its kind is one translation reads.
fn ref_of(object: &Value) -> Result<ObjRef, String> {
    let kind = kind_of(object).ok_or_else(|| {
        let k = object.get("kind").and_then(Value::as_str).unwrap_or("<no kind>");
        format!("{k} is not a kind ako-rs reads")
    })?;
    let meta: kube::api::ObjectMeta = serde_json::from_value(object.get("metadata").cloned().unwrap_or_default())
        .map_err(|e| format!("bad metadata: {e}"))?;
    let mut key = NsName::of(&meta);
    if key.namespace.is_empty() && namespaced(kind) {
        key.namespace = "default".to_owned();
    }
    Ok(ObjRef { kind, key })
}

fn namespaced(kind: Kind) -> bool {
    struct N(bool);
    impl ako_translate::kinds::KindVisitor for N {
        fn visit<K: InputKind>(&mut self) {
            self.0 = K::NAMESPACED;
        }
    }
    let mut n = N(true);
    with_kind(kind, &mut n);
    n.0
}

impl MemoryCluster {
    /// An empty cluster feeding `shared`.
    pub fn new(shared: Shared) -> Self {
        MemoryCluster {
            inner: Arc::new(Mutex::new(Inner::default())),
            shared,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The index this cluster feeds.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Create or replace an object (JSON, as `kubectl apply` would send it: a missing namespace
    /// is `default`); the index hears of it as from a watch. Its status is kept unless the new
    /// object has one.
    pub fn apply(&self, mut object: Value) -> Result<ObjRef, String> {
        let r = ref_of(&object)?;
        let delivered = {
            let mut inner = self.lock();
            inner.version += 1;
            let version = inner.version.to_string();
            let meta = object
                .as_object_mut()
                .and_then(|o| o.get_mut("metadata"))
                .and_then(Value::as_object_mut)
                .ok_or("no metadata")?;
            meta.insert("namespace".into(), Value::from(r.key.namespace.clone()));
            if r.key.namespace.is_empty() {
                meta.remove("namespace");
            }
            meta.insert("resourceVersion".into(), Value::from(version));
            meta.entry("uid")
                .or_insert_with(|| Value::from(format!("uid-{}", inner.version)));
            if object.get("status").is_none()
                && let Some(status) = inner.objects.get(&r).and_then(|o| o.get("status")).cloned()
            {
                object["status"] = status;
            }
            inner.objects.insert(r.clone(), object.clone());
            object
        };
        self.deliver(r.kind, Delivery::Apply(delivered))?;
        Ok(r)
    }

    /// Delete an object; the index hears of it as from a watch.
    pub fn delete(&self, r: &ObjRef) {
        let Some(object) = self.lock().objects.remove(r) else {
            return;
        };
        let _ = self.deliver(r.kind, Delivery::Delete(object));
    }

    /// A (re)list of `kind`, as a watcher does after a restart or an expired resource version:
    /// every object held, then the end of the list.
    pub fn list(&self, kind: Kind) {
        let objects: Vec<Value> = self
            .lock()
            .objects
            .iter()
            .filter(|(r, _)| r.kind == kind)
            .map(|(_, o)| o.clone())
            .collect();
        let _ = self.deliver(kind, Delivery::List(objects));
    }

    /// A relist of `kind` that misses `missing` (as a list answered by a lagging or partitioned
    /// API server would): they vanish from the index without a deletion.
    pub fn list_without(&self, kind: Kind, missing: &BTreeSet<ObjRef>) {
        let objects: Vec<Value> = self
            .lock()
            .objects
            .iter()
            .filter(|(r, _)| r.kind == kind && !missing.contains(*r))
            .map(|(_, o)| o.clone())
            .collect();
        let _ = self.deliver(kind, Delivery::List(objects));
    }

    /// The objects held, by reference.
    pub fn refs(&self) -> BTreeSet<ObjRef> {
        self.lock().objects.keys().cloned().collect()
    }

    /// An object as held.
    pub fn get(&self, r: &ObjRef) -> Option<Value> {
        self.lock().objects.get(r).cloned()
    }

    /// The Events published so far.
    pub fn events(&self) -> Vec<Published> {
        self.lock().events.clone()
    }

    /// The status patches taken so far.
    pub fn patches(&self) -> Vec<(ObjRef, Option<BTreeSet<LbEntry>>)> {
        self.lock().patches.clone()
    }

    /// Make status patches of `r` fail (`true`) or work again.
    pub fn fail_status(&self, r: &ObjRef, fail: bool) {
        let mut inner = self.lock();
        if fail {
            inner.failing_status.insert(r.clone());
        } else {
            inner.failing_status.remove(r);
        }
    }

    fn deliver(&self, kind: Kind, delivery: Delivery) -> Result<(), String> {
        struct Deliver<'a> {
            shared: &'a Shared,
            delivery: Option<Delivery>,
            result: Result<(), String>,
        }
        impl ako_translate::kinds::KindVisitor for Deliver<'_> {
            fn visit<K: InputKind>(&mut self) {
                let Some(delivery) = self.delivery.take() else { return };
                self.result = match K::WATCH {
                    Watch::Objects => delivery.events(dynamic).map(|events| {
                        for e in events {
                            self.shared.update(|index| index.apply::<K>(e));
                        }
                    }),
                    Watch::Referenced => delivery.events(meta::<K>).map(|events| {
                        for e in events {
                            self.shared.update(|index| index.apply_meta::<K>(e));
                        }
                    }),
                };
            }
        }
        let mut d = Deliver {
            shared: &self.shared,
            delivery: Some(delivery),
            result: Ok(()),
        };
        with_kind(kind, &mut d);
        d.result
    }
}

/// What the index is told.
enum Delivery {
    Apply(Value),
    Delete(Value),
    List(Vec<Value>),
}

impl Delivery {
    /// The watch events of this delivery, objects converted by `convert`.
    fn events<T>(self, convert: fn(Value) -> Result<T, String>) -> Result<Vec<Event<T>>, String> {
        Ok(match self {
            Delivery::Apply(o) => vec![Event::Apply(convert(o)?)],
            Delivery::Delete(o) => vec![Event::Delete(convert(o)?)],
            Delivery::List(objects) => {
                let mut events = vec![Event::Init];
                for o in objects {
                    events.push(Event::InitApply(convert(o)?));
                }
                events.push(Event::InitDone);
                events
            }
        })
    }
}

fn dynamic(o: Value) -> Result<DynamicObject, String> {
    serde_json::from_value(o).map_err(|e| e.to_string())
}

fn meta<K: InputKind>(o: Value) -> Result<PartialObjectMeta<K>, String> {
    let metadata = serde_json::from_value(o.get("metadata").cloned().unwrap_or_default()).map_err(|e| e.to_string())?;
    Ok(PartialObjectMeta {
        types: None,
        metadata,
        _phantom: std::marker::PhantomData,
    })
}

impl Cluster for MemoryCluster {
    async fn fetch(&self, kind: Kind, keys: Vec<NsName>) -> Vec<(NsName, Option<Value>)> {
        let inner = self.lock();
        keys.into_iter()
            .map(|key| {
                let found = inner.objects.get(&ObjRef { kind, key: key.clone() }).cloned();
                (key, found)
            })
            .collect()
    }

    async fn patch_status(&self, object: &ObjRef, entries: Option<&BTreeSet<LbEntry>>) -> Result<(), ClusterError> {
        let updated = {
            let mut inner = self.lock();
            if inner.failing_status.contains(object) {
                return Err(ClusterError {
                    forbidden: false,
                    message: format!("status of {object}: simulated failure"),
                });
            }
            inner.patches.push((object.clone(), entries.cloned()));
            let Some(current) = inner.objects.get_mut(object) else {
                return Ok(()); // gone: not an error, as with the API server
            };
            current["status"] = status_patch(entries)["status"].clone();
            current.clone()
        };
        // The API server's watch echoes the write.
        self.apply(updated).map(drop).map_err(|message| ClusterError {
            forbidden: false,
            message,
        })
    }

    async fn merge_status_patch(&self, object: &ObjRef, patch: &Value) -> Result<(), ClusterError> {
        let updated = {
            let mut inner = self.lock();
            let Some(current) = inner.objects.get_mut(object) else {
                return Ok(());
            };
            current["status"] = patch["status"].clone();
            current.clone()
        };
        self.apply(updated).map(drop).map_err(|message| ClusterError {
            forbidden: false,
            message,
        })
    }

    async fn patch_rule_status(&self, object: &ObjRef, status: &str, error: &str) -> Result<(), ClusterError> {
        let updated = {
            let mut inner = self.lock();
            let Some(current) = inner.objects.get_mut(object) else {
                return Ok(());
            };
            current["status"] = rule_status_patch(status, error)["status"].clone();
            current.clone()
        };
        self.apply(updated).map(drop).map_err(|message| ClusterError {
            forbidden: false,
            message,
        })
    }

    async fn publish(&self, regarding: &ObjectReference, note: &Note) -> Result<(), ClusterError> {
        let who = format!(
            "{} {}{}",
            regarding.kind.as_deref().unwrap_or_default(),
            regarding
                .namespace
                .as_deref()
                .map(|ns| format!("{ns}/"))
                .unwrap_or_default(),
            regarding.name.as_deref().unwrap_or_default()
        );
        self.lock().events.push(Published {
            regarding: who,
            warning: note.type_ == kube::runtime::events::EventType::Warning,
            reason: note.reason.to_owned(),
            message: note.message.clone(),
        });
        Ok(())
    }

    async fn patch_annotations(
        &self,
        object: &ObjRef,
        annotations: &BTreeMap<&'static str, Option<String>>,
    ) -> Result<(), ClusterError> {
        let updated = {
            let mut inner = self.lock();
            let Some(current) = inner.objects.get_mut(object) else {
                return Ok(());
            };
            let meta = &mut current["metadata"];
            if !meta["annotations"].is_object() {
                meta["annotations"] = serde_json::json!({});
            }
            for (k, v) in annotations {
                match v {
                    Some(v) => meta["annotations"][*k] = Value::from(v.clone()),
                    None => {
                        meta["annotations"].as_object_mut().map(|m| m.remove(*k));
                    }
                }
            }
            current.clone()
        };
        self.apply(updated).map(drop).map_err(|message| ClusterError {
            forbidden: false,
            message,
        })
    }

    /// No StatefulSet in memory: nothing to annotate.
    async fn annotate_statefulset(&self, _: &str, _: &str, _: &str, _: Option<&str>) -> Result<(), ClusterError> {
        Ok(())
    }
}
