//! SSORule (`BuildL7SSORule` in AKO's `internal/nodes/crd_translator.go`, `ValidateSSORuleObj`
//! in `internal/k8s/validator.go`): its verdict, and the single sign-on settings an Accepted rule
//! puts on the EVH virtual service of the host its `fqdn` names — with the OAuth client and
//! server secrets read from the Secrets it names, references in the controller's form and AKO's
//! generated-field checksum inputs.

use avi_model::ObjectType;
use serde::Serialize;
use serde_json::Value;

use super::catalog::ControllerRef;
use super::verdict::{Verdict, check_refs};
use crate::checksum::go_json;
use crate::crds::{OAuthVsConfig, SamlSpConfig, SsoRule};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::namespaces::tenant_of;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The access type whose tokens are validated against an introspection endpoint.
const OPAQUE: &str = "ACCESS_TOKEN_TYPE_OPAQUE";
/// The access type whose tokens are JWTs.
const JWT: &str = "ACCESS_TOKEN_TYPE_JWT";
/// The ACS type that sends `acs_index`.
const ACS_INDEX: &str = "SAML_AUTHN_REQ_ACS_TYPE_INDEX";
/// The key of an OAuth application's Secret.
const CLIENT_SECRET_KEY: &str = "clientSecret";
/// The key of a resource server's Secret.
const SERVER_SECRET_KEY: &str = "serverSecret";

/// The controller objects an SSORule names: its SSO policy, each OAuth setting's auth profile,
/// the SAML signing certificate.
pub fn sso_rule_refs(rule: &SsoRule) -> Vec<ControllerRef> {
    let s = &rule.spec;
    let mut refs = vec![ControllerRef::new(ObjectType::SsoPolicy, &s.sso_policy_ref)];
    for o in oauth_settings(rule) {
        refs.push(ControllerRef::new(ObjectType::AuthProfile, &o.auth_profile_ref));
    }
    if let Some(cert) = s
        .saml_sp_config
        .as_ref()
        .and_then(|c| c.signing_ssl_key_and_certificate_ref.as_ref())
    {
        refs.push(ControllerRef::new(ObjectType::SslKeyAndCertificate, cert));
    }
    refs.retain(|r| !r.name.is_empty());
    refs.dedup();
    refs
}

/// The Secrets (of the rule's namespace) an SSORule reads: OAuth client and server secrets.
pub fn sso_rule_secrets(rule: &SsoRule) -> Vec<&str> {
    let mut names = Vec::new();
    for o in oauth_settings(rule) {
        names.extend(o.app_settings.as_ref().map(|a| a.client_secret.as_str()));
        names.extend(
            o.resource_server
                .as_ref()
                .and_then(|r| r.opaque_token_params.as_ref())
                .map(|p| p.server_secret.as_str()),
        );
    }
    names
}

fn oauth_settings(rule: &SsoRule) -> impl Iterator<Item = &crate::crds::OAuthSettings> {
    rule.spec
        .oauth_vs_config
        .iter()
        .flat_map(|c| c.oauth_settings.iter().flatten())
}

/// The verdict of the SSORule `key`. An FQDN is claimed by the oldest rule naming it that is
/// valid on its own (AKO: the first it accepted).
pub fn sso_rule_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> Verdict {
    let Some(rule) = snap.sso_rules.get(key) else {
        return Verdict::Rejected("the SSORule does not exist".to_owned());
    };
    let fqdn = &rule.spec.fqdn;
    if let Some((first, _)) = claimants(snap, fqdn)
        .take_while(|(k, _)| *k != key)
        // Rules of namespaces this instance does not serve claim nothing (AKO never sees them).
        .filter(|(k, _)| crate::namespaces::namespace_accepted(snap, settings, &k.namespace))
        .find(|(k, r)| own_checks(snap, settings, cloud, k, r).is_accepted())
    {
        return Verdict::Rejected(format!("duplicate fqdn {fqdn} found in {first}"));
    }
    own_checks(snap, settings, cloud, key, rule)
}

