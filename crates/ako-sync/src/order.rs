//! The order of one model's operations: a dependency graph layered into steps whose
//! operations may run in parallel.
//!
//! Edges (`a` before `b`):
//!
//! 1. A create/update must follow the creates/updates of the objects its desired body refers to
//!    (the controller resolves every reference when it stores an object): VsVip and pools before
//!    the L4 policy set, the L4 policy set before the VS, a CA certificate before the certificate
//!    signed by it, a parent VS before its SNI children.
//! 2. A delete must follow every update or delete of an object that (as observed) refers to it:
//!    the controller refuses to delete a referenced object, so the VS stops using a pool before
//!    the pool goes, and a VS goes before its VsVip.
//! 3. The delete of a virtual service precedes the create/update of a virtual service it refers
//!    to: an SNI child goes before its parent is changed (a parent cannot stop being
//!    `VS_TYPE_VH_PARENT` while it has children).
//!
//! Creates and updates come first; deletes come after all of them (AKO's order, and the least
//! disruptive: the new object is in place before the old one goes), except the deletes rule 3
//! pulls forward. Inside a step, operations are sorted by type rank and key, so the order is
//! deterministic. This is more parallel than AKO's fixed type sequence (an L4 Service takes three
//! steps instead of five round trips) while keeping every reference valid at every moment.

use std::collections::{BTreeSet, HashMap};

use avi_model::ObjectType;

use crate::key::ObjectKey;

/// One operation, as the ordering sees it.
#[derive(Clone, Debug)]
pub struct Node {
    /// The object.
    pub key: ObjectKey,
    /// True for a delete, false for a create or update.
    pub delete: bool,
    /// References of the desired body (creates and updates).
    pub wants: Vec<ObjectKey>,
    /// References of the observed object (updates and deletes).
    pub holds: Vec<ObjectKey>,
}

/// Steps of node indexes, and each node's predecessors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layers {
    /// Steps in execution order; the nodes of one step are independent.
    pub steps: Vec<Vec<usize>>,
    /// For each node, the nodes that must succeed before it may run.
    pub preds: Vec<Vec<usize>>,
}

/// Creation order of the types AKO writes (VsVip and certificates first, VSes last); used to
/// sort inside a step and to break a cycle should one ever appear.
pub fn kind_rank(kind: ObjectType) -> u8 {
    match kind {
        ObjectType::VsVip | ObjectType::SslKeyAndCertificate => 0,
        ObjectType::PkiProfile | ObjectType::ApplicationPersistenceProfile => 1,
        ObjectType::Pool => 2,
        ObjectType::PoolGroup => 3,
        ObjectType::StringGroup => 4,
        ObjectType::HttpPolicySet => 5,
        ObjectType::VsDataScriptSet => 6,
        ObjectType::L4PolicySet => 7,
        ObjectType::VirtualService => 8,
        _ => 9,
    }
}

/// Layer `nodes` into steps.
pub fn layer(nodes: &[Node]) -> Layers {
    let index: HashMap<&ObjectKey, usize> = nodes.iter().enumerate().map(|(i, n)| (&n.key, i)).collect();
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (i, node) in nodes.iter().enumerate() {
        if !node.delete {
            for j in node.wants.iter().filter_map(|w| index.get(w)) {
                if !nodes[*j].delete && *j != i {
                    edges.insert((*j, i));
                }
            }
        }
        for j in node.holds.iter().filter_map(|h| index.get(h)) {
            let target = &nodes[*j];
            if *j == i {
                continue;
            }
            // Rule 2: whoever holds a reference to a deleted object goes first. Rule 3: a
            // deleted VS referring to a VS that changes (an SNI child and its parent) goes first.
            let child_before_parent = node.delete
                && node.key.kind == ObjectType::VirtualService
                && target.key.kind == ObjectType::VirtualService;
            if target.delete || child_before_parent {
                edges.insert((i, *j));
            }
        }
    }
    let mut preds = vec![Vec::new(); nodes.len()];
    let mut succs = vec![Vec::new(); nodes.len()];
    for &(a, b) in &edges {
        preds[b].push(a);
        succs[a].push(b);
    }

    // Deletes that must precede a create/update, and the deletes those wait for, run early.
    let mut early = vec![false; nodes.len()];
    let mut pending: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].delete && succs[i].iter().any(|&s| !nodes[s].delete))
        .collect();
    while let Some(i) = pending.pop() {
        if early[i] {
            continue;
        }
        early[i] = true;
        pending.extend(preds[i].iter().copied().filter(|&p| nodes[p].delete && !early[p]));
    }
    let phase = |i: usize| usize::from(nodes[i].delete && !early[i]);

    let mut steps = Vec::new();
    let mut done = vec![false; nodes.len()];
    for current in 0..2 {
        let mut members: Vec<usize> = (0..nodes.len()).filter(|&i| phase(i) == current).collect();
        while !members.is_empty() {
            let (mut ready, waiting): (Vec<usize>, Vec<usize>) =
                members.iter().partition(|&&i| preds[i].iter().all(|&p| done[p]));
            if ready.is_empty() {
                // A cycle (not possible with Avi's reference rules): run the rest in type order.
                ready = waiting.clone();
                members.clear();
            } else {
                members = waiting;
            }
            ready.sort_by(|&a, &b| sort_key(&nodes[a]).cmp(&sort_key(&nodes[b])));
            for &i in &ready {
                done[i] = true;
            }
            steps.push(ready);
        }
    }
    Layers { steps, preds }
}

