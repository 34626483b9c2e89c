//! L4Rule on LoadBalancer Services (annotation `ako.vmware.com/l4rule: [<ns>/]<name>`): its
//! verdict (AKO's `ValidateL4RuleObj`, against what the controller holds) and what an Accepted
//! rule sets on the Service's VS and pools (`getL4Rule`, `buildWithL4Rule`,
//! `buildPoolWithL4Rule`), with the CRD's defaults applied as the API server would.

use avi_model::ObjectType;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use super::L4_RULE_ANNOTATION;
use crate::checksum::{VsChecksum, go_json_strings};
use crate::crds::{BackendProperties, L4Rule, L4RuleSpec};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::namespaces::tenant_of;
use crate::rules::catalog::{ControllerRef, RefState};
use crate::rules::pool_rule::enum_name;
use crate::rules::vs_rule::AnalyticsPolicyOut;
use crate::rules::{PoolRule, Verdict};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

const DEFAULT_APP_PROFILE: &str = "System-L4-Application";
const DEFAULT_SSL_APP_PROFILE: &str = "System-SSL-Application";
const DEFAULT_ANALYTICS_PROFILE: &str = "System-Analytics-Profile";
const DEFAULT_NETWORK_PROFILE: &str = "System-TCP-Proxy";
const L4_APP_TYPE: &str = "APPLICATION_PROFILE_TYPE_L4";
const SSL_APP_TYPE: &str = "APPLICATION_PROFILE_TYPE_SSL";
const TCP_PROXY_TYPE: &str = "PROTOCOL_TYPE_TCP_PROXY";

/// The L4Rule a Service names: `name` in the Service's namespace, or `ns/name`.
pub fn l4_rule_key(ns: &str, svc: &Service) -> Option<NsName> {
    let value = svc.metadata.annotations.as_ref()?.get(L4_RULE_ANNOTATION)?;
    match value.split_once('/') {
        Some((n, name)) if !n.is_empty() => Some(NsName::new(n, name)),
        _ => Some(NsName::new(ns, value.rsplit('/').next().unwrap_or(value))),
    }
}

fn app_profile(spec: &L4RuleSpec) -> &str {
    spec.application_profile_ref.as_deref().unwrap_or(DEFAULT_APP_PROFILE)
}

fn ssl_listener(spec: &L4RuleSpec) -> bool {
    spec.listener_properties
        .iter()
        .flatten()
        .any(|l| l.enable_ssl == Some(true))
}

/// The controller objects an L4Rule names: its application profile (whose type the verdict
/// reads), then [`checked_refs`].
pub fn l4_rule_refs(rule: &L4Rule) -> Vec<ControllerRef> {
    let mut refs = vec![ControllerRef::new(
        ObjectType::ApplicationProfile,
        app_profile(&rule.spec),
    )];
    refs.extend(checked_refs(rule));
    refs
}

/// The objects whose existence the verdict checks (AKO's `checkRefsOnController`), each once.
fn checked_refs(rule: &L4Rule) -> Vec<ControllerRef> {
    let s = &rule.spec;
    let mut refs: Vec<ControllerRef> = Vec::new();
    let mut add = |kind: ObjectType, name: Option<&str>| {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            let r = ControllerRef::new(kind, n);
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
    };
    add(
        ObjectType::AnalyticsProfile,
        Some(s.analytics_profile_ref.as_deref().unwrap_or(DEFAULT_ANALYTICS_PROFILE)),
    );
    add(ObjectType::SslProfile, s.ssl_profile_ref.as_deref());
    for c in s.ssl_key_and_certificate_refs.iter().flatten() {
        add(ObjectType::SslKeyAndCertificate, Some(c));
    }
    add(
        ObjectType::NetworkProfile,
        Some(s.network_profile_ref.as_deref().unwrap_or(DEFAULT_NETWORK_PROFILE)),
    );
    add(
        ObjectType::NetworkSecurityPolicy,
        s.network_security_policy_ref.as_deref(),
    );
    add(ObjectType::SecurityPolicy, s.security_policy_ref.as_deref());
    for d in s.vs_datascript_refs.iter().flatten() {
        add(ObjectType::VsDataScriptSet, Some(d));
    }
    for b in s.backend_properties.iter().flatten() {
        add(
            ObjectType::ApplicationPersistenceProfile,
            b.application_persistence_profile_ref.as_deref(),
        );
        for hm in b.health_monitor_refs.iter().flatten() {
            add(ObjectType::HealthMonitor, Some(hm));
        }
        add(ObjectType::PkiProfile, b.pki_profile_ref.as_deref());
        add(
            ObjectType::SslKeyAndCertificate,
            b.ssl_key_and_certificate_ref.as_deref(),
        );
        add(ObjectType::SslProfile, b.ssl_profile_ref.as_deref());
    }
    refs
}

