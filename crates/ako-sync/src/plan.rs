//! The planner: desired models + observed index → the operations that make the controller match,
//! grouped by model and ordered. Pure: no IO, no clock, no randomness; the same inputs give the
//! same plan.
//!
//! * A desired object missing from the index is created; one that is there is updated when
//!   [`compare::update_reason`] says so, and left alone otherwise.
//! * An owned object that no model wants is garbage. It is deleted only when the caller states
//!   that the desired state is complete ([`PlanOptions::collect_garbage`], the "fail safe on
//!   deletes" rule), its model is not protected (its Kubernetes source failed to translate;
//!   while any model is protected, unreferenced garbage is kept as well),
//!   and the deletion guard allows it: when more than [`DeletionGuard::max_share`] of everything
//!   we own would go, no delete is planned at all and [`Plan::refused`] says why.
//! * Garbage is attached to the model of the virtual service that (as observed) uses it, so it
//!   is deleted in the same batch that stops using it; unused garbage goes to a per-tenant
//!   batch named `<tenant>/(unreferenced)`.
//! * An object several models want is planned in the first of them (model order; in a scoped
//!   plan, the first in scope), whose batch then leads ([`Batch::leads`]): the executor finishes
//!   it before the other batches refer to the object.
//! * A plan may be scoped to some models ([`PlanOptions::scope`]): what one change touched is
//!   planned without comparing the rest of the desired state.
//! * Objects of other owners never reach the index (see [`crate::owner`]), so they can be
//!   neither updated nor deleted. A desired name taken by a foreign object is found when the
//!   create answers 409, and the executor reports it as a failure of that model.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use ako_translate::{Body, DesiredObject, ModelKey, Translation};
use avi_model::ObjectType;
use serde::Serialize;
use serde_json::Value;

use crate::compare::{self, DriftCheck, UpdateReason};
use crate::key::{KeyRef, ObjectKey};
use crate::observed::Observed;
use crate::order::{self, Node};
use crate::refs;

/// The VS name of the per-tenant batch of garbage that nothing uses (`<tenant>/(unreferenced)`).
pub const UNREFERENCED: &str = "(unreferenced)";

/// The mass-deletion guard.
#[derive(Clone, Debug, PartialEq)]
pub struct DeletionGuard {
    /// Largest share (0..=1) of the owned objects one plan may delete.
    pub max_share: f64,
    /// The guard applies only when we own at least this many objects (deleting 3 of 4 objects
    /// in a small setup is normal).
    pub min_owned: usize,
    /// Delete anyway (an explicit operator decision, e.g. `--allow-mass-delete`).
    pub allow_mass_delete: bool,
}

impl Default for DeletionGuard {
    fn default() -> Self {
        DeletionGuard {
            max_share: 0.5,
            min_owned: 10,
            allow_mass_delete: false,
        }
    }
}

/// Planner settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanOptions {
    /// The desired state is complete (every source fully read): owned objects it does not hold
    /// are garbage. False plans no delete at all.
    pub collect_garbage: bool,
    /// The mass-deletion guard.
    pub guard: DeletionGuard,
    /// Evidence for updates.
    pub drift: DriftCheck,
    /// Models whose garbage is kept (e.g. their Kubernetes object failed to translate: a
    /// failure is not "the object is gone").
    pub protected_models: BTreeSet<ModelKey>,
    /// Plan only these models (what a change touched): their desired objects are compared and
    /// their garbage collected; every other model counts only as "wanted" (so nothing it holds
    /// is garbage) and its objects are not looked at. `None` plans everything, including the
    /// garbage no model refers to.
    pub scope: Option<BTreeSet<ModelKey>>,
}

/// What an operation does. Bodies are borrowed from the desired state (no copy per plan).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Action<'a> {
    /// `POST /api/<type>` with the desired body.
    Create {
        /// The body.
        body: &'a Body,
    },
    /// `PUT /api/<type>/<uuid>` with the desired body.
    Update {
        /// The object's uuid.
        uuid: String,
        /// The body.
        body: &'a Body,
        /// Why.
        #[serde(flatten)]
        reason: UpdateReason,
    },
    /// `DELETE /api/<type>/<uuid>`.
    Delete {
        /// The object's uuid.
        uuid: String,
    },
}

impl Action<'_> {
    /// `create`, `update` or `delete`.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Create { .. } => "create",
            Action::Update { .. } => "update",
            Action::Delete { .. } => "delete",
        }
    }
}

/// One REST operation on one object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Operation<'a> {
    /// The object.
    #[serde(flatten)]
    pub key: ObjectKey,
    /// What to do.
    #[serde(flatten)]
    pub action: Action<'a>,
    /// Operations of the same batch that must succeed first (if one fails, this one is not sent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<ObjectKey>,
}

