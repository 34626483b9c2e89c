//! `ako run` end to end with AKO's AviInfraSetting (issue 17): the chart's CRD in a real
//! kube-apiserver (a testenv of its own: AviInfraSettings and IngressClasses are cluster-scoped,
//! and the other tests' `ako run` processes must not see them), avisim over HTTPS, the real
//! `ako` binary.
//!
//! * An Ingress whose IngressClass names a setting lands on that setting's SE group and VIP
//!   network, on a shared parent named after the setting; an Ingress of the default class stays
//!   on the global ones; a LoadBalancer Service annotated with the setting lands on it too; the
//!   setting is Accepted and its SE group labelled `clustername=<cluster>`.
//! * The setting edited to name an SE group the controller lacks is Rejected (status and a
//!   Warning Event naming the group), and nothing moves.
//! * Its shard size edited (MEDIUM → SMALL) re-homes its Ingress to the new parent and deletes
//!   the old one, leaving the default-class Ingress's parent untouched.
//! * A Namespace annotated `ako.vmware.com/tenant-name` has its Ingress and LoadBalancer Service
//!   built in that Avi tenant; moved to another tenant, every object follows and none is left in
//!   the old one.
//!
//! Everything is polled with a deadline.

mod support;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use avi_client::Client;
use avisim::Avisim;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{AkoRun, avi_object, avi_objects, eventually, ref_name};

const PASSWORD: &str = "Run-Infra-Pw1";
const CLUSTER: &str = "infra";
const WAIT: Duration = Duration::from_secs(60);
/// The SE group and VIP network avisim's default seed holds besides the global ones.
const INFRA_SEG: &str = "infra-seg";
const INFRA_NET: &str = "infra-vip-net";
/// The addresses of `infra-vip-net` (`vip-net`'s are 127.100.x.x).
const INFRA_NET_PREFIX: &str = "127.101.";
/// A host whose MEDIUM shard (of 4) is not 0, so moving to SMALL changes its parent.
const HOST: &str = "app.avi.internal";

fn testenv() -> &'static ako_testenv::TestEnv {
    static ENV: OnceLock<ako_testenv::TestEnv> = OnceLock::new();
    ENV.get_or_init(|| ako_testenv::TestEnv::start_private(&[]).expect("a testenv of its own"))
}

fn infra_api(client: &kube::Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "AviInfraSetting");
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, "aviinfrasettings"),
    )
}

/// `status.status` and `status.error` of the setting, once written.
async fn infra_status(client: &kube::Client, name: &str) -> Option<(String, String)> {
    let obj = infra_api(client).get(name).await.ok()?;
    let status = obj.data.get("status")?;
    Some((
        status["status"].as_str()?.to_owned(),
        status["error"].as_str().unwrap_or_default().to_owned(),
    ))
}

async fn patch_infra(client: &kube::Client, name: &str, spec: Value) {
    infra_api(client)
        .patch(name, &PatchParams::default(), &Patch::Merge(&json!({"spec": spec})))
        .await
        .expect("update the AviInfraSetting");
}

