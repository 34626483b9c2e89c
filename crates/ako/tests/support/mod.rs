//! Helpers the `ako run` end-to-end tests (and its benchmark) share: the simulator and a scoped
//! namespace, the `ako run` process and waiting on it, the admin server over plain HTTP on
//! loopback, metric samples, EndpointSlice manifests.

#![allow(dead_code)]

pub mod bad_inputs;
pub mod chart_config;

use std::path::Path;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The admin port `ako run --admin-port-file FILE` wrote, once it has.
pub fn read_port(file: &Path) -> Option<u16> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// `GET http://127.0.0.1:<port><path>`: status and body, or `None` while nothing answers.
pub async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The value of one series (name with labels, exactly as exposed) in a metrics text.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// An EndpointSlice of `service` with ready endpoints on port 8080.
pub fn slice(name: &str, service: &str, ips: &[&str]) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "endpoints": ips.iter().map(|ip| json!({"addresses": [ip], "conditions": {"ready": true}})).collect::<Vec<_>>()
    })
}

/// A self-signed certificate and its key for `host`, as PEM.
pub fn certificate(host: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![host.to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}

/// A self-signed certificate for `host` that expired at the end of 2021 (valid through 2021), and
/// its key.
pub fn expired_certificate(host: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec![host.to_owned()]).expect("params");
    params.not_before = rcgen::date_time_ymd(2021, 1, 1);
    params.not_after = rcgen::date_time_ymd(2022, 1, 1);
    let cert = params.self_signed(&key).expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}

/// The Secret `name` with a self-signed certificate for `host` (`tls.crt`, `tls.key`), of `type_`.
pub fn tls_secret(name: &str, host: &str, type_: &str) -> Value {
    let (cert, key) = certificate(host);
    json!({"apiVersion": "v1", "kind": "Secret", "type": type_, "metadata": {"name": name},
        "stringData": {"tls.crt": cert, "tls.key": key}})
}

/// The controller user of every test's avisim.
pub const USER: &str = "admin";

/// An avisim with its default seed, and a client logged in to it.
pub async fn avisim(password: &str) -> (avisim::Avisim, avi_client::Client) {
    avisim_with(avisim::SimConfig::local(USER, password)).await
}

/// An avisim started with `config`, and a client logged in to it.
pub async fn avisim_with(config: avisim::SimConfig) -> (avisim::Avisim, avi_client::Client) {
    let password = config.password.clone();
    let sim = start_avisim(config).await;
    let config =
        avi_client::Config::new(sim.url(), USER, avi_client::Credential::password(password)).with_ca_pem(sim.ca_pem());
    let avi = avi_client::Client::connect(config).await.expect("log in to avisim");
    (sim, avi)
}

/// Start an avisim.
pub async fn start_avisim(config: avisim::SimConfig) -> avisim::Avisim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    avisim::Avisim::start(config).await.expect("avisim starts")
}

/// An avisim that keeps its objects (`dir/state.json`) and its CA (`dir/certs`) on disk, on
/// loopback `port` (0: a free one): started again with the same `dir` and port, it is the same
/// controller at the same address, as a restarted controller would be.
pub fn persistent_avisim(password: &str, dir: &Path, port: u16) -> avisim::SimConfig {
    avisim::SimConfig {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        cert_dir: Some(dir.join("certs")),
        state_file: Some(dir.join("state.json")),
        ..avisim::SimConfig::local(USER, password)
    }
}

/// A fresh namespace labelled `ako-e2e=<its name>` (what each test's `ako run` selects, so
/// tests running in parallel ignore each other), and the cluster's default IngressClass
/// `avi-lb`, applied idempotently since the tests share it.
pub async fn scoped_namespace(prefix: &str) -> ako_testenv::TestNamespace {
    scoped_namespace_in(ako_testenv::testenv(), prefix).await
}

/// [`scoped_namespace`] on `env` (an API server of the test's own).
pub async fn scoped_namespace_in(env: &ako_testenv::TestEnv, prefix: &str) -> ako_testenv::TestNamespace {
    use k8s_openapi::api::core::v1::Namespace;
    use k8s_openapi::api::networking::v1::IngressClass;
    use kube::api::{Api, Patch, PatchParams};

    let ns = ako_testenv::TestNamespace::new_in(env, prefix).await;
    let label = json!({"metadata": {"labels": {"ako-e2e": ns.name()}}});
    Api::<Namespace>::all(ns.client())
        .patch(ns.name(), &PatchParams::default(), &Patch::Merge(&label))
        .await
        .expect("label the namespace");
    let class: IngressClass = serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "avi-lb",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ako.vmware.com/avi-lb"}
    }))
    .unwrap();
    Api::<IngressClass>::all(ns.client())
        .patch(
            "avi-lb",
            &PatchParams::apply(ako_testenv::FIELD_MANAGER).force(),
            &Patch::Apply(&class),
        )
        .await
        .expect("apply the IngressClass");
    ns
}

