//! The simulator's HTTPS identity: a CA (kept in `--cert-dir` so restarts keep it, written as
//! `ca.crt` for clients to trust) and a server certificate for localhost and the listen address.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// PEM of the CA and the rustls config serving the leaf certificate.
pub struct TlsIdentity {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// Server config for the listener.
    pub server_config: Arc<ServerConfig>,
}

/// Build the identity; reuse `cert_dir/ca.crt` + `ca.key` when present, else create them there.
pub fn identity(cert_dir: Option<&Path>, listen_ip: IpAddr) -> anyhow::Result<TlsIdentity> {
    let ca_params = || -> anyhow::Result<CertificateParams> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "avisim CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(params)
    };
    let stored = cert_dir.map(|d| (d.join("ca.crt"), d.join("ca.key")));
    let (ca_pem, ca_key) = match &stored {
        Some((crt, key)) if crt.exists() && key.exists() => {
            let key = KeyPair::from_pem(&std::fs::read_to_string(key)?).context("read ca.key")?;
            (std::fs::read_to_string(crt)?, key)
        }
        _ => {
            let key = KeyPair::generate()?;
            let cert = ca_params()?.self_signed(&key)?;
            (cert.pem(), key)
        }
    };
    if let (Some(dir), Some((crt, key))) = (cert_dir, &stored) {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        std::fs::write(crt, &ca_pem)?;
        std::fs::write(key, ca_key.serialize_pem())?;
    }
    // The same parameters and key give the same issuer name and key identifier as the stored
    // CA certificate, so leaves chain to it without parsing it back.
    let issuer = Issuer::new(ca_params()?, ca_key);

    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !listen_ip.is_unspecified() && !listen_ip.is_loopback() {
        names.push(listen_ip.to_string());
    }
    let mut leaf = CertificateParams::new(names)?;
    leaf.distinguished_name.push(DnType::CommonName, "avisim");
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let chain = vec![
        leaf_cert.der().clone(),
        CertificateDer::from_pem_slice(ca_pem.as_bytes())?,
    ];
    let key = PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes())?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsIdentity {
        ca_pem,
        server_config: Arc::new(config),
    })
}
