//! AKO's CustomResourceDefinitions as ako-rs ships them (`deploy/helm/ako/crds`, generated from
//! the Rust types by `ako crds`):
//!
//! * the committed files are what `ako crds` generates (run `scripts/gen-crds.sh` when not);
//! * they are compatible with AKO's published CRDs (`../shared/reference/ako-chart/crds`): the
//!   same names, scope and versions; every field of AKO's schema exists with the same type, enum
//!   and default; nothing AKO accepts is refused by a `required` ako-rs adds;
//! * on a real API server (testenv) an object setting every field is accepted and read by
//!   ako-rs's types without losing a field, and invalid objects are refused naming the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ako_testenv::{TestNamespace, install_crd, shared_path};
use ako_translate::crds::{AviInfraSetting, HostRule, HttpRule, L4Rule, L7Rule, SsoRule};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chart_crds() -> PathBuf {
    repo().join("deploy/helm/ako/crds")
}

/// The CRDs AKO's chart publishes that ako-rs ships too.
const SHIPPED: &[&str] = &[
    "ako.vmware.com_aviinfrasettings.yaml",
    "ako.vmware.com_hostrules.yaml",
    "ako.vmware.com_httprules.yaml",
    "ako.vmware.com_l4rules.yaml",
    "ako.vmware.com_l7rules.yaml",
    "ako.vmware.com_ssorules.yaml",
];

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_charts_crds_are_what_ako_crds_generates() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ako"))
        .args(["crds", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run ako crds");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(dir.path()), names(&chart_crds()), "run scripts/gen-crds.sh");
    for name in names(dir.path()) {
        let generated = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let committed = std::fs::read_to_string(chart_crds().join(&name)).unwrap();
        assert!(
            generated == committed,
            "deploy/helm/ako/crds/{name} is stale: run scripts/gen-crds.sh"
        );
    }
    let mut shipped: Vec<&str> = SHIPPED.to_vec();
    shipped.sort();
    assert_eq!(names(dir.path()), shipped);
}

/// Every property path of `schema` with its type, enum and default, and the `required` list of
/// every object, keyed by path.
fn walk(
    schema: &Value,
    path: &str,
    fields: &mut BTreeMap<String, Value>,
    required: &mut BTreeMap<String, Vec<String>>,
) {
    let facts = json!({
        "type": schema.get("type"),
        "enum": schema.get("enum"),
        "default": schema.get("default"),
        "items.type": schema.pointer("/items/type"),
        "minimum": schema.get("minimum").and_then(Value::as_f64),
        "maximum": schema.get("maximum").and_then(Value::as_f64),
        "pattern": schema.get("pattern"),
    });
    fields.insert(path.to_owned(), facts);
    if let Some(r) = schema.get("required").and_then(Value::as_array) {
        let mut names: Vec<String> = r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        names.sort();
        required.insert(path.to_owned(), names);
    }
    for (name, sub) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        walk(sub, &format!("{path}.{name}"), fields, required);
    }
    if let Some(items) = schema.get("items") {
        walk(items, &format!("{path}[]"), fields, required);
    }
}

