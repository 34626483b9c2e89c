//! The Helm chart `deploy/helm/ako` rendered by the real `helm template` (the binary
//! `scripts/testenv.sh tools` builds; see [`ako_testenv::helm`]) and read back the way `ako run`
//! reads it: the rendered ConfigMap and the StatefulSet's environment through `ChartConfig`
//! must give the same `Settings` as the values file read by the `--values` path; the chart's
//! values.yaml must be AKO's; the objects, RBAC rules, Secret and pod spec are checked; and the
//! rendered manifests are sent to a real kube-apiserver (testenv), whose authorizer is asked
//! whether the ServiceAccount may do what `ako run` does; finally the real `ako` binary runs as
//! the chart's pod would (its environment, its ConfigMap and Secret, the ServiceAccount's token
//! and RBAC) against testenv and avisim, serves a LoadBalancer Service, a TLS Ingress and a
//! HostRule, and the API server's audit log of its calls is compared with what the chart grants
//! (every call granted and listed; every grant called, but those for situations the run does
//! not meet).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ako_translate::settings_env::chart_keys;
use ako_translate::{ChartConfig, Settings, SettingsError, ShardSize, Values};
use serde_json::{Value, json};

/// The release namespace every render uses (the testenv test renders into its own).
const NS: &str = "ako-system";

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako")
}

fn full_values() -> PathBuf {
    chart_dir().join("ci/full-values.yaml")
}

/// `helm template` of the chart: the objects, or helm's error output.
fn try_render(namespace: &str, values: &[&Path], args: &[&str]) -> Result<Vec<Value>, String> {
    let helm = ako_testenv::helm().unwrap_or_else(|e| panic!("no helm: {e:#}"));
    let mut cmd = Command::new(&helm);
    cmd.arg("template")
        .arg("ako")
        .arg(chart_dir())
        .arg("--namespace")
        .arg(namespace);
    for v in values {
        cmd.arg("--values").arg(v);
    }
    cmd.args(args);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", helm.display()));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).expect("helm prints UTF-8");
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("helm's output is not YAML: {e}\n{text}"));
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn render(values: &[&Path], args: &[&str]) -> Vec<Value> {
    try_render(NS, values, args).unwrap_or_else(|e| panic!("helm template failed:\n{e}"))
}

