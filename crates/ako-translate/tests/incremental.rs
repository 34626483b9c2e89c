//! The incremental translation equals the whole one: after any sequence of cluster changes,
//! re-translating only the units the dependency index says a change touches, and merging them
//! ([`Desired`]), gives exactly what translating the whole snapshot gives. This is what lets
//! `ako run` translate one change in time proportional to the models it touches.

mod common;

use std::collections::BTreeSet;

use ako_translate::rules::RefCatalog;
use ako_translate::{
    CloudFacts, Deps, Desired, Kind, ModelKey, NsName, Settings, Snapshot, Unit, Values, load_document, translate,
    translate_unit,
};
use common::cloud;
use proptest::prelude::*;
use serde_json::{Value, json};

const NS: &[&str] = &["red", "blue"];
const INGRESSES: &[&str] = &["i0", "i1", "i2"];
const SERVICES: &[&str] = &["svc0", "svc1", "lb0", "grp"];
const SECRETS: &[&str] = &["t0", "t1"];
const HOSTS: &[&str] = &[
    "a.avi.internal",
    "b.avi.internal",
    "c.avi.internal",
    "d.avi.internal",
    "",
];
const CLASSES: &[Option<&str>] = &[
    None,
    Some("avi-lb"),
    Some("other"),
    Some("missing"),
    Some("infra-class"),
];
/// AviInfraSettings: the first two exist when put, the third never does.
const INFRAS: &[&str] = &["inf0", "inf1", "inf-missing"];
/// Their shard sizes (`None`: the global one).
const INFRA_SHARDS: &[Option<&str>] = &[None, Some("SMALL"), Some("MEDIUM"), Some("DEDICATED")];
const RULES: &[&str] = &["r0", "r1"];
/// HostRule FQDNs: hosts, patterns, shared parents (`inc--Shared-L7-<n>.admin.avi.internal`).
const RULE_FQDNS: &[(&str, &str)] = &[
    ("a.avi.internal", "Exact"),
    ("b.avi.internal", "Exact"),
    ("*.avi.internal", "Wildcard"),
    ("c.avi", "Contains"),
    ("inc--Shared-L7-0.admin.avi.internal", "Exact"),
    ("Shared-L7", "Contains"),
];
const ALIASES: &[&str] = &["x.avi.internal", "y.avi.internal"];
const ROUTES: &[&str] = &["r0", "r1"];
/// A Route's TLS: none, edge with its own certificate, edge or reencrypt with the default one,
/// passthrough.
const ROUTE_TLS: &[Option<(&str, bool)>] = &[
    None,
    Some(("edge", true)),
    Some(("edge", false)),
    Some(("reencrypt", false)),
    Some(("passthrough", false)),
];
const ROUTE_POLICIES: &[&str] = &["", "Redirect", "Allow", "None"];
const GATEWAYS: &[&str] = &["g0", "g1"];
const HTTP_ROUTES: &[&str] = &["h0", "h1"];
/// A Gateway's listener: HTTP without hostname, HTTP for `*.avi.internal`, HTTPS for
/// `a.avi.internal` with a Secret of its namespace, HTTPS with a Secret of the other namespace.
const GATEWAY_LISTENERS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    PutIngress {
        ns: usize,
        name: usize,
        rules: Vec<(usize, usize)>,
        tls: Option<(usize, usize)>,
        class: usize,
        created: u8,
    },
    DelIngress(usize, usize),
    PutService {
        ns: usize,
        name: usize,
        lb: bool,
        shared: usize,
        port: i32,
        infra: Option<usize>,
        l4rule: bool,
    },
    DelService(usize, usize),
    PutSlice(usize, usize, u8),
    DelSlice(usize, usize),
    PutSecret(usize, usize, bool),
    DelSecret(usize, usize),
    Namespace {
        ns: usize,
        selected: bool,
        tenant: bool,
        /// The AviInfraSetting it names (`None`: none).
        infra: Option<usize>,
    },
    PutInfra {
        name: usize,
        shard: usize,
        /// Invalid (BGP peer labels without RHI): Rejected.
        rejected: bool,
    },
    DelInfra(usize),
    /// IngressClass `infra-class` (AKO's), naming an AviInfraSetting or none.
    InfraClass(Option<usize>),
    /// L4Rule `l4r` of a namespace: its algorithm, and whether it is valid (else Rejected).
    PutL4Rule {
        ns: usize,
        round_robin: bool,
        valid: bool,
    },
    DelL4Rule(usize),
    /// L7Rule `l7r` of a namespace (what a HostRule may name): its `minPoolsUp`.
    PutL7Rule {
        ns: usize,
        min_pools_up: u32,
    },
    DelL7Rule(usize),
    /// SSORule `sso-<name>` of a namespace for a host: SAML, or OAuth with its client secret in
    /// one of the Secrets (whose `clientSecret` key only valid Secrets have); two rules may name
    /// one host.
    PutSsoRule {
        ns: usize,
        name: usize,
        host: usize,
        secret: Option<usize>,
        created: u8,
    },
    DelSsoRule(usize, usize),
    Node(u8, bool),
    DefaultClass(bool),
    PutHostRule {
        ns: usize,
        name: usize,
        fqdn: usize,
        /// 0: none, 1: a controller certificate, 2: a Secret of the rule's namespace.
        cert: u8,
        gslb: bool,
        regex: bool,
        alias: Option<usize>,
        listener: bool,
        /// Names the L7Rule `l7r` of its namespace.
        l7: bool,
        created: u8,
    },
    DelHostRule(usize, usize),
    PutHttpRule {
        ns: usize,
        name: usize,
        host: usize,
        target: bool,
        created: u8,
    },
    DelHttpRule(usize, usize),
    /// OpenShift Route `ROUTES[name]`: its host (or subdomain `sub` when none), Services with
    /// weights, TLS, insecure policy, and the AviInfraSetting its annotation names.
    PutRoute {
        ns: usize,
        name: usize,
        host: usize,
        backends: Vec<(usize, u8)>,
        tls: usize,
        policy: usize,
        infra: Option<usize>,
    },
    DelRoute(usize, usize),
    /// The AKO namespace's `router-certs-default`: valid, invalid, or deleted (`None`).
    RouterCerts(Option<bool>),
    /// GatewayClass `gwc`: AKO's controller or another's, naming an AviInfraSetting or none.
    GatewayClass {
        ours: bool,
        infra: Option<usize>,
    },
    /// Gateway `GATEWAYS[name]`: of class `gwc` (else of a class that does not exist), its
    /// listener (see [`GATEWAY_LISTENERS`]) with that Secret, in dedicated mode or not.
    PutGateway {
        ns: usize,
        name: usize,
        classed: bool,
        listener: usize,
        secret: usize,
        dedicated: bool,
    },
    DelGateway(usize, usize),
    /// HTTPRoute `HTTP_ROUTES[name]` naming Gateway (namespace, name), with a host (or none)
    /// and backends (Service, of the other namespace?, weight).
    PutHttpRoute {
        ns: usize,
        name: usize,
        parent: (usize, usize),
        host: Option<usize>,
        backends: Vec<(usize, bool, u8)>,
    },
    DelHttpRoute(usize, usize),
    /// ReferenceGrant `grant` of a namespace letting the other namespace's HTTPRoutes use its
    /// Services and its Gateways its Secrets.
    PutGrant(usize),
    DelGrant(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let ns = 0..NS.len();
    prop_oneof![
        4 => (
            ns.clone(),
            0..INGRESSES.len(),
            proptest::collection::vec((0..HOSTS.len(), 0..SERVICES.len()), 0..3),
            proptest::option::of((0..HOSTS.len(), 0..SECRETS.len())),
            prop_oneof![4 => Just(0usize), 4 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize), 2 => Just(4usize)],
            0u8..5,
        )
            .prop_map(|(ns, name, rules, tls, class, created)| Op::PutIngress { ns, name, rules, tls, class, created }),
        1 => (ns.clone(), 0..INGRESSES.len()).prop_map(|(n, i)| Op::DelIngress(n, i)),
        3 => (ns.clone(), 0..SERVICES.len(), any::<bool>(), 0usize..3, prop_oneof![Just(80), Just(443)], proptest::option::weighted(0.3, 0..INFRAS.len()), proptest::bool::weighted(0.3))
            .prop_map(|(ns, name, lb, shared, port, infra, l4rule)| Op::PutService { ns, name, lb, shared, port, infra, l4rule }),
        1 => (ns.clone(), any::<bool>(), proptest::bool::weighted(0.8))
            .prop_map(|(ns, round_robin, valid)| Op::PutL4Rule { ns, round_robin, valid }),
        1 => ns.clone().prop_map(Op::DelL4Rule),
        1 => (ns.clone(), 1u32..4).prop_map(|(ns, min_pools_up)| Op::PutL7Rule { ns, min_pools_up }),
        1 => ns.clone().prop_map(Op::DelL7Rule),
        3 => (ns.clone(), 0..2usize, 0..HOSTS.len(), proptest::option::of(0..SECRETS.len()), 0u8..5)
            .prop_map(|(ns, name, host, secret, created)| Op::PutSsoRule { ns, name, host, secret, created }),
        1 => (ns.clone(), 0..2usize).prop_map(|(n, i)| Op::DelSsoRule(n, i)),
        1 => (ns.clone(), 0..SERVICES.len()).prop_map(|(n, s)| Op::DelService(n, s)),
        2 => (ns.clone(), 0..SERVICES.len(), 1u8..4).prop_map(|(n, s, ip)| Op::PutSlice(n, s, ip)),
        1 => (ns.clone(), 0..SERVICES.len()).prop_map(|(n, s)| Op::DelSlice(n, s)),
        2 => (ns.clone(), 0..SECRETS.len(), any::<bool>()).prop_map(|(n, s, v)| Op::PutSecret(n, s, v)),
        1 => (ns.clone(), 0..SECRETS.len()).prop_map(|(n, s)| Op::DelSecret(n, s)),
        1 => (ns.clone(), any::<bool>(), any::<bool>(), proptest::option::weighted(0.3, 0..INFRAS.len()))
            .prop_map(|(ns, selected, tenant, infra)| Op::Namespace { ns, selected, tenant, infra }),
        2 => (0..2usize, 0..INFRA_SHARDS.len(), proptest::bool::weighted(0.2))
            .prop_map(|(name, shard, rejected)| Op::PutInfra { name, shard, rejected }),
        1 => (0..2usize).prop_map(Op::DelInfra),
        1 => proptest::option::of(0..INFRAS.len()).prop_map(Op::InfraClass),
        1 => (1u8..4, any::<bool>()).prop_map(|(n, up)| Op::Node(n, up)),
        1 => any::<bool>().prop_map(Op::DefaultClass),
        2 => (
            ns.clone(),
            0..RULES.len(),
            0..RULE_FQDNS.len(),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0..ALIASES.len()),
            any::<bool>(),
            (any::<bool>(), 0u8..5),
        )
            .prop_map(|(ns, name, fqdn, cert, gslb, regex, alias, listener, (l7, created))| Op::PutHostRule {
                ns,
                name,
                fqdn,
                cert,
                gslb,
                regex,
                alias,
                listener,
                l7,
                created
            }),
        1 => (ns.clone(), 0..RULES.len()).prop_map(|(n, r)| Op::DelHostRule(n, r)),
        2 => (ns.clone(), 0..RULES.len(), 0..HOSTS.len() - 1, any::<bool>(), 0u8..5)
            .prop_map(|(ns, name, host, target, created)| Op::PutHttpRule { ns, name, host, target, created }),
        1 => (ns.clone(), 0..RULES.len()).prop_map(|(n, r)| Op::DelHttpRule(n, r)),
        3 => (
            ns.clone(),
            0..ROUTES.len(),
            0..HOSTS.len(),
            proptest::collection::vec((0..SERVICES.len(), 0u8..3), 1..3),
            0..ROUTE_TLS.len(),
            0..ROUTE_POLICIES.len(),
            proptest::option::weighted(0.2, 0..INFRAS.len()),
        )
            .prop_map(|(ns, name, host, backends, tls, policy, infra)| Op::PutRoute { ns, name, host, backends, tls, policy, infra }),
        1 => (ns, 0..ROUTES.len()).prop_map(|(n, r)| Op::DelRoute(n, r)),
        1 => proptest::option::of(any::<bool>()).prop_map(Op::RouterCerts),
        1 => (any::<bool>(), proptest::option::weighted(0.3, 0..INFRAS.len()))
            .prop_map(|(ours, infra)| Op::GatewayClass { ours, infra }),
        3 => (0..NS.len(), 0..GATEWAYS.len(), proptest::bool::weighted(0.9), 0..GATEWAY_LISTENERS, 0..SECRETS.len(), proptest::bool::weighted(0.2))
            .prop_map(|(ns, name, classed, listener, secret, dedicated)| Op::PutGateway { ns, name, classed, listener, secret, dedicated }),
        1 => (0..NS.len(), 0..GATEWAYS.len()).prop_map(|(n, g)| Op::DelGateway(n, g)),
        3 => (
            0..NS.len(),
            0..HTTP_ROUTES.len(),
            (0..NS.len(), 0..GATEWAYS.len()),
            proptest::option::of(0..HOSTS.len() - 1),
            proptest::collection::vec((0..SERVICES.len(), proptest::bool::weighted(0.2), 0u8..3), 0..3),
        )
            .prop_map(|(ns, name, parent, host, backends)| Op::PutHttpRoute { ns, name, parent, host, backends }),
        1 => (0..NS.len(), 0..HTTP_ROUTES.len()).prop_map(|(n, r)| Op::DelHttpRoute(n, r)),
        1 => (0..NS.len()).prop_map(Op::PutGrant),
        1 => (0..NS.len()).prop_map(Op::DelGrant),
    ]
}

