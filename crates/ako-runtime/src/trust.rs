//! Trust in the controller's certificate when no CA is given (issue 15): AKO connects to a
//! controller with a self-signed certificate, how most controllers ship; ako-rs does too, but
//! by trust on first use instead of not verifying at all. A certificate the system roots
//! verify needs nothing more. Otherwise the first certificate seen is accepted and its SHA-256
//! fingerprint recorded in the Secret `avi-controller-trust` of ako's namespace (the chart
//! creates it empty), with one warning naming the fingerprint and how to give the CA; from then
//! on only that certificate is accepted, and a different one is refused with an error and a
//! Warning Event `ControllerCertificateChanged` on ako's Pod. With a CA
//! (`certificateAuthorityData`) it is verified against it; `--insecure` turns verification off.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use avi_client::{CertificatePin, Client};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::events::EventType;
use parking_lot::Mutex;
use serde_json::json;

use crate::cluster::{ApiServer, Cluster};
use crate::controller::ControllerAccess;
use crate::events::Note;
use crate::leader::Fence;

/// The Secret the fingerprint is recorded in.
pub const TRUST_SECRET: &str = "avi-controller-trust";

/// Where the trusted fingerprint lives, and whom to tell when it no longer matches.
pub struct Trust {
    /// The Secret, when ako's namespace is known.
    secret: Option<Api<Secret>>,
    /// The controller and fingerprint trusted by this process (also when the Secret cannot be
    /// written).
    remembered: Mutex<Option<(String, String)>>,
    /// The remembered fingerprint still has to be written (a follower writes nothing: the
    /// Secret is written when this replica leads).
    unwritten: Mutex<bool>,
    fence: Fence,
    reporter: Reporter,
}

/// Reports a refused certificate, once per certificate.
#[derive(Clone)]
struct Reporter {
    /// The last fingerprint reported.
    reported: Arc<Mutex<Option<String>>>,
    events: ApiServer,
    me: Option<ObjectReference>,
}

impl Trust {
    /// Fingerprints recorded in `namespace` (when known); Events about ako's Pod `me`; writes
    /// while `fence` is open.
    pub fn new(kube: &kube::Client, namespace: Option<&str>, me: Option<ObjectReference>, fence: Fence) -> Self {
        Trust {
            secret: namespace.map(|ns| Api::namespaced(kube.clone(), ns)),
            remembered: Mutex::new(None),
            unwritten: Mutex::new(false),
            reporter: Reporter {
                reported: Arc::default(),
                events: ApiServer::new(kube.clone()).fenced(fence.clone()),
                me,
            },
            fence,
        }
    }

    /// This replica leads: write the fingerprint it trusted while following, if any.
    pub async fn on_leading(&self) {
        let pending = std::mem::take(&mut *self.unwritten.lock());
        let remembered = self.remembered.lock().clone();
        if let (true, Some((controller, fingerprint))) = (pending, remembered) {
            self.record(&controller, &fingerprint).await;
        }
    }

    /// Log in with `access`, by trust on first use when it gives no CA and verification is on.
    pub async fn connect(&self, access: &ControllerAccess) -> anyhow::Result<Client> {
        if access.ca_file.is_some() || access.ca_pem.is_some() || access.insecure {
            return access.connect().await;
        }
        let controller = access.address.clone().unwrap_or_default();
        let trusted = self.recorded(&controller).await;
        if trusted.is_none() {
            // A certificate a trusted CA signed needs no pin.
            match access.connect().await {
                Err(e) if is_certificate_error(&e) => {}
                other => return other,
            }
        }
        let pin = CertificatePin::new(trusted.as_deref());
        let result = ControllerAccess {
            pin: Some(pin.clone()),
            ..access.clone()
        }
        .connect()
        .await;
        if result.is_ok() {
            // The client keeps the pin: a certificate swapped later is refused on its next
            // connection, and said so here.
            let (reporter, controller) = (self.reporter.clone(), controller.clone());
            let mut refusals = pin.refusals();
            tokio::spawn(async move {
                while refusals.changed().await.is_ok() {
                    let refusal = refusals.borrow_and_update().clone();
                    if let Some(r) = refusal {
                        reporter.changed(&controller, &r.trusted, &r.seen).await;
                    }
                }
            });
        }
        match (&result, trusted, pin.seen()) {
            (Ok(_), None, Some(seen)) => {
                tracing::warn!(
                    controller,
                    fingerprint = seen,
                    "the controller's certificate is not signed by a trusted CA: trusting it on first use \
                     (SHA-256 {seen}); a different certificate will be refused. To verify it properly, \
                     give the controller's CA as certificateAuthorityData in the Secret avi-secret"
                );
                self.record(&controller, &seen).await;
            }
            (Err(_), Some(trusted), Some(seen)) if seen != trusted => {
                self.reporter.changed(&controller, &trusted, &seen).await
            }
            _ => {}
        }
        result
    }

