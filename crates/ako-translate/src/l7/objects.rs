//! The L7 graph → the REST bodies AKO sends, with AKO's checksums: shared parent VS, VsVip,
//! pool groups, datascript set, redirect and path policy sets, certificates, pools, SNI
//! children and DEDICATED VSes (`internal/rest/avi_obj_{vs,pool,httpps,vsvip}.go`,
//! `avi_pool_group.go`, `avi_datascript.go`, `ssl_key_certificate.go`).

use std::collections::BTreeSet;

use avi_model::ObjectType;
use serde_json::{Value, json};

use crate::checksum::{self, HostPathRule, PgMember, PortProto, VsChecksum};
use crate::crds::HostRule;
use crate::crds::InfraListener;
use crate::fqdn::shared_vs_fqdn;
use crate::ingress::InsecurePolicy;
use crate::key::ModelKey;
use crate::key::NsName;
use crate::markers::{Markers, ServiceMetadata};
use crate::members::{Members, ServicePort, port_members};
use crate::model::{Body, CloudFacts, DesiredObject, Model};
use crate::naming::Namer;
use crate::naming::query_escape;
use crate::pool::{PoolParts, pool_object};
use crate::rules::generated::generated_fields;
use crate::rules::{
    HostSso, PoolRule, VsRule, host_rule_for, l7_rule_of, path_rules_for, shared_vs_rule_for, sso_for_host,
};
use crate::settings::{FqdnReusePolicy, ServiceType, Settings};
use crate::snapshot::Snapshot;
use crate::vsvip::vsvip_object;

use super::graph::{Cert, HostVs, Parent, PolicySet, PoolNode};
use super::host_rule::{self, VsKind, l7_port};
use super::regex;

/// The datascript of every shared parent: picks the pool by `lower(host/first-path-token)`.
pub(super) const HTTP_DS_SCRIPT: &str = "host = avi.http.get_host_tokens(\"MODIFIED\", 1)\npath = avi.http.get_path_tokens(1)\nif string.contains(host, \":\") then\nfor match in string.gmatch(host, \".*:\") do\nhost = string.sub(match,0,-2)\nend\nend\nif host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\navi.poolgroup.select(\"%s\", string.lower(lbl) )";
pub(super) const TCP_PROXY: &str = "System-TCP-Proxy";
pub(super) const HTTP_PROFILE: &str = "System-HTTP";
const SECURE_HTTP_PROFILE: &str = "System-Secure-HTTP";
/// First index of AKO's own HTTP policies on a VS.
const POLICY_INDEX_BASE: i64 = 11;

impl Parent {
    /// The Avi objects of a shared parent's model, children included: placed with `settings`
    /// (those of its AviInfraSetting, or the global ones), but for what AKO always takes from
    /// the `global` settings.
    pub(super) fn objects(
        &self,
        snap: &Snapshot,
        settings: &Settings,
        global: &Settings,
        cloud: &CloudFacts,
        namer: &Namer,
        listeners: &[InfraListener],
    ) -> Model {
        if namer.evh() {
            return self.evh_objects(snap, settings, global, cloud, namer, listeners);
        }
        let cluster = settings.cluster_name.as_str();
        let ctx = Ctx::new(snap, settings, global, cloud, namer, &self.tenant, listeners);
        let mut objects = Vec::new();
        let model = ModelKey::new(&self.tenant, &self.name);
        let rule = super::parent_fqdn(settings, cloud, &model)
            .and_then(|fqdn| shared_vs_rule_for(snap, settings, cloud, &self.tenant, &fqdn))
            .map(|(k, r)| VsRule::of(k, r));
        let rule = rule.as_ref();
        let children: Vec<(&HostVs, Option<VsRule>)> =
            self.children.values().map(|c| (c, ctx.vs_rule(&c.host))).collect();
        // The setting's listeners first, a HostRule's replace them (AKO applies the rule later).
        let defaults = host_rule::with_listeners(listeners, vec![l7_port(80, false), l7_port(443, true)]);
        let parent_ports = host_rule::ports(rule, defaults);

        // Insecure pools and the shared pool group.
        let mut pools: Vec<&(u64, PoolNode)> = self.pools.values().collect();
        pools.sort_by_key(|(seq, _)| *seq);
        let mut members = Vec::new();
        for (_, p) in pools {
            ctx.pool(&self.tenant, p, &mut objects);
            members.push(PgMember {
                pool_ref: format!("/api/pool?name={}", p.name),
                priority_label: Some(p.priority_label.clone()),
                ratio: p.backend.weight,
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
            body: Body::from(json!({
                "created_by": ctx.created_by,
                "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": script}],
                "name": self.name,
                "tenant_ref": ctx.tenant_ref,
                "pool_group_refs": [format!("/api/poolgroup/?name={}", self.name)],
                "markers": Markers::default().to_json(cluster),
            })),
        });

        // GSLB host-header rewrites of the insecure hosts, before the redirect (AKO builds the
        // insecure hosts first).
        let mut parent_policies = Vec::new();
        let insecure: BTreeSet<&str> = self.pools.values().map(|(_, p)| p.host.as_str()).collect();
        for host in insecure {
            if let Some(gslb) = ctx.vs_rule(host).and_then(|r| r.gslb_fqdn) {
                let name = format!("{}--host-hdr-re-write--{host}", self.name);
                objects.push(ctx.host_rewrite_policy(&self.tenant, &name, &gslb, host));
                parent_policies.push(name);
            }
        }

