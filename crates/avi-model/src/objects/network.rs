//! `network`: a network with subnets and static IP ranges the IPAM allocates VIPs from.

use crate::Ref;
use crate::common::{IpAddr, IpAddrPrefix, KeyValue};

avi_object! {
    /// A network.
    pub struct Network: Network {
        cloud_ref: Ref,
        vrf_context_ref: Ref,
        configured_subnets: Vec<Subnet>,
        dhcp_enabled: bool,
        exclude_discovered_subnets: bool,
        attrs: Vec<KeyValue>,
    }
}

avi_struct! {
    /// A configured subnet.
    pub struct Subnet {
        prefix: IpAddrPrefix,
        static_ip_ranges: Vec<StaticIpRange>,
    }
}

avi_struct! {
    /// A static range, typed `STATIC_IPS_FOR_VIP`, `STATIC_IPS_FOR_SE` or `STATIC_IPS_FOR_VIP_AND_SE`.
    pub struct StaticIpRange {
        range: IpAddrRange,
        r#type: String,
    }
}

avi_struct! {
    /// An inclusive address range.
    pub struct IpAddrRange {
        begin: IpAddr,
        end: IpAddr,
    }
}
