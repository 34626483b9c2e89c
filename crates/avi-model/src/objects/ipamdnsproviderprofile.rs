//! `ipamdnsproviderprofile`: the cloud's IPAM/DNS provider (which networks VIPs may use, DNS domains).

use crate::Ref;
use crate::common::KeyValue;

avi_object! {
    /// An IPAM or DNS provider profile.
    pub struct IpamDnsProviderProfile: IpamDnsProviderProfile {
        /// `IPAMDNS_TYPE_INTERNAL`, `IPAMDNS_TYPE_INTERNAL_DNS`, `IPAMDNS_TYPE_INFOBLOX`, ...
        r#type: String,
        allocate_ip_in_vrf: bool,
        internal_profile: IpamDnsInternalProfile,
    }
}

avi_struct! {
    /// Avi's built-in IPAM/DNS settings.
    pub struct IpamDnsInternalProfile {
        usable_networks: Vec<IpamUsableNetwork>,
        dns_service_domain: Vec<DnsServiceDomain>,
        ttl: u32,
    }
}

avi_struct! {
    /// A network the IPAM may allocate from.
    pub struct IpamUsableNetwork {
        nw_ref: Ref,
        labels: Vec<KeyValue>,
    }
}

avi_struct! {
    /// A DNS domain served by the profile.
    pub struct DnsServiceDomain {
        domain_name: String,
        pass_through: bool,
        record_ttl: u32,
    }
}
