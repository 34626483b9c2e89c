//! Whether a TLS host's certificate has expired. AKO sends an expired certificate and the
//! controller serves it: clients refuse the host, and nothing says why on the Ingress. ako-rs
//! serves it too (a renewal needs only the Secret updated) and says it. Judged at the time the
//! caller gives ([`crate::CloudFacts::now`]): translation reads no clock. Parsing costs more than
//! the rest of a host's translation, so each certificate's end of validity is remembered
//! ([`crate::memo`]).

use std::sync::OnceLock;

use k8s_openapi::jiff::Timestamp;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::memo::Memo;

/// When the first certificate of `cert_pem` expired, if it has by `now`; `None` when it has not,
/// or cannot be read (the controller judges those).
pub fn expired(cert_pem: &str, now: Timestamp) -> Option<Timestamp> {
    static NOT_AFTER: OnceLock<Memo<Option<i64>>> = OnceLock::new();
    let not_after = NOT_AFTER
        .get_or_init(Memo::default)
        .get_or(&[cert_pem], || not_after(cert_pem))?;
    let end = Timestamp::from_second(not_after).ok()?;
    (end < now).then_some(end)
}

/// The first certificate's `notAfter`, in seconds since the epoch.
fn not_after(cert_pem: &str) -> Option<i64> {
    let der = CertificateDer::pem_slice_iter(cert_pem.as_bytes()).next()?.ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    Some(cert.validity().not_after.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_expires_at_its_not_after() {
        // The simulator's seeded certificates: valid for years from when they were made.
        for (pem, _) in crate::tls_pair::tests::seeded() {
            let end = Timestamp::from_second(not_after(&pem).expect("readable")).unwrap();
            assert_eq!(expired(&pem, end), None, "valid up to its last second");
            let after = end.checked_add(jiff_second()).unwrap();
            assert_eq!(expired(&pem, after), Some(end));
            assert_eq!(expired(&pem, Timestamp::UNIX_EPOCH), None);
        }
    }

    #[test]
    fn what_cannot_be_read_is_left_to_the_controller() {
        let now = Timestamp::from_second(4_000_000_000).unwrap();
        assert_eq!(expired("not PEM", now), None);
        assert_eq!(
            expired("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", now),
            None
        );
    }

    fn jiff_second() -> k8s_openapi::jiff::SignedDuration {
        k8s_openapi::jiff::SignedDuration::from_secs(1)
    }
}
