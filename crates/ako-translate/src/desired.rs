//! The desired state kept up to date unit by unit: each unit's latest output, merged into one
//! [`Translation`] equal to what [`crate::translate()`] gives for the same snapshot.
//!
//! Model bodies are held once (in the merged view); per unit only the keys of its models, its
//! failures and its status intents are kept, so replacing a unit's output costs the size of
//! that output plus one rebuild of the (small) failure and status lists.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::key::{ModelKey, ObjRef};
use crate::model::{Failure, Model, StatusIntent, Translation};
use crate::units::Unit;

/// What a unit produced last.
#[derive(Clone, Debug, Default)]
struct UnitOutput {
    models: Vec<ModelKey>,
    failures: Vec<Failure>,
    status: Vec<StatusIntent>,
}

/// What replacing some units' outputs touched: the models whose objects differ (a unit
/// re-translated to the same model touches nothing) and the Kubernetes objects whose failures
/// or status may differ (old and new outputs together).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// The models.
    pub models: BTreeSet<ModelKey>,
    /// Ingresses and Services.
    pub sources: BTreeSet<ObjRef>,
}

/// The merged desired state.
#[derive(Debug, Default)]
pub struct Desired {
    view: Translation,
    units: HashMap<Unit, UnitOutput>,
    /// Units producing each model; more than one only when a Service and Ingresses collide.
    producers: BTreeMap<ModelKey, BTreeSet<Unit>>,
    /// Models of the units that lost a collision, ready to take over if the winner goes.
    shadowed: BTreeMap<(ModelKey, Unit), Model>,
}

impl Desired {
    /// Nothing desired.
    pub fn new() -> Self {
        Desired::default()
    }

    /// The merged translation.
    pub fn view(&self) -> &Translation {
        &self.view
    }

    /// Units that produced something.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.keys()
    }

    /// How many Kubernetes objects the desired state serves (they have a status intent).
    pub fn served(&self) -> usize {
        let mut objects: Vec<&ObjRef> = self.view.status.iter().map(|s| &s.object).collect();
        objects.dedup();
        objects.len()
    }

    /// The objects `unit` served with its last output.
    pub fn roots_of(&self, unit: &Unit) -> impl Iterator<Item = &ObjRef> {
        self.units
            .get(unit)
            .into_iter()
            .flat_map(|o| o.status.iter().map(|s| &s.object))
    }

    /// The models `unit` produced with its last output.
    pub fn models_of(&self, unit: &Unit) -> impl Iterator<Item = &ModelKey> {
        self.units.get(unit).into_iter().flat_map(|o| o.models.iter())
    }

    /// Replace the outputs of these units (a unit with an empty output is forgotten), then
    /// rebuild the merged failures and status once.
    pub fn replace(&mut self, outputs: impl IntoIterator<Item = (Unit, Translation)>) -> Touched {
        let mut touched = Touched::default();
        for (unit, output) in outputs {
            self.replace_one(unit, output, &mut touched);
        }
        self.rebuild_lists();
        touched
    }

    fn replace_one(&mut self, unit: Unit, output: Translation, touched: &mut Touched) {
        // The unit's previous models, to tell which of the new ones really differ.
        let mut previous: BTreeMap<ModelKey, Option<Model>> = BTreeMap::new();
        if let Some(old) = self.units.remove(&unit) {
            for key in &old.models {
                let model = self.withdraw(key, &unit);
                previous.insert(key.clone(), model);
            }
            note_sources(&old, touched);
        }
        let Translation {
            models,
            failures,
            status,
        } = output;
        let new = UnitOutput {
            models: models.keys().cloned().collect(),
            failures,
            status,
        };
        for (key, model) in models {
            let same = matches!(previous.remove(&key), Some(Some(m)) if m == model);
            let contested = self.producers.get(&key).is_some_and(|p| !p.is_empty());
            if !same || contested {
                touched.models.insert(key.clone());
            }
            self.offer(key, &unit, model);
        }
        // Models the unit no longer produces.
        touched.models.extend(previous.into_keys());
        note_sources(&new, touched);
        if !new.models.is_empty() || !new.failures.is_empty() || !new.status.is_empty() {
            self.units.insert(unit, new);
        }
    }

    /// `unit` no longer produces `key`: drop its model (returned); the next producer, if any,
    /// takes over.
    fn withdraw(&mut self, key: &ModelKey, unit: &Unit) -> Option<Model> {
        let set = self.producers.get_mut(key)?;
        let was_winner = set.first() == Some(unit);
        set.remove(unit);
        if !was_winner {
            return self.shadowed.remove(&(key.clone(), unit.clone()));
        }
        let model = self.view.models.remove(key);
        match set.first().cloned() {
            Some(next) => {
                if let Some(m) = self.shadowed.remove(&(key.clone(), next)) {
                    self.view.models.insert(key.clone(), m);
                }
            }
            None => {
                self.producers.remove(key);
            }
        }
        model
    }

    /// `unit` produces `model` under `key`: it goes in the view if `unit` is the first producer.
    fn offer(&mut self, key: ModelKey, unit: &Unit, model: Model) {
        let set = self.producers.entry(key.clone()).or_default();
        let previous = set.first().cloned();
        set.insert(unit.clone());
        if set.first() != Some(unit) {
            self.shadowed.insert((key, unit.clone()), model);
            return;
        }
        if let (Some(prev), Some(m)) = (previous, self.view.models.remove(&key)) {
            self.shadowed.insert((key.clone(), prev), m);
        }
        self.view.models.insert(key, model);
    }

    fn rebuild_lists(&mut self) {
        let mut failures: Vec<Failure> = self.units.values().flat_map(|o| o.failures.iter().cloned()).collect();
        for (key, set) in &self.producers {
            if set.len() > 1 && set.iter().any(|u| matches!(u, Unit::L7(_))) {
                failures.push(Failure::model_collision(key));
            }
        }
        failures.sort();
        failures.dedup();
        let mut status: Vec<StatusIntent> = self.units.values().flat_map(|o| o.status.iter().cloned()).collect();
        status.sort();
        self.view.failures = failures;
        self.view.status = status;
    }
}

fn note_sources(output: &UnitOutput, touched: &mut Touched) {
    touched.sources.extend(output.failures.iter().map(|f| f.object.clone()));
    touched.sources.extend(output.status.iter().map(|s| s.object.clone()));
}
