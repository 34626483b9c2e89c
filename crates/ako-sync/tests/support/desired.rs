//! Desired state for tests.
//!
//! * [`l4`]: the real translator (`ako_translate::translate_l4`) over LoadBalancer Services and
//!   EndpointSlices built here.
//! * [`l7_model`]: a hand-built model shaped like AKO's shared L7 VS in SNI mode (parent VS with
//!   VsVip and DataScript set; per host a pool, a pool group and an SNI child VS with
//!   `vh_parent_vs_ref`), until the L7 translator lands. Bodies use the reference forms AKO
//!   sends; checksums are FNV-1a over the body, stored where AKO stores them.

use std::collections::BTreeMap;

use ako_translate::{
    CloudFacts, DesiredObject, Model, ModelKey, Settings, Snapshot, Translation, Values, translate_l4,
};
use avi_model::ObjectType;
use avi_model::checksum::fnv1a32;
use serde_json::{Value, json};

pub const CLUSTER: &str = "c1";
pub const CREATED_BY: &str = "ako-c1";

/// One LoadBalancer Service: namespace, name, (protocol, port, target port), endpoint IPs.
#[derive(Clone, Debug)]
pub struct Svc {
    pub ns: String,
    pub name: String,
    pub ports: Vec<(&'static str, i32, i32)>,
    pub endpoints: Vec<String>,
}

impl Svc {
    pub fn new(ns: &str, name: &str) -> Self {
        Svc {
            ns: ns.into(),
            name: name.into(),
            ports: vec![("TCP", 80, 8080)],
            endpoints: vec!["10.1.0.1".into(), "10.1.0.2".into()],
        }
    }

    pub fn port(mut self, protocol: &'static str, port: i32, target: i32) -> Self {
        self.ports.push((protocol, port, target));
        self
    }

    pub fn ports(mut self, ports: Vec<(&'static str, i32, i32)>) -> Self {
        self.ports = ports;
        self
    }

    pub fn endpoints(mut self, ips: &[&str]) -> Self {
        self.endpoints = ips.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

pub fn settings() -> Settings {
    let values = Values::from_yaml(&format!(
        "AKOSettings: {{clusterName: {CLUSTER}}}\nNetworkSettings: {{vipNetworkList: [{{networkName: vip-net}}]}}\n\
         ControllerSettings: {{cloudName: Default-Cloud, serviceEngineGroupName: Default-Group, tenantName: admin}}\n"
    ))
    .expect("values");
    Settings::from_values(&values).expect("settings")
}

pub fn cloud() -> CloudFacts {
    CloudFacts {
        dns_domains: vec!["avi.internal".into()],
        license_tier: "ENTERPRISE".into(),
        ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
        cloud_type: "CLOUD_NONE".into(),
        refs: Default::default(),
        now: None,
    }
}

/// The snapshot holding `services` (each with one EndpointSlice).
pub fn snapshot(services: &[Svc]) -> Snapshot {
    let mut snap = Snapshot::new();
    for s in services {
        let ports: Vec<Value> = s
            .ports
            .iter()
            .map(|(proto, port, target)| {
                json!({"name": format!("{}-{port}", proto.to_lowercase()), "port": port, "targetPort": target, "protocol": proto})
            })
            .collect();
        let slice_ports: Vec<Value> = s
            .ports
            .iter()
            .map(|(proto, port, target)| {
                json!({"name": format!("{}-{port}", proto.to_lowercase()), "port": target, "protocol": proto})
            })
            .collect();
        let endpoints: Vec<Value> = s
            .endpoints
            .iter()
            .map(|ip| json!({"addresses": [ip], "conditions": {"ready": true}}))
            .collect();
        let docs = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": s.name, "namespace": s.ns},
             "spec": {"type": "LoadBalancer", "ports": ports}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": format!("{}-abc", s.name), "namespace": s.ns,
                          "labels": {"kubernetes.io/service-name": s.name}},
             "addressType": "IPv4", "ports": slice_ports, "endpoints": endpoints}
        ]});
        ako_translate::load_document(&mut snap, docs).expect("valid manifests");
    }
    snap
}

/// `translate_l4` of `services`.
pub fn l4(services: &[Svc]) -> Translation {
    let t = translate_l4(&snapshot(services), &settings(), &cloud());
    assert!(t.failures.is_empty(), "{:?}", t.failures);
    t
}

/// A desired object; the checksum is FNV-1a of the body and is stored where AKO stores it.
pub fn object(kind: ObjectType, tenant: &str, mut body: Value) -> DesiredObject {
    let name = body["name"].as_str().expect("name").to_owned();
    let checksum = fnv1a32(body.to_string().as_bytes());
    let field = match kind {
        ObjectType::VirtualService | ObjectType::Pool | ObjectType::PoolGroup | ObjectType::HttpPolicySet => {
            Some("cloud_config_cksum")
        }
        ObjectType::VsVip => Some("vsvip_cloud_config_cksum"),
        _ => None,
    };
    if let Some(f) = field {
        body[f] = json!(checksum.to_string());
    }
    DesiredObject {
        kind,
        tenant: tenant.into(),
        name,
        checksum,
        body: body.into(),
    }
}