#[test]
fn the_crds_are_compatible_with_akos_published_schemas() {
    for file in SHIPPED {
        let akos = read_yaml(&shared_path(format!("reference/ako-chart/crds/{file}")));
        let ours = read_yaml(&chart_crds().join(file));
        for field in [
            "/metadata/name",
            "/spec/group",
            "/spec/scope",
            "/spec/names/kind",
            "/spec/names/plural",
        ] {
            assert_eq!(ours.pointer(field), akos.pointer(field), "{file}: {field}");
        }
        let short = |v: &Value| {
            let mut s: Vec<String> = v
                .pointer("/spec/names/shortNames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect();
            s.sort();
            s
        };
        assert_eq!(short(&ours), short(&akos), "{file}: short names");
        let versions = |v: &Value| -> BTreeMap<String, Value> {
            v.pointer("/spec/versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|ver| (ver["name"].as_str().unwrap().to_owned(), ver.clone()))
                .collect()
        };
        let (akos_versions, our_versions) = (versions(&akos), versions(&ours));
        for (name, akos_version) in &akos_versions {
            let ours_version = our_versions
                .get(name)
                .unwrap_or_else(|| panic!("{file}: version {name} is not served"));
            for flag in ["served", "storage"] {
                assert_eq!(ours_version[flag], akos_version[flag], "{file} {name}: {flag}");
            }
            let (mut af, mut ar, mut of, mut or) = Default::default();
            walk(&akos_version["schema"]["openAPIV3Schema"], "", &mut af, &mut ar);
            walk(&ours_version["schema"]["openAPIV3Schema"], "", &mut of, &mut or);
            for (path, facts) in &af {
                let ours = of
                    .get(path)
                    .unwrap_or_else(|| panic!("{file} {name}: AKO's field {path} is missing"));
                for fact in ["enum", "default", "items.type", "minimum", "maximum", "pattern"] {
                    if !facts[fact].is_null() {
                        assert_eq!(ours[fact], facts[fact], "{file} {name}: {path} {fact}");
                    }
                }
                // AKO leaves `type` out at the top; where it says one, ours is the same.
                if !facts["type"].is_null() {
                    assert_eq!(ours["type"], facts["type"], "{file} {name}: {path} type");
                }
            }
            for (path, ours_required) in &or {
                let akos_required = ar.get(path).cloned().unwrap_or_default();
                for r in ours_required {
                    assert!(
                        akos_required.contains(r),
                        "{file} {name}: {path}.{r} is required by ako-rs but not by AKO: AKO users' objects would be refused"
                    );
                }
            }
            for (path, akos_required) in &ar {
                assert_eq!(or.get(path), Some(akos_required), "{file} {name}: {path} required");
            }
            assert_eq!(
                ours_version["additionalPrinterColumns"], akos_version["additionalPrinterColumns"],
                "{file} {name}: printer columns"
            );
            assert_eq!(
                ours_version.pointer("/subresources/status"),
                akos_version.pointer("/subresources/status"),
                "{file} {name}: status subresource"
            );
        }
    }
}

fn example(name: &str) -> Value {
    read_yaml(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crds").join(name))
}

/// The example `spec` read by the Rust type `T` and written back is the same JSON: no field of
/// AKO's schema is unknown to ako-rs.
fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(object: &Value) {
    let typed: T = serde_json::from_value(object.clone()).expect("the example fits the Rust type");
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back["spec"], object["spec"], "a field was lost");
}

#[test]
fn every_field_of_the_examples_is_read_by_the_rust_types() {
    round_trips::<HostRule>(&example("hostrule-every-field.yaml"));
    round_trips::<HttpRule>(&example("httprule-every-field.yaml"));
    round_trips::<AviInfraSetting>(&example("aviinfrasetting-every-field.yaml"));
    round_trips::<L4Rule>(&example("l4rule-every-field.yaml"));
    round_trips::<L7Rule>(&example("l7rule-every-field.yaml"));
    round_trips::<SsoRule>(&example("ssorule-oauth-every-field.yaml"));
    round_trips::<SsoRule>(&example("ssorule-saml-every-field.yaml"));
}

/// Creating `object` must fail with 422 Invalid, naming `field`.
async fn assert_invalid(api: &Api<DynamicObject>, object: DynamicObject, field: &str) {
    let name = object.name_any();
    match api.create(&PostParams::default(), &object).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(
                (status.code, status.reason.as_str()),
                (422, "Invalid"),
                "{name}: {status:?}"
            );
            assert!(
                status.message.contains(field),
                "{name}: {field} not named: {}",
                status.message
            );
        }
        Ok(created) => panic!("{name} is invalid but was accepted: {created:?}"),
        Err(other) => panic!("{name}: expected 422 Invalid, got {other:?}"),
    }
}

/// `object` named `name`, with `value` at `pointer` (a new field of an existing object, or a
/// replaced value; `null` removes the field).
fn with(mut object: Value, pointer: &str, value: Value, name: &str) -> Value {
    object["metadata"]["name"] = json!(name);
    let (parent, field) = pointer.rsplit_once('/').unwrap_or_else(|| panic!("{pointer}"));
    match object.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}")) {
        Value::Object(map) if value.is_null() => {
            map.remove(field).unwrap_or_else(|| panic!("{pointer}: no such field"));
        }
        Value::Object(map) => {
            map.insert(field.to_owned(), value);
        }
        Value::Array(items) => items[field.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer}: not in an object or a list"),
    }
    object
}

