//! Shared VIP: LoadBalancer Services of one namespace annotated
//! `ako.vmware.com/enable-shared-vip: <key>` share one VS, VsVip and L4 policy set named
//! `<cluster>--<ns>-<key>`, with one pool per port of every Service
//! (`internal/nodes/avi_model_advl4_translator.go:ConstructSharedVipSvcLBNode`,
//! `ConstructSharedVipPolPoolNodes`; `internal/nodes/dequeue_ingestion.go:handleL4SharedVipService`).
//!
//! What AKO does that a single Service's VS does not:
//! - the tenant is always `tenantName` (the namespace's tenant annotation is not read);
//! - the VS has no `traffic_enabled`, no Service's application profile, no `namespace_svc_name`;
//!   its markers and the policy set's are `Namespace` + `GatewayName` (the key);
//! - the model's ports are named `<PROTOCOL>-<port>`, so VS services and policy rules come out
//!   sorted by that string (`TCP-443` < `TCP-53` < `UDP-53`);
//! - pools carry `service_metadata.namespace_svc_name` and the Service's auto FQDN, and that
//!   FQDN is what each Service's status shows, while the VsVip takes the external-dns hostname
//!   when a Service has one.
//!
//! Two Services of a group on the same protocol and port: Go AKO builds the VS with that port
//! twice and two policy rules for it, ordered by event processing (it re-orders them between
//! PUTs), so only one Service ever gets the traffic while both show the VIP in their status.
//! ako-rs refuses such a group instead (a failure on every Service).
//!
//! AKO builds nothing for a group whose Services disagree on the preferred VIP, the
//! AviInfraSetting or the L4Rule annotation, or that holds a Service of another load-balancer
//! class. It compares every Service with the first one of its internal list, whose order follows
//! event processing: with one Service asking for a VIP and another asking for none, Go AKO creates
//! and deletes the VS in a loop (testdata/l7/ako_shared_vip_lb_ip/NOTES.md). ako-rs requires all
//! of them to agree, as AKO's documentation says (docs/shared_vip.md), and reports a failure on
//! every Service of the group otherwise.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;

use super::objects::{
    L4VsParts, PolicyRule, PortPool, l4_policy_object, l4_vs_object, network_profiles, port_pool, vs_services,
};
use super::{
    AVI_LB_CLASS, INFRA_SETTING_ANNOTATION, L4_RULE_ANNOTATION, group_members, is_ours, port_protos, preferred_vip,
};
use crate::checksum::{self, PortProto, TargetPort, VsChecksum};
use crate::fqdn::{auto_fqdn, shared_vip_fqdn};
use crate::key::{Kind, ModelKey, ObjRef};
use crate::markers::{Markers, ServiceMetadata};
use crate::members::ServicePort;
use crate::model::{CloudFacts, DesiredObject, Failure, Model, StatusIntent, Translation};
use crate::namespaces::namespace_accepted;
use crate::naming::Namer;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::vsvip::vsvip_object;

const APP_PROFILE: &str = "System-L4-Application";

/// Translate group `key` of `ns` into `out`: its model and every Service's status, or a failure
/// on every Service of the group that AKO would serve.
pub(crate) fn add_group(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    key: &str,
    out: &mut Translation,
) {
    if settings.layer7_only || !namespace_accepted(snap, settings, ns) {
        return;
    }
    let members: Vec<(&str, &Service)> = group_members(snap, ns, key).collect();
    let ours: Vec<&str> = members
        .iter()
        .filter(|(_, svc)| is_ours(svc, settings))
        .map(|(name, _)| *name)
        .collect();
    if ours.is_empty() {
        return;
    }
    // The group's Services agree on their setting (checked): the first one's places the group.
    let mut warnings = Vec::new();
    let settings = match members.first() {
        Some((_, svc)) => super::placed_settings(snap, settings, cloud, ns, svc, &mut |m| warnings.push(m)),
        None => std::borrow::Cow::Borrowed(settings),
    };
    let settings = &*settings;
    match translate_group(snap, settings, cloud, ns, key, &members, &mut |m| warnings.push(m)) {
        Ok((model_key, model, status)) => {
            out.models.insert(model_key, model);
            out.status.extend(status);
            for (name, message) in ours.iter().flat_map(|n| warnings.iter().map(move |m| (*n, m))) {
                out.failures
                    .push(Failure::new(Kind::Service, ns, name, message.clone()));
            }
        }
        Err(message) => out.failures.extend(ours.into_iter().map(|name| {
            let message = format!("shared-VIP group {key:?} of namespace {ns} is not built: {message}");
            Failure::new(Kind::Service, ns, name, message)
        })),
    }
}

