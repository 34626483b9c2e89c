//! The objects AKO's HostRule and HTTPRule name, seeded in tenant `admin` as objects an
//! administrator made (no `created_by`): AKO looks each one up with
//! `GET /api/<type>?name=<name>&fields=name,type,labels,created_by` and rejects the rule when
//! the count is 0 (or, for an application profile, when `type` is not HTTP). References to them
//! from AKO's bodies resolve; a reference to a missing one is refused.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// (type, name) of every seeded object a rule may name.
const RULE_OBJECTS: &[(&str, &str)] = &[
    ("sslkeyandcertificate", "avi-cert"),
    ("sslkeyandcertificate", "avi-cert-alt"),
    ("sslprofile", "System-Standard"),
    ("sslprofile", "System-Standard-PFS"),
    ("wafpolicy", "System-WAF-Policy"),
    ("wafpolicy", "waf-app"),
    ("applicationprofile", "app-http-custom"),
    ("analyticsprofile", "analytics-custom"),
    ("errorpageprofile", "errorpage-custom"),
    ("icapprofile", "icap-custom"),
    ("networksecuritypolicy", "nsp-custom"),
    ("httppolicyset", "hps-custom"),
    ("vsdatascriptset", "ds-custom"),
    ("healthmonitor", "hm-http-custom"),
    ("healthmonitor", "hm-tcp-custom"),
    ("applicationpersistenceprofile", "persistence-custom"),
    ("pkiprofile", "pki-custom"),
];