/// The verdict of the L4Rule `key`: AKO's checks in AKO's order, with its messages; objects
/// the controller lacks are looked up in the tenant of the rule's namespace.
pub fn l4_rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Verdict {
    let Some(rule) = snap.l4_rules.get(key) else {
        return Verdict::Rejected("the L4Rule does not exist".to_owned());
    };
    let s = &rule.spec;
    if let Some(ip) = s.load_balancer_ip.as_deref()
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Verdict::Rejected(format!("loadBalancerIP {ip} is not valid"));
    }
    let tenant = tenant_of(snap, settings, &key.namespace);
    let app = app_profile(s);
    let app_ref = ControllerRef::new(ObjectType::ApplicationProfile, app);
    let ssl_app = match cloud.refs.get(&tenant, &app_ref) {
        None => return Verdict::Unresolved(vec![app_ref]),
        Some(RefState::Absent) => {
            return Verdict::Rejected(format!("applicationprofile \"{app}\" not found on controller"));
        }
        Some(RefState::Present { type_, .. }) => match type_.as_deref() {
            Some(SSL_APP_TYPE) => true,
            Some(L4_APP_TYPE) => false,
            // Not looked up (`ako plan` offline): taken as what the rule's listeners ask for.
            None => ssl_listener(s),
            Some(_) => {
                return Verdict::Rejected(format!(
                    "applicationprofile \"{app}\" found on controller is invalid, must be of type: {L4_APP_TYPE} or {SSL_APP_TYPE}"
                ));
            }
        },
    };
    let ssl = ssl_listener(s);
    if ssl_app && !ssl {
        return Verdict::Rejected(format!(
            "SSL is not enabled in l4rule listener Spec but App Profile {app} is of type SSL"
        ));
    }
    if ssl_app {
        let net = s.network_profile_ref.as_deref().unwrap_or(DEFAULT_NETWORK_PROFILE);
        let net_ref = ControllerRef::new(ObjectType::NetworkProfile, net);
        match cloud.refs.get(&tenant, &net_ref) {
            None => return Verdict::Unresolved(vec![net_ref]),
            Some(RefState::Absent) => {
                return Verdict::Rejected(format!("networkprofile \"{net}\" not found on controller"));
            }
            Some(RefState::Present { type_: Some(t), .. }) if t != TCP_PROXY_TYPE => {
                return Verdict::Rejected(format!(
                    "networkprofile \"{net}\" found on controller is invalid, must be of type: {TCP_PROXY_TYPE} for L4 SSL support"
                ));
            }
            Some(_) => {}
        }
    }
    if !ssl_app {
        if app != DEFAULT_APP_PROFILE && ssl {
            return Verdict::Rejected(format!(
                "SSL is enabled in l4rule listener Spec but App Profile {app} is not of type SSL"
            ));
        }
        if s.ssl_profile_ref.is_some() {
            return Verdict::Rejected(format!("App Profile {app} is not of type SSL but SslProfileRef is set"));
        }
        if s.ssl_key_and_certificate_refs.as_ref().is_some_and(|c| !c.is_empty()) {
            return Verdict::Rejected(format!(
                "App Profile {app} is not of type SSL but SslKeyAndCertificateRefs are set"
            ));
        }
    }
    for b in s.backend_properties.iter().flatten() {
        if let Some(e) = lb_algorithm_error(b) {
            return Verdict::Rejected(e);
        }
        // ako-rs runs no ako-crd-operator (AKO's HealthMonitor CRD): the first one named is refused.
        if let Some(hm) = b.health_monitor_crd_refs.iter().flatten().next() {
            if hm.is_empty() {
                return Verdict::Rejected("Empty HealthMonitor name in healthMonitorCrdRefs".to_owned());
            }
            return Verdict::Rejected(format!(
                "HealthMonitor CRD {}/{hm} referenced but AKO CRD Operator is not enabled",
                key.namespace
            ));
        }
    }
    match crate::rules::verdict::check_refs(cloud, settings, &tenant, &checked_refs(rule)) {
        Verdict::Accepted => {}
        other => return other,
    }
    if s.revoke_vip_route == Some(true) && cloud.cloud_type != "CLOUD_NSXT" {
        return Verdict::Rejected("RevokeVipRoute is only supported in NSX-T Cloud".to_owned());
    }
    Verdict::Accepted
}

