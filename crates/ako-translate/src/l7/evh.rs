//! A shared parent in EVH mode (`avi_model_evh_nodes.go`, `AviVsEvhBuild`): a VS of
//! `vh_type VS_TYPE_VH_ENHANCED` holding its VsVip and the certificates of its secure children,
//! every host (insecure ones too) served by an EVH child of its own; no pool group, datascript
//! or redirect policy on the parent.

use serde_json::json;

use super::graph::{HostVs, Parent};
use super::host_rule::{self, VsKind, l7_port};
use super::objects::{Ctx, HTTP_PROFILE, Shape, TCP_PROXY, services};
use crate::checksum::{self, VsChecksum};
use crate::crds::InfraListener;
use crate::fqdn::shared_vs_fqdn;
use crate::key::ModelKey;
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{CloudFacts, Model};
use crate::naming::Namer;
use crate::rules::{VsRule, shared_vs_rule_for};
use crate::settings::{FqdnReusePolicy, Settings};
use crate::snapshot::Snapshot;

impl Parent {
    /// The Avi objects of an EVH parent's model, children included (see [`Parent::objects`]).
    pub(super) fn evh_objects(
        &self,
        snap: &Snapshot,
        settings: &Settings,
        global: &Settings,
        cloud: &CloudFacts,
        namer: &Namer,
        listeners: &[InfraListener],
    ) -> Model {
        let cluster = settings.cluster_name.as_str();
        let mut ctx = Ctx::new(snap, settings, global, cloud, namer, &self.tenant, listeners);
        ctx.with_setting = self.with_setting;
        let mut objects = Vec::new();
        let model = ModelKey::new(&self.tenant, &self.name);
        let rule = super::parent_fqdn(settings, cloud, &model)
            .and_then(|fqdn| shared_vs_rule_for(snap, settings, cloud, &self.tenant, &fqdn))
            .map(|(k, r)| ctx.rule_of(k, r));
        let rule = rule.as_ref();
        let children: Vec<(&HostVs, Option<VsRule>)> =
            self.children.values().map(|c| (c, ctx.vs_rule(&c.host))).collect();
        let defaults = host_rule::with_listeners(listeners, vec![l7_port(80, false), l7_port(443, true)]);
        let parent_ports = host_rule::ports(rule, defaults);

        // VsVip: the auto-FQDN (not under vipPerNamespace) and every host.
        let mut fqdns: Vec<String> = if self.per_namespace {
            Vec::new()
        } else {
            shared_vs_fqdn(
                &self.name,
                &self.tenant,
                settings.auto_fqdn,
                settings.default_domain.as_deref(),
                &cloud.dns_domains,
            )
            .into_iter()
            .collect()
        };
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

        // Children, and what they bring to the parent: the certificates of their Secrets and of
        // their HostRules, and a HostRule's SSL profile (the last child's, as AKO moves each
        // child's in turn).
        let mut certs: Vec<&str> = Vec::new();
        let mut rule_certs: Vec<&str> = Vec::new();
        let mut refs = vec![format!("VSVIP{}", self.name)];
        if settings.fqdn_reuse_policy == FqdnReusePolicy::Strict {
            refs.push(checksum::evh_strict_ref(None));
        }
        let mut ssl_profile = None;
        for (child, child_rule) in &children {
            let shape = Shape::Child {
                parent: &self.name,
                ports: &parent_ports,
            };
            ctx.host_vs_objects(shape, &self.tenant, child, child_rule.as_ref(), &mut objects);
            if let Some((name, cert)) = &child.cert {
                certs.push(name);
                // The CA certificates of Routes' hosts are the parent's too.
                if let Some((ca, _)) = &cert.ca {
                    refs.push(format!("CACert{ca}"));
                }
            }
            refs.push(format!("EVHNode{}", child.name));
            for c in child_rule.iter().flat_map(|r| &r.certificates) {
                refs.push(format!("EVHNodeSSL{c}"));
                if !rule_certs.contains(&c.as_str()) {
                    rule_certs.push(c);
                }
            }
            if let Some(p) = child_rule.as_ref().and_then(|r| r.ssl_profile.as_deref()) {
                ssl_profile = Some(p);
            }
        }
        certs.sort_unstable();
        certs.dedup();
        refs.extend(certs.iter().map(|c| format!("SSLKeyCert{c}")));
        let mut inputs = VsChecksum {
            refs,
            application_profile: HTTP_PROFILE,
            se_group: &settings.se_group,
            network_profile: TCP_PROXY,
            ports: &parent_ports,
            hostnames: &[],
            traffic_enabled: None,
            enable_rhi: self.with_setting.then_some(settings.enable_rhi),
            markers: Markers::default().checksum(cluster),
            evh_host: Some(""),
            ..VsChecksum::default()
        };
        if let Some(r) = rule {
            inputs.refs.extend(r.aliases.iter().map(|a| format!("VHDomain{a}")));
            host_rule::checksum(&mut inputs, r, VsKind::Parent, None, cluster);
        }
        if let Some(p) = ssl_profile {
            inputs.rule_refs.push_str(p);
        }
        let cksum = checksum::vs_checksum(&inputs);
        let metadata = ServiceMetadata {
            crd_status: rule.map(|r| ("HostRule", r.rule.to_string())),
            ..ServiceMetadata::default()
        };
        let mut vs = json!({
            "name": self.name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": namer.ako_user(),
            "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
            "tenant_ref": format!("/api/tenant/?name={}", crate::naming::query_escape(&self.tenant)),
            "application_profile_ref": format!("/api/applicationprofile/?name={HTTP_PROFILE}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", settings.se_group),
            "service_metadata": metadata.to_go_json(),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", settings.vrf()),
            "vsvip_ref": format!("/api/vsvip/?name={}", self.name),
            "type": "VS_TYPE_VH_PARENT",
            "vh_type": "VS_TYPE_VH_ENHANCED",
            "services": services(&parent_ports, false),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "markers": Markers::default().to_json(cluster),
        });
        // The children's HostRule certificates, then those of their Secrets.
        let mut cert_refs: Vec<String> = rule_certs.iter().map(|c| (*c).to_owned()).collect();
        cert_refs.extend(certs.iter().map(|c| format!("/api/sslkeyandcertificate/?name={c}")));
        if !cert_refs.is_empty() {
            vs["ssl_key_and_certificate_refs"] = json!(cert_refs);
        }
        if let Some(p) = ssl_profile {
            vs["ssl_profile_ref"] = json!(p);
        }
        self.finish(vs, cksum, settings, rule, Vec::new(), objects)
    }
}