/// The names of the virtual services whose name starts with `prefix`.
async fn vs_names(avi: &Client, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = avi_objects(avi, "virtualservice")
        .await
        .iter()
        .filter_map(|o| o["name"].as_str())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// The first VIP address of the VsVip `name`.
async fn vip_of(avi: &Client, name: &str) -> Option<String> {
    let vsvip = avi_object(avi, "vsvip", name).await?;
    vsvip["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned)
}

/// The Ingress `web` of class `class` serving `host` on `/` from Service `web`.
fn ingress(name: &str, class: Option<&str>, host: &str) -> Value {
    let mut spec = json!({"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]});
    if let Some(c) = class {
        spec["ingressClassName"] = json!(c);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name}, "spec": spec})
}

struct World {
    client: kube::Client,
    ns: String,
    sim: Avisim,
    avi: Client,
    dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let env = testenv();
        let client = env.client().await.expect("client");
        let crd = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/helm/ako/crds/ako.vmware.com_aviinfrasettings.yaml");
        ako_testenv::install_crd(&client, crd)
            .await
            .expect("install the chart's CRD");
        let ns = format!("infra-{:06x}", rand::random::<u32>() & 0xff_ffff);
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": ns, "labels": {"ako-e2e": ns}}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("namespace");
        let (sim, avi) = support::avisim(PASSWORD).await;
        World {
            client,
            ns,
            sim,
            avi,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    async fn create<K>(&self, body: Value)
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        support::create_in(&self.api::<K>(), body).await;
    }

    /// Apply the IngressClass `body` (cluster-scoped: idempotent, the tests share `avi-lb`).
    async fn apply_class(&self, body: Value) {
        let class: IngressClass = serde_json::from_value(body).expect("an IngressClass");
        Api::<IngressClass>::all(self.client.clone())
            .patch(
                class.metadata.name.as_deref().unwrap(),
                &PatchParams::apply(ako_testenv::FIELD_MANAGER).force(),
                &Patch::Apply(&class),
            )
            .await
            .expect("apply the IngressClass");
    }

    /// The cluster's default IngressClass `avi-lb`, and Service `web` with one endpoint.
    async fn default_class_and_backend(&self) {
        self.apply_class(json!({"metadata": {"name": "avi-lb",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
            "spec": {"controller": "ako.vmware.com/avi-lb"}}))
            .await;
        self.create::<Service>(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}}),
        )
        .await;
        self.create::<EndpointSlice>(support::slice("web-1", "web", &["10.1.0.1"]))
            .await;
    }

    fn ako(&self) -> AkoRun {
        AkoRun::with_yaml_on(
            testenv().kubeconfig(),
            self.dir.path(),
            "ako-0",
            // Static routes on (a testenv of its own, without Nodes: no route is written): AKO
            // labels SE groups only where it routes to pods.
            &support::values_yaml(CLUSTER, &self.ns).replace("  disableStaticRouteSync: true\n", ""),
            &self.sim.url(),
            &self.sim.ca_pem(),
            PASSWORD,
            |cmd| {
                cmd.arg("--resync-seconds").arg("3");
            },
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infra_setting_places_its_objects_and_a_bad_edit_moves_nothing() {
    let w = World::start().await;
    let (client, avi) = (&w.client, &w.avi);
    let setting = format!("{}-blue", w.ns);
    let class = format!("{}-avi-blue", w.ns);
    let body = json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "AviInfraSetting", "metadata": {"name": setting},
        "spec": {"seGroup": {"name": INFRA_SEG}, "network": {"vipNetworks": [{"networkName": INFRA_NET}]},
                 "l7Settings": {"shardSize": "MEDIUM"}}});
    infra_api(client)
        .create(&PostParams::default(), &serde_json::from_value(body).unwrap())
        .await
        .expect("create the AviInfraSetting");
    w.default_class_and_backend().await;
    w.apply_class(json!({"metadata": {"name": class},
        "spec": {"controller": "ako.vmware.com/avi-lb",
                 "parameters": {"apiGroup": "ako.vmware.com", "kind": "AviInfraSetting", "name": setting}}}))
        .await;
    w.create::<Ingress>(ingress("blue", Some(&class), HOST)).await;
    w.create::<Ingress>(ingress("plain", None, "plain.avi.internal")).await;
    w.create::<Service>(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "lb", "annotations": {"aviinfrasetting.ako.vmware.com/name": setting}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}}))
        .await;
    let run = w.ako();

    // Placed with the setting: its parent, SE group and VIP network.
    let status = eventually("the setting Accepted", WAIT, &run, || infra_status(client, &setting)).await;
    assert_eq!(status, ("Accepted".to_owned(), String::new()));
    let blue_prefix = format!("{CLUSTER}--Shared-L7-{setting}-");
    let blue_parent = eventually("the setting's parent", WAIT, &run, || async {
        vs_names(avi, &blue_prefix).await.into_iter().next()
    })
    .await;
    assert_ne!(
        blue_parent,
        format!("{blue_prefix}0"),
        "MEDIUM puts {HOST} on another shard than 0"
    );
    let vs = avi_object(avi, "virtualservice", &blue_parent).await.unwrap();
    assert_eq!(ref_name(&vs["se_group_ref"]), Some(INFRA_SEG), "{vs}");
    let vip = eventually("the setting's VIP", WAIT, &run, || vip_of(avi, &blue_parent)).await;
    assert!(vip.starts_with(INFRA_NET_PREFIX), "{vip} is from {INFRA_NET}");
    let status_ip = eventually("the Ingress status", WAIT, &run, || async {
        let ing = w.api::<Ingress>().get("blue").await.ok()?;
        ing.status?.load_balancer?.ingress?.first()?.ip.clone()
    })
    .await;
    assert_eq!(status_ip, vip);
    let pool = format!("{CLUSTER}--{setting}-{HOST}_-{}-blue", w.ns);
    assert!(
        avi_object(avi, "pool", &pool).await.is_some(),
        "{pool}: the setting's name in the pool's"
    );

    // The default class stays global.
    let plain_parent = format!("{CLUSTER}--Shared-L7-0");
    let plain = eventually("the global parent", WAIT, &run, || {
        avi_object(avi, "virtualservice", &plain_parent)
    })
    .await;
    assert_eq!(ref_name(&plain["se_group_ref"]), Some("Default-Group"));
    let plain_vip = eventually("the global VIP", WAIT, &run, || vip_of(avi, &plain_parent)).await;
    assert!(!plain_vip.starts_with(INFRA_NET_PREFIX), "{plain_vip}");

    // The annotated LoadBalancer Service.
    let l4 = format!("{CLUSTER}--{}-lb", w.ns);
    let lb = eventually("the Service's VS", WAIT, &run, || {
        avi_object(avi, "virtualservice", &l4)
    })
    .await;
    assert_eq!(ref_name(&lb["se_group_ref"]), Some(INFRA_SEG));
    let lb_vip = eventually("the Service's VIP", WAIT, &run, || vip_of(avi, &l4)).await;
    assert!(lb_vip.starts_with(INFRA_NET_PREFIX), "{lb_vip}");

    // AKO's label on the setting's SE group.
    let group = eventually("the setting's SE group labelled", WAIT, &run, || async {
        let g = avi_object(avi, "serviceenginegroup", INFRA_SEG).await?;
        (g["labels"] == json!([{"key": "clustername", "value": CLUSTER}])).then_some(g)
    })
    .await;
    assert_eq!(group["name"], INFRA_SEG);

    // A bad edit: Rejected, with a Warning Event, and nothing moves.
    let before = avi_object(avi, "virtualservice", &blue_parent).await.unwrap();
    patch_infra(client, &setting, json!({"seGroup": {"name": "no-such-seg"}})).await;
    let status = eventually("the edit Rejected", WAIT, &run, || async {
        infra_status(client, &setting).await.filter(|(s, _)| s == "Rejected")
    })
    .await;
    assert_eq!(status.1, "serviceenginegroup \"no-such-seg\" not found on controller");
    let events = Api::<Event>::namespaced(client.clone(), "default");
    eventually("a Warning Event on the setting", WAIT, &run, || async {
        let list = events.list(&Default::default()).await.ok()?.items;
        list.iter()
            .find(|e| {
                let r = e.regarding.as_ref();
                r.and_then(|r| r.name.as_deref()) == Some(setting.as_str())
                    && r.and_then(|r| r.kind.as_deref()) == Some("AviInfraSetting")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note.as_deref().is_some_and(|n| n.contains("no-such-seg"))
            })
            .map(drop)
    })
    .await;
    // Two resyncs later, the parent is where it was, unchanged.
    let passes = |text: &str| support::sample(text, "ako_reconcile_passes_total{result=\"converged\"}");
    let port = run.admin_port(WAIT).await;
    let now = passes(&support::get(port, "/metrics").await.unwrap().1).unwrap_or(0.0);
    eventually("two more passes", WAIT, &run, || async {
        let (_, text) = support::get(port, "/metrics").await?;
        (passes(&text)? >= now + 2.0).then_some(())
    })
    .await;
    let after = avi_object(avi, "virtualservice", &blue_parent)
        .await
        .expect("the parent is kept");
    assert_eq!(
        after["_last_modified"], before["_last_modified"],
        "a Rejected edit changes nothing"
    );

    // The shard size edited: the setting's Ingress moves to its new parent, the old one goes,
    // the global parent is not touched.
    let plain_before = avi_object(avi, "virtualservice", &plain_parent).await.unwrap();
    patch_infra(
        client,
        &setting,
        json!({"seGroup": {"name": INFRA_SEG}, "l7Settings": {"shardSize": "SMALL"}}),
    )
    .await;
    let moved = format!("{blue_prefix}0");
    eventually("the Ingress re-homed", WAIT, &run, || async {
        let names = vs_names(avi, &blue_prefix).await;
        (names == [moved.clone()]).then_some(())
    })
    .await;
    let vs = avi_object(avi, "virtualservice", &moved).await.unwrap();
    assert_eq!(ref_name(&vs["se_group_ref"]), Some(INFRA_SEG));
    eventually("the setting Accepted again", WAIT, &run, || async {
        infra_status(client, &setting)
            .await
            .filter(|s| *s == ("Accepted".to_owned(), String::new()))
    })
    .await;
    let plain_after = avi_object(avi, "virtualservice", &plain_parent).await.unwrap();
    assert_eq!(
        plain_after["_last_modified"], plain_before["_last_modified"],
        "the global parent is untouched"
    );
    assert!(
        avi_object(avi, "vsvip", &blue_parent).await.is_none(),
        "the old parent's VsVip is deleted with it"
    );
}

