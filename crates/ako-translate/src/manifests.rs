//! Kubernetes manifests (what you would `kubectl apply`: multi-document YAML or JSON, `List`
//! objects) into a [`Snapshot`], for every kind of [`crate::kinds`]. Pure: the caller reads the
//! files. Kinds translation does not read are reported back, not silently dropped, and so are
//! Ingresses the API server would refuse ([`crate::admission`]): left out, as a cluster would.

use serde_json::Value;

use crate::kinds::{InputKind, Kind, KindVisitor, for_each, with_kind};
use crate::snapshot::Snapshot;

/// A manifest that cannot be read, naming the source and the document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ManifestError {
    /// File name (or other label) of the input.
    pub source_name: String,
    /// What is wrong, with the document number and object.
    pub message: String,
}

/// The objects of `text`: every document, the items of `List`s, empty documents left out.
pub fn objects(source: &str, text: &str) -> Result<Vec<Value>, ManifestError> {
    let err = |message: String| ManifestError {
        source_name: source.to_owned(),
        message,
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let mut out = Vec::new();
    for (n, doc) in docs.into_iter().enumerate() {
        flatten(doc, &mut out).map_err(|m| err(format!("document {}: {m}", n + 1)))?;
    }
    Ok(out)
}

fn flatten(doc: Value, out: &mut Vec<Value>) -> Result<(), String> {
    if doc.is_null() {
        return Ok(());
    }
    let kind = doc.get("kind").and_then(Value::as_str).ok_or("no `kind`")?;
    if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
        let items = doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        return items.into_iter().try_for_each(|item| flatten(item, out));
    }
    out.push(doc);
    Ok(())
}

/// The kind of a manifest object, when translation reads that kind (its `kind`, and its
/// `apiVersion` when given).
pub fn kind_of(doc: &Value) -> Option<Kind> {
    struct Find<'a> {
        kind: &'a str,
        api_version: Option<&'a str>,
        out: Option<Kind>,
    }
    impl KindVisitor for Find<'_> {
        fn visit<K: InputKind>(&mut self) {
            // AKO's CRDs serve older versions with a subset of the fields: any version of their group.
            let version_ok =
                |v: &str| v == K::api_version(&()) || (K::OPTIONAL && v.split('/').next() == Some(&*K::group(&())));
            if K::kind(&()) == self.kind && self.api_version.is_none_or(version_ok) {
                self.out = Some(K::KIND);
            }
        }
    }
    let mut f = Find {
        kind: doc.get("kind").and_then(Value::as_str)?,
        api_version: doc.get("apiVersion").and_then(Value::as_str),
        out: None,
    };
    for_each(&mut f);
    f.out
}

/// Add every object of `text` to `snapshot`. Returns a note for each object left out: of a kind
/// the translation does not read (yet), or that the API server would refuse, so the caller can
/// say so.
pub fn load_manifests(snapshot: &mut Snapshot, source: &str, text: &str) -> Result<Vec<String>, ManifestError> {
    let err = |message: String| ManifestError {
        source_name: source.to_owned(),
        message,
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let mut notes = Vec::new();
    for (n, doc) in docs.into_iter().enumerate() {
        let mut objects = Vec::new();
        let added = flatten(doc, &mut objects).and_then(|()| {
            objects
                .into_iter()
                .try_for_each(|o| add_object(snapshot, o, &mut notes))
        });
        added.map_err(|m| err(format!("document {}: {m}", n + 1)))?;
    }
    Ok(notes)
}

/// Add one parsed document (an object or a `List`) to `snapshot`. Returns the notes of
/// [`load_manifests`]; the error says what is wrong.
pub fn load_document(snapshot: &mut Snapshot, doc: Value) -> Result<Vec<String>, String> {
    let mut objects = Vec::new();
    flatten(doc, &mut objects)?;
    let mut notes = Vec::new();
    for o in objects {
        add_object(snapshot, o, &mut notes)?;
    }
    Ok(notes)
}

fn add_object(snapshot: &mut Snapshot, doc: Value, notes: &mut Vec<String>) -> Result<(), String> {
    let id = format!(
        "{} {}{}",
        doc.get("kind").and_then(Value::as_str).unwrap_or_default(),
        doc.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(|ns| format!("{ns}/"))
            .unwrap_or_default(),
        doc.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<no name>")
    );
    let Some(kind) = kind_of(&doc) else {
        notes.push(format!("{id} is not translated by ako-rs"));
        return Ok(());
    };
    let refusals = match kind {
        Kind::Ingress => crate::admission::ingress(&doc),
        Kind::SsoRule => crate::admission::sso_rule(&doc),
        Kind::Route => crate::admission::route(&doc),
        _ => Vec::new(),
    };
    if !refusals.is_empty() {
        notes.push(format!(
            "{id} would be refused by the Kubernetes API server, so it is left out: {}",
            refusals.join("; ")
        ));
        return Ok(());
    }
    insert_value(snapshot, kind, doc).map_err(|e| format!("{id} is not a valid {kind}: {e}"))
}

/// Add one object of `kind`, as JSON, to `snapshot`.
pub fn insert_value(snapshot: &mut Snapshot, kind: Kind, doc: Value) -> Result<(), serde_json::Error> {
    struct Insert<'a> {
        snapshot: &'a mut Snapshot,
        doc: Option<Value>,
        result: Result<(), serde_json::Error>,
    }
    impl KindVisitor for Insert<'_> {
        fn visit<K: InputKind>(&mut self) {
            if let Some(doc) = self.doc.take() {
                self.result = serde_json::from_value::<K>(doc).map(|o| self.snapshot.insert(o));
            }
        }
    }
    let mut v = Insert {
        snapshot,
        doc: Some(doc),
        result: Ok(()),
    };
    with_kind(kind, &mut v);
    v.result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_documents_and_lists_and_reports_other_kinds() {
        let mut snap = Snapshot::new();
        let text = r#"
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: ns}}
  - {apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web, namespace: ns}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: ns}}
---
"#;
        let notes = load_manifests(&mut snap, "app.yaml", text).unwrap();
        assert_eq!(snap.services().len(), 1);
        assert_eq!(snap.namespaces.len(), 1);
        assert_eq!(snap.ingresses.len(), 1);
        assert_eq!(notes, ["ConfigMap ns/cm is not translated by ako-rs"]);
    }

    #[test]
    fn errors_name_the_file_document_and_object() {
        let mut snap = Snapshot::new();
        let bad = "kind: Service\nmetadata: {name: a, namespace: ns}\nspec: {ports: 7}\n";
        let e = load_manifests(&mut snap, "svc.yaml", bad).unwrap_err();
        assert_eq!(e.source_name, "svc.yaml");
        assert!(
            e.message.starts_with("document 1: Service ns/a is not a valid Service"),
            "{}",
            e.message
        );
        let e = load_manifests(&mut snap, "x.yaml", "a: [1,").unwrap_err();
        assert!(e.to_string().starts_with("x.yaml: not valid YAML"), "{e}");
        let e = load_manifests(&mut snap, "y.yaml", "metadata: {name: a}\n").unwrap_err();
        assert_eq!(e.message, "document 1: no `kind`");
    }
}