        // Redirect policy: the TLS hosts, their HostRules' aliases and GSLB FQDNs — once one of
        // them asks for it (AKO adds every SNI host to an existing redirect policy; a Route's
        // host creates it only with `Redirect`).
        let mut redirect_hosts = self.redirect_hosts.clone();
        for (_, r) in &children {
            for extra in r.iter().flat_map(|r| r.aliases.iter().chain(&r.gslb_fqdn)) {
                if !redirect_hosts.contains(extra) {
                    redirect_hosts.push(extra.clone());
                }
            }
        }
        if self.redirect_wanted && !redirect_hosts.is_empty() && !rule.is_some_and(|r| r.overwrite) {
            objects.push(ctx.redirect_policy(&self.tenant, &self.name, &redirect_hosts, &Markers::default()));
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
        let aliases = children
            .iter()
            .flat_map(|(_, r)| r.iter().flat_map(|r| r.aliases.iter()));
        for host in self.hosts.iter().chain(aliases) {
            if !fqdns.contains(host) {
                fqdns.push(host.clone());
            }
        }
        let vip = rule.and_then(|r| r.load_balancer_ip.as_deref()).unwrap_or("");
        objects.push(ctx.vsvip(&self.tenant, &self.name, &fqdns, vip));

        // SNI children.
        for (child, child_rule) in &children {
            let shape = Shape::Child {
                parent: &self.name,
                ports: &parent_ports,
            };
            ctx.host_vs_objects(shape, &self.tenant, child, child_rule.as_ref(), &mut objects);
        }

        // The parent VS.
        let mut refs = vec![format!("HTTPDS{}", self.name), format!("VSVIP{}", self.name)];
        refs.extend(parent_policies.iter().map(|p| format!("HttpPolicy{p}")));
        refs.extend(self.children.keys().map(|c| format!("SNINode{c}")));
        let mut inputs = VsChecksum {
            refs,
            application_profile: HTTP_PROFILE,
            se_group: &settings.se_group,
            network_profile: TCP_PROXY,
            ports: &parent_ports,
            hostnames: &[],
            traffic_enabled: None,
            enable_rhi: Some(settings.enable_rhi),
            markers: Markers::default().checksum(cluster),
            ..VsChecksum::default()
        };
        if let Some(r) = rule {
            inputs.refs.extend(r.aliases.iter().map(|a| format!("VHDomain{a}")));
            host_rule::checksum(&mut inputs, r, VsKind::Parent, None, cluster);
        }
        let cksum = checksum::vs_checksum(&inputs);
        let metadata = ServiceMetadata {
            crd_status: rule.map(|r| ("HostRule", r.rule.to_string())),
            ..ServiceMetadata::default()
        };
        let vs = json!({
            "name": self.name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": ctx.created_by,
            "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
            "tenant_ref": ctx.tenant_ref,
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", settings.se_group),
            "error_page_profile_ref": "",
            "service_metadata": metadata.to_go_json(),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", settings.vrf()),
            "vsvip_ref": format!("/api/vsvip/?name={}", self.name),
            "type": "VS_TYPE_VH_PARENT",
            "services": services(&parent_ports, true),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": format!("/api/vsdatascriptset/?name={}", self.name)}],
            "markers": Markers::default().to_json(cluster),
        });
        self.finish(vs, cksum, settings, rule, policy_refs(&parent_policies), objects)
    }

    /// The model of the parent: `objects`, then the parent VS `vs` with what every parent (SNI
    /// or EVH) ends with — RHI, its HostRule's fields and its HTTP policy sets after
    /// `policies`.
    pub(super) fn finish(
        &self,
        mut vs: Value,
        cksum: u32,
        settings: &Settings,
        rule: Option<&VsRule>,
        policies: Vec<Value>,
        mut objects: Vec<DesiredObject>,
    ) -> Model {
        if settings.enable_rhi {
            vs["enable_rhi"] = json!(true);
        }
        if let Some(r) = rule {
            host_rule::apply(&mut vs, r, VsKind::Parent);
        }
        if let Some(list) = host_rule::http_policies(policies, rule) {
            vs["http_policies"] = list;
        }
        objects.push(DesiredObject {
            kind: ObjectType::VirtualService,
            tenant: self.tenant.clone(),
            name: self.name.clone(),
            checksum: cksum,
            body: Body::from(vs),
        });
        let mut model = Model { objects };
        model.sort();
        model
    }
}

/// `services` of a VS from its listeners (EVH mode sends no `port_range_end`).
pub(super) fn services(ports: &[PortProto], port_range_end: bool) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| {
                let mut v = json!({"port": p.port, "enable_ssl": p.enable_ssl, "enable_http2": p.enable_http2});
                if port_range_end {
                    v["port_range_end"] = json!(p.port);
                }
                v
            })
            .collect(),
    )
}

/// An EVH child's match of one of its domains: every path.
fn vh_match(host: &str) -> Value {
    json!({"host": host, "rules": [{"name": "VHMATCHRULENAME",
        "matches": {"path": {"match_criteria": "BEGINS_WITH", "match_case": "SENSITIVE", "match_str": ["/"]}}}]})
}

