//! `ako run` end to end with AKO's HostRule and HTTPRule (issue 14): the chart's CRDs installed
//! in a real kube-apiserver (testenv), avisim over HTTPS, the real `ako` binary.
//!
//! * A HostRule naming a WAF policy and a certificate on the controller reaches the SNI child of
//!   its host; an HTTPRule with a health monitor and re-encryption reaches the pool; both are
//!   Accepted in their status; deleting them restores the plain objects.
//! * A HostRule naming a WAF policy the controller does not have is Rejected (status and a
//!   Warning Event naming it) and changes nothing; once the policy exists on the controller the
//!   next full resync accepts it, without the rule being touched.
//! * A restarted `ako run` writes nothing.
//! * A HostRule taking its certificate from a Secret (`type: secret`) is Rejected while the
//!   Secret is missing, and once it is created serves its insecure host as an SNI child with that
//!   certificate, following the Secret's updates; a HostRule with a GSLB FQDN on an insecure host
//!   gets the parent's host-header rewrite policy, removed with the rule.
//!
//! * An L4Rule's backend properties (health monitor, algorithm) and VS fields (analytics profile)
//!   reach the LoadBalancer Service's pool and VS, and it is Accepted; an edit naming an analytics
//!   profile the controller lacks is Rejected (status, Warning Event) and changes nothing.
//!
//! * In EVH mode, an L7Rule named by a HostRule reaches the host's child; an SSORule brings OAuth
//!   single sign-on with the client secret read from its Secret, follows the Secret's updates,
//!   leaves a no-change resync without writes, and its deletion takes SSO off the child; an
//!   SSORule naming a missing Secret is Rejected.
//!
//! Everything is polled with a deadline.

mod support;

use std::path::Path;
use std::time::Duration;

use avi_client::Client;
use avisim::Avisim;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, avi_object, avi_objects, create, eventually, get, ref_name, sample, scoped_namespace, slice};

const PASSWORD: &str = "Run-Rules-Pw1";
const CLUSTER: &str = "rules";
const WAIT: Duration = Duration::from_secs(60);

/// A rules test's world: its namespace (with the chart's CRDs installed), its avisim and a
/// client of it.
async fn world(prefix: &str) -> (ako_testenv::TestNamespace, Avisim, Client) {
    let ns = scoped_namespace(prefix).await;
    install_crds(&ns.client()).await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    (ns, sim, avi)
}

/// The chart's CRDs, installed once per test binary (idempotent).
async fn install_crds(client: &kube::Client) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/ako/crds");
    for file in [
        "ako.vmware.com_hostrules.yaml",
        "ako.vmware.com_httprules.yaml",
        "ako.vmware.com_l4rules.yaml",
        "ako.vmware.com_l7rules.yaml",
        "ako.vmware.com_ssorules.yaml",
    ] {
        ako_testenv::install_crd(client, dir.join(file))
            .await
            .expect("install the chart's CRD");
    }
}

/// The version a rule kind is written in: L4Rule, L7Rule and SSORule are `v1alpha2` only.
fn alpha2_or_beta1(kind: &str) -> &'static str {
    if matches!(kind, "L4Rule" | "L7Rule" | "SSORule") {
        "v1alpha2"
    } else {
        "v1beta1"
    }
}

fn rule_api(ns: &ako_testenv::TestNamespace, kind: &str) -> Api<DynamicObject> {
    let version = alpha2_or_beta1(kind);
    let gvk = GroupVersionKind::gvk("ako.vmware.com", version, kind);
    let plural = format!("{}s", kind.to_lowercase());
    Api::namespaced_with(
        ns.client(),
        ns.name(),
        &ApiResource::from_gvk_with_plural(&gvk, &plural),
    )
}

/// Create the rule `kind`/`name` with `spec`.
async fn create_rule(ns: &ako_testenv::TestNamespace, kind: &str, name: &str, spec: Value) {
    let version = alpha2_or_beta1(kind);
    let body = json!({"apiVersion": format!("ako.vmware.com/{version}"), "kind": kind, "metadata": {"name": name}, "spec": spec});
    let obj: DynamicObject = serde_json::from_value(body).expect("a rule");
    rule_api(ns, kind)
        .create(&PostParams::default(), &obj)
        .await
        .expect("create the rule");
}

