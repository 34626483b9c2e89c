//! Go AKO (`AKO_BENCH_GO_AKO`: a binary built from AKO's source, see `bench/side-by-side.sh`) as
//! the operator under measurement, started as the chart starts it: the environment of the
//! StatefulSet, the ConfigMap and Secret in `avi-system`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One Go AKO process, killed when dropped.
pub struct GoAko {
    child: Mutex<std::process::Child>,
    log: PathBuf,
}

impl GoAko {
    /// Start `binary` against the API server of `kubeconfig` with the chart's environment `env`.
    pub fn start(binary: &Path, kubeconfig: &Path, dir: &Path, env: &[(String, String)]) -> GoAko {
        // AKO reads $HOME/.kube/config (its -kubeconfig flag is not used).
        let home = dir.join("go-ako-home");
        std::fs::create_dir_all(home.join(".kube")).unwrap();
        std::fs::copy(kubeconfig, home.join(".kube/config")).unwrap();
        let log = dir.join("go-ako.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(binary)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("HOME", &home)
            // Its glog files go there rather than to /tmp.
            .env("TMPDIR", dir)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start Go AKO {}: {e}", binary.display()));
        GoAko {
            child: Mutex::new(child),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// SIGTERM, then wait for it to end.
    pub fn stop(&self) {
        let pid = self.pid();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.exited_now().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    fn exited_now(&self) -> Option<std::process::ExitStatus> {
        self.child.lock().unwrap().try_wait().ok().flatten()
    }
}

impl super::support::Watched for GoAko {
    fn exited(&self) -> Option<std::process::ExitStatus> {
        self.exited_now()
    }

    fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        // The end is what tells why it stopped.
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(200)..].join("\n")
    }
}

impl Drop for GoAko {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}
