//! Which models a translation failure may own objects in. A failure is not a deletion: the sync
//! engine must keep the objects of those models as they are (AKO's rule "fail safe on deletes").

use crate::key::{Kind, ModelKey};
use crate::l4::shared_vip_key;
use crate::l7::{L7Root, place_of};
use crate::model::{CloudFacts, Failure};
use crate::namespaces::tenant_of;
use crate::naming::Namer;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The models whose objects a failed object could have produced before it failed; `None` when
/// that cannot be told, and then nothing may be garbage-collected.
pub fn models_of_failure(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    f: &Failure,
) -> Option<Vec<ModelKey>> {
    let namer = Namer::for_settings(settings);
    let (ns, name) = (f.object.namespace(), f.object.name());
    match f.object.kind {
        Kind::Service if !ns.is_empty() => {
            // Its own VS, and the group's VS if it asks to share a VIP (always `tenantName`).
            let mut models = vec![ModelKey::new(
                tenant_of(snap, settings, ns),
                namer.l4_vs(ns, name).ok()?,
            )];
            if let Some(key) = snap.service(ns, name).and_then(shared_vip_key) {
                models.push(ModelKey::new(&settings.tenant, namer.l4_shared_vs(ns, key).ok()?));
            }
            Some(models)
        }
        Kind::Ingress | Kind::Route if !ns.is_empty() => {
            let root = L7Root::find(snap, f.object.kind, &f.object.key)?;
            let tenant = tenant_of(snap, settings, ns);
            let place = place_of(snap, settings, cloud, ns, root);
            root.hosts(&f.object.key, settings, cloud)
                .iter()
                .map(|h| place.model_of(&tenant, ns, h))
                .collect()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Values;
    use serde_json::json;

    fn settings(shard: &str) -> Settings {
        let text = format!(
            "AKOSettings: {{clusterName: c}}\nNetworkSettings: {{vipNetworkList: [{{networkName: n}}]}}\nL7Settings: {{shardVSSize: {shard}}}\n"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    fn failure(kind: Kind, ns: &str, name: &str) -> Failure {
        Failure::new(kind, ns, name, "x")
    }

    #[test]
    fn a_shared_vip_service_protects_its_group() {
        let mut snap = Snapshot::new();
        snap.insert::<k8s_openapi::api::core::v1::Service>(
            serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "ns",
                "annotations": {"ako.vmware.com/enable-shared-vip": "grp"}},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}))
            .unwrap(),
        );
        let m = models_of_failure(
            &snap,
            &settings("SMALL"),
            &CloudFacts::default(),
            &failure(Kind::Service, "ns", "web"),
        );
        assert_eq!(
            m,
            Some(vec![
                ModelKey::new("admin", "c--ns-web"),
                ModelKey::new("admin", "c--ns-grp")
            ])
        );
    }

    #[test]
    fn an_ingress_protects_the_shards_of_its_hosts_and_unknown_failures_protect_all() {
        let mut snap = Snapshot::new();
        snap.insert::<k8s_openapi::api::networking::v1::Ingress>(
            serde_json::from_value(json!({"metadata": {"name": "i", "namespace": "ns"},
                "spec": {"rules": [{"host": "foo.com"}, {"host": "bar.com"}]}}))
            .unwrap(),
        );
        let cloud = CloudFacts::default();
        let m = models_of_failure(&snap, &settings("LARGE"), &cloud, &failure(Kind::Ingress, "ns", "i"));
        // foo.com → shard 0, bar.com → shard 1 (notes/ako-behaviour.md §3).
        assert_eq!(
            m,
            Some(vec![
                ModelKey::new("admin", "c--Shared-L7-0"),
                ModelKey::new("admin", "c--Shared-L7-1")
            ])
        );
        assert_eq!(
            models_of_failure(&snap, &settings("LARGE"), &cloud, &failure(Kind::Ingress, "", "m")),
            None
        );
        assert_eq!(
            models_of_failure(&snap, &settings("LARGE"), &cloud, &failure(Kind::Ingress, "ns", "gone")),
            None
        );
    }
}
