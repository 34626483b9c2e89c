//! One LoadBalancer Service → its own L4 VS, VsVip, L4 policy set and one pool per port
//! (`internal/nodes/avi_model_l4_translator.go`).

use k8s_openapi::api::core::v1::Service;

use super::objects::{L4VsParts, PortPool, l4_policy_object, l4_vs_object, network_profiles, port_pool, vs_services};
use super::{
    APP_PROFILE_ANNOTATION, DISABLE_TRAFFIC_ANNOTATION, SHARED_VIP_ANNOTATION, group_members, is_ours, port_protos,
    preferred_vip,
};
use crate::checksum::{self, VsChecksum};
use crate::fqdn::service_fqdns;
use crate::key::{Kind, ModelKey, ObjRef};
use crate::markers::{Markers, ServiceMetadata};
use crate::members::ServicePort;
use crate::model::{CloudFacts, Failure, Model, StatusIntent, Translation};
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::naming::Namer;
use crate::settings::Settings;
use crate::snapshot::Snapshot;
use crate::vsvip::vsvip_object;

/// Translate Service `ns/name` into `out` on its own VS: its model and status, a failure, or
/// nothing when AKO would not serve it. A Service of a shared-VIP group is not for this
/// function (the callers route it to its group).
pub(crate) fn add_service(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    out: &mut Translation,
) {
    let Some(svc) = snapshot.service(ns, name) else {
        return;
    };
    if settings.layer7_only || !is_ours(svc, settings) || !namespace_accepted(snapshot, settings, ns) {
        return;
    }
    let failure = |message: String| Failure::new(Kind::Service, ns, name, message);
    // A shared-VIP group keyed like this Service's name builds a VS of the same name in the
    // same tenant: AKO would let the two models overwrite each other. The group wins.
    if tenant_of(snapshot, settings, ns) == settings.tenant && group_members(snapshot, ns, name).next().is_some() {
        out.failures.push(failure(format!(
            "Services of namespace {ns} share a VIP under key {name:?} ({SHARED_VIP_ANNOTATION}); their VS has the name this Service's own VS would have. Rename the Service or use another shared-VIP key"
        )));
        return;
    }
    let mut warnings = Vec::new();
    let settings = &*super::placed_settings(snapshot, settings, cloud, ns, svc, &mut |m| warnings.push(m));
    let built = translate_service(snapshot, settings, cloud, ns, name, svc, &mut |m| warnings.push(m));
    out.failures.extend(warnings.into_iter().map(failure));
    match built {
        Ok((key, model, status)) => {
            out.models.insert(key, model);
            out.status.push(status);
        }
        Err(message) => out.failures.push(failure(message)),
    }
}