/// One SNI host of a shared L7 VS and its backend servers.
#[derive(Clone, Debug)]
pub struct Host {
    pub fqdn: String,
    pub servers: Vec<(String, u16)>,
}

impl Host {
    pub fn new(fqdn: &str, servers: &[(&str, u16)]) -> Self {
        Host {
            fqdn: fqdn.into(),
            servers: servers.iter().map(|(ip, p)| ((*ip).to_owned(), *p)).collect(),
        }
    }
}

fn markers() -> Value {
    json!([{"key": "clustername", "values": [CLUSTER]}])
}

/// A shared L7 parent VS `c1--<shard>` in `tenant` with one SNI child per host.
pub fn l7_model(tenant: &str, shard: &str, hosts: &[Host]) -> (ModelKey, Model) {
    let tenant_ref = format!("/api/tenant/?name={tenant}");
    let parent = format!("{CLUSTER}--{shard}");
    let mut objects = vec![object(
        ObjectType::VsVip,
        tenant,
        json!({"name": parent, "tenant_ref": tenant_ref, "cloud_ref": "/api/cloud?name=Default-Cloud",
               "east_west_placement": false,
               "vip": [{"vip_id": "0", "auto_allocate_ip": true,
                        "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}],
               "markers": markers()}),
    )];
    let mut pg_refs = Vec::new();
    for h in hosts {
        let pool = format!("{CLUSTER}--{}-pool", h.fqdn);
        let pg = format!("{CLUSTER}--{}-pg", h.fqdn);
        let servers: Vec<Value> = h
            .servers
            .iter()
            .map(|(ip, port)| json!({"ip": {"addr": ip, "type": "V4"}, "port": port, "enabled": true}))
            .collect();
        objects.push(object(
            ObjectType::Pool,
            tenant,
            json!({"name": pool, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
                   "cloud_ref": "/api/cloud?name=Default-Cloud", "servers": servers,
                   "health_monitor_refs": ["/api/healthmonitor/?name=System-TCP"], "markers": markers()}),
        ));
        objects.push(object(
            ObjectType::PoolGroup,
            tenant,
            json!({"name": pg, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
                   "cloud_ref": "/api/cloud?name=Default-Cloud",
                   "members": [{"pool_ref": format!("/api/pool/?name={pool}"), "ratio": 1}],
                   "markers": markers()}),
        ));
        pg_refs.push(format!("/api/poolgroup/?name={pg}"));
        objects.push(object(
            ObjectType::VirtualService,
            tenant,
            json!({"name": format!("{CLUSTER}--{}", h.fqdn), "created_by": CREATED_BY, "tenant_ref": tenant_ref,
                   "cloud_ref": "/api/cloud?name=Default-Cloud", "type": "VS_TYPE_VH_CHILD",
                   "vh_parent_vs_ref": format!("/api/virtualservice/?name={parent}"),
                   "vh_domain_name": [h.fqdn], "pool_group_ref": format!("/api/poolgroup/?name={pg}"),
                   "application_profile_ref": "/api/applicationprofile/?name=System-Secure-HTTP",
                   "se_group_ref": "/api/serviceenginegroup?name=Default-Group", "markers": markers()}),
        ));
    }
    objects.push(object(
        ObjectType::VsDataScriptSet,
        tenant,
        json!({"name": format!("{parent}-ds"), "created_by": CREATED_BY, "tenant_ref": tenant_ref,
               "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": "-- pool group switch"}],
               "pool_group_refs": pg_refs, "markers": markers()}),
    ));
    objects.push(object(
        ObjectType::VirtualService,
        tenant,
        json!({"name": parent, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
               "cloud_ref": "/api/cloud?name=Default-Cloud", "type": "VS_TYPE_VH_PARENT",
               "vsvip_ref": format!("/api/vsvip/?name={parent}"),
               "application_profile_ref": "/api/applicationprofile/?name=System-Secure-HTTP",
               "se_group_ref": "/api/serviceenginegroup?name=Default-Group",
               "services": [{"port": 80, "enable_ssl": false}, {"port": 443, "enable_ssl": true}],
               "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": format!("/api/vsdatascriptset/?name={parent}-ds")}],
               "error_page_profile_ref": "", "markers": markers()}),
    ));
    let mut model = Model { objects };
    model.sort();
    (ModelKey::new(tenant, parent), model)
}

/// A translation from models (and nothing else).
pub fn translation(models: impl IntoIterator<Item = (ModelKey, Model)>) -> Translation {
    Translation {
        models: models.into_iter().collect::<BTreeMap<_, _>>(),
        failures: Vec::new(),
        status: Vec::new(),
    }
}

/// `a` with the models of `b` added.
pub fn merge(mut a: Translation, b: Translation) -> Translation {
    a.models.extend(b.models);
    a.status.extend(b.status);
    a
}

/// Every desired object, by (type, tenant, name).
pub fn desired_keys(t: &Translation) -> Vec<(ObjectType, String, String)> {
    let mut keys: Vec<_> = t
        .models
        .values()
        .flat_map(|m| m.objects.iter().map(|o| (o.kind, o.tenant.clone(), o.name.clone())))
        .collect();
    keys.sort();
    keys
}
