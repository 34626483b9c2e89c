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
