//! Nothing secret leaves `ako run`: marker secrets are planted (the controller password in the
//! Secret `avi-secret`, first wrong then right; an API token; a TLS private key an Ingress uses;
//! an extra field of that TLS Secret; an Opaque Secret nobody references) and everything the
//! process emits is searched for them: its log at TRACE for every crate, the Events in its
//! namespace, `/api/status` and `/metrics`. The same for the OAuth client and server secrets an
//! SSORule reads from Secrets (EVH mode), which go to the controller and nowhere else.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, eventually, scoped_namespace};

const WAIT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "Pw-Marker-5e0c1b77";
const WRONG_PASSWORD: &str = "Wrong-Pw-Marker-9a41";
const EXTRA: &str = "Extra-Field-Marker-77d2";
const OPAQUE: &str = "Opaque-Secret-Marker-0b3f";

/// The Secret `avi-secret` with `fields`.
fn avi_secret(fields: Value) -> Secret {
    serde_json::from_value(json!({"metadata": {"name": "avi-secret"}, "stringData": fields})).unwrap()
}

/// Everything `ako` emitted that a user, a log pipeline or a scraper can see.
async fn emitted(ako: &AkoRun, ns: &ako_testenv::TestNamespace) -> String {
    let mut all = ako.log_text();
    for e in ns.api::<Event>().list(&Default::default()).await.expect("events").items {
        all.push_str(&serde_json::to_string(&e).unwrap());
    }
    let port = ako.admin_port(WAIT).await;
    for path in ["/api/status", "/metrics", "/readyz", "/healthz"] {
        if let Some((_, body)) = support::get(port, path).await {
            all.push_str(&body);
        }
    }
    all
}

