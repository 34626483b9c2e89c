//! Which Ingresses AKO serves and what it reads from them (`lib.ValidateIngressForClass`,
//! `validator.go:ParseHostPathForIngress`, `isIngAcceptedWithFQDNRestriction`): hosts with
//! their paths and backends, split into insecure hosts and TLS hosts with their Secret.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::checksum::TargetPort;
use crate::key::{Kind, NsName, ObjRef};
use crate::model::{CloudFacts, Failure};
use crate::namespaces::{namespace_accepted, tenant_of};
use crate::rules::verdict::certificate_secrets;
use crate::rules::{VsRule, host_rule_for};
use crate::settings::{FqdnReusePolicy, Settings};
use crate::snapshot::Snapshot;

/// `spec.controller` of the IngressClasses AKO serves.
pub const AVI_INGRESS_CONTROLLER: &str = "ako.vmware.com/avi-lb";
/// IngressClass annotation marking the cluster's default class.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// One path of a host, with its backend resolved as far as AKO resolves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathBackend {
    /// `path` (may be empty).
    pub path: String,
    /// `pathType == Exact`.
    pub exact: bool,
    /// Backend Service name.
    pub service: String,
    /// Backend port number; 80 when the backend names its port (AKO's default).
    pub port: i32,
    /// Backend port name, or the name of the Service port with that number.
    pub port_name: String,
    /// The Service port's `targetPort` (0 when the Service or port is unknown, or the Service is
    /// of type NodePort).
    pub target_port: TargetPort,
    /// Its share of the path's traffic: the ratio of its pool in the pool group (an Ingress's
    /// backends 100, a Route's their weight).
    pub weight: u32,
}

/// A host with its paths, in the order of the Ingress rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPaths {
    /// The host (generated for a rule without one).
    pub host: String,
    /// Its paths.
    pub paths: Vec<PathBackend>,
    /// Generated for a rule without host (`<ingress>.<ns>.<subdomain>`).
    pub generated: bool,
}

/// Where a TLS host's certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertSource {
    /// A TLS Secret (an Ingress's `spec.tls`, a HostRule's `type: secret`).
    Secret(NsName),
    /// A Route's own certificate and key, with its CA chain.
    Inline {
        /// PEM.
        certificate: String,
        /// PEM.
        key: String,
        /// PEM, empty when none.
        ca: String,
    },
    /// Routes' default certificate: the Secret `router-certs-default` of the AKO namespace.
    RouterDefault(NsName),
}

/// HTTP to a TLS host (a Route's `insecureEdgeTerminationPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InsecurePolicy {
    /// Redirected to HTTPS (every TLS host of an Ingress).
    #[default]
    Redirect,
    /// Served over HTTP too.
    Allow,
    /// Not served (EVH mode closes the connection; SNI mode redirects, as AKO 2.2).
    None,
    /// A Route that says nothing: EVH mode does nothing on HTTP (SNI mode redirects).
    Unset,
}

/// A Route re-encrypting to its backends: their pools speak TLS, checked against this CA when
/// one is given (`destinationCACertificate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reencrypt {
    /// PEM, empty when none.
    pub destination_ca: String,
}

/// An Ingress (or an OpenShift Route) as AKO reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedIngress {
    /// `Ingress` or `Route`.
    pub kind: Kind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Hosts served over HTTP on the shared VS.
    pub insecure: Vec<HostPaths>,
    /// Hosts served over HTTPS, with their certificate: the Ingress's Secret (`spec.tls`), or
    /// the one its HostRule names (`type: secret`, in the rule's namespace), which takes
    /// precedence; a Route's own, or the default one.
    pub tls: Vec<(CertSource, HostPaths)>,
    /// Hosts served over HTTPS with the controller certificate of their HostRule, whether or
    /// not `spec.tls` names them (AKO's "additional secure hosts").
    pub rule_tls: Vec<HostPaths>,
    /// Hosts whose TLS passes through to the backends (annotation
    /// `passthrough.ako.vmware.com/enabled`): all of the Ingress's, and then nothing else.
    pub passthrough: Vec<HostPaths>,
    /// A Route re-encrypting (`tls.termination: reencrypt`).
    pub reencrypt: Option<Reencrypt>,
    /// HTTP to its TLS hosts.
    pub insecure_policy: InsecurePolicy,
}

impl ParsedIngress {
    /// The object it was read from.
    pub fn object(&self) -> ObjRef {
        ObjRef::new(self.kind, &self.namespace, &self.name)
    }

