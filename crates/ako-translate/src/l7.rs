//! Ingresses → AKO 2.2's L7 objects in SNI mode: per hostname shard a shared parent VS with its
//! VsVip, pool group, datascript set and HTTP→HTTPS redirect policy; insecure host/paths as
//! pools on the parent; TLS hosts as SNI child VSes with their certificate, one HTTP policy
//! set per (namespace, host), and a pool group and pool per path
//! (`internal/nodes/avi_model_l7_*.go`, `internal/rest/avi_obj_{vs,pool,httpps}.go`,
//! `avi_pool_group.go`, `avi_datascript.go`, `ssl_key_certificate.go`).

use std::collections::{BTreeMap, BTreeSet};

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::bodies::{PoolParts, placement_settings, pool_object, query_escape, tenant_of, vsvip_body};
use crate::checksum::{self, HostPathRule, PgMember, PoolChecksum, PortProto, TargetPort, VipNetworkKey, VsChecksum};
use crate::fqdn::shared_vs_fqdn;
use crate::ingress::{HostPaths, ParsedIngress, PathBackend, accepted_ingresses};
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{cluster_ip_members, node_port_members};
use crate::model::{CloudFacts, DesiredObject, Failure, Model, StatusIntent, Translation};
use crate::naming::{Namer, priority_label};
use crate::settings::{ServiceType, Settings};
use crate::shard::ShardSize;
use crate::snapshot::Snapshot;

/// The datascript of every shared parent: picks the pool by `lower(host/first-path-token)`.
const HTTP_DS_SCRIPT: &str = "host = avi.http.get_host_tokens(\"MODIFIED\", 1)\npath = avi.http.get_path_tokens(1)\nif string.contains(host, \":\") then\nfor match in string.gmatch(host, \".*:\") do\nhost = string.sub(match,0,-2)\nend\nend\nif host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\navi.poolgroup.select(\"%s\", string.lower(lbl) )";
const TCP_PROXY: &str = "System-TCP-Proxy";
const HTTP_PROFILE: &str = "System-HTTP";
const SECURE_HTTP_PROFILE: &str = "System-Secure-HTTP";
/// First index of AKO's own HTTP policies on a VS.
const POLICY_INDEX_BASE: i64 = 11;
/// Ratio of every Ingress backend.
const INGRESS_WEIGHT: u32 = 100;

/// Translate every Ingress AKO would serve.
pub fn translate_l7(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    build(snapshot, settings, cloud, None)
}

/// Translate the one shared parent VS `model` (`<tenant>/<vs name>`): what a change to any
/// Ingress, Service, EndpointSlice or Secret behind it re-translates.
pub fn translate_l7_model(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts, model: &str) -> Translation {
    build(snapshot, settings, cloud, Some(model))
}

fn build(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, only: Option<&str>) -> Translation {
    let mut out = Translation::default();
    if let Some(reason) = unsupported(settings) {
        for (ns, name) in snap.ingresses.keys() {
            out.failures.push(Failure {
                kind: "Ingress".to_owned(),
                namespace: ns.clone(),
                name: name.clone(),
                message: reason.clone(),
            });
        }
        out.normalize();
        return out;
    }
    let namer = Namer::new(settings.cluster_name.as_str());
    let mut failures = Vec::new();
    let ingresses = accepted_ingresses(snap, settings, cloud, &mut failures);
    if settings.shard_size == ShardSize::Dedicated {
        build_dedicated(snap, settings, cloud, &namer, &ingresses, only, &mut out, &mut failures);
        failures.sort();
        failures.dedup();
        out.failures = failures;
        out.normalize();
        return out;
    }
    let mut parents: BTreeMap<String, Parent> = BTreeMap::new();
    for ing in &ingresses {
        let tenant = tenant_of(snap, settings, &ing.namespace);
        let mut fail = |message: String| {
            failures.push(Failure {
                kind: "Ingress".to_owned(),
                namespace: ing.namespace.clone(),
                name: ing.name.clone(),
                message,
            })
        };
        for hp in &ing.insecure {
            let Some(parent) = parent_for(&mut parents, &namer, settings, &tenant, &hp.host, only, &mut fail) else {
                continue;
            };
            parent.add_insecure(&namer, ing, hp, &mut fail);
            out.status.extend(status_of(ing, parent, hp));
        }
        for (secret, hp) in &ing.tls {
            let cert = match certificate(snap, &ing.namespace, secret) {
                Ok(c) => c,
                Err(message) => {
                    fail(format!("TLS host {}: {message}; the host is not served", hp.host));
                    continue;
                }
            };
            let Some(parent) = parent_for(&mut parents, &namer, settings, &tenant, &hp.host, only, &mut fail) else {
                continue;
            };
            if parent.add_tls(&namer, settings, ing, secret, cert, hp, &mut fail) {
                out.status.extend(status_of(ing, parent, hp));
            }
        }
    }
    for parent in parents.values() {
        let model = parent.objects(snap, settings, cloud, &namer);
        out.models.insert(format!("{}/{}", parent.tenant, parent.name), model);
    }
    // A failure names an Ingress once per problem, whatever the number of hosts it hit.
    failures.sort();
    failures.dedup();
    out.failures = failures;
    out.normalize();
    out
}