/// The SSORules naming `fqdn`, oldest first (ties by namespace and name).
fn claimants<'a>(snap: &'a Snapshot, fqdn: &'a str) -> impl Iterator<Item = (&'a NsName, &'a SsoRule)> {
    let mut rules: Vec<(&NsName, &SsoRule)> = snap.sso_rules.iter().filter(|(_, r)| r.spec.fqdn == fqdn).collect();
    rules.sort_by_key(|(k, r)| (r.metadata.creation_timestamp.as_ref().map(|t| t.0), *k));
    rules.into_iter()
}

/// AKO's checks of one rule on its own, in its order.
fn own_checks(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName, rule: &SsoRule) -> Verdict {
    if rule.spec.sso_policy_ref.is_empty() {
        return Verdict::Rejected("SsoPolicyRef is not specified".to_owned());
    }
    for o in oauth_settings(rule) {
        if let Some(app) = o.app_settings.as_ref() {
            let e = match settings.secrets_restricted(&key.namespace) {
                Some(e) => Some(format!("Got error while fetching {} secret : {e}", app.client_secret)),
                None => secret_error(snap, &key.namespace, &app.client_secret, CLIENT_SECRET_KEY, "secret"),
            };
            if let Some(e) = e {
                return Verdict::Rejected(e);
            }
        }
        if let Some(server) = &o.resource_server {
            let access = &server.access_type;
            if access == JWT && server.jwt_params.is_none() {
                return Verdict::Rejected(format!(
                    "Access Type is {access}, but Jwt Params have not been specified"
                ));
            }
            if access == OPAQUE && server.opaque_token_params.is_none() {
                return Verdict::Rejected(format!(
                    "Access Type is {access}, but Opaque Token Params have not been specified"
                ));
            }
            // AKO reads this one from the API server, not its cache: the message differs.
            if let Some(e) = server
                .opaque_token_params
                .as_ref()
                .and_then(|p| secret_error(snap, &key.namespace, &p.server_secret, SERVER_SECRET_KEY, "secrets"))
            {
                return Verdict::Rejected(e);
            }
        }
    }
    let tenant = tenant_of(snap, settings, &key.namespace);
    check_refs(cloud, settings, &tenant, &sso_rule_refs(rule))
}

/// AKO's complaint about the Secret `ns/name` an SSORule reads, if any: missing (worded as the
/// lookup of `resource` words it), or without a value under `field`.
fn secret_error(snap: &Snapshot, ns: &str, name: &str, field: &str, resource: &str) -> Option<String> {
    match secret_value(snap, ns, name, field) {
        None => Some(format!(
            "Got error while fetching {name} secret : {resource} \"{name}\" not found"
        )),
        Some(v) if v.is_empty() => Some(format!("{field} field not found in {name} secret")),
        Some(_) => None,
    }
}

/// The value under `field` of the Secret `ns/name` (empty when the key is missing), `None`
/// when there is no such Secret.
fn secret_value(snap: &Snapshot, ns: &str, name: &str, field: &str) -> Option<String> {
    let secret = snap.secrets.get(&NsName::new(ns, name))?;
    let value = secret.data.as_ref().and_then(|d| d.get(field));
    Some(
        value
            .map(|v| String::from_utf8_lossy(&v.0).into_owned())
            .unwrap_or_default(),
    )
}

/// What SSO does to the EVH virtual service of one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostSso {
    /// No Accepted SSORule names the host: AKO marks the `crd_status` of a HostRule inactive.
    None,
    /// The rule naming it is of another tenant: AKO leaves the VS as its HostRule made it.
    OtherTenant,
    /// The settings of the Accepted rule naming it.
    Applied(Box<SsoFields>),
}

/// The Accepted SSORule naming `host` and what it sets on a VS of `tenant`.
pub fn sso_for_host(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, host: &str, tenant: &str) -> HostSso {
    if snap.sso_rules.is_empty() {
        return HostSso::None;
    }
    let Some((key, rule)) =
        claimants(snap, host).find(|(k, _)| sso_rule_verdict(snap, settings, cloud, k).is_accepted())
    else {
        return HostSso::None;
    };
    if tenant_of(snap, settings, &key.namespace) != tenant {
        return HostSso::OtherTenant;
    }
    HostSso::Applied(Box::new(SsoFields::new(snap, key, rule)))
}

