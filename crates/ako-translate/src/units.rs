//! Translation units: the independent pieces a snapshot's translation is made of. Each unit is
//! translated alone, and the translation of a snapshot is the merge of its units' ([`crate::Desired`]),
//! so a change re-translates only the units it touches ([`crate::Deps`]).
//!
//! A unit's output names only the Kubernetes objects that are its *roots* (the Ingresses or
//! Services whose units include it) and depends only on them and what they refer to: that is
//! what makes re-translating exactly the touched units equal to translating everything.

use std::collections::BTreeSet;

use crate::key::{Kind, ModelKey, NsName, ObjRef};
use crate::l4::{add_service, shared_vip_key, translate_l4_shared_vip};
use crate::l7::{L7Root, place_of, translate_l7_model_among, translate_l7_root_failures};
use crate::model::{CloudFacts, Translation};
use crate::namespaces::tenant_of;
use crate::settings::Settings;
use crate::small_set::SmallSet;
use crate::snapshot::Snapshot;

/// One independently translated piece. The order puts L4 units before L7 ones: when a Service
/// and Ingresses produce the same model, the Service wins (as in [`crate::translate()`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// A LoadBalancer Service with a VS of its own.
    Service(NsName),
    /// The Services of a namespace sharing one VIP (namespace, shared-VIP key).
    SharedVip(NsName),
    /// One L7 model: a shared parent VS, or a dedicated VS.
    L7(ModelKey),
    /// An Ingress or Route a host of which cannot be placed in a model: its failures only.
    Root(ObjRef),
    /// A Gateway (Gateway API) with the HTTPRoutes attached to it.
    Gateway(NsName),
}

impl Unit {
    /// Whether the unit's translation reads only the roots feeding it (its candidates, from the
    /// dependency index) rather than looking them up itself: an L7 model, whose Ingresses are
    /// found through their hosts. Only these units' roots are indexed by unit.
    pub fn reads_candidates(&self) -> bool {
        matches!(self, Unit::L7(_))
    }
}

/// The units an Ingress feeds: the L7 models of its hosts, or (when a host cannot be placed,
/// or it has none) its own failure unit. Empty when the Ingress is not in the snapshot.
pub fn units_of_ingress(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, key: &NsName) -> BTreeSet<Unit> {
    units_of_root(
        snap,
        settings,
        cloud,
        &ObjRef::new(Kind::Ingress, &key.namespace, &key.name),
    )
}

/// The units an Ingress or Route feeds: the L7 models of its hosts, or (when a host cannot be
/// placed, or it has none) its own failure unit. Empty when it is not in the snapshot.
pub fn units_of_root(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, root: &ObjRef) -> BTreeSet<Unit> {
    let Some(object) = L7Root::find(snap, root.kind, &root.key) else {
        return BTreeSet::new();
    };
    let ns = root.namespace();
    let place = place_of(snap, settings, cloud, ns, object);
    let tenant = tenant_of(snap, settings, ns);
    let hosts = object.hosts(&root.key, settings, cloud);
    let mut out = BTreeSet::new();
    let mut unplaced = hosts.is_empty();
    for host in &hosts {
        match place.model_of(&tenant, ns, host) {
            Some(model) => {
                out.insert(Unit::L7(model));
            }
            None => unplaced = true,
        }
    }
    if unplaced {
        out.insert(Unit::Root(root.clone()));
    }
    out
}

/// The units a Service feeds as a LoadBalancer Service: its own, or its shared-VIP group's and
/// the own unit named like the group's key (that unit fails when the names collide). Empty
/// when the Service is not in the snapshot.
pub fn units_of_service(snap: &Snapshot, key: &NsName) -> BTreeSet<Unit> {
    let Some(svc) = snap.services().get(key) else {
        return BTreeSet::new();
    };
    match shared_vip_key(svc) {
        Some(group) => BTreeSet::from([
            Unit::SharedVip(NsName::new(&key.namespace, group)),
            Unit::Service(NsName::new(&key.namespace, group)),
        ]),
        None => BTreeSet::from([Unit::Service(key.clone())]),
    }
}

/// Translate one unit. For an L7 unit, `candidates` (when known) is a superset of the Ingresses
/// with a host in it; the others are not looked at.
pub fn translate_unit(
    snap: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    unit: &Unit,
    candidates: Option<&SmallSet<ObjRef>>,
) -> Translation {
    let mut out = Translation::default();
    if settings.delete_config {
        return out; // `deleteConfig`: nothing is wanted on the controller
    }
    match unit {
        Unit::Service(key) => {
            let own = snap
                .services()
                .get(key)
                .is_some_and(|svc| shared_vip_key(svc).is_none());
            if own {
                add_service(snap, settings, cloud, &key.namespace, &key.name, &mut out);
            }
        }
        Unit::SharedVip(key) => return translate_l4_shared_vip(snap, settings, cloud, &key.namespace, &key.name),
        Unit::L7(model) => {
            return match candidates {
                Some(c) => translate_l7_model_among(snap, settings, cloud, model, c),
                None => crate::l7::translate_l7_model(snap, settings, cloud, model),
            };
        }
        Unit::Gateway(key) => return crate::gateway::translate_gateway(snap, settings, cloud, key),
        Unit::Root(root) => {
            // Only while the root has a host no model takes: once all its hosts are placed,
            // its L7 units report its failures, and this unit must become empty.
            if units_of_root(snap, settings, cloud, root).contains(unit) {
                return translate_l7_root_failures(snap, settings, cloud, root);
            }
        }
    }
    out.normalize();
    out
}