/// DEDICATED mode: one normal VS per host (`BuildDedicatedL7VSGraphHostNameShard`, and the
/// SNI builders with the VS itself as the "child").
#[allow(clippy::too_many_arguments)]
fn build_dedicated(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    namer: &Namer,
    ingresses: &[ParsedIngress],
    only: Option<&str>,
    out: &mut Translation,
    failures: &mut Vec<Failure>,
) {
    let mut vses: BTreeMap<String, (String, HostVs)> = BTreeMap::new();
    for ing in ingresses {
        let tenant = tenant_of(snap, settings, &ing.namespace);
        let mut fail = |message: String| {
            failures.push(Failure {
                kind: "Ingress".to_owned(),
                namespace: ing.namespace.clone(),
                name: ing.name.clone(),
                message,
            })
        };
        let hosts = ing
            .insecure
            .iter()
            .map(|hp| (None, hp))
            .chain(ing.tls.iter().map(|(secret, hp)| (Some(secret), hp)));
        for (secret, hp) in hosts {
            let cert = match secret.map(|s| certificate(snap, &ing.namespace, s).map(|c| (s, c))) {
                Some(Err(message)) => {
                    fail(format!("TLS host {}: {message}; the host is not served", hp.host));
                    continue;
                }
                Some(Ok((s, c))) => match namer.tls_key_cert(&hp.host, s, None) {
                    Ok(name) => Some((name, c)),
                    Err(e) => {
                        fail(e.to_string());
                        continue;
                    }
                },
                None => None,
            };
            let name = match namer.dedicated_vs(&hp.host, None) {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            let key = format!("{tenant}/{name}");
            if only.is_some_and(|m| m != key) {
                continue;
            }
            let (_, vs) = vses.entry(key).or_insert_with(|| {
                (
                    tenant.clone(),
                    HostVs::new(name.clone(), &hp.host, true, &ing.namespace),
                )
            });
            // Insecure pools get lower-cased priority labels (`buildPoolNode`), secure ones not.
            if !vs.add_paths(namer, settings, ing, hp, cert.is_none(), &mut fail) {
                continue;
            }
            if cert.is_some() {
                vs.cert = cert;
            }
            if !hp.generated && !hp.host.starts_with('*') {
                out.status.push(StatusIntent {
                    kind: "Ingress".to_owned(),
                    namespace: ing.namespace.clone(),
                    name: ing.name.clone(),
                    tenant: tenant.clone(),
                    vs_name: name.clone(),
                    vsvip_name: name,
                    hostname: Some(hp.host.clone()),
                });
            }
        }
    }
    for (key, (tenant, vs)) in vses {
        let ctx = Ctx::new(snap, settings, cloud, namer, &tenant);
        let mut objects = Vec::new();
        ctx.host_vs_objects(None, &tenant, &vs, &mut objects);
        let mut model = Model { objects };
        model.sort();
        out.models.insert(key, model);
    }
}

fn unsupported(settings: &Settings) -> Option<String> {
    if settings.enable_evh {
        return Some("EVH mode (AKOSettings.enableEVH) is not supported by ako-rs yet".to_owned());
    }
    if settings.service_type == ServiceType::NodePortLocal {
        return Some("serviceType NodePortLocal is not supported by ako-rs L7 translation yet".to_owned());
    }
    None
}

/// The status entry of a served host. AKO keeps only hosts written in the Ingress spec (not
/// generated ones), and Kubernetes refuses wildcard hostnames in status.
fn status_of(ing: &ParsedIngress, parent: &Parent, hp: &HostPaths) -> Option<StatusIntent> {
    let host = &hp.host;
    if hp.generated || host.starts_with('*') {
        return None;
    }
    Some(StatusIntent {
        kind: "Ingress".to_owned(),
        namespace: ing.namespace.clone(),
        name: ing.name.clone(),
        tenant: parent.tenant.clone(),
        vs_name: parent.name.clone(),
        vsvip_name: parent.name.clone(),
        hostname: Some(host.to_owned()),
    })
}

#[allow(clippy::too_many_arguments)]
fn parent_for<'a>(
    parents: &'a mut BTreeMap<String, Parent>,
    namer: &Namer,
    settings: &Settings,
    tenant: &str,
    host: &str,
    only: Option<&str>,
    fail: &mut impl FnMut(String),
) -> Option<&'a mut Parent> {
    let shard = settings.shard_size.shard_of(host).unwrap_or(0);
    let name = match namer.shared_vs(shard, None) {
        Ok(n) => n,
        Err(e) => {
            fail(e.to_string());
            return None;
        }
    };
    let key = format!("{tenant}/{name}");
    if only.is_some_and(|m| m != key) {
        return None;
    }
    Some(parents.entry(key).or_insert_with(|| Parent {
        name,
        tenant: tenant.to_owned(),
        ..Parent::default()
    }))
}

