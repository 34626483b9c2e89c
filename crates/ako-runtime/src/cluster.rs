//! The Kubernetes side the reconcile loop reads from and writes to, beyond what the sources feed
//! the index: objects fetched one by one (kinds watched by reference), `status.loadBalancer`
//! patches and Events. [`ApiServer`] is a real cluster; [`crate::memory::MemoryCluster`] stands
//! in for one (`ako demo`'s manifest directory, the runtime's feature tests).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use ako_translate::kinds::{InputKind, KindVisitor, LbEntry, with_kind};
use ako_translate::{Kind, NsName, ObjRef};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ObjectReference, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::runtime::events::{Event, Recorder, Reporter};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::events::Note;
use crate::leader::Fence;

/// The field manager of status patches.
pub const FIELD_MANAGER: &str = "ako-rs";
/// The reporting controller of our Events.
pub const REPORTER: &str = "ako-rs";

/// At most this many objects are fetched at once.
const CONCURRENT_FETCHES: usize = 16;

/// A write the cluster refused or could not take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClusterError {
    /// Refused for lack of permission (RBAC): retrying will not help.
    pub forbidden: bool,
    /// What went wrong.
    pub message: String,
}

impl From<kube::Error> for ClusterError {
    fn from(e: kube::Error) -> Self {
        ClusterError {
            forbidden: matches!(&e, kube::Error::Api(s) if s.code == 403),
            message: e.to_string(),
        }
    }
}