fn annotation<'a>(svc: &'a Service, key: &str) -> &'a str {
    svc.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map_or("", String::as_str)
}

/// All Services of the group must agree on `what`; `values` in Service-name order.
fn agree(what: &str, fix: &str, values: &[(&str, String)]) -> Result<(), String> {
    let first = &values[0].1;
    if values.iter().all(|(_, v)| v == first) {
        return Ok(());
    }
    let listed: Vec<String> = values
        .iter()
        .map(|(name, v)| {
            if v.is_empty() {
                format!("{name}: none")
            } else {
                format!("{name}: {v}")
            }
        })
        .collect();
    Err(format!(
        "its Services disagree on {what} ({}); {fix}",
        listed.join(", ")
    ))
}

/// One port of one Service of the group.
struct GroupPort<'a> {
    service: &'a str,
    svc: &'a Service,
    pp: PortProto,
}

type GroupOutput = (ModelKey, Model, Vec<StatusIntent>);

/// The group's model and every Service's status, or why AKO builds nothing for it.
fn translate_group(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    key: &str,
    members: &[(&str, &Service)],
    warn: &mut dyn FnMut(String),
) -> Result<GroupOutput, String> {
    let mut lb_ip = check_agreement(settings, members)?;
    let ports = group_ports(settings, members)?;
    let group = Group::new(settings, cloud, ns, key)?;
    // The first Service's L4Rule (they agree: checked) applies to the group, its VIP over theirs.
    let pps: Vec<PortProto> = ports.iter().map(|p| p.pp.clone()).collect();
    let model_profile = network_profiles(&pps, cloud).model;
    let rule = members.first().and_then(|(_, svc)| {
        super::rule::applied(snap, settings, cloud, ns, svc, model_profile, warn).map(super::rule::Applied::shared)
    });
    if let Some(ip) = rule.as_ref().and_then(super::rule::Applied::load_balancer_ip) {
        lb_ip = ip.to_owned();
    }
    let mut objects = Vec::new();
    let rules = group.pools(snap, &ports, rule.as_ref(), &mut objects)?;
    objects.push(l4_policy_object(
        settings,
        &group.tenant,
        &group.vs_name,
        &group.markers,
        &rules,
    )?);
    let fqdns = group.fqdns(members);
    objects.push(vsvip_object(settings, &group.tenant, &group.vs_name, &fqdns, &lb_ip));
    objects.push(group.vs(&ports, &fqdns, rule.as_ref()));
    let mut model = Model { objects };
    model.sort();
    Ok((group.model_key(), model, group.status(members)))
}

/// What AKO requires of every Service of the group: it is AKO's, and they agree on the
/// preferred VIP, the AviInfraSetting and the L4Rule. Returns the preferred VIP (empty: none).
fn check_agreement(settings: &Settings, members: &[(&str, &Service)]) -> Result<String, String> {
    if let Some((name, svc)) = members.iter().find(|(_, svc)| !is_ours(svc, settings)) {
        let class = svc.spec.as_ref().and_then(|s| s.load_balancer_class.as_deref());
        let why = match class {
            Some(c) => format!("its loadBalancerClass is {c:?}"),
            None => "it has no loadBalancerClass and AKO is not the default LoadBalancer controller".to_owned(),
        };
        return Err(format!(
            "Service {name} carries the key but is not AKO's ({why}), and AKO then drops the whole group: remove the annotation from {name} or set its loadBalancerClass to {AVI_LB_CLASS}"
        ));
    }
    let mut vips = Vec::new();
    for (name, svc) in members {
        let ip = preferred_vip(svc).map_err(|e| format!("Service {name}: {e}"))?;
        vips.push((*name, ip.unwrap_or_default()));
    }
    agree(
        "the preferred VIP",
        "set the same spec.loadBalancerIP (or ako.vmware.com/load-balancer-ip) on every Service of the group, or on none",
        &vips,
    )?;
    for (what, annotation_key) in [
        ("the AviInfraSetting", INFRA_SETTING_ANNOTATION),
        ("the L4Rule", L4_RULE_ANNOTATION),
    ] {
        let values: Vec<(&str, String)> = members
            .iter()
            .map(|(name, svc)| (*name, annotation(svc, annotation_key).to_owned()))
            .collect();
        agree(
            what,
            &format!("give every Service of the group the same {annotation_key} annotation, or none"),
            &values,
        )?;
    }
    Ok(vips.swap_remove(0).1)
}