/// Create `doc` (any kind, in the namespace its metadata names if the kind is namespaced)
/// through the API, sent as raw JSON (a typed body would refuse what the API server must be asked
/// about): the API server's error when it refuses.
pub async fn create_any(client: &kube::Client, doc: &Value) -> Result<(), String> {
    use kube::api::{Api, DynamicObject, PostParams};
    use kube::core::GroupVersionKind;
    use kube::discovery::{Scope, pinned_kind};

    let api_version = doc["apiVersion"].as_str().unwrap_or("v1");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, doc["kind"].as_str().unwrap_or_default());
    let (ar, caps) = pinned_kind(client, &gvk).await.map_err(|e| e.to_string())?;
    let api = match doc["metadata"]["namespace"].as_str() {
        Some(ns) if caps.scope == Scope::Namespaced => Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar),
        _ => Api::<DynamicObject>::all_with(client.clone(), &ar),
    };
    let obj: DynamicObject = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    api.create(&PostParams::default(), &obj)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Every Ingress of `api` has an address in its status.
pub async fn ingresses_have_status(api: &kube::Api<k8s_openapi::api::networking::v1::Ingress>) -> Option<()> {
    let list = api.list(&Default::default()).await.ok()?;
    list.items
        .iter()
        .all(|i| {
            i.status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.as_ref())
                .is_some_and(|l| !l.is_empty())
        })
        .then_some(())
}

/// The Avi types ako-rs builds for Ingresses and LoadBalancer Services.
pub const BUILT_TYPES: [&str; 8] = [
    "virtualservice",
    "vsvip",
    "pool",
    "poolgroup",
    "httppolicyset",
    "sslkeyandcertificate",
    "l4policyset",
    "vsdatascriptset",
];

/// Create `body` (an object of kind `K`) in the test's namespace.
pub async fn create<K>(ns: &ako_testenv::TestNamespace, body: Value) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    create_in(&ns.api::<K>(), body).await
}

/// Create `body` (an object of kind `K`) through `api`.
pub async fn create_in<K>(api: &kube::Api<K>, body: Value) -> K
where
    K: Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
{
    let obj: K = serde_json::from_value(body).expect("valid object");
    api.create(&kube::api::PostParams::default(), &obj)
        .await
        .expect("create")
}

/// The backend the e2e tests' Ingresses use: Service `web` (port 80 → 8080) and its
/// EndpointSlice `web-1` with `ips`, in the test's namespace.
pub async fn web_backend(ns: &ako_testenv::TestNamespace, ips: &[&str]) {
    use k8s_openapi::api::core::v1::Service;
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    create::<Service>(
        ns,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}}),
    )
    .await;
    create::<EndpointSlice>(ns, slice("web-1", "web", ips)).await;
}

/// OpenShift's own Route CRD (from the OpenShift API Go module, through the Go proxy): its path.
pub fn route_crd() -> std::path::PathBuf {
    script_output("route-crd.sh")
}

/// The directory of the Gateway API's standard-channel CRDs (the `sigs.k8s.io/gateway-api` Go
/// module of the release Go AKO 2.2 vendors, through the Go proxy).
pub fn gateway_crds() -> std::path::PathBuf {
    script_output("gateway-crds.sh")
}

/// A kube-apiserver of its own with the Gateway API's standard CRDs and AKO's GatewayClass
/// `avi-lb` (as the chart creates it), and its client.
pub async fn gateway_api_testenv() -> (ako_testenv::TestEnv, kube::Client) {
    let env = ako_testenv::TestEnv::start_private(&[]).expect("a testenv of its own");
    let client = env.client().await.expect("client");
    for entry in std::fs::read_dir(gateway_crds()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            ako_testenv::install_crd(&client, &path)
                .await
                .expect("install a Gateway API CRD");
        }
    }
    create_in::<ako_translate::gateway::GatewayClass>(
        &kube::Api::all(client.clone()),
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": {"name": "avi-lb"}, "spec": {"controllerName": "ako.vmware.com/avi-lb"}}),
    )
    .await;
    (env, client)
}

