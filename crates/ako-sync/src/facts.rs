//! What translation needs to know about the controller, read the way AKO reads it at boot
//! (notes/avi-api.md §2.1–§2.2): the cloud's type and IPAM provider type, the DNS sub-domains
//! usable for automatic FQDNs, and the license tier (which selects the TCP network profile);
//! and the controller cluster's uuid.

use ako_translate::CloudFacts;
use avi_client::{Client, Query};
use avi_model::ObjectRef;
use serde_json::Value;

/// The facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    /// A request failed.
    #[error("cannot read {what} from the controller: {source}")]
    Request {
        /// What was being read.
        what: &'static str,
        /// The client's error.
        #[source]
        source: avi_client::Error,
    },
    /// The cloud named in the settings does not exist.
    #[error("the controller has no cloud named {0:?} (ControllerSettings.cloudName)")]
    NoCloud(String),
}

fn request(what: &'static str) -> impl FnOnce(avi_client::Error) -> FactsError {
    move |source| FactsError::Request { what, source }
}

/// The controller cluster's uuid (`GET /api/cluster`), which AKO writes into the annotation
/// `ako.vmware.com/controller-cluster-uuid` of what it serves.
pub async fn controller_cluster_uuid(client: &Client) -> Result<String, FactsError> {
    let cluster: Value = client
        .tenant("admin")
        .request::<(), Value>(avi_client::Method::GET, "api/cluster", &Query::new(), None)
        .await
        .map_err(request("the controller cluster"))?;
    Ok(cluster["uuid"].as_str().unwrap_or_default().to_owned())
}

/// Read the facts for cloud `cloud_name`.
pub async fn cloud_facts(client: &Client, cloud_name: &str) -> Result<CloudFacts, FactsError> {
    let admin = client.tenant("admin");
    let cloud: Value = admin
        .get_by_name("cloud", cloud_name)
        .await
        .map_err(request("the cloud"))?
        .ok_or_else(|| FactsError::NoCloud(cloud_name.to_owned()))?;
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();

    let ipam_type = match cloud
        .get("ipam_provider_ref")
        .and_then(Value::as_str)
        .and_then(|r| ObjectRef::parse(r).ok())
    {
        Some(r) => {
            let profile: Option<Value> = match (r.name(), r.uuid()) {
                (_, Some(uuid)) => Some(
                    admin
                        .get("ipamdnsproviderprofile", uuid)
                        .await
                        .map_err(request("the IPAM profile"))?,
                ),
                (Some(name), None) => admin
                    .get_by_name("ipamdnsproviderprofile", name)
                    .await
                    .map_err(request("the IPAM profile"))?,
                _ => None,
            };
            profile.map(|p| str_of(&p, "type")).unwrap_or_default()
        }
        None => String::new(),
    };

    let uuid = str_of(&cloud, "uuid");
    // AKO treats a failure here as "no domains" (notes/avi-api.md §2.2, step 4).
    let dns_domains = match admin
        .request::<(), Value>(
            avi_client::Method::GET,
            "api/ipamdnsproviderprofiledomainlist",
            &Query::new().param("cloud_uuid", uuid),
            None,
        )
        .await
    {
        Ok(v) => v
            .get("domains")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the cloud's DNS domains; automatic FQDNs are off");
            Vec::new()
        }
    };

    let system: Value = admin
        .request(
            avi_client::Method::GET,
            "api/systemconfiguration",
            &Query::new(),
            None::<&()>,
        )
        .await
        .map_err(request("the system configuration"))?;
    let license_tier = Some(str_of(&system, "default_license_tier"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| str_of(&cloud, "license_tier"));

    Ok(CloudFacts {
        dns_domains,
        license_tier,
        ipam_type,
        cloud_type: str_of(&cloud, "vtype"),
        refs: Default::default(),
        now: Some(jiff::Timestamp::now()),
    })
}
