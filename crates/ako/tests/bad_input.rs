//! Bad input through `ako plan` (the real binary), table-driven: each case is one bad object next
//! to a good Ingress. The bad one gets a message naming it and what is wrong (and, for what the
//! API server would refuse, the field); the good one is planned all the same; the process exits
//! cleanly (or, for a file that cannot be read at all, fails naming the file). RELIABILITY.md
//! lists the cases with their messages.

use std::process::Command;

/// The good objects every case runs beside.
const BASE: &str = r#"
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

const VALUES: &str = "AKOSettings:\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: [{networkName: vip-net}]\nL7Settings:\n  shardVSSize: SMALL\n";

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

struct Case {
    name: &'static str,
    manifest: String,
    /// Substrings of stderr: the object, and what is wrong.
    says: &'static [&'static str],
    /// `ako plan` exits non-zero (the file cannot be read at all).
    fails: bool,
    /// The bad object still gets Avi objects (as AKO serves it: a pool without servers).
    served: bool,
}

fn case(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        manifest,
        says,
        fails: false,
        served: false,
    }
}

/// A case AKO serves all the same, with the warning.
fn served(name: &'static str, manifest: String, says: &'static [&'static str]) -> Case {
    Case {
        served: true,
        ..case(name, manifest, says)
    }
}

fn cases() -> Vec<Case> {
    let port80 = "{number: 80}";
    let long_host = format!("{}.avi.internal", "a".repeat(64));
    // 253 characters, the most a host may have: AKO's pool name for it is over 255.
    let long_name = format!(
        "{}.{}.{}.{}.avi.internal",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(48)
    );
    vec![
        case("invalid host", ingress("bad_host!.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host", "RFC 1123"]),
        case("upper-case host", ingress("Shop.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        case("non-ASCII host", ingress("bücher.avi.internal", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        case("IP address as host", ingress("10.1.2.3", "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host", "not an IP address"]),
        case("host label over 63 characters", ingress(&long_host, "/", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].host"]),
        case("host outside the cloud's DNS domains", ingress("x.example.org", "/", "Prefix", "web", port80), &["Ingress shop/bad", "x.example.org", "not under any DNS sub-domain"]),
        case("object name over the controller's limit", ingress(&long_name, "/", "Prefix", "web", port80), &["Ingress shop/bad", "over the limit of 255"]),
        case("path without a leading /", ingress("p.avi.internal", "api", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path", "absolute path"]),
        case("path with //", ingress("p.avi.internal", "/a//b", "Prefix", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path", "'//'"]),
        case("path ending in /..", ingress("p.avi.internal", "/a/..", "Exact", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].path"]),
        case("unknown pathType", ingress("p.avi.internal", "/", "Regex", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].pathType", "Unsupported value"]),
        case("no pathType", ingress("p.avi.internal", "/", "null", "web", port80), &["Ingress shop/bad", "spec.rules[0].http.paths[0].pathType", "Required"]),
        served("unknown backend Service", ingress("u.avi.internal", "/", "Prefix", "nosuch", port80), &["Ingress shop/bad", "Service shop/nosuch", "does not exist"]),
        served("backend port name the Service lacks", ingress("n.avi.internal", "/", "Prefix", "web", "{name: metrics}"), &["Ingress shop/bad", "no port named \"metrics\""]),
        served("backend port number the Service lacks", ingress("n.avi.internal", "/", "Prefix", "web", "{number: 81}"), &["Ingress shop/bad", "no port 81"]),
        case("backend port 0", ingress("z.avi.internal", "/", "Prefix", "web", "{number: 0}"), &["Ingress shop/bad", "port.number", "between 1 and 65535"]),
        case("backend port 65536", ingress("z.avi.internal", "/", "Prefix", "web", "{number: 65536}"), &["Ingress shop/bad", "port.number", "between 1 and 65535"]),
        case("backend port name not a valid name", ingress("z.avi.internal", "/", "Prefix", "web", "{name: HTTP_PORT}"), &["Ingress shop/bad", "port.name"]),
        case("TLS Secret missing", tls_ingress(""), &["Ingress shop/bad", "cert"]),
        case(
            "TLS Secret without tls.key",
            tls_ingress("apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: shop}\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}"),
            &["Ingress shop/bad", "cert"],
        ),
        case(
            "TLS Secret not PEM",
            tls_ingress("apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: shop}\ntype: kubernetes.io/tls\nstringData: {tls.crt: not-pem, tls.key: not-pem}"),
            &["Ingress shop/bad", "cert"],
        ),
        case(
            "Ingress of another class",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: shop}\nspec:\n  ingressClassName: nginx\n  rules: [{host: o.avi.internal, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n".into(),
            &[],
        ),
        case(
            "kind ako-rs does not read",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: shop}\ndata: {a: b}\n".into(),
            &["ConfigMap shop/bad is not translated by ako-rs"],
        ),
        Case {
            name: "not YAML",
            manifest: "kind: Ingress\nmetadata: {name: bad\n  : [\n".into(),
            says: &["case.yaml", "not valid YAML"],
            fails: true,
            served: false,
        },
        Case {
            name: "a Service with ports of the wrong type",
            manifest: "apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: shop}\nspec: {ports: 7}\n".into(),
            says: &["case.yaml", "Service shop/bad is not a valid Service"],
            fails: true,
            served: false,
        },
    ]
}

#[test]
fn each_bad_input_is_named_and_the_rest_is_planned() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, VALUES).unwrap();
    let mut report = Vec::new();
    for (n, c) in cases().into_iter().enumerate() {
        let m = dir.path().join(format!("case-{n}"));
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("base.yaml"), BASE).unwrap();
        std::fs::write(m.join("case.yaml"), &c.manifest).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ako"))
            .args(["plan", "--dns-domain", "avi.internal", "-o", "json", "--manifests"])
            .arg(&m)
            .arg("--values")
            .arg(&values)
            .output()
            .expect("run ako plan");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", c.name);
        for s in c.says {
            assert!(stderr.contains(s), "{}: stderr does not say {s:?}:\n{stderr}", c.name);
        }
        if c.fails {
            assert!(!out.status.success(), "{}: exit 0", c.name);
            let said = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
            report.push((c.name, said.to_owned()));
            continue;
        }
        assert!(out.status.success(), "{}: {stderr}", c.name);
        let objects: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
        let named = |what: &str| {
            objects
                .iter()
                .any(|o| o["name"].as_str().is_some_and(|n| n.contains(what)))
        };
        assert!(named("shop-good"), "{}: the good Ingress is not planned", c.name);
        assert_eq!(
            named("shop-bad"),
            c.served,
            "{}: the bad Ingress planned or not",
            c.name
        );
        let said = stderr
            .lines()
            .find(|l| l.contains("bad") && !l.contains("as installed by AKO's chart"))
            .unwrap_or("(no message: not ako-rs's Ingress)");
        report.push((c.name, said.to_owned()));
    }
    // The table RELIABILITY.md shows (printed with --nocapture).
    for (name, said) in &report {
        println!("| {name} | {} |", said.replace('|', "\\|"));
    }
    assert!(report.len() >= 25);
}