    /// The fingerprint trusted for `controller`: the Secret's, else this process's.
    async fn recorded(&self, controller: &str) -> Option<String> {
        if let Some(api) = &self.secret {
            match api.get_opt(TRUST_SECRET).await {
                Ok(Some(secret)) => {
                    let data = secret.data.unwrap_or_default();
                    let text = |k: &str| data.get(k).and_then(|b| String::from_utf8(b.0.clone()).ok());
                    if text("controller").as_deref() == Some(controller)
                        && let Some(fingerprint) = text("sha256").filter(|f| !f.is_empty())
                    {
                        return Some(fingerprint);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("cannot read Secret {TRUST_SECRET}: {e}"),
            }
        }
        let remembered = self.remembered.lock();
        remembered
            .as_ref()
            .filter(|(c, _)| c == controller)
            .map(|(_, f)| f.clone())
    }

    /// Trust `fingerprint` for `controller` from now on.
    async fn record(&self, controller: &str, fingerprint: &str) {
        *self.remembered.lock() = Some((controller.to_owned(), fingerprint.to_owned()));
        let Some(api) = &self.secret else {
            tracing::warn!(
                "ako's namespace is unknown (POD_NAMESPACE): the fingerprint is trusted by this process only"
            );
            return;
        };
        if !self.fence.is_open() {
            // The leader records what it trusts; this one does when it leads.
            *self.unwritten.lock() = true;
            return;
        }
        let data: BTreeMap<String, ByteString> = [("controller", controller), ("sha256", fingerprint)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), ByteString(v.as_bytes().to_vec())))
            .collect();
        let patch = json!({"data": data});
        let written = api
            .patch(TRUST_SECRET, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .with_context(|| format!("cannot record the fingerprint in Secret {TRUST_SECRET} (the chart creates it)"));
        if let Err(e) = written {
            tracing::warn!("{e:#}; it is trusted by this process only");
        }
    }
}

impl Reporter {
    /// The controller presents another certificate than the one trusted: refused (the login
    /// or request fails), logged and, once per certificate, a Warning Event.
    async fn changed(&self, controller: &str, trusted: &str, seen: &str) {
        if self.reported.lock().replace(seen.to_owned()).as_deref() == Some(seen) {
            return;
        }
        let message = format!(
            "the controller {controller} presents a certificate with SHA-256 fingerprint {seen}, not the one trusted \
             on first use ({trusted}): refused. If it was replaced on purpose, give its CA as certificateAuthorityData \
             in the Secret avi-secret, or delete the data of the Secret {TRUST_SECRET} to trust the new one"
        );
        tracing::error!("{message}");
        if let Some(me) = &self.me {
            let note = Note {
                type_: EventType::Warning,
                reason: "ControllerCertificateChanged",
                message,
            };
            if let Err(e) = self.events.publish(me, &note).await {
                tracing::warn!("cannot write event: {e}");
            }
        }
    }
}

/// The login failed because the certificate could not be verified (a TLS error from rustls;
/// `io::Error` hides the error it wraps from `source()`, hence `get_ref`, through every layer).
fn is_certificate_error(e: &anyhow::Error) -> bool {
    fn invalid_certificate(cause: &(dyn std::error::Error + 'static)) -> bool {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_));
        }
        cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| invalid_certificate(inner))
    }
    e.chain().any(invalid_certificate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_are_found_through_nested_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let nested = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        assert!(is_certificate_error(
            &anyhow::Error::new(nested).context("cannot log in")
        ));
        let other = std::io::Error::other(rustls::Error::HandshakeNotComplete);
        assert!(!is_certificate_error(&anyhow::Error::new(other)));
        assert!(!is_certificate_error(&anyhow::anyhow!("connection refused")));
    }
}