fn kind_of(o: &Value) -> (&str, &str) {
    (
        o["kind"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects.iter().find(|o| kind_of(o) == (kind, name))
}

fn get<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    find(objects, kind, name).unwrap_or_else(|| panic!("no {kind} {name} rendered"))
}

fn configmap_data(objects: &[Value]) -> BTreeMap<String, String> {
    let data = &get(objects, "ConfigMap", "avi-k8s-config")["data"];
    serde_json::from_value(data.clone()).expect("ConfigMap data is a map of strings")
}

fn container(objects: &[Value]) -> &Value {
    let containers = get(objects, "StatefulSet", "ako")["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// The StatefulSet's environment as the kubelet would set it in pod `ako-0`: literal values,
/// ConfigMap references resolved against the rendered ConfigMap (a reference to a missing key
/// would keep the pod from starting), and the downward API.
fn pod_env(objects: &[Value]) -> BTreeMap<String, String> {
    let data = configmap_data(objects);
    let mut env = BTreeMap::new();
    for var in container(objects)["env"].as_array().expect("env") {
        let name = var["name"].as_str().expect("env name").to_owned();
        let value = if let Some(v) = var.get("value") {
            v.as_str().expect("env value is a string").to_owned()
        } else if let Some(r) = var.pointer("/valueFrom/configMapKeyRef") {
            assert_eq!(r["name"], "avi-k8s-config", "{name}");
            let key = r["key"].as_str().expect("key");
            data.get(key)
                .unwrap_or_else(|| panic!("{name} refers to ConfigMap key {key}, which is not rendered"))
                .clone()
        } else if let Some(path) = var.pointer("/valueFrom/fieldRef/fieldPath") {
            match path.as_str() {
                Some("metadata.name") => "ako-0".to_owned(),
                Some("metadata.namespace") => get(objects, "StatefulSet", "ako")["metadata"]["namespace"]
                    .as_str()
                    .expect("namespace")
                    .to_owned(),
                other => panic!("{name}: unexpected fieldRef {other:?}"),
            }
        } else {
            panic!("{name}: unexpected env source {var}");
        };
        assert!(env.insert(name.clone(), value).is_none(), "{name} set twice");
    }
    env
}

/// How `ako run` configures itself in the pod: the ConfigMap over the environment; and each
/// source alone (each must be complete).
fn chart_settings(objects: &[Value]) -> [Result<Settings, Vec<SettingsError>>; 3] {
    let data = configmap_data(objects);
    let env = pod_env(objects);
    let lookup = |name: &str| env.get(name).cloned();
    let both = ChartConfig::new().add_env(lookup).add_configmap(&data).settings();
    let env_only = ChartConfig::new().add_env(lookup).settings();
    let cm_only = ChartConfig::new().add_configmap(&data).settings();
    [both, env_only, cm_only]
}

/// The `--values` path (`ako plan --values`, `ako run --values`): the file alone, ako-rs's
/// defaults for what it leaves out.
fn values_settings(path: &Path) -> Result<Settings, Vec<SettingsError>> {
    let text = std::fs::read_to_string(path).expect("values file");
    let values = Values::from_yaml(&text).map_err(|e| vec![e])?;
    Settings::from_values(&values)
}

fn error_keys(errors: &[SettingsError]) -> BTreeSet<String> {
    errors.iter().map(|e| e.key.clone()).collect()
}

/// Every kind the chart may render, and the ones every render has.
const KINDS: &[&str] = &[
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "StatefulSet",
    "IngressClass",
    "GatewayClass",
    "PodDisruptionBudget",
];

fn check_kinds(objects: &[Value]) {
    for o in objects {
        let (kind, name) = kind_of(o);
        assert!(KINDS.contains(&kind), "unexpected {kind} {name}");
        let cluster_scoped = matches!(
            kind,
            "ClusterRole" | "ClusterRoleBinding" | "IngressClass" | "GatewayClass"
        );
        let ns = o["metadata"]["namespace"].as_str();
        if cluster_scoped {
            assert_eq!(ns, None, "{kind} {name} is cluster-scoped");
        } else {
            assert_eq!(ns, Some(NS), "{kind} {name} in the release namespace");
        }
    }
    let names: BTreeSet<(&str, &str)> = objects.iter().map(kind_of).collect();
    assert_eq!(names.len(), objects.len(), "no object rendered twice");
    for required in [
        ("ServiceAccount", "ako-sa"),
        ("ConfigMap", "avi-k8s-config"),
        ("ClusterRoleBinding", "ako-crb"),
        ("Role", "ako-config"),
        ("RoleBinding", "ako-config"),
        ("StatefulSet", "ako"),
        ("Secret", "avi-controller-trust"),
    ] {
        assert!(names.contains(&required), "{required:?} missing: {names:?}");
    }
}

/// The ConfigMap holds exactly the keys ako-rs reads; the environment sets each key's variable
/// from that key (AKO's names), and nothing ako-rs does not read.
fn check_keys_and_env(objects: &[Value], node_port: bool, t1lr: bool) {
    let data = configmap_data(objects);
    let known: BTreeMap<&str, Option<&str>> = chart_keys().collect();
    let mut expected: BTreeSet<&str> = known.keys().copied().collect();
    if !node_port {
        // As in AKO's chart, the node selector exists only in NodePort mode.
        expected.remove("nodeKey");
        expected.remove("nodeValue");
    }
    let rendered: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(rendered, expected, "ConfigMap keys vs what ako-rs reads");

    let refs: BTreeMap<String, String> = container(objects)["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|v| {
            let key = v.pointer("/valueFrom/configMapKeyRef/key")?.as_str()?;
            Some((v["name"].as_str()?.to_owned(), key.to_owned()))
        })
        .collect();
    for (key, env) in &known {
        let Some(env) = env else { continue };
        let conditional = match *env {
            "NODE_KEY" | "NODE_VALUE" => !node_port,
            "NSXT_T1_LR" => !t1lr,
            _ => false,
        };
        if conditional {
            assert!(!refs.contains_key(*env), "{env} set although its setting is off");
        } else {
            assert_eq!(
                refs.get(*env).map(String::as_str),
                Some(*key),
                "{env} from ConfigMap key {key}"
            );
        }
    }
    for (env, key) in &refs {
        assert_eq!(
            known.get(key.as_str()).copied().flatten(),
            Some(env.as_str()),
            "{env} is not ako-rs's variable for {key}"
        );
    }
    let env = pod_env(objects);
    assert_eq!(env.get("POD_NAMESPACE").map(String::as_str), Some(NS));
    assert_eq!(env.get("POD_NAME").map(String::as_str), Some("ako-0"));
}

/// (API group, resource, verb, namespaced) for everything `ako run` asks of the API server
/// (crates/ako-runtime: watch.rs, cluster.rs, config.rs, controller.rs). `true`: in the release
/// namespace only (its own ConfigMap and Secret).
/// What ako-rs uses: Pods under NodePortLocal, the objects of `cni` (the rendered `cniPlugin`)
/// that give pod CIDRs for static routes.
fn needs(npl: bool, cni: &str) -> Vec<(&'static str, &'static str, &'static str, Option<&'static str>)> {
    let mut needs = vec![];
    let mut watched = vec![
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
        ("", "services"),
        ("discovery.k8s.io", "endpointslices"),
        ("", "namespaces"),
        ("", "nodes"),
        ("", "secrets"),
        ("ako.vmware.com", "hostrules"),
        ("ako.vmware.com", "httprules"),
        ("ako.vmware.com", "l4rules"),
        ("ako.vmware.com", "l7rules"),
        ("ako.vmware.com", "ssorules"),
        ("ako.vmware.com", "aviinfrasettings"),
        ("route.openshift.io", "routes"),
        ("gateway.networking.k8s.io", "gatewayclasses"),
        ("gateway.networking.k8s.io", "gateways"),
        ("gateway.networking.k8s.io", "httproutes"),
        ("gateway.networking.k8s.io", "referencegrants"),
    ];
    if npl {
        watched.push(("", "pods"));
    }
    match cni {
        "calico" => watched.push(("crd.projectcalico.org", "blockaffinities")),
        "openshift" => watched.push(("network.openshift.io", "hostsubnets")),
        "cilium" => watched.push(("cilium.io", "ciliumnodes")),
        _ => {}
    }
    for (group, resource) in watched {
        needs.push((group, resource, "list", None));
        needs.push((group, resource, "watch", None));
    }
    // The data of the TLS Secrets Ingresses name is fetched one by one (the watch is metadata only).
    needs.push(("", "secrets", "get", None));
    needs.extend([
        ("networking.k8s.io", "ingresses/status", "patch", None),
        ("networking.k8s.io", "ingresses", "patch", None),
        ("route.openshift.io", "routes", "patch", None),
        ("route.openshift.io", "routes/status", "patch", None),
        ("gateway.networking.k8s.io", "gatewayclasses/status", "patch", None),
        ("gateway.networking.k8s.io", "gateways/status", "patch", None),
        ("gateway.networking.k8s.io", "httproutes/status", "patch", None),
        ("", "services", "patch", None),
        ("", "services/status", "patch", None),
        ("ako.vmware.com", "hostrules/status", "patch", None),
        ("ako.vmware.com", "httprules/status", "patch", None),
        ("ako.vmware.com", "l4rules/status", "patch", None),
        ("ako.vmware.com", "l7rules/status", "patch", None),
        ("ako.vmware.com", "ssorules/status", "patch", None),
        ("ako.vmware.com", "aviinfrasettings/status", "patch", None),
        ("events.k8s.io", "events", "create", None),
        ("events.k8s.io", "events", "patch", None),
        ("", "configmaps", "get", Some("avi-k8s-config")),
        ("", "configmaps", "list", Some("avi-k8s-config")),
        ("", "configmaps", "watch", Some("avi-k8s-config")),
        ("", "secrets", "get", Some("avi-secret")),
        ("", "secrets", "patch", Some("avi-secret")),
        ("apps", "statefulsets", "patch", Some("ako")),
        ("", "secrets", "get", Some("avi-controller-trust")),
        ("", "secrets", "patch", Some("avi-controller-trust")),
        // Leader election on AKO's Lease; creating it has no name to authorize on (`""`: any
        // name, in the release namespace).
        ("coordination.k8s.io", "leases", "get", Some("ako-lease-lock")),
        ("coordination.k8s.io", "leases", "list", Some("ako-lease-lock")),
        ("coordination.k8s.io", "leases", "watch", Some("ako-lease-lock")),
        ("coordination.k8s.io", "leases", "update", Some("ako-lease-lock")),
        ("coordination.k8s.io", "leases", "create", Some("")),
    ]);
    needs
}

fn rule_allows(rule: &Value, group: &str, resource: &str, verb: &str, name: Option<&str>) -> bool {
    let has = |field: &str, want: &str| {
        rule[field]
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v == want || v == "*"))
    };
    let names_ok = match rule["resourceNames"].as_array() {
        None => true,
        Some(l) if l.is_empty() => true,
        Some(l) => name.is_some_and(|n| l.iter().any(|v| v == n)),
    };
    has("apiGroups", group) && has("resources", resource) && has("verbs", verb) && names_ok
}

