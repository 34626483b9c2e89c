//! Trust on first use of the controller's certificate, for controllers with a self-signed
//! certificate and no CA given (how most Avi Controllers ship): the certificate is accepted by
//! its SHA-256 fingerprint instead of a chain to a trusted root. With no fingerprint yet, the
//! first one seen is accepted and recorded (the caller persists it); with one, only that one is.
//! The handshake signature is still verified, so a party that holds the certificate but not its
//! private key is refused.

use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::sync::watch;

/// The controller certificate's fingerprint: lower-case hex SHA-256 of its DER.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint to accept, the last one seen and the last one refused. Clones share them, so
/// the caller keeps one to read what happened after login, and to hear of a refusal later.
#[derive(Clone)]
pub struct CertificatePin {
    /// Accepted (hex SHA-256); `None` until first use.
    expected: Arc<Mutex<Option<String>>>,
    seen: Arc<Mutex<Option<String>>>,
    refused: Arc<watch::Sender<Option<Refusal>>>,
}

impl CertificatePin {
    /// Accept only `expected` (hex SHA-256, any case, `:` separators allowed), or, when `None`,
    /// the first certificate seen, and from then on only that one.
    pub fn new(expected: Option<&str>) -> Self {
        CertificatePin {
            expected: Arc::new(Mutex::new(expected.map(|e| e.replace(':', "").to_ascii_lowercase()))),
            seen: Arc::default(),
            refused: Arc::new(watch::Sender::new(None)),
        }
    }

    /// The fingerprint accepted, given or taken on first use.
    pub fn expected(&self) -> Option<String> {
        self.expected.lock().clone()
    }

    /// The fingerprint of the last certificate the controller presented.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().clone()
    }

    /// Each certificate refused from now on, as it happens (the channel closes with the
    /// client that uses the pin).
    pub fn refusals(&self) -> watch::Receiver<Option<Refusal>> {
        self.refused.subscribe()
    }

    /// Accept `seen` if it is the expected one (or the first one).
    fn check(&self, seen: String) -> Result<(), String> {
        *self.seen.lock() = Some(seen.clone());
        let mut expected = self.expected.lock();
        match expected.as_ref() {
            None => {
                *expected = Some(seen);
                Ok(())
            }
            Some(e) if *e == seen => Ok(()),
            Some(e) => {
                let e = e.clone();
                drop(expected);
                self.refused.send_replace(Some(Refusal {
                    seen,
                    trusted: e.clone(),
                }));
                Err(e)
            }
        }
    }
}

impl fmt::Debug for CertificatePin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificatePin")
            .field("expected", &self.expected())
            .field("seen", &self.seen())
            .finish()
    }
}

/// A certificate refused: its fingerprint and the trusted one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The fingerprint presented.
    pub seen: String,
    /// The fingerprint trusted.
    pub trusted: String,
}

/// The rustls verifier of a [`CertificatePin`].
#[derive(Debug)]
pub(crate) struct PinVerifier {
    pin: CertificatePin,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinVerifier {
    pub(crate) fn new(pin: CertificatePin) -> Self {
        PinVerifier {
            pin,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        match self.pin.check(seen.clone()) {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(expected) => Err(rustls::Error::General(format!(
                "the controller's certificate changed: its SHA-256 fingerprint is {seen}, the one trusted is \
                 {expected}; if the controller's certificate was replaced on purpose, give its CA \
                 (certificateAuthorityData) or remove the recorded fingerprint"
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A rustls client configuration that trusts by `pin`.
pub(crate) fn tls_config(pin: CertificatePin) -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinVerifier::new(pin)))
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_sha256_hex_and_pins_normalize() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let pin = CertificatePin::new(Some("BA:78:16:BF"));
        assert_eq!(pin.expected().as_deref(), Some("ba7816bf"));
        assert_eq!(pin.seen(), None);
    }

    #[test]
    fn the_first_certificate_is_trusted_and_then_only_it() {
        let pin = CertificatePin::new(None);
        let refusals = pin.refusals();
        assert_eq!(pin.check("aa".into()), Ok(()));
        assert_eq!(pin.expected().as_deref(), Some("aa"), "taken on first use");
        assert_eq!(pin.check("aa".into()), Ok(()));
        assert_eq!(pin.check("bb".into()), Err("aa".to_owned()));
        assert_eq!(pin.seen().as_deref(), Some("bb"));
        let refusal = refusals.borrow().clone().unwrap();
        assert_eq!((refusal.seen.as_str(), refusal.trusted.as_str()), ("bb", "aa"));
    }
}