fn key(ns: usize, name: &str) -> NsName {
    NsName::new(NS[ns], name)
}

/// An SSORule's spec for `host`: OAuth with the client secret in Secret `secret`, or SAML.
fn sso_spec(host: &str, secret: Option<usize>) -> Value {
    match secret {
        Some(s) => json!({"fqdn": host, "ssoPolicyRef": "sso",
            "oauthVsConfig": {"oauthSettings": [{"authProfileRef": "auth",
                "appSettings": {"clientID": "app", "clientSecret": SECRETS[s]}}]}}),
        None => json!({"fqdn": host, "ssoPolicyRef": "sso",
            "samlSpConfig": {"authnReqAcsType": "SAML_AUTHN_REQ_ACS_TYPE_NONE",
                "entityID": "https://sp", "singleSignonURL": "https://sp/acs"}}),
    }
}

fn load(snap: &mut Snapshot, doc: Value) {
    load_document(snap, doc).expect("generated documents are valid");
}

/// Apply `op` to the snapshot; the object to tell the index about.
fn apply(snap: &mut Snapshot, op: &Op) -> (Kind, NsName) {
    match op {
        Op::PutIngress {
            ns,
            name,
            rules,
            tls,
            class,
            created,
        } => {
            let rules: Vec<Value> = rules
                .iter()
                .map(|(h, s)| {
                    json!({"host": HOSTS[*h], "http": {"paths": [{"path": "/", "pathType": "Prefix",
                        "backend": {"service": {"name": SERVICES[*s], "port": {"number": 80}}}}]}})
                })
                .collect();
            let mut spec = json!({ "rules": rules });
            if let Some(c) = CLASSES[*class] {
                spec["ingressClassName"] = json!(c);
            }
            if let Some((h, s)) = tls {
                spec["tls"] = json!([{"hosts": [HOSTS[*h]], "secretName": SECRETS[*s]}]);
            }
            load(
                snap,
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": INGRESSES[*name], "namespace": NS[*ns],
                    "creationTimestamp": format!("2026-01-01T00:00:0{created}Z")},
                "spec": spec}),
            );
            (Kind::Ingress, key(*ns, INGRESSES[*name]))
        }
        Op::DelIngress(ns, name) => {
            snap.ingresses.remove(&key(*ns, INGRESSES[*name]));
            (Kind::Ingress, key(*ns, INGRESSES[*name]))
        }
        Op::PutService {
            ns,
            name,
            lb,
            shared,
            port,
            infra,
            l4rule,
        } => {
            let mut svc = json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": SERVICES[*name], "namespace": NS[*ns], "annotations": {}},
                "spec": {"type": if *lb {"LoadBalancer"} else {"ClusterIP"},
                    "ports": [{"name": "web", "port": port, "targetPort": 8080, "protocol": "TCP", "nodePort": 30000 + port}]}});
            let group = [None, Some("grp"), Some("lb0")][*shared];
            if let Some(g) = group {
                svc["metadata"]["annotations"]["ako.vmware.com/enable-shared-vip"] = json!(g);
            }
            if let Some(i) = infra {
                svc["metadata"]["annotations"]["aviinfrasetting.ako.vmware.com/name"] = json!(INFRAS[*i]);
            }
            if *l4rule {
                svc["metadata"]["annotations"]["ako.vmware.com/l4rule"] = json!("l4r");
            }
            load(snap, svc);
            (Kind::Service, key(*ns, SERVICES[*name]))
        }
        Op::DelService(ns, name) => {
            snap.remove::<k8s_openapi::api::core::v1::Service>(&key(*ns, SERVICES[*name]));
            (Kind::Service, key(*ns, SERVICES[*name]))
        }
        Op::PutSlice(ns, svc, ip) => {
            load(
                snap,
                json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{}-x", SERVICES[*svc]), "namespace": NS[*ns],
                    "labels": {"kubernetes.io/service-name": SERVICES[*svc]}},
                "addressType": "IPv4", "ports": [{"name": "web", "port": 8080}],
                "endpoints": (1..=*ip).map(|i| json!({"addresses": [format!("10.0.{ns}.{i}")], "conditions": {"ready": true}, "nodeName": format!("n{i}")})).collect::<Vec<_>>()}),
            );
            (Kind::EndpointSlice, key(*ns, &format!("{}-x", SERVICES[*svc])))
        }
        Op::DelSlice(ns, svc) => {
            let k = key(*ns, &format!("{}-x", SERVICES[*svc]));
            snap.remove_endpoint_slice(&k);
            (Kind::EndpointSlice, k)
        }
        Op::PutSecret(ns, name, valid) => {
            let (crt, k) = if *valid {
                (
                    "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                    "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
                )
            } else {
                ("garbage", "garbage")
            };
            load(
                snap,
                json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": SECRETS[*name], "namespace": NS[*ns]},
                "stringData": {"tls.crt": crt, "tls.key": k, "clientSecret": if *valid { "s3cr3t" } else { "" }}}),
            );
            (Kind::Secret, key(*ns, SECRETS[*name]))
        }
        Op::PutRoute {
            ns,
            name,
            host,
            backends,
            tls,
            policy,
            infra,
        } => {
            let target = |(s, w): &(usize, u8)| json!({"kind": "Service", "name": SERVICES[*s], "weight": w * 50});
            let mut spec = json!({"to": target(&backends[0]), "path": "/"});
            match HOSTS[*host] {
                "" => spec["subdomain"] = json!("sub"),
                h => spec["host"] = json!(h),
            }
            if backends.len() > 1 {
                spec["alternateBackends"] = backends[1..].iter().map(target).collect();
            }
            if let Some((termination, own)) = ROUTE_TLS[*tls] {
                let mut t = json!({"termination": termination});
                if !ROUTE_POLICIES[*policy].is_empty() {
                    t["insecureEdgeTerminationPolicy"] = json!(ROUTE_POLICIES[*policy]);
                }
                if own {
                    t["certificate"] = json!("-----BEGIN CERTIFICATE-----\nr\n-----END CERTIFICATE-----\n");
                    t["key"] = json!("-----BEGIN PRIVATE KEY-----\nr\n-----END PRIVATE KEY-----\n");
                }
                spec["tls"] = t;
            }
            let mut meta = json!({"name": ROUTES[*name], "namespace": NS[*ns]});
            if let Some(i) = infra {
                meta["annotations"] = json!({"aviinfrasetting.ako.vmware.com/name": INFRAS[*i]});
            }
            load(
                snap,
                json!({"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": meta, "spec": spec}),
            );
            (Kind::Route, key(*ns, ROUTES[*name]))
        }
        Op::DelRoute(ns, name) => {
            snap.routes.remove(&key(*ns, ROUTES[*name]));
            (Kind::Route, key(*ns, ROUTES[*name]))
        }
        Op::RouterCerts(state) => {
            let key = NsName::new("avi-system", "router-certs-default");
            match state {
                None => {
                    snap.secrets.remove(&key);
                }
                Some(valid) => {
                    let crt = if *valid {
                        "-----BEGIN CERTIFICATE-----\nd\n-----END CERTIFICATE-----\n"
                    } else {
                        "garbage"
                    };
                    load(
                        snap,
                        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                            "metadata": {"name": "router-certs-default", "namespace": "avi-system"},
                            "stringData": {"tls.crt": crt, "tls.key": "-----BEGIN PRIVATE KEY-----\nd\n-----END PRIVATE KEY-----\n"}}),
                    );
                }
            }
            (Kind::Secret, key)
        }
        Op::DelSecret(ns, name) => {
            snap.secrets.remove(&key(*ns, SECRETS[*name]));
            (Kind::Secret, key(*ns, SECRETS[*name]))
        }
        Op::Namespace {
            ns,
            selected,
            tenant,
            infra,
        } => {
            let mut doc = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS[*ns],
                "labels": {"serve": if *selected {"yes"} else {"no"}}, "annotations": {}}});
            if *tenant {
                doc["metadata"]["annotations"]["ako.vmware.com/tenant-name"] = json!(format!("t-{}", NS[*ns]));
            }
            if let Some(i) = infra {
                doc["metadata"]["annotations"]["aviinfrasetting.ako.vmware.com/name"] = json!(INFRAS[*i]);
            }
            load(snap, doc);
            (Kind::Namespace, NsName::cluster(NS[*ns]))
        }
        Op::PutInfra { name, shard, rejected } => {
            let mut spec = json!({"seGroup": {"name": format!("seg-{name}")},
                "network": {"vipNetworks": [{"networkName": format!("net-{name}")}], "enableRhi": !*rejected,
                    "bgpPeerLabels": ["peer"]}});
            if let Some(size) = INFRA_SHARDS[*shard] {
                spec["l7Settings"] = json!({"shardSize": size});
            }
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "AviInfraSetting",
                    "metadata": {"name": INFRAS[*name]}, "spec": spec}),
            );
            (Kind::AviInfraSetting, NsName::cluster(INFRAS[*name]))
        }
        Op::DelInfra(name) => {
            snap.remove::<ako_translate::crds::AviInfraSetting>(&NsName::cluster(INFRAS[*name]));
            (Kind::AviInfraSetting, NsName::cluster(INFRAS[*name]))
        }
        Op::PutL4Rule { ns, round_robin, valid } => {
            let algorithm = if *round_robin {
                "LB_ALGORITHM_ROUND_ROBIN"
            } else {
                "LB_ALGORITHM_CONSISTENT_HASH"
            };
            let mut backend =
                json!({"port": 80, "protocol": "TCP", "lbAlgorithm": algorithm, "healthMonitorRefs": ["hm"]});
            if *valid && !*round_robin {
                backend["lbAlgorithmHash"] = json!("LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS");
            }
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "L4Rule",
                    "metadata": {"name": "l4r", "namespace": NS[*ns]},
                    "spec": {"backendProperties": [backend], "performanceLimits": {"maxThroughput": 10}}}),
            );
            (Kind::L4Rule, key(*ns, "l4r"))
        }
        Op::PutL7Rule { ns, min_pools_up } => {
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "L7Rule",
                    "metadata": {"name": "l7r", "namespace": NS[*ns]},
                    "spec": {"minPoolsUp": min_pools_up, "ignPoolNetReach": true,
                             "applicationProfile": {"kind": "AviRef", "name": "app"}}}),
            );
            (Kind::L7Rule, key(*ns, "l7r"))
        }
        Op::PutSsoRule {
            ns,
            name,
            host,
            secret,
            created,
        } => {
            let name = format!("sso-{name}");
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "SSORule",
                    "metadata": {"name": name, "namespace": NS[*ns],
                        "creationTimestamp": format!("2026-01-01T00:00:0{created}Z")},
                    "spec": sso_spec(HOSTS[*host], *secret)}),
            );
            (Kind::SsoRule, key(*ns, &name))
        }
        Op::DelSsoRule(ns, name) => {
            let name = format!("sso-{name}");
            snap.remove::<ako_translate::crds::SsoRule>(&key(*ns, &name));
            (Kind::SsoRule, key(*ns, &name))
        }
        Op::DelL7Rule(ns) => {
            snap.remove::<ako_translate::crds::L7Rule>(&key(*ns, "l7r"));
            (Kind::L7Rule, key(*ns, "l7r"))
        }
        Op::DelL4Rule(ns) => {
            snap.remove::<ako_translate::crds::L4Rule>(&key(*ns, "l4r"));
            (Kind::L4Rule, key(*ns, "l4r"))
        }
        Op::InfraClass(infra) => {
            let mut spec = json!({"controller": "ako.vmware.com/avi-lb"});
            if let Some(i) = infra {
                spec["parameters"] =
                    json!({"apiGroup": "ako.vmware.com", "kind": "AviInfraSetting", "name": INFRAS[*i]});
            }
            load(
                snap,
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                    "metadata": {"name": "infra-class"}, "spec": spec}),
            );
            (Kind::IngressClass, NsName::cluster("infra-class"))
        }
        Op::Node(n, up) => {
            let name = format!("n{n}");
            if *up {
                load(
                    snap,
                    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                    "status": {"addresses": [{"type": "InternalIP", "address": format!("192.168.0.{n}")}]}}),
                );
            } else {
                snap.nodes.remove(&NsName::cluster(&name));
            }
            (Kind::Node, NsName::cluster(name))
        }
        Op::PutHostRule {
            ns,
            name,
            fqdn,
            cert,
            gslb,
            regex,
            alias,
            listener,
            l7,
            created,
        } => {
            let (f, t) = RULE_FQDNS[*fqdn];
            let mut vh = json!({"fqdn": f, "fqdnType": t, "wafPolicy": "waf", "enableVirtualHost": true});
            match cert {
                1 => vh["tls"] = json!({"sslKeyCertificate": {"name": "cert", "type": "ref"}}),
                2 => vh["tls"] = json!({"sslKeyCertificate": {"name": SECRETS[0], "type": "secret"}}),
                _ => {}
            }
            if *gslb {
                vh["gslb"] = json!({"fqdn": "shop.gslb.example"});
            }
            if *regex {
                vh["useRegex"] = json!(true);
                vh["applicationRootPath"] = json!("/app");
            }
            if let Some(a) = alias {
                vh["aliases"] = json!([ALIASES[*a]]);
            }
            if *l7 {
                vh["l7Rule"] = json!("l7r");
            }
            if *listener {
                vh["tcpSettings"] =
                    json!({"listeners": [{"port": 8443, "enableSSL": true}], "loadBalancerIP": "10.9.9.9"});
            }
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule",
                    "metadata": {"name": RULES[*name], "namespace": NS[*ns],
                        "creationTimestamp": format!("2026-01-01T00:00:0{created}Z")},
                    "spec": {"virtualhost": vh}}),
            );
            (Kind::HostRule, key(*ns, RULES[*name]))
        }
        Op::DelHostRule(ns, name) => {
            snap.remove_host_rule(&key(*ns, RULES[*name]));
            (Kind::HostRule, key(*ns, RULES[*name]))
        }
        Op::PutHttpRule {
            ns,
            name,
            host,
            target,
            created,
        } => {
            load(
                snap,
                json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "HTTPRule",
                    "metadata": {"name": RULES[*name], "namespace": NS[*ns],
                        "creationTimestamp": format!("2026-01-01T00:00:0{created}Z")},
                    "spec": {"fqdn": HOSTS[*host], "paths": [{"target": if *target { "/" } else { "/x" },
                        "healthMonitors": ["hm"], "loadBalancerPolicy": {"algorithm": "LB_ALGORITHM_LEAST_CONNECTIONS"}}]}}),
            );
            (Kind::HttpRule, key(*ns, RULES[*name]))
        }
        Op::DelHttpRule(ns, name) => {
            snap.remove_http_rule(&key(*ns, RULES[*name]));
            (Kind::HttpRule, key(*ns, RULES[*name]))
        }
        Op::GatewayClass { ours, infra } => {
            let controller = if *ours {
                "ako.vmware.com/avi-lb"
            } else {
                "example.com/other"
            };
            let mut spec = json!({"controllerName": controller});
            if let Some(i) = infra {
                spec["parametersRef"] =
                    json!({"group": "ako.vmware.com", "kind": "AviInfraSetting", "name": INFRAS[*i]});
            }
            load(
                snap,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                    "metadata": {"name": "gwc"}, "spec": spec}),
            );
            (Kind::GatewayClass, NsName::cluster("gwc"))
        }
        Op::PutGateway {
            ns,
            name,
            classed,
            listener,
            secret,
            dedicated,
        } => {
            let other = NS[1 - *ns];
            let listener = match listener {
                0 => json!({"name": "l", "protocol": "HTTP", "port": 80}),
                1 => json!({"name": "l", "protocol": "HTTP", "port": 80, "hostname": "*.avi.internal"}),
                2 => json!({"name": "l", "protocol": "HTTPS", "port": 443, "hostname": "a.avi.internal",
                    "tls": {"certificateRefs": [{"name": SECRETS[*secret]}]}}),
                _ => json!({"name": "l", "protocol": "HTTPS", "port": 443,
                    "tls": {"certificateRefs": [{"name": SECRETS[*secret], "namespace": other}]}}),
            };
            let mut metadata = json!({"name": GATEWAYS[*name], "namespace": NS[*ns]});
            if *dedicated {
                metadata["annotations"] = json!({"ako.vmware.com/dedicated-gateway-mode": "true"});
            }
            load(
                snap,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": metadata,
                    "spec": {"gatewayClassName": if *classed { "gwc" } else { "nope" }, "listeners": [listener]}}),
            );
            (Kind::Gateway, key(*ns, GATEWAYS[*name]))
        }
        Op::DelGateway(ns, name) => {
            snap.remove::<ako_translate::gateway::Gateway>(&key(*ns, GATEWAYS[*name]));
            (Kind::Gateway, key(*ns, GATEWAYS[*name]))
        }
        Op::PutHttpRoute {
            ns,
            name,
            parent,
            host,
            backends,
        } => {
            let other = NS[1 - *ns];
            let backends: Vec<Value> = backends
                .iter()
                .map(|(s, elsewhere, weight)| {
                    let mut b = json!({"name": SERVICES[*s], "port": 80, "weight": weight});
                    if *elsewhere {
                        b["namespace"] = json!(other);
                    }
                    b
                })
                .collect();
            let hostnames: Vec<&str> = host.iter().map(|h| HOSTS[*h]).collect();
            load(
                snap,
                json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                    "metadata": {"name": HTTP_ROUTES[*name], "namespace": NS[*ns]},
                    "spec": {"parentRefs": [{"name": GATEWAYS[parent.1], "namespace": NS[parent.0]}],
                        "hostnames": hostnames,
                        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": backends}]}}),
            );
            (Kind::HttpRoute, key(*ns, HTTP_ROUTES[*name]))
        }
        Op::DelHttpRoute(ns, name) => {
            snap.remove::<ako_translate::gateway::HttpRoute>(&key(*ns, HTTP_ROUTES[*name]));
            (Kind::HttpRoute, key(*ns, HTTP_ROUTES[*name]))
        }
        Op::PutGrant(ns) => {
            let other = NS[1 - *ns];
            load(
                snap,
                json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                    "metadata": {"name": "grant", "namespace": NS[*ns]},
                    "spec": {"from": [
                        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": other},
                        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": other}],
                        "to": [{"group": "", "kind": "Service"}, {"group": "", "kind": "Secret"}]}}),
            );
            (Kind::ReferenceGrant, key(*ns, "grant"))
        }
        Op::DelGrant(ns) => {
            snap.remove::<ako_translate::gateway::ReferenceGrant>(&key(*ns, "grant"));
            (Kind::ReferenceGrant, key(*ns, "grant"))
        }
        Op::DefaultClass(default) => {
            load(
                snap,
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": default.to_string()}},
                "spec": {"controller": "ako.vmware.com/avi-lb"}}),
            );
            (Kind::IngressClass, NsName::cluster("avi-lb"))
        }
    }
}