/// A TLS Secret's certificate and key, as PEM text.
struct Cert {
    certificate: String,
    key: String,
}

fn certificate(snap: &Snapshot, ns: &str, secret: &str) -> Result<Cert, String> {
    if secret.is_empty() {
        return Err("spec.tls[] entry has no secretName".to_owned());
    }
    let Some(s) = snap.secrets.get(&(ns.to_owned(), secret.to_owned())) else {
        return Err(format!("Secret {ns}/{secret} does not exist"));
    };
    let data = s.data.as_ref();
    let field = |k: &str| -> Result<String, String> {
        let bytes = data
            .and_then(|d| d.get(k))
            .ok_or_else(|| format!("Secret {ns}/{secret} has no {k}"))?;
        String::from_utf8(bytes.0.clone()).map_err(|_| format!("Secret {ns}/{secret}: {k} is not PEM text"))
    };
    let certificate = field("tls.crt")?;
    let key = field("tls.key")?;
    if !certificate.contains("-----BEGIN") || !key.contains("-----BEGIN") {
        return Err(format!("Secret {ns}/{secret}: tls.crt and tls.key must be PEM"));
    }
    Ok(Cert { certificate, key })
}

/// A pool as the model holds it, before its members are computed.
#[derive(Clone, Debug)]
struct PoolNode {
    name: String,
    namespace: String,
    ingress: String,
    host: String,
    backend: PathBackend,
    /// Priority label as it enters the checksum (lower-cased on the shared VS only).
    priority_label: String,
    /// `ServiceName` marker (SNI pools only).
    service_marker: String,
}

#[derive(Default)]
struct Parent {
    name: String,
    tenant: String,
    /// VsVip FQDNs (every host).
    hosts: BTreeSet<String>,
    /// Insecure pools by name, with the sequence number of their last (re)build.
    pools: BTreeMap<String, (u64, PoolNode)>,
    next_seq: u64,
    /// Hosts redirected from HTTP to HTTPS, in the order AKO adds them, and as a set.
    redirect_hosts: Vec<String>,
    redirect_set: BTreeSet<String>,
    /// SNI children by name.
    children: BTreeMap<String, HostVs>,
}

/// A VS serving one host with path switching: an SNI child, or a DEDICATED-mode VS.
struct HostVs {
    name: String,
    host: String,
    /// DEDICATED mode: a normal VS with its own VsVip; names of its pools and pool groups end
    /// in `-L7-dedicated`.
    dedicated: bool,
    namespace: String,
    ingresses: BTreeSet<String>,
    /// Certificate name and content (always set for an SNI child).
    cert: Option<(String, Cert)>,
    /// HTTP policy sets by name, each with its rules in the order they were added.
    policies: BTreeMap<String, PolicySet>,
    pool_groups: BTreeMap<String, PoolGroup>,
    pools: BTreeMap<String, PoolNode>,
}

impl HostVs {
    fn new(name: String, host: &str, dedicated: bool, ns: &str) -> Self {
        HostVs {
            name,
            host: host.to_owned(),
            dedicated,
            namespace: ns.to_owned(),
            ingresses: BTreeSet::new(),
            cert: None,
            policies: BTreeMap::new(),
            pool_groups: BTreeMap::new(),
            pools: BTreeMap::new(),
        }
    }

