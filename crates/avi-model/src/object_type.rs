//! The Avi object types ako-rs reads or writes: collection names and the controller's model names.

use std::fmt;
use std::str::FromStr;

macro_rules! object_types {
    ($( $variant:ident => $path:literal, $model:literal ;)*) => {
        /// An Avi object type, named as in the REST path (`/api/<path>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ObjectType {
            $(
                #[doc = concat!("`/api/", $path, "` (", $model, ")")]
                $variant,
            )*
        }

        impl ObjectType {
            /// Every known type.
            pub const ALL: &'static [ObjectType] = &[$(ObjectType::$variant),*];

            /// The collection name used in REST paths, e.g. `virtualservice`.
            pub fn path(self) -> &'static str {
                match self { $(ObjectType::$variant => $path,)* }
            }

            /// The controller's model name, used in its messages, e.g. `VirtualService`.
            pub fn model_name(self) -> &'static str {
                match self { $(ObjectType::$variant => $model,)* }
            }
        }

        impl FromStr for ObjectType {
            type Err = UnknownObjectType;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($path => Ok(ObjectType::$variant),)*
                    other => Err(UnknownObjectType(other.to_owned())),
                }
            }
        }
    };
}

object_types! {
    VirtualService => "virtualservice", "VirtualService";
    VsVip => "vsvip", "VsVip";
    Pool => "pool", "Pool";
    PoolGroup => "poolgroup", "PoolGroup";
    HttpPolicySet => "httppolicyset", "HTTPPolicySet";
    L4PolicySet => "l4policyset", "L4PolicySet";
    VsDataScriptSet => "vsdatascriptset", "VSDataScriptSet";
    SslKeyAndCertificate => "sslkeyandcertificate", "SSLKeyAndCertificate";
    PkiProfile => "pkiprofile", "PKIProfile";
    StringGroup => "stringgroup", "StringGroup";
    VrfContext => "vrfcontext", "VrfContext";
    Cloud => "cloud", "Cloud";
    Network => "network", "Network";
    IpamDnsProviderProfile => "ipamdnsproviderprofile", "IpamDnsProviderProfile";
    ServiceEngineGroup => "serviceenginegroup", "ServiceEngineGroup";
    Tenant => "tenant", "Tenant";
    SystemConfiguration => "systemconfiguration", "SystemConfiguration";
    Cluster => "cluster", "Cluster";
    ApplicationProfile => "applicationprofile", "ApplicationProfile";
    NetworkProfile => "networkprofile", "NetworkProfile";
    HealthMonitor => "healthmonitor", "HealthMonitor";
    SslProfile => "sslprofile", "SSLProfile";
    ProtocolParser => "protocolparser", "ProtocolParser";
    AnalyticsProfile => "analyticsprofile", "AnalyticsProfile";
    ApplicationPersistenceProfile => "applicationpersistenceprofile", "ApplicationPersistenceProfile";
    ErrorPageProfile => "errorpageprofile", "ErrorPageProfile";
    WafPolicy => "wafpolicy", "WafPolicy";
    WafProfile => "wafprofile", "WafProfile";
    IcapProfile => "icapprofile", "IcapProfile";
    NetworkSecurityPolicy => "networksecuritypolicy", "NetworkSecurityPolicy";
    SecurityPolicy => "securitypolicy", "SecurityPolicy";
    BotDetectionPolicy => "botdetectionpolicy", "BotDetectionPolicy";
    TrafficCloneProfile => "trafficcloneprofile", "TrafficCloneProfile";
    SsoPolicy => "ssopolicy", "SSOPolicy";
    AuthProfile => "authprofile", "AuthProfile";
}

impl ObjectType {
    /// True for types whose objects are private to their tenant: objects of the other types
    /// that live in `admin` (clouds, networks, SE groups, VRFs, system profiles) are visible
    /// from every tenant, as on the controller.
    pub fn is_tenant_private(self) -> bool {
        matches!(
            self,
            ObjectType::VirtualService
                | ObjectType::VsVip
                | ObjectType::Pool
                | ObjectType::PoolGroup
                | ObjectType::HttpPolicySet
                | ObjectType::L4PolicySet
                | ObjectType::VsDataScriptSet
                | ObjectType::SslKeyAndCertificate
                | ObjectType::PkiProfile
                | ObjectType::StringGroup
                | ObjectType::ApplicationPersistenceProfile
                | ObjectType::IcapProfile
                | ObjectType::NetworkSecurityPolicy
        )
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// A type name that is not one of [`ObjectType::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown Avi object type {0:?}")]
pub struct UnknownObjectType(pub String);

/// Implemented by every top-level object struct.
pub trait AviObject: serde::Serialize + serde::de::DeserializeOwned {
    /// The type's REST collection.
    const TYPE: ObjectType;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_round_trips_for_every_type() {
        for t in ObjectType::ALL {
            assert_eq!(t.path().parse::<ObjectType>(), Ok(*t));
        }
        assert!("virtualservices".parse::<ObjectType>().is_err());
    }
}
