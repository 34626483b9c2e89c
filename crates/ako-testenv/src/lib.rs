//! Test support for ako-rs: a real kube-apiserver ("testenv") per test binary, and a fresh
//! namespace plus `kube::Client` per test.
//!
//! Where the apiserver comes from, in order:
//! 1. `AKO_TESTENV_KUBECONFIG=/path/kubeconfig`: an already running testenv (as CI starts it with
//!    `scripts/testenv.sh start DIR`). The developer's own `KUBECONFIG` is deliberately ignored, so
//!    tests never touch a real cluster.
//! 2. Otherwise this crate starts the testenv binary (`AKO_TESTENV_BIN`, else
//!    `$TESTENV_HOME/bin/testenv`, else `<repo>/.testenv/bin/testenv`) once per test binary, with
//!    `--watch-pid` so it shuts down when the test binary exits.
//! 3. If the binary is missing: when required (`CI` set, or `AKO_TESTENV_REQUIRED=1`) every test
//!    panics at once; otherwise `scripts/testenv.sh build` is run first (slow when cold), and tests
//!    panic if that fails. Tests never skip.
//!
//! [`helm()`] finds the `helm` binary the same way (`AKO_HELM_BIN`, `scripts/testenv.sh tools`).
//!
//! `AKO_TESTENV_START_TIMEOUT` (seconds, default 180) bounds a start. Under cargo-nextest every test
//! is its own process and would start its own server: point `AKO_TESTENV_KUBECONFIG` at a shared one.
//!
//! ```no_run
//! # async fn demo() {
//! use k8s_openapi::api::core::v1::ConfigMap;
//! let ns = ako_testenv::TestNamespace::new("demo").await;
//! let cms = ns.api::<ConfigMap>();
//! # let _ = cms;
//! ns.delete().await;
//! # }
//! ```

use std::fmt::Debug;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::{Condition, await_condition, conditions};
use kube::{Api, Client, Config, Resource, ResourceExt};
use rand::Rng as _;

/// Field manager name for everything this crate applies.
pub const FIELD_MANAGER: &str = "ako-testenv";

/// Label put on every test namespace, so leftovers can be found (`kubectl get ns -l ako-testenv`).
pub const NAMESPACE_LABEL: &str = "ako-testenv";

/// Default time a test waits for the apiserver to reflect something (watch event, condition).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// A running testenv: where its kubeconfig is, and (if this process started it) the child.
#[derive(Debug)]
pub struct TestEnv {
    kubeconfig: PathBuf,
    // The shared testenv is a static, never dropped: its server exits by itself (--watch-pid)
    // when this process does. A private one is stopped on drop.
    child: Option<Mutex<Child>>,
    // How a private one was started, to start it again ([`TestEnv::resume`]).
    started: Option<Started>,
}

#[derive(Debug)]
struct Started {
    binary: PathBuf,
    data: PathBuf,
    apiserver_args: Vec<String>,
}

/// The testenv of this test binary, started on first use. Panics with the reason when there is
/// none; the same reason is reported to every test of the binary.
pub fn testenv() -> &'static TestEnv {
    static ENV: OnceLock<Result<TestEnv, String>> = OnceLock::new();
    match ENV.get_or_init(|| TestEnv::obtain().map_err(|e| format!("{e:#}"))) {
        Ok(env) => env,
        Err(reason) => panic!("ako-testenv: no Kubernetes API server for this test: {reason}"),
    }
}

impl TestEnv {
    /// Path of the admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The kube client configuration for the admin user.
    pub async fn config(&self) -> anyhow::Result<Config> {
        // kube is built with ring but without choosing a process-wide provider; rustls refuses
        // to build a TLS config until one is installed. Ignored error: already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig)
            .with_context(|| format!("reading {}", self.kubeconfig.display()))?;
        Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .with_context(|| format!("loading {}", self.kubeconfig.display()))
    }