/// Merge `patch` into the rule `kind`/`name`.
async fn patch_rule(ns: &ako_testenv::TestNamespace, kind: &str, name: &str, patch: Value) {
    rule_api(ns, kind)
        .patch(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("update the rule");
}

/// Delete the rule `kind`/`name`.
async fn delete_rule(ns: &ako_testenv::TestNamespace, kind: &str, name: &str) {
    rule_api(ns, kind)
        .delete(name, &DeleteParams::default())
        .await
        .expect("delete the rule");
}

/// `status.status` and `status.error` of a rule, once written.
async fn rule_status(ns: &ako_testenv::TestNamespace, kind: &str, name: &str) -> Option<(String, String)> {
    let obj = rule_api(ns, kind).get(name).await.ok()?;
    let status = obj.data.get("status")?;
    Some((
        status["status"].as_str()?.to_owned(),
        status["error"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// `ako run` (resyncing every `resync` seconds) against `sim`.
fn ako(dir: &Path, name: &str, ns: &str, sim: &Avisim, resync: u64) -> AkoRun {
    let values = support::values_yaml(CLUSTER, ns);
    AkoRun::with_yaml(dir, name, &values, &sim.url(), &sim.ca_pem(), PASSWORD, |cmd| {
        cmd.arg("--resync-seconds").arg(resync.to_string());
    })
}

/// `ako run` in EVH mode (resyncing every 3 seconds) against `sim`.
fn evh_ako(dir: &Path, ns: &str, sim: &Avisim) -> AkoRun {
    let values = support::values_yaml(CLUSTER, ns).replacen("AKOSettings:\n", "AKOSettings:\n  enableEVH: true\n", 1);
    AkoRun::with_yaml(dir, "ako-0", &values, &sim.url(), &sim.ca_pem(), PASSWORD, |cmd| {
        cmd.arg("--resync-seconds").arg("3");
    })
}

/// The EVH child of `host` on the controller (found by what it matches), references with
/// their `#name`.
async fn evh_child(avi: &Client, host: &str) -> Option<Value> {
    avi_objects(avi, "virtualservice")
        .await
        .into_iter()
        .find(|v| v["vh_matches"][0]["host"] == host)
}

/// A Service `web` with one endpoint, a TLS Secret and an Ingress serving `hosts` over TLS.
async fn application(ns: &ako_testenv::TestNamespace, hosts: &[String]) {
    create::<Secret>(ns, support::tls_secret("web-tls", &hosts[0], "kubernetes.io/tls")).await;
    ingress(ns, hosts, json!([{"hosts": hosts, "secretName": "web-tls"}])).await;
}

/// A Service `web` with one endpoint and an Ingress serving `hosts` on `/` (`tls` its TLS entries).
async fn ingress(ns: &ako_testenv::TestNamespace, hosts: &[String], tls: Value) {
    create::<Service>(
        ns,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
    )
    .await;
    create::<EndpointSlice>(ns, slice("web-1", "web", &["10.7.0.1"])).await;
    let rules: Vec<Value> = hosts
        .iter()
        .map(|h| {
            json!({"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}})
        })
        .collect();
    create::<Ingress>(
        ns,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"tls": tls, "rules": rules}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reach_the_controller_and_deleting_them_restores_the_plain_objects() {
    let (ns, sim, avi) = world("run-rules").await;
    // A certificate the controller's administrators own (not ako-rs).
    let host = format!("secure.{}.avi.internal", ns.name());
    let (cert, key) = support::certificate(&host);
    let _: Value = avi
        .create(
            "sslkeyandcertificate",
            &json!({"name": "e2e-cert", "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
                "certificate": {"certificate": cert}, "key": key}),
        )
        .await
        .expect("create the controller's certificate");
    application(&ns, std::slice::from_ref(&host)).await;
    create_rule(
        &ns,
        "HostRule",
        "secure",
        json!({"virtualhost": {"fqdn": host, "wafPolicy": "System-WAF-Policy",
                "tls": {"sslKeyCertificate": {"name": "e2e-cert", "type": "ref"}}}}),
    )
    .await;
    create_rule(
        &ns,
        "HTTPRule",
        "secure",
        json!({"fqdn": host, "paths": [{"target": "/", "healthMonitors": ["System-HTTP"],
                "tls": {"type": "reencrypt", "sslProfile": "System-Standard"}}]}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), "ako-0", ns.name(), &sim, 0);

    let child = format!("{CLUSTER}--{host}");
    let pool = format!("{CLUSTER}--{}-{host}_-web", ns.name());
    let vs = eventually("the HostRule on the SNI child", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &child).await?;
        (ref_name(&vs["waf_policy_ref"]) == Some("System-WAF-Policy")).then_some(vs)
    })
    .await;
    let certs: Vec<&str> = vs["ssl_key_and_certificate_refs"]
        .as_array()
        .expect("certificates")
        .iter()
        .filter_map(ref_name)
        .collect();
    assert_eq!(
        certs,
        ["e2e-cert"],
        "the controller's certificate replaces the Secret's"
    );
    assert!(
        avi_object(&avi, "sslkeyandcertificate", &child).await.is_none(),
        "no certificate is made of the Secret"
    );
    let p = eventually("the HTTPRule on the pool", WAIT, &run, || async {
        let p = avi_object(&avi, "pool", &pool).await?;
        (p["sni_enabled"] == true).then_some(p)
    })
    .await;
    assert_eq!(ref_name(&p["ssl_profile_ref"]), Some("System-Standard"));
    let hms: Vec<&str> = p["health_monitor_refs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(ref_name)
        .collect();
    assert_eq!(hms, ["System-HTTP"]);
    for kind in ["HostRule", "HTTPRule"] {
        let status = eventually("the rule Accepted", WAIT, &run, || rule_status(&ns, kind, "secure")).await;
        assert_eq!(status, ("Accepted".to_owned(), String::new()), "{kind}");
    }
    // No label on the SE group: AKO labels it only where it routes to pods, and these values
    // turn static routes off (disableStaticRouteSync); run_config_e2e and run_e2e_infra see it
    // labelled with them on.
    let group = avi_object(&avi, "serviceenginegroup", "Default-Group")
        .await
        .expect("the SE group");
    assert!(group["labels"].as_array().is_none_or(|l| l.is_empty()), "{group}");

    // A restart writes nothing: the bodies and checksums are what the controller holds.
    let port = run.admin_port(WAIT).await;
    eventually("a converged pass", WAIT, &run, || async {
        let (_, text) = get(port, "/metrics").await?;
        (sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")? >= 1.0).then_some(())
    })
    .await;
    drop(run);
    sim.reset_counters();
    let run = ako(dir.path(), "ako-1", ns.name(), &sim, 0);
    let port = run.admin_port(WAIT).await;
    eventually("the restarted run converged", WAIT, &run, || async {
        let (_, text) = get(port, "/metrics").await?;
        (sample(&text, "ako_reconcile_passes_total{result=\"converged\"}")? >= 1.0).then_some(())
    })
    .await;
    assert_eq!(
        sim.counters().writes(),
        0,
        "no writes after a restart: {:?}\n{}",
        sim.counters(),
        run.log_text()
    );

    // Deleting the rules restores the plain objects: the Secret's certificate, no WAF, the
    // default health monitor, no re-encryption.
    for kind in ["HostRule", "HTTPRule"] {
        delete_rule(&ns, kind, "secure").await;
    }
    eventually("the plain SNI child", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &child).await?;
        let certs = vs["ssl_key_and_certificate_refs"].as_array()?;
        (vs.get("waf_policy_ref").is_none() && certs.iter().filter_map(ref_name).eq([child.as_str()])).then_some(())
    })
    .await;
    eventually("the plain pool", WAIT, &run, || async {
        let p = avi_object(&avi, "pool", &pool).await?;
        let hms: Vec<&str> = p["health_monitor_refs"]
            .as_array()?
            .iter()
            .filter_map(ref_name)
            .collect();
        (p["sni_enabled"] == false && hms == ["System-TCP"]).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_naming_a_missing_object_is_rejected_until_the_controller_has_it() {
    let (ns, sim, avi) = world("run-rules-bad").await;
    let host = format!("shop.{}.avi.internal", ns.name());
    application(&ns, std::slice::from_ref(&host)).await;
    create_rule(
        &ns,
        "HostRule",
        "shop",
        json!({"virtualhost": {"fqdn": host, "wafPolicy": "waf-later"}}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), "ako-0", ns.name(), &sim, 3);

    let status = eventually("the rule Rejected", WAIT, &run, || rule_status(&ns, "HostRule", "shop")).await;
    assert_eq!(
        status,
        (
            "Rejected".to_owned(),
            "wafpolicy \"waf-later\" not found on controller".to_owned()
        )
    );
    let child = format!("{CLUSTER}--{host}");
    let vs = eventually("the SNI child", WAIT, &run, || {
        avi_object(&avi, "virtualservice", &child)
    })
    .await;
    assert!(
        vs.get("waf_policy_ref").is_none(),
        "a Rejected rule changes nothing: {vs}"
    );
    let events = ns.api::<k8s_openapi::api::events::v1::Event>();
    eventually("a Warning Event on the rule", WAIT, &run, || async {
        let list = events.list(&Default::default()).await.ok()?.items;
        list.iter()
            .find(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("shop")
                    && e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some("HostRule")
                    && e.type_.as_deref() == Some("Warning")
                    && e.reason.as_deref() == Some("Rejected")
                    && e.note.as_deref().is_some_and(|n| n.contains("waf-later"))
            })
            .map(drop)
    })
    .await;

    // The policy appears on the controller: the next resync looks the reference up again.
    let system: Value = avi_object(&avi, "wafpolicy", "System-WAF-Policy")
        .await
        .expect("the system policy");
    let mut policy = system.clone();
    let map = policy.as_object_mut().unwrap();
    for k in ["uuid", "url", "_last_modified"] {
        map.remove(k);
    }
    map.insert("name".into(), json!("waf-later"));
    let _: Value = avi.create("wafpolicy", &policy).await.expect("create the policy");
    eventually("the WAF policy on the SNI child", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &child).await?;
        (ref_name(&vs["waf_policy_ref"]) == Some("waf-later")).then_some(())
    })
    .await;
    let status = eventually("the rule Accepted", WAIT, &run, || async {
        rule_status(&ns, "HostRule", "shop")
            .await
            .filter(|(s, _)| s == "Accepted")
    })
    .await;
    assert_eq!(status.1, "");

    // An update naming a policy that does not exist is Rejected and changes nothing: the
    // Accepted version stays in effect (the WAF stays on the live service).
    sim.reset_counters();
    patch_rule(
        &ns,
        "HostRule",
        "shop",
        json!({"spec": {"virtualhost": {"wafPolicy": "waf-typo"}}}),
    )
    .await;
    let status = eventually("the update Rejected", WAIT, &run, || async {
        rule_status(&ns, "HostRule", "shop")
            .await
            .filter(|(s, _)| s == "Rejected")
    })
    .await;
    assert_eq!(status.1, "wafpolicy \"waf-typo\" not found on controller");
    let vs = avi_object(&avi, "virtualservice", &child).await.expect("the SNI child");
    assert_eq!(ref_name(&vs["waf_policy_ref"]), Some("waf-later"), "{vs}");
    assert_eq!(
        sim.counters().total(Some("PUT"), Some("virtualservice")),
        0,
        "a Rejected update writes nothing: {:?}",
        sim.counters()
    );
    // Set back, it is Accepted again.
    patch_rule(
        &ns,
        "HostRule",
        "shop",
        json!({"spec": {"virtualhost": {"wafPolicy": "waf-later"}}}),
    )
    .await;
    eventually("the rule Accepted again", WAIT, &run, || async {
        rule_status(&ns, "HostRule", "shop")
            .await
            .filter(|(s, _)| s == "Accepted")
    })
    .await;
}

/// The PEM certificate of a controller certificate object.
fn certificate_pem(obj: &Value) -> Option<&str> {
    obj["certificate"]["certificate"].as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_certificate_and_a_gslb_fqdn_from_host_rules() {
    let (ns, sim, avi) = world("run-rules-secret").await;
    let plain = format!("plain.{}.avi.internal", ns.name());
    let global = format!("global.{}.avi.internal", ns.name());
    ingress(&ns, &[plain.clone(), global.clone()], json!([])).await;
    create_rule(
        &ns,
        "HostRule",
        "cert",
        json!({"virtualhost": {"fqdn": plain,
                "tls": {"sslKeyCertificate": {"name": "rule-tls", "type": "secret"}}}}),
    )
    .await;
    create_rule(
        &ns,
        "HostRule",
        "gslb",
        json!({"virtualhost": {"fqdn": global, "gslb": {"fqdn": "shop.gslb.example"}}}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), "ako-0", ns.name(), &sim, 0);

    // The GSLB FQDN's Host header is rewritten to the host on the shared parent.
    let parent = format!("{CLUSTER}--Shared-L7-0");
    let rewrite = format!("{parent}--host-hdr-re-write--{global}");
    let policy = eventually("the rewrite policy", WAIT, &run, || {
        avi_object(&avi, "httppolicyset", &rewrite)
    })
    .await;
    let rule = &policy["http_request_policy"]["rules"][0];
    assert_eq!(
        rule["match"]["host_hdr"]["value"],
        json!(["shop.gslb.example"]),
        "{policy}"
    );
    assert_eq!(rule["hdr_action"][0]["hdr"]["value"]["val"], json!(global), "{policy}");
    eventually("the parent using it", WAIT, &run, || async {
        let vs = avi_object(&avi, "virtualservice", &parent).await?;
        vs["http_policies"]
            .as_array()?
            .iter()
            .any(|p| ref_name(&p["http_policy_set_ref"]) == Some(rewrite.as_str()))
            .then_some(())
    })
    .await;

    // Without its Secret the certificate rule is Rejected and the host stays insecure.
    let status = eventually("the rule Rejected", WAIT, &run, || rule_status(&ns, "HostRule", "cert")).await;
    assert_eq!(
        status,
        ("Rejected".to_owned(), "secret \"rule-tls\" not found".to_owned())
    );
    let child = format!("{CLUSTER}--{plain}");
    assert!(avi_object(&avi, "virtualservice", &child).await.is_none());

    // The Secret appears: the host becomes an SNI child with its certificate.
    let secret = support::tls_secret("rule-tls", &plain, "kubernetes.io/tls");
    let first = secret["stringData"]["tls.crt"].as_str().unwrap().to_owned();
    create::<Secret>(&ns, secret).await;
    let status = eventually("the rule Accepted", WAIT, &run, || async {
        rule_status(&ns, "HostRule", "cert")
            .await
            .filter(|(s, _)| s == "Accepted")
    })
    .await;
    assert_eq!(status.1, "");
    let vs = eventually("the SNI child", WAIT, &run, || {
        avi_object(&avi, "virtualservice", &child)
    })
    .await;
    let certs: Vec<&str> = vs["ssl_key_and_certificate_refs"]
        .as_array()
        .expect("certificates")
        .iter()
        .filter_map(ref_name)
        .collect();
    assert_eq!(certs, [child.as_str()]);
    let cert = avi_object(&avi, "sslkeyandcertificate", &child)
        .await
        .expect("the certificate");
    assert_eq!(certificate_pem(&cert), Some(first.as_str()));

    // A new certificate in the Secret reaches the controller.
    let renewed = support::tls_secret("rule-tls", &plain, "kubernetes.io/tls");
    let second = renewed["stringData"]["tls.crt"].as_str().unwrap().to_owned();
    ns.api::<Secret>()
        .patch(
            "rule-tls",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&json!({"stringData": renewed["stringData"]})),
        )
        .await
        .expect("renew the certificate");
    eventually("the renewed certificate", WAIT, &run, || async {
        let cert = avi_object(&avi, "sslkeyandcertificate", &child).await?;
        (certificate_pem(&cert) == Some(second.as_str())).then_some(())
    })
    .await;

    // Deleting the GSLB rule removes its policy set.
    delete_rule(&ns, "HostRule", "gslb").await;
    eventually("the rewrite policy gone", WAIT, &run, || async {
        avi_object(&avi, "httppolicyset", &rewrite)
            .await
            .is_none()
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_paths_and_an_application_root_through_string_groups() {
    let (ns, sim, avi) = world("run-rules-regex").await;
    let host = format!("regex.{}.avi.internal", ns.name());
    application(&ns, std::slice::from_ref(&host)).await;
    create_rule(
        &ns,
        "HostRule",
        "regex",
        json!({"virtualhost": {"fqdn": host, "useRegex": true, "applicationRootPath": "/shop"}}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), "ako-0", ns.name(), &sim, 0);

    // The path `/` is served at `/shop`, matched as a regular expression through a string group
    // ako-rs owns, and redirected to from `/` on both ports of the parent.
    let policy_name = format!("{CLUSTER}--{}-{host}", ns.name());
    let rules = eventually("the regex policy", WAIT, &run, || async {
        let p = avi_object(&avi, "httppolicyset", &policy_name).await?;
        let rules = p["http_request_policy"]["rules"].as_array()?.clone();
        (rules.first()?["match"]["path"]["match_criteria"] == "REGEX_MATCH").then_some(rules)
    })
    .await;
    assert_eq!(rules.len(), 3, "{rules:?}");
    let group = ref_name(&rules[0]["match"]["path"]["string_group_refs"][0])
        .expect("a string group")
        .to_owned();
    let sg = avi_object(&avi, "stringgroup", &group).await.expect("the string group");
    assert_eq!(sg["kv"], json!([{"key": "/shop"}]), "{sg}");
    let redirects: Vec<(i64, &str)> = rules[1..]
        .iter()
        .map(|r| {
            (
                r["redirect_action"]["port"].as_i64().unwrap(),
                r["redirect_action"]["path"]["tokens"][0]["str_value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(redirects, [(80, "shop"), (443, "shop")]);
    let status = eventually("the rule Accepted", WAIT, &run, || {
        rule_status(&ns, "HostRule", "regex")
    })
    .await;
    assert_eq!(status, ("Accepted".to_owned(), String::new()));

    // Without the rule: a plain prefix match, and the string group is deleted.
    delete_rule(&ns, "HostRule", "regex").await;
    eventually("the plain policy", WAIT, &run, || async {
        let p = avi_object(&avi, "httppolicyset", &policy_name).await?;
        let rules = p["http_request_policy"]["rules"].as_array()?;
        (rules.len() == 1 && rules[0]["match"]["path"]["match_str"] == json!(["/"])).then_some(())
    })
    .await;
    eventually("the string group deleted", WAIT, &run, || async {
        avi_object(&avi, "stringgroup", &group).await.is_none().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l4rule_reaches_the_pool_and_a_rejected_edit_changes_nothing() {
    let (ns, sim, avi) = world("run-l4rule").await;
    create_rule(
        &ns,
        "L4Rule",
        "tune",
        json!({"analyticsProfileRef": "analytics-custom",
               "backendProperties": [{"port": 53, "protocol": "TCP", "healthMonitorRefs": ["hm-tcp-custom"],
                                      "lbAlgorithm": "LB_ALGORITHM_ROUND_ROBIN", "minServersUp": 1}]}),
    )
    .await;
    create::<Service>(
        &ns,
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "dns", "annotations": {"ako.vmware.com/l4rule": "tune"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}}),
    )
    .await;
    create::<EndpointSlice>(&ns, slice("dns-1", "dns", &["10.7.0.9"])).await;
    let dir = tempfile::tempdir().unwrap();
    let run = ako(dir.path(), "ako-0", ns.name(), &sim, 3);

    let status = eventually("the L4Rule Accepted", WAIT, &run, || rule_status(&ns, "L4Rule", "tune")).await;
    assert_eq!(status, ("Accepted".to_owned(), String::new()));
    let pool_name = format!("{CLUSTER}--{}-dns-TCP-53", ns.name());
    let pool = eventually("the L4Rule on the pool", WAIT, &run, || async {
        let p = avi_object(&avi, "pool", &pool_name).await?;
        (p["lb_algorithm"] == "LB_ALGORITHM_ROUND_ROBIN").then_some(p)
    })
    .await;
    let hms: Vec<&str> = pool["health_monitor_refs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(ref_name)
        .collect();
    assert_eq!(hms, ["hm-tcp-custom"], "{pool}");
    assert_eq!(pool["min_servers_up"], 1);
    let vs_name = format!("{CLUSTER}--{}-dns", ns.name());
    let vs = avi_object(&avi, "virtualservice", &vs_name).await.expect("the VS");
    assert_eq!(ref_name(&vs["analytics_profile_ref"]), Some("analytics-custom"), "{vs}");

    // A bad edit: Rejected with a Warning Event, the pool and VS as they were.
    patch_rule(
        &ns,
        "L4Rule",
        "tune",
        json!({"spec": {"analyticsProfileRef": "no-such-profile"}}),
    )
    .await;
    let status = eventually("the edit Rejected", WAIT, &run, || async {
        rule_status(&ns, "L4Rule", "tune")
            .await
            .filter(|(s, _)| s == "Rejected")
    })
    .await;
    assert_eq!(status.1, "analyticsprofile \"no-such-profile\" not found on controller");
    let events = ns.api::<k8s_openapi::api::events::v1::Event>();
    eventually("a Warning Event on the L4Rule", WAIT, &run, || async {
        let list = events.list(&Default::default()).await.ok()?.items;
        list.iter()
            .find(|e| {
                e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some("L4Rule")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note.as_deref().is_some_and(|n| n.contains("no-such-profile"))
            })
            .map(drop)
    })
    .await;
    let port = run.admin_port(WAIT).await;
    let passes = |text: &str| sample(text, "ako_reconcile_passes_total{result=\"converged\"}");
    let now = passes(&get(port, "/metrics").await.unwrap().1).unwrap_or(0.0);
    eventually("two more passes", WAIT, &run, || async {
        let (_, text) = get(port, "/metrics").await?;
        (passes(&text)? >= now + 2.0).then_some(())
    })
    .await;
    let after = avi_object(&avi, "virtualservice", &vs_name).await.expect("the VS");
    assert_eq!(
        after["_last_modified"], vs["_last_modified"],
        "a Rejected edit changes nothing"
    );
}

/// Issue 18: in EVH mode, a HostRule naming an Accepted L7Rule brings its fields to the host's EVH
/// child (not those AKO keeps for parents); an L7Rule naming a missing bot policy is Rejected with
/// AKO's message and a HostRule switched to it applies nothing of it; a HostRule naming an L7Rule
/// that does not exist is Rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l7rule_reaches_the_evh_child_and_a_rejected_one_applies_nothing() {
    let (ns, sim, avi) = world("run-l7rule").await;
    let host = format!("l7.{}.avi.internal", ns.name());
    create_rule(
        &ns,
        "L7Rule",
        "good",
        json!({"minPoolsUp": 2, "ignPoolNetReach": true, "hostNameXlate": "app.example.com",
               "applicationProfile": {"kind": "AviRef", "name": "app-http-custom"}}),
    )
    .await;
    create_rule(&ns, "L7Rule", "bad", json!({"botPolicyRef": "no-such-bot-policy"})).await;
    create_rule(
        &ns,
        "HostRule",
        "hr",
        json!({"virtualhost": {"fqdn": host, "l7Rule": "good"}}),
    )
    .await;
    create_rule(
        &ns,
        "HostRule",
        "dangling",
        json!({"virtualhost": {"fqdn": "other.avi.internal", "l7Rule": "nope"}}),
    )
    .await;
    application(&ns, std::slice::from_ref(&host)).await;
    let dir = tempfile::tempdir().unwrap();
    let run = evh_ako(dir.path(), ns.name(), &sim);

    let status = eventually("the L7Rule Accepted", WAIT, &run, || rule_status(&ns, "L7Rule", "good")).await;
    assert_eq!(status, ("Accepted".to_owned(), String::new()));
    let (verdict, error) = eventually("the bad L7Rule judged", WAIT, &run, || {
        rule_status(&ns, "L7Rule", "bad")
    })
    .await;
    assert_eq!(verdict, "Rejected");
    assert!(
        error.contains("no-such-bot-policy") && error.contains("not found on controller"),
        "{error}"
    );
    let (verdict, error) = eventually("the dangling HostRule judged", WAIT, &run, || {
        rule_status(&ns, "HostRule", "dangling")
    })
    .await;
    assert_eq!(
        (verdict.as_str(), error.as_str()),
        ("Rejected", "l7rule.ako.vmware.com \"nope\" not found")
    );
    // The child of the host: found by what it matches.
    let child_of = || evh_child(&avi, &host);
    let child = eventually("the L7Rule on the EVH child", WAIT, &run, || async {
        child_of().await.filter(|c| c["min_pools_up"] == 2)
    })
    .await;
    assert_eq!(child["ign_pool_net_reach"], true, "{child}");
    assert_eq!(
        ref_name(&child["application_profile_ref"]),
        Some("app-http-custom"),
        "{child}"
    );
    assert!(child.get("host_name_xlate").is_none(), "a parent-only field: {child}");

    // Switched to the Rejected L7Rule: the child goes back to AKO's defaults.
    patch_rule(
        &ns,
        "HostRule",
        "hr",
        json!({"spec": {"virtualhost": {"l7Rule": "bad"}}}),
    )
    .await;
    let child = eventually("the L7Rule's fields gone", WAIT, &run, || async {
        child_of().await.filter(|c| c["min_pools_up"] == 1)
    })
    .await;
    assert_eq!(child["ign_pool_net_reach"], false, "{child}");
    assert!(child.get("bot_policy_ref").is_none(), "{child}");
    assert!(run.exited().is_none(), "ako run keeps running");
}

/// Issue 18: in EVH mode an SSORule brings OAuth single sign-on to the EVH child of its host (the
/// SSO policy and auth profile by reference, the client secret from its Secret) and is Accepted;
/// an update of the Secret reaches the controller; full resyncs with nothing changed write
/// nothing (secrets are not compared field by field); an SSORule naming a missing Secret is
/// Rejected with AKO's message; deleting the rule takes SSO off the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssorule_brings_oauth_to_the_evh_child_with_its_secret() {
    let (ns, sim, avi) = world("run-ssorule").await;
    let host = format!("sso.{}.avi.internal", ns.name());
    create::<Secret>(
        &ns,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oauth-client"},
            "type": "Opaque", "stringData": {"clientSecret": "first-secret"}}),
    )
    .await;
    let oauth = |secret: &str| {
        json!({"authProfileRef": "auth-oauth",
            "appSettings": {"clientID": "app", "clientSecret": secret, "scopes": ["email"]},
            "resourceServer": {"accessType": "ACCESS_TOKEN_TYPE_JWT", "jwtParams": {"audience": "api"}}})
    };
    create_rule(
        &ns,
        "SSORule",
        "sso",
        json!({"fqdn": host, "ssoPolicyRef": "sso-oauth",
            "oauthVsConfig": {"cookieName": "S", "oauthSettings": [oauth("oauth-client")]}}),
    )
    .await;
    create_rule(
        &ns,
        "SSORule",
        "no-secret",
        json!({"fqdn": "other.avi.internal", "ssoPolicyRef": "sso-oauth",
            "oauthVsConfig": {"oauthSettings": [oauth("missing")]}}),
    )
    .await;
    application(&ns, std::slice::from_ref(&host)).await;
    let dir = tempfile::tempdir().unwrap();
    let run = evh_ako(dir.path(), ns.name(), &sim);

    let status = eventually("the SSORule Accepted", WAIT, &run, || {
        rule_status(&ns, "SSORule", "sso")
    })
    .await;
    assert_eq!(status, ("Accepted".to_owned(), String::new()));
    let (verdict, error) = eventually("the SSORule without its Secret judged", WAIT, &run, || {
        rule_status(&ns, "SSORule", "no-secret")
    })
    .await;
    assert_eq!(
        (verdict.as_str(), error.as_str()),
        (
            "Rejected",
            "Got error while fetching missing secret : secret \"missing\" not found"
        )
    );
    let child_of = || evh_child(&avi, &host);
    let secret_of = |c: &Value| c["oauth_vs_config"]["oauth_settings"][0]["app_settings"]["client_secret"].clone();
    let child = eventually("SSO on the EVH child", WAIT, &run, || async {
        child_of().await.filter(|c| secret_of(c) == "first-secret")
    })
    .await;
    assert_eq!(ref_name(&child["sso_policy_ref"]), Some("sso-oauth"), "{child}");
    let setting = &child["oauth_vs_config"]["oauth_settings"][0];
    assert_eq!(ref_name(&setting["auth_profile_ref"]), Some("auth-oauth"), "{child}");
    assert_eq!(setting["app_settings"]["client_id"], "app", "{child}");
    assert_eq!(setting["resource_server"]["jwt_params"]["audience"], "api", "{child}");
    assert_eq!(
        child["oauth_vs_config"]["cookie_timeout"], 60,
        "the CRD's default: {child}"
    );
    let crd_status: Value = serde_json::from_str(child["service_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(crd_status["crd_status"]["type"], "SSORule");
    assert_eq!(crd_status["crd_status"]["status"], "ACTIVE");

    // Full resyncs with nothing changed write nothing.
    support::no_writes_over_two_resyncs(&run, &sim, WAIT).await;

    // The Secret updated: the new client secret reaches the child.
    Api::<Secret>::namespaced(ns.client(), ns.name())
        .patch(
            "oauth-client",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"stringData": {"clientSecret": "second-secret"}})),
        )
        .await
        .expect("update the Secret");
    eventually("the new client secret on the child", WAIT, &run, || async {
        child_of().await.filter(|c| secret_of(c) == "second-secret")
    })
    .await;

    // The rule deleted: SSO leaves the child.
    delete_rule(&ns, "SSORule", "sso").await;
    let child = eventually("SSO off the child", WAIT, &run, || async {
        child_of().await.filter(|c| c.get("sso_policy_ref").is_none())
    })
    .await;
    assert!(child.get("oauth_vs_config").is_none(), "{child}");
    assert!(run.exited().is_none(), "ako run keeps running");
}
