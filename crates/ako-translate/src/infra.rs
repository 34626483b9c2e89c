//! AviInfraSetting in translation: which setting an Ingress or a LoadBalancer Service is placed
//! with (AKO's attachment rules), whether the setting is valid (its verdict, as AKO's
//! `ValidateAviInfraSetting` decides it), and the settings it overrides for the objects using it
//! (`buildWithInfraSetting`, `buildPoolWithInfraSetting`).
//!
//! Attachment, as AKO 2.2 does it:
//! * an Ingress: its IngressClass's `spec.parameters` (`apiGroup: ako.vmware.com`, `kind:
//!   AviInfraSetting`), else its Namespace's annotation `aviinfrasetting.ako.vmware.com/name`;
//! * a LoadBalancer Service: its own annotation, else its Namespace's.
//!
//! A setting named but missing or not Accepted: the Ingress is not served (AKO removes it from
//! the controller), the Service is placed with the global settings (AKO's fallback); both get a
//! failure saying why. A setting is *namespace-scoped* for an object when the object's Namespace
//! carries the setting's annotation: AKO then leaves the setting's name out of every object name.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use avi_model::ObjectType;

use crate::crds::{AviInfraSetting, AviInfraSettingSpec, GROUP, InfraListener};
use crate::key::NsName;
use crate::model::CloudFacts;
use crate::rules::verdict::check_refs;
use crate::rules::{ControllerRef, Verdict};
use crate::settings::{NodeNetwork, Settings, VipNetwork};
use crate::shard::ShardSize;
use crate::snapshot::Snapshot;

/// The annotation naming the AviInfraSetting of a LoadBalancer Service, or of every Ingress and
/// Service of a Namespace.
pub const INFRA_SETTING_ANNOTATION: &str = "aviinfrasetting.ako.vmware.com/name";
/// `spec.parameters.kind` of an IngressClass naming an AviInfraSetting.
const PARAMETERS_KIND: &str = "AviInfraSetting";

/// An Accepted setting as one object uses it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Infra<'a> {
    /// The setting's name.
    pub name: &'a str,
    /// Its spec (the version in effect).
    pub spec: &'a AviInfraSettingSpec,
    /// The object's Namespace carries the setting's annotation.
    pub ns_scoped: bool,
}

/// Which placement an object gets.
#[derive(Clone, Debug, PartialEq)]
pub enum Attached<'a> {
    /// The global settings: no setting is named.
    Global,
    /// An Accepted setting.
    Setting(Infra<'a>),
    /// A setting is named but cannot be used, and why.
    Unusable(String),
}

impl Infra<'_> {
    /// The setting's name as AKO puts it into object names (`<cluster>--<infra>-…`): none when
    /// namespace-scoped.
    pub fn name_part(&self) -> Option<&str> {
        (!self.ns_scoped).then_some(self.name)
    }

    /// The settings as the objects using this setting see them: its SE group, RHI, BGP peer
    /// labels, VIP and node networks and L7 shard size in place of the global ones where it
    /// sets them.
    pub fn apply(&self, global: &Settings) -> Settings {
        let mut s = global.clone();
        if let Some(seg) = self.spec.se_group.as_ref().filter(|g| !g.name.is_empty()) {
            s.se_group = seg.name.clone();
        }
        if let Some(net) = &self.spec.network {
            if let Some(rhi) = net.enable_rhi {
                s.enable_rhi = rhi;
            }
            if let Some(labels) = &net.bgp_peer_labels {
                s.bgp_peer_labels = labels.clone();
            }
            if let Some(vips) = net.vip_networks.as_ref().filter(|v| !v.is_empty()) {
                s.vip_networks = vips
                    .iter()
                    .map(|v| VipNetwork {
                        network_name: v.network_name.clone().unwrap_or_default(),
                        network_uuid: v.network_uuid.clone().unwrap_or_default(),
                        cidr: v.cidr.clone().unwrap_or_default(),
                        v6cidr: v.v6cidr.clone().unwrap_or_default(),
                    })
                    .collect();
            }
            if let Some(nodes) = net.node_networks.as_ref().filter(|n| !n.is_empty()) {
                s.node_networks = nodes
                    .iter()
                    .map(|n| NodeNetwork {
                        network_name: n.network_name.clone().unwrap_or_default(),
                        network_uuid: n.network_uuid.clone().unwrap_or_default(),
                        cidrs: n.cidrs.clone().unwrap_or_default(),
                    })
                    .collect();
            }
        }
        s.shard_size = self.shard_size(global);
        s
    }

    /// `network.listeners`: the ports of the shared parents and DEDICATED VSes it places.
    pub fn listeners(&self) -> &[InfraListener] {
        self.spec
            .network
            .as_ref()
            .and_then(|n| n.listeners.as_deref())
            .unwrap_or_default()
    }

    /// The L7 shard size of the hosts placed with this setting.
    pub fn shard_size(&self, global: &Settings) -> ShardSize {
        self.spec
            .l7_settings
            .as_ref()
            .map_or(global.shard_size, |l| l.shard_size.into())
    }
}

