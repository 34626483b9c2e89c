//! The reverse-dependency index: which translation [`Unit`]s a change to one Kubernetes object
//! touches. Generic over the kinds: each kind says what a change of one of its objects touches
//! ([`InputKind::touches`]), and roots (Ingresses, Services) say which units they feed and what
//! they read ([`InputKind::units`], [`InputKind::dependencies`]). The index remembers, per root,
//! the units it fed last, so a change touches the units of the object before *and* after it.
//!
//! | touch                 | units touched                                                          |
//! |-----------------------|------------------------------------------------------------------------|
//! | a root itself         | its units before and after; the units reading it; under Strict, those of every root sharing a host with it, transitively |
//! | [`Touch::Readers`]    | the units of the roots naming it (a Secret), and the hosts of the rules reading it |
//! | [`Touch::ReadersMove`] | the roots naming it, as if they changed themselves (an AviInfraSetting) |
//! | [`Touch::PartOf`]     | as a change of the owner's input, the owner before and after (an EndpointSlice of its Service) |
//! | [`Touch::InputOf`]    | as a change of each object's input (a Pod: the Services of its namespace) |
//! | [`Touch::RootsIn`]    | every root of the namespace, as if it changed itself, and what its rules touch (a Namespace) |
//! | [`Touch::RootsOf`]    | every root of some kinds, as if it changed itself (an IngressClass: every Ingress) |
//! | [`Touch::Hosts`]      | the units of the roots with a host the pattern matches, before and after (a HostRule, an HTTPRule); for a shared VS's HostRule, the parents whose FQDN it matches |
//! | [`Touch::Everything`] | every unit (a Node in NodePort mode)                                  |
//!
//! The caller applies the change to the snapshot first, then asks [`Deps::changed`].

use std::collections::{BTreeSet, HashMap};

use crate::key::{NsName, ObjRef};
use crate::kinds::{Dep, HostPattern, InputKind, Kind, KindVisitor, Touch, for_each, with_kind};
use crate::model::CloudFacts;
use crate::rules::matching::fqdn_matches;
use crate::settings::{FqdnReusePolicy, Settings};
use crate::small_set::SmallSet;
use crate::snapshot::Snapshot;
use crate::units::Unit;

/// What one root fed and read, as last indexed. Small sets: a root feeds one or two units
/// and names a few objects.
#[derive(Clone, Debug, Default)]
struct Root {
    units: SmallSet<Unit>,
    deps: SmallSet<Dep>,
}

/// The index.
#[derive(Debug, Default)]
pub struct Deps {
    /// Every root in the snapshot.
    roots: HashMap<ObjRef, Root>,
    /// The roots naming each dependency (most often one).
    readers: HashMap<Dep, SmallSet<ObjRef>>,
    /// The roots feeding each unit that [reads candidates](Unit::reads_candidates).
    by_unit: HashMap<Unit, SmallSet<ObjRef>>,
    /// The owner of each object that is part of another's input, as last seen.
    owners: HashMap<ObjRef, ObjRef>,
    /// The hosts each rule's change touches, as last seen.
    patterns: HashMap<ObjRef, Vec<HostPattern>>,
    /// The objects each rule reads (also in `readers`, the rule as their reader), as last seen.
    rule_reads: HashMap<ObjRef, Vec<ObjRef>>,
}

/// The inputs of an index operation.
struct Ctx<'a> {
    snap: &'a Snapshot,
    settings: &'a Settings,
    cloud: &'a CloudFacts,
}

