//! Avi object names exactly as AKO 2.2 builds them (notes/ako-behaviour.md §2), so ako-rs adopts
//! what Go AKO created instead of re-creating it. A name over 255 characters is an error, never
//! truncated.
//!
//! A [`Namer`] made [`for_infra`](Namer::for_infra) puts the AviInfraSetting's name into the
//! names of L7 objects (`<cluster>--<infra>-…`); L4 names never carry it. In EVH mode
//! ([`Namer::for_settings`] with `enableEVH`) every name AKO passes through its `Encode` becomes
//! `<cluster>--<sha1 hex of the SNI-mode name>`: the shared parents keep readable names.

use sha1::{Digest, Sha1};

use crate::settings::Settings;

/// How the name of a DEDICATED-mode VS ends.
pub const DEDICATED_SUFFIX: &str = "-L7-dedicated";

/// How the name of an EVH-mode DEDICATED VS ends (after the encoded name).
pub const EVH_SUFFIX: &str = "-EVH";

/// The controller's limit on object names.
pub const MAX_NAME_LEN: usize = 255;

/// A name AKO would refuse to create.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Avi object name is {len} characters, over the limit of {MAX_NAME_LEN}: {name}")]
pub struct NameTooLong {
    /// The full name.
    pub name: String,
    /// Its length.
    pub len: usize,
}

/// Builds names for one cluster.
#[derive(Clone, Debug)]
pub struct Namer {
    cluster: String,
    /// The AviInfraSetting name L7 names carry, when the objects are placed with a setting that
    /// is not namespace-scoped.
    infra: Option<String>,
    /// EVH mode: the names AKO encodes are hashed.
    evh: bool,
}

impl Namer {
    /// Names for `clusterName`.
    pub fn new(cluster: impl Into<String>) -> Self {
        Namer {
            cluster: cluster.into(),
            infra: None,
            evh: false,
        }
    }

    /// Names for the cluster and mode (`enableEVH`) of `settings`.
    pub fn for_settings(settings: &Settings) -> Self {
        Namer {
            evh: settings.enable_evh,
            ..Namer::new(settings.cluster_name.as_str())
        }
    }

    /// Whether the names are EVH mode's.
    pub fn evh(&self) -> bool {
        self.evh
    }

    /// Names for the L7 objects placed with the AviInfraSetting `infra` (none: the global
    /// placement, or a namespace-scoped setting).
    pub fn for_infra(&self, infra: Option<&str>) -> Self {
        Namer {
            cluster: self.cluster.clone(),
            infra: infra.map(str::to_owned),
            evh: self.evh,
        }
    }

    /// The AviInfraSetting name these names carry (the `InfrasettingName` marker of the objects
    /// named with it).
    pub fn infra(&self) -> Option<&str> {
        self.infra.as_deref()
    }

    /// `created_by` on every object AKO owns: `ako-<cluster>`.
    pub fn ako_user(&self) -> String {
        format!("ako-{}", self.cluster)
    }

    /// The prefix of every name: `<cluster>--` (how AKO finds its VsVips).
    pub fn prefix(&self) -> String {
        format!("{}--", self.cluster)
    }

    fn with_infra(&self) -> String {
        match &self.infra {
            Some(i) => format!("{}{i}-", self.prefix()),
            None => self.prefix(),
        }
    }

    /// AKO's `Encode`: in EVH mode `<cluster>--<sha1 hex of name>` (which always fits), else
    /// `name` itself, checked against the length limit.
    fn encode(&self, name: String) -> Result<String, NameTooLong> {
        if self.evh {
            Ok(format!(
                "{}{}",
                self.prefix(),
                hex::encode(Sha1::digest(name.as_bytes()))
            ))
        } else {
            checked(name)
        }
    }

    /// Shared L7 parent VS (also its VsVip, and in SNI mode its PoolGroup, DataScript set and
    /// redirect policy): `<cluster>--Shared-L7-[<infra>-]<n>`, in EVH mode
    /// `<cluster>--Shared-L7-EVH-[<infra>-]<n>`.
    pub fn shared_vs(&self, shard: u32) -> Result<String, NameTooLong> {
        let infra = self.infra.as_ref().map(|i| format!("{i}-")).unwrap_or_default();
        let evh = if self.evh { "EVH-" } else { "" };
        checked(format!("{}Shared-L7-{evh}{infra}{shard}", self.prefix()))
    }

    /// Shared TLS passthrough VS (also its VsVip and datascript set):
    /// `<cluster>--Shared-Passthrough-[<infra>-]<n>`; its port-80 companion appends `-insecure`.
    pub fn passthrough_vs(&self, shard: u32) -> Result<String, NameTooLong> {
        let infra = self.infra.as_ref().map(|i| format!("{i}-")).unwrap_or_default();
        checked(format!("{}Shared-Passthrough-{infra}{shard}", self.prefix()))
    }

