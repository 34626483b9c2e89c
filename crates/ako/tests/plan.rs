//! `ako plan` as a user runs it: the real binary on `examples/`, every output format, and
//! unreadable input failing with the file named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ako"))
        .arg("plan")
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run ako")
}

fn example(output: &str) -> Output {
    plan(&[
        "--manifests",
        "examples/manifests",
        "--values",
        "examples/values.yaml",
        "--dns-domain",
        "avi.internal",
        "-o",
        output,
    ])
}

#[test]
fn json_lists_the_examples_objects_sorted() {
    let out = example("json");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let objects: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let keys: Vec<(String, String, String)> = objects
        .iter()
        .map(|o| {
            (
                o["model"].as_str().unwrap().into(),
                o["type"].as_str().unwrap().into(),
                o["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by (model, type, name)");
    // AKO's names (notes/ako-behaviour.md §2.2) for the example's Ingress (TLS host
    // shop.avi.internal with paths / and /api, insecure host status.avi.internal) on shared
    // parent 0 of SMALL, and its two LoadBalancer Services.
    let l7 = "admin/demo--Shared-L7-0";
    let expected = [
        (l7, "httppolicyset", "demo--Shared-L7-0"),
        (l7, "httppolicyset", "demo--shop-shop.avi.internal"),
        (l7, "pool", "demo--shop-shop.avi.internal_-storefront"),
        (l7, "pool", "demo--shop-shop.avi.internal_api-storefront"),
        (l7, "pool", "demo--status.avi.internal_-shop-storefront"),
        (l7, "poolgroup", "demo--Shared-L7-0"),
        (l7, "poolgroup", "demo--shop-shop.avi.internal_-storefront"),
        (l7, "poolgroup", "demo--shop-shop.avi.internal_api-storefront"),
        (l7, "sslkeyandcertificate", "demo--shop.avi.internal"),
        (l7, "virtualservice", "demo--Shared-L7-0"),
        (l7, "virtualservice", "demo--shop.avi.internal"),
        (l7, "vsdatascriptset", "demo--Shared-L7-0"),
        (l7, "vsvip", "demo--Shared-L7-0"),
        ("admin/demo--shop-payments", "l4policyset", "demo--shop-payments"),
        ("admin/demo--shop-payments", "pool", "demo--shop-payments-TCP-443"),
        ("admin/demo--shop-payments", "pool", "demo--shop-payments-TCP-9443"),
        ("admin/demo--shop-payments", "virtualservice", "demo--shop-payments"),
        ("admin/demo--shop-payments", "vsvip", "demo--shop-payments"),
        ("admin/demo--shop-resolver", "l4policyset", "demo--shop-resolver"),
        ("admin/demo--shop-resolver", "pool", "demo--shop-resolver-UDP-53"),
        ("admin/demo--shop-resolver", "virtualservice", "demo--shop-resolver"),
        ("admin/demo--shop-resolver", "vsvip", "demo--shop-resolver"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(m, t, n)| (m.to_string(), t.to_string(), n.to_string()))
        .collect();
    assert_eq!(keys, expected);
    for o in &objects {
        assert_eq!(o["tenant"], "admin");
        assert_eq!(o["body"]["name"], o["name"]);
    }
    let vs = objects
        .iter()
        .find(|o| o["type"] == "virtualservice" && o["name"] == "demo--shop-resolver")
        .unwrap();
    assert_eq!(vs["body"]["created_by"], "ako-demo");
    assert_eq!(
        vs["body"]["network_profile_ref"],
        "/api/networkprofile/?name=System-UDP-Fast-Path"
    );
    let vip = objects
        .iter()
        .find(|o| o["type"] == "vsvip" && o["name"] == "demo--shop-payments")
        .unwrap();
    assert_eq!(vip["body"]["dns_info"][0]["fqdn"], "payments.shop.avi.internal");
    let child = objects
        .iter()
        .find(|o| o["type"] == "virtualservice" && o["name"] == "demo--shop.avi.internal")
        .unwrap();
    assert_eq!(
        child["body"]["vh_parent_vs_ref"],
        "/api/virtualservice/?name=demo--Shared-L7-0"
    );
    assert_eq!(child["body"]["vh_domain_name"][0], "shop.avi.internal");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("not translated"), "{stderr}");
}

#[test]
fn output_is_identical_across_runs_and_formats_agree() {
    let a = example("json");
    let b = example("json");
    assert_eq!(a.stdout, b.stdout, "deterministic");
    let yaml = example("yaml");
    assert!(yaml.status.success());
    let text = String::from_utf8(yaml.stdout).unwrap();
    assert!(text.contains("objects:") && text.contains("failures:"), "{text}");
    let table = example("table");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("admin/demo--Shared-L7-0\n  virtualservice"), "{text}");
    assert!(text.contains("servers 10.244.1.30:8443, 10.244.2.31:8443"), "{text}");
}

#[test]
fn bad_input_names_the_file_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "kind: Service\nmetadata: {name: a, namespace: b}\nspec: {ports: 7}\n",
    )
    .unwrap();
    let out = plan(&[
        "--manifests",
        dir.path().to_str().unwrap(),
        "--values",
        "examples/values.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.yaml") && stderr.contains("Service b/a is not a valid Service"),
        "{stderr}"
    );

    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "AKOSettings: {clusterName: \"bad name\"}\n").unwrap();
    let out = plan(&[
        "--manifests",
        "examples/manifests",
        "--values",
        values.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AKOSettings.clusterName") && stderr.contains("NetworkSettings.vipNetworkList"),
        "{stderr}"
    );

    let out = plan(&["--manifests", "no/such/dir", "--values", "examples/values.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir is not a directory"));
}

