//! The objects a fresh simulator starts with. The default seed (`seed/default.json`, embedded)
//! is what a real AKO needs to boot: tenant `admin`, cloud `Default-Cloud` with IPAM and DNS
//! profiles, VIP network `vip-net` (127.100.0.0/16), SE group `Default-Group`, VRF `global`
//! and the system profiles. `--seed FILE` replaces it with a file of the same shape.
//!
//! It also holds, in tenant `admin` and not created by AKO (no `created_by`), the objects
//! AKO's HostRule and HTTPRule tests name (AKO looks each up by name before accepting a rule):
//! certificates `avi-cert` (EC P-256) and `avi-cert-alt` (RSA 2048), throwaway self-signed, with
//! their keys; SSL profile `System-Standard-PFS`; WAF policy `waf-app`; HTTP application profile
//! `app-http-custom`; `analytics-custom`; `errorpage-custom`; ICAP profile `icap-custom`;
//! network security policy `nsp-custom`; HTTP policy set `hps-custom`; datascript set
//! `ds-custom`; health monitors `hm-http-custom` (HTTP) and `hm-tcp-custom` (TCP); persistence
//! profile `persistence-custom`; PKI profile `pki-custom` (a throwaway CA); auth profiles
//! `auth-oauth` (OAuth) and `auth-saml` (SAML) and the SSO policies using them, `sso-oauth` and
//! `sso-saml`.

use avi_model::ObjectType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The embedded default seed.
pub const DEFAULT_SEED: &str = include_str!("../seed/default.json");

/// A seed file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Seed {
    /// Controller identity.
    #[serde(default)]
    pub controller: ControllerFacts,
    /// Objects, created in order through the normal write path (so references must point
    /// backwards), or merged into an earlier object with `"op": "update"`.
    pub objects: Vec<SeedObject>,
}

/// One seed step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeedObject {
    /// Collection name, e.g. `cloud`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `create` (default) or `update` (merge these fields into the object of the same name).
    #[serde(default)]
    pub op: SeedOp,
    /// Read-only system object.
    #[serde(default)]
    pub system: bool,
    /// The body, references in any form.
    pub body: Map<String, Value>,
}

/// What a seed step does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOp {
    /// Create a new object.
    #[default]
    Create,
    /// Merge into an existing object of the same type and name.
    Update,
}

/// Facts about the simulated controller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControllerFacts {
    /// Reported in `/api/initial-data` `version.Version` and on login.
    pub version: String,
    /// Build number.
    pub build: u64,
    /// Name of the leader node in `/api/cluster/runtime`.
    pub leader_name: String,
    /// When the leader came up; set on first start and kept across restarts, because AKO
    /// shuts down when it changes.
    pub up_since: String,
}

impl Default for ControllerFacts {
    fn default() -> Self {
        ControllerFacts {
            version: "31.1.1".into(),
            build: 9001,
            leader_name: "127.0.0.1".into(),
            up_since: String::new(),
        }
    }
}

impl Seed {
    /// Parse a seed document and check its types.
    pub fn parse(text: &str) -> anyhow::Result<Seed> {
        let seed: Seed = serde_json::from_str(text)?;
        for obj in &seed.objects {
            obj.kind
                .parse::<ObjectType>()
                .map_err(|e| anyhow::anyhow!("seed: {e}"))?;
        }
        Ok(seed)
    }

    /// The embedded default seed.
    pub fn default_seed() -> Seed {
        Seed::parse(DEFAULT_SEED).expect("the embedded seed is valid (checked by tests)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::PublicKeyData;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    /// The seeded certificates are real: one PEM certificate each, a key that parses and
    /// belongs to it (its public key is the certificate's).
    #[test]
    fn seeded_certificates_are_real_pem_with_their_keys() {
        let seed = Seed::default_seed();
        let certs: Vec<&SeedObject> = seed
            .objects
            .iter()
            .filter(|o| o.kind == "sslkeyandcertificate")
            .collect();
        assert_eq!(certs.len(), 2);
        for obj in certs {
            let name = obj.body["name"].as_str().unwrap();
            let pem = obj.body["certificate"]["certificate"].as_str().unwrap();
            let der: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(der.len(), 1, "{name}");
            let key = rcgen::KeyPair::from_pem(obj.body["key"].as_str().unwrap())
                .unwrap_or_else(|e| panic!("{name}: key: {e}"));
            let spki = key.subject_public_key_info();
            assert!(
                der[0].windows(spki.len()).any(|w| w == spki.as_slice()),
                "{name}: the key is not the certificate's"
            );
        }
        let pki = seed.objects.iter().find(|o| o.kind == "pkiprofile").unwrap();
        let ca = pki.body["ca_certs"][0]["certificate"].as_str().unwrap();
        assert_eq!(CertificateDer::pem_slice_iter(ca.as_bytes()).count(), 1);
    }
}