fn check_rbac(objects: &[Value], npl: bool) {
    let cni = get(objects, "ConfigMap", "avi-k8s-config")["data"]["cniPlugin"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cluster = get(objects, "ClusterRole", "ako-cr")["rules"]
        .as_array()
        .expect("rules")
        .clone();
    let own = get(objects, "Role", "ako-config")["rules"]
        .as_array()
        .expect("rules")
        .clone();
    for (group, resource, verb, name) in needs(npl, &cni) {
        let rules = if name.is_some() { &own } else { &cluster };
        assert!(
            rules.iter().any(|r| rule_allows(r, group, resource, verb, name)),
            "RBAC does not allow {verb} {group}/{resource} {name:?}"
        );
    }
    // Least privilege: no wildcards, and every (group, resource, verb) granted is a need of that
    // scope: cluster-wide ones in the ClusterRole, the own ConfigMap and Secret by name in the Role.
    for (rules, namespaced) in [(&cluster, false), (&own, true)] {
        for rule in rules {
            for field in ["apiGroups", "resources", "verbs"] {
                assert!(
                    !rule[field].as_array().unwrap().iter().any(|v| v == "*"),
                    "wildcard in {rule}"
                );
            }
            let names: Vec<&str> = rule["resourceNames"]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let strings = |field: &str| -> Vec<&str> {
                rule[field]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect()
            };
            for group in strings("apiGroups") {
                for resource in strings("resources") {
                    for verb in strings("verbs") {
                        let granted = needs(npl, &cni).into_iter().any(|(g, r, v, name)| {
                            (g, r, v) == (group, resource, verb)
                                && match name {
                                    None => !namespaced && names.is_empty(),
                                    Some("") => namespaced && names.is_empty(),
                                    Some(n) => namespaced && names == [n],
                                }
                        });
                        assert!(
                            granted,
                            "RBAC grants {verb} {group}/{resource} {names:?}, which ako-rs does not use"
                        );
                    }
                }
            }
        }
    }
    for binding in [("ClusterRoleBinding", "ako-crb"), ("RoleBinding", "ako-config")] {
        let b = get(objects, binding.0, binding.1);
        assert_eq!(
            b["subjects"],
            json!([{"kind": "ServiceAccount", "name": "ako-sa", "namespace": NS}])
        );
    }
}

fn decoded_secret(objects: &[Value]) -> BTreeMap<String, String> {
    let secret = get(objects, "Secret", "avi-secret");
    let data: BTreeMap<String, String> = serde_json::from_value(secret["data"].clone()).expect("data");
    // Decoding as the API server does: `data` values are base64; parsed through k8s-openapi.
    let typed: k8s_openapi::api::core::v1::Secret = serde_json::from_value(secret.clone()).expect("a Secret");
    let bytes = typed.data.expect("data");
    assert_eq!(bytes.len(), data.len());
    bytes
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v.0).expect("UTF-8")))
        .collect()
}