fn lb_algorithm_error(b: &BackendProperties) -> Option<String> {
    let alg = enum_name(b.lb_algorithm.as_ref()?);
    if alg == "LB_ALGORITHM_CONSISTENT_HASH" {
        match &b.lb_algorithm_hash {
            None => Some(format!(
                "lbAlgorithmHash must be specified when lbAlgorithm is \"{alg}\""
            )),
            Some(h) if enum_name(h) == "LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER" && b.lb_algorithm_consistent_hash_hdr.is_none() => {
                Some("lbAlgorithmConsistentHashHdr must be specified when lbAlgorithmHash is \"LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER\"".to_owned())
            }
            Some(_) => None,
        }
    } else if b.lb_algorithm_hash.is_some() {
        Some(format!(
            "lbAlgorithmHash must not be specified when lbAlgorithm is \"{alg}\""
        ))
    } else if b.lb_algorithm_consistent_hash_hdr.is_some() {
        Some(format!(
            "lbAlgorithmConsistentHashHdr must not be specified when lbAlgorithm is \"{alg}\""
        ))
    } else {
        None
    }
}

/// The reference to `name` of `kind` as AKO writes an L4Rule's (`/api/<type>?name=<name>`).
fn api(kind: ObjectType, name: &str) -> String {
    ControllerRef::new(kind, name).api_ref()
}

/// [`api`] of each of `names`, each once, in order.
fn api_list<'n>(kind: ObjectType, names: impl IntoIterator<Item = &'n String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let r = api(kind, n);
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// An Accepted L4Rule as it applies to one Service.
pub(crate) struct Applied<'a> {
    spec: &'a L4RuleSpec,
    /// The VS fields apply (AKO skips them for an SSL listener on a VS whose network profile is
    /// not the TCP proxy).
    vs: bool,
    /// SSL on the (single) listener: the pool hangs on the VS, no L4 policy set.
    pub(crate) ssl: bool,
    /// Applied to a shared-VIP group's VS: no `revokeVipRoute`, always an L4 policy set.
    shared: bool,
}

/// The L4Rule of Service `ns/svc` as AKO applies it: `None` without one, or when it is missing,
/// not Accepted, or its listeners do not fit the Service's ports (`warn` is told why: AKO only
/// logs it).
pub(crate) fn applied<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    svc: &Service,
    default_network_profile: &str,
    warn: &mut dyn FnMut(String),
) -> Option<Applied<'a>> {
    let key = l4_rule_key(ns, svc)?;
    let name = svc.metadata.name.as_deref().unwrap_or_default();
    let Some(rule) = snap.l4_rules.get(&key) else {
        warn(format!("L4Rule {key} does not exist: the Service is built without it"));
        return None;
    };
    match l4_rule_verdict(snap, settings, cloud, &key) {
        Verdict::Accepted => {}
        Verdict::Rejected(e) => {
            warn(format!(
                "L4Rule {key} is Rejected ({e}): the Service is built without it"
            ));
            return None;
        }
        Verdict::Unresolved(_) => return None,
    }
    let s = &rule.spec;
    let ports: Vec<(i32, String)> = svc
        .spec
        .iter()
        .flat_map(|sp| sp.ports.iter().flatten())
        .map(|p| (p.port, p.protocol.clone().unwrap_or_else(|| "TCP".to_owned())))
        .collect();
    let listeners = s.listener_properties.as_deref().unwrap_or_default();
    if !listeners.is_empty() {
        let mismatch = if listeners.len() != ports.len() {
            Some(format!(
                "Number of port definitions in {key} l4rule listener spec does not match with the port definitons in {name} service"
            ))
        } else if let Some(l) = listeners
            .iter()
            .find(|l| l.enable_ssl == Some(true))
            .filter(|_| ports.len() > 1)
        {
            Some(format!(
                "Port {} requires enabling SSL for L4 but there are multiple ports defined in {name} service definition",
                l.port
            ))
        } else {
            ports
                .iter()
                .find(|(p, proto)| !listeners.iter().any(|l| l.port == *p && proto == "TCP"))
                .map(|(p, _)| {
                    format!(
                        "Port {p} defined in {name} service definition is not present in {key} l4rule listener spec"
                    )
                })
        };
        if let Some(m) = mismatch {
            warn(format!("{m}: the L4Rule is not applied"));
            return None;
        }
    }
    let ssl = ssl_listener(s);
    let vs = !(ssl && default_network_profile != DEFAULT_NETWORK_PROFILE);
    Some(Applied {
        spec: s,
        vs,
        ssl: ssl && vs,
        shared: false,
    })
}