/// `mode`: 0 SNI, 1 EVH, 2 EVH with `vipPerNamespace`.
fn settings(shard: &str, strict: bool, selector: bool, node_port: bool, mode: usize) -> Settings {
    let selector = if selector {
        "  namespaceSelector:\n    labelKey: serve\n    labelValue: \"yes\"\n"
    } else {
        ""
    };
    let evh = [
        "",
        "  enableEVH: true\n",
        "  enableEVH: true\n  vipPerNamespace: true\n",
    ][mode];
    let text = format!(
        "featureGates: {{GatewayAPI: true}}\nAKOSettings:\n  clusterName: inc\n{evh}{selector}NetworkSettings:\n  vipNetworkList: [{{networkName: vip-net}}]\n  defaultDomain: avi.internal\n\
         L7Settings:\n  shardVSSize: {shard}\n  serviceType: {}\n  fqdnReusePolicy: {}\n",
        if node_port { "NodePort" } else { "ClusterIP" },
        if strict { "Strict" } else { "InterNamespaceAllowed" },
    );
    Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
}

/// Re-translate `units` into `desired`.
fn retranslate(
    desired: &mut Desired,
    deps: &Deps,
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    units: &BTreeSet<Unit>,
) {
    let before = desired.view().models.clone();
    let outputs: Vec<_> = units
        .iter()
        .map(|u| (u.clone(), translate_unit(snap, settings, cloud, u, deps.candidates(u))))
        .collect();
    let touched = desired.replace(outputs);
    // Every model that changed is reported (that is what gets synced), and nothing else.
    let after = &desired.view().models;
    let changed: BTreeSet<&ModelKey> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(touched.models.iter().collect::<BTreeSet<_>>(), changed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn touched_units_retranslated_equal_the_whole(
        start in proptest::collection::vec(op(), 0..12),
        changes in proptest::collection::vec(op(), 1..25),
        shard in prop_oneof![Just("LARGE"), Just("SMALL"), Just("DEDICATED")],
        strict in any::<bool>(),
        selector in any::<bool>(),
        node_port in any::<bool>(),
        mode in 0..3usize,
    ) {
        let settings = settings(shard, strict, selector, node_port, mode);
        // Every object rules name exists: their verdicts turn on the rules alone.
        let cloud = CloudFacts { refs: RefCatalog::unchecked(), ..cloud() };
        let mut snap = Snapshot::new();
        // AKO's GatewayClass from the start, so that Gateways are served in most runs.
        apply(&mut snap, &Op::GatewayClass { ours: true, infra: None });
        for op in &start {
            apply(&mut snap, op);
        }
        // Start-up: index and translate everything, unit by unit.
        let mut deps = Deps::build(&snap, &settings, &cloud);
        let mut desired = Desired::new();
        retranslate(&mut desired, &deps, &snap, &settings, &cloud, &deps.all_units());
        prop_assert_eq!(desired.view(), &translate(&snap, &settings, &cloud), "after start-up");

        for (i, op) in changes.iter().enumerate() {
            let (kind, k) = apply(&mut snap, op);
            let units = deps.changed(&snap, &settings, &cloud, kind, &k);
            retranslate(&mut desired, &deps, &snap, &settings, &cloud, &units);
            let whole = translate(&snap, &settings, &cloud);
            prop_assert_eq!(desired.view(), &whole, "after change {} ({:?}) touching {:?}", i, op, units);
        }
    }
}