    /// Add an Ingress's paths for this host: a pool (and pool group) per path and a rule in the
    /// namespace's HTTP policy set (`BuildPolicyPGPoolsForSNI`, `BuildPoolPGPolicyForDedicatedVS`).
    fn add_paths(
        &mut self,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        hp: &HostPaths,
        insecure_dedicated: bool,
        fail: &mut impl FnMut(String),
    ) -> bool {
        let host = &hp.host;
        let ns = &ing.namespace;
        let policy_name = match namer.sni_http_policy_set(ns, host, None) {
            Ok(n) => n,
            Err(e) => {
                fail(e.to_string());
                return false;
            }
        };
        // The last Ingress to name the host decides the namespace marker.
        self.namespace = ns.clone();
        self.ingresses.insert(format!("{ns}/{}", ing.name));
        let suffix = if self.dedicated { "-L7-dedicated" } else { "" };
        let policy = self.policies.entry(policy_name).or_insert_with(|| PolicySet {
            namespace: ns.clone(),
            rules: Vec::new(),
        });
        let mut seen_pgs = BTreeSet::new();
        for b in &hp.paths {
            let built = (|| {
                let pg = namer.checked(format!(
                    "{}{suffix}",
                    namer.sni_pool_group(ns, host, &b.path, &ing.name, None)?
                ))?;
                let pool = if settings.no_pg_for_sni {
                    namer.checked(format!("{pg}--policy-to-pool"))?
                } else {
                    pg.clone()
                };
                Ok::<_, crate::naming::NameTooLong>((pool, pg))
            })();
            let (pool_name, pg_name) = match built {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            let label = format!("{host}{}", b.path);
            self.pools.insert(
                pool_name.clone(),
                PoolNode {
                    name: pool_name.clone(),
                    namespace: ns.clone(),
                    ingress: ing.name.clone(),
                    host: host.clone(),
                    backend: b.clone(),
                    priority_label: if insecure_dedicated {
                        label.to_lowercase()
                    } else {
                        label
                    },
                    service_marker: b.service.clone(),
                },
            );
            let first = seen_pgs.insert(pg_name.clone());
            if !settings.no_pg_for_sni {
                let pg = self.pool_groups.entry(pg_name.clone()).or_insert_with(|| PoolGroup {
                    namespace: ns.clone(),
                    host: host.clone(),
                    ingress: ing.name.clone(),
                    path: b.path.clone(),
                    members: Vec::new(),
                });
                if first {
                    pg.members.clear();
                }
                pg.members.push(PgMember {
                    pool_ref: format!("/api/pool?name={pool_name}"),
                    priority_label: None,
                    ratio: INGRESS_WEIGHT,
                });
            }
            if first {
                // The rule's identity is the pool group's name (`GetSniHppMapName`).
                let rule = HostPathRule {
                    name: pg_name.clone(),
                    path: (!b.path.is_empty()).then(|| b.path.clone()),
                    pool: if settings.no_pg_for_sni {
                        pool_name
                    } else {
                        String::new()
                    },
                    pool_group: if settings.no_pg_for_sni { String::new() } else { pg_name },
                    match_criteria: if b.exact { "EQUALS" } else { "BEGINS_WITH" }.to_owned(),
                    ingress: ing.name.clone(),
                    // AKO's insecure DEDICATED builder leaves the rule's service port unset.
                    svc_port: if insecure_dedicated { 0 } else { b.port },
                };
                match policy.rules.iter_mut().find(|r| r.name == rule.name) {
                    Some(r) => *r = rule,
                    None => policy.rules.push(rule),
                }
            }
        }
        true
    }
}

struct PolicySet {
    namespace: String,
    rules: Vec<HostPathRule>,
}

struct PoolGroup {
    namespace: String,
    host: String,
    ingress: String,
    path: String,
    members: Vec<PgMember>,
}

impl Parent {
    fn add_host(&mut self, host: &str) {
        if !self.hosts.contains(host) {
            self.hosts.insert(host.to_owned());
        }
    }