    /// A Route whose TLS host is also served over HTTP (`insecureEdgeTerminationPolicy: Allow`).
    pub fn http_beside_tls(&self) -> bool {
        self.kind == Kind::Route && self.insecure_policy == InsecurePolicy::Allow
    }
}

/// The annotation asking for TLS passthrough.
pub const PASSTHROUGH_ANNOTATION: &str = "passthrough.ako.vmware.com/enabled";

/// Whether `ing` asks for TLS passthrough (AKO compares the value case-insensitively).
pub fn is_passthrough(ing: &Ingress) -> bool {
    passthrough_value(ing).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The value of the passthrough annotation, if set.
fn passthrough_value(ing: &Ingress) -> Option<&str> {
    ing.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(PASSTHROUGH_ANNOTATION))
        .map(String::as_str)
}

/// Every Ingress AKO would serve (of those `keep` selects), parsed, in the order AKO's Strict
/// FQDN policy considers them (creation time, then namespace/name); problems become failures.
pub fn accepted_ingresses(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    keep: &dyn Fn(&NsName, &Ingress) -> bool,
    failures: &mut Vec<Failure>,
) -> Vec<ParsedIngress> {
    // Under Strict, whether an Ingress may claim its hosts depends on every Ingress created
    // before it (a rejected one claims nothing, freeing its other hosts): the claims are
    // computed over all of them, and only the kept ones are parsed and reported.
    let strict = settings.fqdn_reuse_policy == FqdnReusePolicy::Strict;
    let mut order: Vec<(&NsName, &Ingress)> = snap.ingresses.iter().filter(|(k, i)| strict || keep(k, i)).collect();
    order.sort_by(|(ka, a), (kb, b)| {
        let ta = a.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let tb = b.metadata.creation_timestamp.as_ref().map(|t| t.0);
        ta.cmp(&tb).then_with(|| ka.cmp(kb))
    });
    let mut domains = cloud.dns_domains.clone();
    domains.sort();
    let mut claims: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (key, ing) in order {
        let (ns, name) = (&key.namespace, &key.name);
        let kept = !strict || keep(key, ing);
        let mut fail = |message: String| {
            if kept {
                failures.push(Failure::new(Kind::Ingress, ns, name, message));
            }
        };
        // A namespace the filters exclude is not looked at, whatever its Ingresses say (AKO
        // ignores them; reporting their class would put Events in every such namespace).
        if !namespace_accepted(snap, settings, ns) {
            continue;
        }
        match class_decision(snap, ing) {
            Class::Ours => {}
            Class::NotOurs => continue,
            Class::Problem(message) => {
                fail(message);
                continue;
            }
        }
        if strict {
            let hosts: BTreeSet<&str> = ing
                .spec
                .iter()
                .flat_map(|s| s.rules.iter().flatten())
                .map(|r| r.host.as_deref().unwrap_or(""))
                .collect();
            if let Some(host) = hosts.iter().find(|h| claims.get(**h).is_some_and(|owner| owner != ns)) {
                fail(format!(
                    "Host {host} already claimed by namespace {} (fqdnReusePolicy Strict): the whole Ingress is not served; remove the host or use it from namespace {}",
                    claims[*host], claims[*host]
                ));
                continue;
            }
            for h in hosts {
                claims.entry(h.to_owned()).or_insert_with(|| ns.clone());
            }
        }
        if !kept {
            continue;
        }
        let tenant = tenant_of(snap, settings, ns);
        let rule_cert = |host: &str| rule_cert(snap, settings, cloud, &tenant, host);
        if let Some(p) = parse(snap, ns, name, ing, &domains, &rule_cert, failures) {
            out.push(p);
        }
    }
    out
}

/// What the HostRule of `host` says about its certificate. SNI mode drops a rule's Secret
/// certificate when it also names a controller one; EVH mode uploads it and presents both on the
/// parent.
pub(crate) fn rule_cert(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    tenant: &str,
    host: &str,
) -> RuleCert {
    match host_rule_for(snap, settings, cloud, tenant, host) {
        Some((k, r))
            if VsRule::of(k, r).has_certificate() && (!settings.enable_evh || certificate_secrets(r).is_empty()) =>
        {
            RuleCert::Controller
        }
        Some((k, r)) => certificate_secrets(r)
            .first()
            .map_or(RuleCert::None, |s| RuleCert::Secret(NsName::new(&k.namespace, *s))),
        None => RuleCert::None,
    }
}

