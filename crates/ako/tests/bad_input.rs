//! Bad input through `ako plan` (the real binary), table-driven: each case is one bad object next
//! to a good Ingress. The bad one gets a message naming it and what is wrong (and, for what the
//! API server would refuse, the field); the good one is planned all the same; the process exits
//! cleanly (or, for a file that cannot be read at all, fails naming the file). RELIABILITY.md
//! lists the cases with their messages.

use std::process::Command;

mod support;

use support::bad_inputs::{BASE, VALUES, cases};

#[test]
fn each_bad_input_is_named_and_the_rest_is_planned() {
    let dir = tempfile::tempdir().unwrap();

    let mut report = Vec::new();
    for (n, c) in cases().into_iter().enumerate() {
        let m = dir.path().join(format!("case-{n}"));
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("base.yaml"), BASE).unwrap();
        std::fs::write(m.join("case.yaml"), &c.manifest).unwrap();
        let values = dir.path().join(format!("values-{n}.yaml"));
        std::fs::write(&values, c.values.as_deref().unwrap_or(VALUES)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ako"))
            .args(["plan", "--dns-domain", "avi.internal", "-o", "json", "--manifests"])
            .arg(&m)
            .arg("--values")
            .arg(&values)
            .output()
            .expect("run ako plan");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", c.name);
        for s in c.says {
            assert!(stderr.contains(s), "{}: stderr does not say {s:?}:\n{stderr}", c.name);
        }
        if c.fails {
            assert!(!out.status.success(), "{}: exit 0", c.name);
            let said = stderr
                .lines()
                .skip_while(|l| !l.starts_with("error:"))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            report.push((c.name, said.to_owned()));
            continue;
        }
        assert!(out.status.success(), "{}: {stderr}", c.name);
        let objects: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
        let named = |what: &str| {
            objects
                .iter()
                .any(|o| o["name"].as_str().is_some_and(|n| n.contains(what)))
        };
        assert!(named("shop-good"), "{}: the good Ingress is not planned", c.name);
        // An insecure host's objects are named `…-shop-bad…`, a TLS host's `c1--shop-<host>_<path>-bad…`.
        assert_eq!(
            named("shop-bad") || named("_-bad"),
            c.served,
            "{}: the bad Ingress planned or not",
            c.name
        );
        let said = stderr
            .lines()
            .find(|l| (l.contains("bad") || l.contains("WARN")) && !l.contains("as installed by AKO's chart"))
            .map(|l| l.split_once(".yaml: ").map_or(l, |(_, rest)| rest))
            .unwrap_or(if c.served {
                "(no message: served as AKO serves it)"
            } else {
                "(no message: not ako-rs's Ingress)"
            });
        report.push((c.name, said.to_owned()));
    }
    // The table RELIABILITY.md shows (printed with --nocapture).
    for (name, said) in &report {
        println!("| {name} | {} |", said.replace('|', "\\|"));
    }
    assert!(report.len() >= 60, "{} cases", report.len());
}