/// Every port of every Service, in Service-name then port order; a VIP serves each
/// protocol/port once.
fn group_ports<'a>(settings: &Settings, members: &[(&'a str, &'a Service)]) -> Result<Vec<GroupPort<'a>>, String> {
    let mut ports = Vec::new();
    let mut seen: BTreeMap<(String, i32), &str> = BTreeMap::new();
    for (name, svc) in members {
        for pp in port_protos(svc, settings).map_err(|e| format!("Service {name}: {e}"))? {
            if let Some(other) = seen.insert((pp.protocol.clone(), pp.port), name) {
                return Err(format!(
                    "Services {other} and {name} both use {} port {}, which one VIP can serve only once: change one of the ports or the shared-VIP key of one Service",
                    pp.protocol, pp.port
                ));
            }
            ports.push(GroupPort { service: name, svc, pp });
        }
    }
    Ok(ports)
}

/// What every object of the group shares: its VS name, tenant (always `tenantName`) and
/// markers (namespace and key).
struct Group<'a> {
    settings: &'a Settings,
    cloud: &'a CloudFacts,
    ns: &'a str,
    key: &'a str,
    namer: Namer,
    vs_name: String,
    tenant: String,
    markers: Markers,
}

impl<'a> Group<'a> {
    fn new(settings: &'a Settings, cloud: &'a CloudFacts, ns: &'a str, key: &'a str) -> Result<Self, String> {
        let namer = Namer::for_settings(settings);
        Ok(Group {
            vs_name: namer.l4_shared_vs(ns, key).map_err(|e| e.to_string())?,
            namer,
            tenant: settings.tenant.clone(),
            markers: Markers {
                namespace: ns.to_owned(),
                gateway_name: key.to_owned(),
                ..Markers::default()
            },
            settings,
            cloud,
            ns,
            key,
        })
    }

    fn model_key(&self) -> ModelKey {
        ModelKey::new(&self.tenant, &self.vs_name)
    }

    /// A Service's auto FQDN: in its pools' metadata and its status.
    fn auto_fqdn(&self, service: &str) -> Option<String> {
        let s = self.settings;
        auto_fqdn(
            self.ns,
            service,
            s.auto_fqdn,
            s.default_domain.as_deref(),
            &self.cloud.dns_domains,
        )
    }

