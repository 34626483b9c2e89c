//! The Gateway API project's conformance suite (`sigs.k8s.io/gateway-api/conformance` at v1.3.0,
//! the release of the CRDs installed) run against the real `ako` binary with
//! `featureGates.GatewayAPI`, a kube-apiserver of its own (testenv) and avisim over HTTPS.
//!
//! Only the suite's tests that check what the API server holds are run ([`STATUS_TESTS`]): the
//! others send HTTP requests to the Gateway's address, which needs a data plane avisim does not
//! have (README.md "Gateway API" lists which). The suite applies its own base objects (three
//! namespaces, four Gateways, Services, ReferenceGrants) and waits for every Gateway to be
//! Accepted and Programmed before any test runs; each test then checks statuses (conditions,
//! reasons, observedGeneration, listeners' attachedRoutes and supported kinds) as the spec
//! requires them.

mod support;

use support::AkoRun;

const PASSWORD: &str = "Gw-Conformance-Pw1";

/// The suite's tests (by short name) that need no traffic, among those of the features ako-rs
/// supports (Gateway, HTTPRoute, ReferenceGrant; GatewayPort8080: a listener on any port;
/// HTTPRouteParentRefPort: a parent ref's `port`). One such test is not run, as it fails by design:
/// `HTTPRouteObservedGenerationBump` attaches a Route without hostnames to a listener without a
/// hostname, which ako-rs (as AKO) refuses with `NoMatchingListenerHostname`: Avi's enhanced
/// virtual hosting routes by host.
const STATUS_TESTS: &[&str] = &[
    "GatewayClassObservedGenerationBump",
    "GatewayObservedGenerationBump",
    "GatewayInvalidRouteKind",
    "GatewayInvalidTLSConfiguration",
    "GatewayModifyListeners",
    "GatewaySecretInvalidReferenceGrant",
    "GatewaySecretMissingReferenceGrant",
    "GatewaySecretReferenceGrantAllInNamespace",
    "GatewaySecretReferenceGrantSpecific",
    "GatewayWithAttachedRoutes",
    "GatewayWithAttachedRoutesWithPort8080",
    "HTTPRouteInvalidCrossNamespaceParentRef",
    "HTTPRouteInvalidParentRefNotMatchingSectionName",
    "HTTPRouteInvalidParentRefSectionNameNotMatchingPort",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_tests_without_traffic_pass() {
    let suite = support::gateway_conformance_suite();
    let (env, _client) = support::gateway_api_testenv().await;
    let (sim, _avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    // Every namespace: the suite makes its own.
    let values = "AKOSettings:\n  clusterName: conf\n  disableStaticRouteSync: true\n\
                  NetworkSettings:\n  vipNetworkList:\n    - networkName: vip-net\n\
                  L7Settings:\n  serviceType: ClusterIP\n\
                  ControllerSettings:\n  cloudName: Default-Cloud\n  serviceEngineGroupName: Default-Group\n  tenantName: admin\n\
                  featureGates:\n  GatewayAPI: true\n";
    let run = AkoRun::with_yaml_on(
        env.kubeconfig(),
        dir.path(),
        "ako",
        values,
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
        |_| {},
    );

    let selected = format!("^TestConformance$/^({})$", STATUS_TESTS.join("|"));
    let mut cmd = std::process::Command::new(&suite);
    cmd.arg("-test.v")
        .arg("-test.timeout=15m")
        .arg(format!("-test.run={selected}"))
        .arg("-gateway-class=avi-lb")
        .arg("-supported-features=Gateway,HTTPRoute,ReferenceGrant,GatewayPort8080,HTTPRouteParentRefPort")
        .arg(format!("-kubeconfig={}", env.kubeconfig().display()))
        .env("KUBECONFIG", env.kubeconfig());
    // `-test.timeout` ends the suite if it hangs; `ako run` goes on in the background meanwhile.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run the conformance suite");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gateway-conformance.log");
    std::fs::write(&saved, &log).unwrap();
    let failed: Vec<&str> = STATUS_TESTS
        .iter()
        .copied()
        .filter(|t| !log.contains(&format!("--- PASS: TestConformance/{t} ")))
        .collect();
    assert!(
        failed.is_empty() && out.status.success(),
        "conformance tests not passed: {failed:?} (suite exit {}; its whole output: {})\n--- suite output (tail)\n{}\n--- ako log (tail)\n{}",
        out.status,
        saved.display(),
        tail(&log, 200),
        tail(&run.log_text(), 80),
    );
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