    /// Pool group of a passthrough host: `<cluster>--[<infra>-]<host>` (never encoded).
    pub fn passthrough_pool_group(&self, host: &str) -> Result<String, NameTooLong> {
        checked(format!("{}{host}", self.with_infra()))
    }

    /// Pool of a passthrough host's Service: `<cluster>--[<infra>-]<host>-<svc>` (never encoded).
    pub fn passthrough_pool(&self, host: &str, service: &str) -> Result<String, NameTooLong> {
        checked(format!("{}{host}-{service}", self.with_infra()))
    }

    /// The EVH parent of namespace `ns` under `vipPerNamespace`:
    /// `<cluster>--Shared-L7-EVH-[<infra>-]NS-<ns>`.
    pub fn namespace_vs(&self, ns: &str) -> Result<String, NameTooLong> {
        let infra = self.infra.as_ref().map(|i| format!("{i}-")).unwrap_or_default();
        checked(format!("{}Shared-L7-EVH-{infra}NS-{ns}", self.prefix()))
    }

    /// DEDICATED-mode VS (also its VsVip and redirect policy):
    /// `<cluster>--[<infra>-]<host>-L7-dedicated`, in EVH mode that encoded and `-EVH` appended.
    pub fn dedicated_vs(&self, host: &str) -> Result<String, NameTooLong> {
        let name = format!("{}{host}{DEDICATED_SUFFIX}", self.with_infra());
        if self.evh {
            checked(format!("{}{EVH_SUFFIX}", self.encode(name)?))
        } else {
            checked(name)
        }
    }

    /// Whether the model `vs` is a DEDICATED-mode VS (in either mode).
    pub fn is_dedicated(vs: &str) -> bool {
        vs.ends_with(DEDICATED_SUFFIX) || (vs.ends_with(EVH_SUFFIX) && !vs.contains("--Shared-L7-EVH-"))
    }

    /// Pool of an insecure host/path on the shared VS (SNI mode):
    /// `<cluster>--[<infra>-]<host><path_>-<ns>-<ing>`.
    pub fn l7_pool(&self, host: &str, path: &str, ns: &str, ingress: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{host}{}-{ns}-{ingress}", self.with_infra(), path_part(path)))
    }

    /// Insecure pool of one Service of a Route's host and path on a shared VS:
    /// `<cluster>--[<infra>-]<host><path_>-<ns>-<route>-<svc>` (encoded).
    pub fn l7_route_pool(
        &self,
        host: &str,
        path: &str,
        ns: &str,
        route: &str,
        svc: &str,
    ) -> Result<String, NameTooLong> {
        self.encode(format!(
            "{}{host}{}-{ns}-{route}-{svc}",
            self.with_infra(),
            path_part(path)
        ))
    }

    /// SNI or EVH child VS: `<cluster>--[<infra>-]<host>` (encoded; in EVH mode also the name of
    /// its redirect policy).
    pub fn sni_child(&self, host: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{host}", self.with_infra()))
    }

    /// Pool group of a host's path: `<cluster>--[<infra>-]<ns>-<host><path_>-<ing>`, with
    /// `-L7-dedicated` on a DEDICATED VS (encoded).
    pub fn sni_pool_group(
        &self,
        ns: &str,
        host: &str,
        path: &str,
        ingress: &str,
        dedicated: bool,
    ) -> Result<String, NameTooLong> {
        let suffix = if dedicated { DEDICATED_SUFFIX } else { "" };
        self.encode(format!(
            "{}{ns}-{host}{}-{ingress}{suffix}",
            self.with_infra(),
            path_part(path)
        ))
    }

    /// Pool of a host's path backend: an Ingress's in SNI mode the same as its pool group; in
    /// EVH mode, and a Route's (`per_service`: one pool per Service of a path),
    /// `<cluster>--[<infra>-]<ns>-<host><path_>-<ing>-<svc>[-L7-dedicated]`, encoded.
    #[allow(clippy::too_many_arguments)]
    pub fn sni_pool(
        &self,
        ns: &str,
        host: &str,
        path: &str,
        ingress: &str,
        service: &str,
        dedicated: bool,
        per_service: bool,
    ) -> Result<String, NameTooLong> {
        if !self.evh && !per_service {
            return self.sni_pool_group(ns, host, path, ingress, dedicated);
        }
        let suffix = if dedicated { DEDICATED_SUFFIX } else { "" };
        self.encode(format!(
            "{}{ns}-{host}{}-{ingress}-{service}{suffix}",
            self.with_infra(),
            path_part(path)
        ))
    }

