//! An API token login kept alive, as AKO's `RefreshAuthToken` does: when the controller
//! credential is the token of the Secret `avi-secret` (`authtoken`, no password), it is checked
//! at start and every 12 hours; once it has less than half of AKO's 240-hour lifetime left, a new
//! token is issued (`POST /api/user-token`), written to the Secret (so a restart uses it), used
//! for the client's next login, and the old one revoked.

use std::time::Duration;

use anyhow::Context;
use avi_client::{Client, Credential, Method, Query};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use crate::controller::SECRET_NAME;
use crate::leader::Fence;

/// How often the token is checked (AKO: 12 hours).
pub const CHECK_EVERY: Duration = Duration::from_secs(12 * 3600);
/// The lifetime of a token ako-rs issues, in hours (AKO's).
const LIFETIME_HOURS: u64 = 240;
/// A token with less than this left is replaced (half its lifetime, as AKO).
const REFRESH_BELOW: Duration = Duration::from_secs(LIFETIME_HOURS * 3600 / 2);

/// While this replica leads: check the token of the Secret now and every [`CHECK_EVERY`],
/// replacing it when it nears its expiry. A follower writes nothing; when it comes to lead, it
/// first takes the Secret's token for its next login (an earlier leader may have replaced, and
/// revoked, the one it started with). Never ends; a failure is logged and tried again at the
/// next check.
pub async fn keep_fresh(avi: Client, secrets: Api<Secret>, fence: Fence) {
    loop {
        fence.opened().await;
        let result = async {
            let token = secret_token(&secrets).await?;
            avi.set_credential(Credential::token(token.clone()));
            refresh(&avi, &secrets, &token).await
        }
        .await;
        match result {
            Ok(Some(_)) => tracing::info!("the controller API token was refreshed (Secret {SECRET_NAME} updated)"),
            Ok(None) => tracing::debug!("the controller API token is not near its expiry"),
            Err(e) => tracing::warn!("cannot refresh the controller API token: {e:#}"),
        }
        tokio::select! {
            () = tokio::time::sleep(CHECK_EVERY) => {}
            () = fence.closed() => {}
        }
    }
}

/// The token in the Secret `avi-secret`.
async fn secret_token(secrets: &Api<Secret>) -> anyhow::Result<String> {
    let secret = secrets
        .get(SECRET_NAME)
        .await
        .with_context(|| format!("cannot read Secret {SECRET_NAME}"))?;
    let token = secret.data.unwrap_or_default().remove("authtoken");
    token
        .and_then(|b| String::from_utf8(b.0).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .with_context(|| format!("Secret {SECRET_NAME} has no authtoken"))
}

/// Replace `token` when it expires within [`REFRESH_BELOW`] (or is unknown to the controller):
/// the new token, or `None` when it was left as it is.
pub async fn refresh(avi: &Client, secrets: &Api<Secret>, token: &str) -> anyhow::Result<Option<String>> {
    let tokens: Value = avi
        .request(Method::GET, "api/user-token", &Query::new(), None::<&()>)
        .await
        .context("cannot list the user's tokens")?;
    let current = tokens["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["token"] == token);
    if let Some(expires) = current.and_then(|t| t["expires_at"].as_str()) {
        let expires: jiff::Timestamp = expires
            .parse()
            .with_context(|| format!("cannot read the token's expiry {expires:?}"))?;
        let left = expires.duration_since(jiff::Timestamp::now());
        if left.as_secs() > REFRESH_BELOW.as_secs() as i64 {
            return Ok(None);
        }
    }
    let issued: Value = avi
        .request(
            Method::POST,
            "api/user-token",
            &Query::new(),
            Some(&json!({"hours": LIFETIME_HOURS.to_string()})),
        )
        .await
        .context("cannot issue a new token")?;
    let new = issued["token"]
        .as_str()
        .context("the controller issued a token without its value")?
        .to_owned();
    let patch = json!({"data": {"authtoken": ByteString(new.clone().into_bytes())}});
    secrets
        .patch(SECRET_NAME, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("cannot write the new token into Secret {SECRET_NAME}; the old one is kept"))?;
    avi.set_credential(Credential::token(new.clone()));
    if let Some(uuid) = current.and_then(|t| t["uuid"].as_str()) {
        let path = format!("api/user-token/{uuid}");
        if let Err(e) = avi
            .request::<(), Value>(Method::DELETE, &path, &Query::new(), None)
            .await
        {
            tracing::warn!("cannot revoke the old token: {e}");
        }
    }
    Ok(Some(new))
}