/// The setting the Namespace `ns` names, if any.
pub fn namespace_setting<'a>(snap: &'a Snapshot, ns: &str) -> Option<&'a str> {
    snap.namespace(ns)
        .and_then(|n| n.metadata.annotations.as_ref())
        .and_then(|a| a.get(INFRA_SETTING_ANNOTATION))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// The setting an Ingress's IngressClass names in `spec.parameters`, if any.
pub fn class_setting<'a>(snap: &'a Snapshot, ing: &Ingress) -> Option<&'a str> {
    let class = ing.spec.as_ref()?.ingress_class_name.as_deref()?;
    let params = snap.ingress_class(class)?.spec.as_ref()?.parameters.as_ref()?;
    (params.api_group.as_deref() == Some(GROUP) && params.kind == PARAMETERS_KIND).then_some(params.name.as_str())
}

/// The setting an Ingress names (through its class, else its Namespace), if any.
pub fn ingress_setting<'a>(snap: &'a Snapshot, ns: &str, ing: &Ingress) -> Option<&'a str> {
    class_setting(snap, ing).or_else(|| namespace_setting(snap, ns))
}

/// The setting a LoadBalancer Service names (its annotation, else its Namespace's), if any.
pub fn service_setting<'a>(snap: &'a Snapshot, ns: &str, svc: &'a Service) -> Option<&'a str> {
    annotated_setting(snap, ns, &svc.metadata)
}

/// The setting an object of namespace `ns` names by annotation (a LoadBalancer Service, a
/// Route), else its Namespace's, if any.
pub fn annotated_setting<'a>(snap: &'a Snapshot, ns: &str, meta: &'a ObjectMeta) -> Option<&'a str> {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(INFRA_SETTING_ANNOTATION))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| namespace_setting(snap, ns))
}

/// The placement of an Ingress of namespace `ns`.
pub fn for_ingress<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    ing: &Ingress,
) -> Attached<'a> {
    attach(snap, settings, cloud, ns, ingress_setting(snap, ns, ing))
}

/// The placement of a LoadBalancer Service of namespace `ns`.
pub fn for_service<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    svc: &Service,
) -> Attached<'a> {
    attach(snap, settings, cloud, ns, service_setting(snap, ns, svc))
}

/// The placement of an object of namespace `ns` that names the setting `name` (or none).
pub fn attach<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    name: Option<&str>,
) -> Attached<'a> {
    let Some(name) = name else {
        return Attached::Global;
    };
    let key = NsName::cluster(name);
    let Some((key, setting)) = snap.infra_settings.get_key_value(&key) else {
        return Attached::Unusable(format!("AviInfraSetting {name:?} does not exist"));
    };
    match infra_verdict_of(settings, cloud, setting) {
        Verdict::Accepted => Attached::Setting(Infra {
            name: key.name.as_str(),
            spec: &setting.spec,
            ns_scoped: namespace_setting(snap, ns) == Some(name),
        }),
        Verdict::Rejected(e) => Attached::Unusable(format!("AviInfraSetting {name:?} is Rejected: {e}")),
        Verdict::Unresolved(_) => Attached::Unusable(format!(
            "AviInfraSetting {name:?} is not validated yet (its SE group and networks are being looked up on the controller)"
        )),
    }
}

