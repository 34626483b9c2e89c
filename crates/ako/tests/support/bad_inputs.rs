//! The bad inputs `tests/bad_input.rs` runs through `ako plan` and `tests/run_e2e_bad_input.rs`
//! through `ako run`: each one bad object (an Ingress `shop/bad`, with what it needs) next to a
//! good Ingress.

/// The good objects every case runs beside.
pub const BASE: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80, targetPort: 8080}], selector: {app: web}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: good, namespace: shop}
spec:
  rules:
  - host: good.avi.internal
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
"#;

pub const VALUES: &str = "AKOSettings:\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: [{networkName: vip-net}]\nL7Settings:\n  shardVSSize: SMALL\n";

/// An Ingress `shop/bad` with one rule: `host`, one path `path` of `path_type` to `service`'s
/// `port` (YAML flow text).
fn ingress(host: &str, path: &str, path_type: &str, service: &str, port: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: bad, namespace: shop}}\nspec:\n  rules:\n  \
         - host: \"{host}\"\n    http: {{paths: [{{path: \"{path}\", pathType: {path_type}, backend: {{service: {{name: {service}, port: {port}}}}}}}]}}\n"
    )
}

/// A TLS Ingress `shop/bad` for `tls.avi.internal` with Secret `secret`, and `secret_yaml`.
fn tls_ingress(secret_yaml: &str) -> String {
    format!(
        "{secret_yaml}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: bad, namespace: shop}}\nspec:\n  \
         tls: [{{hosts: [tls.avi.internal], secretName: cert}}]\n  rules:\n  - host: tls.avi.internal\n    \
         http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]}}\n"
    )
}

/// An Ingress `shop/bad` for host `host` whose one path goes to `service` port `port` (a number),
/// with `extra` YAML lines in its spec and `annotations` (YAML flow map).
fn ingress_with(host: &str, service: &str, port: u32, extra: &str, annotations: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: bad, namespace: shop, annotations: {annotations}}}\nspec:\n{extra}  rules:\n  \
         - host: {host}\n    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: {service}, port: {{number: {port}}}}}}}}}]}}\n"
    )
}

/// A Service `name` with `ports` ports (80, 81, …) and `endpoints` ready endpoints in slices of
/// at most 1,000 (the API server's limit per slice).
fn big_service(name: &str, ports: u32, endpoints: u32) -> String {
    let port_list: Vec<String> = (0..ports)
        .map(|i| format!("{{name: p{i}, port: {}, targetPort: {}}}", 80 + i, 8080 + i))
        .collect();
    let mut out = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec: {{ports: [{}], selector: {{app: {name}}}}}\n",
        port_list.join(", ")
    );
    for slice in 0..endpoints.div_ceil(1000) {
        let addresses: Vec<String> = (slice * 1000..endpoints.min((slice + 1) * 1000))
            .map(|i| {
                format!(
                    "{{addresses: [10.{}.{}.{}], conditions: {{ready: true}}}}",
                    20 + i / 65536,
                    (i / 256) % 256,
                    i % 256
                )
            })
            .collect();
        out.push_str(&format!(
            "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: {name}-{slice}, namespace: shop, labels: {{kubernetes.io/service-name: {name}}}}}\n\
             addressType: IPv4\nports: [{{name: p0, port: 8080, protocol: TCP}}]\nendpoints: [{}]\n",
            addresses.join(", ")
        ));
    }
    out
}

/// The Secret `shop/cert` of `type_` with PEM `crt` and `key`.
fn pem_secret(type_: &str, crt: &str, key: &str) -> String {
    let indent = |pem: &str| pem.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: cert, namespace: shop}}\ntype: {type_}\nstringData:\n  tls.crt: |\n{}\n  tls.key: |\n{}",
        indent(crt),
        indent(key)
    )
}

/// A HostRule `shop/<name>` with `virtualhost` fields (YAML lines, indented 4).
fn host_rule(name: &str, virtualhost: &str) -> String {
    format!(
        "apiVersion: ako.vmware.com/v1beta1\nkind: HostRule\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  virtualhost:\n{virtualhost}"
    )
}