#[test]
fn default_values_render_akos_objects_and_ako_rs_reads_them_like_the_values_file() {
    let objects = render(&[], &[]);
    check_kinds(&objects);
    check_keys_and_env(&objects, false, false);
    check_rbac(&objects, false);
    // No credentials in the values: no Secret (an existing avi-secret is used).
    assert!(find(&objects, "Secret", "avi-secret").is_none());
    let class = get(&objects, "IngressClass", "avi-lb");
    assert_eq!(class["spec"]["controller"], "ako.vmware.com/avi-lb");
    assert_eq!(
        class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"],
        "true"
    );

    // AKO's defaults lack a VIP network: both paths refuse the same way, naming it.
    let chart_values = chart_dir().join("values.yaml");
    let from_values = values_settings(&chart_values).unwrap_err();
    assert_eq!(
        error_keys(&from_values),
        ["NetworkSettings.vipNetworkList".to_owned()].into()
    );
    for (i, r) in chart_settings(&objects).into_iter().enumerate() {
        let errors = r.unwrap_err();
        assert_eq!(errors.len(), 1, "source {i}: {errors:?}");
        assert!(
            errors[0].key.contains("vipNetworkList") || errors[0].key.contains("VIP_NETWORK_LIST"),
            "{errors:?}"
        );
    }

    // A file with only the VIP network and the cluster name (which ako-rs requires while the
    // chart defaults it to AKO's placeholder my-cluster): identical settings, so every other
    // default of the chart is ako-rs's built-in default.
    let dir = tempfile::tempdir().unwrap();
    let minimal = dir.path().join("values.yaml");
    std::fs::write(
        &minimal,
        "AKOSettings:\n  clusterName: my-cluster\n\
         NetworkSettings:\n  vipNetworkList:\n    - networkName: vip-net\n      cidr: 10.10.10.0/24\n",
    )
    .unwrap();
    let expected = values_settings(&minimal).expect("valid");
    let objects = render(&[&minimal], &[]);
    for (i, r) in chart_settings(&objects).into_iter().enumerate() {
        // The chart sets `logLevel: WARN` where the file says nothing; only the ConfigMap carries
        // it (as for AKO).
        let got = r.expect("valid");
        assert!(
            got.same_for_translation(&expected),
            "source {i} (0: ConfigMap over env, 1: env, 2: ConfigMap): {got:?} != {expected:?}"
        );
        let level = (i != 1).then_some(ako_translate::LogLevel::Warn);
        assert_eq!((got.log_level, got.enable_events), (level, true), "source {i}");
    }
    assert_eq!(expected.cluster_name, "my-cluster");
    assert_eq!(expected.shard_size, ShardSize::Large);
    assert_eq!(expected.api_server_port, 8080);
}

#[test]
fn an_akos_values_file_gives_ako_rs_the_same_settings_through_the_chart() {
    let objects = render(&[&full_values()], &[]);
    check_kinds(&objects);
    check_keys_and_env(&objects, true, false);
    check_rbac(&objects, false);

    let expected = values_settings(&full_values()).expect("the values file is valid");
    for (i, r) in chart_settings(&objects).into_iter().enumerate() {
        let got = r.expect("valid");
        // `logLevel` and `enableEvents` reach ako-rs through the ConfigMap only (as AKO).
        if i == 1 {
            assert!(
                got.same_for_translation(&expected),
                "source 1 (env): {got:?} != {expected:?}"
            );
        } else {
            assert_eq!(got, expected, "source {i} (0: ConfigMap over env, 2: ConfigMap)");
        }
    }
    // The file really moved the settings away from the defaults.
    assert_eq!(expected.cluster_name, "prod-east");
    assert_eq!(
        (expected.cloud_name.as_str(), expected.tenant.as_str()),
        ("vcenter-east", "team-a")
    );
    assert_eq!(expected.shard_size, ShardSize::Medium);
    assert_eq!(expected.node_port_selector, Some(("node-role".into(), "edge".into())));
    assert_eq!(expected.namespace_selector, Some(("ako".into(), "enabled".into())));
    assert_eq!(expected.default_domain.as_deref(), Some("lb.example.com"));
    assert_eq!(expected.controller_host.as_deref(), Some("avi.example.com"));
    assert_eq!(expected.api_server_port, 9090);
    assert_eq!(expected.vip_networks[0].v6cidr, "2001:db8::/64");
    assert!(expected.no_pg_for_sni && expected.enable_rhi && !expected.default_lb_controller);

    // Credentials: the Secret holds what the values say, as ako-rs reads it.
    let secret = decoded_secret(&objects);
    assert_eq!(secret.get("username").map(String::as_str), Some("ako-user"));
    assert_eq!(secret.get("password").map(String::as_str), Some("s3cret: pass"));
    assert!(secret["certificateAuthorityData"].starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(!secret.contains_key("authtoken"));

    // The pod: image, command, port and probes on apiServerPort, resources, hardening.
    let c = container(&objects);
    assert_eq!(c["image"], "registry.example.com/ako-rs:1.2.3");
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["command"], json!(["/usr/local/bin/ako"]));
    assert_eq!(c["args"], json!(["run"]));
    assert_eq!(
        c["ports"],
        json!([{"name": "admin", "containerPort": 9090, "protocol": "TCP"}])
    );
    assert_eq!(
        c["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "admin"})
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "admin"})
    );
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}})
    );
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsUser"], 1000, "the values' securityContext is kept");
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    let sts = get(&objects, "StatefulSet", "ako");
    let pod = &sts["spec"]["template"];
    assert_eq!(sts["spec"]["replicas"], 1);
    assert_eq!(pod["spec"]["serviceAccountName"], "ako-sa");
    assert_eq!(pod["spec"]["imagePullSecrets"], json!([{"name": "regcred"}]));
    assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["metadata"]["annotations"]["prometheus.io/port"], "9090");
    // defaultIngController "false": the class exists but is not the cluster default.
    let class = get(&objects, "IngressClass", "avi-lb");
    assert!(class["metadata"].get("annotations").is_none(), "{class}");
}