impl Applied<'_> {
    /// The rule as it applies to a shared-VIP group's VS (AKO's `isSharedVip`): `revokeVipRoute`
    /// dropped, the L4 policy set kept.
    pub(crate) fn shared(self) -> Self {
        Applied {
            ssl: false,
            shared: true,
            ..self
        }
    }

    /// The rule's `loadBalancerIP`.
    pub(crate) fn load_balancer_ip(&self) -> Option<&str> {
        self.spec.load_balancer_ip.as_deref().filter(|ip| !ip.is_empty())
    }

    fn app_profile(&self) -> &str {
        match app_profile(self.spec) {
            DEFAULT_APP_PROFILE if self.ssl => DEFAULT_SSL_APP_PROFILE,
            other => other,
        }
    }

    fn analytics(&self) -> Option<AnalyticsPolicyOut> {
        let logs = self.spec.analytics_policy.as_ref()?.full_client_logs.as_ref();
        Some(AnalyticsPolicyOut {
            all_headers: None,
            duration: logs.map_or(0, |l| l.duration.unwrap_or(30)),
            enabled: logs.map(|l| l.enabled),
            throttle: logs.map(|l| l.throttle.unwrap_or(10)),
        })
    }

    fn certificates(&self) -> Vec<String> {
        api_list(
            ObjectType::SslKeyAndCertificate,
            self.spec.ssl_key_and_certificate_refs.iter().flatten(),
        )
    }

    fn datascripts(&self) -> Vec<String> {
        api_list(
            ObjectType::VsDataScriptSet,
            self.spec.vs_datascript_refs.iter().flatten(),
        )
    }

    /// The VS `services` with the listeners in place of the Service's ports, by position.
    pub(crate) fn services(&self, mut services: Vec<Value>) -> Vec<Value> {
        if !self.vs {
            return services;
        }
        for (i, l) in self.spec.listener_properties.iter().flatten().enumerate() {
            if let Some(s) = services.get_mut(i) {
                *s = json!({"port": l.port, "enable_ssl": l.enable_ssl.unwrap_or(false)});
            }
        }
        services
    }

    /// The VS body fields it sets.
    pub(crate) fn vs_fields(&self, vs: &mut Value) {
        if !self.vs {
            return;
        }
        let s = self.spec;
        vs["application_profile_ref"] = json!(api(ObjectType::ApplicationProfile, self.app_profile()));
        vs["analytics_profile_ref"] = json!(api(
            ObjectType::AnalyticsProfile,
            s.analytics_profile_ref.as_deref().unwrap_or(DEFAULT_ANALYTICS_PROFILE)
        ));
        if let Some(a) = self.analytics() {
            vs["analytics_policy"] = a.to_json();
        }
        if let Some(p) = &s.ssl_profile_ref {
            vs["ssl_profile_ref"] = json!(api(ObjectType::SslProfile, p));
        }
        let certs = self.certificates();
        if !certs.is_empty() {
            vs["ssl_key_and_certificate_refs"] = json!(certs);
        }
        let scripts = self.datascripts();
        if !scripts.is_empty() {
            vs["vs_datascripts"] = Value::Array(
                scripts
                    .iter()
                    .enumerate()
                    .map(|(i, r)| json!({"index": i, "vs_datascript_set_ref": r}))
                    .collect(),
            );
        }
        let revoke = s.revoke_vip_route.unwrap_or(false);
        if !(self.shared && revoke) {
            vs["revoke_vip_route"] = json!(revoke);
        }
        vs["network_profile_ref"] = json!(api(
            ObjectType::NetworkProfile,
            s.network_profile_ref.as_deref().unwrap_or(DEFAULT_NETWORK_PROFILE)
        ));
        if let Some(p) = &s.network_security_policy_ref {
            vs["network_security_policy_ref"] = json!(api(ObjectType::NetworkSecurityPolicy, p));
        }
        if let Some(p) = &s.security_policy_ref {
            vs["security_policy_ref"] = json!(api(ObjectType::SecurityPolicy, p));
        }
        if let Some(l) = &s.performance_limits {
            let mut pl = json!({});
            if let Some(c) = l.max_concurrent_connections {
                pl["max_concurrent_connections"] = json!(c);
            }
            if let Some(t) = l.max_throughput {
                pl["max_throughput"] = json!(t);
            }
            vs["performance_limits"] = pl;
        }
    }

    /// The VS checksum's inputs it decides.
    pub(crate) fn checksum(&self, c: &mut VsChecksum<'_>, cluster: &str) {
        if !self.vs {
            return;
        }
        let s = self.spec;
        c.refs
            .extend(self.certificates().iter().map(|r| format!("SslKeyAndCertificate{r}")));
        let mut refs = api(ObjectType::ApplicationProfile, self.app_profile());
        refs.push_str(&api(
            ObjectType::AnalyticsProfile,
            s.analytics_profile_ref.as_deref().unwrap_or(DEFAULT_ANALYTICS_PROFILE),
        ));
        if let Some(p) = &s.ssl_profile_ref {
            refs.push_str(&api(ObjectType::SslProfile, p));
        }
        let scripts = self.datascripts();
        if !scripts.is_empty() {
            refs.push_str(&go_json_strings(&scripts));
        }
        c.rule_refs = refs;
        c.analytics_policy = self.analytics().map(|a| a.checksum(cluster));
        // The generated fields, in AKO's order.
        let mut g = Vec::new();
        g.extend(s.load_balancer_ip.clone());
        g.push(api(
            ObjectType::NetworkProfile,
            s.network_profile_ref.as_deref().unwrap_or(DEFAULT_NETWORK_PROFILE),
        ));
        g.extend(
            s.network_security_policy_ref
                .as_ref()
                .map(|p| api(ObjectType::NetworkSecurityPolicy, p)),
        );
        g.extend(s.performance_limits.as_ref().map(crate::checksum::go_json));
        g.extend(
            s.security_policy_ref
                .as_ref()
                .map(|p| api(ObjectType::SecurityPolicy, p)),
        );
        if let Some(ls) = s.listener_properties.as_ref().filter(|l| !l.is_empty()) {
            let items: Vec<String> = ls
                .iter()
                .map(|l| {
                    format!(
                        "{{\"enableSsl\":{},\"port\":{},\"protocol\":\"TCP\"}}",
                        l.enable_ssl.unwrap_or(false),
                        l.port
                    )
                })
                .collect();
            g.push(format!("[{}]", items.join(",")));
        }
        c.generated = g;
    }

    /// What its backend properties set on the pool of Service port `port`/`protocol`.
    pub(crate) fn pool_rule(&self, port: i32, protocol: &str) -> Option<PoolRule> {
        let b = self
            .spec
            .backend_properties
            .iter()
            .flatten()
            .find(|b| b.port == port && enum_name(&b.protocol) == protocol)?;
        let api = |kind: ObjectType, n: &Option<String>| n.as_deref().map(|n| api(kind, n));
        let monitors = api_list(ObjectType::HealthMonitor, b.health_monitor_refs.iter().flatten());
        Some(PoolRule {
            ssl_profile: api(ObjectType::SslProfile, &b.ssl_profile_ref),
            pki_profile: api(ObjectType::PkiProfile, &b.pki_profile_ref),
            ssl_key_and_certificate: api(ObjectType::SslKeyAndCertificate, &b.ssl_key_and_certificate_ref),
            health_monitors: monitors,
            persistence: api(
                ObjectType::ApplicationPersistenceProfile,
                &b.application_persistence_profile_ref,
            ),
            lb_algorithm: Some(
                b.lb_algorithm
                    .as_ref()
                    .map_or("LB_ALGORITHM_LEAST_CONNECTIONS".to_owned(), enum_name),
            ),
            lb_algorithm_hash: b.lb_algorithm_hash.as_ref().map(enum_name),
            lb_algorithm_consistent_hash_hdr: b.lb_algorithm_consistent_hash_hdr.clone(),
            realtime_metrics: b
                .analytics_policy
                .as_ref()
                .map(|a| a.enable_realtime_metrics.unwrap_or(false)),
            enabled: Some(b.enabled.unwrap_or(true)),
            min_servers_up: b.min_servers_up,
            ..PoolRule::default()
        })
    }
}