/// The Gateway API conformance suite compiled as a test binary (testenv/gateway-conformance).
pub fn gateway_conformance_suite() -> std::path::PathBuf {
    script_output("gateway-conformance.sh")
}

/// What `scripts/<script>` prints (a path), or the test fails with its error.
fn script_output(script: &str) -> std::path::PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(script);
    let out = std::process::Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().into()
}

/// AKO values for cluster `cluster`, serving only the namespace `scoped_namespace` made. Static
/// routes are off: Nodes are cluster-wide in the shared testenv, and a test about something else
/// must not write routes for the Nodes another test creates (the routes tests turn them on).
pub fn values_yaml(cluster: &str, ns: &str) -> String {
    format!(
        "AKOSettings:\n  clusterName: {cluster}\n  disableStaticRouteSync: true\n  namespaceSelector:\n    labelKey: ako-e2e\n    labelValue: {ns}\n\
         NetworkSettings:\n  vipNetworkList:\n    - networkName: vip-net\n\
         L7Settings:\n  serviceType: ClusterIP\n  shardVSSize: SMALL\n\
         ControllerSettings:\n  cloudName: Default-Cloud\n  serviceEngineGroupName: Default-Group\n  tenantName: admin\n"
    )
}

/// One `ako run` process (the real binary), killed when dropped.
pub struct AkoRun {
    name: String,
    child: std::sync::Mutex<std::process::Child>,
    log: std::path::PathBuf,
    port_file: std::path::PathBuf,
}

impl AkoRun {
    /// `ako run` against the testenv, its admin server on a free loopback port (written to
    /// `<dir>/<name>.port`) and its log in `<dir>/<name>.log`; `configure` adds the
    /// configuration (arguments, environment).
    pub fn start(dir: &Path, name: &str, configure: impl FnOnce(&mut std::process::Command)) -> AkoRun {
        AkoRun::start_on(ako_testenv::testenv().kubeconfig(), dir, name, configure)
    }

    /// [`AkoRun::start`] against the API server of `kubeconfig`.
    pub fn start_on(
        kubeconfig: &Path,
        dir: &Path,
        name: &str,
        configure: impl FnOnce(&mut std::process::Command),
    ) -> AkoRun {
        let log = dir.join(format!("{name}.log"));
        let port_file = dir.join(format!("{name}.port"));
        // AKO_RUN_WRAPPER: a command the binary runs under (a profiler: `heaptrack -o FILE`).
        let mut cmd = match std::env::var("AKO_RUN_WRAPPER") {
            Ok(wrapper) if !wrapper.trim().is_empty() => {
                let mut words = wrapper.split_whitespace();
                let mut cmd = std::process::Command::new(words.next().unwrap_or_default());
                cmd.args(words).arg(env!("CARGO_BIN_EXE_ako"));
                cmd
            }
            _ => std::process::Command::new(env!("CARGO_BIN_EXE_ako")),
        };
        cmd.arg("run")
            // Servers in tests listen on loopback only, on a free port.
            .args(["--admin-listen", "127.0.0.1:0", "--admin-port-file"])
            .arg(&port_file)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .env("RUST_LOG", "info")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        configure(&mut cmd);
        AkoRun {
            name: name.to_owned(),
            child: std::sync::Mutex::new(cmd.spawn().expect("start ako run")),
            log,
            port_file,
        }
    }

    /// `ako run` with `values_yaml(cluster, ns)` and the controller at `controller`, trusted
    /// through `ca_pem` (credentials from the environment).
    pub fn with_values(
        dir: &Path,
        name: &str,
        cluster: &str,
        ns: &str,
        controller: &str,
        ca_pem: &str,
        password: &str,
    ) -> AkoRun {
        AkoRun::with_yaml(
            dir,
            name,
            &values_yaml(cluster, ns),
            controller,
            ca_pem,
            password,
            |_| {},
        )
    }

    /// `ako run` with `values` (a values.yaml) and the controller at `controller`, trusted
    /// through `ca_pem`; then `more` on the command.
    pub fn with_yaml(
        dir: &Path,
        name: &str,
        values_text: &str,
        controller: &str,
        ca_pem: &str,
        password: &str,
        more: impl FnOnce(&mut std::process::Command),
    ) -> AkoRun {
        let kubeconfig = ako_testenv::testenv().kubeconfig();
        AkoRun::with_yaml_on(kubeconfig, dir, name, values_text, controller, ca_pem, password, more)
    }