#[test]
fn variants_secondary_instance_node_port_local_token_and_refused_values() {
    // The Gateway API: the primary instance creates GatewayClass avi-lb of AKO's controller.
    assert!(find(&render(&[&full_values()], &[]), "GatewayClass", "avi-lb").is_none());
    let gateway_api = ["--set", "featureGates.GatewayAPI=true"];
    let objects = render(&[&full_values()], &gateway_api);
    check_kinds(&objects);
    let class = get(&objects, "GatewayClass", "avi-lb");
    assert_eq!(class["apiVersion"], "gateway.networking.k8s.io/v1");
    assert_eq!(class["spec"]["controllerName"], "ako.vmware.com/avi-lb");
    assert_eq!(configmap_data(&objects)["gatewayAPI"], "true");
    let secondary = [gateway_api.as_slice(), &["--set", "AKOSettings.primaryInstance=false"]].concat();
    assert!(find(&render(&[&full_values()], &secondary), "GatewayClass", "avi-lb").is_none());

    // A secondary instance: no IngressClass or ClusterRole (the primary's), its own binding.
    let objects = render(&[&full_values()], &["--set", "AKOSettings.primaryInstance=false"]);
    assert!(find(&objects, "IngressClass", "avi-lb").is_none());
    assert!(find(&objects, "ClusterRole", "ako-cr").is_none());
    let binding = get(&objects, "ClusterRoleBinding", &format!("ako-crb-{NS}"));
    assert_eq!(binding["roleRef"]["name"], "ako-cr");
    let [both, ..] = chart_settings(&objects);
    assert!(!both.expect("valid").primary_instance);

    // NodePortLocal: Pods are watched, so granted; the node selector is not rendered.
    let objects = render(
        &[&full_values()],
        &[
            "--set",
            "L7Settings.serviceType=NodePortLocal",
            "--set",
            "AKOSettings.cniPlugin=antrea",
        ],
    );
    check_keys_and_env(&objects, false, false);
    check_rbac(&objects, true);

    // An auth token instead of a password; an NSX-T T1 router reaches the environment.
    let objects = render(
        &[&full_values()],
        &[
            "--set",
            "avicredentials.password=",
            "--set",
            "avicredentials.authtoken=tok-123",
            "--set",
            "NetworkSettings.nsxtT1LR=/infra/tier-1s/t1",
        ],
    );
    let secret = decoded_secret(&objects);
    assert_eq!(secret.get("authtoken").map(String::as_str), Some("tok-123"));
    assert!(!secret.contains_key("password"));
    check_keys_and_env(&objects, true, true);

    // A username alone is not credentials: no Secret, as in AKO's chart.
    let objects = render(&[&full_values()], &["--set", "avicredentials.password="]);
    assert!(find(&objects, "Secret", "avi-secret").is_none());

    // One replica: no PodDisruptionBudget, no anti-affinity.
    let objects = render(&[], &[]);
    assert!(find(&objects, "PodDisruptionBudget", "ako").is_none());
    let pod = &get(&objects, "StatefulSet", "ako")["spec"]["template"]["spec"];
    assert!(pod.get("affinity").is_none(), "{pod}");
    // Three replicas (AKO caps at two; ako-rs elects a leader among any number): spread over
    // nodes, at most one down at a time by a voluntary disruption.
    let objects = render(&[], &["--set", "replicaCount=3"]);
    check_kinds(&objects);
    let sts = get(&objects, "StatefulSet", "ako");
    assert_eq!(sts["spec"]["replicas"], 3);
    let selector = &sts["spec"]["selector"]["matchLabels"];
    let anti = &sts["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
    let term = &anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(&term["labelSelector"]["matchLabels"], selector);
    let pdb = get(&objects, "PodDisruptionBudget", "ako");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], selector);
    // Zero stops the operator (as with AKO's chart); negative is refused.
    let objects = render(&[], &["--set", "replicaCount=0"]);
    assert_eq!(get(&objects, "StatefulSet", "ako")["spec"]["replicas"], 0);
    assert!(find(&objects, "PodDisruptionBudget", "ako").is_none());
    let err = try_render(NS, &[], &["--set", "replicaCount=-1"]).unwrap_err();
    assert!(err.contains("0 or more replicas"), "{err}");
}

/// Every key path of a YAML tree with its value (leaves, and empty maps/lists as leaves).
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                flatten(&format!("{prefix}{k}."), v, out);
            }
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_owned(), v.clone());
        }
    }
}

#[test]
fn the_charts_values_are_akos_key_for_key_and_default_for_default() {
    let read = |p: PathBuf| -> BTreeMap<String, Value> {
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let tree: Value = serde_saphyr::from_str(&text).expect("YAML");
        let mut out = BTreeMap::new();
        flatten("", &tree, &mut out);
        out
    };
    let ours = read(chart_dir().join("values.yaml"));
    let akos = read(ako_testenv::shared_path("reference/ako-chart/values.yaml"));
    // The image is ako-rs's, and its tag can be chosen.
    let differ: BTreeSet<&str> = ["image.repository", "image.tag"].into();
    for (key, value) in &akos {
        if differ.contains(key.as_str()) {
            continue;
        }
        assert_eq!(
            ours.get(key),
            Some(value),
            "values.yaml key {key}: AKO's default is {value}"
        );
    }
    let extra: Vec<&String> = ours.keys().filter(|k| !akos.contains_key(*k)).collect();
    assert_eq!(
        extra,
        [
            "AKOSettings.allowMassDeletion",
            "AKOSettings.massDeletionHoldSeconds",
            "image.tag"
        ],
        "keys AKO's values.yaml does not have"
    );
    assert_eq!(ours["image.repository"], "ako-rs");
}

