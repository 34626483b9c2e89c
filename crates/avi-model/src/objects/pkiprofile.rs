//! `pkiprofile`: CA certificates to verify backends (AKO's re-encrypt pools).

use crate::common::RoleFilterMatchLabel;
use crate::objects::sslkeyandcertificate::SSLCertificate;

avi_object! {
    /// A PKI profile.
    pub struct PKIProfile: PkiProfile {
        created_by: String,
        crl_check: bool,
        ca_certs: Vec<SSLCertificate>,
        markers: Vec<RoleFilterMatchLabel>,
    }
}
