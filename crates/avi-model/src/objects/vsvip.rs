//! `vsvip`: the VIP (addresses and DNS records) one or more virtual services listen on.

use crate::Ref;
use crate::common::{IpAddr, IpAddrPrefix, RoleFilterMatchLabel};

avi_object! {
    /// A virtual service VIP.
    pub struct VsVip: VsVip {
        cloud_ref: Ref,
        vrf_context_ref: Ref,
        east_west_placement: bool,
        vip: Vec<Vip>,
        dns_info: Vec<DnsInfo>,
        vsvip_cloud_config_cksum: String,
        tier1_lr: String,
        bgp_peer_labels: Vec<String>,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// One VIP of a VsVip; the controller allocates `ip_address` when `auto_allocate_ip` is set.
    pub struct Vip {
        vip_id: String,
        enabled: bool,
        auto_allocate_ip: bool,
        auto_allocate_ip_type: String,
        auto_allocate_floating_ip: bool,
        avi_allocated_vip: bool,
        avi_allocated_fip: bool,
        ip_address: IpAddr,
        ip6_address: IpAddr,
        floating_ip: IpAddr,
        prefix_length: u32,
        ipam_network_subnet: IPNetworkSubnet,
        subnet_uuid: String,
        placement_networks: Vec<VipPlacementNetwork>,
        discovered_networks: Vec<DiscoveredNetwork>,
    }
}

avi_struct! {
    /// The network (and optionally subnet) to allocate a VIP from.
    pub struct IPNetworkSubnet {
        network_ref: Ref,
        subnet: IpAddrPrefix,
        subnet6: IpAddrPrefix,
        subnet_uuid: String,
    }
}

avi_struct! {
    /// A placement network of a VIP (NSX-T VLAN clouds).
    pub struct VipPlacementNetwork {
        network_ref: Ref,
        subnet: IpAddrPrefix,
    }
}

avi_struct! {
    /// A network the controller discovered for a VIP.
    pub struct DiscoveredNetwork {
        network_ref: Ref,
        subnet: Vec<IpAddrPrefix>,
    }
}

avi_struct! {
    /// A DNS record published for the VIP.
    pub struct DnsInfo {
        fqdn: String,
        r#type: String,
        ttl: u32,
        num_records_in_response: u32,
        algorithm: String,
    }
}

impl VsVip {
    /// The IPv4 addresses allocated or requested, in `vip` order.
    pub fn v4_addresses(&self) -> Vec<&str> {
        self.vip
            .iter()
            .flatten()
            .filter_map(|v| v.ip_address.as_ref()?.addr.as_deref())
            .collect()
    }

    /// The addresses clients reach, as Kubernetes statuses carry them: per VIP its floating IP
    /// when it has one, else its IPv4 and IPv6 addresses.
    pub fn reachable_addresses(&self) -> Vec<&str> {
        fn addr(a: &Option<crate::common::IpAddr>) -> Option<&str> {
            a.as_ref().and_then(|a| a.addr.as_deref())
        }
        let mut out = Vec::new();
        for vip in self.vip.iter().flatten() {
            if let Some(fip) = addr(&vip.floating_ip) {
                out.push(fip);
                continue;
            }
            out.extend(addr(&vip.ip_address));
            out.extend(addr(&vip.ip6_address));
        }
        out
    }
}
