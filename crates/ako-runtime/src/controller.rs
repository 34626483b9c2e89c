//! How `ako run`, `ako sync` and `ako plan --controller` reach and log in to the Avi Controller:
//! the address, the credentials (a password or an API token) and the CA, from flags and
//! environment variables, completed by `ako run` from AKO's Secret `avi-secret`.
//!
//! Credentials never appear in logs or `Debug` output ([`Redacted`]). The controller's
//! certificate is verified against the given CA (or the system roots, or a fingerprint trusted
//! on first use: [`crate::trust`]) unless `insecure` is set.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ako_translate::Settings;
use anyhow::{Context, bail};
use avi_client::{Client, Config, Credential};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;

/// The Secret AKO's chart creates with the controller credentials.
pub const SECRET_NAME: &str = "avi-secret";

/// A password or token; `Debug` never shows it.
#[derive(Clone)]
pub struct Redacted(pub String);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Redacted {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Redacted(s.to_owned()))
    }
}

/// How to reach and log in to the Avi Controller.
#[derive(Clone, Debug)]
pub struct ControllerAccess {
    /// Host, host:port or https URL.
    pub address: Option<String>,
    /// Controller user.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<Redacted>,
    /// An API token instead of the password.
    pub auth_token: Option<Redacted>,
    /// PEM file of the CA that signed the controller's certificate.
    pub ca_file: Option<PathBuf>,
    /// The CA as PEM text.
    pub ca_pem: Option<String>,
    /// Do not verify the controller's certificate (labs only).
    pub insecure: bool,
    /// Without a CA: trust the certificate by this fingerprint (see [`crate::trust`]).
    pub pin: Option<avi_client::CertificatePin>,
    /// Requests in flight at most.
    pub max_requests: usize,
    /// Who this client is (the replica), in the requests' `User-Agent`.
    pub instance: Option<String>,
    /// Asked before every write (see [`avi_client::WriteGate`]).
    pub write_gate: Option<avi_client::WriteGate>,
}

impl Default for ControllerAccess {
    fn default() -> Self {
        ControllerAccess {
            address: None,
            username: None,
            password: None,
            auth_token: None,
            ca_file: None,
            ca_pem: None,
            insecure: false,
            pin: None,
            max_requests: 64,
            instance: None,
            write_gate: None,
        }
    }
}

impl ControllerAccess {
    /// Log in.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let controller = self
            .address
            .as_deref()
            .context("no controller: give --controller or set AKO_CONTROLLER")?;
        let username = self
            .username
            .as_deref()
            .context("no user name: give --username or set AKO_CONTROLLER_USERNAME")?;
        let credential = match (&self.password, &self.auth_token) {
            (Some(password), _) => Credential::password(password.0.clone()),
            (None, Some(token)) => Credential::token(token.0.clone()),
            (None, None) => bail!("no password: set AKO_CONTROLLER_PASSWORD (or give --password)"),
        };
        let mut config = Config::new(controller, username, credential).with_max_concurrency(self.max_requests.max(1));
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read_to_string(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            config = config.with_ca_pem(pem);
        } else if let Some(pem) = &self.ca_pem {
            config = config.with_ca_pem(pem.clone());
        }
        if self.insecure {
            tracing::warn!("the controller's certificate is not verified (--insecure)");
            config = config.with_insecure(true);
        } else if let Some(pin) = &self.pin {
            config = config.with_pin(pin.clone());
        }
        config.instance.clone_from(&self.instance);
        config.write_gate.clone_from(&self.write_gate);
        Client::connect(config)
            .await
            .with_context(|| format!("cannot log in to the controller at {controller}"))
    }
}

/// The controller flags completed: the address from the settings, missing credentials (and
/// the CA) from the Secret `avi-secret`.
pub async fn complete_from_secret(
    args: &ControllerAccess,
    settings: &Settings,
    kube: &kube::Client,
    namespace: Option<&str>,
) -> anyhow::Result<ControllerAccess> {
    let mut out = args.clone();
    if out.address.is_none() {
        out.address.clone_from(&settings.controller_host);
    }
    if out.address.is_none() {
        bail!("no controller address: set controllerIP in the ConfigMap, CTRL_IPADDRESS, or --controller");
    }
    if out.username.is_some() && out.password.is_some() {
        return Ok(out);
    }
    let ns = namespace.context(
        "no controller credentials: set AKO_CONTROLLER_USERNAME and AKO_CONTROLLER_PASSWORD, or give \
         --configmap NS/NAME (or POD_NAMESPACE) so that the Secret avi-secret is read",
    )?;
    let secret = Api::<Secret>::namespaced(kube.clone(), ns)
        .get_opt(SECRET_NAME)
        .await
        .with_context(|| format!("cannot read Secret {ns}/{SECRET_NAME}"))?
        .with_context(|| format!("Secret {ns}/{SECRET_NAME} not found (it holds the controller credentials)"))?;
    let data = secret.data.unwrap_or_default();
    let text = |key: &str| -> anyhow::Result<Option<String>> {
        match data.get(key) {
            None => Ok(None),
            Some(bytes) => {
                let s = String::from_utf8(bytes.0.clone())
                    .map_err(|_| anyhow::anyhow!("Secret {ns}/{SECRET_NAME}: key {key} is not UTF-8 text"))?;
                let s = s.trim().to_owned();
                Ok((!s.is_empty()).then_some(s))
            }
        }
    };
    if out.username.is_none() {
        out.username = Some(
            text("username")?
                .with_context(|| format!("Secret {ns}/{SECRET_NAME}: key username is missing or empty"))?,
        );
    }
    if out.password.is_none() {
        match (text("password")?, text("authtoken")?) {
            (Some(password), _) => out.password = Some(Redacted(password)),
            (None, Some(token)) => out.auth_token = Some(Redacted(token)),
            (None, None) => bail!("Secret {ns}/{SECRET_NAME}: needs key password or authtoken"),
        }
    }
    if out.ca_file.is_none() && out.ca_pem.is_none() {
        out.ca_pem = text("certificateAuthorityData")?;
    }
    Ok(out)
}
