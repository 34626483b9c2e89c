//! What translation produces: the Avi objects of each model, the failures, and the status
//! each Ingress and Service should get once its VS exists.

use std::collections::BTreeMap;

use avi_model::ObjectType;
use serde::Serialize;

use crate::key::{Kind, ModelKey, ObjRef};

/// Facts read from the Avi controller at boot that change what AKO builds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudFacts {
    /// DNS sub-domains usable for FQDNs (`/api/ipamdnsproviderprofiledomainlist`).
    pub dns_domains: Vec<String>,
    /// Controller license tier, e.g. `ENTERPRISE`, `ENTERPRISE_WITH_CLOUD_SERVICES`, `ESSENTIALS`.
    pub license_tier: String,
    /// IPAM provider type of the cloud, e.g. `IPAMDNS_TYPE_INTERNAL`.
    pub ipam_type: String,
    /// Cloud vtype, e.g. `CLOUD_VCENTER`, `CLOUD_NONE`. Pools get placement networks from
    /// `nodeNetworkList` only in vCenter clouds (NSX-T VLAN clouds are not handled yet).
    pub cloud_type: String,
    /// The controller objects HostRules and HTTPRules name, as last looked up.
    pub refs: crate::rules::RefCatalog,
    /// When TLS certificates are judged for expiry: the time these facts were read (`ako run`
    /// reads them at start and at every full resync; `ako plan` when it runs). `None`: not
    /// judged. Translation reads no clock of its own.
    pub now: Option<k8s_openapi::jiff::Timestamp>,
}

impl CloudFacts {
    /// Licenses under which AKO picks `System-TCP-Proxy` for TCP.
    pub fn is_enterprise(&self) -> bool {
        self.license_tier == "ENTERPRISE" || self.license_tier == "ENTERPRISE_WITH_CLOUD_SERVICES"
    }

    /// Clouds in which AKO sets pool placement networks from `nodeNetworkList`.
    pub fn uses_node_networks(&self) -> bool {
        self.cloud_type == "CLOUD_VCENTER"
    }
}

/// One Avi object as it would be sent to the controller.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DesiredObject {
    /// Its type.
    #[serde(serialize_with = "ser_kind")]
    pub kind: ObjectType,
    /// Its tenant.
    pub tenant: String,
    /// Its name.
    pub name: String,
    /// The checksum AKO compares to decide whether to PUT: the stored `cloud_config_cksum` /
    /// `vsvip_cloud_config_cksum`, or for an L4PolicySet the one AKO recomputes from its fields.
    pub checksum: u32,
    /// Exactly the JSON body of the POST/PUT, with name-form references as AKO sends them.
    pub body: Body,
}

/// An object's JSON body, kept as compact text: a translated cluster holds tens of thousands of
/// these, and as text they take a fifth of the memory of a `serde_json::Value` tree.
#[derive(Clone, Debug)]
pub struct Body(Box<serde_json::value::RawValue>);

impl Body {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The body as a JSON value (parsed on each call).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).expect("a Body always holds valid JSON")
    }
}

impl From<serde_json::Value> for Body {
    fn from(v: serde_json::Value) -> Self {
        Body(serde_json::value::to_raw_value(&v).expect("a JSON value always serialises"))
    }
}

/// Bodies are built deterministically (key order is insertion order), so equal text is equal JSON.
impl PartialEq for Body {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

fn ser_kind<S: serde::Serializer>(kind: &ObjectType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.path())
}

/// The objects of one model (one VS and what hangs off it), leaves first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Model {
    /// Sorted by kind (VsVip, pools, pool groups, L4 policy sets, the other kinds, virtual
    /// services last), then name.
    pub objects: Vec<DesiredObject>,
}

impl Model {
    /// Sort objects into their canonical order: dependencies before the objects that refer to them.
    pub fn sort(&mut self) {
        self.objects
            .sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
        // An object several of the model's VSes refer to (Routes' default certificate) once.
        self.objects.dedup_by(|a, b| a == b);
    }
}