    /// A new admin client. Each test should make its own: a client belongs to the tokio runtime
    /// that created it, and every `#[tokio::test]` has its own runtime.
    pub async fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::try_from(self.config().await?)?)
    }

    fn obtain() -> anyhow::Result<Self> {
        if let Some(path) = std::env::var_os("AKO_TESTENV_KUBECONFIG") {
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!(
                    "AKO_TESTENV_KUBECONFIG={} does not exist; start one with \
                     `scripts/testenv.sh start DIR` and point it at DIR/kubeconfig",
                    path.display()
                );
            }
            return Ok(Self {
                kubeconfig: path,
                child: None,
                started: None,
            });
        }
        Self::start(&Self::binary()?, &[])
    }

    /// A testenv of its own rather than the binary's shared one, its kube-apiserver given
    /// `apiserver_args` too (an audit log, say); stopped when dropped. Never
    /// `AKO_TESTENV_KUBECONFIG`'s server: a test that needs apiserver flags needs its own.
    pub fn start_private(apiserver_args: &[String]) -> anyhow::Result<TestEnv> {
        Self::start(&Self::binary()?, apiserver_args)
    }

    /// The testenv binary, built first when missing (unless a testenv is required).
    fn binary() -> anyhow::Result<PathBuf> {
        let binary = binary_path();
        if !binary.is_file() {
            if required() {
                bail!(
                    "testenv binary {} not found, and a testenv is required here (CI or \
                     AKO_TESTENV_REQUIRED=1); run `scripts/testenv.sh build` first, or set \
                     AKO_TESTENV_KUBECONFIG to a running testenv's kubeconfig",
                    binary.display()
                );
            }
            build(&binary)?;
        }
        Ok(binary)
    }

    fn start(binary: &Path, apiserver_args: &[String]) -> anyhow::Result<Self> {
        // Kept (not a TempDir guard): statics are never dropped, so testenv removes the dir itself
        // on a clean exit (--remove-data-dir), and keeps it, log included, if it never got ready.
        let data = tempfile::Builder::new()
            .prefix("ako-testenv-")
            .tempdir()
            .context("creating a temporary directory")?
            .keep();
        let started = Started {
            binary: binary.to_owned(),
            data,
            apiserver_args: apiserver_args.to_vec(),
        };
        let child = started.spawn(&[])?;
        Ok(Self {
            kubeconfig: started.data.join("kubeconfig"),
            child: Some(Mutex::new(child)),
            started: Some(started),
        })
    }

    /// Kill this private testenv's API server and etcd at once (SIGKILL, as a control plane that
    /// crashes), keeping their state for [`TestEnv::resume`]. Clients see connections refused.
    pub fn kill(&self) -> anyhow::Result<()> {
        let child = self.child.as_ref().context("the shared testenv cannot be killed")?;
        let mut child = child.lock().unwrap_or_else(|p| p.into_inner());
        child.kill().context("killing testenv")?;
        child.wait().context("waiting for testenv")?;
        Ok(())
    }

    /// Start a [`TestEnv::kill`]ed testenv again on the same port, certificates, token and
    /// objects, its etcd history compacted first: a client that resumes a watch from a resource
    /// version it saw before is answered 410 Gone and must list again.
    pub fn resume(&self) -> anyhow::Result<()> {
        let (Some(child), Some(started)) = (&self.child, &self.started) else {
            bail!("the shared testenv cannot be resumed");
        };
        let server = Kubeconfig::read_from(&self.kubeconfig)?
            .clusters
            .first()
            .and_then(|c| c.cluster.as_ref()?.server.clone())
            .context("no server in the kubeconfig")?;
        let port = server.rsplit(':').next().unwrap_or_default().to_owned();
        // Its appearance is the readiness signal (testenv removes it too, once it runs).
        std::fs::remove_file(&self.kubeconfig).context("removing the old kubeconfig")?;
        let new = started.spawn(&["--restart".to_owned(), "--port".to_owned(), port])?;
        *child.lock().unwrap_or_else(|p| p.into_inner()) = new;
        Ok(())
    }
}

impl Started {
    /// Start testenv on `self.data` with `flags` and wait until it has written its kubeconfig.
    fn spawn(&self, flags: &[String]) -> anyhow::Result<Child> {
        let timeout = Duration::from_secs(
            std::env::var("AKO_TESTENV_START_TIMEOUT")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(180),
        );
        let log_path = self.data.join("testenv.log");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .context("opening testenv.log")?;
        let mut child = Command::new(&self.binary)
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--remove-data-dir")
            .arg("--watch-pid")
            .arg(std::process::id().to_string())
            .arg("--ready-timeout")
            .arg(format!("{}s", timeout.as_secs()))
            .args(flags)
            .arg("--")
            .args(&self.apiserver_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;

        // testenv writes the kubeconfig (atomically) only once /readyz is ok.
        let kubeconfig = self.data.join("kubeconfig");
        let deadline = Instant::now() + timeout;
        while !kubeconfig.is_file() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "testenv exited ({status}) before it was ready; log {}:\n{}",
                    log_path.display(),
                    tail(&log_path, 30)
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!(
                    "testenv not ready within {timeout:?}; log {}:\n{}",
                    log_path.display(),
                    tail(&log_path, 30)
                );
            }
            // Polling a file the server writes; there is no event to wait on across processes.
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(child)
    }
}