/// A rule of `kind` (`apiVersion` `version`) `bad`, namespaced in `shop` unless an
/// AviInfraSetting, with `spec` (YAML flow map).
fn rule_object(kind: &str, version: &str, spec: &str) -> String {
    let ns = if kind == "AviInfraSetting" {
        ""
    } else {
        ", namespace: shop"
    };
    format!("apiVersion: ako.vmware.com/{version}\nkind: {kind}\nmetadata: {{name: bad{ns}}}\nspec: {spec}\n")
}

/// An OpenShift Route `shop/bad` with `spec` (YAML flow map).
fn route(spec: &str) -> String {
    format!("apiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {{name: bad, namespace: shop}}\nspec: {spec}\n")
}

/// A good Route beside every Route case (with the Route API present, Ingresses are not served).
pub const GOOD_ROUTE: &str = "apiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {name: good-route, namespace: shop}\n\
                              spec: {host: good-route.avi.internal, to: {kind: Service, name: web}}\n";

/// Whether a case is about an OpenShift Route (run where the Route API is served).
pub fn is_route_case(c: &Case) -> bool {
    c.manifest.contains("kind: Route\n")
}

pub struct Case {
    pub name: &'static str,
    pub manifest: String,
    /// Substrings of stderr: the object, and what is wrong.
    pub says: &'static [&'static str],
    /// `ako plan` exits non-zero (the file cannot be read at all).
    pub fails: bool,
    /// The bad object still gets Avi objects (as AKO serves it: a pool without servers).
    pub served: bool,
    /// The API server refuses it (so `ako run` never sees it).
    pub refused: bool,
    /// The values.yaml instead of [`VALUES`] (a bad setting; the manifest is the good one).
    pub values: Option<String>,
}

fn case(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        manifest,
        says,
        fails: false,
        served: false,
        refused: false,
        values: None,
    }
}