fn sort_key(node: &Node) -> (bool, u8, &ObjectKey) {
    (node.delete, kind_rank(node.key.kind), &node.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: ObjectType, name: &str) -> ObjectKey {
        ObjectKey::new(kind, "admin", name)
    }

    fn upsert(kind: ObjectType, name: &str, wants: &[ObjectKey]) -> Node {
        Node {
            key: key(kind, name),
            delete: false,
            wants: wants.to_vec(),
            holds: Vec::new(),
        }
    }

    fn delete(kind: ObjectType, name: &str, holds: &[ObjectKey]) -> Node {
        Node {
            key: key(kind, name),
            delete: true,
            wants: Vec::new(),
            holds: holds.to_vec(),
        }
    }

    fn names(nodes: &[Node], layers: &Layers) -> Vec<Vec<String>> {
        layers
            .steps
            .iter()
            .map(|s| s.iter().map(|&i| nodes[i].key.to_string()).collect())
            .collect()
    }

    #[test]
    fn l4_service_in_three_steps() {
        use ObjectType::*;
        let nodes = vec![
            upsert(
                VirtualService,
                "vs",
                &[key(VsVip, "vs"), key(L4PolicySet, "vs"), key(Cloud, "Default-Cloud")],
            ),
            upsert(L4PolicySet, "vs", &[key(Pool, "p1"), key(Pool, "p2")]),
            upsert(Pool, "p2", &[]),
            upsert(Pool, "p1", &[]),
            upsert(VsVip, "vs", &[]),
        ];
        let layers = layer(&nodes);
        assert_eq!(
            names(&nodes, &layers),
            vec![
                vec!["vsvip admin/vs", "pool admin/p1", "pool admin/p2"],
                vec!["l4policyset admin/vs"],
                vec!["virtualservice admin/vs"],
            ]
        );
        assert_eq!(layers.preds[0], vec![1, 4]);
    }

    #[test]
    fn deletes_after_upserts_and_top_down() {
        use ObjectType::*;
        // The VS drops pool old (update), which is then deleted; a stale VS goes before its VsVip.
        let nodes = vec![
            delete(Pool, "old", &[]),
            Node {
                key: key(VirtualService, "vs"),
                delete: false,
                wants: vec![key(Pool, "new")],
                holds: vec![key(Pool, "old")],
            },
            upsert(Pool, "new", &[]),
            delete(VsVip, "gone", &[]),
            delete(VirtualService, "gone", &[key(VsVip, "gone"), key(Pool, "old")]),
        ];
        assert_eq!(
            names(&nodes, &layer(&nodes)),
            vec![
                vec!["pool admin/new"],
                vec!["virtualservice admin/vs"],
                vec!["virtualservice admin/gone"],
                vec!["vsvip admin/gone", "pool admin/old"],
            ]
        );
    }

    #[test]
    fn child_vs_deleted_before_its_parent_changes() {
        use ObjectType::*;
        let nodes = vec![
            upsert(VirtualService, "parent", &[]),
            delete(
                VirtualService,
                "child",
                &[key(VirtualService, "parent"), key(Pool, "cp")],
            ),
            delete(Pool, "cp", &[]),
            upsert(VirtualService, "child2", &[key(VirtualService, "parent")]),
        ];
        assert_eq!(
            names(&nodes, &layer(&nodes)),
            vec![
                vec!["virtualservice admin/child"],
                vec!["virtualservice admin/parent"],
                vec!["virtualservice admin/child2"],
                vec!["pool admin/cp"],
            ]
        );
    }

    #[test]
    fn a_cycle_does_not_hang() {
        use ObjectType::*;
        let nodes = vec![
            upsert(Pool, "a", &[key(PoolGroup, "b")]),
            upsert(PoolGroup, "b", &[key(Pool, "a")]),
        ];
        let layers = layer(&nodes);
        assert_eq!(names(&nodes, &layers), vec![vec!["pool admin/a", "poolgroup admin/b"]]);
    }
}
