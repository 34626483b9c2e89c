//! `ako run` end to end in EVH mode (issue 18): configured as the chart configures it (ConfigMap
//! and Secret), a real kube-apiserver (testenv), avisim over HTTPS, the real `ako` binary.
//!
//! * `enableEVH: true`: the Ingresses' hosts are served by one enhanced parent holding the TLS
//!   host's certificate and a VIP, each host by an EVH child of its own (the TLS one redirecting
//!   HTTP itself), every name below the parent encoded; the LoadBalancer Service's objects carry
//!   encoded names; statuses carry the parent's and the Service's VIPs.
//! * `enableEVH` switched off in the ConfigMap, live: every Ingress moves to the SNI-mode objects
//!   and the Service to its readable names, statuses follow, and nothing of the EVH objects is
//!   left on the controller; the process never restarts.
//!
//! Everything is polled with a deadline.

mod support;

use std::time::Duration;

use avi_client::Client;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::{Value, json};
use support::chart_config::{ako_in, configured_namespace, set_data};
use support::{avi_objects, create, eventually, ref_name};

const PASSWORD: &str = "Run-Evh-Pw1";
const CLUSTER: &str = "e2eevh";
const WAIT: Duration = Duration::from_secs(60);
const PLAIN: &str = "plain.avi.internal";
const SECURE: &str = "secure.avi.internal";
/// `(type, name)` of every object this cluster created (VsVips have no `created_by`: by name).
async fn owned(avi: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in support::BUILT_TYPES {
        for o in avi_objects(avi, kind).await {
            let name = o["name"].as_str().unwrap_or_default().to_owned();
            if o["created_by"] == format!("ako-{CLUSTER}") || name.starts_with(&format!("{CLUSTER}--")) {
                out.push((kind.to_owned(), name));
            }
        }
    }
    out.sort();
    out
}