fn kind_rank(kind: ObjectType) -> u8 {
    match kind {
        ObjectType::VsVip => 0,
        ObjectType::Pool => 1,
        ObjectType::PoolGroup => 2,
        ObjectType::L4PolicySet => 3,
        ObjectType::VirtualService => 9,
        _ => 5,
    }
}

/// A Kubernetes object that could not be translated, and why. Serialises as
/// `{kind, namespace, name, message}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Failure {
    /// The object.
    #[serde(flatten)]
    pub object: ObjRef,
    /// What is wrong and how to fix it.
    pub message: String,
    /// What the object has on the controller is kept while it fails (AKO's "fail safe on
    /// deletes"): the sync engine deletes nothing in the models it could own objects in. False
    /// where AKO itself removes the object's objects (a Route it does not serve).
    #[serde(skip)]
    pub keeps_objects: bool,
}

impl Failure {
    /// `object` could not be translated because of `message`; what it has on the controller is
    /// kept.
    pub fn new(kind: Kind, namespace: impl Into<String>, name: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            object: ObjRef::new(kind, namespace, name),
            message: message.into(),
            keeps_objects: true,
        }
    }

    /// `object` is served all the same (every object it has is wanted), with `message` for the
    /// user: it keeps nothing from garbage collection, so a warning in a shared VS does not keep
    /// what deleted Ingresses left there.
    pub fn warning(
        kind: Kind,
        namespace: impl Into<String>,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Failure {
            keeps_objects: false,
            ..Failure::new(kind, namespace, name, message)
        }
    }

    /// A problem with what the Ingress or Route `kind ns/name` serves. An Ingress's keeps what it
    /// has on the controller; a Route's does not: AKO removes what a Route it does not serve had.
    pub fn of_served(
        kind: Kind,
        namespace: impl Into<String>,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Failure {
            keeps_objects: kind != Kind::Route,
            ..Failure::new(kind, namespace, name, message)
        }
    }

    /// A LoadBalancer Service and Ingresses produce the same model (only Service `L7-<n>` in
    /// namespace `Shared` can collide with shared parent `<cluster>--Shared-L7-<n>`): the
    /// Service wins, and this failure says so in place of an Ingress.
    pub fn model_collision(model: &ModelKey) -> Self {
        Failure::new(
            Kind::Ingress,
            "",
            model.to_string(),
            format!("model {model} is produced by both a LoadBalancer Service and Ingresses; the Service wins"),
        )
    }
}

/// Which Avi VS decides a Kubernetes object's `status.loadBalancer`. Serialises flat, as
/// `{kind, namespace, name, tenant, vs_name, vsvip_name, hostname}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatusIntent {
    /// The Ingress or Service.
    pub object: ObjRef,
    /// The model of the VS serving it.
    pub model: ModelKey,
    /// The VsVip holding the address, in the model's tenant (ako-rs fills the IP after sync).
    pub vsvip: String,
    /// The virtual service serving the host: an SNI child, or the model's VS itself (AKO's
    /// `host-fqdn-vs-uuid-map` annotation names its uuid).
    pub vs: String,
    /// `status.loadBalancer.ingress[].hostname`: the first FQDN, if any.
    pub hostname: Option<String>,
}

impl Serialize for StatusIntent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("StatusIntent", 7)?;
        m.serialize_field("kind", &self.object.kind)?;
        m.serialize_field("namespace", self.object.namespace())?;
        m.serialize_field("name", self.object.name())?;
        m.serialize_field("tenant", &self.model.tenant)?;
        m.serialize_field("vs_name", &self.model.vs)?;
        m.serialize_field("vsvip_name", &self.vsvip)?;
        m.serialize_field("hostname", &self.hostname)?;
        m.end()
    }
}

/// The result of translating a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Translation {
    /// Models by key.
    pub models: BTreeMap<ModelKey, Model>,
    /// Sorted failures.
    pub failures: Vec<Failure>,
    /// Sorted status intents.
    pub status: Vec<StatusIntent>,
}

impl Translation {
    /// Put failures and status in canonical order and every model's objects too.
    pub fn normalize(&mut self) {
        for model in self.models.values_mut() {
            model.sort();
        }
        self.failures.sort();
        self.status.sort();
    }
}