/// The rendered manifests sent to a real kube-apiserver: every object passes a server-side
/// dry-run create; then the RBAC objects are created for real (the ClusterRole and its binding
/// under a per-test name, cluster-scoped names being shared) and the API server's authorizer is
/// asked, as the ServiceAccount, about every request `ako run` makes.
#[tokio::test]
async fn the_rendered_manifests_are_accepted_and_authorize_what_ako_run_does() {
    use k8s_openapi::api::authorization::v1::{ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec};
    use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
    use kube::core::GroupVersionKind;
    use kube::discovery::pinned_kind;

    let ns = ako_testenv::TestNamespace::new("helm").await;
    let client = ns.client();
    let objects = try_render(
        ns.name(),
        &[&full_values()],
        &[
            "--set",
            "L7Settings.serviceType=NodePortLocal",
            "--set",
            "AKOSettings.cniPlugin=antrea",
            // Highly available: the PodDisruptionBudget is rendered too.
            "--set",
            "replicaCount=3",
        ],
    )
    .unwrap_or_else(|e| panic!("helm template failed:\n{e}"));
    // Cluster-scoped names are shared by every test of this API server (the e2e tests create
    // their own IngressClass avi-lb): suffixed with the test's namespace, references included.
    let suffix = ns.name().to_owned();
    let objects: Vec<Value> = objects
        .into_iter()
        .map(|mut o| {
            match kind_of(&o).0 {
                "ClusterRole" | "IngressClass" => {
                    let name = format!("{}-{suffix}", kind_of(&o).1);
                    o["metadata"]["name"] = json!(name);
                }
                "ClusterRoleBinding" => {
                    let name = format!("{}-{suffix}", kind_of(&o).1);
                    o["metadata"]["name"] = json!(name);
                    o["roleRef"]["name"] = json!(format!("ako-cr-{suffix}"));
                }
                _ => {}
            }
            o
        })
        .collect();

    let api_for = async |o: &Value| {
        let (group, version) = match o["apiVersion"].as_str().unwrap().split_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), o["apiVersion"].as_str().unwrap().to_owned()),
        };
        let gvk = GroupVersionKind::gvk(&group, &version, o["kind"].as_str().unwrap());
        let (ar, caps) = pinned_kind(&client, &gvk).await.expect("a kind the API server serves");
        if caps.scope == kube::discovery::Scope::Namespaced {
            Api::<DynamicObject>::namespaced_with(client.clone(), ns.name(), &ar)
        } else {
            Api::<DynamicObject>::all_with(client.clone(), &ar)
        }
    };
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    for o in &objects {
        let api = api_for(o).await;
        let obj: DynamicObject = serde_json::from_value(o.clone()).expect("an object");
        if let Err(e) = api.create(&dry_run, &obj).await {
            panic!("the API server refuses {:?}: {e}", kind_of(o));
        }
    }

    // Created for real: the RBAC.
    let mut created = Vec::new();
    for o in &objects {
        if !matches!(
            kind_of(o).0,
            "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding" | "ServiceAccount"
        ) {
            continue;
        }
        let api = api_for(o).await;
        let obj: DynamicObject = serde_json::from_value(o.clone()).unwrap();
        api.create(&PostParams::default(), &obj).await.expect("create");
        created.push((api, obj.metadata.name.clone().unwrap()));
    }

    let user = format!("system:serviceaccount:{}:ako-sa", ns.name());
    let reviews: Api<SubjectAccessReview> = Api::all(client.clone());
    let ask = async |group: &str, resource: &str, verb: &str, name: Option<&str>, namespace: Option<&str>| {
        let (resource, subresource) = match resource.split_once('/') {
            Some((r, s)) => (r.to_owned(), Some(s.to_owned())),
            None => (resource.to_owned(), None),
        };
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(user.clone()),
                groups: Some(vec!["system:serviceaccounts".into(), "system:authenticated".into()]),
                resource_attributes: Some(ResourceAttributes {
                    group: Some(group.to_owned()),
                    resource: Some(resource),
                    subresource,
                    verb: Some(verb.to_owned()),
                    name: name.map(str::to_owned),
                    namespace: namespace.map(str::to_owned),
                    ..ResourceAttributes::default()
                }),
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        };
        let r = reviews
            .create(&PostParams::default(), &review)
            .await
            .expect("SubjectAccessReview");
        r.status.is_some_and(|s| s.allowed)
    };
    assert!(find(&objects, "PodDisruptionBudget", "ako").is_some());
    for (group, resource, verb, name) in needs(true, "") {
        // Cluster-wide requests (no namespace); the own ConfigMap and Secret by name in the
        // namespace; a create (`""`) in the namespace without a name.
        let namespace = name.map(|_| ns.name());
        let name = name.filter(|n| !n.is_empty());
        assert!(
            ask(group, resource, verb, name, namespace).await,
            "the API server does not let ako-sa {verb} {group}/{resource} {name:?}"
        );
    }
    // And it is denied what it does not need: a control for the check above.
    assert!(!ask("", "secrets", "create", None, Some(ns.name())).await);
    assert!(!ask("", "configmaps", "get", Some("other"), Some(ns.name())).await);
    assert!(!ask("", "configmaps", "get", Some("avi-k8s-config"), Some("default")).await);

    for (api, name) in created {
        let _ = api.delete(&name, &DeleteParams::default()).await;
    }
    ns.delete().await;
}

/// `ako run` started as the chart's pod: the StatefulSet's arguments and environment, and the
/// API server seen through the ServiceAccount's token, so the chart's RBAC is what it gets.
struct Pod {
    child: std::sync::Mutex<std::process::Child>,
    log: PathBuf,
}

impl support::Watched for Pod {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        self.child.lock().unwrap().try_wait().ok().flatten()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The admin kubeconfig `path` with its user replaced by a bearer token.
fn token_kubeconfig(path: &Path, token: &str) -> String {
    let text = std::fs::read_to_string(path).expect("testenv's kubeconfig");
    let mut config: Value = serde_saphyr::from_str(&text).expect("a kubeconfig");
    config["users"] = json!([{"name": "ako-sa", "user": {"token": token}}]);
    for context in config["contexts"].as_array_mut().expect("contexts") {
        context["context"]["user"] = json!("ako-sa");
    }
    // JSON is YAML: kubeconfig readers take it.
    serde_json::to_string_pretty(&config).unwrap()
}

#[tokio::test]
async fn ako_run_configured_and_authorized_only_by_the_chart_serves_a_load_balancer() {
    use k8s_openapi::api::authentication::v1::TokenRequest;
    use k8s_openapi::api::core::v1::{Secret, Service, ServiceAccount};
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    use k8s_openapi::api::networking::v1::Ingress;
    use kube::api::{Api, DynamicObject, PostParams};
    use kube::discovery::pinned_kind;
    use std::time::Duration;

    const PASSWORD: &str = "Helm-Chart-Pw1";
    const CLUSTER: &str = "helme2e";
    const WAIT: Duration = Duration::from_secs(60);

    let (sim, avi) = support::avisim(PASSWORD).await;
    // An API server of its own, with an audit log of every request: what ako-rs calls is read
    // there and compared with what the chart grants.
    let audit_dir = tempfile::tempdir().unwrap();
    let policy = audit_dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n",
    )
    .unwrap();
    let audit_log = audit_dir.path().join("audit.log");
    let testenv = ako_testenv::TestEnv::start_private(&[
        format!("--audit-policy-file={}", policy.display()),
        format!("--audit-log-path={}", audit_log.display()),
        "--audit-log-mode=blocking".to_owned(),
    ])
    .expect("a testenv with an audit log");
    let client = testenv.client().await.expect("client");
    let ns = support::scoped_namespace_in(&testenv, "helm-e2e").await;
    for crd in std::fs::read_dir(chart_dir().join("crds")).unwrap() {
        ako_testenv::install_crd(&client, crd.unwrap().path())
            .await
            .expect("install the chart's CRDs");
    }