#[test]
fn translation_failures_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let svc = |name: &str, proto: &str| {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns}}\nspec: {{type: LoadBalancer, ports: [{{port: 80, protocol: {proto}}}]}}\n"
        )
    };
    std::fs::write(dir.path().join("svcs.yaml"), svc("good", "TCP") + &svc("odd", "ICMP")).unwrap();
    let out = plan(&[
        "--manifests",
        dir.path().to_str().unwrap(),
        "--values",
        "examples/values.yaml",
        "-o",
        "json",
    ]);
    assert!(out.status.success());
    let objects: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(objects.iter().any(|o| o["name"] == "demo--ns-good"));
    assert!(!objects.iter().any(|o| o["name"].as_str().unwrap().contains("odd")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failure: Service ns/odd"), "{stderr}");
}

/// An application's manifests never hold IngressClass avi-lb: AKO's chart creates it (the
/// cluster's default class when `L7Settings.defaultIngController` is true, its default).
#[test]
fn an_application_directory_is_planned_as_if_ako_s_chart_were_installed() {
    let dir = tempfile::tempdir().unwrap();
    let app = |class: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: app}}\nspec: {{ports: [{{port: 80}}]}}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: app}}\n\
             spec: {{{class}rules: [{{host: web.avi.internal, http: {{paths: [{{path: /, pathType: Prefix,\
             backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]}}}}]}}\n"
        )
    };
    let run = |files: &[(&str, String)], values: &str| {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        let v = dir.path().join("values.yaml");
        std::fs::write(&v, values).unwrap();
        let out = plan(&[
            "--manifests",
            d.path().to_str().unwrap(),
            "--values",
            v.to_str().unwrap(),
            "-o",
            "json",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let objects: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let served = objects.iter().any(|o| o["name"] == "demo--Shared-L7-0");
        (served, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let values = "AKOSettings: {clusterName: demo}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}\n\
                  L7Settings: {shardVSSize: SMALL}\n";
    let note = "note: as installed by AKO's chart: IngressClass avi-lb";

    let (served, stderr) = run(&[("app.yaml", app("ingressClassName: avi-lb, "))], values);
    assert!(served, "{stderr}");
    assert!(stderr.contains(note), "{stderr}");
    assert!(!stderr.contains("does not exist"), "{stderr}");
    // No class: the chart's class is the default one unless defaultIngController is false.
    let (served, _) = run(&[("app.yaml", app(""))], values);
    assert!(served);
    let no_default = values.replace("shardVSSize: SMALL", "shardVSSize: SMALL, defaultIngController: false");
    let (served, _) = run(&[("app.yaml", app(""))], &no_default);
    assert!(!served);
    // Manifests that define avi-lb themselves win, and nothing is added.
    let other = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: avi-lb}\n\
                 spec: {controller: example.com/other}\n"
        .to_owned();
    let (served, stderr) = run(
        &[("app.yaml", app("ingressClassName: avi-lb, ")), ("class.yaml", other)],
        values,
    );
    assert!(!served, "{stderr}");
    assert!(!stderr.contains(note), "{stderr}");
}

#[test]
fn static_routes_are_planned_with_the_nodes_that_get_none() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}\n\
                 status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}\n---\n\
                 apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.2}]}\n";
    std::fs::write(dir.path().join("nodes.yaml"), nodes).unwrap();
    let values_dir = tempfile::tempdir().unwrap();
    let values = values_dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "AKOSettings: {clusterName: demo}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}\n",
    )
    .unwrap();
    let run = |format: &str| {
        let manifests = dir.path().to_str().unwrap();
        let out = plan(&[
            "--manifests",
            manifests,
            "--values",
            values.to_str().unwrap(),
            "-o",
            format,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(
        table.contains("static routes in VRF global\n  10.244.1.0/24 via 10.0.0.1 (n1)\n"),
        "{table}"
    );
    assert!(
        table.contains("no route to Node n2: the Node has no spec.podCIDR"),
        "{table}"
    );
    let yaml = run("yaml");
    assert!(
        yaml.contains("static_routes:") && yaml.contains("route_id: demo-"),
        "{yaml}"
    );
}

#[test]
fn no_output_holds_the_private_key_only_its_fingerprint() {
    // The example's TLS Secret: its key's base64 lines must appear nowhere.
    let manifest = std::fs::read_to_string(repo().join("examples/manifests/shop-tls.yaml")).unwrap();
    let key_lines: Vec<&str> = manifest
        .split("tls.key: |")
        .nth(1)
        .expect("a tls.key")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .take_while(|l| !l.contains(':'))
        .collect();
    assert!(!key_lines.is_empty());
    for format in ["json", "yaml", "table"] {
        let out = example(format);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("PRIVATE KEY-----"), "-o {format}");
        for line in &key_lines {
            assert!(!text.contains(line), "-o {format} shows the key line {line}");
        }
    }
    // The certificate object still says which key: a SHA-256 fingerprint.
    let objects: Vec<Value> = serde_json::from_slice(&example("json").stdout).unwrap();
    let cert = objects
        .iter()
        .find(|o| o["type"] == "sslkeyandcertificate")
        .expect("the TLS host's certificate");
    let shown = cert["body"]["key"].as_str().unwrap();
    let hex = shown
        .strip_prefix("<private key sha256:")
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()), "{shown}");
    assert!(
        cert["body"]["certificate"]["certificate"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
}

/// OpenShift Routes planned offline: the weights shown per pool, a Route that is not served
/// named with why (`testdata/l7/ako_route_policies`, whose objects the golden test pins).
#[test]
fn routes_are_planned_with_their_weights_and_refusals() {
    let case = repo().join("crates/ako-translate/testdata/l7/ako_route_policies");
    // The case's input only (its directory also holds what Go AKO did).
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(case.join("in.yaml"), dir.path().join("in.yaml")).unwrap();
    let out = plan(&[
        "--manifests",
        dir.path().to_str().unwrap(),
        "--values",
        case.join("values.yaml").to_str().unwrap(),
        "--dns-domain",
        "avi.internal",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{text}{stderr}");
    for want in [
        "virtualservice c1--allow.avi.internal",
        "ratio 30: c1--shop-allow.avi.internal-allow-a",
        "ratio 70: c1--shop-allow.avi.internal-allow-b",
        "sslkeyandcertificate c1--router-certs-default",
        "Route shop/twice: MultipleBackendsWithSameServiceError",
    ] {
        assert!(all.contains(want), "{want:?} not in:\n{all}");
    }
}