/// The names of the objects of Avi type `kind` in `tenant` that ako-rs (cluster `CLUSTER`) made.
async fn owned_in(avi: &Client, tenant: &str, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = avi_objects(&avi.tenant(tenant), kind)
        .await
        .iter()
        .filter(|o| {
            o["created_by"] == format!("ako-{CLUSTER}")
                || o["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&format!("{CLUSTER}--")))
        })
        .filter(|o| {
            o["tenant_ref"]
                .as_str()
                .is_some_and(|t| t.ends_with(&format!("#{tenant}")))
        })
        .filter_map(|o| o["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_moved_to_another_tenant_leaves_nothing_behind() {
    let w = World::start().await;
    let (client, avi) = (&w.client, &w.avi);
    let namespaces = Api::<Namespace>::all(client.clone());
    let tenant = |t: &str| json!({"metadata": {"annotations": {"ako.vmware.com/tenant-name": t}}});
    namespaces
        .patch(&w.ns, &PatchParams::default(), &Patch::Merge(&tenant("team-a")))
        .await
        .expect("annotate the namespace");
    w.default_class_and_backend().await;
    w.create::<k8s_openapi::api::core::v1::Secret>(support::tls_secret(
        "web-tls",
        "secure.avi.internal",
        "kubernetes.io/tls",
    ))
    .await;
    let mut ing = ingress("web", None, "plain.avi.internal");
    ing["spec"]["tls"] = json!([{"hosts": ["secure.avi.internal"], "secretName": "web-tls"}]);
    ing["spec"]["rules"].as_array_mut().unwrap().push(
        json!({"host": "secure.avi.internal", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}),
    );
    w.create::<Ingress>(ing).await;
    w.create::<Service>(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "targetPort": 5353, "protocol": "TCP"}]}}),
    )
    .await;
    let run = w.ako();

    // Built in team-a: the shared parent, the SNI child, the L4 VS (and what hangs off them).
    let parent = format!("{CLUSTER}--Shared-L7-0");
    let child = format!("{CLUSTER}--secure.avi.internal");
    let l4 = format!("{CLUSTER}--{}-lb", w.ns);
    let mut expected = vec![parent.clone(), child.clone(), l4.clone()];
    expected.sort();
    let in_team = eventually("the virtual services in team-a", WAIT, &run, || async {
        let names = owned_in(avi, "team-a", "virtualservice").await;
        (names == expected).then_some(names)
    })
    .await;
    assert_eq!(in_team, expected);
    assert!(
        owned_in(avi, "admin", "virtualservice").await.is_empty(),
        "nothing in admin"
    );
    let kinds = [
        "virtualservice",
        "vsvip",
        "pool",
        "poolgroup",
        "httppolicyset",
        "vsdatascriptset",
        "sslkeyandcertificate",
        "l4policyset",
    ];
    let mut before = Vec::new();
    for kind in kinds {
        before.push((kind, owned_in(avi, "team-a", kind).await));
    }

    // Moved to admin: the same objects there, none left in team-a.
    namespaces
        .patch(&w.ns, &PatchParams::default(), &Patch::Merge(&tenant("admin")))
        .await
        .expect("move the namespace");
    for (kind, names) in &before {
        let moved = eventually(&format!("every {kind} in admin"), WAIT, &run, || async {
            let now = owned_in(avi, "admin", kind).await;
            (now == *names).then_some(now)
        })
        .await;
        assert_eq!(&moved, names);
        let left = eventually(&format!("no {kind} left in team-a"), WAIT, &run, || async {
            let left = owned_in(avi, "team-a", kind).await;
            left.is_empty().then_some(left)
        })
        .await;
        assert!(left.is_empty());
    }
    let status = eventually("the Ingress status", WAIT, &run, || async {
        let ing = w.api::<Ingress>().get("web").await.ok()?;
        let ip = ing.status?.load_balancer?.ingress?.first()?.ip.clone()?;
        (Some(ip.clone()) == vip_of(&avi.tenant("admin"), &parent).await).then_some(ip)
    })
    .await;
    assert!(!status.is_empty());
}
