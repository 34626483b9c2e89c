//! Small structs shared by many object types (addresses, markers, key/value pairs).

use crate::Ref;

avi_struct! {
    /// An IPv4 or IPv6 address, `{"addr": "10.0.0.1", "type": "V4"}`.
    pub struct IpAddr {
        addr: String,
        r#type: String,
    }
}

avi_struct! {
    /// An address prefix, `{"ip_addr": {...}, "mask": 24}`.
    pub struct IpAddrPrefix {
        ip_addr: IpAddr,
        mask: u32,
    }
}

avi_struct! {
    /// A marker: `{"key": "clustername", "values": ["my-cluster"]}`. AKO tags its objects with these.
    pub struct RoleFilterMatchLabel {
        key: String,
        values: Vec<String>,
    }
}

avi_struct! {
    /// A `{"key", "value"}` pair (string group entries, SE group labels, route labels).
    pub struct KeyValue {
        key: String,
        value: String,
    }
}

avi_struct! {
    /// A network and subnet an object is placed in.
    pub struct PlacementNetwork {
        network_ref: Ref,
        subnet: IpAddrPrefix,
    }
}
