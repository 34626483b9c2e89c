//! Properties of the planner against an in-memory controller that enforces the controller's
//! integrity rules (unique names, references that must resolve, no delete of a referenced
//! object, whole-object PUT): from any start state (an earlier desired state, then out-of-band
//! deletes and edits, plus objects of other owners), applying the plan step by step — the
//! operations of a step in any order — never breaks a rule and reaches the desired state;
//! planning again right after is empty; foreign objects are untouched; the plan does not depend
//! on the order of its inputs.

mod support;

use ako_sync::compare::{DriftCheck, update_reason};
use ako_sync::refs::ref_keys;
use ako_sync::{DeletionGuard, ObjectKey, Observed, Operation, Plan, PlanOptions, plan};
use ako_translate::{Model, Translation};
use avi_model::ObjectType;
use proptest::prelude::*;
use serde_json::{Value, json};
use support::desired::{CLUSTER, CREATED_BY, Host, l7_model, object, translation};
use support::mem::Mem;

/// A model of the generated desired state.
#[derive(Clone, Debug)]
enum Spec {
    /// L4 Service `id` in tenant `tenant`; `variant` picks ports and servers.
    L4 { id: u8, tenant: u8, variant: u8 },
    /// Shared L7 VS `id` with these hosts; `variant` picks servers.
    L7 {
        id: u8,
        tenant: u8,
        hosts: Vec<u8>,
        variant: u8,
    },
}

fn tenant(t: u8) -> String {
    if t == 0 { "admin".into() } else { format!("t{t}") }
}

fn l4_model(id: u8, tenant_name: &str, variant: u8) -> (ako_translate::ModelKey, Model) {
    let vs = format!("{CLUSTER}--ns-svc{id}");
    let tenant_ref = format!("/api/tenant/?name={tenant_name}");
    let markers = json!([{"key": "clustername", "values": [CLUSTER]}]);
    let ports: Vec<i32> = (0..1 + variant % 3).map(|k| 80 + i32::from(k)).collect();
    let mut objects = vec![object(
        ObjectType::VsVip,
        tenant_name,
        json!({"name": vs, "tenant_ref": tenant_ref, "vip": [{"vip_id": "0", "auto_allocate_ip": true}], "markers": markers}),
    )];
    let mut rules = Vec::new();
    for port in &ports {
        let pool = format!("{vs}-TCP-{port}");
        objects.push(object(
            ObjectType::Pool,
            tenant_name,
            json!({"name": pool, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
                   "servers": [{"ip": {"addr": format!("10.0.{id}.{}", variant / 3), "type": "V4"}, "port": 8000 + port}],
                   "health_monitor_refs": ["/api/healthmonitor/?name=System-TCP"], "markers": markers}),
        ));
        rules.push(
            json!({"index": port, "action": {"select_pool": {"pool_ref": format!("/api/pool?name={pool}")}},
                          "match": {"port": {"ports": [port]}}}),
        );
    }
    objects.push(object(
        ObjectType::L4PolicySet,
        tenant_name,
        json!({"name": vs, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
               "l4_connection_policy": {"rules": rules}, "markers": markers}),
    ));
    objects.push(object(
        ObjectType::VirtualService,
        tenant_name,
        json!({"name": vs, "created_by": CREATED_BY, "tenant_ref": tenant_ref,
               "cloud_ref": "/api/cloud?name=Default-Cloud", "error_page_profile_ref": "",
               "vsvip_ref": format!("/api/vsvip/?name={vs}"),
               "services": ports.iter().map(|p| json!({"port": p})).collect::<Vec<_>>(),
               "l4_policies": [{"index": 0, "l4_policy_set_ref": format!("/api/l4policyset/?name={vs}")}],
               "markers": markers}),
    ));
    (ako_translate::ModelKey::new(tenant_name, vs), Model { objects })
}

