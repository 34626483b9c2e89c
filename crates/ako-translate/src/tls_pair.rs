//! Whether a TLS Secret's private key belongs to its certificate. AKO sends any pair and the
//! controller refuses a mismatched one, leaving the host unserved with the reason only in AKO's
//! log; ako-rs says it on the Ingress instead. Only a definite mismatch counts: a pair that
//! cannot be read here (a key type or PEM layout rustls does not parse) is sent as AKO sends it.
//!
//! Loading a key costs more than the rest of a host's translation (tens of microseconds:
//! `benches/tls_pair.rs`, BENCHMARKS.md): the answer is remembered per pair ([`crate::memo`]).

use std::sync::OnceLock;

use rustls::sign::CertifiedKey;
use rustls::{Error, InconsistentKeys};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::memo::Memo;

/// True when the first certificate of `cert_pem` and the private key of `key_pem` are both
/// readable and the key is not the certificate's.
pub fn key_mismatch(cert_pem: &str, key_pem: &str) -> bool {
    static SEEN: OnceLock<Memo<bool>> = OnceLock::new();
    SEEN.get_or_init(Memo::default)
        .get_or(&[cert_pem, key_pem], || check(cert_pem, key_pem))
}

fn check(cert_pem: &str, key_pem: &str) -> bool {
    let Ok(certs) = CertificateDer::pem_slice_iter(cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>() else {
        return false;
    };
    let Ok(key) = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()) else {
        return false;
    };
    if certs.is_empty() {
        return false;
    }
    let provider = rustls::crypto::ring::default_provider();
    matches!(
        CertifiedKey::from_der(certs, key, &provider),
        Err(Error::InconsistentKeys(InconsistentKeys::KeyMismatch))
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two pairs from the simulator's seed (EC P-256 and RSA 2048).
    pub(crate) fn seeded() -> Vec<(String, String)> {
        let seed: serde_json::Value =
            serde_json::from_str(include_str!("../../avisim/seed/default.json")).expect("the seed");
        seed["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "sslkeyandcertificate")
            .map(|o| {
                let b = &o["body"];
                (
                    b["certificate"]["certificate"].as_str().unwrap().to_owned(),
                    b["key"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_key_matches_its_certificate_and_not_another() {
        let pairs = seeded();
        assert!(pairs.len() >= 2);
        let ((c0, k0), (c1, k1)) = (&pairs[0], &pairs[1]);
        assert!(!key_mismatch(c0, k0));
        assert!(!key_mismatch(c1, k1));
        assert!(key_mismatch(c0, k1));
        assert!(key_mismatch(c1, k0));
    }

    #[test]
    fn what_cannot_be_read_is_not_called_a_mismatch() {
        let (c0, k0) = &seeded()[0];
        assert!(!key_mismatch(
            "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
            k0
        ));
        assert!(!key_mismatch(
            c0,
            "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"
        ));
        assert!(!key_mismatch("", ""));
    }
}