    /// HTTP policy set switching paths on a host VS: `<cluster>--[<infra>-]<ns>-<host>` (encoded).
    pub fn sni_http_policy_set(&self, ns: &str, host: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{ns}-{host}", self.with_infra()))
    }

    /// SSLKeyAndCertificate of a TLS host: `<cluster>--[<infra>-]<host>`, with `-alt` appended when
    /// the Secret's name ends in `-alt` (AKO's naming of alternate certificates), encoded.
    pub fn tls_key_cert(&self, host: &str, secret: &str) -> Result<String, NameTooLong> {
        let alt = if secret.ends_with("-alt") { "-alt" } else { "" };
        self.encode(format!("{}{host}{alt}", self.with_infra()))
    }

    /// CA certificate of a Route's host: `<cluster>--[<infra>-]<host>-cacert` (encoded).
    pub fn ca_cert(&self, host: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{host}-cacert", self.with_infra()))
    }

    /// Routes' default certificate, from the Secret `secret`: `<cluster>--<secret>` (encoded;
    /// one for every host and setting).
    pub fn router_default_cert(&self, secret: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{secret}", self.prefix()))
    }

    /// PKI profile of a re-encrypting pool: `<pool>-pkiprofile` (encoded).
    pub fn pki_profile(&self, pool: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{pool}-pkiprofile"))
    }

    /// Check a name built elsewhere against the controller's length limit.
    pub fn checked(&self, name: String) -> Result<String, NameTooLong> {
        checked(name)
    }

    /// L4 VS of a LoadBalancer Service (also its VsVip and L4 policy set): `<cluster>--<ns>-<svc>`.
    pub fn l4_vs(&self, ns: &str, service: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{ns}-{service}", self.prefix()))
    }

    /// VS of a shared-VIP group of LoadBalancer Services (also its VsVip and L4 policy set):
    /// `<cluster>--<ns>-<key>`, `key` being the `ako.vmware.com/enable-shared-vip` value
    /// (`lib.GetL4VSName(key, ns)`). The same shape as a Service's own VS, so a Service named like
    /// the key collides with the group.
    pub fn l4_shared_vs(&self, ns: &str, key: &str) -> Result<String, NameTooLong> {
        self.encode(format!("{}{ns}-{key}", self.prefix()))
    }

    /// Pool of one port of a Service in a shared-VIP group:
    /// `<cluster>--<ns>-<svc>-<key>-<protocol>-<port>` (`lib.GetSvcApiL4PoolName`; the protocol
    /// as the Service spells it, which the API server keeps upper-case).
    pub fn l4_shared_pool(
        &self,
        ns: &str,
        service: &str,
        key: &str,
        protocol: &str,
        port: i32,
    ) -> Result<String, NameTooLong> {
        self.encode(format!("{}{ns}-{service}-{key}-{protocol}-{port}", self.prefix()))
    }

    /// L4 pool, one per Service port: `<cluster>--<ns>-<svc>-<PROTOCOL>-<port>`.
    pub fn l4_pool(&self, ns: &str, service: &str, protocol: &str, port: i32) -> Result<String, NameTooLong> {
        self.encode(format!(
            "{}{ns}-{service}-{}-{port}",
            self.prefix(),
            protocol.to_ascii_uppercase()
        ))
    }
}

/// The pool priority label of a host and path on the shared VS: `lower(host + path)`.
pub fn priority_label(host: &str, path: &str) -> String {
    format!("{host}{path}").to_lowercase()
}

/// A path inside a name: every `/` becomes `_`.
fn path_part(path: &str) -> String {
    path.replace('/', "_")
}

fn checked(name: String) -> Result<String, NameTooLong> {
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        Err(NameTooLong { name, len })
    } else {
        Ok(name)
    }
}

