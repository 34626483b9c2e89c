//! `sslkeyandcertificate`: a certificate and key, from a Kubernetes TLS Secret.

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// A certificate with its private key (the controller redacts `key` in responses).
    pub struct SSLKeyAndCertificate: SslKeyAndCertificate {
        created_by: String,
        /// `SSL_CERTIFICATE_TYPE_VIRTUALSERVICE` or `SSL_CERTIFICATE_TYPE_CA`.
        r#type: String,
        certificate: SSLCertificate,
        key: String,
        ca_certs: Vec<CertificateAuthority>,
        status: String,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// Certificate data; the controller fills in the parsed fields.
    pub struct SSLCertificate {
        certificate: String,
        subject: serde_json::Value,
        not_after: String,
        self_signed: bool,
    }
}

avi_struct! {
    /// A CA certificate referenced by a leaf certificate.
    pub struct CertificateAuthority {
        name: String,
        ca_ref: Ref,
    }
}
