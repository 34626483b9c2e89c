//! What the controller holds of the objects rules name (WAF policies, profiles, certificates,
//! health monitors, ...): the one input of a rule's verdict that is not in the cluster. `ako run`
//! fills it by asking the controller for exactly the names rules use, before it translates; an
//! offline caller (`ako plan`) uses [`RefCatalog::unchecked`].

use std::collections::BTreeMap;

use avi_model::ObjectType;

/// An object a rule names on the controller.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControllerRef {
    /// Its type.
    pub kind: ObjectType,
    /// Its name.
    pub name: String,
}

impl ControllerRef {
    /// `kind` named `name`.
    pub fn new(kind: ObjectType, name: impl Into<String>) -> Self {
        ControllerRef {
            kind,
            name: name.into(),
        }
    }

    /// The reference as AKO writes it into bodies: `/api/<type>?name=<name>`.
    pub fn api_ref(&self) -> String {
        format!("/api/{}?name={}", self.kind.path(), self.name)
    }
}

/// What the controller answered about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefState {
    /// It exists.
    Present {
        /// Its `type` field, where it has one (application profiles).
        type_: Option<String>,
        /// Its `created_by`.
        created_by: Option<String>,
    },
    /// No object of that type and name is visible in the tenant.
    Absent,
}

/// What a catalog says of an object it has no entry for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Unknown {
    /// Not asked yet (`ako run`: it asks before translating).
    #[default]
    Unresolved,
    /// Present: nothing to check against (`ako plan` without a controller).
    Present,
    /// Absent: the catalog lists every object (a controller's whole state).
    Absent,
}

/// The objects rules name, by tenant, as last read from the controller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefCatalog {
    unknown: Unknown,
    known: BTreeMap<(String, ControllerRef), RefState>,
}

const PRESENT: RefState = RefState::Present {
    type_: None,
    created_by: None,
};

impl RefCatalog {
    /// A catalog that takes every reference as present: for callers without a controller.
    pub fn unchecked() -> Self {
        RefCatalog {
            unknown: Unknown::Present,
            known: BTreeMap::new(),
        }
    }

    /// A catalog of every object there is: what it does not list is absent.
    pub fn complete() -> Self {
        RefCatalog {
            unknown: Unknown::Absent,
            known: BTreeMap::new(),
        }
    }

    /// What the controller said about `r` in `tenant`; `None` if it was not asked yet.
    pub fn get(&self, tenant: &str, r: &ControllerRef) -> Option<&RefState> {
        match (self.known.get(&(tenant.to_owned(), r.clone())), self.unknown) {
            (Some(s), _) => Some(s),
            (None, Unknown::Unresolved) => None,
            (None, Unknown::Present) => Some(&PRESENT),
            (None, Unknown::Absent) => Some(&RefState::Absent),
        }
    }

    /// Record what the controller said about `r` in `tenant`; whether that changed anything.
    pub fn record(&mut self, tenant: &str, r: ControllerRef, state: RefState) -> bool {
        self.known.insert((tenant.to_owned(), r), state.clone()) != Some(state)
    }

    /// Every reference recorded, with its tenant.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ControllerRef, &RefState)> {
        self.known.iter().map(|((t, r), s)| (t.as_str(), r, s))
    }

    /// Forget the references nobody names any more.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &ControllerRef) -> bool) {
        self.known.retain(|(t, r), _| keep(t, r));
    }
}