    // An AKO values file: the controller, its credentials and CA, and this test's scope.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    let doc = json!({
        "AKOSettings": {"clusterName": CLUSTER, "namespaceSelector": {"labelKey": "ako-e2e", "labelValue": ns.name()}},
        "NetworkSettings": {"vipNetworkList": [{"networkName": "vip-net"}]},
        "L7Settings": {"shardVSSize": "SMALL"},
        "ControllerSettings": {"controllerHost": sim.url()},
        "avicredentials": {"username": support::USER, "password": PASSWORD, "certificateAuthorityData": sim.ca_pem()},
    });
    std::fs::write(&values, serde_json::to_string(&doc).unwrap()).unwrap();
    let objects = try_render(ns.name(), &[&values], &[]).unwrap_or_else(|e| panic!("helm template failed:\n{e}"));

    // Everything but the StatefulSet (no kubelet here: the test is the kubelet) and the
    // IngressClass (scoped_namespace applied the shared avi-lb); cluster-scoped RBAC under
    // names of this test.
    let suffix = ns.name().to_owned();
    for o in &objects {
        let mut o = o.clone();
        match kind_of(&o).0 {
            "StatefulSet" | "IngressClass" => continue,
            "ClusterRole" => o["metadata"]["name"] = json!(format!("ako-cr-{suffix}")),
            "ClusterRoleBinding" => {
                o["metadata"]["name"] = json!(format!("ako-crb-{suffix}"));
                o["roleRef"]["name"] = json!(format!("ako-cr-{suffix}"));
            }
            _ => {}
        }
        o["metadata"]["namespace"] = json!(ns.name());
        support::create_any(&client, &o)
            .await
            .unwrap_or_else(|e| panic!("create {:?}: {e}", kind_of(&o)));
    }

    // The pod's identity: a token of ako-sa, as the kubelet would mount it.
    let token = Api::<ServiceAccount>::namespaced(client.clone(), ns.name())
        .create_token_request("ako-sa", &PostParams::default(), &TokenRequest::default())
        .await
        .expect("a token for ako-sa")
        .status
        .expect("token status")
        .token;
    let kubeconfig = dir.path().join("ako-sa.kubeconfig");
    std::fs::write(&kubeconfig, token_kubeconfig(testenv.kubeconfig(), &token)).unwrap();

    // The container: the StatefulSet's args after `ako`, its environment resolved as the kubelet
    // would (POD_NAMESPACE = this namespace), nothing else of AKO's from the test's environment.
    let c = container(&objects);
    let args: Vec<String> = serde_json::from_value(c["args"].clone()).unwrap();
    let log = dir.path().join("ako.log");
    let port_file = dir.path().join("ako.port");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ako"));
    cmd.args(&args)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        // Servers in tests listen on loopback only, on a free port.
        .args(["--admin-listen", "127.0.0.1:0", "--admin-port-file"])
        .arg(&port_file)
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for name in ako_translate::settings_env::env_var_names().chain([
        "AKO_CONTROLLER",
        "AKO_CONTROLLER_USERNAME",
        "AKO_CONTROLLER_PASSWORD",
        "POD_NAMESPACE",
        "POD_NAME",
        "KUBECONFIG",
    ]) {
        cmd.env_remove(name);
    }
    let env = pod_env(&objects);
    assert_eq!(env.get("POD_NAMESPACE").map(String::as_str), Some(ns.name()));
    cmd.envs(&env);
    let pod = Pod {
        child: std::sync::Mutex::new(cmd.spawn().expect("start ako run")),
        log,
    };

    let services = ns.api::<Service>();
    let svc: Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
    }))
    .unwrap();
    services
        .create(&PostParams::default(), &svc)
        .await
        .expect("create the Service");
    let slice: EndpointSlice = serde_json::from_value(support::slice("lb-1", "lb", &["10.3.0.1"])).unwrap();
    ns.api::<EndpointSlice>()
        .create(&PostParams::default(), &slice)
        .await
        .expect("create the EndpointSlice");

    // Served: the VS on the controller and the VIP in the Service's status (a status patch
    // the ServiceAccount is allowed), and ready on the admin server.
    let vs_name = format!("{CLUSTER}--{}-lb", ns.name());
    let vs: Value = support::eventually("the L4 VS", WAIT, &pod, || async {
        avi.get_by_name("virtualservice", &vs_name).await.ok()?
    })
    .await;
    assert_eq!(vs["created_by"], format!("ako-{CLUSTER}"));
    support::eventually("the Service status", WAIT, &pod, || async {
        let list = services.get("lb").await.ok()?.status?.load_balancer?.ingress?;
        (!list.is_empty()).then_some(())
    })
    .await;
    let port = support::eventually("the admin port", WAIT, &pod, || async {
        support::read_port(&port_file)
    })
    .await;
    support::eventually("/readyz 200", WAIT, &pod, || async {
        let (status, _) = support::get(port, "/readyz").await?;
        (status == 200).then_some(())
    })
    .await;
    // A TLS Ingress and a HostRule on its host: the Secret fetched, the Ingress's status and
    // annotations, the rule's status, all through the chart's RBAC.
    let host = format!("web.{}.avi.internal", ns.name());
    let secret: Secret = serde_json::from_value(support::tls_secret("web-tls", &host, "kubernetes.io/tls")).unwrap();
    ns.api::<Secret>()
        .create(&PostParams::default(), &secret)
        .await
        .expect("create the Secret");
    let ingress: Ingress = serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"tls": [{"hosts": [host], "secretName": "web-tls"}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "lb", "port": {"number": 80}}}}]}}]}
    }))
    .unwrap();
    ns.api::<Ingress>()
        .create(&PostParams::default(), &ingress)
        .await
        .expect("create the Ingress");
    let (ar, _) = pinned_kind(
        &client,
        &kube::core::GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "HostRule"),
    )
    .await
    .unwrap();
    let host_rules = Api::<DynamicObject>::namespaced_with(client.clone(), ns.name(), &ar);
    let rule: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule", "metadata": {"name": "web"},
        "spec": {"virtualhost": {"fqdn": host, "enableVirtualHost": true}}
    }))
    .unwrap();
    host_rules
        .create(&PostParams::default(), &rule)
        .await
        .expect("create the HostRule");
    support::eventually("the Ingress status and the HostRule Accepted", WAIT, &pod, || async {
        let ing = ns.api::<Ingress>().get("web").await.ok()?;
        let served = !ing.status?.load_balancer?.ingress?.is_empty();
        let rule = host_rules.get("web").await.ok()?;
        (served && rule.data["status"]["status"] == "Accepted").then_some(())
    })
    .await;

    // Nothing it tried was refused by RBAC (events included, which never fail a pass).
    let text = support::Watched::log_text(&pod);
    assert!(
        !text.to_lowercase().contains("forbidden"),
        "a request was forbidden:\n{text}"
    );

    drop(pod);
    check_calls_against_grants(&audit_log, ns.name(), &objects);
    drop(sim);
}