fn build(specs: &[Spec]) -> Translation {
    translation(specs.iter().map(|s| match s {
        Spec::L4 { id, tenant: t, variant } => l4_model(*id, &tenant(*t), *variant),
        Spec::L7 {
            id,
            tenant: t,
            hosts,
            variant,
        } => {
            let hosts: Vec<Host> = hosts
                .iter()
                .map(|h| {
                    let ip = format!("10.7.{h}.{}", variant % 2);
                    Host::new(&format!("h{h}.s{id}.example"), &[(ip.as_str(), 8443)])
                })
                .collect();
            l7_model(&tenant(*t), &format!("Shared-L7-{id}"), &hosts)
        }
    }))
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (0u8..6, 0u8..2, 0u8..6).prop_map(|(id, tenant, variant)| Spec::L4 { id, tenant, variant }),
        (0u8..2, 0u8..2, proptest::collection::btree_set(0u8..4, 0..4), 0u8..2).prop_map(
            |(id, tenant, hosts, variant)| Spec::L7 {
                id,
                tenant,
                hosts: hosts.into_iter().collect(),
                variant
            }
        ),
    ]
}

/// Specs with unique model names (same id and kind twice would duplicate the model).
fn specs() -> impl Strategy<Value = Vec<Spec>> {
    proptest::collection::vec(spec(), 0..6).prop_map(|v| {
        let mut seen = std::collections::BTreeSet::new();
        v.into_iter()
            .filter(|s| {
                seen.insert(match s {
                    Spec::L4 { id, .. } => (0, *id),
                    Spec::L7 { id, .. } => (1, *id),
                })
            })
            .collect()
    })
}

fn gc() -> PlanOptions {
    PlanOptions {
        collect_garbage: true,
        guard: DeletionGuard {
            allow_mass_delete: true,
            ..DeletionGuard::default()
        },
        ..PlanOptions::default()
    }
}

/// Objects of other owners, never to be touched.
fn seed_foreign(mem: &mut Mem) {
    let foreign = [
        (
            ObjectKey::new(ObjectType::Pool, "admin", "c1--foreign-pool"),
            json!({"name": "c1--foreign-pool", "created_by": "terraform"}),
        ),
        (
            ObjectKey::new(ObjectType::VsVip, "admin", "c1--foreign-vip"),
            json!({"name": "c1--foreign-vip", "markers": [{"key": "clustername", "values": ["c2"]}]}),
        ),
        (
            ObjectKey::new(ObjectType::VirtualService, "t1", "c1--foreign-vs"),
            json!({"name": "c1--foreign-vs", "created_by": "ako-c2"}),
        ),
    ];
    for (key, body) in foreign {
        let stored = mem.render(&key, body, None);
        mem.objects.insert(key, stored);
    }
}