/// A bad values.yaml: `AKOSettings` lines `settings` (indented), the rest as [`VALUES`]; `ako plan`
/// fails naming the key, unless `fails` is false (a warning only).
fn setting(name: &'static str, settings: &str, says: &'static [&'static str], fails: bool) -> Case {
    Case {
        fails,
        values: Some(format!(
            "AKOSettings:\n{settings}NetworkSettings:\n  vipNetworkList: [{{networkName: vip-net}}]\n"
        )),
        ..case(name, String::new(), says)
    }
}

/// A rule (HostRule, HTTPRule, L4Rule, SSORule, AviInfraSetting) `ako run` marks Rejected:
/// `ako plan` says `rejected: <Kind> <name>: <AKO's reason>`.
fn rejected(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    case(name, manifest, says)
}

/// A case the API server refuses (`ako plan` leaves it out, naming the field).
fn refused(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    Case {
        refused: true,
        ..case(name, manifest, says)
    }
}

/// A case AKO serves all the same, with the warning.
fn served(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    Case {
        served: true,
        ..case(name, manifest, says)
    }
}

pub fn cases() -> Vec<Case> {
    let port80 = "{number: 80}";
    // 253 characters, the most a host may have: AKO's pool name for it is over 255.
    let long_name = format!(
        "{}.{}.{}.{}.avi.internal",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(48)
    );
    vec![
        refused("invalid host", ingress("bad_host!.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host", "RFC 1123"]),
        refused("upper-case host", ingress("Shop.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        refused("non-ASCII host", ingress("bücher.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        refused("IP address as host", ingress("10.1.2.3", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host", "not an IP address"]),
        refused("host ending with a dot", ingress("shop.avi.internal.", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        case("host outside the cloud's DNS domains", ingress("x.example.org", "/", "Prefix", "web", port80), &["Ingress shop/bad", "x.example.org", "not under any DNS sub-domain"]),
        case("object name over the controller's limit", ingress(&long_name, "/", "Prefix", "web", port80), &["Ingress shop/bad", "over the limit of 255"]),
        refused("path without a leading /", ingress("p.avi.internal", "api", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path", "absolute path"]),
        refused("path with //", ingress("p.avi.internal", "/a//b", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path", "'//'"]),
        refused("path ending in /..", ingress("p.avi.internal", "/a/..", "Exact", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path"]),
        refused("unknown pathType", ingress("p.avi.internal", "/", "Regex", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].pathType", "Unsupported value"]),
        refused("no pathType", ingress("p.avi.internal", "/", "null", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].pathType", "Required"]),
        served("unknown backend Service", ingress("u.avi.internal", "/", "Prefix", "nosuch", port80), &["Ingress shop/bad", "Service shop/nosuch", "does not exist"]),
        served("backend port name the Service lacks", ingress("n.avi.internal", "/", "Prefix", "web", "{name: metrics}"), &["Ingress shop/bad", "no port named \"metrics\""]),
        served("backend port number the Service lacks", ingress("n.avi.internal", "/", "Prefix", "web", "{number: 81}"), &["Ingress shop/bad", "no port 81"]),
        refused("backend port 0", ingress("z.avi.internal", "/", "Prefix", "web", "{number: 0}"), &["Ingress shop/bad", "spec.rules[0].http.paths[0].backend", "port name or number is required"]),
        refused("backend port 65536", ingress("z.avi.internal", "/", "Prefix", "web", "{number: 65536}"), &["Ingress shop/bad", "port.number", "between 1 and 65535"]),
        refused("backend port name not a valid name", ingress("z.avi.internal", "/", "Prefix", "web", "{name: HTTP_PORT}"), &["Ingress shop/bad", "port.name"]),
        case("TLS Secret missing", tls_ingress(""), &["Ingress shop/bad", "cert"]),
        case(
            // Opaque: the API server refuses a kubernetes.io/tls Secret without it.
            "TLS Secret without tls.key",
            tls_ingress("apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: shop}\ntype: Opaque\nstringData: {tls.crt: x}"),
            &["Ingress shop/bad", "cert"],
        ),
        case(
            "TLS Secret not PEM",
            tls_ingress("apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: shop}\ntype: kubernetes.io/tls\nstringData: {tls.crt: not-pem, tls.key: not-pem}"),
            &["Ingress shop/bad", "cert"],
        ),
        served(
            "TLS Secret of type Opaque with a certificate",
            {
                let (crt, key) = super::certificate("tls.avi.internal");
                tls_ingress(&pem_secret("Opaque", &crt, &key))
            },
            &[],
        ),
        case(
            "TLS key not matching its certificate",
            {
                let ((crt, _), (_, other_key)) = (super::certificate("tls.avi.internal"), super::certificate("x"));
                tls_ingress(&pem_secret("kubernetes.io/tls", &crt, &other_key))
            },
            &["Ingress shop/bad", "cert", "tls.key is not the private key of tls.crt"],
        ),
        served(
            "TLS certificate expired",
            {
                let (crt, key) = super::expired_certificate("tls.avi.internal");
                tls_ingress(&pem_secret("kubernetes.io/tls", &crt, &key))
            },
            &["Ingress shop/bad", "the certificate of Secret shop/cert expired on 2022-01-01T00:00:00Z", "renew it"],
        ),
        served("wildcard host", ingress("*.w.avi.internal", "/", "Prefix", "web", port80), &[]),
        case(
            "rule without http paths",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  rules: [{host: h.avi.internal}]\n".into(),
            &["Ingress shop/bad", "has no http paths"],
        ),
        case(
            "resource backend",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  rules:\n  - host: r.avi.internal\n    \
             http: {paths: [{path: /, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: b}}}]}\n".into(),
            &["Ingress shop/bad", "resource backend", "only service backends"],
        ),
        case(
            "default backend only",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n".into(),
            &["Ingress shop/bad", "spec.defaultBackend is not served", "nothing is served"],
        ),
        served(
            "default backend beside rules",
            ingress_with("db.avi.internal", "web", 80, "  defaultBackend: {service: {name: web, port: {number: 80}}}\n", "{}"),
            &["Ingress shop/bad", "spec.defaultBackend is not served", "the rules are"],
        ),
        served(
            "passthrough annotation neither true nor false",
            ingress_with("pt.avi.internal", "web", 80, "", "{passthrough.ako.vmware.com/enabled: \"yes\"}"),
            &["Ingress shop/bad", "passthrough.ako.vmware.com/enabled", "neither \"true\" nor \"false\""],
        ),
        served(
            "the same path twice with different backends",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  rules:\n  - host: d.avi.internal\n    \
             http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}, \
             {path: /a, pathType: Prefix, backend: {service: {name: nosuch, port: {number: 80}}}}]}\n".into(),
            &["Ingress shop/bad", "listed more than once with different backends", "only the last (Service nosuch port 80)"],
        ),
        served(
            "Service with 1,000 ports",
            format!("{}---\n{}", big_service("wide", 1000, 1), ingress_with("wide.avi.internal", "wide", 1079, "", "{}")),
            &[],
        ),
        served(
            "EndpointSlices with 10,000 endpoints",
            format!("{}---\n{}", big_service("many", 1, 10_000), ingress_with("many.avi.internal", "many", 80, "", "{}")),
            &[],
        ),
        case(
            "Ingress of another class",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  ingressClassName: nginx\n  rules: [{host: o.avi.internal, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n".into(),
            &[],
        ),
        rejected("HostRule: TLS Secret missing", host_rule("bad", "    fqdn: hr1.avi.internal\n    tls: {sslKeyCertificate: {name: nosuch, type: secret}}\n"), &["HostRule shop/bad", "secret \"nosuch\" not found"]),
        rejected(
            "HostRule: an FQDN another HostRule claimed first",
            format!("{}---\n{}", host_rule("a-first", "    fqdn: hr2.avi.internal\n"), host_rule("bad", "    fqdn: hr2.avi.internal\n")),
            &["HostRule shop/bad", "duplicate fqdn hr2.avi.internal found in"],
        ),
        rejected("HostRule: loadBalancerIP not an IP", host_rule("bad", "    fqdn: hr3.avi.internal\n    tcpSettings: {loadBalancerIP: 10.1.2.300}\n"), &["HostRule shop/bad", "loadBalancerIP 10.1.2.300 is not a valid IP"]),
        rejected("HostRule: GSLB FQDN the FQDN itself", host_rule("bad", "    fqdn: hr4.avi.internal\n    gslb: {fqdn: hr4.avi.internal}\n"), &["HostRule shop/bad", "GSLB FQDN and local FQDN are same"]),
        rejected("HostRule: listeners without SSL", host_rule("bad", "    fqdn: hr5.avi.internal\n    tcpSettings: {listeners: [{port: 8080}]}\n"), &["HostRule shop/bad", "must have SSL enabled"]),
        rejected("HostRule: aliases on a wildcard FQDN", host_rule("bad", "    fqdn: hr6.avi.internal\n    fqdnType: Wildcard\n    aliases: [x.avi.internal]\n"), &["HostRule shop/bad", "Aliases is supported only when FQDN type is set as Exact"]),
        rejected("HostRule: the FQDN among its aliases", host_rule("bad", "    fqdn: hr7.avi.internal\n    aliases: [hr7.avi.internal]\n"), &["HostRule shop/bad", "Aliases field has same entry as the FQDN field"]),
        rejected("HostRule: an alias twice", host_rule("bad", "    fqdn: hr8.avi.internal\n    aliases: [y.avi.internal, y.avi.internal]\n"), &["HostRule shop/bad", "Aliases must be unique"]),
        rejected("HostRule: two ICAP profiles", host_rule("bad", "    fqdn: hr9.avi.internal\n    icapProfile: [icap-a, icap-b]\n"), &["HostRule shop/bad", "Can only have 1 ICAP profile"]),
        rejected("HostRule: an L7Rule that does not exist", host_rule("bad", "    fqdn: hr10.avi.internal\n    l7Rule: nosuch\n"), &["HostRule shop/bad", "l7rule.ako.vmware.com \"nosuch\" not found"]),
        rejected("HostRule: useRegex on a shared VS", host_rule("bad", "    fqdn: c1--Shared-L7-0.admin.avi.internal\n    fqdnType: Contains\n    useRegex: true\n"), &["HostRule shop/bad", "cannot be applied to shared virtualservices"]),
        rejected(
            "HostRule: alternate certificate Secret missing",
            host_rule("bad", "    fqdn: hr12.avi.internal\n    tls: {sslKeyCertificate: {name: cert-a, type: ref, alternateCertificate: {name: cert-b, type: secret}}}\n"),
            &["HostRule shop/bad", "secret \"cert-b\" not found"],
        ),
        rejected(
            "HTTPRule: PKI profile and destination CA both",
            "apiVersion: ako.vmware.com/v1beta1\nkind: HTTPRule\nmetadata: {name: bad, namespace: shop}\nspec:\n  fqdn: good.avi.internal\n  paths:\n  - target: /\n    \
             tls: {type: reencrypt, pkiProfile: pki-a, destinationCA: \"-----BEGIN CERTIFICATE-----\"}\n".into(),
            &["HTTPRule shop/bad", "PKIProfile and DestinationCA fields are set"],
        ),
        rejected("AviInfraSetting: BGP peer labels without RHI", rule_object("AviInfraSetting", "v1beta1", "{network: {bgpPeerLabels: [peer-1]}}"), &["AviInfraSetting bad", "BGPPeerLabels cannot be set if EnableRhi is false"]),
        rejected("AviInfraSetting: VIP network CIDR /33", rule_object("AviInfraSetting", "v1beta1", "{network: {vipNetworks: [{networkName: vip-net, cidr: 10.0.0.0/33}]}}"), &["AviInfraSetting bad", "invalid CIDR configuration 10.0.0.0/33"]),
        rejected("AviInfraSetting: listeners without SSL", rule_object("AviInfraSetting", "v1beta1", "{network: {listeners: [{port: 8443}]}}"), &["AviInfraSetting bad", "One of the port in aviInfraSetting must have SSL enabled"]),
        rejected("L4Rule: loadBalancerIP not an IP", rule_object("L4Rule", "v1alpha2", "{loadBalancerIP: 10.1.2.300}"), &["L4Rule shop/bad", "loadBalancerIP 10.1.2.300 is not valid"]),
        rejected(
            "L4Rule: consistent hash without a hash",
            rule_object("L4Rule", "v1alpha2", "{backendProperties: [{port: 80, protocol: TCP, lbAlgorithm: LB_ALGORITHM_CONSISTENT_HASH}]}"),
            &["L4Rule shop/bad", "lbAlgorithmHash must be specified"],
        ),
        rejected(
            "L4Rule: a HealthMonitor CRD",
            rule_object("L4Rule", "v1alpha2", "{backendProperties: [{port: 80, protocol: TCP, healthMonitorCrdRefs: [hm-1]}]}"),
            &["L4Rule shop/bad", "HealthMonitor CRD", "AKO CRD Operator is not enabled"],
        ),
        rejected("L4Rule: revokeVipRoute outside NSX-T", rule_object("L4Rule", "v1alpha2", "{revokeVipRoute: true}"), &["L4Rule shop/bad", "RevokeVipRoute is only supported in NSX-T Cloud"]),
        rejected("SSORule: no SSO policy", rule_object("SSORule", "v1alpha2", "{fqdn: sso2.avi.internal, ssoPolicyRef: \"\", oauthVsConfig: {}}"), &["SSORule shop/bad", "SsoPolicyRef is not specified"]),
        refused(
            "SSORule: neither OAuth nor SAML",
            rule_object("SSORule", "v1alpha2", "{fqdn: sso3.avi.internal, ssoPolicyRef: sso-a}"),
            &["SSORule shop/bad", "one and only one schema (oneOf)"],
        ),
        Case {
            fails: true,
            refused: true,
            ..case(
                "HostRule: fqdnType not one of Exact, Wildcard, Contains",
                host_rule("bad", "    fqdn: hr13.avi.internal\n    fqdnType: Regex\n"),
                &["case.yaml", "HostRule shop/bad is not a valid HostRule", "unknown variant `Regex`"],
            )
        },
        Case {
            fails: true,
            refused: true,
            ..case(
                "HTTPRule: unknown load-balancing algorithm",
                "apiVersion: ako.vmware.com/v1beta1\nkind: HTTPRule\nmetadata: {name: bad, namespace: shop}\nspec:\n  fqdn: good.avi.internal\n  \
                 paths: [{target: /, loadBalancerPolicy: {algorithm: LB_ALGORITHM_NOPE}}]\n".into(),
                &["case.yaml", "HTTPRule shop/bad is not a valid HTTPRule", "unknown variant `LB_ALGORITHM_NOPE`"],
            )
        },
        case("Route: neither host nor subdomain", route("{to: {kind: Service, name: web}}"), &["Route shop/bad", "neither spec.host nor spec.subdomain"]),
        case("Route: host outside the cloud's DNS domains", route("{host: x.example.org, to: {kind: Service, name: web}}"), &["Route shop/bad", "not under any DNS sub-domain"]),
        case(
            "Route: one Service twice",
            route("{host: tw.avi.internal, to: {kind: Service, name: web}, alternateBackends: [{kind: Service, name: web}]}"),
            &["Route shop/bad", "MultipleBackendsWithSameServiceError"],
        ),
        served("Route: backend Service missing", route("{host: ns.avi.internal, to: {kind: Service, name: nosuch}}"), &["Route shop/bad", "Service shop/nosuch", "does not exist"]),
        case(
            "Route: edge without a certificate, no default certificate",
            route("{host: nd.avi.internal, to: {kind: Service, name: web}, tls: {termination: edge}}"),
            &["Route shop/bad", "router-certs-default does not exist"],
        ),
        case(
            "Route: inline certificate not PEM",
            route("{host: cp.avi.internal, to: {kind: Service, name: web}, tls: {termination: edge, certificate: not-pem, key: not-pem}}"),
            &["Route shop/bad", "spec.tls.certificate and spec.tls.key must be PEM"],
        ),
        refused(
            "Route: unknown termination",
            route("{host: tm.avi.internal, to: {kind: Service, name: web}, tls: {termination: bogus}}"),
            &["Route shop/bad", "spec.tls.termination", "Unsupported value"],
        ),
        refused("Route: weight over 256", route("{host: wt.avi.internal, to: {kind: Service, name: web, weight: 300}}"), &["Route shop/bad", "spec.to.weight"]),
        refused(
            "Route: passthrough with a path",
            route("{host: pp.avi.internal, path: /a, to: {kind: Service, name: web}, tls: {termination: passthrough}}"),
            &["Route shop/bad", "a passthrough Route has no path"],
        ),
        refused(
            "Route: passthrough with insecure Allow",
            route("{host: pa.avi.internal, to: {kind: Service, name: web}, tls: {termination: passthrough, insecureEdgeTerminationPolicy: Allow}}"),
            &["Route shop/bad", "cannot have both spec.tls.termination: passthrough and spec.tls.insecureEdgeTerminationPolicy: Allow"],
        ),
        refused("Route: backend not a Service", route("{host: kd.avi.internal, to: {kind: Deployment, name: web}}"), &["Route shop/bad", "spec.to.kind", "Unsupported value"]),
        case(
            "kind ako-rs does not read",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: shop}\ndata: {a: b}\n".into(),
            &["ConfigMap shop/bad is not translated by ako-rs"],
        ),
        setting("values key misspelt", "  clusterName: c1\n  clusterNam: c2\n", &["AKOSettings.clusterNam is not a key", "did you mean AKOSettings.clusterName?"], false),
        setting("values section misspelt", "  clusterName: c1\nL7Setings: {shardVSSize: SMALL}\n", &["L7Setings is not a key", "did you mean L7Settings?"], false),
        setting("clusterName missing", "  cniPlugin: calico\n", &["AKOSettings.clusterName", "is required"], true),
        setting("shardVSSize not a size", "  clusterName: c1\nL7Settings: {shardVSSize: HUGE}\n", &["L7Settings.shardVSSize", "\"HUGE\" is not one of"], true),
        setting("serviceType unknown", "  clusterName: c1\nL7Settings: {serviceType: Bogus}\n", &["L7Settings.serviceType", "\"Bogus\" is not one of"], true),
        setting("fullSyncFrequency not a number", "  clusterName: c1\n  fullSyncFrequency: soon\n", &["AKOSettings.fullSyncFrequency", "number of seconds"], true),
        setting("logLevel unknown", "  clusterName: c1\n  logLevel: LOUD\n", &["AKOSettings.logLevel", "\"LOUD\" is not one of"], true),
        setting("boolean not a boolean", "  clusterName: c1\n  enableEVH: maybe\n", &["AKOSettings.enableEVH", "true or false"], true),
        Case {
            name: "vipNetworkList not a list",
            values: Some("AKOSettings:\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: vip-net\n".into()),
            says: &["line 4", "expected sequence"],
            fails: true,
            ..case("", String::new(), &[])
        },
        Case {
            name: "not YAML",
            manifest: "kind: Ingress\nmetadata: {name: bad\n  : [\n".into(),
            says: &["case.yaml", "not valid YAML"],
            fails: true,
            served: false,
            refused: true,
            values: None,
        },
        Case {
            name: "a Service with ports of the wrong type",
            manifest: "apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: shop}\nspec: {ports: 7}\n".into(),
            says: &["case.yaml", "Service shop/bad is not a valid Service"],
            fails: true,
            served: false,
            refused: true,
            values: None,
        },
    ]
}