/// A name AKO's `Encode` made: `<cluster>--` and 40 lower-case hex digits.
fn encoded(name: &str) -> bool {
    name.strip_prefix(&format!("{CLUSTER}--"))
        .is_some_and(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// The first VIP of the VsVip `name`.
async fn vip_of(avi: &Client, name: &str) -> Option<String> {
    let vsvip = avi_objects(avi, "vsvip")
        .await
        .into_iter()
        .find(|o| o["name"] == name)?;
    vsvip["vip"][0]["ip_address"]["addr"].as_str().map(str::to_owned)
}

/// `host → ip` of an Ingress's status.
async fn ingress_ips(ingresses: &kube::Api<Ingress>, name: &str) -> Vec<(String, String)> {
    let Ok(ing) = ingresses.get(name).await else {
        return Vec::new();
    };
    let list = ing
        .status
        .and_then(|s| s.load_balancer)
        .and_then(|l| l.ingress)
        .unwrap_or_default();
    list.into_iter()
        .map(|i| (i.hostname.unwrap_or_default(), i.ip.unwrap_or_default()))
        .collect()
}

async fn service_ip(services: &kube::Api<Service>) -> Option<String> {
    let svc = services.get("lb").await.ok()?;
    svc.status?.load_balancer?.ingress?.first()?.ip.clone()
}

fn ingress(name: &str, host: &str, tls: bool) -> Value {
    let mut spec = json!({"rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
        {"path": "/api", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]});
    if tls {
        spec["tls"] = json!([{"hosts": [host], "secretName": "secure-tls"}]);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name}, "spec": spec})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evh_mode_serves_every_host_through_enhanced_children_and_switching_it_off_leaves_nothing() {
    let (sim, avi) = support::avisim(PASSWORD).await;
    let (ns, configmaps) = configured_namespace("run-evh", CLUSTER, &sim, PASSWORD, "SMALL").await;
    set_data(&configmaps, json!({"enableEVH": "true"})).await;
    support::web_backend(&ns, &["10.1.0.1", "10.1.0.2"]).await;
    create::<Secret>(&ns, support::tls_secret("secure-tls", SECURE, "kubernetes.io/tls")).await;
    create::<Ingress>(&ns, ingress("plain", PLAIN, false)).await;
    create::<Ingress>(&ns, ingress("secure", SECURE, true)).await;
    create::<Service>(
        &ns,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ako = ako_in(dir.path(), "ako", ns.name());
    let ingresses = ns.api::<Ingress>();
    let services = ns.api::<Service>();

    // EVH: one enhanced parent, a child per host.
    let parent_name = format!("{CLUSTER}--Shared-L7-EVH-0");
    let children = eventually("two EVH children", WAIT, &ako, || async {
        let kids: Vec<Value> = avi_objects(&avi, "virtualservice")
            .await
            .into_iter()
            .filter(|v| ref_name(&v["vh_parent_vs_ref"]) == Some(parent_name.as_str()))
            .collect();
        (kids.len() == 2).then_some(kids)
    })
    .await;
    let parent = avi_objects(&avi, "virtualservice")
        .await
        .into_iter()
        .find(|v| v["name"] == parent_name.as_str())
        .expect("the EVH parent");
    assert_eq!(parent["type"], "VS_TYPE_VH_PARENT");
    assert_eq!(parent["vh_type"], "VS_TYPE_VH_ENHANCED");
    let child_of = |host: &str| {
        children
            .iter()
            .find(|c| c["vh_matches"][0]["host"] == host)
            .unwrap_or_else(|| panic!("a child matching {host}: {children:?}"))
            .clone()
    };
    let (plain, secure) = (child_of(PLAIN), child_of(SECURE));
    for c in [&plain, &secure] {
        assert_eq!(c["vh_type"], "VS_TYPE_VH_ENHANCED");
        assert!(
            encoded(c["name"].as_str().unwrap()),
            "an encoded child name: {}",
            c["name"]
        );
        assert!(
            c.get("ssl_key_and_certificate_refs").is_none(),
            "certificates are on the parent"
        );
    }
    // The TLS host's certificate on the parent, its redirect on its own child, first.
    let certs: Vec<&str> = parent["ssl_key_and_certificate_refs"]
        .as_array()
        .expect("the parent's certificates")
        .iter()
        .map(|r| ref_name(r).unwrap_or_default())
        .collect();
    assert_eq!(
        certs,
        [secure["name"].as_str().unwrap()],
        "the certificate is named like its child"
    );
    let policies = |c: &Value| -> Vec<String> {
        c["http_policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| ref_name(&p["http_policy_set_ref"]).unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(policies(&secure).len(), 2, "redirect + paths");
    assert_eq!(
        policies(&secure)[0],
        secure["name"].as_str().unwrap(),
        "the redirect first"
    );
    assert_eq!(policies(&plain).len(), 1, "paths only");
    // The Service's objects are encoded, and every status carries the right VIP.
    let parent_vip = eventually("the parent's VIP", WAIT, &ako, || vip_of(&avi, &parent_name)).await;
    for name in ["plain", "secure"] {
        let host = if name == "plain" { PLAIN } else { SECURE };
        let want = vec![(host.to_owned(), parent_vip.clone())];
        eventually(&format!("{name}'s status"), WAIT, &ako, || async {
            (ingress_ips(&ingresses, name).await == want).then_some(())
        })
        .await;
    }
    let l4 = eventually("the Service's VS", WAIT, &ako, || async {
        avi_objects(&avi, "virtualservice")
            .await
            .into_iter()
            .find(|v| v["type"].as_str() == Some("VS_TYPE_NORMAL") && v["name"].as_str().is_some_and(encoded))
    })
    .await;
    let l4_vip = eventually("the Service's VIP", WAIT, &ako, || async {
        vip_of(&avi, ref_name(&l4["vsvip_ref"]).unwrap_or_default()).await
    })
    .await;
    eventually("the Service's status", WAIT, &ako, || async {
        (service_ip(&services).await.as_deref() == Some(l4_vip.as_str())).then_some(())
    })
    .await;
    let evh_objects = owned(&avi).await;

    // Switched off, live: SNI mode's objects, and nothing of EVH's left.
    set_data(&configmaps, json!({"enableEVH": "false"})).await;
    let sni_parent = format!("{CLUSTER}--Shared-L7-0");
    let sni_child = format!("{CLUSTER}--{SECURE}");
    let l4_name = format!("{CLUSTER}--{}-lb", ns.name());
    let now = eventually("only SNI-mode objects", WAIT, &ako, || async {
        let now = owned(&avi).await;
        let names: Vec<&str> = now.iter().map(|(_, n)| n.as_str()).collect();
        let done = names.contains(&sni_parent.as_str())
            && names.contains(&sni_child.as_str())
            && names.contains(&l4_name.as_str())
            && !names.iter().any(|n| n.contains("EVH") || encoded(n));
        done.then_some(now)
    })
    .await;
    assert!(
        evh_objects.iter().all(|o| !now.contains(o)),
        "no EVH object survives: {evh_objects:?} / {now:?}"
    );
    let sni_vip = eventually("the SNI parent's VIP", WAIT, &ako, || vip_of(&avi, &sni_parent)).await;
    for (name, host) in [("plain", PLAIN), ("secure", SECURE)] {
        let want = vec![(host.to_owned(), sni_vip.clone())];
        eventually(&format!("{name}'s status on the SNI parent"), WAIT, &ako, || async {
            (ingress_ips(&ingresses, name).await == want).then_some(())
        })
        .await;
    }
    let l4_vip = eventually("the Service's readable VsVip", WAIT, &ako, || vip_of(&avi, &l4_name)).await;
    eventually("the Service's status", WAIT, &ako, || async {
        (service_ip(&services).await.as_deref() == Some(l4_vip.as_str())).then_some(())
    })
    .await;
    assert!(ako.exited().is_none(), "switched without a restart");
}