/// The markers found in `text`, by name.
fn leaks<'a>(text: &str, markers: &[(&'a str, String)]) -> Vec<&'a str> {
    markers
        .iter()
        .filter(|(_, m)| text.contains(m.as_str()))
        .map(|(what, _)| *what)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_key_or_secret_data_in_logs_events_status_or_metrics() {
    let (sim, avi) = support::avisim(PASSWORD).await;
    let ns = scoped_namespace("run-secrets").await;
    let secrets = ns.api::<Secret>();
    // The controller password, wrong at first (the login errors are logged), from avi-secret.
    secrets
        .create(
            &PostParams::default(),
            &avi_secret(json!({"username": support::USER, "password": WRONG_PASSWORD})),
        )
        .await
        .unwrap();
    // A TLS Ingress: its key goes to the controller, and nowhere else.
    let (cert, key) = support::certificate("web.avi.internal");
    let tls: Secret = serde_json::from_value(json!({
        "metadata": {"name": "web-tls"}, "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": cert, "tls.key": key, "extra": EXTRA}
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &tls).await.unwrap();
    let opaque: Secret =
        serde_json::from_value(json!({"metadata": {"name": "unrelated"}, "stringData": {"value": OPAQUE}})).unwrap();
    secrets.create(&PostParams::default(), &opaque).await.unwrap();
    support::web_backend(&ns, &["10.1.0.1"]).await;
    support::create::<Ingress>(
        &ns,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"tls": [{"hosts": ["web.avi.internal"], "secretName": "web-tls"}],
                "rules": [{"host": "web.avi.internal", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let values = support::values_yaml("secrets", ns.name());
    let start = |name: &str| {
        AkoRun::with_yaml(dir.path(), name, &values, &sim.url(), &sim.ca_pem(), PASSWORD, |cmd| {
            // Credentials from the Secret only; every line of every crate logged.
            cmd.env_remove("AKO_CONTROLLER_USERNAME")
                .env_remove("AKO_CONTROLLER_PASSWORD")
                .env("POD_NAMESPACE", ns.name())
                .env("POD_NAME", name)
                .env("RUST_LOG", "trace");
        })
    };

    // (1) The password: refused, then right.
    let ako = start("ako-pw");
    eventually("a refused login logged", WAIT, &ako, || async {
        ako.log_text().contains("cannot log in").then_some(())
    })
    .await;
    secrets
        .patch(
            "avi-secret",
            &PatchParams::default(),
            &Patch::Merge(&json!({"stringData": {"password": PASSWORD}})),
        )
        .await
        .unwrap();
    let ingresses = ns.api::<Ingress>();
    eventually("the TLS Ingress served", WAIT, &ako, || async {
        let ing = ingresses.get("web").await.ok()?;
        (!ing.status?.load_balancer?.ingress?.is_empty()).then_some(())
    })
    .await;
    // The key did reach the controller (so the test would see it if it were echoed).
    let certs = avi
        .list_raw("sslkeyandcertificate", &avi_client::Query::new())
        .await
        .unwrap();
    assert!(
        certs
            .iter()
            .any(|c| c["certificate"]["certificate"].as_str() == Some(cert.as_str())),
        "{certs:?}"
    );
    let key_lines: Vec<String> = key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    let mut markers: Vec<(&str, String)> = vec![
        ("the password", PASSWORD.to_owned()),
        ("the wrong password", WRONG_PASSWORD.to_owned()),
        ("the TLS Secret's extra field", EXTRA.to_owned()),
        ("an unreferenced Secret", OPAQUE.to_owned()),
    ];
    markers.extend(key_lines.iter().map(|l| ("a line of the private key", l.clone())));
    let text = emitted(&ako, &ns).await;
    assert!(text.contains("TRACE"), "the log is at TRACE");
    assert_eq!(leaks(&text, &markers), Vec::<&str>::new());
    drop(ako);

    // (2) An API token instead of the password.
    let issued: Value = avi
        .request(
            avi_client::Method::POST,
            "api/user-token",
            &avi_client::Query::new(),
            Some(&json!({"hours": "240"})),
        )
        .await
        .unwrap();
    let token = issued["token"].as_str().unwrap().to_owned();
    secrets
        .replace(
            "avi-secret",
            &PostParams::default(),
            &avi_secret(json!({"username": support::USER, "authtoken": token})),
        )
        .await
        .unwrap();
    let ako = start("ako-token");
    eventually("logged in with the token", WAIT, &ako, || async {
        let port = support::read_port(ako.port_file())?;
        let (_, body) = support::get(port, "/api/status").await?;
        let status: Value = serde_json::from_str(&body).ok()?;
        (status["converged"] == true).then_some(())
    })
    .await;
    markers.push(("the API token", token));
    let text = emitted(&ako, &ns).await;
    assert_eq!(leaks(&text, &markers), Vec::<&str>::new());
    drop(ako);
    ns.delete().await;
}

const CLIENT_SECRET: &str = "Oauth-Client-Marker-31c9";
const SERVER_SECRET: &str = "Oauth-Server-Marker-c02e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_oauth_secret_of_an_ssorule_in_logs_events_status_or_metrics() {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

    let (sim, avi) = support::avisim(PASSWORD).await;
    let ns = scoped_namespace("run-sso-secrets").await;
    let crd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/helm/ako/crds/ako.vmware.com_ssorules.yaml");
    ako_testenv::install_crd(&ns.client(), crd)
        .await
        .expect("install the SSORule CRD");
    let secrets = ns.api::<Secret>();
    for (name, field, value) in [
        ("oauth-client", "clientSecret", CLIENT_SECRET),
        ("oauth-server", "serverSecret", SERVER_SECRET),
    ] {
        let secret: Secret =
            serde_json::from_value(json!({"metadata": {"name": name}, "stringData": {field: value}})).unwrap();
        secrets.create(&PostParams::default(), &secret).await.unwrap();
    }
    let host = "sso.avi.internal";
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1alpha2", "SSORule");
    let rules = kube::Api::<DynamicObject>::namespaced_with(
        ns.client(),
        ns.name(),
        &ApiResource::from_gvk_with_plural(&gvk, "ssorules"),
    );
    let rule: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "ako.vmware.com/v1alpha2", "kind": "SSORule", "metadata": {"name": "sso"},
        "spec": {"fqdn": host, "ssoPolicyRef": "sso-oauth", "oauthVsConfig": {"oauthSettings": [
            {"authProfileRef": "auth-oauth", "appSettings": {"clientID": "app", "clientSecret": "oauth-client"}},
            {"authProfileRef": "auth-oauth", "resourceServer": {"accessType": "ACCESS_TOKEN_TYPE_OPAQUE",
                "opaqueTokenParams": {"serverID": "srv", "serverSecret": "oauth-server"}}}]}}}))
    .unwrap();
    rules.create(&PostParams::default(), &rule).await.unwrap();
    support::web_backend(&ns, &["10.1.0.2"]).await;
    support::create::<Ingress>(
        &ns,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let values = support::values_yaml("ssosecrets", ns.name()).replacen(
        "AKOSettings:\n",
        "AKOSettings:\n  enableEVH: true\n",
        1,
    );
    let ako = AkoRun::with_yaml(
        dir.path(),
        "ako-sso",
        &values,
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        |cmd| {
            cmd.env("RUST_LOG", "trace");
        },
    );
    // Both secrets did reach the controller (so the search would see them if they were echoed).
    eventually("the SSORule's secrets on the controller", WAIT, &ako, || async {
        let vses = avi.list_raw("virtualservice", &avi_client::Query::new()).await.ok()?;
        let text = serde_json::to_string(&vses).ok()?;
        (text.contains(CLIENT_SECRET) && text.contains(SERVER_SECRET)).then_some(())
    })
    .await;
    let markers: Vec<(&str, String)> = vec![
        ("the OAuth client secret", CLIENT_SECRET.to_owned()),
        ("the OAuth server secret", SERVER_SECRET.to_owned()),
    ];
    let text = emitted(&ako, &ns).await;
    assert!(text.contains("TRACE"), "the log is at TRACE");
    assert_eq!(leaks(&text, &markers), Vec::<&str>::new());
    drop(ako);
    ns.delete().await;
}
