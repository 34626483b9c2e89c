//! `ako demo` as a user runs it: the real binary, its embedded avisim, `examples/` as the
//! cluster. One pass converges and shows the VIPs the simulator's IPAM allocated; when a file
//! changes, the demo runs again and the controller follows (a new Service appears, a deleted
//! one goes); the periodic full sync runs without a change and writes nothing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn one_pass_converges_and_shows_allocated_vips() {
    let out = Command::new(env!("CARGO_BIN_EXE_ako"))
        .args(["demo", "--once"])
        .current_dir(repo())
        .output()
        .expect("run ako demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 failed"), "{stdout}");
    // Every Ingress host and Service gets an address from the simulator's VIP network.
    for who in [
        "Ingress shop/storefront: ip 127.100.",
        "Service shop/payments: ip 127.100.",
        "Service shop/resolver: ip 127.100.",
    ] {
        assert!(stdout.contains(who), "missing {who:?} in\n{stdout}");
    }
    assert!(stdout.contains("virtualservice demo--Shared-L7-0"), "{stdout}");
    assert!(stdout.contains("SNI child for shop.avi.internal"), "{stdout}");
}

/// The demo's stdout, line by line, readable with a deadline.
struct Demo {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Demo {
    fn start(manifests: &Path, values: &Path, extra: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ako"))
            .args(["demo", "--poll-ms", "100"])
            .args(extra)
            .arg("--manifests")
            .arg(manifests)
            .arg("--values")
            .arg(values)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ako demo");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Read until a line contains `text`; fail after 60 s.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(text);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no line with {text:?} within 60 s; output so far:\n{}",
            self.seen.join("\n")
        );
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_changed_file_is_applied_on_the_next_pass() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).unwrap();
    for entry in std::fs::read_dir(repo().join("examples/manifests")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, manifests.join(path.file_name().unwrap())).unwrap();
    }
    let values = dir.path().join("values.yaml");
    std::fs::copy(repo().join("examples/values.yaml"), &values).unwrap();

    let mut demo = Demo::start(&manifests, &values, &[]);
    demo.wait_for("Service shop/resolver: ip 127.100.");
    demo.wait_for("watching");

    // A new LoadBalancer Service appears: its VS, VsVip, pool and L4 policy set are created.
    std::fs::write(
        manifests.join("ledger.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: ledger, namespace: shop}\n\
         spec: {type: LoadBalancer, ports: [{port: 7000, targetPort: 7000, protocol: TCP}]}\n",
    )
    .unwrap();
    demo.wait_for("change detected");
    demo.wait_for("4 created");
    demo.wait_for("Service shop/ledger: ip 127.100.");
    demo.wait_for("watching");

    // The resolver Service goes: its objects are deleted.
    let payments = manifests.join("payments.yaml");
    let text = std::fs::read_to_string(&payments).unwrap();
    let cut = text
        .find("---\napiVersion: v1\nkind: Service\nmetadata: {name: resolver")
        .expect("resolver in payments.yaml");
    std::fs::write(&payments, &text[..cut]).unwrap();
    demo.wait_for("change detected");
    demo.wait_for("4 deleted");
    demo.wait_for("watching");
    let last_pass = demo.seen.iter().rposition(|l| l.contains("change detected")).unwrap();
    assert!(
        !demo.seen[last_pass..].iter().any(|l| l.contains("shop/resolver")),
        "{}",
        demo.seen[last_pass..].join("\n")
    );
}

#[test]
fn the_periodic_full_sync_writes_nothing_when_nothing_changed() {
    let root = repo();
    let mut demo = Demo::start(
        &root.join("examples/manifests"),
        &root.join("examples/values.yaml"),
        &["--resync-seconds", "1"],
    );
    demo.wait_for("22 created, 0 updated, 0 deleted, 0 unchanged, 0 failed");
    demo.wait_for("periodic resync");
    demo.wait_for("0 created, 0 updated, 0 deleted, 22 unchanged, 0 failed");
}