/// The operations of one model, in steps: the operations of a step are independent and may be
/// sent in parallel; a step starts when the previous one is done.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Batch<'a> {
    /// The model.
    pub model: ModelKey,
    /// The steps.
    pub steps: Vec<Vec<Operation<'a>>>,
    /// It writes an object other models want too (the Gateways' shared 404 policy set, the
    /// Routes' default certificate): it runs before every batch that does not lead, so their
    /// references are valid when they are sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub leads: bool,
}

impl<'a> Batch<'a> {
    /// Every operation in order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation<'a>> {
        self.steps.iter().flatten()
    }
}

/// Why the deletion guard refused this plan's deletes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuardRefusal {
    /// Deletes that were planned.
    pub would_delete: usize,
    /// Objects we own on the controller.
    pub owned: usize,
    /// The configured limit.
    pub max_share: f64,
    /// The models whose deletes were refused.
    pub models: BTreeSet<ModelKey>,
}

impl fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refusing to delete {} of the {} objects this cluster owns on the controller ({:.0}%, limit {:.0}%); \
             if the desired state really is this small, allow mass deletion explicitly",
            self.would_delete,
            self.owned,
            100.0 * self.would_delete as f64 / self.owned.max(1) as f64,
            100.0 * self.max_share
        )
    }
}

/// Something in the desired state the planner cannot honour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum PlanProblem {
    /// Two models want the same object, differently; the first (in model order) wins.
    DuplicateDesired {
        /// The object.
        key: ObjectKey,
        /// The model that got it.
        kept_in: ModelKey,
        /// The model whose copy was ignored.
        ignored_in: ModelKey,
    },
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanProblem::DuplicateDesired {
                key,
                kept_in,
                ignored_in,
            } => write!(
                f,
                "{key} is wanted by models {kept_in} and {ignored_in}; {ignored_in}'s copy is ignored"
            ),
        }
    }
}

/// The plan. It borrows the bodies of the desired state it was made from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan<'a> {
    /// One batch per model with something to do, in model order.
    pub batches: Vec<Batch<'a>>,
    /// Desired objects that already are as wanted.
    pub unchanged: usize,
    /// Garbage kept: collection off, protected model, or the guard refused.
    pub kept: usize,
    /// Set when the deletion guard refused every delete.
    pub refused: Option<GuardRefusal>,
    /// Problems with the desired state.
    pub problems: Vec<PlanProblem>,
}

impl<'a> Plan<'a> {
    /// True when nothing is to be sent.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Every operation, batch by batch, step by step.
    pub fn operations(&self) -> impl Iterator<Item = &Operation<'a>> {
        self.batches.iter().flat_map(Batch::operations)
    }

    /// (creates, updates, deletes).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.operations().fold((0, 0, 0), |(c, u, d), op| match op.action {
            Action::Create { .. } => (c + 1, u, d),
            Action::Update { .. } => (c, u + 1, d),
            Action::Delete { .. } => (c, u, d + 1),
        })
    }

    /// The batch of `model`, if it has one.
    pub fn batch(&self, model: &ModelKey) -> Option<&Batch<'a>> {
        self.batches.iter().find(|b| b.model == *model)
    }
}

/// For people: one block per model, one line per operation.
impl fmt::Display for Plan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for batch in &self.batches {
            writeln!(f, "{}", batch.model)?;
            for (n, step) in batch.steps.iter().enumerate() {
                for (i, op) in step.iter().enumerate() {
                    let step_label = if i == 0 { format!("{}.", n + 1) } else { String::new() };
                    write!(
                        f,
                        "  {step_label:<4}{:<7}{:<22}{}",
                        op.action.verb(),
                        op.key.kind.path(),
                        op.key.name
                    )?;
                    match &op.action {
                        Action::Update { reason, .. } => writeln!(f, "  ({reason})")?,
                        _ => writeln!(f)?,
                    }
                }
            }
        }
        let (c, u, d) = self.counts();
        write!(
            f,
            "{c} to create, {u} to update, {d} to delete, {} unchanged",
            self.unchanged
        )?;
        if self.kept > 0 {
            write!(f, ", {} not deleted", self.kept)?;
        }
        writeln!(f)?;
        if let Some(refused) = &self.refused {
            writeln!(f, "REFUSED: {refused}")?;
        }
        for p in &self.problems {
            writeln!(f, "problem: {p}")?;
        }
        Ok(())
    }
}

/// Desired objects by (type, tenant, name), with the model that wants each.
type Wanted<'a> = HashMap<KeyRef<'a>, (&'a ModelKey, &'a DesiredObject)>;

/// One planned operation before ordering.
struct Pending<'a> {
    op: Operation<'a>,
    node: Node,
}