/// The calls ako-sa made (the audit log of the API server) against the chart's grants: every
/// call is one the chart grants and `needs` lists, and every grant was called except those for
/// situations this run does not meet (each with why).
fn check_calls_against_grants(audit_log: &Path, ns: &str, objects: &[Value]) {
    let user = format!("system:serviceaccount:{ns}:ako-sa");
    let text = std::fs::read_to_string(audit_log).expect("the audit log");
    let mut called: BTreeSet<(String, String, String)> = BTreeSet::new();
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).expect("an audit event");
        if e["user"]["username"] != user.as_str() || e["objectRef"].is_null() {
            continue;
        }
        let o = &e["objectRef"];
        let mut resource = o["resource"].as_str().unwrap_or_default().to_owned();
        if let Some(sub) = o["subresource"].as_str() {
            resource = format!("{resource}/{sub}");
        }
        let group = o["apiGroup"].as_str().unwrap_or_default().to_owned();
        let verb = e["verb"].as_str().unwrap_or_default().to_owned();
        assert_ne!(e["responseStatus"]["code"], 403, "forbidden: {line}");
        called.insert((group, resource, verb));
    }
    let cni = get(objects, "ConfigMap", "avi-k8s-config")["data"]["cniPlugin"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let granted: BTreeSet<(String, String, String)> = needs(false, &cni)
        .into_iter()
        .map(|(g, r, v, _)| (g.to_owned(), r.to_owned(), v.to_owned()))
        .collect();
    let unlisted: Vec<_> = called.difference(&granted).collect();
    assert!(
        unlisted.is_empty(),
        "ako-rs called what `needs` does not list: {unlisted:?}"
    );
    // Granted, and called only in situations this run does not meet.
    let elsewhere: BTreeSet<(String, String, String)> = [
        // OpenShift: Routes are listed at start (here: 404, no such API), served only with it.
        ("route.openshift.io", "routes", "watch"),
        ("route.openshift.io", "routes", "patch"),
        ("route.openshift.io", "routes/status", "patch"),
        // Gateway API: watched and written only with featureGates.GatewayAPI (tests/run_e2e_gateway.rs).
        ("gateway.networking.k8s.io", "gatewayclasses", "list"),
        ("gateway.networking.k8s.io", "gatewayclasses", "watch"),
        ("gateway.networking.k8s.io", "gatewayclasses/status", "patch"),
        ("gateway.networking.k8s.io", "gateways", "list"),
        ("gateway.networking.k8s.io", "gateways", "watch"),
        ("gateway.networking.k8s.io", "gateways/status", "patch"),
        ("gateway.networking.k8s.io", "httproutes", "list"),
        ("gateway.networking.k8s.io", "httproutes", "watch"),
        ("gateway.networking.k8s.io", "httproutes/status", "patch"),
        ("gateway.networking.k8s.io", "referencegrants", "list"),
        ("gateway.networking.k8s.io", "referencegrants", "watch"),
        // Rules' statuses: only the kinds with an object here (a HostRule) are written.
        ("ako.vmware.com", "httprules/status", "patch"),
        ("ako.vmware.com", "l4rules/status", "patch"),
        ("ako.vmware.com", "l7rules/status", "patch"),
        ("ako.vmware.com", "ssorules/status", "patch"),
        ("ako.vmware.com", "aviinfrasettings/status", "patch"),
        // An Event patched: only when the same Event repeats.
        ("events.k8s.io", "events", "patch"),
        // The controller credentials: written back only when a token is refreshed or the
        // controller's certificate is pinned (AKO's avi-secret and avi-controller-trust).
        ("", "secrets", "patch"),
    ]
    .into_iter()
    .map(|(g, r, v)| (g.to_owned(), r.to_owned(), v.to_owned()))
    .collect();
    let never: Vec<_> = granted
        .difference(&called)
        .filter(|g| !elsewhere.contains(*g))
        .collect();
    assert!(never.is_empty(), "granted but never called in this run: {never:?}");
}