/// What kind of VS serves a host.
#[derive(Clone, Copy)]
pub(super) enum Shape<'a> {
    /// A child (SNI or EVH, as the namer's mode) of the shared parent `parent`, which listens
    /// on `ports`.
    Child { parent: &'a str, ports: &'a [PortProto] },
    /// A DEDICATED-mode normal VS.
    Dedicated,
}

/// `http_policies` entries for AKO's own policy sets, in order from index 11.
pub(super) fn policy_refs<S: AsRef<str>>(names: &[S]) -> Vec<Value> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"http_policy_set_ref": format!("/api/httppolicyset/?name={}", n.as_ref()), "index": POLICY_INDEX_BASE + i as i64})
        })
        .collect()
}

/// What every object of one model shares.
pub(super) struct Ctx<'a> {
    snap: &'a Snapshot,
    /// The settings the model is placed with (its AviInfraSetting's, or the global ones).
    pub(super) settings: &'a Settings,
    /// The global settings: SNI children always take their SE group from them.
    global: &'a Settings,
    cloud: &'a CloudFacts,
    /// Names (of PKI profiles), in the model's mode.
    namer: Namer,
    /// Placed with an AviInfraSetting (EVH VSes then carry its RHI flag).
    pub(super) with_setting: bool,
    /// The `InfrasettingName` marker of the objects whose names carry the setting's name.
    infra: String,
    /// The listeners of the AviInfraSetting the model is placed with.
    listeners: &'a [InfraListener],
    pub(super) cluster: &'a str,
    tenant: String,
    pub(super) tenant_ref: String,
    pub(super) created_by: String,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        snap: &'a Snapshot,
        settings: &'a Settings,
        global: &'a Settings,
        cloud: &'a CloudFacts,
        namer: &Namer,
        tenant: &str,
        listeners: &'a [InfraListener],
    ) -> Self {
        Ctx {
            snap,
            settings,
            global,
            cloud,
            infra: namer.infra().unwrap_or_default().to_owned(),
            namer: namer.clone(),
            with_setting: false,
            listeners,
            cluster: settings.cluster_name.as_str(),
            tenant: tenant.to_owned(),
            tenant_ref: format!("/api/tenant/?name={}", query_escape(tenant)),
            created_by: namer.ako_user(),
        }
    }

    /// The `InfrasettingName` marker of the objects whose names carry the setting's name (empty
    /// without one).
    pub(super) fn namer_infra(&self) -> String {
        self.infra.clone()
    }

    /// The VsVip of a parent or dedicated VS: its FQDNs sorted, the preferred IP if any.
    pub(super) fn vsvip(&self, tenant: &str, name: &str, fqdns: &[String], ip: &str) -> DesiredObject {
        let mut fqdns = fqdns.to_vec();
        fqdns.sort();
        vsvip_object(self.settings, tenant, name, &fqdns, ip)
    }

    /// What the Accepted HostRule `key` sets, with (EVH mode) its Accepted L7Rule.
    pub(super) fn rule_of(&self, key: &NsName, rule: &HostRule) -> VsRule {
        let vs = VsRule::of(key, rule);
        if !self.namer.evh() {
            return vs;
        }
        let name = rule.spec.virtualhost.l7_rule.as_deref();
        match l7_rule_of(self.snap, self.settings, self.cloud, &key.namespace, name) {
            Some(l7) => vs.with_l7(l7),
            None => vs,
        }
    }

    /// The HostRule of the VS serving `host`, if one applies.
    pub(super) fn vs_rule(&self, host: &str) -> Option<VsRule> {
        host_rule_for(self.snap, self.settings, self.cloud, &self.tenant, host).map(|(k, r)| self.rule_of(k, r))
    }

    /// A pool (and the PKI profile of its HTTPRule's `destinationCA`, if any).
    pub(super) fn pool(&self, tenant: &str, p: &PoolNode, objects: &mut Vec<DesiredObject>) {
        let b = &p.backend;
        let pp = PortProto {
            port: b.port,
            target_port: b.target_port.clone(),
            protocol: "TCP".to_owned(),
            name: b.port_name.clone(),
            enable_ssl: false,
            enable_http2: false,
        };
        let svc = self.snap.service(&p.namespace, &b.service);
        let svc_type = svc
            .and_then(|s| s.spec.as_ref())
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("ClusterIP");
        // Ingress backends come from AKO's ClusterIP store: ClusterIP and NodePort Services, and
        // LoadBalancer ones only with layer7Only (AKO moves them to its L4 store otherwise).
        let in_cluster_ip_store = match svc_type {
            "ClusterIP" | "NodePort" => true,
            "LoadBalancer" => self.settings.layer7_only,
            _ => false,
        };
        // NodePort mode finds members for every backend but a ClusterIP Service (it has no node
        // port); the other modes only for a Service of AKO's ClusterIP store.
        let mode = self.settings.service_type;
        let has_members = match mode {
            ServiceType::NodePort => svc_type != "ClusterIP",
            ServiceType::ClusterIp | ServiceType::NodePortLocal => in_cluster_ip_store,
        };
        let members = match svc {
            Some(svc) if has_members => {
                let sp = ServicePort {
                    svc,
                    ns: &p.namespace,
                    name: &b.service,
                    pp: &pp,
                };
                port_members(mode, self.snap, self.settings, sp)
            }
            _ => Members {
                port: b.port,
                servers: Vec::new(),
            },
        };
        let mut markers = Markers {
            infra_setting: self.infra.clone(),
            namespace: p.namespace.clone(),
            host: vec![p.host.clone()],
            service_name: p.service_marker.clone(),
            path: vec![b.path.clone()],
            ingress_name: vec![p.ingress.clone()],
            ..Markers::default()
        };
        if p.passthrough {
            // A passthrough pool is marked with its host and Service only.
            markers.namespace.clear();
            markers.path.clear();
            markers.ingress_name.clear();
        }
        let rule = if p.passthrough {
            None
        } else {
            let rules = path_rules_for(self.snap, self.settings, self.cloud, &self.tenant, &p.host);
            let rule = PoolRule::of(&rules, &p.namespace, &b.path);
            match &p.reencrypt {
                Some(r) => Some(PoolRule::route_reencrypt(rule, &r.destination_ca, &b.path)),
                None => rule,
            }
        };
        let own_pki = rule
            .as_ref()
            .and_then(|r| r.destination_ca.as_ref())
            .map(|(ca, target)| {
                let pki = self.pki_profile(tenant, p, ca, target);
                let name_and_checksum = (pki.name.clone(), pki.checksum);
                objects.push(pki);
                name_and_checksum
            });
        let metadata = ServiceMetadata {
            ingress_name: p.ingress.clone(),
            namespace: p.namespace.clone(),
            hostnames: vec![p.host.clone()],
            pool_ratio: p.backend.weight,
            insecure_edge_term_allow: p.insecure_allow,
            crd_status: rule.as_ref().and_then(|r| r.applied.clone()).map(|a| ("HTTPRule", a)),
            ..ServiceMetadata::default()
        };
        objects.push(pool_object(PoolParts {
            settings: self.settings,
            cloud: self.cloud,
            tenant,
            name: &p.name,
            protocol: "",
            port: members.port,
            port_name: &b.port_name,
            servers: &members.servers,
            priority_label: &p.priority_label,
            metadata: &metadata,
            markers: &markers,
            rule: rule.as_ref(),
            own_pki: own_pki.as_ref().map(|(n, c)| (n.as_str(), *c)),
        }));
    }

    /// A host's certificate, and the CA certificate of a Route that gives its chain
    /// (`<certificate>-cacert`, referred to by the certificate). Routes' default certificate is
    /// shared by every host: not marked with one.
    fn certificates(
        &self,
        tenant: &str,
        name: &str,
        cert: &Cert,
        host_markers: &Markers,
        objects: &mut Vec<DesiredObject>,
    ) {
        let cluster = self.cluster;
        let markers = if cert.shared {
            Markers::default()
        } else {
            host_markers.clone()
        };
        let mut body = json!({
            "name": name,
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref,
            "certificate": {"certificate": cert.certificate},
            "key": cert.key,
            "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
            "markers": markers.to_json(cluster),
        });
        if let Some((ca_name, ca)) = &cert.ca {
            body["ca_certs"] =
                json!([{"name": ca_name, "ca_ref": format!("/api/sslkeyandcertificate/?name={ca_name}")}]);
            objects.push(DesiredObject {
                kind: ObjectType::SslKeyAndCertificate,
                tenant: tenant.to_owned(),
                checksum: checksum::ssl_checksum(ca_name, ca, "", markers.checksum(cluster)),
                body: Body::from(json!({
                    "name": ca_name,
                    "created_by": self.created_by,
                    "tenant_ref": self.tenant_ref,
                    "certificate": {"certificate": ca},
                    "key": "",
                    "type": "SSL_CERTIFICATE_TYPE_CA",
                    "markers": markers.to_json(cluster),
                })),
                name: ca_name.clone(),
            });
        }
        objects.push(DesiredObject {
            kind: ObjectType::SslKeyAndCertificate,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: checksum::ssl_checksum(
                name,
                &cert.certificate,
                cert.ca.as_ref().map_or("", |(_, pem)| pem.as_str()),
                markers.checksum(cluster),
            ),
            body: Body::from(body),
        });
    }

    /// The PKI profile of a pool re-encrypting to backends with certificates of CA `ca`
    /// (`AviPkiProfileBuild`): named after the pool, marked with the rule `target` that set it.
    fn pki_profile(&self, tenant: &str, p: &PoolNode, ca: &str, target: &str) -> DesiredObject {
        // Over-long only when its pool nearly is: the controller then refuses it, as it would AKO's.
        let name = self.namer.pki_profile(&p.name).unwrap_or_else(|e| e.name);
        let markers = Markers {
            namespace: p.namespace.clone(),
            host: vec![p.host.clone()],
            service_name: p.service_marker.clone(),
            path: vec![target.to_owned()],
            ingress_name: vec![p.ingress.clone()],
            ..Markers::default()
        };
        DesiredObject {
            kind: ObjectType::PkiProfile,
            tenant: tenant.to_owned(),
            checksum: checksum::ssl_checksum(&name, "", ca, markers.checksum(self.cluster)),
            body: Body::from(json!({
                "name": name,
                "created_by": self.created_by,
                "tenant_ref": self.tenant_ref,
                "crl_check": false,
                "ca_certs": [{"certificate": ca}],
                "markers": markers.to_json(self.cluster),
            })),
            name,
        }
    }

    pub(super) fn pool_group(
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
            body: Body::from(body),
        }
    }

    pub(super) fn redirect_policy(
        &self,
        tenant: &str,
        name: &str,
        hosts: &[String],
        markers: &Markers,
    ) -> DesiredObject {
        // Sorted: AKO's checksum sorts the redirect hosts in place before the body is built.
        let mut hosts = hosts.to_vec();
        hosts.sort();
        let cksum = checksum::http_policy_set_checksum(&[], Some(&hosts), markers.checksum(self.cluster));
        let rule = json!({
            "match": {
                "host_hdr": {"match_criteria": "HDR_EQUALS", "value": hosts},
                "vs_port": {"match_criteria": "IS_IN", "ports": [80]},
            },
            "redirect_action": {"port": 443, "protocol": "HTTPS", "status_code": "HTTP_REDIRECT_STATUS_CODE_302"},
        });
        self.one_rule_policy(tenant, name, cksum, rule, markers)
    }

    /// The policy set closing HTTP connections to a VS (port 80), named after it.
    fn close_http_policy(&self, tenant: &str, name: &str, markers: &Markers) -> DesiredObject {
        const CLOSE: &str = "HTTP_SECURITY_ACTION_CLOSE_CONN";
        let cksum = checksum::security_policy_checksum(CLOSE, 80, markers.checksum(self.cluster));
        let rule = json!({
            "match": {"vs_port": {"match_criteria": "IS_IN", "ports": [80]}},
            "action": {"action": CLOSE},
        });
        self.one_rule_set(tenant, name, cksum, ("http_security_policy", rule), markers)
    }

    /// A policy set of one request rule (`rule`: its match and action).
    fn one_rule_policy(&self, tenant: &str, name: &str, cksum: u32, rule: Value, markers: &Markers) -> DesiredObject {
        self.one_rule_set(tenant, name, cksum, ("http_request_policy", rule), markers)
    }

    /// A policy set of one rule (`rule`: its match and action) in its request or security policy
    /// (`policy`: the field).
    fn one_rule_set(
        &self,
        tenant: &str,
        name: &str,
        cksum: u32,
        (policy, mut rule): (&str, Value),
        markers: &Markers,
    ) -> DesiredObject {
        rule["enable"] = json!(true);
        rule["index"] = json!(0);
        rule["name"] = json!(format!("{name}-0"));
        let mut body = json!({
            "name": name,
            "created_by": self.created_by,
            "tenant_ref": self.tenant_ref,
            "cloud_config_cksum": cksum.to_string(),
            "http_request_policy": {},
            "http_security_policy": {},
            "markers": markers.to_json(self.cluster),
        });
        body[policy] = json!({"rules": [rule]});
        DesiredObject {
            kind: ObjectType::HttpPolicySet,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body: Body::from(body),
        }
    }

    /// The string group of a regex path (AKO marks it with its `created_by`, having no field for
    /// it).
    fn string_group(&self, tenant: &str, g: &regex::RegexGroup) -> DesiredObject {
        let body = json!({
            "name": g.name,
            "tenant_ref": self.tenant_ref,
            "type": "SG_TYPE_STRING",
            "kv": [{"key": g.path}],
            "longest_match": true,
            "markers": [{"key": "clustername", "values": [self.cluster]}, {"key": "created_by", "values": [self.created_by]}],
        });
        DesiredObject {
            kind: ObjectType::StringGroup,
            tenant: tenant.to_owned(),
            name: g.name.clone(),
            // Compared field by field by the sync engine: the checksum only names the content.
            checksum: checksum::hash(&g.path),
            body: Body::from(body),
        }
    }

    /// The policy set rewriting the Host header `gslb` (a GSLB service's FQDN) to `host` on a
    /// shared parent (`BuildHeaderRewrite`).
    fn host_rewrite_policy(&self, tenant: &str, name: &str, gslb: &str, host: &str) -> DesiredObject {
        let markers = Markers::default();
        let cksum = checksum::host_rewrite_checksum(gslb, host, markers.checksum(self.cluster));
        let rule = json!({
            "match": {"host_hdr": {"match_criteria": "HDR_EQUALS", "value": [gslb]}},
            "hdr_action": [{"action": "HTTP_REPLACE_HDR", "hdr": {"name": "Host", "value": {"val": host}}}],
        });
        self.one_rule_policy(tenant, name, cksum, rule, &markers)
    }

    /// The objects of a host VS: its certificate, pools, pool groups and policy sets, then the
    /// VS itself — an SNI or EVH child, or a DEDICATED-mode normal VS with its own VsVip
    /// (`shape`) — with what its HostRule (`rule`) sets.
    pub(super) fn host_vs_objects(
        &self,
        shape: Shape<'_>,
        tenant: &str,
        vs: &HostVs,
        rule: Option<&VsRule>,
        objects: &mut Vec<DesiredObject>,
    ) {
        let cluster = self.cluster;
        let secure = vs.secure();
        let evh = self.namer.evh();
        let (parent, parent_ports) = match shape {
            Shape::Child { parent, ports } => (Some(parent), Some(ports)),
            Shape::Dedicated => (None, None),
        };
        // Regex paths and the application root: on SNI children and secure DEDICATED VSes, not
        // when the rule replaces AKO's policies.
        let regexed;
        let vs = match rule
            .filter(|r| !r.overwrite && (r.use_regex || r.app_root.is_some()) && (parent.is_some() || secure))
        {
            Some(r) => {
                let ports = match parent_ports {
                    Some(p) => p.to_vec(),
                    None => host_rule::ports(Some(r), vec![l7_port(80, false), l7_port(443, true)]),
                };
                let paths = regex::Paths {
                    use_regex: r.use_regex,
                    app_root: r.app_root.as_deref(),
                    rename_pools: !evh,
                };
                let (changed, groups) = regex::apply(vs, &paths, cluster, &ports);
                for g in groups {
                    objects.push(self.string_group(tenant, &g));
                }
                regexed = changed;
                &regexed
            }
            None => vs,
        };
        let kind = if parent.is_some() {
            VsKind::Child
        } else {
            VsKind::Dedicated
        };
        let evh_child = evh && parent.is_some();
        // An EVH child's SSL profile moves to its parent (`manipulateEvhNodeForSSL`).
        let moved;
        let rule = match rule {
            Some(r) if evh_child && r.ssl_profile.is_some() => {
                moved = VsRule {
                    ssl_profile: None,
                    ..r.clone()
                };
                Some(&moved)
            }
            r => r,
        };
        let overwrite = rule.is_some_and(|r| r.overwrite);
        let host_markers = Markers {
            infra_setting: self.infra.clone(),
            host: vec![vs.host.clone()],
            ..Markers::default()
        };
        if let Some((cert_name, cert)) = &vs.cert {
            self.certificates(tenant, cert_name, cert, &host_markers, objects);
        }
        for pool in vs.pools.values() {
            self.pool(tenant, pool, objects);
        }
        for (name, pg) in &vs.pool_groups {
            let markers = Markers {
                infra_setting: self.infra.clone(),
                namespace: pg.namespace.clone(),
                host: vec![pg.host.clone()],
                path: vec![pg.path.clone()],
                ingress_name: vec![pg.ingress.clone()],
                ..Markers::default()
            };
            objects.push(self.pool_group(tenant, name, &pg.members, false, &markers));
        }
        // The virtual-hosting domains: the host once the VS is secure (an insecure DEDICATED VS
        // never gets it), and its HostRule's aliases. AKO marks the VS and its policy sets with them.
        // A secure host also serves its GSLB FQDN (not in its VsVip's DNS: the GSLB service owns
        // that name).
        // (An EVH host serves its GSLB FQDN whether secure or not.)
        let gslb = rule.and_then(|r| r.gslb_fqdn.as_ref()).filter(|_| secure || evh);
        // (EVH VSes match their host whether secure or not.)
        let mut vh_domains: Vec<String> = if secure || evh {
            vec![vs.host.clone()]
        } else {
            Vec::new()
        };
        for alias in gslb.into_iter().chain(rule.iter().flat_map(|r| &r.aliases)) {
            if !vh_domains.contains(alias) {
                vh_domains.push(alias.clone());
            }
        }
        let mut policy_names: Vec<&String> = Vec::new();
        if !overwrite {
            for (name, policy) in &vs.policies {
                objects.push(self.path_policy(tenant, name, &vh_domains, policy));
            }
            policy_names = vs.policies.keys().collect();
        }
        let hostnames = vec![vs.host.clone()];
        let markers = Markers {
            infra_setting: self.infra.clone(),
            namespace: vs.namespace.clone(),
            host: vh_domains.clone(),
            ..Markers::default()
        };
        let mut refs: Vec<String> = Vec::new();
        let mut ports = vec![l7_port(80, false)];
        if secure || parent.is_some() {
            ports.push(l7_port(443, true));
        }
        if parent.is_some() {
            // An SNI child takes its parent's ports as the setting made them (not a HostRule's).
            ports = host_rule::with_listeners(self.listeners, ports);
        }
        // SNI children are redirected by their parent (whatever a Route says); EVH children and
        // DEDICATED VSes redirect on their own, with a policy named after the VS, a Route's only
        // when it says so; an EVH child of a Route closes HTTP connections when it says `None`.
        let route_policy = vs.route_policy.filter(|_| evh || parent.is_none());
        let redirect = (parent.is_none() || evh)
            && secure
            && !overwrite
            && route_policy.is_none_or(|p| p == InsecurePolicy::Redirect);
        let close_http = evh && secure && !overwrite && route_policy == Some(InsecurePolicy::None);
        if redirect && parent.is_some() {
            objects.push(self.redirect_policy(tenant, &vs.name, &vh_domains, &markers));
        }
        if close_http {
            objects.push(self.close_http_policy(tenant, &vs.name, &markers));
        }
        if parent.is_none() {
            // DEDICATED: own VsVip (the host and its aliases, no auto-FQDN), own redirect when
            // secure, and the HostRule's listeners.
            let mut fqdns = vec![vs.host.clone()];
            fqdns.extend(
                vh_domains
                    .iter()
                    .filter(|d| **d != vs.host && Some(*d) != gslb)
                    .cloned(),
            );
            let vip = rule.and_then(|r| r.load_balancer_ip.as_deref()).unwrap_or("");
            objects.push(self.vsvip(tenant, &vs.name, &fqdns, vip));
            refs.push(format!("VSVIP{}", vs.name));
            if redirect {
                let redirect_markers = Markers {
                    infra_setting: self.infra.clone(),
                    namespace: vs.namespace.clone(),
                    host: vh_domains.clone(),
                    ..Markers::default()
                };
                let mut hosts = fqdns.clone();
                hosts.extend(gslb.cloned());
                objects.push(self.redirect_policy(tenant, &vs.name, &hosts, &redirect_markers));
            }
            ports = host_rule::ports(rule, host_rule::with_listeners(self.listeners, ports));
        }
        refs.extend(policy_names.iter().map(|p| format!("HttpPolicy{p}")));
        if redirect || close_http {
            refs.push(format!("HttpPolicy{}", vs.name));
        }
        if let Some((cert_name, cert)) = vs.cert.as_ref().filter(|_| !evh_child) {
            if let Some((ca_name, _)) = &cert.ca {
                refs.push(format!("CACert{ca_name}"));
            }
            refs.push(format!("SSLKeyCert{cert_name}"));
        }
        refs.extend(vh_domains.iter().map(|d| format!("VHDomain{d}")));
        let ingresses: Vec<String> = vs.ingresses.iter().cloned().collect();
        if evh && self.settings.fqdn_reuse_policy == FqdnReusePolicy::Strict {
            refs.push(checksum::evh_strict_ref(Some((&vs.host, &ingresses))));
        }
        // SNI children are always placed in the global SE group (AKO's `BuildL7VSGraphHostNameShard`).
        let se_group = match parent {
            Some(_) => &self.global.se_group,
            None => &self.settings.se_group,
        };
        // EVH nodes hash the RHI flag only when an AviInfraSetting set it.
        let placed_rhi = if evh {
            self.with_setting.then_some(self.settings.enable_rhi)
        } else {
            Some(self.settings.enable_rhi)
        };
        let (app_profile, net_profile, enable_rhi) = match parent {
            Some(_) if evh => (HTTP_PROFILE, "", None),
            Some(_) => ("", "", None),
            None if secure => (SECURE_HTTP_PROFILE, TCP_PROXY, placed_rhi),
            None => (HTTP_PROFILE, TCP_PROXY, placed_rhi),
        };
        // An EVH child hashes its host; a DEDICATED EVH VS has none in AKO's model.
        let evh_host = match parent {
            _ if !evh => None,
            Some(_) => Some(vs.host.as_str()),
            None => Some(""),
        };
        let mut inputs = VsChecksum {
            refs,
            application_profile: app_profile,
            se_group,
            network_profile: net_profile,
            ports: &ports,
            hostnames: &hostnames,
            traffic_enabled: None,
            enable_rhi,
            markers: markers.checksum(cluster),
            evh_host,
            ..VsChecksum::default()
        };
        // An EVH host VS takes the single sign-on settings of the SSORule naming its host.
        let sso = if evh {
            sso_for_host(self.snap, self.settings, self.cloud, &vs.host, tenant)
        } else {
            HostSso::None
        };
        let applied = match &sso {
            HostSso::Applied(f) => Some(&**f),
            _ => None,
        };
        match rule {
            Some(r) => host_rule::checksum(&mut inputs, r, kind, applied, cluster),
            None => inputs.generated = generated_fields(None, None, applied, kind == VsKind::Child),
        }
        let cksum = checksum::vs_checksum(&inputs);
        // The SSORule's status replaces the HostRule's; without one AKO marks the HostRule's
        // inactive (EVH).
        let crd_status = match applied {
            Some(f) => Some(("SSORule", f.rule.to_string())),
            None => rule.map(|r| ("HostRule", r.rule.to_string())),
        };
        let metadata = ServiceMetadata {
            namespace_ingress_name: vs.ingresses.iter().cloned().collect(),
            namespace: vs.namespace.clone(),
            hostnames: hostnames.clone(),
            crd_status,
            crd_inactive: evh && sso == HostSso::None,
            host_namespace_ingress_name: if evh {
                vec![(vs.host.clone(), ingresses)]
            } else {
                Vec::new()
            },
            ..ServiceMetadata::default()
        };
        let mut body = json!({
            "name": vs.name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": self.created_by,
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "east_west_placement": false,
            "cloud_ref": format!("/api/cloud?name={}", self.settings.cloud_name),
            "se_group_ref": format!("/api/serviceenginegroup?name={se_group}"),
            "service_metadata": metadata.to_go_json(),
            "error_page_profile_ref": "",
            "vrf_context_ref": format!("/api/vrfcontext?name={}", self.settings.vrf()),
            "markers": markers.to_json(cluster),
        });
        // An EVH child's certificate is on its parent.
        if let Some((cert_name, _)) = vs.cert.as_ref().filter(|_| !(evh && parent.is_some())) {
            body["ssl_key_and_certificate_refs"] = json!([format!("/api/sslkeyandcertificate/?name={cert_name}")]);
        }
        if evh {
            body["min_pools_up"] = json!(1);
        }
        match parent {
            Some(parent) if evh => {
                // An Ingress's redirect first, then the path policies in name order; a Route's
                // redirect after them, its connection close before (the order Go AKO's second
                // pass over a Route leaves).
                if close_http || (redirect && route_policy.is_none()) {
                    policy_names.insert(0, &vs.name);
                } else if redirect {
                    policy_names.push(&vs.name);
                }
                body["application_profile_ref"] = json!(format!("/api/applicationprofile/?name={HTTP_PROFILE}"));
                body["type"] = json!("VS_TYPE_VH_CHILD");
                body["vh_type"] = json!("VS_TYPE_VH_ENHANCED");
                body["vh_parent_vs_ref"] = json!(format!("/api/virtualservice/?name={parent}"));
                // Sorted, as `vh_domain_name`: AKO's checksum sorts the slice they share.
                let mut domains = vh_domains.clone();
                domains.sort();
                body["vh_matches"] = Value::Array(domains.iter().map(|d| vh_match(d)).collect());
                body["ign_pool_net_reach"] = json!(false);
                body.as_object_mut().map(|b| b.remove("tenant_ref"));
            }
            Some(parent) => {
                // Policies with paths are ordered by their first path, after those without.
                policy_names.sort_by_key(|n| {
                    let first = vs.policies[*n].rules.first().and_then(|r| r.path.clone());
                    (first.is_some(), first)
                });
                body["application_profile_ref"] = json!(format!("/api/applicationprofile/?name={SECURE_HTTP_PROFILE}"));
                body["type"] = json!("VS_TYPE_VH_CHILD");
                body["vh_parent_vs_ref"] = json!(format!("/api/virtualservice/?name={parent}"));
                // Sorted: the VS's markers share AKO's slice, and their checksum sorts it.
                let mut domains = vh_domains.clone();
                domains.sort();
                body["vh_domain_name"] = json!(domains);
                body["ign_pool_net_reach"] = json!(false);
            }
            None => {
                body["application_profile_ref"] = json!(format!("/api/applicationprofile/?name={app_profile}"));
                body["type"] = json!("VS_TYPE_NORMAL");
                body["tenant_ref"] = json!(self.tenant_ref);
                body["vsvip_ref"] = json!(format!("/api/vsvip/?name={}", vs.name));
                body["services"] = services(&ports, !evh);
                if self.settings.enable_rhi {
                    body["enable_rhi"] = json!(true);
                }
                if redirect {
                    policy_names.push(&vs.name);
                }
            }
        }
        if let Some(r) = rule {
            host_rule::apply(&mut body, r, kind);
            if evh_child {
                // Its parent presents the rule's certificates.
                body.as_object_mut().map(|b| b.remove("ssl_key_and_certificate_refs"));
            }
        }
        if let Some(list) = host_rule::http_policies(policy_refs(&policy_names), rule) {
            body["http_policies"] = list;
        }
        if let Some(f) = applied {
            f.apply(&mut body);
        }
        objects.push(DesiredObject {
            kind: ObjectType::VirtualService,
            tenant: tenant.to_owned(),
            name: vs.name.clone(),
            checksum: cksum,
            body: Body::from(body),
        });
    }

    fn path_policy(&self, tenant: &str, name: &str, host: &[String], policy: &PolicySet) -> DesiredObject {
        let paths: Vec<String> = policy.rules.iter().filter_map(|r| r.path.clone()).collect();
        // Longest path first, path-less rules last (stable for equal lengths).
        let mut ordered: Vec<&HostPathRule> = policy.rules.iter().filter(|r| r.path.is_some()).collect();
        ordered.sort_by_key(|r| std::cmp::Reverse(r.path.as_ref().map_or(0, String::len)));
        ordered.extend(policy.rules.iter().filter(|r| r.path.is_none()));
        let markers = Markers {
            infra_setting: self.infra.clone(),
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
        let cksum = checksum::path_policy_checksum(
            &policy.rules,
            policy.root_redirects.len(),
            None,
            markers.checksum(self.cluster),
        );
        let mut rules: Vec<Value> = ordered
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let m = match &r.path {
                    _ if !r.string_group_refs.is_empty() => json!({"path": {"match_criteria": r.match_criteria,
                        "match_case": r.match_case, "string_group_refs": r.string_group_refs}}),
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
        // `/` to the application root, on each port of the VS.
        for rd in &policy.root_redirects {
            let i = rules.len();
            rules.push(json!({
                "index": i, "enable": true, "name": format!("{name}-{i}"),
                "match": {"path": {"match_criteria": "EQUALS", "match_case": "SENSITIVE", "match_str": ["/"]},
                    "vs_port": {"match_criteria": "IS_IN", "ports": [rd.port]}},
                "redirect_action": {"protocol": rd.protocol, "port": rd.port, "status_code": "HTTP_REDIRECT_STATUS_CODE_302",
                    "path": {"type": "URI_PARAM_TYPE_TOKENIZED", "tokens": [{"type": "URI_TOKEN_TYPE_STRING", "str_value": rd.path}]}},
            }));
        }
        DesiredObject {
            kind: ObjectType::HttpPolicySet,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            checksum: cksum,
            body: Body::from(json!({
                "name": name,
                "created_by": self.created_by,
                "tenant_ref": self.tenant_ref,
                "cloud_config_cksum": cksum.to_string(),
                "http_request_policy": {"rules": rules},
                "http_security_policy": {},
                "markers": markers.to_json(self.cluster),
            })),
        }
    }
}
