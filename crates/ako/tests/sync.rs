//! `ako sync` as a user runs it: the real binary against avisim (in-process, real HTTPS, CA
//! file), credentials from the environment and never echoed, a second run with nothing to do,
//! the mass-deletion guard's exit code, and login failures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use avisim::{Avisim, SimConfig};

const USER: &str = "admin";
const PASSWORD: &str = "Sync-Secret-Pw1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn start() -> Avisim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Avisim::start(SimConfig::local(USER, PASSWORD))
        .await
        .expect("avisim starts")
}

/// Run `ako sync` (blocking, off the runtime's threads so avisim keeps serving).
async fn ako(args: Vec<String>, password: &str) -> Output {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ako"))
            .arg("sync")
            .args(&args)
            .current_dir(repo())
            .env("AKO_CONTROLLER_USERNAME", USER)
            .env("AKO_CONTROLLER_PASSWORD", password)
            .env_remove("AKO_CONTROLLER")
            .output()
            .expect("run ako")
    })
    .await
    .unwrap()
}

fn args(sim: &Avisim, ca: &Path, manifests: &str, values: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--manifests",
        manifests,
        "--values",
        values,
        "--controller",
        &sim.url(),
        "--ca-file",
        ca.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How many Avi objects `ako plan` (offline) finds in the examples.
fn example_objects() -> usize {
    let out = Command::new(env!("CARGO_BIN_EXE_ako"))
        .args([
            "plan",
            "--manifests",
            "examples/manifests",
            "--values",
            "examples/values.yaml",
            "-o",
            "json",
        ])
        .args(["--dns-domain", "avi.internal"])
        .current_dir(repo())
        .env_remove("AKO_CONTROLLER")
        .output()
        .expect("run ako plan");
    assert!(out.status.success());
    let objects: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    objects.len()
}

fn write_ca(dir: &Path, sim: &Avisim) -> PathBuf {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    ca
}

/// A manifest directory of `n` LoadBalancer Services in namespace `apps`.
fn services_dir(dir: &Path, n: usize) -> String {
    services_dir_with(dir, n, |_| "TCP")
}

/// Like [`services_dir`], with the protocol of Service `i` from `protocol(i)`.
fn services_dir_with(dir: &Path, n: usize, protocol: impl Fn(usize) -> &'static str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let mut yaml = String::new();
    for i in 0..n {
        yaml.push_str(&format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: apps}}\n\
             spec: {{type: LoadBalancer, ports: [{{port: 80, targetPort: 8080, protocol: {}}}]}}\n---\n\
             apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
             metadata: {{name: svc{i}-x, namespace: apps, labels: {{kubernetes.io/service-name: svc{i}}}}}\n\
             addressType: IPv4\nports: [{{port: 8080, protocol: TCP}}]\n\
             endpoints: [{{addresses: [10.0.0.{}], conditions: {{ready: true}}}}]\n---\n",
            protocol(i),
            i + 1
        ));
    }
    std::fs::write(dir.join("services.yaml"), yaml).unwrap();
    dir.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_applies_the_examples_then_has_nothing_to_do() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let a = args(&sim, &ca, "examples/manifests", "examples/values.yaml", &[]);

    let n = example_objects();
    let first = ako(a.clone(), PASSWORD).await;
    let (out, err) = text(&first);
    assert!(first.status.success(), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.starts_with(&format!("{n} created, 0 updated, 0 deleted, 0 unchanged, 0 failed")),
        "{out}"
    );
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    // AKO's names, with the FQDN from the controller's DNS domain.
    let vs: serde_json::Value = {
        let http_ca = sim.ca_pem();
        let client = avi_client::Client::connect(
            avi_client::Config::new(sim.url(), USER, avi_client::Credential::password(PASSWORD)).with_ca_pem(http_ca),
        )
        .await
        .unwrap();
        client
            .get_by_name("vsvip", "demo--shop-payments")
            .await
            .unwrap()
            .expect("vsvip")
    };
    assert_eq!(vs["dns_info"][0]["fqdn"], "payments.shop.avi.internal");

    sim.reset_counters();
    let second = ako(a.clone(), PASSWORD).await;
    let (out, err) = text(&second);
    assert!(second.status.success(), "{out}\n{err}");
    assert!(
        out.starts_with(&format!("0 created, 0 updated, 0 deleted, {n} unchanged, 0 failed")),
        "{out}"
    );
    assert_eq!(sim.counters().writes(), 0);

    let json = ako([a, vec!["-o".into(), "json".into()]].concat(), PASSWORD).await;
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json summary");
    assert_eq!(summary["converged"], true);
    assert_eq!(summary["unchanged"], n);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_deletion_is_refused_with_exit_1_until_allowed() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let many = services_dir(&tmp.path().join("many"), 6);
    let few = services_dir(&tmp.path().join("few"), 1);

    let out = ako(args(&sim, &ca, &many, "examples/values.yaml", &[]), PASSWORD).await;
    assert!(out.status.success(), "{:?}", text(&out));
    let out = ako(args(&sim, &ca, &few, "examples/values.yaml", &[]), PASSWORD).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("REFUSED: refusing to delete 20 of the 24 objects"),
        "{stdout}"
    );
    assert!(stderr.contains("refusing to delete"), "logged too: {stderr}");
    let out = ako(
        args(&sim, &ca, &few, "examples/values.yaml", &["--no-delete"]),
        PASSWORD,
    )
    .await;
    assert!(out.status.success(), "--no-delete keeps them: {:?}", text(&out));
    let out = ako(
        args(&sim, &ca, &few, "examples/values.yaml", &["--allow-mass-delete"]),
        PASSWORD,
    )
    .await;
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("0 created, 0 updated, 20 deleted"), "{stdout}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_exit_2_without_echoing_secrets() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let wrong = "Wrong-Password-42";
    let out = ako(
        args(&sim, &ca, "examples/manifests", "examples/values.yaml", &[]),
        wrong,
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("cannot log in to the controller"), "{stderr}");
    assert!(!stdout.contains(wrong) && !stderr.contains(wrong));

    // Without the CA the certificate is not trusted; --insecure is an explicit opt-in.
    let no_ca: Vec<String> = [
        "--manifests",
        "examples/manifests",
        "--values",
        "examples/values.yaml",
        "--controller",
        &sim.url(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = ako(no_ca.clone(), PASSWORD).await;
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    let out = ako([no_ca, vec!["--insecure".into()]].concat(), PASSWORD).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("not verified"), "{stderr}");
    sim.shutdown().await;
}

