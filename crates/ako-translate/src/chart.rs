//! The objects AKO's Helm chart creates in the cluster, for the commands that model an installed
//! AKO from an application's manifests alone (`ako plan`, `ako sync`, `ako demo`): those
//! manifests never contain them, and without them every Ingress of class `avi-lb` would fail.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{IngressClass, IngressClassSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::ingress::{AVI_INGRESS_CONTROLLER, DEFAULT_CLASS_ANNOTATION};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// The IngressClass the chart creates.
pub const INGRESS_CLASS: &str = "avi-lb";

/// IngressClass `avi-lb` as the chart renders it: AKO's controller, and the cluster's default
/// class when `L7Settings.defaultIngController` is true.
pub fn ingress_class(settings: &Settings) -> IngressClass {
    let annotations = settings
        .default_ing_controller
        .then(|| BTreeMap::from([(DEFAULT_CLASS_ANNOTATION.to_owned(), "true".to_owned())]));
    IngressClass {
        metadata: ObjectMeta {
            name: Some(INGRESS_CLASS.to_owned()),
            annotations,
            ..ObjectMeta::default()
        },
        spec: Some(IngressClassSpec {
            controller: Some(AVI_INGRESS_CONTROLLER.to_owned()),
            parameters: None,
        }),
    }
}

/// Add the chart's objects the snapshot does not define itself (an object of the same kind and
/// name in the manifests wins). Returns what was added, as `Kind name`.
pub fn add_chart_objects(snapshot: &mut Snapshot, settings: &Settings) -> Vec<String> {
    let mut added = Vec::new();
    if snapshot.ingress_class(INGRESS_CLASS).is_none() {
        snapshot.insert(ingress_class(settings));
        added.push(format!("IngressClass {INGRESS_CLASS}"));
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Values;

    fn settings(default_class: bool) -> Settings {
        let text = format!(
            "AKOSettings: {{clusterName: c}}\nNetworkSettings: {{vipNetworkList: [{{networkName: n}}]}}\n\
             L7Settings: {{defaultIngController: {default_class}}}\n"
        );
        Settings::from_values(&Values::from_yaml(&text).unwrap()).unwrap()
    }

    #[test]
    fn the_chart_class_is_added_unless_the_manifests_define_one() {
        let mut snap = Snapshot::new();
        assert_eq!(add_chart_objects(&mut snap, &settings(true)), ["IngressClass avi-lb"]);
        let class = snap.ingress_class("avi-lb").unwrap();
        let annotations = class.metadata.annotations.as_ref().unwrap();
        assert_eq!(annotations[DEFAULT_CLASS_ANNOTATION], "true");
        assert!(
            add_chart_objects(&mut snap, &settings(true)).is_empty(),
            "already there"
        );

        let mut own = ingress_class(&settings(false));
        own.spec.as_mut().unwrap().controller = Some("example.com/other".into());
        let mut snap = Snapshot::new().with(own);
        assert!(add_chart_objects(&mut snap, &settings(true)).is_empty());
        let class = snap.ingress_class("avi-lb").unwrap();
        assert_eq!(
            class.spec.as_ref().unwrap().controller.as_deref(),
            Some("example.com/other")
        );
        assert!(ingress_class(&settings(false)).metadata.annotations.is_none());
    }
}
