//! What `ako plan` prints never holds a private key or a secret: a PEM private key anywhere in a
//! body (the `key` of an `sslkeyandcertificate`, from an Ingress's TLS Secret) and the OAuth
//! secrets of a VS (`client_secret`, `server_secret`, from an SSORule's Secrets) are shown as
//! their SHA-256 fingerprint, enough to tell two apart and to match one against its Secret.

use serde_json::Value;

/// Replace every PEM private key in `value` with `<private key sha256:HEX>` (the SHA-256 of the
/// PEM text as given), and every secret field with `<secret sha256:HEX>`.
pub fn private_keys(value: &mut Value) {
    match value {
        Value::String(s) if is_private_key(s) => {
            *s = format!("<private key sha256:{}>", avi_client::fingerprint(s.as_bytes()));
        }
        Value::Array(items) => items.iter_mut().for_each(private_keys),
        Value::Object(fields) => {
            for (name, v) in fields.iter_mut() {
                match v {
                    Value::String(s) if avi_model::SECRET_FIELDS.contains(&name.as_str()) => {
                        *s = format!("<secret sha256:{}>", avi_client::fingerprint(s.as_bytes()));
                    }
                    v => private_keys(v),
                }
            }
        }
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

    #[test]
    fn oauth_secrets_become_fingerprints() {
        let mut v = json!({"oauth_vs_config": {"oauth_settings": [{"app_settings": {"client_id": "app",
            "client_secret": "marker-client"}, "resource_server": {"opaque_token_params":
            {"server_id": "s", "server_secret": "marker-server"}}}]}});
        private_keys(&mut v);
        let text = v.to_string();
        assert!(!text.contains("marker-"), "{text}");
        assert!(text.contains(&format!(
            "<secret sha256:{}>",
            avi_client::fingerprint(b"marker-client")
        )));
        assert!(text.contains("\"client_id\":\"app\""), "{text}");
    }
}