/// The Kubernetes side of the reconcile loop.
pub trait Cluster: Send + Sync + 'static {
    /// Read these objects of `kind` whole, as JSON; `None` for one that is gone. An object that
    /// cannot be read is logged and left out (it is tried again when its version changes).
    fn fetch(&self, kind: Kind, keys: Vec<NsName>) -> impl Future<Output = Vec<(NsName, Option<Value>)>> + Send;

    /// Set (`Some`) or clear (`None`) `status.loadBalancer.ingress` of an Ingress or Service. An
    /// object that is gone is not an error.
    fn patch_status(
        &self,
        object: &ObjRef,
        entries: Option<&BTreeSet<LbEntry>>,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;

    /// Merge `patch` into the status of an OpenShift Route (a whole `status.ingress`) or of a
    /// Gateway API object (whole `conditions`, `listeners`, `parents`). An object that is gone
    /// is not an error.
    fn merge_status_patch(
        &self,
        object: &ObjRef,
        patch: &Value,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;

    /// Set `status` of a HostRule or HTTPRule to `{status, error}`, as AKO writes it. A rule
    /// that is gone is not an error.
    fn patch_rule_status(
        &self,
        object: &ObjRef,
        status: &str,
        error: &str,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;

    /// Publish an Event about `regarding`.
    fn publish(
        &self,
        regarding: &ObjectReference,
        note: &Note,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;

    /// Set (`Some`) or remove (`None`) annotations of an Ingress or Service (AKO's, on what it
    /// serves). An object that is gone is not an error.
    fn patch_annotations(
        &self,
        object: &ObjRef,
        annotations: &BTreeMap<&'static str, Option<String>>,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;

    /// Set (`Some`) or remove (`None`) the annotation `key` of the StatefulSet `namespace/name`
    /// (ako-rs's own: where AKO reports `deleteConfig` progress). A StatefulSet that is not
    /// there is not an error.
    fn annotate_statefulset(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<(), ClusterError>> + Send;
}

/// A real cluster, through its API server.
#[derive(Clone)]
pub struct ApiServer {
    client: Client,
    reporter: Reporter,
    /// Asked before every write.
    fence: Fence,
}

impl ApiServer {
    /// Writes through `client`; Events are reported by `ako-rs`, instance `POD_NAME` (else the
    /// host name).
    pub fn new(client: Client) -> Self {
        let instance = std::env::var("POD_NAME")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|s| !s.is_empty());
        let reporter = Reporter {
            controller: REPORTER.to_owned(),
            instance,
        };
        ApiServer {
            client,
            reporter,
            fence: Fence::alone(),
        }
    }

    /// Writes only while `fence` is open (this replica leads).
    pub fn fenced(self, fence: Fence) -> Self {
        ApiServer { fence, ..self }
    }

    /// `Ok` when a write may be sent now.
    fn may_write(&self) -> Result<(), ClusterError> {
        self.fence.check().map_err(|message| ClusterError {
            forbidden: false,
            message: format!("not written: {message}"),
        })
    }
}

/// Merge patches under ako-rs's field manager.
fn patch_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

impl ApiServer {
    /// Merge `body` into the status of `object`, of any kind (through the dynamic API).
    async fn merge_status(&self, object: &ObjRef, body: &Value) -> Result<(), ClusterError> {
        let (resource, namespaced) = api_resource(object.kind);
        let api = if namespaced {
            Api::<DynamicObject>::namespaced_with(self.client.clone(), object.namespace(), &resource)
        } else {
            Api::<DynamicObject>::all_with(self.client.clone(), &resource)
        };
        gone_is_ok(
            api.patch_status(object.name(), &patch_params(), &Patch::Merge(body))
                .await,
        )
    }
}

/// A write's outcome: an object that is gone (404) needs nothing written.
fn gone_is_ok<T>(result: Result<T, kube::Error>) -> Result<(), ClusterError> {
    match result {
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        other => other.map(drop).map_err(ClusterError::from),
    }
}

/// The API resource of `kind`, and whether it is namespaced.
fn api_resource(kind: Kind) -> (ApiResource, bool) {
    struct R(Option<(ApiResource, bool)>);
    impl KindVisitor for R {
        fn visit<K: InputKind>(&mut self) {
            self.0 = Some((ApiResource::erase::<K>(&()), K::NAMESPACED));
        }
    }
    let mut r = R(None);
    with_kind(kind, &mut r);
    r.0.expect("every kind is visited")
}

/// The JSON merge patch of `status.loadBalancer.ingress`.
pub fn status_patch(entries: Option<&BTreeSet<LbEntry>>) -> Value {
    let list: Value = match entries {
        None => Value::Null,
        Some(entries) => entries
            .iter()
            .map(|(ip, host)| match host {
                Some(h) => json!({"ip": ip, "hostname": h}),
                None => json!({"ip": ip}),
            })
            .collect(),
    };
    json!({"status": {"loadBalancer": {"ingress": list}}})
}

/// The JSON merge patch of a rule's status: both fields always, as AKO writes them.
pub fn rule_status_patch(status: &str, error: &str) -> Value {
    json!({"status": {"status": status, "error": error}})
}

impl Cluster for ApiServer {
    async fn fetch(&self, kind: Kind, keys: Vec<NsName>) -> Vec<(NsName, Option<Value>)> {
        let (resource, namespaced) = api_resource(kind);
        futures::stream::iter(keys)
            .map(|key| {
                // Through the dynamic API, which serves every kind of either scope.
                let api = if namespaced {
                    Api::<DynamicObject>::namespaced_with(self.client.clone(), &key.namespace, &resource)
                } else {
                    Api::<DynamicObject>::all_with(self.client.clone(), &resource)
                };
                async move {
                    let found = api
                        .get_opt(&key.name)
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|found| found.map(serde_json::to_value).transpose().map_err(|e| e.to_string()));
                    match found {
                        Ok(found) => Some((key, found)),
                        Err(e) => {
                            tracing::warn!(%kind, object = %key, "cannot read: {e}");
                            None
                        }
                    }
                }
            })
            .buffer_unordered(CONCURRENT_FETCHES)
            .filter_map(|r| async move { r })
            .collect()
            .await
    }

    async fn patch_status(&self, object: &ObjRef, entries: Option<&BTreeSet<LbEntry>>) -> Result<(), ClusterError> {
        self.may_write()?;
        let body = status_patch(entries);
        let params = patch_params();
        let (ns, name) = (object.namespace(), object.name());
        let result = match object.kind {
            Kind::Ingress => Api::<Ingress>::namespaced(self.client.clone(), ns)
                .patch_status(name, &params, &Patch::Merge(&body))
                .await
                .map(drop),
            Kind::Service => Api::<Service>::namespaced(self.client.clone(), ns)
                .patch_status(name, &params, &Patch::Merge(&body))
                .await
                .map(drop),
            other => {
                return Err(ClusterError {
                    forbidden: false,
                    message: format!("ako-rs writes no status to a {other}"),
                });
            }
        };
        gone_is_ok(result)
    }

    async fn merge_status_patch(&self, object: &ObjRef, patch: &Value) -> Result<(), ClusterError> {
        self.may_write()?;
        self.merge_status(object, patch).await
    }

    async fn patch_rule_status(&self, object: &ObjRef, status: &str, error: &str) -> Result<(), ClusterError> {
        self.may_write()?;
        self.merge_status(object, &rule_status_patch(status, error)).await
    }

    async fn publish(&self, regarding: &ObjectReference, note: &Note) -> Result<(), ClusterError> {
        self.may_write()?;
        let event = Event {
            type_: note.type_,
            reason: note.reason.to_owned(),
            note: Some(note.message.clone()),
            action: "Reconcile".to_owned(),
            secondary: None,
        };
        // A fresh recorder per Event: kube's recorder folds Events with the same reason into a
        // series that keeps the first message, and a changed message must be seen.
        Recorder::new(self.client.clone(), self.reporter.clone())
            .publish(&event, regarding)
            .await
            .map_err(ClusterError::from)
    }

    async fn patch_annotations(
        &self,
        object: &ObjRef,
        annotations: &BTreeMap<&'static str, Option<String>>,
    ) -> Result<(), ClusterError> {
        self.may_write()?;
        let (resource, _) = api_resource(object.kind);
        let api = Api::<DynamicObject>::namespaced_with(self.client.clone(), object.namespace(), &resource);
        let params = patch_params();
        // A merge patch with `null` removes an annotation.
        let body = json!({"metadata": {"annotations": annotations}});
        gone_is_ok(api.patch(object.name(), &params, &Patch::Merge(&body)).await)
    }

    async fn annotate_statefulset(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), ClusterError> {
        self.may_write()?;
        let params = patch_params();
        // A merge patch with `null` removes the annotation.
        let body = json!({"metadata": {"annotations": {key: value}}});
        gone_is_ok(
            Api::<StatefulSet>::namespaced(self.client.clone(), namespace)
                .patch(name, &params, &Patch::Merge(&body))
                .await,
        )
    }
}