/// A Service that stops translating keeps its Avi objects: a failure is not a deletion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_fails_to_translate_keeps_its_objects() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let good = services_dir(&tmp.path().join("good"), 3);
    let out = ako(args(&sim, &ca, &good, "examples/values.yaml", &[]), PASSWORD).await;
    assert!(out.status.success(), "{:?}", text(&out));

    let broken = services_dir_with(&tmp.path().join("broken"), 3, |i| if i == 1 { "ICMP" } else { "TCP" });
    sim.reset_counters();
    let out = ako(args(&sim, &ca, &broken, "examples/values.yaml", &[]), PASSWORD).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("failure: Service apps/svc1"), "{stderr}");
    assert!(
        stdout.starts_with("0 created, 0 updated, 0 deleted, 8 unchanged, 0 failed, 4 not deleted"),
        "{stdout}"
    );
    assert_eq!(sim.counters().writes(), 0);
    sim.shutdown().await;
}

/// An Ingress that partly stops translating (its TLS Secret is gone) keeps every object of its
/// shard model, even one its parent VS stops referring to, while garbage collection goes on
/// elsewhere (a removed Service's objects go).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_ingress_protects_its_model_only() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let dir = tmp.path().join("cluster");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(repo().join("examples/manifests")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let manifests = dir.display().to_string();
    let out = ako(args(&sim, &ca, &manifests, "examples/values.yaml", &[]), PASSWORD).await;
    assert!(out.status.success(), "{:?}", text(&out));

    // The Secret goes (the TLS host fails: its SNI child, certificate, policy set, pool groups,
    // pools and the parent's redirect policy are no longer produced) and so does the UDP Service
    // (its 4 objects are garbage).
    std::fs::remove_file(dir.join("shop-tls.yaml")).unwrap();
    let payments = dir.join("payments.yaml");
    let text_in = std::fs::read_to_string(&payments).unwrap();
    let cut = text_in
        .find("---\napiVersion: v1\nkind: Service\nmetadata: {name: resolver")
        .expect("resolver in payments.yaml");
    std::fs::write(&payments, &text_in[..cut]).unwrap();
    let out = ako(args(&sim, &ca, &manifests, "examples/values.yaml", &[]), PASSWORD).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("failure: Ingress shop/storefront"), "{stderr}");
    assert!(
        stdout.starts_with("0 created, 2 updated, 4 deleted, 8 unchanged, 0 failed, 8 not deleted"),
        "only the resolver's 4 objects go, the Ingress's 8 stay: {stdout}"
    );
    sim.shutdown().await;
}

/// `ako plan --controller`: the operations `ako sync` would send, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_against_a_controller_shows_operations_without_sending_them() {
    let sim = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = write_ca(tmp.path(), &sim);
    let plan = |extra: &[&str]| {
        let mut v = vec!["plan".to_owned()];
        v.extend(args(&sim, &ca, "examples/manifests", "examples/values.yaml", extra));
        v
    };
    let run = |argv: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_ako"))
                .args(&argv)
                .current_dir(repo())
                .env("AKO_CONTROLLER_USERNAME", USER)
                .env("AKO_CONTROLLER_PASSWORD", PASSWORD)
                .output()
                .expect("run ako")
        })
        .await
        .unwrap()
    };

    let out = run(plan(&["-o", "json"])).await;
    assert!(out.status.success(), "{:?}", text(&out));
    let ops: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let n = example_objects();
    assert_eq!(ops.len(), n);
    assert!(ops.iter().all(|o| o["op"] == "create"));
    assert_eq!(ops[0]["step"], 1);
    assert_eq!(sim.counters().writes(), 0, "a plan sends nothing");

    let out = ako(
        args(&sim, &ca, "examples/manifests", "examples/values.yaml", &[]),
        PASSWORD,
    )
    .await;
    assert!(out.status.success(), "{:?}", text(&out));
    let out = run(plan(&[])).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout,
        format!("0 to create, 0 to update, 0 to delete, {n} unchanged\n")
    );
    sim.shutdown().await;
}