    /// One pool per port (into `objects`), and the L4 policy rules, sorted as AKO's checksum
    /// sorts them in place before the REST layer numbers them: by the model's port name
    /// `<PROTOCOL>-<port>`.
    fn pools(
        &self,
        snap: &Snapshot,
        ports: &[GroupPort<'_>],
        l4_rule: Option<&super::rule::Applied<'_>>,
        objects: &mut Vec<DesiredObject>,
    ) -> Result<Vec<PolicyRule>, String> {
        let (ns, key) = (self.ns, self.key);
        let mut rules = Vec::new();
        for GroupPort { service, svc, pp } in ports {
            let (pool, rule) = port_pool(
                snap,
                self.settings,
                self.cloud,
                PortPool {
                    port: ServicePort {
                        svc,
                        ns,
                        name: service,
                        pp,
                    },
                    name: self
                        .namer
                        .l4_shared_pool(ns, service, key, &pp.protocol, pp.port)
                        .map_err(|e| e.to_string())?,
                    tenant: &self.tenant,
                    metadata: ServiceMetadata {
                        namespace_svc_name: vec![format!("{ns}/{service}")],
                        hostnames: self.auto_fqdn(service).into_iter().collect(),
                        ..ServiceMetadata::default()
                    },
                    markers: Markers {
                        namespace: ns.to_owned(),
                        service_name: (*service).to_owned(),
                        port: pp.port.to_string(),
                        protocol: pp.protocol.clone(),
                        gateway_name: key.to_owned(),
                        ..Markers::default()
                    },
                    rule: l4_rule.and_then(|r| r.pool_rule(pp.port, &pp.protocol)),
                },
            );
            objects.push(pool);
            rules.push(rule);
        }
        rules.sort_by_cached_key(|r| format!("{}-{}", r.protocol, r.port));
        Ok(rules)
    }

    /// The VsVip's FQDNs: one per Service (its external-dns hostname, else its auto FQDN),
    /// sorted (the checksum sorts the list the REST layer sends).
    fn fqdns(&self, members: &[(&str, &Service)]) -> Vec<String> {
        let s = self.settings;
        let mut fqdns: Vec<String> = members
            .iter()
            .filter_map(|(name, svc)| {
                shared_vip_fqdn(
                    self.ns,
                    name,
                    svc.metadata.annotations.as_ref(),
                    s.auto_fqdn,
                    s.default_domain.as_deref(),
                    &self.cloud.dns_domains,
                )
            })
            .collect();
        fqdns.sort();
        fqdns
    }

    /// The VS: ports named `<PROTOCOL>-<port>`, no target port, sorted by name.
    fn vs(&self, ports: &[GroupPort<'_>], fqdns: &[String], rule: Option<&super::rule::Applied<'_>>) -> DesiredObject {
        let settings = self.settings;
        let mut vs_ports: Vec<PortProto> = ports
            .iter()
            .map(|p| PortProto {
                port: p.pp.port,
                target_port: TargetPort::Int(0),
                protocol: p.pp.protocol.clone(),
                name: format!("{}-{}", p.pp.protocol, p.pp.port),
                enable_ssl: false,
                enable_http2: false,
            })
            .collect();
        vs_ports.sort_by(|a, b| a.name.cmp(&b.name));
        let profiles = network_profiles(&vs_ports, self.cloud);
        let vs_name = &self.vs_name;
        let mut inputs = VsChecksum {
            refs: vec![format!("VSVIP{vs_name}"), format!("L4Policy{vs_name}")],
            application_profile: APP_PROFILE,
            se_group: &settings.se_group,
            network_profile: profiles.model,
            ports: &vs_ports,
            hostnames: fqdns,
            traffic_enabled: None,
            enable_rhi: Some(settings.enable_rhi),
            markers: self.markers.checksum(&settings.cluster_name),
            ..VsChecksum::default()
        };
        if let Some(r) = rule {
            r.checksum(&mut inputs, &settings.cluster_name);
        }
        let cksum = checksum::vs_checksum(&inputs);
        let services = vs_services(&vs_ports, profiles.mixed);
        l4_vs_object(L4VsParts {
            settings,
            tenant: &self.tenant,
            name: vs_name,
            cksum,
            app_profile: APP_PROFILE,
            metadata: &ServiceMetadata {
                hostnames: fqdns.to_vec(),
                ..ServiceMetadata::default()
            },
            traffic_enabled: None,
            services: match rule {
                Some(r) => r.services(services),
                None => services,
            },
            network_profile: profiles.sent,
            markers: &self.markers,
            rule,
            pool: None,
        })
    }

    /// AKO writes each Service's status from its pools' metadata: the group's VIP, the
    /// Service's own auto FQDN.
    fn status(&self, members: &[(&str, &Service)]) -> Vec<StatusIntent> {
        members
            .iter()
            .map(|(name, _)| StatusIntent {
                object: ObjRef::new(Kind::Service, self.ns, *name),
                model: self.model_key(),
                vsvip: self.vs_name.clone(),
                vs: self.vs_name.clone(),
                hostname: self.auto_fqdn(name),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l4::{translate_l4, translate_l4_service};
    use crate::manifests::load_manifests;
    use crate::settings::Values;

    fn settings(extra: &str) -> Settings {
        let text = format!(
            "AKOSettings: {{clusterName: c1, cniPlugin: antrea}}\nNetworkSettings: {{vipNetworkList: [{{networkName: vip-net}}]}}\n{extra}"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    fn cloud() -> CloudFacts {
        CloudFacts {
            dns_domains: vec!["avi.internal".into()],
            license_tier: "ENTERPRISE".into(),
            ipam_type: "IPAMDNS_TYPE_INTERNAL".into(),
            cloud_type: "CLOUD_NONE".into(),
            refs: Default::default(),
            now: None,
        }
    }

    /// A LoadBalancer Service of namespace `sv`: `annotations` and `spec_extra` as YAML flow
    /// entries, one port.
    fn svc(name: &str, annotations: &str, spec_extra: &str, port: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: sv, annotations: {{{annotations}}}}}\nspec: {{type: LoadBalancer, {spec_extra} ports: [{port}]}}\n"
        )
    }

    fn snap(text: &str) -> Snapshot {
        let mut s = Snapshot::new();
        load_manifests(&mut s, "t.yaml", text).unwrap();
        s
    }

    const KEY: &str = "ako.vmware.com/enable-shared-vip: g";

    /// The body of the model's VsVip.
    fn vsvip_of(model: &Model) -> serde_json::Value {
        let vsvip = model.objects.iter().find(|o| o.kind == avi_model::ObjectType::VsVip);
        vsvip.unwrap().body.to_value()
    }

    #[test]
    fn any_service_of_a_group_re_translates_the_whole_group() {
        let text = [
            svc("a", KEY, "", "{port: 80, protocol: TCP}"),
            svc("b", KEY, "", "{port: 53, protocol: UDP}"),
            svc("solo", "", "", "{port: 81, protocol: TCP}"),
        ]
        .concat();
        let s = snap(&text);
        let (set, cl) = (settings(""), cloud());
        let whole = translate_l4(&s, &set, &cl);
        assert_eq!(
            whole.models.keys().collect::<Vec<_>>(),
            ["admin/c1--sv-g", "admin/c1--sv-solo"]
        );
        let a = translate_l4_service(&s, &set, &cl, "sv", "a");
        let b = translate_l4_service(&s, &set, &cl, "sv", "b");
        assert_eq!(a, b);
        assert_eq!(a.models.keys().collect::<Vec<_>>(), ["admin/c1--sv-g"]);
        assert_eq!(
            a.models[&crate::ModelKey::new("admin", "c1--sv-g")],
            whole.models[&crate::ModelKey::new("admin", "c1--sv-g")]
        );
        let status: Vec<(&str, &str, Option<&str>)> = a
            .status
            .iter()
            .map(|s| (s.object.name(), s.vsvip.as_str(), s.hostname.as_deref()))
            .collect();
        assert_eq!(
            status,
            [
                ("a", "c1--sv-g", Some("a.sv.avi.internal")),
                ("b", "c1--sv-g", Some("b.sv.avi.internal"))
            ]
        );
    }

    #[test]
    fn services_of_a_group_must_ask_for_the_same_vip_or_none() {
        let (set, cl) = (settings(""), cloud());
        // One asks, the other does not: Go AKO's outcome depends on event order (it flaps).
        let text = [
            svc(
                "front",
                KEY,
                "loadBalancerIP: 127.100.7.7,",
                "{port: 443, protocol: TCP}",
            ),
            svc("quic", KEY, "", "{port: 443, protocol: UDP}"),
        ]
        .concat();
        let t = translate_l4(&snap(&text), &set, &cl);
        assert!(t.models.is_empty() && t.status.is_empty());
        assert_eq!(t.failures.len(), 2);
        for f in &t.failures {
            assert!(
                f.message.contains("front: 127.100.7.7, quic: none") && f.message.contains("on every Service"),
                "{}",
                f.message
            );
        }
        // The same address through the spec and through the annotation is fine.
        let text = [
            svc(
                "front",
                KEY,
                "loadBalancerIP: 127.100.7.7,",
                "{port: 443, protocol: TCP}",
            ),
            svc(
                "quic",
                &format!("{KEY}, ako.vmware.com/load-balancer-ip: 127.100.7.7"),
                "",
                "{port: 443, protocol: UDP}",
            ),
        ]
        .concat();
        let t = translate_l4(&snap(&text), &set, &cl);
        assert!(t.failures.is_empty(), "{:?}", t.failures);
        let vsvip = vsvip_of(&t.models[&crate::ModelKey::new("admin", "c1--sv-g")]);
        assert_eq!(vsvip["vip"][0]["ip_address"]["addr"], "127.100.7.7");
    }

    #[test]
    fn a_member_of_another_class_or_annotations_that_differ_sink_the_group() {
        let (set, cl) = (settings(""), cloud());
        let text = [
            svc("ours", KEY, "", "{port: 80, protocol: TCP}"),
            svc(
                "theirs",
                KEY,
                "loadBalancerClass: other.io/lb,",
                "{port: 81, protocol: TCP}",
            ),
        ]
        .concat();
        let t = translate_l4(&snap(&text), &set, &cl);
        assert!(t.models.is_empty());
        assert_eq!(t.failures.len(), 1, "only AKO's own Services get the failure");
        assert_eq!(t.failures[0].object.name(), "ours");
        assert!(t.failures[0].message.contains("Service theirs carries the key"));

        let text = [
            svc(
                "a",
                &format!("{KEY}, aviinfrasetting.ako.vmware.com/name: infra1"),
                "",
                "{port: 80, protocol: TCP}",
            ),
            svc("b", KEY, "", "{port: 81, protocol: TCP}"),
        ]
        .concat();
        let t = translate_l4(&snap(&text), &set, &cl);
        assert!(t.models.is_empty());
        assert!(t.failures[0].message.contains("AviInfraSetting (a: infra1, b: none)"));
    }

    #[test]
    fn a_port_and_protocol_served_twice_is_a_failure() {
        let text = [
            svc("a", KEY, "", "{port: 80, protocol: TCP}"),
            svc("b", KEY, "", "{port: 80, protocol: TCP}"),
            svc("c", KEY, "", "{port: 80, protocol: UDP}"),
        ]
        .concat();
        let t = translate_l4(&snap(&text), &settings(""), &cloud());
        assert!(t.models.is_empty());
        assert_eq!(t.failures.len(), 3);
        assert!(t.failures[0].message.contains("Services a and b both use TCP port 80"));
    }

    #[test]
    fn a_service_named_like_a_key_loses_its_vs_name_to_the_group() {
        let text = [
            svc("a", KEY, "", "{port: 80, protocol: TCP}"),
            svc("g", "", "", "{port: 81, protocol: TCP}"),
        ]
        .concat();
        let s = snap(&text);
        let (set, cl) = (settings(""), cloud());
        let t = translate_l4(&s, &set, &cl);
        assert_eq!(t.models.keys().collect::<Vec<_>>(), ["admin/c1--sv-g"]);
        assert_eq!(t.failures.len(), 1);
        assert_eq!(t.failures[0].object.name(), "g");
        assert_eq!(translate_l4_service(&s, &set, &cl, "sv", "g").failures, t.failures);
    }

    #[test]
    fn the_group_ignores_the_namespace_tenant_and_uses_external_dns_only_on_the_vsvip() {
        let text = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: sv, annotations: {{ako.vmware.com/tenant-name: team}}}}\n{}{}",
            svc(
                "a",
                &format!("{KEY}, external-dns.alpha.kubernetes.io/hostname: www.avi.internal"),
                "",
                "{port: 80, protocol: TCP}"
            ),
            svc("b", KEY, "", "{port: 81, protocol: TCP}"),
        );
        let t = translate_l4(&snap(&text), &settings(""), &cloud());
        let model = &t.models[&crate::ModelKey::new("admin", "c1--sv-g")];
        assert!(model.objects.iter().all(|o| o.tenant == "admin"));
        let vsvip = vsvip_of(model);
        assert_eq!(
            vsvip["dns_info"],
            serde_json::json!([{"fqdn": "b.sv.avi.internal"}, {"fqdn": "www.avi.internal"}])
        );
        assert_eq!(t.status[0].hostname.as_deref(), Some("a.sv.avi.internal"));
    }

    #[test]
    fn an_empty_key_is_a_plain_service_and_sctp_fails_with_npl() {
        let text = svc(
            "a",
            "ako.vmware.com/enable-shared-vip: ''",
            "",
            "{port: 80, protocol: TCP}",
        );
        let t = translate_l4(&snap(&text), &settings(""), &cloud());
        assert_eq!(t.models.keys().collect::<Vec<_>>(), ["admin/c1--sv-a"]);

        let text = [
            svc("a", KEY, "", "{port: 80, protocol: TCP}"),
            svc("b", KEY, "", "{port: 81, protocol: SCTP}"),
        ]
        .concat();
        let t = translate_l4(
            &snap(&text),
            &settings("L7Settings: {serviceType: NodePortLocal}\n"),
            &cloud(),
        );
        assert!(t.models.is_empty());
        assert!(t.failures[0].message.contains("Service b: port 81 uses SCTP"));
    }
}
