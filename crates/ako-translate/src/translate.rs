//! The whole translation: LoadBalancer Services, Ingresses and Gateways of one snapshot, merged
//! into one set of models.

use crate::l4::translate_l4;
use crate::l7::translate_l7;
use crate::model::{CloudFacts, Translation};
use crate::settings::Settings;
use crate::snapshot::Snapshot;

/// Translate everything AKO would serve in `snapshot`.
pub fn translate(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    if settings.delete_config {
        return Translation::default(); // `deleteConfig`: nothing is wanted on the controller
    }
    let mut out = translate_l4(snapshot, settings, cloud);
    merge(&mut out, translate_l7(snapshot, settings, cloud));
    merge(&mut out, crate::gateway::translate_gateways(snapshot, settings, cloud));
    out.normalize();
    out
}

/// Add `part`'s models, failures and statuses to `out`. Models of different parts only collide
/// on freak names (an L4 model `<cluster>--<ns>-<svc>` and a shared L7 one
/// `<cluster>--Shared-L7-<n>` for Service `L7-<n>` in namespace `Shared`): say so rather than
/// overwrite.
fn merge(out: &mut Translation, part: Translation) {
    for (key, model) in part.models {
        if out.models.contains_key(&key) {
            out.failures.push(crate::model::Failure::model_collision(&key));
            continue;
        }
        out.models.insert(key, model);
    }
    out.failures.extend(part.failures);
    out.status.extend(part.status);
}
