//! The planner's rules on concrete cases: garbage collection only when the desired state is
//! complete, the mass-deletion guard, protected models, garbage deleted in the batch of the
//! model that stops using it, no operation for unchanged objects, duplicate desired objects and
//! objects several models share.

mod support;

use ako_sync::{Action, DeletionGuard, DriftCheck, PlanOptions, PlanProblem, UpdateReason, plan};
use ako_translate::{ModelKey, Translation};
use avi_model::ObjectType;
use serde_json::json;
use support::desired::{Svc, l4, merge};
use support::mem::Mem;

fn services(n: usize) -> Vec<Svc> {
    (0..n).map(|i| Svc::new("shop", &format!("svc{i}"))).collect()
}

/// The model of VS `vs` in tenant admin.
fn model(vs: &str) -> ModelKey {
    ModelKey::new("admin", vs)
}

fn gc() -> PlanOptions {
    PlanOptions {
        collect_garbage: true,
        ..PlanOptions::default()
    }
}

fn steps(p: &ako_sync::Plan, vs: &str) -> Vec<Vec<String>> {
    p.batch(&model(vs))
        .unwrap_or_else(|| panic!("no batch {vs} in\n{p}"))
        .steps
        .iter()
        .map(|s| {
            s.iter()
                .map(|op| format!("{} {} {}", op.action.verb(), op.key.kind, op.key.name))
                .collect()
        })
        .collect()
}

#[test]
fn from_empty_creates_in_dependency_steps() {
    let desired = l4(&[Svc::new("shop", "web").port("UDP", 53, 5353)]);
    let p = plan(&desired, &Mem::default().observed(), &gc());
    assert_eq!(
        steps(&p, "c1--shop-web"),
        vec![
            vec![
                "create vsvip c1--shop-web",
                "create pool c1--shop-web-TCP-80",
                "create pool c1--shop-web-UDP-53"
            ],
            vec!["create l4policyset c1--shop-web"],
            vec!["create virtualservice c1--shop-web"],
        ]
    );
    assert_eq!(p.counts(), (5, 0, 0));
    assert_eq!(p.unchanged, 0);
    let vs = p.operations().last().unwrap();
    assert_eq!(
        vs.after.len(),
        2,
        "the VS waits for its VsVip and L4 policy set: {:?}",
        vs.after
    );
}

#[test]
fn unchanged_objects_produce_no_operation() {
    let desired = l4(&services(3));
    let mem = Mem::holding(&desired);
    let p = plan(&desired, &mem.observed(), &gc());
    assert!(p.is_empty(), "{p}");
    assert_eq!(p.unchanged, 12, "4 objects per single-port Service");
}

