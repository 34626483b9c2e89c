//! What `ako plan` prints never holds a private key: a PEM private key anywhere in a body (the
//! `key` of an `sslkeyandcertificate`, from an Ingress's TLS Secret) is shown as its SHA-256
//! fingerprint, enough to tell two keys apart and to match one against its Secret.

use serde_json::Value;

/// Replace every PEM private key in `value` with `<private key sha256:HEX>` (the SHA-256 of the
/// PEM text as given).
pub fn private_keys(value: &mut Value) {
    match value {
        Value::String(s) if is_private_key(s) => {
            *s = format!("<private key sha256:{}>", avi_client::fingerprint(s.as_bytes()));
        }
        Value::Array(items) => items.iter_mut().for_each(private_keys),
        Value::Object(fields) => fields.values_mut().for_each(private_keys),
        _ => {}
    }
}

/// PEM of a private key of any algorithm (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
/// `ENCRYPTED PRIVATE KEY`).
fn is_private_key(s: &str) -> bool {
    s.contains("-----BEGIN") && s.contains("PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_become_fingerprints_certificates_stay() {
        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let mut v = json!({"body": {"key": key, "certificate": {"certificate": cert}, "list": [key]}});
        private_keys(&mut v);
        let shown = format!("<private key sha256:{}>", avi_client::fingerprint(key.as_bytes()));
        assert_eq!(v["body"]["key"], shown.as_str());
        assert_eq!(v["body"]["list"][0], shown.as_str());
        assert_eq!(v["body"]["certificate"]["certificate"], cert);
        assert!(!v.to_string().contains("PRIVATE KEY-----"));
    }
}
