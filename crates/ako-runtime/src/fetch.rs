//! The objects of kinds watched as [`Watch::Referenced`] (Secrets) that translation holds:
//! exactly those a root names ([`Deps::referenced`]), fetched when first named or when their
//! resource version changes, dropped when nothing names them or they are deleted. The watch only
//! sees names and versions.

use std::collections::BTreeSet;

use ako_translate::kinds::{InputKind, KindVisitor, Watch, for_each, with_kind};
use ako_translate::{Deps, Kind, NsName, ObjRef, Settings};
use serde_json::Value;

use crate::cluster::Cluster;
use crate::index::{Index, Shared};

/// What to fetch and drop for kind `K` so that the snapshot holds exactly its referenced
/// objects that exist, at their latest version.
fn plan<K: InputKind>(index: &Index, deps: &Deps) -> (Vec<NsName>, Vec<NsName>) {
    let fetch = deps
        .referenced(K::KIND)
        .filter(|key| {
            let Some(version) = index.version(&ObjRef::of::<K>(key)) else {
                return false;
            };
            let held = index.snapshot.get::<K>(key);
            held.and_then(|o| o.meta().resource_version.as_deref()) != Some(version)
        })
        .cloned()
        .collect();
    let drop = K::store(&index.snapshot)
        .keys()
        .filter(|key| {
            let r = ObjRef::of::<K>(key);
            !deps.is_referenced(&r) || index.version(&r).is_none()
        })
        .cloned()
        .collect();
    (fetch, drop)
}

/// Fetch and drop, for every referenced kind `settings` watches; the objects whose content in
/// the snapshot changed (to be re-translated).
pub async fn referenced<C: Cluster>(
    cluster: &C,
    shared: &Shared,
    deps: &Deps,
    settings: &Settings,
) -> BTreeSet<ObjRef> {
    let mut changed = BTreeSet::new();
    for kind in referenced_kinds(settings) {
        let (fetch, drop) = with_kind_of(kind, |v| v.plan(&shared.lock(), deps));
        let fetched = if fetch.is_empty() {
            Vec::new()
        } else {
            cluster.fetch(kind, fetch).await
        };
        let mut index = shared.lock();
        changed.extend(with_kind_of(kind, |v| v.install(&mut index, fetched, drop)));
    }
    changed
}

/// The kinds watched by reference under `settings`.
fn referenced_kinds(settings: &Settings) -> Vec<Kind> {
    struct Kinds<'a>(&'a Settings, Vec<Kind>);
    impl KindVisitor for Kinds<'_> {
        fn visit<K: InputKind>(&mut self) {
            if K::WATCH == Watch::Referenced && K::watched(self.0) {
                self.1.push(K::KIND);
            }
        }
    }
    let mut k = Kinds(settings, Vec::new());
    for_each(&mut k);
    k.1
}

/// The steps of one kind, typed.
trait Steps {
    fn plan(&self, index: &Index, deps: &Deps) -> (Vec<NsName>, Vec<NsName>);
    fn install(&self, index: &mut Index, fetched: Vec<(NsName, Option<Value>)>, drop: Vec<NsName>) -> BTreeSet<ObjRef>;
}

struct Typed<K>(std::marker::PhantomData<K>);

impl<K: InputKind> Steps for Typed<K> {
    fn plan(&self, index: &Index, deps: &Deps) -> (Vec<NsName>, Vec<NsName>) {
        plan::<K>(index, deps)
    }

    fn install(&self, index: &mut Index, fetched: Vec<(NsName, Option<Value>)>, drop: Vec<NsName>) -> BTreeSet<ObjRef> {
        let mut changed = BTreeSet::new();
        for key in drop {
            if index.snapshot.remove::<K>(&key).is_some() {
                changed.insert(ObjRef::of::<K>(&key));
            }
        }
        for (key, object) in fetched {
            match object.map(serde_json::from_value::<K>) {
                Some(Ok(o)) => index.snapshot.insert(o),
                Some(Err(e)) => {
                    tracing::warn!(kind = %K::KIND, object = %key, "skipping an object that does not fit its type: {e}");
                    continue;
                }
                None => {
                    index.snapshot.remove::<K>(&key);
                }
            }
            changed.insert(ObjRef::of::<K>(&key));
        }
        changed
    }
}

/// Run `f` with the typed steps of `kind`.
fn with_kind_of<T>(kind: Kind, f: impl FnOnce(&dyn Steps) -> T) -> T {
    struct V<F, T> {
        f: Option<F>,
        out: Option<T>,
    }
    impl<T, F: FnOnce(&dyn Steps) -> T> KindVisitor for V<F, T> {
        fn visit<K: InputKind>(&mut self) {
            if let Some(f) = self.f.take() {
                self.out = Some(f(&Typed::<K>(std::marker::PhantomData)));
            }
        }
    }
    let mut v = V { f: Some(f), out: None };
    with_kind(kind, &mut v);
    v.out.expect("every kind is visited")
}