/// What the HostRule of a host says about its certificate.
pub(crate) enum RuleCert {
    /// Nothing: the Ingress's `spec.tls` decides.
    None,
    /// Certificates on the controller (`type: ref`).
    Controller,
    /// A Secret (`type: secret`).
    Secret(NsName),
}

enum Class {
    Ours,
    NotOurs,
    Problem(String),
}

/// Whether AKO serves this Ingress at all: its namespace passes the filters and its class is
/// AKO's. What such an Ingress names is what translation may read.
pub(crate) fn is_served(snap: &Snapshot, settings: &Settings, ns: &str, ing: &Ingress) -> bool {
    namespace_accepted(snap, settings, ns) && matches!(class_decision(snap, ing), Class::Ours)
}

fn class_decision(snap: &Snapshot, ing: &Ingress) -> Class {
    let is_ours =
        |c: &IngressClass| c.spec.as_ref().and_then(|s| s.controller.as_deref()) == Some(AVI_INGRESS_CONTROLLER);
    match ing.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()) {
        None => {
            let default_is_ours = snap.ingress_classes.values().any(|c| {
                is_ours(c)
                    && c.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                        .is_some_and(|v| v == "true")
            });
            if default_is_ours { Class::Ours } else { Class::NotOurs }
        }
        Some(class) => match snap.ingress_class(class) {
            None => Class::Problem(format!(
                "IngressClass {class:?} does not exist: create it (spec.controller {AVI_INGRESS_CONTROLLER}) or fix spec.ingressClassName"
            )),
            Some(c) if !is_ours(c) => Class::NotOurs,
            Some(_) => Class::Ours,
        },
    }
}

/// The hosts of an Ingress's rules as AKO names them, generated ones included (before any
/// validation): what decides which models an Ingress touches.
pub fn rule_hosts(ns: &str, name: &str, ing: &Ingress, cloud: &CloudFacts) -> Vec<String> {
    let first_domain = cloud.dns_domains.iter().min();
    ing.spec
        .iter()
        .flat_map(|s| s.rules.iter().flatten())
        .filter_map(|r| match r.host.as_deref().unwrap_or("") {
            "" => first_domain.map(|d| generated_host(name, ns, d)),
            h => Some(h.to_owned()),
        })
        .collect()
}

fn generated_host(name: &str, ns: &str, domain: &str) -> String {
    if domain.starts_with('.') {
        format!("{name}.{ns}{domain}")
    } else {
        format!("{name}.{ns}.{domain}")
    }
}