/// Plan the operations that turn `observed` into `desired`.
pub fn plan<'a>(desired: &'a Translation, observed: &Observed, options: &PlanOptions) -> Plan<'a> {
    let mut out = Plan::default();
    let mut per_model: BTreeMap<ModelKey, Vec<Pending<'a>>> = BTreeMap::new();

    // Desired objects by key; the first model wanting a key gets it. Keyed by borrowed names: a
    // scoped plan (one change) still looks at every desired object, and owned keys would cost
    // two allocations each for the whole cluster.
    let mut wanted: Wanted<'a> = HashMap::new();
    // Objects more than one model wants.
    let mut shared: HashSet<KeyRef<'a>> = HashSet::new();
    // Shared objects whose first model is out of scope, once a model in scope planned them.
    let mut decided: HashSet<KeyRef<'a>> = HashSet::new();
    for (model, m) in &desired.models {
        let in_scope = options.scope.as_ref().is_none_or(|s| s.contains(model));
        for object in &m.objects {
            let borrowed = (object.kind, object.tenant.as_str(), object.name.as_str());
            let object = match wanted.get(&borrowed) {
                Some((kept_in, kept)) => {
                    shared.insert(borrowed);
                    // Models may share an object (the Gateways' 404 policy set): only copies
                    // that differ are a problem.
                    if kept.body != object.body {
                        out.problems.push(PlanProblem::DuplicateDesired {
                            key: ObjectKey::new(object.kind, &object.tenant, &object.name),
                            kept_in: (*kept_in).clone(),
                            ignored_in: model.clone(),
                        });
                    }
                    // Planned by the first model wanting it; when that one is out of scope, by
                    // the first model in scope (with the kept copy): a change to a later model
                    // still creates a shared object that is missing.
                    let first_in_scope = options.scope.as_ref().is_none_or(|s| s.contains(*kept_in));
                    if !in_scope || first_in_scope || !decided.insert(borrowed) {
                        continue;
                    }
                    *kept
                }
                None => {
                    wanted.insert(borrowed, (model, object));
                    if !in_scope {
                        continue;
                    }
                    object
                }
            };
            let key = ObjectKey::new(object.kind, &object.tenant, &object.name);
            // Parsed only for what is written: most objects of a model in scope are unchanged.
            let wants = || refs::ref_keys(&object.body.to_value(), &object.tenant);
            let pending = match observed.get(&key) {
                None => Pending {
                    op: operation(key.clone(), Action::Create { body: &object.body }),
                    node: node(key, false, wants(), Vec::new()),
                },
                Some(found) => match compare::update_reason_of(object, found, options.drift) {
                    None => {
                        out.unchanged += 1;
                        continue;
                    }
                    Some(reason) => Pending {
                        op: operation(
                            key.clone(),
                            Action::Update {
                                uuid: found.uuid.clone(),
                                body: &object.body,
                                reason,
                            },
                        ),
                        node: node(key, false, wants(), found.refs.clone()),
                    },
                },
            };
            per_model.entry(model.clone()).or_default().push(pending);
        }
    }

    // Garbage: owned, observed, not wanted.
    let mut attribution = Attribution::new(observed, &wanted);
    let mut deletes: Vec<(ModelKey, Pending<'a>)> = Vec::new();
    for (key, found) in observed.iter() {
        if wanted.contains_key(&key.parts()) {
            continue;
        }
        let model = attribution.model_of(key);
        if options.scope.as_ref().is_some_and(|s| !s.contains(&model)) {
            continue;
        }
        // Garbage nothing refers to any more may still belong to a protected model (an update of
        // that model can drop the last reference, e.g. a parent VS no longer using its redirect
        // policy): while any model is protected, such garbage is kept too.
        let unreferenced_while_protecting = model.vs == UNREFERENCED && !options.protected_models.is_empty();
        if !options.collect_garbage || options.protected_models.contains(&model) || unreferenced_while_protecting {
            out.kept += 1;
            continue;
        }
        let pending = Pending {
            op: operation(
                key.clone(),
                Action::Delete {
                    uuid: found.uuid.clone(),
                },
            ),
            node: node(key.clone(), true, Vec::new(), found.refs.clone()),
        };
        deletes.push((model, pending));
    }
    let guard = &options.guard;
    let owned = observed.len();
    if !deletes.is_empty()
        && !guard.allow_mass_delete
        && owned >= guard.min_owned
        && deletes.len() as f64 > guard.max_share * owned as f64
    {
        out.refused = Some(GuardRefusal {
            would_delete: deletes.len(),
            owned,
            max_share: guard.max_share,
            models: deletes.iter().map(|(m, _)| m.clone()).collect(),
        });
        out.kept += deletes.len();
    } else {
        for (model, pending) in deletes {
            per_model.entry(model).or_default().push(pending);
        }
    }

    out.batches = per_model
        .into_iter()
        .map(|(model, pending)| {
            let leads = pending
                .iter()
                .any(|p| !matches!(p.op.action, Action::Delete { .. }) && shared.contains(&p.op.key.parts()));
            let mut batch = order_batch(model, pending);
            batch.leads = leads;
            batch
        })
        .collect();
    out
}

