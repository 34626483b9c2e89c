//! SSORule (`ako.vmware.com/v1alpha2`): single sign-on (OAuth/OIDC or SAML) on the EVH virtual
//! service of the host its `fqdn` names — the SSO policy, the OAuth application and resource
//! server settings (client and server secrets read from Kubernetes Secrets of the rule's
//! namespace) or the SAML service provider settings. AKO applies it in EVH mode only.
//!
//! Field names and order are AKO's: the JSON of these types is what AKO hashes.

use kube_derive::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleStatus;

/// `spec` of an SSORule: OAuth or SAML, not both.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    version = "v1alpha2",
    kind = "SSORule",
    root = "SsoRule",
    plural = "ssorules",
    shortname = "ssorule",
    namespaced,
    status = "RuleStatus",
    derive = "PartialEq",
    derive = "Default",
    printcolumn = r#"{"name": "Status", "type": "string", "description": "Status of the SSORule object.", "jsonPath": ".status.status"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "description": "Creation timestamp of the SSORule object.", "jsonPath": ".metadata.creationTimestamp"}"#,
    crates(
        kube_core = "::kube_core",
        k8s_openapi = "::k8s_openapi",
        schemars = "::schemars",
        serde = "::serde",
        serde_json = "::serde_json"
    )
)]
#[schemars(extend("oneOf" = [{"required": ["oauthVsConfig"]}, {"required": ["samlSpConfig"]}]))]
#[serde(rename_all = "camelCase")]
pub struct SsoRuleSpec {
    /// The host whose virtual service gets the settings.
    pub fqdn: String,
    /// OAuth/OIDC settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_vs_config: Option<OAuthVsConfig>,
    /// SAML service provider settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml_sp_config: Option<SamlSpConfig>,
    /// The SSO policy (by name).
    pub sso_policy_ref: String,
}

/// OAuth settings of the virtual service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthVsConfig {
    /// Cookie of the authorized session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    /// Minutes the cookie of the session lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 60), range(min = 1, max = 1440))]
    pub cookie_timeout: Option<i32>,
    /// URI that logs out.
    #[serde(default, rename = "logoutURI", skip_serializing_if = "Option::is_none")]
    pub logout_uri: Option<String>,
    /// Application and identity provider settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_settings: Option<Vec<OAuthSettings>>,
    /// Where the identity provider sends the client after logout.
    #[serde(default, rename = "postLogoutRedirectURI", skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uri: Option<String>,
    /// The redirect URI sent to the authorization server.
    #[serde(default, rename = "redirectURI", skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

/// One application and identity provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSettings {
    /// The application's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_settings: Option<OAuthAppSettings>,
    /// The auth profile that validates users (by name).
    pub auth_profile_ref: String,
    /// Resource server settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_server: Option<OAuthResourceServer>,
}

/// The application registered with the identity provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAppSettings {
    /// The application's identifier.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// The Secret (of the rule's namespace) whose `clientSecret` key holds the application's
    /// secret.
    pub client_secret: String,
    /// OpenID Connect settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_config: Option<OidcConfig>,
    /// Scopes asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// OpenID Connect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcConfig {
    /// Ask for the `openid` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_enable: Option<bool>,
    /// Ask for the `profile` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub profile: Option<bool>,
    /// Read the profile from the userinfo endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo: Option<bool>,
}

/// The virtual service as a resource server: how access tokens are validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("oneOf" = [{"required": ["jwtParams"]}, {"required": ["opaqueTokenParams"]}]))]
#[serde(rename_all = "camelCase")]
pub struct OAuthResourceServer {
    /// `ACCESS_TOKEN_TYPE_JWT` or `ACCESS_TOKEN_TYPE_OPAQUE`.
    #[schemars(extend("enum" = ["ACCESS_TOKEN_TYPE_JWT", "ACCESS_TOKEN_TYPE_OPAQUE"]))]
    pub access_type: String,
    /// Minutes introspection data is cached (opaque tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 0), range(min = 0, max = 1440))]
    pub introspection_data_timeout: Option<i32>,
    /// JWT validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_params: Option<JwtParams>,
    /// Opaque token validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque_token_params: Option<OpaqueTokenParams>,
}

/// JWT validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JwtParams {
    /// The audience tokens must carry.
    pub audience: String,
}

/// Opaque token validation against the introspection endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpaqueTokenParams {
    /// The resource server's identifier.
    #[serde(rename = "serverID")]
    pub server_id: String,
    /// The Secret (of the rule's namespace) whose `serverSecret` key holds the resource
    /// server's secret.
    pub server_secret: String,
}

/// SAML service provider settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SamlSpConfig {
    /// `AssertionConsumerServiceIndex` of the request (with `SAML_AUTHN_REQ_ACS_TYPE_INDEX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 64))]
    pub acs_index: Option<i32>,
    /// How the request names the assertion consumer service.
    #[schemars(extend("enum" = [
        "SAML_AUTHN_REQ_ACS_TYPE_URL",
        "SAML_AUTHN_REQ_ACS_TYPE_INDEX",
        "SAML_AUTHN_REQ_ACS_TYPE_NONE"
    ]))]
    pub authn_req_acs_type: String,
    /// Cookie of the authenticated session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    /// Minutes the cookie of the session lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 60), range(min = 1, max = 1440))]
    pub cookie_timeout: Option<i32>,
    /// The service provider's entity ID.
    #[serde(rename = "entityID")]
    pub entity_id: String,
    /// Certificate that signs requests and decrypts assertions (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_ssl_key_and_certificate_ref: Option<String>,
    /// The endpoint that receives the authentication response.
    #[serde(rename = "singleSignonURL")]
    pub single_signon_url: String,
    /// Let the identity provider bound the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_idp_session_timeout: Option<bool>,
}