/// The Service's model (pools and policy rules in port order, then policy set, VsVip, VS) and
/// its status, or why AKO builds nothing.
fn translate_service(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: &str,
    svc: &Service,
    warn: &mut dyn FnMut(String),
) -> Result<(ModelKey, Model, StatusIntent), String> {
    let ann = svc.metadata.annotations.as_ref();
    let annotation = |k: &str| ann.and_then(|a| a.get(k)).map(String::as_str);
    let cluster = settings.cluster_name.as_str();
    let namer = Namer::for_settings(settings);
    let vs_name = namer.l4_vs(ns, name).map_err(|e| e.to_string())?;
    let tenant = tenant_of(snap, settings, ns);
    let mut ports = port_protos(svc, settings)?;
    let lb_ip = preferred_vip(svc)?.unwrap_or_default();

    let fqdns = service_fqdns(
        ns,
        name,
        ann,
        settings.auto_fqdn,
        settings.default_domain.as_deref(),
        &cloud.dns_domains,
    );
    let traffic_enabled = annotation(DISABLE_TRAFFIC_ANNOTATION).map(str::to_lowercase).as_deref() != Some("true");
    let app_profile = annotation(APP_PROFILE_ANNOTATION)
        .filter(|s| !s.is_empty())
        .unwrap_or("System-L4-Application")
        .to_owned();
    let profiles = network_profiles(&ports, cloud);
    let rule = super::rule::applied(snap, settings, cloud, ns, svc, profiles.model, warn);

    // Pools and L4 policy rules, in Service port order.
    let mut objects = Vec::new();
    let mut rules = Vec::new();
    for pp in &ports {
        let (pool, rule) = port_pool(
            snap,
            settings,
            cloud,
            PortPool {
                port: ServicePort { svc, ns, name, pp },
                name: namer
                    .l4_pool(ns, name, &pp.protocol, pp.port)
                    .map_err(|e| e.to_string())?,
                tenant: &tenant,
                metadata: ServiceMetadata::default(),
                markers: Markers {
                    namespace: ns.to_owned(),
                    service_name: name.to_owned(),
                    port: pp.port.to_string(),
                    ..Markers::default()
                },
                rule: rule.as_ref().and_then(|r| r.pool_rule(pp.port, &pp.protocol)),
            },
        );
        objects.push(pool);
        rules.push(rule);
    }

    // L4PolicySet.
    let mut protocol_set: Vec<String> = rules.iter().map(|r| r.protocol.clone()).collect();
    protocol_set.sort();
    protocol_set.dedup();
    let policy_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        protocol: protocol_set.join(","),
        ..Markers::default()
    };
    // An L4Rule's SSL listener: the VS sends to the (single) pool itself, no L4 policy set.
    let ssl_pool = rule
        .as_ref()
        .filter(|r| r.ssl)
        .and_then(|_| rules.first())
        .map(|r| r.pool.clone());
    if ssl_pool.is_none() {
        objects.push(l4_policy_object(settings, &tenant, &vs_name, &policy_markers, &rules)?);
    }
    objects.push(vsvip_object(settings, &tenant, &vs_name, &fqdns, &lb_ip));

    // VirtualService: services in port-name order, as AKO's checksum sorts them in place.
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let vs_markers = Markers {
        namespace: ns.to_owned(),
        service_name: name.to_owned(),
        ..Markers::default()
    };
    let mut refs = vec![format!("VSVIP{vs_name}")];
    if ssl_pool.is_none() {
        refs.push(format!("L4Policy{vs_name}"));
    }
    refs.extend(rules.iter().map(|r| format!("Pool{}", r.pool)));
    let mut inputs = VsChecksum {
        refs,
        application_profile: &app_profile,
        se_group: &settings.se_group,
        network_profile: profiles.model,
        ports: &ports,
        hostnames: &fqdns,
        traffic_enabled: Some(traffic_enabled),
        enable_rhi: Some(settings.enable_rhi),
        markers: vs_markers.checksum(cluster),
        ..VsChecksum::default()
    };
    if let Some(r) = &rule {
        r.checksum(&mut inputs, cluster);
    }
    let vs_cksum = checksum::vs_checksum(&inputs);
    let mut sorted_fqdns = fqdns.clone();
    sorted_fqdns.sort();
    objects.push(l4_vs_object(L4VsParts {
        settings,
        tenant: &tenant,
        name: &vs_name,
        cksum: vs_cksum,
        app_profile: &app_profile,
        metadata: &ServiceMetadata {
            namespace_svc_name: vec![format!("{ns}/{name}")],
            hostnames: sorted_fqdns,
            ..ServiceMetadata::default()
        },
        traffic_enabled: Some(traffic_enabled),
        services: match &rule {
            Some(r) => r.services(vs_services(&ports, profiles.mixed)),
            None => vs_services(&ports, profiles.mixed),
        },
        network_profile: profiles.sent,
        markers: &vs_markers,
        rule: rule.as_ref(),
        pool: ssl_pool.as_deref(),
    }));

    let mut model = Model { objects };
    model.sort();
    let key = ModelKey::new(&tenant, &vs_name);
    let status = StatusIntent {
        object: ObjRef::new(Kind::Service, ns, name),
        model: key.clone(),
        vsvip: vs_name.clone(),
        vs: vs_name,
        hostname: fqdns.first().cloned(),
    };
    Ok((key, model, status))
}