#[test]
fn a_changed_endpoint_updates_only_its_pool() {
    let before = l4(&services(3));
    let mem = Mem::holding(&before);
    let mut svcs = services(3);
    svcs[1] = Svc::new("shop", "svc1").endpoints(&["10.1.0.1", "10.1.0.9"]);
    let desired = l4(&svcs);
    let p = plan(&desired, &mem.observed(), &gc());
    let ops: Vec<String> = p
        .operations()
        .map(|o| format!("{} {}", o.action.verb(), o.key))
        .collect();
    assert_eq!(ops, ["update pool admin/c1--shop-svc1-TCP-80"], "{p}");
    match &p.operations().next().unwrap().action {
        Action::Update { reason, .. } => assert!(matches!(reason, UpdateReason::Checksum { .. }), "{reason:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_removed_port_is_deleted_after_the_objects_stop_using_it() {
    let before = l4(&[Svc::new("shop", "web").port("UDP", 53, 5353)]);
    let mut mem = Mem::holding(&before);
    let desired = l4(&[Svc::new("shop", "web")]);
    let p = plan(&desired, &mem.observed(), &gc());
    assert_eq!(
        steps(&p, "c1--shop-web"),
        vec![
            vec!["update l4policyset c1--shop-web"],
            vec!["update virtualservice c1--shop-web"],
            vec!["delete pool c1--shop-web-UDP-53"],
        ]
    );
    mem.apply_plan(&p);
    assert!(plan(&desired, &mem.observed(), &gc()).is_empty());
}

#[test]
fn a_deleted_service_goes_top_down_in_its_own_batch() {
    let before = l4(&services(2));
    let mem = Mem::holding(&before);
    let desired = l4(&services(1));
    let p = plan(&desired, &mem.observed(), &gc());
    assert_eq!(
        steps(&p, "c1--shop-svc1"),
        vec![
            vec!["delete virtualservice c1--shop-svc1"],
            vec!["delete vsvip c1--shop-svc1", "delete l4policyset c1--shop-svc1"],
            vec!["delete pool c1--shop-svc1-TCP-80"],
        ]
    );
    assert_eq!(p.batches.len(), 1);
}

#[test]
fn nothing_is_deleted_unless_the_desired_state_is_complete() {
    let mem = Mem::holding(&l4(&services(2)));
    let desired = l4(&services(1));
    let p = plan(&desired, &mem.observed(), &PlanOptions::default());
    assert!(p.is_empty(), "{p}");
    assert_eq!(p.kept, 4);
}

#[test]
fn protected_models_keep_their_objects() {
    let mem = Mem::holding(&l4(&services(3)));
    let options = PlanOptions {
        protected_models: [model("c1--shop-svc2")].into(),
        ..gc()
    };
    let desired = l4(&services(1));
    let p = plan(&desired, &mem.observed(), &options);
    assert_eq!(p.counts(), (0, 0, 4), "{p}");
    assert!(p.batch(&model("c1--shop-svc1")).is_some());
    assert!(p.batch(&model("c1--shop-svc2")).is_none());
    assert_eq!(p.kept, 4);
}

#[test]
fn the_guard_refuses_mass_deletion_unless_allowed() {
    let mem = Mem::holding(&l4(&services(10)));
    let observed = mem.observed();
    // 32 of 40 objects would go: refused, and nothing at all is deleted.
    let desired = l4(&services(2));
    let p = plan(&desired, &observed, &gc());
    assert_eq!(p.counts(), (0, 0, 0), "{p}");
    let refused = p.refused.clone().expect("refused");
    assert_eq!((refused.would_delete, refused.owned), (32, 40));
    assert!(
        p.to_string()
            .contains("REFUSED: refusing to delete 32 of the 40 objects"),
        "{p}"
    );
    assert_eq!(p.kept, 32);
    // Half is the limit: 20 of 40 is allowed, 24 is not.
    let desired = l4(&services(5));
    let p = plan(&desired, &observed, &gc());
    assert_eq!(p.counts(), (0, 0, 20));
    assert!(plan(&l4(&services(4)), &observed, &gc()).refused.is_some());
    assert!(p.refused.is_none());
    // An explicit override.
    let allow = PlanOptions {
        guard: DeletionGuard {
            allow_mass_delete: true,
            ..DeletionGuard::default()
        },
        ..gc()
    };
    assert_eq!(plan(&l4(&[]), &observed, &allow).counts(), (0, 0, 40));
    // Small setups are not guarded: deleting the only Service is normal.
    let one = Mem::holding(&l4(&services(1)));
    assert_eq!(plan(&l4(&[]), &one.observed(), &gc()).counts(), (0, 0, 4));
}

#[test]
fn drift_is_repaired_unless_checksum_only() {
    let desired = l4(&services(1));
    let mut mem = Mem::holding(&desired);
    for (key, body) in mem.objects.iter_mut() {
        if key.kind == ObjectType::Pool {
            body["servers"][0]["port"] = json!(9999);
        }
    }
    let p = plan(&desired, &mem.observed(), &gc());
    let reasons: Vec<String> = p
        .operations()
        .map(|o| match &o.action {
            Action::Update { reason, .. } => format!("{} {reason}", o.key),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons, ["pool admin/c1--shop-svc0-TCP-80 servers[0].port differs"]);
    let checksum_only = PlanOptions {
        drift: DriftCheck::ChecksumOnly,
        ..gc()
    };
    assert!(plan(&desired, &mem.observed(), &checksum_only).is_empty());
}

#[test]
fn an_object_wanted_by_two_models_differently_is_a_problem() {
    let a = l4(&services(1));
    let mut b = a.clone();
    let moved = b.models.remove(&model("c1--shop-svc0")).unwrap();
    b.models.insert(model("zz-other"), moved.clone());
    // The same copies in two models (a shared object): not a problem.
    let desired = merge(a.clone(), b);
    let p = plan(&desired, &Mem::default().observed(), &gc());
    assert_eq!(p.counts(), (4, 0, 0));
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    // Copies that differ: the first model's is kept, the other reported.
    let mut other = moved;
    for o in &mut other.objects {
        let mut body = o.body.to_value();
        body["description"] = "another copy".into();
        o.body = body.into();
    }
    let mut c = Translation::default();
    c.models.insert(model("zz-other"), other);
    let desired = merge(a, c);
    let p = plan(&desired, &Mem::default().observed(), &gc());
    assert_eq!(p.counts(), (4, 0, 0));
    assert_eq!(p.problems.len(), 4);
    assert!(
        matches!(&p.problems[0], PlanProblem::DuplicateDesired { kept_in, .. } if kept_in == "admin/c1--shop-svc0")
    );
}

#[test]
fn a_shared_object_missing_is_created_by_a_scoped_plan_of_a_later_model() {
    // Two models want the same objects; a change touches only the later one, and the shared
    // objects are not on the controller: its batch creates them, ahead of the other batches.
    let a = l4(&services(1));
    let mut b = a.clone();
    let copy = b.models.remove(&model("c1--shop-svc0")).unwrap();
    b.models.insert(model("zz-other"), copy);
    let desired = merge(a, b);
    let scoped = PlanOptions {
        scope: Some([model("zz-other")].into_iter().collect()),
        ..gc()
    };
    let p = plan(&desired, &Mem::default().observed(), &scoped);
    assert_eq!(p.counts(), (4, 0, 0), "{p}");
    let batch = p.batch(&model("zz-other")).expect("the later model's batch");
    assert!(batch.leads, "it writes objects another model wants");
    assert!(
        p.batch(&model("c1--shop-svc0")).is_none(),
        "the other model is out of scope"
    );
    // Unscoped: the first model plans them, once.
    let p = plan(&desired, &Mem::default().observed(), &gc());
    assert_eq!(p.counts(), (4, 0, 0));
    assert!(p.batch(&model("c1--shop-svc0")).is_some_and(|b| b.leads));
    assert!(p.batch(&model("zz-other")).is_none());
}

#[test]
fn plan_text_is_stable() {
    let before = l4(&[Svc::new("shop", "web").port("UDP", 53, 5353)]);
    let mem = Mem::holding(&before);
    let desired = l4(&[Svc::new("shop", "web")]);
    let p = plan(&desired, &mem.observed(), &gc());
    let text = p.to_string();
    let expected = "admin/c1--shop-web
  1.  update l4policyset           c1--shop-web  (markers[3].values[0] differs)
  2.  update virtualservice        c1--shop-web  (checksum ";
    assert!(text.starts_with(expected), "{text}");
    assert!(
        text.contains("  3.  delete pool                  c1--shop-web-UDP-53\n"),
        "{text}"
    );
    assert!(
        text.ends_with("0 to create, 2 to update, 1 to delete, 2 unchanged\n"),
        "{text}"
    );
}

#[test]
fn a_scoped_plan_touches_only_its_models() {
    // Everything changed (new endpoints everywhere, svc2 gone), but only svc0 and svc2 are in
    // scope: svc1's update is not planned, svc2's objects are deleted, unreferenced garbage is
    // left to an unscoped plan.
    let before = l4(&services(3));
    let mut mem = Mem::holding(&before);
    let svcs: Vec<Svc> = (0..2)
        .map(|i| Svc::new("shop", &format!("svc{i}")).endpoints(&["10.9.9.9"]))
        .collect();
    let desired = l4(&svcs);
    let scope = ["c1--shop-svc0", "c1--shop-svc2"].into_iter().map(model).collect();
    let options = PlanOptions {
        scope: Some(scope),
        ..gc()
    };
    let p = plan(&desired, &mem.observed(), &options);
    let mut ops: Vec<String> = p
        .operations()
        .map(|o| format!("{} {}", o.action.verb(), o.key))
        .collect();
    ops.sort();
    assert_eq!(
        ops,
        [
            "delete l4policyset admin/c1--shop-svc2",
            "delete pool admin/c1--shop-svc2-TCP-80",
            "delete virtualservice admin/c1--shop-svc2",
            "delete vsvip admin/c1--shop-svc2",
            "update pool admin/c1--shop-svc0-TCP-80",
        ],
        "{p}"
    );
    mem.apply_plan(&p);
    let rest = plan(&desired, &mem.observed(), &gc());
    let ops: Vec<String> = rest
        .operations()
        .map(|o| format!("{} {}", o.action.verb(), o.key))
        .collect();
    assert_eq!(
        ops,
        ["update pool admin/c1--shop-svc1-TCP-80"],
        "the unscoped plan does the rest"
    );
}

/// A passthrough VS's `-insecure` companion refers to no other VS (AKO links them in
/// `service_metadata` only): deleted, both go in one batch, the companion before the VsVip
/// they share.
#[test]
fn a_passthrough_vs_and_its_companion_are_deleted_together() {
    let mut snap = ako_translate::Snapshot::new();
    let ingress = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "tunnel", "namespace": "shop", "annotations": {"passthrough.ako.vmware.com/enabled": "true"}},
        "spec": {"rules": [{"host": "tunnel.avi.internal", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 443}}}}]}}]}});
    let class = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "avi-lb", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ako.vmware.com/avi-lb"}});
    ako_translate::load_document(&mut snap, class).expect("an IngressClass");
    ako_translate::load_document(&mut snap, ingress).expect("an Ingress");
    let before = ako_translate::translate(&snap, &support::desired::settings(), &support::desired::cloud());
    let vs = "c1--Shared-Passthrough-0";
    assert!(before.models.contains_key(&model(vs)), "{:?}", before.models.keys());
    let mem = Mem::holding(&before);
    let nothing = ako_translate::Translation::default();
    let observed = mem.observed();
    let p = plan(&nothing, &observed, &gc());
    assert_eq!(p.batches.len(), 1, "one batch:\n{p}");
    let order: Vec<String> = steps(&p, vs).concat();
    let at = |what: &str| {
        order
            .iter()
            .position(|o| o == what)
            .unwrap_or_else(|| panic!("{what} in {order:?}"))
    };
    assert!(
        at("delete virtualservice c1--Shared-Passthrough-0-insecure") < at("delete vsvip c1--Shared-Passthrough-0")
    );
    assert!(at("delete virtualservice c1--Shared-Passthrough-0") < at("delete vsvip c1--Shared-Passthrough-0"));
}