fn parse(
    snap: &Snapshot,
    ns: &str,
    name: &str,
    ing: &Ingress,
    domains: &[String],
    rule_cert: &dyn Fn(&str) -> RuleCert,
    failures: &mut Vec<Failure>,
) -> Option<ParsedIngress> {
    // `fail`: part of the Ingress is not served, so what it has on the controller is kept;
    // `warn`: served all the same (its objects are all wanted), which the user is told.
    let sink = std::cell::RefCell::new(failures);
    let fail = |message: String| sink.borrow_mut().push(Failure::new(Kind::Ingress, ns, name, message));
    let warn = |message: String| {
        sink.borrow_mut()
            .push(Failure::warning(Kind::Ingress, ns, name, message))
    };
    let spec = ing.spec.as_ref()?;
    let rules = spec.rules.as_deref().unwrap_or_default();
    // AKO serves rules only: a default backend is ignored, which the user is told.
    if spec.default_backend.is_some() {
        if rules.is_empty() {
            fail("spec.defaultBackend is not served (AKO serves only the rules' hosts and paths) and the Ingress has no rules: nothing is served; add rules".to_owned());
        } else {
            warn(
                "spec.defaultBackend is not served (AKO serves only the rules' hosts and paths); the rules are"
                    .to_owned(),
            );
        }
    }
    if let Some(value) =
        passthrough_value(ing).filter(|v| !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false"))
    {
        warn(format!(
            "annotation {PASSTHROUGH_ANNOTATION}: {value:?} is neither \"true\" nor \"false\": the Ingress is not passthrough"
        ));
    }
    if let Some(r) = rules.iter().find(|r| r.http.is_none()) {
        fail(format!(
            "rule for host {:?} has no http paths: AKO does not serve an Ingress with such a rule; add paths or remove the rule",
            r.host.as_deref().unwrap_or("")
        ));
        return None;
    }
    if rules.is_empty() {
        return None;
    }
    let valid = |host: &str| domains.is_empty() || domains.iter().any(|d| host.ends_with(d.as_str()));
    // Hosts keep their first-seen order; a host in several rules gets all their paths.
    let mut hosts: Vec<HostPaths> = Vec::new();
    for rule in rules {
        let generated = rule.host.as_deref().unwrap_or("").is_empty();
        let host = match rule.host.as_deref().unwrap_or("") {
            "" => match domains.first() {
                Some(d) => generated_host(name, ns, d),
                None => {
                    fail("a rule has no host and the cloud's DNS profile has no sub-domain to generate one from: set spec.rules[].host".to_owned());
                    continue;
                }
            },
            h if !valid(h) => {
                fail(format!(
                    "host {h:?} is not under any DNS sub-domain of the cloud ({}): it is not served",
                    domains.join(", ")
                ));
                continue;
            }
            h => h.to_owned(),
        };
        let mut paths = Vec::new();
        for p in rule.http.as_ref().map(|h| h.paths.as_slice()).unwrap_or_default() {
            let Some(svc) = p.backend.service.as_ref() else {
                fail(format!(
                    "path {:?} of host {host:?} has a resource backend; only service backends are served",
                    p.path.as_deref().unwrap_or("")
                ));
                continue;
            };
            let path = p.path.as_deref().unwrap_or("");
            paths.push(backend(snap, ns, &host, path, p.path_type == "Exact", svc, &warn));
        }
        match hosts.iter_mut().find(|h| h.host == host) {
            Some(h) => h.paths.extend(paths),
            None => hosts.push(HostPaths { host, paths, generated }),
        }
    }
    // A path listed again with another backend: AKO serves the last one, silently.
    for h in &hosts {
        let mut last: BTreeMap<(&str, bool), &PathBackend> = BTreeMap::new();
        let mut mixed = BTreeSet::new();
        for p in &h.paths {
            let key = (p.path.as_str(), p.exact);
            if let Some(before) = last.insert(key, p)
                && (before.service != p.service || before.port != p.port)
            {
                mixed.insert(key);
            }
        }
        for key in mixed {
            let served = last[&key];
            warn(format!(
                "path {:?} of host {:?} is listed more than once with different backends: only the last (Service {} port {}) is served",
                key.0, h.host, served.service, served.port
            ));
        }
    }
    // Passthrough takes every host, before anything else (`ParseHostPathForIngress`).
    if is_passthrough(ing) {
        return Some(ParsedIngress {
            kind: Kind::Ingress,
            namespace: ns.to_owned(),
            name: name.to_owned(),
            insecure: Vec::new(),
            tls: Vec::new(),
            rule_tls: Vec::new(),
            passthrough: hosts,
            reencrypt: None,
            insecure_policy: InsecurePolicy::Redirect,
        });
    }
    // A HostRule's certificate decides first: the controller's, or a Secret of its own.
    let mut rule_tls = Vec::new();
    let mut tls = Vec::new();
    let mut rest = Vec::new();
    for h in hosts {
        match rule_cert(&h.host) {
            RuleCert::Controller => rule_tls.push(h),
            RuleCert::Secret(secret) => tls.push((CertSource::Secret(secret), h)),
            RuleCert::None => rest.push(h),
        }
    }
    let mut hosts = rest;
    for t in spec.tls.as_deref().unwrap_or_default() {
        let secret = NsName::new(ns, t.secret_name.as_deref().unwrap_or_default());
        for host in t.hosts.as_deref().unwrap_or_default() {
            if !valid(host) {
                continue;
            }
            if let Some(i) = hosts.iter().position(|h| &h.host == host) {
                tls.push((CertSource::Secret(secret.clone()), hosts.remove(i)));
            }
        }
    }
    Some(ParsedIngress {
        kind: Kind::Ingress,
        namespace: ns.to_owned(),
        name: name.to_owned(),
        insecure: hosts,
        tls,
        rule_tls,
        passthrough: Vec::new(),
        reencrypt: None,
        insecure_policy: InsecurePolicy::Redirect,
    })
}

fn backend(
    snap: &Snapshot,
    ns: &str,
    host: &str,
    path: &str,
    exact: bool,
    svc: &k8s_openapi::api::networking::v1::IngressServiceBackend,
    warn: &impl Fn(String),
) -> PathBackend {
    let number = svc.port.as_ref().and_then(|p| p.number).unwrap_or(0);
    let by_name = svc.port.as_ref().and_then(|p| p.name.clone()).unwrap_or_default();
    let service = snap.service(ns, &svc.name);
    let svc_spec = service.and_then(|s| s.spec.as_ref());
    let svc_ports = svc_spec.and_then(|s| s.ports.clone()).unwrap_or_default();
    let mut target_port = TargetPort::Int(0);
    match service {
        None => warn(format!(
            "Service {ns}/{} (backend of {host}{path}) does not exist: its pool has no servers until it is created",
            svc.name
        )),
        Some(_) => {
            let strict = svc_ports.iter().any(|p| {
                (number != 0 && p.port == number) || (!by_name.is_empty() && p.name.as_deref() == Some(&by_name))
            });
            // AKO's own match (`findTargetPort`) also takes the first port whose name equals the
            // backend's (possibly empty) port name.
            let matched = svc_ports
                .iter()
                .find(|p| p.port == number || p.name.as_deref().unwrap_or("") == by_name);
            if !strict {
                warn(format!(
                    "Service {ns}/{} has no port {} (backend of {host}{path}): fix the Ingress backend or the Service ports",
                    svc.name,
                    if by_name.is_empty() {
                        number.to_string()
                    } else {
                        format!("named {by_name:?}")
                    }
                ));
            }
            match matched {
                None => {}
                // AKO does not resolve target ports of NodePort Services.
                Some(_) if svc_spec.and_then(|s| s.type_.as_deref()) == Some("NodePort") => {}
                Some(p) => {
                    target_port = match &p.target_port {
                        None => TargetPort::Int(p.port),
                        Some(IntOrString::Int(i)) => TargetPort::Int(*i),
                        Some(IntOrString::String(s)) => TargetPort::Name(s.clone()),
                    }
                }
            }
        }
    }
    let port_name = if by_name.is_empty() {
        svc_ports
            .iter()
            .find(|p| p.port == number)
            .and_then(|p| p.name.clone())
            .unwrap_or_default()
    } else {
        by_name
    };
    PathBackend {
        path: path.to_owned(),
        exact,
        service: svc.name.clone(),
        port: if number == 0 { 80 } else { number },
        port_name,
        target_port,
        weight: INGRESS_WEIGHT,
    }
}

/// The ratio of every Ingress backend.
pub const INGRESS_WEIGHT: u32 = 100;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::settings::Values;

    #[test]
    fn an_ingress_in_an_excluded_namespace_is_not_looked_at() {
        let text = "AKOSettings:\n  clusterName: c\n  blockedNamespaceList: [other]\n\
                    NetworkSettings:\n  vipNetworkList: [{networkName: n}]\n";
        let settings = Settings::from_values(&Values::from_yaml(text).unwrap()).unwrap();
        let ingress = |ns: &str| -> Ingress {
            serde_json::from_value(json!({"metadata": {"name": "web", "namespace": ns},
                "spec": {"ingressClassName": "missing", "rules": [{"host": "a.b.c"}]}}))
            .unwrap()
        };
        let snap = Snapshot::new().with(ingress("other")).with(ingress("ns"));
        let mut failures = Vec::new();
        accepted_ingresses(&snap, &settings, &CloudFacts::default(), &|_, _| true, &mut failures);
        let failed: Vec<&str> = failures.iter().map(|f| f.object.namespace()).collect();
        assert_eq!(
            failed,
            ["ns"],
            "a bad class is reported only where ako-rs looks: {failures:?}"
        );
    }

    /// A path listed with backends `a`, `b`, `a`: one warning, naming `a` (the last, served).
    #[test]
    fn a_path_listed_again_names_the_backend_served() {
        let text = "AKOSettings:\n  clusterName: c\nNetworkSettings:\n  vipNetworkList: [{networkName: n}]\n";
        let settings = Settings::from_values(&Values::from_yaml(text).unwrap()).unwrap();
        let path = |svc: &str| json!({"path": "/x", "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}});
        let class: IngressClass = serde_json::from_value(json!({"metadata": {"name": "avi",
            "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}}, "spec": {"controller": AVI_INGRESS_CONTROLLER}}))
        .unwrap();
        let ingress: Ingress = serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "ns"},
            "spec": {"rules": [{"host": "h.avi.internal", "http": {"paths": [path("a"), path("b"), path("a")]}}]}}))
        .unwrap();
        let snap = Snapshot::new().with(class).with(ingress);
        let mut failures = Vec::new();
        accepted_ingresses(&snap, &settings, &CloudFacts::default(), &|_, _| true, &mut failures);
        let listed: Vec<&str> = failures
            .iter()
            .map(|f| f.message.as_str())
            .filter(|m| m.contains("listed more than once"))
            .collect();
        assert_eq!(listed.len(), 1, "{failures:?}");
        assert!(listed[0].contains("only the last (Service a port 80)"), "{listed:?}");
    }
}
