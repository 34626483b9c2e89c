//! What a translation failure protects: the models its Kubernetes object may own objects in
//! keep their garbage (a failure is not a deletion), and a failure whose models cannot be told
//! stops all garbage collection. One helper for every caller of the planner.

use std::collections::BTreeSet;

use ako_translate::{CloudFacts, ModelKey, ObjRef, Settings, Snapshot, Translation, models_of_failure};

use crate::plan::PlanOptions;

/// The protection the failures of one translation call for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Protection {
    /// Models whose garbage is kept.
    pub models: BTreeSet<ModelKey>,
    /// Failed objects whose models cannot be told: while there is one, nothing is deleted.
    pub unmapped: Vec<ObjRef>,
}

impl Protection {
    /// The protection of `translation`'s failures.
    pub fn of(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts, translation: &Translation) -> Self {
        let mut out = Protection::default();
        for f in translation.failures.iter().filter(|f| f.keeps_objects) {
            match models_of_failure(snapshot, settings, cloud, f) {
                Some(models) => out.models.extend(models),
                None => out.unmapped.push(f.object.clone()),
            }
        }
        out
    }

    /// Apply it to planner options.
    pub fn apply(&self, options: &mut PlanOptions) {
        options.protected_models.extend(self.models.iter().cloned());
        if !self.unmapped.is_empty() {
            options.collect_garbage = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use ako_translate::{Values, load_document};
    use serde_json::json;

    use super::*;

    /// An Ingress `name` for `host` on Service `service`, TLS with Secret `secret` when given.
    fn ingress(name: &str, host: &str, service: &str, secret: Option<&str>) -> serde_json::Value {
        let mut spec = json!({"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]});
        if let Some(s) = secret {
            spec["tls"] = json!([{"hosts": [host], "secretName": s}]);
        }
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
    }

    fn protection(docs: Vec<serde_json::Value>) -> Protection {
        let settings = Settings::from_values(
            &Values::from_yaml(
                "AKOSettings:\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: [{networkName: vip-net}]\n\
                 L7Settings:\n  shardVSSize: SMALL\n",
            )
            .unwrap(),
        )
        .unwrap();
        let mut snap = Snapshot::new();
        load_document(
            &mut snap,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
                "spec": {"controller": "ako.vmware.com/avi-lb"}}),
        )
        .unwrap();
        for doc in docs {
            load_document(&mut snap, doc).unwrap();
        }
        let cloud = CloudFacts {
            dns_domains: vec!["avi.internal".into()],
            ..CloudFacts::default()
        };
        let translation = ako_translate::translate(&snap, &settings, &cloud);
        assert!(!translation.failures.is_empty(), "the case must fail");
        Protection::of(&snap, &settings, &cloud, &translation)
    }

    /// A warning on an Ingress that is served all the same (its backend Service does not exist
    /// yet) keeps nothing: what deleted Ingresses left in the shared VS is collected.
    #[test]
    fn a_served_warning_protects_nothing() {
        let p = protection(vec![ingress("warned", "w.avi.internal", "nosuch", None)]);
        assert_eq!(p, Protection::default());
    }

    /// A host not served (its TLS Secret is missing) keeps what its model has.
    #[test]
    fn a_host_not_served_protects_its_model() {
        let p = protection(vec![ingress("failed", "f.avi.internal", "web", Some("nosuch"))]);
        assert_eq!(p.models.len(), 1, "{p:?}");
        assert!(p.unmapped.is_empty());
    }
}