impl Deps {
    /// Index a whole snapshot.
    pub fn build(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Deps {
        struct Build<'a> {
            deps: Deps,
            ctx: Ctx<'a>,
        }
        impl KindVisitor for Build<'_> {
            fn visit<K: InputKind>(&mut self) {
                for (key, object) in K::store(self.ctx.snap) {
                    if K::ROOT {
                        let root = root_of::<K>(&self.ctx, key);
                        self.deps.index(ObjRef::of::<K>(key), root);
                    } else {
                        match K::touches(key, Some(object), self.ctx.snap, self.ctx.settings) {
                            Touch::PartOf(Some(owner)) => {
                                self.deps.owners.insert(ObjRef::of::<K>(key), owner);
                            }
                            Touch::Hosts(patterns, reads) => {
                                let me = ObjRef::of::<K>(key);
                                self.deps.set_rule_reads(&me, reads);
                                if !patterns.is_empty() {
                                    self.deps.patterns.insert(me, patterns);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        let mut b = Build {
            deps: Deps::default(),
            ctx: Ctx { snap, settings, cloud },
        };
        for_each(&mut b);
        b.deps
    }

    /// Every unit of the snapshot as indexed.
    pub fn all_units(&self) -> BTreeSet<Unit> {
        self.roots.values().flat_map(|r| r.units.iter().cloned()).collect()
    }

    /// The roots feeding a unit (what its translation needs to read), in key order.
    pub fn candidates(&self, unit: &Unit) -> Option<&SmallSet<ObjRef>> {
        self.by_unit.get(unit)
    }

    /// Whether some root names this object.
    pub fn is_referenced(&self, object: &ObjRef) -> bool {
        self.readers
            .get(&Dep::Object(object.clone()))
            .is_some_and(|r| !r.is_empty())
    }

    /// The objects of `kind` some root names (for kinds watched as [`crate::kinds::Watch::Referenced`]).
    pub fn referenced(&self, kind: Kind) -> impl Iterator<Item = &NsName> {
        self.readers.iter().filter_map(move |(dep, readers)| match dep {
            Dep::Object(r) if r.kind == kind && !readers.is_empty() => Some(&r.key),
            _ => None,
        })
    }

    /// The units touched by a change of the `kind` object `key` (already applied to `snap`);
    /// the index follows it.
    pub fn changed(
        &mut self,
        snap: &Snapshot,
        settings: &Settings,
        cloud: &CloudFacts,
        kind: Kind,
        key: &NsName,
    ) -> BTreeSet<Unit> {
        struct Changed<'a> {
            deps: &'a mut Deps,
            ctx: Ctx<'a>,
            key: &'a NsName,
            out: BTreeSet<Unit>,
        }
        impl KindVisitor for Changed<'_> {
            fn visit<K: InputKind>(&mut self) {
                let me = ObjRef::of::<K>(self.key);
                if K::ROOT {
                    self.deps.root_changed(&self.ctx, &me, &mut self.out);
                } else {
                    let object = K::store(self.ctx.snap).get(self.key);
                    let touch = K::touches(self.key, object, self.ctx.snap, self.ctx.settings);
                    self.deps.apply(&self.ctx, &me, touch, &mut self.out);
                }
            }
        }
        let mut c = Changed {
            deps: self,
            ctx: Ctx { snap, settings, cloud },
            key,
            out: BTreeSet::new(),
        };
        with_kind(kind, &mut c);
        c.out
    }

    fn apply(&mut self, ctx: &Ctx<'_>, me: &ObjRef, touch: Touch, out: &mut BTreeSet<Unit>) {
        match touch {
            Touch::Nothing => {}
            Touch::Readers => {
                self.readers_units(&Dep::Object(me.clone()), out);
                for rule in self.rules_reading(me) {
                    for p in self.patterns.get(&rule).into_iter().flatten() {
                        self.pattern_units(ctx, p, out);
                    }
                }
            }
            Touch::ReadersMove => {
                let mut roots: Vec<ObjRef> = self
                    .readers
                    .get(&Dep::Object(me.clone()))
                    .into_iter()
                    .flat_map(SmallSet::iter)
                    .cloned()
                    .collect();
                roots.sort();
                for r in &roots {
                    self.root_changed(ctx, r, out);
                }
            }
            Touch::PartOf(owner) => {
                let before = match &owner {
                    Some(o) => self.owners.insert(me.clone(), o.clone()),
                    None => self.owners.remove(me),
                };
                for o in before.iter().chain(owner.iter()) {
                    self.input_of(o, out);
                }
            }
            Touch::InputOf(objects) => {
                for o in &objects {
                    self.input_of(o, out);
                }
            }
            Touch::RootsIn(ns) => {
                let mut roots: Vec<ObjRef> = self.roots.keys().filter(|r| r.key.namespace == ns).cloned().collect();
                roots.sort();
                for r in &roots {
                    self.root_changed(ctx, r, out);
                }
                // The rules of the namespace too: its filters and tenant decide where they apply,
                // and whether what they read is fetched.
                let mut rules: Vec<ObjRef> = self
                    .patterns
                    .keys()
                    .filter(|r| r.key.namespace == ns)
                    .cloned()
                    .collect();
                rules.sort();
                for r in &rules {
                    if let Touch::Hosts(_, reads) = touch_of(ctx, r) {
                        self.set_rule_reads(r, reads);
                    }
                    for p in self.patterns.get(r).into_iter().flatten() {
                        self.pattern_units(ctx, p, out);
                    }
                }
            }
            Touch::RootsOf(kinds) => {
                let mut roots: Vec<ObjRef> = self.roots.keys().filter(|r| kinds.contains(&r.kind)).cloned().collect();
                roots.sort();
                for r in &roots {
                    self.root_changed(ctx, r, out);
                }
            }
            Touch::Hosts(after, reads) => {
                self.set_rule_reads(me, reads);
                let before = if after.is_empty() {
                    self.patterns.remove(me)
                } else {
                    self.patterns.insert(me.clone(), after.clone())
                };
                for p in before.iter().flatten().chain(after.iter()) {
                    self.pattern_units(ctx, p, out);
                }
            }
            Touch::Everything => out.extend(self.all_units()),
        }
    }

    /// The units serving what `p` matches: the roots naming a matching host, or the shared
    /// parents whose FQDN matches.
    fn pattern_units(&self, ctx: &Ctx<'_>, p: &HostPattern, out: &mut BTreeSet<Unit>) {
        if p.shared_vs {
            for unit in self.by_unit.keys() {
                if let Unit::L7(model) = unit
                    && let Some(fqdn) = crate::l7::parent_fqdn(ctx.settings, ctx.cloud, model)
                    && fqdn_matches(p.fqdn_type, &p.fqdn, &fqdn)
                {
                    out.insert(unit.clone());
                }
            }
            return;
        }
        // A rule without host gets a generated one (`<ingress>.<namespace>.<domain>`), which the
        // index does not know: such roots may match any pattern.
        self.readers_units(&Dep::Host(String::new()), out);
        if p.fqdn_type == crate::crds::FqdnType::Exact {
            self.readers_units(&Dep::Host(p.fqdn.clone()), out);
            return;
        }
        for dep in self.readers.keys() {
            if let Dep::Host(h) = dep
                && fqdn_matches(p.fqdn_type, &p.fqdn, h)
            {
                self.readers_units(dep, out);
            }
        }
    }

    /// A root changed: re-index it; its units before and after, what reads it, and under
    /// Strict every root reachable through shared hosts (whether a root may claim a host
    /// depends on the roots claiming it before it, and so on).
    fn root_changed(&mut self, ctx: &Ctx<'_>, me: &ObjRef, out: &mut BTreeSet<Unit>) {
        let before = self.unindex(me);
        let after = root_dyn(ctx, me);
        out.extend(before.units.iter().cloned());
        out.extend(after.iter().flat_map(|a| a.units.iter().cloned()));
        let hosts: Vec<String> = before
            .deps
            .iter()
            .chain(after.iter().flat_map(|a| a.deps.iter()))
            .filter_map(|d| match d {
                Dep::Host(h) => Some(h.clone()),
                Dep::Object(_) => None,
            })
            .collect();
        if let Some(root) = after {
            self.index(me.clone(), root);
        }
        self.input_of(me, out);
        if ctx.settings.fqdn_reuse_policy == FqdnReusePolicy::Strict {
            self.host_closure(me, hosts, out);
        }
    }

    fn host_closure(&self, me: &ObjRef, mut hosts: Vec<String>, out: &mut BTreeSet<Unit>) {
        let mut seen_hosts: BTreeSet<String> = hosts.iter().cloned().collect();
        let mut seen: BTreeSet<&ObjRef> = BTreeSet::from([me]);
        while let Some(host) = hosts.pop() {
            for r in self.readers.get(&Dep::Host(host)).into_iter().flat_map(SmallSet::iter) {
                if !seen.insert(r) {
                    continue;
                }
                let Some(root) = self.roots.get(r) else { continue };
                out.extend(root.units.iter().cloned());
                for d in root.deps.iter() {
                    if let Dep::Host(h) = d
                        && seen_hosts.insert(h.clone())
                    {
                        hosts.push(h.clone());
                    }
                }
            }
        }
    }

    /// The rules (not roots) reading `object`: a change of it may change their verdicts.
    pub fn rules_reading(&self, object: &ObjRef) -> Vec<ObjRef> {
        self.readers
            .get(&Dep::Object(object.clone()))
            .into_iter()
            .flat_map(SmallSet::iter)
            .filter(|r| self.rule_reads.contains_key(*r))
            .cloned()
            .collect()
    }

    /// Record what rule `me` reads now, as a reader of each.
    fn set_rule_reads(&mut self, me: &ObjRef, reads: Vec<ObjRef>) {
        for old in self.rule_reads.remove(me).into_iter().flatten() {
            remove_from(&mut self.readers, &Dep::Object(old), me);
        }
        if reads.is_empty() {
            return;
        }
        for r in &reads {
            self.readers
                .entry(Dep::Object(r.clone()))
                .or_default()
                .insert(me.clone());
        }
        self.rule_reads.insert(me.clone(), reads);
    }

    /// The units reading `object`'s input: those of the roots naming it, and its own.
    fn input_of(&self, object: &ObjRef, out: &mut BTreeSet<Unit>) {
        self.readers_units(&Dep::Object(object.clone()), out);
        out.extend(self.roots.get(object).into_iter().flat_map(|r| r.units.iter().cloned()));
    }

    fn readers_units(&self, dep: &Dep, out: &mut BTreeSet<Unit>) {
        for r in self.readers.get(dep).into_iter().flat_map(SmallSet::iter) {
            out.extend(
                self.roots
                    .get(r)
                    .into_iter()
                    .flat_map(|root| root.units.iter().cloned()),
            );
        }
    }

    fn unindex(&mut self, me: &ObjRef) -> Root {
        let Some(root) = self.roots.remove(me) else {
            return Root::default();
        };
        for d in root.deps.iter() {
            remove_from(&mut self.readers, d, me);
        }
        for u in root.units.iter().filter(|u| u.reads_candidates()) {
            remove_from(&mut self.by_unit, u, me);
        }
        root
    }

    fn index(&mut self, me: ObjRef, root: Root) {
        for d in root.deps.iter() {
            self.readers.entry(d.clone()).or_default().insert(me.clone());
        }
        for u in root.units.iter().filter(|u| u.reads_candidates()) {
            self.by_unit.entry(u.clone()).or_default().insert(me.clone());
        }
        self.roots.insert(me, root);
    }
}

/// The units and dependencies of a root of kind `K` in the snapshot.
fn root_of<K: InputKind>(ctx: &Ctx<'_>, key: &NsName) -> Root {
    let deps = K::store(ctx.snap)
        .get(key)
        .map(|o| K::dependencies(key, o, ctx.snap, ctx.settings))
        .unwrap_or_default();
    Root {
        units: K::units(ctx.snap, ctx.settings, ctx.cloud, key).into_iter().collect(),
        deps: deps.into_iter().collect(),
    }
}

/// What the object `me` (of a kind that is not a root) touches now.
fn touch_of(ctx: &Ctx<'_>, me: &ObjRef) -> Touch {
    struct Get<'a, 'b> {
        ctx: &'a Ctx<'b>,
        key: &'a NsName,
        out: Touch,
    }
    impl KindVisitor for Get<'_, '_> {
        fn visit<K: InputKind>(&mut self) {
            let object = K::store(self.ctx.snap).get(self.key);
            self.out = K::touches(self.key, object, self.ctx.snap, self.ctx.settings);
        }
    }
    let mut g = Get {
        ctx,
        key: &me.key,
        out: Touch::Nothing,
    };
    with_kind(me.kind, &mut g);
    g.out
}

/// [`root_of`] for a root known by reference; `None` when it is not in the snapshot.
fn root_dyn(ctx: &Ctx<'_>, me: &ObjRef) -> Option<Root> {
    struct Get<'a, 'b> {
        ctx: &'a Ctx<'b>,
        key: &'a NsName,
        out: Option<Root>,
    }
    impl KindVisitor for Get<'_, '_> {
        fn visit<K: InputKind>(&mut self) {
            if K::store(self.ctx.snap).contains_key(self.key) {
                self.out = Some(root_of::<K>(self.ctx, self.key));
            }
        }
    }
    let mut g = Get {
        ctx,
        key: &me.key,
        out: None,
    };
    with_kind(me.kind, &mut g);
    g.out
}

fn remove_from<K: std::hash::Hash + Eq + Clone, V: Ord>(map: &mut HashMap<K, SmallSet<V>>, key: &K, value: &V) {
    if let Some(set) = map.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            map.remove(key);
        }
    }
}