#[tokio::test]
async fn every_object_a_rule_names_is_listed_by_name_without_created_by() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    for (kind, name) in RULE_OBJECTS {
        let page = s
            .get(&format!("/api/{kind}?name={name}&fields=name,type,labels,created_by"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{kind} {name}");
        assert_eq!(page.body["count"], 1, "{kind} {name}: {}", page.body);
        let obj = &page.body["results"][0];
        assert_eq!(obj["name"], *name);
        assert!(obj.get("created_by").is_none(), "{kind} {name}: {obj}");
    }
    let types: Vec<(String, String)> = s
        .list("/api/applicationprofile?fields=name,type&page_size=200")
        .await
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (name, ty) in [
        ("System-HTTP", "APPLICATION_PROFILE_TYPE_HTTP"),
        ("System-Secure-HTTP", "APPLICATION_PROFILE_TYPE_HTTP"),
        ("System-L4-Application", "APPLICATION_PROFILE_TYPE_L4"),
        ("app-http-custom", "APPLICATION_PROFILE_TYPE_HTTP"),
    ] {
        assert!(types.contains(&(name.to_owned(), ty.to_owned())), "{name}: {types:?}");
    }
    for (kind, ty) in [
        ("hm-http-custom", "HEALTH_MONITOR_HTTP"),
        ("hm-tcp-custom", "HEALTH_MONITOR_TCP"),
    ] {
        let hm = s.list(&format!("/api/healthmonitor?name={kind}&fields=type")).await;
        assert_eq!(hm[0]["type"], ty);
    }
    // The certificates' keys are never answered.
    let cert = s.list("/api/sslkeyandcertificate?name=avi-cert").await;
    assert!(cert[0].get("key").is_none());
    assert!(
        cert[0]["certificate"]["certificate"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

/// A shared parent and an SNI child carrying every HostRule field, and a pool carrying every
/// HTTPRule field, with references by name as AKO sends them.
#[tokio::test]
async fn bodies_naming_the_rule_objects_resolve() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    s.create(
        "vsvip",
        json!({"name": "c1--Shared-L7-0", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network/?name=vip-net"}}]}),
    )
    .await;
    let parent = s
        .create(
            "virtualservice",
            json!({"name": "c1--Shared-L7-0", "type": "VS_TYPE_VH_PARENT", "vsvip_ref": "/api/vsvip/?name=c1--Shared-L7-0",
                "services": [{"port": 8080}, {"port": 8443, "enable_ssl": true}],
                "network_security_policy_ref": "/api/networksecuritypolicy?name=nsp-custom",
                "waf_policy_ref": "/api/wafpolicy?name=waf-app",
                "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": "/api/vsdatascriptset?name=ds-custom"}]}),
        )
        .await;
    assert!(
        parent["network_security_policy_ref"]
            .as_str()
            .unwrap()
            .contains("/api/networksecuritypolicy/networksecuritypolicy-")
    );
    let child = s
        .create(
            "virtualservice",
            json!({"name": "c1--secure.avi.internal", "type": "VS_TYPE_VH_CHILD",
                "vh_parent_vs_ref": "/api/virtualservice/?name=c1--Shared-L7-0",
                "ssl_key_and_certificate_refs": ["/api/sslkeyandcertificate?name=avi-cert",
                    "/api/sslkeyandcertificate?name=avi-cert-alt"],
                "ssl_profile_ref": "/api/sslprofile?name=System-Standard-PFS",
                "waf_policy_ref": "/api/wafpolicy?name=waf-app",
                "application_profile_ref": "/api/applicationprofile?name=app-http-custom",
                "analytics_profile_ref": "/api/analyticsprofile?name=analytics-custom",
                "error_page_profile_ref": "/api/errorpageprofile?name=errorpage-custom",
                "icap_profile_refs": ["/api/icapprofile?name=icap-custom"],
                "http_policies": [{"index": 11, "http_policy_set_ref": "/api/httppolicyset?name=hps-custom"}],
                "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": "/api/vsdatascriptset?name=ds-custom"}],
                "enabled": false}),
        )
        .await;
    assert!(
        child["icap_profile_refs"][0]
            .as_str()
            .unwrap()
            .contains("/api/icapprofile/icapprofile-")
    );
    let pool = s
        .create(
            "pool",
            json!({"name": "c1--shop-secure.avi.internal_-web", "lb_algorithm": "LB_ALGORITHM_CONSISTENT_HASH",
                "lb_algorithm_hash": "LB_ALGORITHM_CONSISTENT_HASH_CUSTOM_HEADER", "lb_algorithm_consistent_hash_hdr": "X-User",
                "health_monitor_refs": ["/api/healthmonitor?name=hm-http-custom", "/api/healthmonitor?name=hm-tcp-custom"],
                "application_persistence_profile_ref": "/api/applicationpersistenceprofile?name=persistence-custom",
                "ssl_profile_ref": "/api/sslprofile?name=System-Standard", "pki_profile_ref": "/api/pkiprofile?name=pki-custom",
                "sni_enabled": true}),
        )
        .await;
    assert_eq!(pool["health_monitor_refs"].as_array().map(Vec::len), Some(2));
    // Referenced seed objects cannot be deleted while in use.
    let icap = uuid_of(&s.list("/api/icapprofile?name=icap-custom").await[0]);
    assert_eq!(
        s.delete(&format!("/api/icapprofile/{icap}")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_body_naming_a_missing_rule_object_is_refused() {
    let sim = start().await;
    let s = Session::login(&sim).await;
    let missing = s
        .post(
            "/api/virtualservice",
            json!({"name": "c1--secure.avi.internal", "waf_policy_ref": "/api/wafpolicy?name=does-not-exist"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.error().contains("WafPolicy object not found!"),
        "{}",
        missing.error()
    );
    for (field, value) in [
        ("icap_profile_refs", json!(["/api/icapprofile?name=nope"])),
        (
            "network_security_policy_ref",
            json!("/api/networksecuritypolicy?name=nope"),
        ),
    ] {
        let r = s
            .post("/api/virtualservice", json!({"name": "c1--x", field: value}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}");
        assert!(r.error().contains("object not found!"), "{field}: {}", r.error());
    }
    assert!(s.list("/api/virtualservice").await.is_empty());
}

/// ICAP profiles and network security policies are tenant-scoped, like certificates: another
/// tenant does not see admin's; WAF policies and application profiles in admin are shared.
#[tokio::test]
async fn tenant_scoped_rule_objects_stay_in_admin() {
    let sim = start().await;
    let admin = Session::login(&sim).await;
    // Tenant team-a is in the default seed.
    let team = admin.in_tenant("team-a");
    for (kind, name, shared) in [
        ("icapprofile", "icap-custom", false),
        ("networksecuritypolicy", "nsp-custom", false),
        ("sslkeyandcertificate", "avi-cert", false),
        ("httppolicyset", "hps-custom", false),
        ("wafpolicy", "waf-app", true),
        ("applicationprofile", "app-http-custom", true),
    ] {
        let seen: Vec<Value> = team.list(&format!("/api/{kind}?name={name}")).await;
        assert_eq!(seen.len(), usize::from(shared), "{kind} {name} seen from team-a");
    }
}