    /// [`AkoRun::with_yaml`] against the API server of `kubeconfig`.
    #[allow(clippy::too_many_arguments)]
    pub fn with_yaml_on(
        kubeconfig: &Path,
        dir: &Path,
        name: &str,
        values_text: &str,
        controller: &str,
        ca_pem: &str,
        password: &str,
        more: impl FnOnce(&mut std::process::Command),
    ) -> AkoRun {
        let values = dir.join(format!("{name}-values.yaml"));
        std::fs::write(&values, values_text).unwrap();
        let ca = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&ca, ca_pem).unwrap();
        AkoRun::start_on(kubeconfig, dir, name, |cmd| {
            cmd.arg("--values")
                .arg(&values)
                .arg("--controller")
                .arg(controller)
                .arg("--ca-file")
                .arg(&ca)
                .env("AKO_CONTROLLER_USERNAME", USER)
                .env("AKO_CONTROLLER_PASSWORD", password);
            more(cmd);
        })
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How it ended, if it did.
    pub fn exited(&self) -> Option<std::process::ExitStatus> {
        self.child.lock().unwrap().try_wait().ok().flatten()
    }

    /// The name it was started with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file its admin port is written to.
    pub fn port_file(&self) -> &Path {
        &self.port_file
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Send it `signal` (`TERM`, `STOP`, `CONT`, `KILL`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// The admin server's port, once written.
    pub async fn admin_port(&self, wait: std::time::Duration) -> u16 {
        eventually("the admin port file", wait, self, || async {
            read_port(&self.port_file)
        })
        .await
    }
}

impl Drop for AkoRun {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Every object of Avi type `kind`, references with their `#name`.
pub async fn avi_objects(avi: &avi_client::Client, kind: &str) -> Vec<Value> {
    avi.list_page::<Value>(kind, &avi_client::Query::new().include_name().page_size(200))
        .await
        .map(|p| p.results)
        .unwrap_or_default()
}

/// The object of Avi type `kind` named `name`, references with their `#name`.
pub async fn avi_object(avi: &avi_client::Client, kind: &str, name: &str) -> Option<Value> {
    let page = avi
        .list_page::<Value>(kind, &avi_client::Query::new().name(name).include_name())
        .await
        .ok()?;
    page.results.into_iter().next()
}

/// The name a reference ends with (`https://host/api/x/<uuid>#<name>`).
pub fn ref_name(v: &Value) -> Option<&str> {
    v.as_str()?.rsplit_once('#').map(|(_, n)| n)
}

/// Two periodic full syncs of `run` pass (its log says so) and `sim` receives no write in
/// between: a full sync with nothing changed writes nothing.
pub async fn no_writes_over_two_resyncs(run: &AkoRun, sim: &avisim::Avisim, wait: std::time::Duration) {
    let resyncs = |log: String| log.matches("periodic full resync").count();
    let writes = sim.counters().writes();
    let seen = resyncs(run.log_text());
    eventually("two periodic full syncs", wait, run, || async {
        (resyncs(run.log_text()) >= seen + 2).then_some(())
    })
    .await;
    assert_eq!(
        sim.counters().writes(),
        writes,
        "a full sync with nothing changed writes nothing"
    );
}

/// What a wait watches: the `ako run` process(es) under test and their logs.
pub trait Watched {
    /// How the process under test ended, if it did.
    fn exited(&self) -> Option<std::process::ExitStatus>;
    /// The logs to show when a wait fails.
    fn log_text(&self) -> String;
}

impl Watched for AkoRun {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        AkoRun::exited(self)
    }

    fn log_text(&self) -> String {
        AkoRun::log_text(self)
    }
}

/// Poll `probe` every 100 ms until it yields a value; fail with `what` and the logs when the
/// watched process exits or after `wait`.
pub async fn eventually<T, F, Fut>(what: &str, wait: std::time::Duration, watched: &dyn Watched, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_every(what, wait, std::time::Duration::from_millis(100), watched, probe).await
}

/// [`eventually`], polling every `every` (benchmarks time what they poll for).
pub async fn eventually_every<T, F, Fut>(
    what: &str,
    wait: std::time::Duration,
    every: std::time::Duration,
    watched: &dyn Watched,
    mut probe: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + wait;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if let Some(status) = watched.exited() {
            panic!(
                "ako run exited ({status}) while waiting for {what}; log:\n{}",
                watched.log_text()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; ako log:\n{}",
            watched.log_text()
        );
        // Polling interval of an external process with no event to wait on.
        tokio::time::sleep(every).await;
    }
}