    fn add_insecure(&mut self, namer: &Namer, ing: &ParsedIngress, hp: &HostPaths, fail: &mut impl FnMut(String)) {
        self.add_host(&hp.host);
        for b in &hp.paths {
            let name = match namer.l7_pool(&hp.host, &b.path, &ing.namespace, &ing.name, None) {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            // A rebuilt pool moves to the end, as AKO removes and re-appends it.
            self.next_seq += 1;
            let node = PoolNode {
                name: name.clone(),
                namespace: ing.namespace.clone(),
                ingress: ing.name.clone(),
                host: hp.host.clone(),
                backend: b.clone(),
                priority_label: priority_label(&hp.host, &b.path),
                service_marker: String::new(),
            };
            self.pools.insert(name, (self.next_seq, node));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_tls(
        &mut self,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        secret: &str,
        cert: Cert,
        hp: &HostPaths,
        fail: &mut impl FnMut(String),
    ) -> bool {
        let host = &hp.host;
        let names = namer
            .sni_child(host, None)
            .and_then(|c| Ok((c, namer.tls_key_cert(host, secret, None)?)));
        let (child_name, cert_name) = match names {
            Ok(n) => n,
            Err(e) => {
                fail(e.to_string());
                return false;
            }
        };
        let child = self
            .children
            .entry(child_name.clone())
            .or_insert_with(|| HostVs::new(child_name, host, false, &ing.namespace));
        if !child.add_paths(namer, settings, ing, hp, false, fail) {
            return false;
        }
        // The last Ingress to name the host decides the certificate.
        child.cert = Some((cert_name, cert));
        self.add_host(host);
        if self.redirect_set.insert(host.clone()) {
            self.redirect_hosts.push(host.clone());
        }
        true
    }

    fn objects(&self, snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, namer: &Namer) -> Model {
        let cluster = settings.cluster_name.as_str();
        let ctx = Ctx::new(snap, settings, cloud, namer, &self.tenant);
        let mut objects = Vec::new();
        let parent_ports = vec![l7_port(80, false), l7_port(443, true)];

        // Insecure pools and the shared pool group.
        let mut pools: Vec<&(u64, PoolNode)> = self.pools.values().collect();
        pools.sort_by_key(|(seq, _)| *seq);
        let mut members = Vec::new();
        for (_, p) in pools {
            objects.push(ctx.pool(&self.tenant, p));
            members.push(PgMember {
                pool_ref: format!("/api/pool?name={}", p.name),
                priority_label: Some(p.priority_label.clone()),
                ratio: INGRESS_WEIGHT,
            });
        }
        objects.push(ctx.pool_group(&self.tenant, &self.name, &members, true, &Markers::default()));

        // Datascript set.
        let script = HTTP_DS_SCRIPT.replacen("%s", &self.name, 1);
        objects.push(DesiredObject {
            kind: ObjectType::VsDataScriptSet,
            tenant: self.tenant.clone(),
            name: self.name.clone(),
            checksum: checksum::datascript_checksum(cluster, std::slice::from_ref(&self.name), &script),
            body: json!({
                "created_by": ctx.created_by,
                "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": script}],
                "name": self.name,
                "tenant_ref": ctx.tenant_ref,
                "pool_group_refs": [format!("/api/poolgroup/?name={}", self.name)],
                "markers": Markers::default().to_json(cluster),
            }),
        });

        // Redirect policy.
        let mut parent_policies = Vec::new();
        if !self.redirect_hosts.is_empty() {
            objects.push(ctx.redirect_policy(&self.tenant, &self.name, &self.redirect_hosts, &Markers::default()));
            parent_policies.push(self.name.clone());
        }

        // VsVip: the auto-FQDN and every host.
        let mut fqdns: Vec<String> = shared_vs_fqdn(
            &self.name,
            &self.tenant,
            settings.auto_fqdn,
            settings.default_domain.as_deref(),
            &cloud.dns_domains,
        )
        .into_iter()
        .collect();
        fqdns.extend(
            self.hosts
                .iter()
                .filter(|h| !fqdns.contains(h))
                .cloned()
                .collect::<Vec<_>>(),
        );
        objects.push(ctx.vsvip(&self.tenant, &self.name, &fqdns));

        // SNI children.
        for child in self.children.values() {
            ctx.host_vs_objects(Some(&self.name), &self.tenant, child, &mut objects);
        }

        // The parent VS.
        let mut refs = vec![format!("HTTPDS{}", self.name), format!("VSVIP{}", self.name)];
        refs.extend(parent_policies.iter().map(|p| format!("HttpPolicy{p}")));
        refs.extend(self.children.keys().map(|c| format!("SNINode{c}")));
        let cksum = checksum::vs_checksum(&VsChecksum {
            refs,
            application_profile: HTTP_PROFILE,
            se_group: &settings.se_group,
            network_profile: TCP_PROXY,
            ports: &parent_ports,
            hostnames: &[],
            traffic_enabled: None,
            enable_rhi: Some(settings.enable_rhi),
            markers: Markers::default().checksum(cluster),
        });
        let mut vs = json!({
            "name": self.name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": ctx.created_by,
            "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
            "tenant_ref": ctx.tenant_ref,
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", settings.se_group),
            "error_page_profile_ref": "",
            "service_metadata": ServiceMetadata::default().to_go_json(),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", ctx.vrf),
            "vsvip_ref": format!("/api/vsvip/?name={}", self.name),
            "type": "VS_TYPE_VH_PARENT",
            "services": [
                {"port": 80, "enable_ssl": false, "port_range_end": 80, "enable_http2": false},
                {"port": 443, "enable_ssl": true, "port_range_end": 443, "enable_http2": false},
            ],
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": format!("/api/vsdatascriptset/?name={}", self.name)}],
            "markers": Markers::default().to_json(cluster),
        });
        if settings.enable_rhi {
            vs["enable_rhi"] = json!(true);
        }
        if !parent_policies.is_empty() {
            vs["http_policies"] = Value::Array(
                parent_policies
                    .iter()
                    .enumerate()
                    .map(|(i, p)| json!({"http_policy_set_ref": format!("/api/httppolicyset/?name={p}"), "index": POLICY_INDEX_BASE + i as i64}))
                    .collect(),
            );
        }
        objects.push(DesiredObject {
            kind: ObjectType::VirtualService,
            tenant: self.tenant.clone(),
            name: self.name.clone(),
            checksum: cksum,
            body: vs,
        });
        let mut model = Model { objects };
        model.sort();
        model
    }
}

fn l7_port(port: i32, ssl: bool) -> PortProto {
    PortProto {
        port,
        target_port: TargetPort::Int(0),
        protocol: "HTTP".to_owned(),
        name: String::new(),
        enable_ssl: ssl,
    }
}

/// What every object of one model shares.
struct Ctx<'a> {
    snap: &'a Snapshot,
    settings: &'a Settings,
    cloud: &'a CloudFacts,
    cluster: &'a str,
    tenant_ref: String,
    vrf: String,
    created_by: String,
}

impl<'a> Ctx<'a> {
    fn new(snap: &'a Snapshot, settings: &'a Settings, cloud: &'a CloudFacts, namer: &Namer, tenant: &str) -> Self {
        Ctx {
            snap,
            settings,
            cloud,
            cluster: settings.cluster_name.as_str(),
            tenant_ref: format!("/api/tenant/?name={}", query_escape(tenant)),
            vrf: settings.vrf_name.clone().unwrap_or_else(|| "global".to_owned()),
            created_by: namer.ako_user(),
        }
    }