#[tokio::test]
async fn the_api_server_accepts_every_field_and_refuses_invalid_values() {
    let ns = TestNamespace::new("crds").await;
    for file in SHIPPED {
        install_crd(&ns.client(), chart_crds().join(file))
            .await
            .expect("install the CRD");
    }
    let api = |kind: &str, plural: &str| {
        let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", kind);
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        Api::<DynamicObject>::namespaced_with(ns.client(), ns.name(), &resource)
    };
    let dynamic = |v: Value| -> DynamicObject { serde_json::from_value(v).unwrap() };
    let (hostrules, httprules) = (api("HostRule", "hostrules"), api("HTTPRule", "httprules"));

    let host = example("hostrule-every-field.yaml");
    let created = hostrules
        .create(&PostParams::default(), &dynamic(host.clone()))
        .await
        .expect("a HostRule with every field is accepted");
    let stored: Value = serde_json::to_value(&created).unwrap();
    assert_eq!(stored["spec"], host["spec"], "stored as written");
    round_trips::<HostRule>(&stored);
    let http = example("httprule-every-field.yaml");
    let created = httprules
        .create(&PostParams::default(), &dynamic(http.clone()))
        .await
        .expect("an HTTPRule with every field is accepted");
    round_trips::<HttpRule>(&serde_json::to_value(&created).unwrap());

    // Defaults come from the schema, as with AKO's CRD.
    let minimal = json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule",
        "metadata": {"name": "minimal"}, "spec": {"virtualhost": {"fqdn": "a.avi.internal"}}});
    let created = hostrules
        .create(&PostParams::default(), &dynamic(minimal.clone()))
        .await
        .unwrap();
    assert_eq!(created.data["spec"]["virtualhost"]["fqdnType"], "Exact");

    let invalid_hosts = [
        ("/spec/virtualhost/fqdnType", json!("Bogus"), "fqdnType"),
        ("/spec/virtualhost/enableVirtualHost", json!("yes"), "enableVirtualHost"),
        ("/spec/virtualhost/tls/sslKeyCertificate/type", json!("file"), "type"),
        ("/spec/virtualhost/tls/termination", json!("passthrough"), "termination"),
        ("/spec/virtualhost/tcpSettings/listeners/0/port", json!(70000), "port"),
        (
            "/spec/virtualhost/analyticsPolicy/fullClientLogs/throttle",
            json!("SOMETIMES"),
            "throttle",
        ),
        ("/spec/virtualhost/aliases", json!("one.example.com"), "aliases"),
    ];
    for (i, (pointer, value, field)) in invalid_hosts.into_iter().enumerate() {
        let bad = with(host.clone(), pointer, value, &format!("bad-host-{i}"));
        assert_invalid(&hostrules, dynamic(bad), field).await;
    }
    let no_fqdn = json!({"apiVersion": "ako.vmware.com/v1beta1", "kind": "HostRule",
        "metadata": {"name": "no-fqdn"}, "spec": {"virtualhost": {"wafPolicy": "x"}}});
    assert_invalid(&hostrules, dynamic(no_fqdn), "fqdn").await;
    let invalid_http = [
        ("/spec/paths/0/target", json!("api"), "target"),
        (
            "/spec/paths/0/loadBalancerPolicy/algorithm",
            json!("LB_ALGORITHM_RANDOM"),
            "algorithm",
        ),
        ("/spec/paths/0/tls/type", json!("edge"), "type"),
        ("/spec/paths/0/enableHTTP2", json!("true"), "enableHTTP2"),
    ];
    for (i, (pointer, value, field)) in invalid_http.into_iter().enumerate() {
        let bad = with(http.clone(), pointer, value, &format!("bad-http-{i}"));
        assert_invalid(&httprules, dynamic(bad), field).await;
    }

    // AviInfraSettings are cluster-scoped: named after the test namespace, removed at the end.
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1beta1", "AviInfraSetting");
    let infras = Api::<DynamicObject>::all_with(
        ns.client(),
        &ApiResource::from_gvk_with_plural(&gvk, "aviinfrasettings"),
    );
    let mut infra = example("aviinfrasetting-every-field.yaml");
    let prefix = ns.name().to_owned();
    infra["metadata"]["name"] = json!(format!("{prefix}-every-field"));
    let created = infras
        .create(&PostParams::default(), &dynamic(infra.clone()))
        .await
        .expect("an AviInfraSetting with every field is accepted");
    round_trips::<AviInfraSetting>(&serde_json::to_value(&created).unwrap());
    let invalid_infras = [
        ("/spec/l7Settings/shardSize", json!("HUGE"), "shardSize"),
        ("/spec/network/listeners/0/port", json!(0), "port"),
        ("/spec/network/enableRhi", json!("yes"), "enableRhi"),
        (
            "/spec/network/vipNetworks/1",
            json!({"cidr": "10.0.0.0/24"}),
            "vipNetworks",
        ),
        ("/spec/seGroup", json!({}), "name"),
    ];
    for (i, (pointer, value, field)) in invalid_infras.into_iter().enumerate() {
        let bad = with(infra.clone(), pointer, value, &format!("{prefix}-bad-infra-{i}"));
        assert_invalid(&infras, dynamic(bad), field).await;
    }
    infras
        .delete(&format!("{prefix}-every-field"), &Default::default())
        .await
        .expect("delete the AviInfraSetting");

    // L4Rules and L7Rules (v1alpha2 only): every field accepted, values at their invalid edges refused.
    let alpha2 = |kind: &str, plural: &str| {
        let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1alpha2", kind);
        Api::<DynamicObject>::namespaced_with(ns.client(), ns.name(), &ApiResource::from_gvk_with_plural(&gvk, plural))
    };
    let (l4rules, l7rules) = (alpha2("L4Rule", "l4rules"), alpha2("L7Rule", "l7rules"));
    let l4 = example("l4rule-every-field.yaml");
    let created = l4rules
        .create(&PostParams::default(), &dynamic(l4.clone()))
        .await
        .expect("an L4Rule with every field is accepted");
    round_trips::<L4Rule>(&serde_json::to_value(&created).unwrap());
    let invalid_l4 = [
        ("/spec/backendProperties/0/port", json!(0), "port"),
        ("/spec/backendProperties/0/protocol", json!("HTTP"), "protocol"),
        (
            "/spec/backendProperties/0/lbAlgorithm",
            json!("LB_ALGORITHM_BOGUS"),
            "lbAlgorithm",
        ),
        ("/spec/listenerProperties/0/port", json!(65536), "port"),
        ("/spec/performanceLimits/maxThroughput", json!(65536), "maxThroughput"),
    ];
    for (i, (pointer, value, field)) in invalid_l4.into_iter().enumerate() {
        let bad = with(l4.clone(), pointer, value, &format!("bad-l4-{i}"));
        assert_invalid(&l4rules, dynamic(bad), field).await;
    }
    let l7 = example("l7rule-every-field.yaml");
    let created = l7rules
        .create(&PostParams::default(), &dynamic(l7.clone()))
        .await
        .expect("an L7Rule with every field is accepted");
    round_trips::<L7Rule>(&serde_json::to_value(&created).unwrap());
    let invalid_l7 = [
        ("/spec/minPoolsUp", json!(65536), "minPoolsUp"),
        ("/spec/sslSessCacheAvgSize", json!(512), "sslSessCacheAvgSize"),
        ("/spec/wafPolicy/kind", json!("Secret"), "kind"),
        (
            "/spec/analyticsPolicy/fullClientLogs/throttle",
            json!("SOMETIMES"),
            "throttle",
        ),
        (
            "/spec/performanceLimits/maxConcurrentConnections",
            json!(-1),
            "maxConcurrentConnections",
        ),
        ("/spec/allowInvalidClientCert", json!("yes"), "allowInvalidClientCert"),
    ];
    for (i, (pointer, value, field)) in invalid_l7.into_iter().enumerate() {
        let bad = with(l7.clone(), pointer, value, &format!("bad-l7-{i}"));
        assert_invalid(&l7rules, dynamic(bad), field).await;
    }
    // Defaults come from the schema: what `ako plan` assumes for an L7Rule written without them.
    let minimal = json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "L7Rule",
        "metadata": {"name": "minimal"}, "spec": {"minPoolsUp": 2}});
    let created = l7rules.create(&PostParams::default(), &dynamic(minimal)).await.unwrap();
    assert_eq!(created.data["spec"]["sslSessCacheAvgSize"], 1024);
    assert_eq!(created.data["spec"]["allowInvalidClientCert"], false);

    // SSORules (v1alpha2 only): every field of either kind accepted, invalid values refused.
    let ssorules = alpha2("SSORule", "ssorules");
    let oauth = example("ssorule-oauth-every-field.yaml");
    let saml = example("ssorule-saml-every-field.yaml");
    for sso in [&oauth, &saml] {
        let created = ssorules
            .create(&PostParams::default(), &dynamic(sso.clone()))
            .await
            .expect("an SSORule with every field is accepted");
        round_trips::<SsoRule>(&serde_json::to_value(&created).unwrap());
    }
    let settings = "/spec/oauthVsConfig/oauthSettings";
    let invalid_sso = [
        (
            oauth.clone(),
            "/spec/samlSpConfig",
            saml["spec"]["samlSpConfig"].clone(),
            "spec",
        ),
        (oauth.clone(), "/spec/oauthVsConfig", Value::Null, "spec"),
        (oauth.clone(), "/spec/fqdn", Value::Null, "fqdn"),
        (oauth.clone(), "/spec/ssoPolicyRef", Value::Null, "ssoPolicyRef"),
        (
            oauth.clone(),
            "/spec/oauthVsConfig/cookieTimeout",
            json!(0),
            "cookieTimeout",
        ),
        (
            oauth.clone(),
            &format!("{settings}/0/resourceServer/accessType"),
            json!("ACCESS_TOKEN_TYPE_BEARER"),
            "accessType",
        ),
        (
            oauth.clone(),
            &format!("{settings}/0/resourceServer/jwtParams"),
            Value::Null,
            "resourceServer",
        ),
        (
            oauth.clone(),
            &format!("{settings}/1/resourceServer/introspectionDataTimeout"),
            json!(1441),
            "introspectionDataTimeout",
        ),
        (
            oauth.clone(),
            &format!("{settings}/0/authProfileRef"),
            Value::Null,
            "authProfileRef",
        ),
        (
            oauth.clone(),
            &format!("{settings}/0/appSettings/clientSecret"),
            Value::Null,
            "clientSecret",
        ),
        (saml.clone(), "/spec/samlSpConfig/acsIndex", json!(65), "acsIndex"),
        (
            saml.clone(),
            "/spec/samlSpConfig/authnReqAcsType",
            json!("SAML_AUTHN_REQ_ACS_TYPE_ANY"),
            "authnReqAcsType",
        ),
        (saml.clone(), "/spec/samlSpConfig/entityID", Value::Null, "entityID"),
    ];
    for (i, (base, pointer, value, field)) in invalid_sso.into_iter().enumerate() {
        let bad = with(base, pointer, value, &format!("bad-sso-{i}"));
        assert_invalid(&ssorules, dynamic(bad), field).await;
    }
    // The schema's defaults, which the translation assumes for a rule written without them.
    let minimal = json!({"apiVersion": "ako.vmware.com/v1alpha2", "kind": "SSORule",
        "metadata": {"name": "sso-minimal"}, "spec": {"fqdn": "m.avi.internal", "ssoPolicyRef": "sso-oauth",
        "oauthVsConfig": {"oauthSettings": [{"authProfileRef": "auth-oauth",
            "appSettings": {"clientID": "c", "clientSecret": "s", "oidcConfig": {"oidcEnable": true}},
            "resourceServer": {"accessType": "ACCESS_TOKEN_TYPE_OPAQUE",
                "opaqueTokenParams": {"serverID": "i", "serverSecret": "t"}}}]}}});
    let created = ssorules
        .create(&PostParams::default(), &dynamic(minimal))
        .await
        .unwrap();
    let config = &created.data["spec"]["oauthVsConfig"];
    assert_eq!(config["cookieTimeout"], 60);
    assert_eq!(config["oauthSettings"][0]["appSettings"]["oidcConfig"]["profile"], true);
    assert_eq!(
        config["oauthSettings"][0]["resourceServer"]["introspectionDataTimeout"],
        0
    );

    // An object written against v1alpha1, as older AKO users have them, is served too.
    let alpha = json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "HostRule",
        "metadata": {"name": "alpha"}, "spec": {"virtualhost": {"fqdn": "b.avi.internal", "wafPolicy": "w"}}});
    let gvk = GroupVersionKind::gvk("ako.vmware.com", "v1alpha1", "HostRule");
    let alpha_api = Api::<DynamicObject>::namespaced_with(
        ns.client(),
        ns.name(),
        &ApiResource::from_gvk_with_plural(&gvk, "hostrules"),
    );
    alpha_api
        .create(&PostParams::default(), &dynamic(alpha))
        .await
        .expect("a v1alpha1 HostRule is accepted");
    ns.delete().await;
}