/// A reference to a network of `vipNetworkList` or `nodeNetworkList`: by uuid when the entry
/// has one, else by name (AKO's rule for VsVip IPAM subnets and pool placement networks alike).
pub fn network_ref(uuid: &str, name: &str) -> String {
    if uuid.is_empty() {
        format!("/api/network/?name={name}")
    } else {
        format!("/api/network/{uuid}")
    }
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_escape_matches_go() {
        assert_eq!(query_escape("admin"), "admin");
        assert_eq!(query_escape("my tenant/x"), "my+tenant%2Fx");
    }
    use proptest::prelude::*;

    #[test]
    fn names_match_akos_table() {
        let n = Namer::new("cluster");
        assert_eq!(n.ako_user(), "ako-cluster");
        assert_eq!(n.shared_vs(0).unwrap(), "cluster--Shared-L7-0");
        assert_eq!(
            n.for_infra(Some("infra1")).shared_vs(3).unwrap(),
            "cluster--Shared-L7-infra1-3"
        );
        assert_eq!(n.dedicated_vs("foo.com").unwrap(), "cluster--foo.com-L7-dedicated");
        assert_eq!(
            n.l7_pool("foo.com", "/foo/bar", "default", "ing").unwrap(),
            "cluster--foo.com_foo_bar-default-ing"
        );
        assert_eq!(
            n.for_infra(Some("i")).sni_child("foo.com").unwrap(),
            "cluster--i-foo.com"
        );
        assert_eq!(
            n.sni_pool_group("default", "foo.com", "/", "ing", false).unwrap(),
            "cluster--default-foo.com_-ing"
        );
        assert_eq!(
            n.sni_pool_group("default", "foo.com", "/", "ing", true).unwrap(),
            "cluster--default-foo.com_-ing-L7-dedicated"
        );
        assert_eq!(
            n.sni_http_policy_set("default", "foo.com").unwrap(),
            "cluster--default-foo.com"
        );
        assert_eq!(n.l4_vs("red-ns", "testsvc").unwrap(), "cluster--red-ns-testsvc");
        assert_eq!(
            n.l4_pool("red-ns", "testsvc", "tcp", 8080).unwrap(),
            "cluster--red-ns-testsvc-TCP-8080"
        );
        assert_eq!(n.l4_shared_vs("red-ns", "vip1").unwrap(), "cluster--red-ns-vip1");
        assert_eq!(
            n.l4_shared_pool("red-ns", "dns", "vip1", "UDP", 53).unwrap(),
            "cluster--red-ns-dns-vip1-UDP-53"
        );
        assert_eq!(priority_label("Foo.com", "/Bar"), "foo.com/bar");
    }

    #[test]
    fn evh_names_are_encoded_as_akos() {
        // AKO's own example (`Encode("cluster--foo.com")`, notes/ako-behaviour.md §2.1).
        use crate::settings::{Settings, Values};
        let values = Values::from_yaml(
            "AKOSettings: {clusterName: cluster, enableEVH: true}\nNetworkSettings: {vipNetworkList: [{networkName: n}]}",
        )
        .unwrap();
        let settings = Settings::from_values(&values).unwrap();
        let n = Namer::for_settings(&settings);
        assert_eq!(
            n.sni_child("foo.com").unwrap(),
            "cluster--532fd312059d5096118cb0bc3d1135a36cc4f826"
        );
        assert_eq!(n.shared_vs(1).unwrap(), "cluster--Shared-L7-EVH-1");
        assert_eq!(
            n.for_infra(Some("i")).shared_vs(0).unwrap(),
            "cluster--Shared-L7-EVH-i-0"
        );
        assert_eq!(n.namespace_vs("shop").unwrap(), "cluster--Shared-L7-EVH-NS-shop");
        let dedicated = n.dedicated_vs("foo.com").unwrap();
        assert!(dedicated.ends_with("-EVH") && Namer::is_dedicated(&dedicated));
        assert!(!Namer::is_dedicated("cluster--Shared-L7-EVH-0"));
        // The pool carries the Service's name, its group does not.
        let pool = n.sni_pool("ns", "foo.com", "/", "ing", "svc", false, false).unwrap();
        assert_ne!(pool, n.sni_pool_group("ns", "foo.com", "/", "ing", false).unwrap());
        // Every encoded name fits, however long the host.
        assert!(n.sni_child(&"a".repeat(300)).is_ok());
    }

    #[test]
    fn long_names_are_errors_not_truncations() {
        let n = Namer::new("c");
        let host = format!("{}.example.com", "a".repeat(250));
        let err = n.sni_child(&host).unwrap_err();
        assert_eq!(err.len, 3 + host.len());
        assert!(err.to_string().contains("over the limit of 255"));
        assert!(n.sni_child(&"a".repeat(252)).is_ok(), "exactly 255 is allowed");
    }

    proptest! {
        #[test]
        fn every_name_carries_the_cluster_prefix(ns in "[a-z0-9-]{1,20}", svc in "[a-z0-9-]{1,20}", port in 1i32..65535) {
            let n = Namer::new("prod");
            prop_assert!(n.l4_vs(&ns, &svc).unwrap().starts_with("prod--"));
            let suffix = format!("-UDP-{port}");
            prop_assert!(n.l4_pool(&ns, &svc, "udp", port).unwrap().ends_with(&suffix));
        }
    }
}