/// The controller objects a setting names by name: its SE group and networks.
pub fn infra_refs(setting: &AviInfraSetting) -> Vec<ControllerRef> {
    let mut refs = Vec::new();
    if let Some(seg) = setting.spec.se_group.as_ref().filter(|g| !g.name.is_empty()) {
        refs.push(ControllerRef::new(ObjectType::ServiceEngineGroup, &seg.name));
    }
    let net = setting.spec.network.as_ref();
    // A network given by uuid is looked up by uuid in AKO; ako-rs checks names only.
    let by_name = |uuid: &Option<String>, name: &Option<String>| {
        uuid.as_deref().unwrap_or("").is_empty().then(|| name.clone()).flatten()
    };
    let vips = net
        .and_then(|n| n.vip_networks.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|v| by_name(&v.network_uuid, &v.network_name));
    let nodes = net
        .and_then(|n| n.node_networks.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|v| by_name(&v.network_uuid, &v.network_name));
    for name in vips.chain(nodes).filter(|n| !n.is_empty()) {
        let r = ControllerRef::new(ObjectType::Network, name);
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    refs
}

/// The verdict of the AviInfraSetting `name` in `snap`.
pub fn infra_verdict(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, name: &str) -> Verdict {
    match snap.infra_settings.get(&NsName::cluster(name)) {
        Some(setting) => infra_verdict_of(settings, cloud, setting),
        None => Verdict::Rejected("the AviInfraSetting does not exist".to_owned()),
    }
}

/// AKO's checks, in its order: BGP peer labels need RHI, VIP network CIDRs must be CIDRs, some
/// listener must have SSL, and the SE group and networks must exist on the controller (looked up
/// in the tenant of `tenantName`).
fn infra_verdict_of(settings: &Settings, cloud: &CloudFacts, setting: &AviInfraSetting) -> Verdict {
    let net = setting.spec.network.as_ref();
    if let Some(n) = net {
        if n.enable_rhi != Some(true) && n.bgp_peer_labels.as_ref().is_some_and(|l| !l.is_empty()) {
            return Verdict::Rejected("BGPPeerLabels cannot be set if EnableRhi is false.".to_owned());
        }
        for v in n.vip_networks.iter().flatten() {
            let name = v.network_name.as_deref().unwrap_or("");
            if let Some(cidr) = v.cidr.as_deref().filter(|c| !c.is_empty() && !is_v4_cidr(c)) {
                return Verdict::Rejected(format!(
                    "invalid CIDR configuration {cidr} detected for networkName {name} in vipNetworkList"
                ));
            }
            if let Some(cidr) = v.v6cidr.as_deref().filter(|c| !c.is_empty() && !is_v6_cidr(c)) {
                return Verdict::Rejected(format!(
                    "invalid IPv6 CIDR configuration {cidr} detected for networkName {name} in vipNetworkList"
                ));
            }
        }
        if let Some(listeners) = n.listeners.as_ref().filter(|l| !l.is_empty())
            && !listeners.iter().any(|l| l.enable_ssl == Some(true))
        {
            return Verdict::Rejected("One of the port in aviInfraSetting must have SSL enabled".to_owned());
        }
    }
    check_refs(cloud, settings, &settings.tenant, &infra_refs(setting))
}

/// `a.b.c.d/` with an optional mask of 0 to 32: what AKO accepts as a VIP network's `cidr`.
fn is_v4_cidr(s: &str) -> bool {
    let Some((addr, mask)) = s.split_once('/') else {
        return false;
    };
    let octets: Vec<&str> = addr.split('.').collect();
    let digits = |t: &str, max: usize| (1..=max).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    let octet_ok = |o: &&str| digits(o, 3) && o.parse::<u16>().is_ok_and(|n| n <= 255);
    // No leading zero in the mask ("024" is refused, "0" is not).
    let mask_ok = mask.is_empty()
        || (digits(mask, 2) && (mask == "0" || !mask.starts_with('0')) && mask.parse::<u8>().is_ok_and(|m| m <= 32));
    octets.len() == 4 && octets.iter().all(octet_ok) && mask_ok
}

/// An IPv6 address with an optional mask of 1 to 128: what AKO accepts as `v6cidr`.
fn is_v6_cidr(s: &str) -> bool {
    let (addr, mask) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    addr.parse::<std::net::Ipv6Addr>().is_ok()
        && mask.is_none_or(|m| !m.starts_with('0') && m.parse::<u8>().is_ok_and(|m| (1..=128).contains(&m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::load_manifests;
    use crate::rules::{RefCatalog, RefState};

    const WORLD: &str = r#"
apiVersion: ako.vmware.com/v1beta1
kind: AviInfraSetting
metadata: {name: blue}
spec:
  seGroup: {name: seg-blue}
  network: {vipNetworks: [{networkName: net-blue, cidr: 10.9.0.0/24}], enableRhi: true, bgpPeerLabels: [p1]}
  l7Settings: {shardSize: DEDICATED}
---
apiVersion: ako.vmware.com/v1beta1
kind: AviInfraSetting
metadata: {name: green}
spec:
  seGroup: {name: seg-green}
---
apiVersion: ako.vmware.com/v1beta1
kind: AviInfraSetting
metadata: {name: bad}
spec:
  network: {bgpPeerLabels: [p1]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: blue-class}
spec:
  controller: ako.vmware.com/avi-lb
  parameters: {apiGroup: ako.vmware.com, kind: AviInfraSetting, name: blue}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other-params}
spec:
  controller: ako.vmware.com/avi-lb
  parameters: {apiGroup: example.com, kind: Settings, name: blue}
---
apiVersion: v1
kind: Namespace
metadata: {name: garden, annotations: {aviinfrasetting.ako.vmware.com/name: green}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"#;

    fn world() -> Snapshot {
        let mut snap = Snapshot::new();
        load_manifests(&mut snap, "t.yaml", WORLD).unwrap();
        snap
    }

    fn ingress(class: Option<&str>) -> Ingress {
        let mut v = serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web"}, "spec": {}});
        if let Some(c) = class {
            v["spec"]["ingressClassName"] = serde_json::json!(c);
        }
        serde_json::from_value(v).unwrap()
    }

    fn service(annotation: Option<&str>) -> Service {
        let mut v = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"}});
        if let Some(a) = annotation {
            v["metadata"]["annotations"] = serde_json::json!({INFRA_SETTING_ANNOTATION: a});
        }
        serde_json::from_value(v).unwrap()
    }

    fn settings() -> Settings {
        let text = "AKOSettings: {clusterName: c}\nNetworkSettings: {vipNetworkList: [{networkName: vip-net}]}";
        Settings::from_values(&crate::Values::from_yaml(text).unwrap()).unwrap()
    }

    fn name_of<'a>(a: &Attached<'a>) -> Option<(&'a str, bool)> {
        match a {
            Attached::Setting(i) => Some((i.name, i.ns_scoped)),
            _ => None,
        }
    }

    #[test]
    fn the_class_wins_over_the_namespace_and_the_service_annotation_too() {
        let (snap, s, cloud) = (
            world(),
            settings(),
            CloudFacts {
                refs: RefCatalog::unchecked(),
                ..CloudFacts::default()
            },
        );
        let ing = |ns, class| for_ingress(&snap, &s, &cloud, ns, &ingress(class));
        assert_eq!(name_of(&ing("shop", Some("blue-class"))), Some(("blue", false)));
        assert_eq!(
            name_of(&ing("garden", Some("blue-class"))),
            Some(("blue", false)),
            "the class first"
        );
        assert_eq!(
            name_of(&ing("garden", None)),
            Some(("green", true)),
            "then the namespace: scoped"
        );
        assert_eq!(
            name_of(&ing("garden", Some("other-params"))),
            Some(("green", true)),
            "parameters of another kind"
        );
        assert_eq!(ing("shop", None), Attached::Global);
        let svc = |ns, a| for_service(&snap, &s, &cloud, ns, &service(a));
        assert_eq!(name_of(&svc("garden", Some("blue"))), Some(("blue", false)));
        assert_eq!(name_of(&svc("garden", None)), Some(("green", true)));
        assert_eq!(svc("shop", None), Attached::Global);
    }

    #[test]
    fn a_missing_rejected_or_unlooked_up_setting_is_unusable_and_says_why() {
        let (snap, s) = (world(), settings());
        let unchecked = CloudFacts {
            refs: RefCatalog::unchecked(),
            ..CloudFacts::default()
        };
        let problem = |cloud: &CloudFacts, name: &str| match for_service(&snap, &s, cloud, "shop", &service(Some(name)))
        {
            Attached::Unusable(p) => p,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(problem(&unchecked, "nope"), "AviInfraSetting \"nope\" does not exist");
        assert_eq!(
            problem(&unchecked, "bad"),
            "AviInfraSetting \"bad\" is Rejected: BGPPeerLabels cannot be set if EnableRhi is false."
        );
        // The controller lacks the SE group.
        let mut refs = RefCatalog::complete();
        refs.record(
            "admin",
            ControllerRef::new(ObjectType::Network, "net-blue"),
            RefState::Absent,
        );
        let complete = CloudFacts {
            refs,
            ..CloudFacts::default()
        };
        assert_eq!(
            problem(&complete, "blue"),
            "AviInfraSetting \"blue\" is Rejected: serviceenginegroup \"seg-blue\" not found on controller"
        );
        // Not looked up yet.
        let pending = CloudFacts::default();
        assert!(problem(&pending, "green").contains("not validated yet"));
    }

    #[test]
    fn a_setting_overrides_only_what_it_sets() {
        let (snap, global) = (world(), settings());
        let spec = |n: &str| &snap.infra_settings[&NsName::cluster(n)].spec;
        let blue = Infra {
            name: "blue",
            spec: spec("blue"),
            ns_scoped: false,
        }
        .apply(&global);
        assert_eq!(blue.se_group, "seg-blue");
        assert!(blue.enable_rhi);
        assert_eq!(blue.bgp_peer_labels, ["p1"]);
        assert_eq!(blue.vip_networks[0].network_name, "net-blue");
        assert_eq!(blue.vip_networks[0].cidr, "10.9.0.0/24");
        assert_eq!(blue.shard_size, ShardSize::Dedicated);
        let green = Infra {
            name: "green",
            spec: spec("green"),
            ns_scoped: true,
        };
        assert_eq!(green.name_part(), None, "namespace-scoped: not in names");
        let green = green.apply(&global);
        assert_eq!(green.se_group, "seg-green");
        assert_eq!(
            (green.enable_rhi, &green.vip_networks, green.shard_size),
            (global.enable_rhi, &global.vip_networks, global.shard_size),
            "the rest is global"
        );
    }

    #[test]
    fn cidrs_as_ako_checks_them() {
        for ok in ["10.0.0.0/24", "10.0.0.0/0", "10.0.0.0/", "192.168.001.1/32"] {
            assert!(is_v4_cidr(ok), "{ok}");
        }
        for bad in [
            "10.0.0.0",
            "10.0.0/24",
            "10.0.0.256/24",
            "10.0.0.0/33",
            "10.0.0.0/024",
            "a.b.c.d/8",
        ] {
            assert!(!is_v4_cidr(bad), "{bad}");
        }
        for ok in ["2001:db8::/64", "2001:db8::", "::1/128"] {
            assert!(is_v6_cidr(ok), "{ok}");
        }
        for bad in ["2001:db8::/0", "2001:db8::/129", "10.0.0.0/8", "zz::/64"] {
            assert!(!is_v6_cidr(bad), "{bad}");
        }
    }
}
