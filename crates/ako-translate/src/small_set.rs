//! An ordered set that is a sorted `Vec` while small and a `BTreeSet` beyond that. The
//! dependency index holds tens of thousands of sets that almost always have one or two elements
//! (the units of an Ingress, the Ingresses naming a Service); a `BTreeSet` allocates a whole
//! node of eleven slots for each, which at 10,000 Ingresses is most of the index's memory.

use std::collections::BTreeSet;

/// More elements than this and the set becomes a `BTreeSet` (inserting into a sorted `Vec` is
/// linear).
const SMALL: usize = 8;

/// An ordered set of `T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmallSet<T> {
    /// Sorted, without duplicates.
    Few(Vec<T>),
    /// Many.
    Many(BTreeSet<T>),
}

impl<T> Default for SmallSet<T> {
    fn default() -> Self {
        SmallSet::Few(Vec::new())
    }
}

impl<T: Ord> SmallSet<T> {
    /// Add `value`; whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        match self {
            SmallSet::Few(v) => match v.binary_search(&value) {
                Ok(_) => false,
                Err(at) if v.len() < SMALL => {
                    v.insert(at, value);
                    true
                }
                Err(_) => {
                    let mut set: BTreeSet<T> = std::mem::take(v).into_iter().collect();
                    set.insert(value);
                    *self = SmallSet::Many(set);
                    true
                }
            },
            SmallSet::Many(s) => s.insert(value),
        }
    }

    /// Remove `value`; whether it was there.
    pub fn remove(&mut self, value: &T) -> bool {
        match self {
            SmallSet::Few(v) => match v.binary_search(value) {
                Ok(at) => {
                    v.remove(at);
                    true
                }
                Err(_) => false,
            },
            SmallSet::Many(s) => s.remove(value),
        }
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: &T) -> bool {
        match self {
            SmallSet::Few(v) => v.binary_search(value).is_ok(),
            SmallSet::Many(s) => s.contains(value),
        }
    }

    /// How many elements.
    pub fn len(&self) -> usize {
        match self {
            SmallSet::Few(v) => v.len(),
            SmallSet::Many(s) => s.len(),
        }
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let (few, many) = match self {
            SmallSet::Few(v) => (Some(v.iter()), None),
            SmallSet::Many(s) => (None, Some(s.iter())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }
}

impl<T: Ord> FromIterator<T> for SmallSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = SmallSet::default();
        for v in iter {
            set.insert(v);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn behaves_as_a_btree_set(ops in proptest::collection::vec((any::<bool>(), 0u8..24), 0..200)) {
            let mut ours = SmallSet::default();
            let mut model = BTreeSet::new();
            for (insert, v) in ops {
                if insert {
                    prop_assert_eq!(ours.insert(v), model.insert(v));
                } else {
                    prop_assert_eq!(ours.remove(&v), model.remove(&v));
                }
                prop_assert_eq!(ours.len(), model.len());
                prop_assert!(ours.iter().eq(model.iter()));
                prop_assert!((0..24).all(|x| ours.contains(&x) == model.contains(&x)));
            }
        }
    }
}
