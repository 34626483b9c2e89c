//! The command-line flags that say how to reach the Avi Controller, shared by `ako run`,
//! `ako sync` and `ako plan --controller`.

use std::path::PathBuf;

use ako_runtime::{ControllerAccess, Redacted};
use clap::Args;

/// How to reach and log in to the Avi Controller.
#[derive(Args, Debug, Clone)]
pub struct ControllerArgs {
    /// Avi Controller: host, host:port or https URL.
    #[arg(long, env = "AKO_CONTROLLER")]
    pub controller: Option<String>,
    /// Controller user.
    #[arg(long, env = "AKO_CONTROLLER_USERNAME")]
    pub username: Option<String>,
    /// Controller password (prefer the environment variable).
    #[arg(long, env = "AKO_CONTROLLER_PASSWORD", hide_env_values = true)]
    pub password: Option<Redacted>,
    /// PEM file of the CA that signed the controller's certificate (default: the CA in the
    /// Secret avi-secret, else the system roots, else, for `ako run`, trust on first use).
    #[arg(long, conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify the controller's certificate at all (labs only; logged loudly).
    #[arg(long, env = "AKO_CONTROLLER_INSECURE")]
    pub insecure: bool,
    /// Requests in flight to the controller at most (lower it for a small controller).
    #[arg(long, default_value_t = 64)]
    pub max_requests: usize,
}

impl ControllerArgs {
    /// The flags as the runtime takes them.
    pub fn access(&self) -> ControllerAccess {
        ControllerAccess {
            address: self.controller.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            auth_token: None,
            ca_file: self.ca_file.clone(),
            ca_pem: None,
            insecure: self.insecure,
            pin: None,
            max_requests: self.max_requests,
            ..ControllerAccess::default()
        }
    }
}