    fn vsvip(&self, tenant: &str, name: &str, fqdns: &[String]) -> DesiredObject {
        let mut fqdns = fqdns.to_vec();
        fqdns.sort();
        let settings = self.settings;
        let bgp = if settings.enable_rhi {
            settings.bgp_peer_labels.clone()
        } else {
            Vec::new()
        };
        let nets: Vec<VipNetworkKey> = settings
            .vip_networks
            .iter()
            .map(|n| VipNetworkKey {
                name: n.network_name.clone(),
                cidr: n.cidr.clone(),
                v6cidr: n.v6cidr.clone(),
                uuid: n.network_uuid.clone(),
            })
            .collect();
        let cksum = checksum::vsvip_checksum(self.cluster, &fqdns, "", &nets, &bgp);
        DesiredObject {
            kind: ObjectType::VsVip,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body: vsvip_body(settings, name, tenant, &fqdns, "", cksum, &self.vrf, &bgp),
        }
    }

    fn pool(&self, tenant: &str, p: &PoolNode) -> DesiredObject {
        let b = &p.backend;
        let pp = PortProto {
            port: b.port,
            target_port: b.target_port.clone(),
            protocol: "TCP".to_owned(),
            name: b.port_name.clone(),
            enable_ssl: false,
        };
        let svc = self.snap.services.get(&(p.namespace.clone(), b.service.clone()));
        let svc_type = svc
            .and_then(|s| s.spec.as_ref())
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("ClusterIP");
        let (port, mut servers) = match (svc, self.settings.service_type) {
            (Some(svc), ServiceType::NodePort) if svc_type != "ClusterIP" => {
                let m = node_port_members(self.snap, self.settings, svc, &p.namespace, &b.service, &pp);
                (m.port, m.servers)
            }
            (Some(svc), ServiceType::ClusterIp) if svc_type == "ClusterIP" => {
                let m = cluster_ip_members(self.snap, self.settings, svc, &p.namespace, &b.service, &pp);
                (m.port, m.servers)
            }
            _ => (b.port, Vec::new()),
        };
        servers.sort_by(|a, b| a.addr.cmp(&b.addr));
        let markers = Markers {
            namespace: p.namespace.clone(),
            host: vec![p.host.clone()],
            service_name: p.service_marker.clone(),
            path: vec![b.path.clone()],
            ingress_name: vec![p.ingress.clone()],
            ..Markers::default()
        };
        let metadata = ServiceMetadata {
            ingress_name: p.ingress.clone(),
            namespace: p.namespace.clone(),
            hostnames: vec![p.host.clone()],
            pool_ratio: INGRESS_WEIGHT,
            ..ServiceMetadata::default()
        };
        let placement = placement_settings(self.settings, self.cloud);
        let cksum = checksum::pool_checksum(&PoolChecksum {
            protocol: "",
            port,
            port_name: &b.port_name,
            servers: &servers,
            priority_label: &p.priority_label,
            placement_json: &checksum::node_network_map_json(placement.as_deref()),
            namespace_svc_name: &[],
            hostnames: &metadata.hostnames,
            markers: markers.checksum(self.cluster),
        });
        pool_object(PoolParts {
            settings: self.settings,
            tenant,
            name: &p.name,
            cksum,
            protocol: "",
            port,
            servers: &servers,
            placement: placement.as_deref(),
            vrf: &self.vrf,
            metadata: &metadata,
            markers: &markers,
        })
    }