/// Apply a plan step by step, each step's operations in an order given by `shuffle`, recording
/// write responses into `observed` as the executor does.
fn apply(mem: &mut Mem, observed: &mut Observed, plan: &Plan, shuffle: u64) -> Result<(), String> {
    for batch in &plan.batches {
        for step in &batch.steps {
            let mut ops: Vec<&Operation> = step.iter().collect();
            if !ops.is_empty() {
                let n = ops.len();
                ops.rotate_left((shuffle as usize) % n);
                if shuffle % 2 == 1 {
                    ops.reverse();
                }
            }
            for op in ops {
                match mem.apply(op)? {
                    Some(stored) => {
                        observed
                            .record(op.key.kind, stored, &op.key.tenant)
                            .map_err(|e| e.to_string())?;
                    }
                    None => {
                        observed.remove(&op.key);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Out-of-band changes to our objects: delete unreferenced ones, edit markers, clear stored
/// checksums.
fn drift(mem: &mut Mem, edits: &[(u16, u8)]) {
    let owner = support::sim::owner();
    for (pick, what) in edits {
        let keys: Vec<ObjectKey> = mem
            .objects
            .iter()
            .filter(|(k, o)| owner.owns(k.kind, o))
            .map(|(k, _)| k.clone())
            .collect();
        if keys.is_empty() {
            return;
        }
        let key = keys[*pick as usize % keys.len()].clone();
        match what % 3 {
            0 => {
                let referenced = mem
                    .objects
                    .iter()
                    .any(|(k, o)| *k != key && ref_keys(o, &k.tenant).contains(&key));
                if !referenced {
                    mem.objects.remove(&key);
                }
            }
            1 => {
                if let Some(o) = mem.objects.get_mut(&key) {
                    o["markers"] = json!([{"key": "edited", "values": ["by hand"]}]);
                }
            }
            _ => {
                if let Some(o) = mem.objects.get_mut(&key) {
                    for f in ["cloud_config_cksum", "vsvip_cloud_config_cksum"] {
                        if o.get(f).is_some() {
                            o[f] = json!("1");
                        }
                    }
                }
            }
        }
    }
}

fn foreign_objects(mem: &Mem) -> Vec<(ObjectKey, Value)> {
    let owner = support::sim::owner();
    mem.objects
        .iter()
        .filter(|(k, o)| !owner.owns(k.kind, o))
        .map(|(k, o)| (k.clone(), o.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn applying_the_plan_reaches_the_desired_state(
        before in specs(),
        after in specs(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..8),
        shuffle in any::<u64>(),
    ) {
        let mut mem = Mem::default();
        seed_foreign(&mut mem);
        let foreign = foreign_objects(&mem);

        // Start: an earlier desired state, fully applied, then edited out of band.
        let earlier = build(&before);
        let mut observed = mem.observed();
        let first = plan(&earlier, &observed, &gc());
        apply(&mut mem, &mut observed, &first, shuffle).map_err(TestCaseError::fail)?;
        prop_assert!(plan(&earlier, &observed, &gc()).is_empty(), "converged on the earlier state");
        drift(&mut mem, &edits);

        // Plan against what a fresh load would observe, apply in any in-step order.
        let desired = build(&after);
        let mut observed = mem.observed();
        let p = plan(&desired, &observed, &gc());
        apply(&mut mem, &mut observed, &p, shuffle.rotate_left(7)).map_err(TestCaseError::fail)?;

        // The owned objects are exactly the desired ones, each as wanted.
        let owner = support::sim::owner();
        let owned: Vec<ObjectKey> = mem.objects.iter().filter(|(k, o)| owner.owns(k.kind, o)).map(|(k, _)| k.clone()).collect();
        let mut wanted: Vec<ObjectKey> = desired.models.values().flat_map(|m| m.objects.iter().map(|o| ObjectKey::new(o.kind, &o.tenant, &o.name))).collect();
        wanted.sort();
        prop_assert_eq!(owned, wanted);
        for o in desired.models.values().flat_map(|m| &m.objects) {
            let stored = &mem.objects[&ObjectKey::new(o.kind, &o.tenant, &o.name)];
            prop_assert_eq!(update_reason(o, stored, DriftCheck::Fields), None, "{} as wanted", o.name);
        }
        prop_assert_eq!(foreign_objects(&mem), foreign, "foreign objects untouched");

        // Nothing left to do, whether from the responses or from a fresh read.
        let again = plan(&desired, &observed, &gc());
        prop_assert!(again.is_empty(), "replan from responses:\n{}", again);
        let reread = plan(&desired, &mem.observed(), &gc());
        prop_assert!(reread.is_empty(), "replan from a fresh read:\n{}", reread);
    }

    #[test]
    fn the_plan_does_not_depend_on_input_order(
        before in specs(),
        after in specs(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..8),
    ) {
        let mut mem = Mem::default();
        seed_foreign(&mut mem);
        let earlier = build(&before);
        let mut observed = mem.observed();
        let first = plan(&earlier, &observed, &gc());
        apply(&mut mem, &mut observed, &first, 0).map_err(TestCaseError::fail)?;
        drift(&mut mem, &edits);

        let desired = build(&after);
        let observed = mem.observed();
        let p = plan(&desired, &observed, &gc());
        prop_assert_eq!(&p, &plan(&desired, &observed, &gc()), "same inputs, same plan");

        // Objects of each model reversed; the index filled in reverse order.
        let mut reversed = desired.clone();
        for m in reversed.models.values_mut() {
            m.objects.reverse();
        }
        let mut observed_rev = Observed::new(support::sim::owner());
        for (key, body) in mem.objects.iter().rev() {
            let _ = observed_rev.record(key.kind, body.clone(), &key.tenant);
        }
        prop_assert_eq!(&p, &plan(&reversed, &observed_rev, &gc()));
        prop_assert_eq!(p.to_string(), plan(&reversed, &observed_rev, &gc()).to_string());
    }
}