/// The SSO settings of an Accepted rule as AKO puts them on a VS: references in the controller's
/// form, secrets read, the CRD's defaults applied, and `acs_index` / `introspection_data_timeout`
/// only where AKO keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoFields {
    /// The rule (`crd_status` value).
    pub rule: NsName,
    oauth: Option<OAuthVsConfig>,
    saml: Option<SamlSpConfig>,
    policy_ref: String,
}

impl SsoFields {
    fn new(snap: &Snapshot, key: &NsName, rule: &SsoRule) -> SsoFields {
        let s = &rule.spec;
        let secret = |name: &str, field: &str| secret_value(snap, &key.namespace, name, field).unwrap_or_default();
        let oauth = s.oauth_vs_config.clone().map(|mut c| {
            c.cookie_timeout.get_or_insert(60);
            for o in c.oauth_settings.iter_mut().flatten() {
                o.auth_profile_ref = ControllerRef::new(ObjectType::AuthProfile, &o.auth_profile_ref).api_ref();
                if let Some(app) = &mut o.app_settings {
                    app.client_secret = secret(&app.client_secret, CLIENT_SECRET_KEY);
                    if let Some(oidc) = &mut app.oidc_config {
                        oidc.profile.get_or_insert(true);
                    }
                }
                if let Some(server) = &mut o.resource_server {
                    match &mut server.opaque_token_params {
                        Some(p) => {
                            p.server_secret = secret(&p.server_secret, SERVER_SECRET_KEY);
                            server.introspection_data_timeout.get_or_insert(0);
                        }
                        None => server.introspection_data_timeout = None,
                    }
                }
            }
            c
        });
        let saml = s.saml_sp_config.clone().map(|mut c| {
            c.cookie_timeout.get_or_insert(60);
            if c.authn_req_acs_type != ACS_INDEX {
                c.acs_index = None;
            }
            c.signing_ssl_key_and_certificate_ref = c
                .signing_ssl_key_and_certificate_ref
                .map(|n| ControllerRef::new(ObjectType::SslKeyAndCertificate, n).api_ref());
            c
        });
        SsoFields {
            rule: key.clone(),
            oauth,
            saml,
            policy_ref: ControllerRef::new(ObjectType::SsoPolicy, &s.sso_policy_ref).api_ref(),
        }
    }

    /// The fields of the VS body.
    pub fn apply(&self, body: &mut Value) {
        if let Some(o) = &self.oauth {
            body["oauth_vs_config"] = snake_case(to_value(o));
        }
        if let Some(s) = &self.saml {
            body["saml_sp_config"] = snake_case(to_value(s));
        }
        body["sso_policy_ref"] = Value::String(self.policy_ref.clone());
    }

    /// `oauth_vs_config` as AKO hashes it (the CRD type's JSON).
    pub fn oauth_checksum(&self) -> Option<String> {
        self.oauth.as_ref().map(go_json)
    }

    /// `saml_sp_config` as AKO hashes it.
    pub fn saml_checksum(&self) -> Option<String> {
        self.saml.as_ref().map(go_json)
    }

    /// `sso_policy_ref` as AKO hashes it.
    pub fn policy_ref(&self) -> &str {
        &self.policy_ref
    }
}

fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The CRD's camelCase keys as the controller's snake_case (`logoutURI` → `logout_uri`).
fn snake_case(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (snake_key(&k), snake_case(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case).collect()),
        other => other,
    }
}

fn snake_key(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 4);
    let mut prev_lower = false;
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_keys_become_the_controllers() {
        for (camel, snake) in [
            ("logoutURI", "logout_uri"),
            ("postLogoutRedirectURI", "post_logout_redirect_uri"),
            ("clientID", "client_id"),
            ("singleSignonURL", "single_signon_url"),
            ("signingSslKeyAndCertificateRef", "signing_ssl_key_and_certificate_ref"),
            ("useIdpSessionTimeout", "use_idp_session_timeout"),
            ("scopes", "scopes"),
        ] {
            assert_eq!(snake_key(camel), snake);
        }
    }
}