    fn pool_group(
        &self,
        tenant: &str,
        name: &str,
        members: &[PgMember],
        shared: bool,
        markers: &Markers,
    ) -> DesiredObject {
        let cksum = checksum::pool_group_checksum(members, markers.checksum(self.cluster));
        // AKO drops duplicate pool refs from what it sends.
        let mut seen = BTreeSet::new();
        let mut sorted: Vec<&PgMember> = members.iter().filter(|m| seen.insert(m.pool_ref.clone())).collect();
        sorted.sort_by(|a, b| a.pool_ref.cmp(&b.pool_ref));
        let members: Vec<Value> = sorted
            .iter()
            .map(|m| {
                let mut v = json!({"pool_ref": m.pool_ref, "ratio": m.ratio});
                if let Some(l) = &m.priority_label {
                    v["priority_label"] = json!(l);
                }
                v
            })
            .collect();
        let mut body = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref,
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "implicit_priority_labels": shared,
            "markers": markers.to_json(self.cluster),
        });
        // Go omits an empty member list.
        if !members.is_empty() {
            body["members"] = Value::Array(members);
        }
        DesiredObject {
            kind: ObjectType::PoolGroup,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body,
        }
    }

    fn redirect_policy(&self, tenant: &str, name: &str, hosts: &[String], markers: &Markers) -> DesiredObject {
        let cksum = checksum::http_policy_set_checksum(&[], Some(hosts), markers.checksum(self.cluster));
        DesiredObject {
            kind: ObjectType::HttpPolicySet,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body: json!({
                "name": name,
                "created_by": self.created_by,
                "tenant_ref": self.tenant_ref,
                "cloud_config_cksum": cksum.to_string(),
                "http_request_policy": {"rules": [{
                    "enable": true,
                    "index": 0,
                    "name": format!("{name}-0"),
                    "match": {
                        "host_hdr": {"match_criteria": "HDR_EQUALS", "value": hosts},
                        "vs_port": {"match_criteria": "IS_IN", "ports": [80]},
                    },
                    "redirect_action": {"port": 443, "protocol": "HTTPS", "status_code": "HTTP_REDIRECT_STATUS_CODE_302"},
                }]},
                "http_security_policy": {},
                "markers": markers.to_json(self.cluster),
            }),
        }
    }

    /// The objects of a host VS: its certificate, pools, pool groups and policy sets, then the
    /// VS itself — an SNI child of `parent`, or (DEDICATED mode, `parent` None) a normal VS
    /// with its own VsVip and redirect policy.
    fn host_vs_objects(&self, parent: Option<&str>, tenant: &str, vs: &HostVs, objects: &mut Vec<DesiredObject>) {
        let cluster = self.cluster;
        let secure = vs.cert.is_some();
        let host_markers = Markers {
            host: vec![vs.host.clone()],
            ..Markers::default()
        };
        if let Some((cert_name, cert)) = &vs.cert {
            let ssl_cksum = checksum::ssl_checksum(cert_name, &cert.certificate, "", host_markers.checksum(cluster));
            objects.push(DesiredObject {
                kind: ObjectType::SslKeyAndCertificate,
                tenant: tenant.to_owned(),
                name: cert_name.clone(),
                checksum: ssl_cksum,
                body: json!({
                    "name": cert_name,
                    "created_by": self.created_by,
                    "tenant_ref": self.tenant_ref,
                    "certificate": {"certificate": cert.certificate},
                    "key": cert.key,
                    "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
                    "markers": host_markers.to_json(cluster),
                }),
            });
        }
        for pool in vs.pools.values() {
            objects.push(self.pool(tenant, pool));
        }
        for (name, pg) in &vs.pool_groups {
            let markers = Markers {
                namespace: pg.namespace.clone(),
                host: vec![pg.host.clone()],
                path: vec![pg.path.clone()],
                ingress_name: vec![pg.ingress.clone()],
                ..Markers::default()
            };
            objects.push(self.pool_group(tenant, name, &pg.members, false, &markers));
        }
        // AKO marks the host of a VS (and of its policy sets) only once the host is a
        // virtual-hosting domain of it, which an insecure DEDICATED VS never gets.
        let marked_host: Vec<String> = if secure { vec![vs.host.clone()] } else { Vec::new() };
        for (name, policy) in &vs.policies {
            objects.push(self.path_policy(tenant, name, &marked_host, policy));
        }
        let mut policy_names: Vec<&String> = vs.policies.keys().collect();
        let hostnames = vec![vs.host.clone()];
        let markers = Markers {
            namespace: vs.namespace.clone(),
            host: marked_host.clone(),
            ..Markers::default()
        };
        let mut refs: Vec<String> = Vec::new();
        let mut ports = vec![l7_port(80, false)];
        if parent.is_none() {
            // DEDICATED: own VsVip (the host only, no auto-FQDN) and, when secure, own redirect.
            let vsvip = self.vsvip(tenant, &vs.name, std::slice::from_ref(&vs.host));
            refs.push(format!("VSVIP{}", vs.name));
            objects.push(vsvip);
            if secure {
                let redirect_markers = Markers {
                    namespace: vs.namespace.clone(),
                    host: vec![vs.host.clone()],
                    ..Markers::default()
                };
                objects.push(self.redirect_policy(tenant, &vs.name, &hostnames, &redirect_markers));
            }
        }
        if secure || parent.is_some() {
            ports.push(l7_port(443, true));
        }
        refs.extend(policy_names.iter().map(|p| format!("HttpPolicy{p}")));
        if parent.is_none() && secure {
            refs.push(format!("HttpPolicy{}", vs.name));
        }
        if let Some((cert_name, _)) = &vs.cert {
            refs.push(format!("SSLKeyCert{cert_name}"));
        }
        if secure {
            refs.push(format!("VHDomain{}", vs.host));
        }
        let (app_profile, net_profile, enable_rhi) = match parent {
            Some(_) => ("", "", None),
            None if secure => (SECURE_HTTP_PROFILE, TCP_PROXY, Some(self.settings.enable_rhi)),
            None => (HTTP_PROFILE, TCP_PROXY, Some(self.settings.enable_rhi)),
        };
        let cksum = checksum::vs_checksum(&VsChecksum {
            refs,
            application_profile: app_profile,
            se_group: &self.settings.se_group,
            network_profile: net_profile,
            ports: &ports,
            hostnames: &hostnames,
            traffic_enabled: None,
            enable_rhi,
            markers: markers.checksum(cluster),
        });
        let metadata = ServiceMetadata {
            namespace_ingress_name: vs.ingresses.iter().cloned().collect(),
            namespace: vs.namespace.clone(),
            hostnames: hostnames.clone(),
            ..ServiceMetadata::default()
        };
        let services: Vec<Value> = ports
            .iter()
            .map(|p| json!({"port": p.port, "enable_ssl": p.enable_ssl, "port_range_end": p.port, "enable_http2": false}))
            .collect();
        let mut body = json!({
            "name": vs.name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "east_west_placement": false,
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", self.settings.se_group),
            "service_metadata": metadata.to_go_json(),
            "error_page_profile_ref": "",
            "vrf_context_ref": format!("/api/vrfcontext?name={}", self.vrf),
            "markers": markers.to_json(cluster),
        });
        if let Some((cert_name, _)) = &vs.cert {
            body["ssl_key_and_certificate_refs"] = json!([format!("/api/sslkeyandcertificate/?name={cert_name}")]);
        }
        match parent {
            Some(parent) => {
                // Policies with paths are ordered by their first path, after those without.
                policy_names.sort_by_key(|n| {
                    let first = vs.policies[*n].rules.first().and_then(|r| r.path.clone());
                    (first.is_some(), first)
                });
                body["application_profile_ref"] = json!(format!("/api/applicationprofile/?name={SECURE_HTTP_PROFILE}"));
                body["type"] = json!("VS_TYPE_VH_CHILD");
                body["vh_parent_vs_ref"] = json!(format!("/api/virtualservice/?name={parent}"));
                body["vh_domain_name"] = json!(hostnames);
                body["ign_pool_net_reach"] = json!(false);
            }
            None => {
                body["application_profile_ref"] = json!(format!("/api/applicationprofile/?name={app_profile}"));
                body["type"] = json!("VS_TYPE_NORMAL");
                body["tenant_ref"] = json!(self.tenant_ref);
                body["vsvip_ref"] = json!(format!("/api/vsvip/?name={}", vs.name));
                body["services"] = Value::Array(services);
                if self.settings.enable_rhi {
                    body["enable_rhi"] = json!(true);
                }
                if secure {
                    policy_names.push(&vs.name);
                }
            }
        }
        body["http_policies"] = Value::Array(
            policy_names
                .iter()
                .enumerate()
                .map(|(i, n)| json!({"http_policy_set_ref": format!("/api/httppolicyset/?name={n}"), "index": POLICY_INDEX_BASE + i as i64}))
                .collect(),
        );
        objects.push(DesiredObject {
            kind: ObjectType::VirtualService,
            tenant: tenant.to_owned(),
            name: vs.name.clone(),
            checksum: cksum,
            body,
        });
    }

    fn path_policy(&self, tenant: &str, name: &str, host: &[String], policy: &PolicySet) -> DesiredObject {
        let mut paths: Vec<String> = policy.rules.iter().filter_map(|r| r.path.clone()).collect();
        // Sorted, as AKO sends them (its checksum sorts the marker values in place).
        paths.sort();
        // Longest path first, path-less rules last (stable for equal lengths).
        let mut ordered: Vec<&HostPathRule> = policy.rules.iter().filter(|r| r.path.is_some()).collect();
        ordered.sort_by_key(|r| std::cmp::Reverse(r.path.as_ref().map_or(0, String::len)));
        ordered.extend(policy.rules.iter().filter(|r| r.path.is_none()));
        let markers = Markers {
            namespace: policy.namespace.clone(),
            host: host.to_vec(),
            path: paths,
            ingress_name: policy
                .rules
                .iter()
                .map(|r| r.ingress.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            ..Markers::default()
        };
        let cksum = checksum::http_policy_set_checksum(&policy.rules, None, markers.checksum(self.cluster));
        let rules: Vec<Value> = ordered
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let m = match &r.path {
                    Some(p) => json!({"path": {"match_criteria": r.match_criteria, "match_case": "SENSITIVE", "match_str": [p]}}),
                    None => json!({}),
                };
                let action = if r.pool.is_empty() {
                    json!({"action": "HTTP_SWITCHING_SELECT_POOLGROUP", "pool_group_ref": format!("/api/poolgroup/?name={}", r.pool_group)})
                } else {
                    json!({"action": "HTTP_SWITCHING_SELECT_POOL", "pool_ref": format!("/api/pool/?name={}", r.pool)})
                };
                json!({"index": i, "enable": true, "name": format!("{name}-{i}"), "match": m, "switching_action": action})
            })
            .collect();
        DesiredObject {
            kind: ObjectType::HttpPolicySet,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body: json!({
                "name": name,
                "created_by": self.created_by,
                "tenant_ref": self.tenant_ref,
                "cloud_config_cksum": cksum.to_string(),
                "http_request_policy": {"rules": rules},
                "http_security_policy": {},
                "markers": markers.to_json(self.cluster),
            }),
        }
    }
}