fn operation(key: ObjectKey, action: Action<'_>) -> Operation<'_> {
    Operation {
        key,
        action,
        after: Vec::new(),
    }
}

fn node(key: ObjectKey, delete: bool, wants: Vec<ObjectKey>, holds: Vec<ObjectKey>) -> Node {
    Node {
        key,
        delete,
        wants,
        holds,
    }
}

fn order_batch(model: ModelKey, pending: Vec<Pending<'_>>) -> Batch<'_> {
    let nodes: Vec<Node> = pending.iter().map(|p| p.node.clone()).collect();
    let layers = order::layer(&nodes);
    let mut ops: Vec<Option<Operation<'_>>> = pending.into_iter().map(|p| Some(p.op)).collect();
    let steps = layers
        .steps
        .iter()
        .map(|step| {
            step.iter()
                .filter_map(|&i| {
                    let mut op = ops[i].take()?;
                    op.after = layers.preds[i].iter().map(|&p| nodes[p].key.clone()).collect();
                    op.after.sort();
                    Some(op)
                })
                .collect()
        })
        .collect();
    Batch {
        model,
        steps,
        leads: false,
    }
}

/// The 443 VS a passthrough `-insecure` VS names in its `service_metadata`.
fn passthrough_parent(body: &Value, tenant: &str) -> Option<ObjectKey> {
    let metadata: Value = serde_json::from_str(body["service_metadata"].as_str()?).ok()?;
    let parent = metadata["passthrough_parent_ref"].as_str().filter(|p| !p.is_empty())?;
    Some(ObjectKey::new(ObjectType::VirtualService, tenant, parent))
}

/// Which model an observed object belongs to (for garbage: the model whose batch deletes it).
struct Attribution<'a> {
    observed: &'a Observed,
    wanted: &'a Wanted<'a>,
    /// Who refers to whom, made the first time garbage other than a VS is attributed: most
    /// plans (a change that adds or edits) have none, and the map covers every observed object.
    referrers: Option<HashMap<&'a ObjectKey, BTreeSet<&'a ObjectKey>>>,
    memo: HashMap<ObjectKey, ModelKey>,
}

impl<'a> Attribution<'a> {
    fn new(observed: &'a Observed, wanted: &'a Wanted<'a>) -> Self {
        Attribution {
            observed,
            wanted,
            referrers: None,
            memo: HashMap::new(),
        }
    }

    fn referrers(&mut self) -> &HashMap<&'a ObjectKey, BTreeSet<&'a ObjectKey>> {
        let observed = self.observed;
        self.referrers.get_or_insert_with(|| {
            let mut referrers: HashMap<&ObjectKey, BTreeSet<&ObjectKey>> = HashMap::new();
            for (key, found) in observed.iter() {
                for target in &found.refs {
                    if let Some((target_key, _)) = observed.get_key_value(target) {
                        referrers.entry(target_key).or_default().insert(key);
                    }
                }
            }
            referrers
        })
    }

    fn model_of(&mut self, key: &ObjectKey) -> ModelKey {
        self.resolve(key, 0)
    }

    fn resolve(&mut self, key: &ObjectKey, depth: usize) -> ModelKey {
        if let Some(m) = self.memo.get(key) {
            return m.clone();
        }
        let model = if let Some((model, _)) = self.wanted.get(&key.parts()) {
            (*model).clone()
        } else if depth > 16 {
            ModelKey::new(&key.tenant, UNREFERENCED)
        } else if key.kind == ObjectType::VirtualService {
            // An SNI or EVH child belongs to its parent's model, a passthrough `-insecure` VS to
            // its 443 VS's (AKO links them only in `service_metadata`).
            let parent = self.observed.get(key).and_then(|o| {
                o.refs
                    .iter()
                    .find(|r| r.kind == ObjectType::VirtualService && *r != key)
                    .cloned()
                    .or_else(|| passthrough_parent(&o.body()?, &key.tenant))
            });
            match parent {
                Some(p) => self.resolve(&p, depth + 1),
                None => ModelKey::new(&key.tenant, &key.name),
            }
        } else {
            let first = self
                .referrers()
                .get(key)
                .and_then(|r| r.iter().next())
                .map(|r| (*r).clone());
            match first {
                Some(r) => self.resolve(&r, depth + 1),
                None => ModelKey::new(&key.tenant, UNREFERENCED),
            }
        };
        self.memo.insert(key.clone(), model.clone());
        model
    }
}