impl Drop for TestEnv {
    /// A private testenv stops with its handle (the shared one is a static: never dropped).
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            let mut child = child.lock().unwrap_or_else(|p| p.into_inner());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn required() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    ci || std::env::var("AKO_TESTENV_REQUIRED").is_ok_and(|v| v == "1")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$TESTENV_HOME/bin`, else `<repo>/.testenv/bin`: where `scripts/testenv.sh` puts its binaries.
fn bin_dir() -> PathBuf {
    let home = std::env::var_os("TESTENV_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".testenv"));
    home.join("bin")
}

fn binary_path() -> PathBuf {
    if let Some(bin) = std::env::var_os("AKO_TESTENV_BIN") {
        return bin.into();
    }
    bin_dir().join("testenv")
}

/// The `helm` binary `scripts/testenv.sh tools` builds (pinned version): `AKO_HELM_BIN`, else
/// `$TESTENV_HOME/bin/helm`, else `<repo>/.testenv/bin/helm`. Missing: an error when a testenv
/// is required (CI or `AKO_TESTENV_REQUIRED=1`, where `scripts/test.sh` has built it), else
/// `scripts/testenv.sh tools` is run first. Never a reason to skip a test.
pub fn helm() -> anyhow::Result<PathBuf> {
    let binary = match std::env::var_os("AKO_HELM_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => bin_dir().join("helm"),
    };
    if binary.is_file() {
        return Ok(binary);
    }
    if required() {
        bail!(
            "helm {} not found, and it is required here (CI or AKO_TESTENV_REQUIRED=1); run \
             `scripts/testenv.sh tools` first, or set AKO_HELM_BIN",
            binary.display()
        );
    }
    let script = repo_root().join("scripts/testenv.sh");
    eprintln!(
        "ako-testenv: {} is missing; running `{} tools`",
        binary.display(),
        script.display()
    );
    // Its stdout is the PATH export line, not wanted in test output; progress goes to stderr.
    let status = Command::new("bash")
        .arg(&script)
        .arg("tools")
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!("`{} tools` failed ({status})", script.display());
    }
    if !binary.is_file() {
        bail!(
            "`{} tools` succeeded but {} does not exist (AKO_HELM_BIN points elsewhere?)",
            script.display(),
            binary.display()
        );
    }
    Ok(binary)
}

fn build(binary: &Path) -> anyhow::Result<()> {
    let script = repo_root().join("scripts/testenv.sh");
    eprintln!(
        "ako-testenv: {} is missing; running `{} build` (a cold build takes many minutes)",
        binary.display(),
        script.display()
    );
    // stdout/stderr are inherited: cargo's capture does not reach child processes, so the
    // build's progress is visible instead of looking like a hung test.
    let status = Command::new("bash")
        .arg(&script)
        .arg("build")
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!("`{} build` failed ({status})", script.display());
    }
    if !binary.is_file() {
        bail!(
            "`{} build` succeeded but {} does not exist (AKO_TESTENV_BIN points elsewhere?)",
            script.display(),
            binary.display()
        );
    }
    Ok(())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A namespace of its own for one test, deleted (best effort) when dropped or by [`Self::delete`].
///
/// No kube-controller-manager runs in the testenv, so a deleted namespace stays `Terminating`
/// with its objects; names are random, so that never collides with a later test.
pub struct TestNamespace {
    name: String,
    client: Client,
    config: Config,
    deleted: bool,
}

impl Debug for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNamespace")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TestNamespace {
    /// Creates `<prefix>-<random>` in this binary's testenv. Panics with the reason on failure:
    /// a test without its apiserver must fail, not pass vacuously.
    pub async fn new(prefix: &str) -> Self {
        Self::new_in(testenv(), prefix).await
    }

    /// [`Self::new`] in `env` (a [`TestEnv::start_private`] one).
    pub async fn new_in(env: &TestEnv, prefix: &str) -> Self {
        match Self::try_new(env, prefix).await {
            Ok(ns) => ns,
            Err(e) => panic!("ako-testenv: creating a test namespace failed: {e:#}"),
        }
    }

    async fn try_new(env: &TestEnv, prefix: &str) -> anyhow::Result<Self> {
        let config = env.config().await?;
        let server = config.cluster_url.clone();
        let client = Client::try_from(config.clone())?;
        let name = namespace_name(prefix);
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([(NAMESPACE_LABEL.to_owned(), "true".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .with_context(|| {
                format!(
                    "creating namespace {name} at {server} (kubeconfig {})",
                    env.kubeconfig().display()
                )
            })?;
        Ok(Self {
            name,
            client,
            config,
            deleted: false,
        })
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An admin client (cluster-wide rights; not limited to this namespace).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// An API for namespaced resources `K` in this namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }

    /// Deletes the namespace now (best effort: errors are printed, not raised).
    pub async fn delete(mut self) {
        self.deleted = true;
        if let Err(e) = delete_namespace(&self.client, &self.name).await {
            eprintln!("ako-testenv: deleting namespace {}: {e:#}", self.name);
        }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        // Drop cannot await, and the test's runtime may be shutting down (or unwinding from a
        // panic). A short-lived thread with its own runtime and client does the delete; joining
        // it blocks this thread only briefly and never needs the test's runtime.
        let name = std::mem::take(&mut self.name);
        let config = self.config.clone();
        let joined = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let client = Client::try_from(config)?;
                tokio::time::timeout(Duration::from_secs(10), delete_namespace(&client, &name))
                    .await
                    .map_err(|_| anyhow!("timed out deleting namespace {name}"))?
            })
        })
        .join();
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("ako-testenv: namespace cleanup: {e:#}"),
            Err(_) => eprintln!("ako-testenv: namespace cleanup thread panicked"),
        }
    }
}

async fn delete_namespace(client: &Client, name: &str) -> anyhow::Result<()> {
    match Api::<Namespace>::all(client.clone())
        .delete(name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `<prefix>-<6 random chars>`, trimmed to a valid DNS-1123 label.
fn namespace_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let suffix: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let cleaned: String = prefix
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63 - 1 - suffix.len())
        .collect();
    let cleaned = cleaned.trim_matches('-');
    if cleaned.is_empty() {
        format!("t-{suffix}")
    } else {
        format!("{cleaned}-{suffix}")
    }
}

/// Path of a file in the shared reference material (`../shared` beside the repository).
pub fn shared_path(relative: impl AsRef<Path>) -> PathBuf {
    repo_root().join("../shared").join(relative)
}

/// Reads a CustomResourceDefinition from a YAML file, applies it (server-side, idempotent: test
/// binaries sharing a testenv may install the same CRD) and waits until it is Established.
pub async fn install_crd(client: &Client, path: impl AsRef<Path>) -> anyhow::Result<CustomResourceDefinition> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let crd: CustomResourceDefinition =
        serde_saphyr::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let name = crd
        .metadata
        .name
        .clone()
        .with_context(|| format!("{}: CRD without metadata.name", path.display()))?;
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&crd))
        .await
        .with_context(|| format!("applying CRD {name}"))?;
    wait_for(&api, &name, conditions::is_crd_established(), DEFAULT_WAIT)
        .await
        .with_context(|| format!("CRD {name} not Established"))
}

/// Waits (through a watch, no polling) until the object `name` satisfies `condition`, for at
/// most `timeout`. Returns the object that satisfied it.
pub async fn wait_for<K>(api: &Api<K>, name: &str, condition: impl Condition<K>, timeout: Duration) -> anyhow::Result<K>
where
    K: Resource + Clone + Debug + Send + serde::de::DeserializeOwned + 'static,
    K::DynamicType: Default,
{
    match tokio::time::timeout(timeout, await_condition(api.clone(), name, condition)).await {
        Ok(Ok(Some(obj))) => Ok(obj),
        Ok(Ok(None)) => bail!("{name} was deleted while waiting"),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => bail!("{name}: condition not met within {timeout:?}"),
    }
}

/// Names of the objects `api` lists, in the server's order.
pub async fn list_names<K>(api: &Api<K>) -> anyhow::Result<Vec<String>>
where
    K: Resource + Clone + Debug + serde::de::DeserializeOwned,
{
    Ok(api
        .list(&ListParams::default())
        .await?
        .iter()
        .map(ResourceExt::name_any)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::namespace_name;

    #[test]
    fn namespace_names_are_valid_dns_labels() {
        for prefix in ["ingress", "Status_And/Lease", "---", &"x".repeat(100)] {
            let name = namespace_name(prefix);
            assert!(name.len() <= 63, "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
        }
        assert_ne!(namespace_name("a"), namespace_name("a"));
    }
}
