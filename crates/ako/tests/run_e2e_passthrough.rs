//! `ako run` end to end with TLS passthrough (issue 18): a real kube-apiserver (testenv), avisim
//! over HTTPS, the real `ako` binary.
//!
//! * An Ingress annotated `passthrough.ako.vmware.com/enabled` is served by the shared passthrough
//!   VS: its datascript selects the host's pool group, whose pool holds the backend's endpoints;
//!   the `-insecure` companion redirects the host to HTTPS; the status carries their VIP.
//! * The annotation removed: the host moves to the shared L7 parent and every passthrough object
//!   is deleted.
//!
//! Everything is polled with a deadline.

mod support;

use std::time::Duration;

use avi_client::Client;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use support::{AkoRun, avi_object, avi_objects, create, eventually, ref_name, scoped_namespace};

const PASSWORD: &str = "Run-Pass-Pw1";
const CLUSTER: &str = "e2epass";
const WAIT: Duration = Duration::from_secs(60);
const HOST: &str = "tunnel.avi.internal";

/// The names of this cluster's objects of type `kind` that contain `part`.
async fn names_with(avi: &Client, kind: &str, part: &str) -> Vec<String> {
    avi_objects(avi, kind)
        .await
        .iter()
        .filter_map(|o| o["name"].as_str())
        .filter(|n| n.starts_with(&format!("{CLUSTER}--")) && n.contains(part))
        .map(str::to_owned)
        .collect()
}

async fn status_ip(ingresses: &kube::Api<Ingress>) -> Option<String> {
    let ing = ingresses.get("tunnel").await.ok()?;
    let list = ing.status?.load_balancer?.ingress?;
    (list.len() == 1 && list[0].hostname.as_deref() == Some(HOST))
        .then(|| list[0].ip.clone())
        .flatten()
}

async fn vip_of(avi: &Client, name: &str) -> Option<String> {
    let vsvip = avi_object(avi, "vsvip", name).await?;
    vsvip["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passthrough_ingress_is_served_by_sni_and_moves_back_when_the_annotation_goes() {
    let ns = scoped_namespace("run-pass").await;
    support::web_backend(&ns, &["10.1.0.7"]).await;
    create::<Ingress>(
        &ns,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "tunnel", "annotations": {"passthrough.ako.vmware.com/enabled": "true"}},
            "spec": {"rules": [{"host": HOST, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    )
    .await;
    let (sim, avi) = support::avisim(PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let ako = AkoRun::with_values(
        dir.path(),
        "ako",
        CLUSTER,
        ns.name(),
        &sim.url(),
        &sim.ca_pem(),
        PASSWORD,
    );
    let ingresses = ns.api::<Ingress>();

    // The passthrough VS, its datascript selecting the host's pool group, the pool's server.
    let vs_name = format!("{CLUSTER}--Shared-Passthrough-0");
    let vs = eventually("the passthrough VS", WAIT, &ako, || {
        avi_object(&avi, "virtualservice", &vs_name)
    })
    .await;
    assert_eq!(vs["services"][0]["port"], 443);
    let ds = avi_object(&avi, "vsdatascriptset", &vs_name)
        .await
        .expect("its datascript");
    let pg = format!("{CLUSTER}--{HOST}");
    let pgs: Vec<&str> = ds["pool_group_refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| ref_name(r).unwrap_or_default())
        .collect();
    assert_eq!(pgs, [pg.as_str()]);
    assert!(
        ds["datascript"][0]["script"]
            .as_str()
            .unwrap()
            .contains(&format!("\"{CLUSTER}--\"..sname"))
    );
    let pool = avi_object(&avi, "pool", &format!("{CLUSTER}--{HOST}-web"))
        .await
        .expect("the pool");
    assert_eq!(pool["servers"][0]["ip"]["addr"], "10.1.0.7");
    // The port-80 companion on the same VIP, redirecting the host.
    let insecure = format!("{vs_name}-insecure");
    let companion = avi_object(&avi, "virtualservice", &insecure)
        .await
        .expect("the -insecure VS");
    assert_eq!(ref_name(&companion["vsvip_ref"]), Some(vs_name.as_str()));
    let redirect = avi_object(&avi, "httppolicyset", &insecure)
        .await
        .expect("its redirect");
    let rule = &redirect["http_request_policy"]["rules"][0];
    assert_eq!(rule["match"]["host_hdr"]["value"], json!([HOST]));
    assert_eq!(rule["redirect_action"]["protocol"], "HTTPS");
    let vip = eventually("the VIP", WAIT, &ako, || vip_of(&avi, &vs_name)).await;
    eventually("the status", WAIT, &ako, || async {
        (status_ip(&ingresses).await.as_deref() == Some(vip.as_str())).then_some(())
    })
    .await;

    // The annotation removed: an ordinary insecure host on the L7 parent; nothing of passthrough left.
    ingresses
        .patch(
            "tunnel",
            &PatchParams::default(),
            &Patch::Merge(&json!({"metadata": {"annotations": {"passthrough.ako.vmware.com/enabled": null}}})),
        )
        .await
        .expect("remove the annotation");
    let parent = format!("{CLUSTER}--Shared-L7-0");
    eventually("the passthrough objects gone", WAIT, &ako, || async {
        let mut left = Vec::new();
        for kind in [
            "virtualservice",
            "vsvip",
            "vsdatascriptset",
            "poolgroup",
            "pool",
            "httppolicyset",
        ] {
            left.extend(names_with(&avi, kind, "Passthrough").await);
        }
        left.extend(
            names_with(&avi, "poolgroup", &pg)
                .await
                .into_iter()
                .filter(|n| *n == pg),
        );
        left.is_empty().then_some(())
    })
    .await;
    let parent_vip = eventually("the L7 parent's VIP", WAIT, &ako, || vip_of(&avi, &parent)).await;
    eventually("the status on the parent", WAIT, &ako, || async {
        (status_ip(&ingresses).await.as_deref() == Some(parent_vip.as_str())).then_some(())
    })
    .await;
    assert!(ako.exited().is_none(), "ako run keeps running");
}
