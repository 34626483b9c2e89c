//! The TLS key check (`ako_translate::tls_pair`): the cost of checking one pair not seen before,
//! for the avisim seed's RSA 2048 and EC P-256 pairs (each call made unseen by a different
//! trailing line, which PEM ignores).
//!
//! Run: `cargo bench -p ako-translate --bench tls_pair`.

use std::time::Instant;

use ako_translate::tls_pair::key_mismatch;

fn main() {
    let seed: serde_json::Value =
        serde_json::from_str(include_str!("../../avisim/seed/default.json")).expect("the seed");
    let pairs: Vec<(String, String, String)> = seed["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "sslkeyandcertificate")
        .map(|o| {
            let b = &o["body"];
            (
                b["name"].as_str().unwrap_or_default().to_owned(),
                b["certificate"]["certificate"].as_str().unwrap_or_default().to_owned(),
                b["key"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    const N: usize = 200;
    for (name, cert, key) in &pairs {
        let t = Instant::now();
        for i in 0..N {
            assert!(!key_mismatch(&format!("{cert}# {i}\n"), key));
        }
        let per = t.elapsed().as_secs_f64() * 1e6 / N as f64;
        let remembered = Instant::now();
        for _ in 0..N {
            assert!(!key_mismatch(cert, key));
        }
        let again = remembered.elapsed().as_secs_f64() * 1e6 / N as f64;
        println!("{name}: first check {per:.0} µs, remembered {again:.1} µs");
    }
}
