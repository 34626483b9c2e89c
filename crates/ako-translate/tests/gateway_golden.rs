//! Golden tests against Go AKO's Gateway API container: testdata/gateway/<case>/{in.yaml,
//! values.yaml, cloud.yaml, ako.json, gateway_status.json}, captured by running the container (built
//! from the same AKO 2.2.1 source as the L7 captures) against avisim with capture.sh
//! (testdata/gateway/README.md).
//!
//! Our translation of the same input must produce exactly the objects in `ako.json`, each with
//! exactly that body, checksums included.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ako_translate::{CloudFacts, Settings, Snapshot, translate};
use common::{captured_cases, diff_objects, load_case, load_snapshot};
use serde_json::Value;

fn cases() -> Vec<PathBuf> {
    captured_cases("gateway", "ako.json")
}

/// The captured case `name`.
fn case(name: &str) -> PathBuf {
    cases().into_iter().find(|d| d.ends_with(name)).unwrap()
}

/// `input` with `from` replaced by `to`, which the case must contain.
fn replaced(input: &str, from: &str, to: &str) -> String {
    assert!(input.contains(from), "the case has {from:?}, as the test expects");
    input.replace(from, to)
}

/// The bodies of the objects of `kind` a translation builds.
fn bodies(t: &ako_translate::Translation, kind: avi_model::ObjectType) -> Vec<(String, Value)> {
    t.models
        .values()
        .flat_map(|m| &m.objects)
        .filter(|o| o.kind == kind)
        .map(|o| (o.name.clone(), o.body.to_value()))
        .collect()
}

/// A case's objects (after the L7 cases' environment), with `extra` documents appended, and its
/// settings and cloud.
fn load_gateway_case(dir: &Path, extra: &str) -> (Snapshot, Settings, CloudFacts) {
    load_edited_case(dir, |input| input, extra)
}

/// [`load_gateway_case`] with the case's `in.yaml` passed through `edit` first.
fn load_edited_case(dir: &Path, edit: impl Fn(String) -> String, extra: &str) -> (Snapshot, Settings, CloudFacts) {
    let (input, settings, cloud) = load_case(dir);
    let env = std::fs::read_to_string(dir.join("../../l7/environment.yaml")).unwrap();
    let input = edit(input);
    (
        load_snapshot(&format!("{env}\n---\n{input}\n{extra}"), None),
        settings,
        cloud,
    )
}

fn compare_case(dir: &Path) -> Vec<String> {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let (snap, settings, cloud) = load_gateway_case(dir, "");
    let t = translate(&snap, &settings, &cloud);
    let ours: BTreeMap<(String, String), Value> = t
        .models
        .values()
        .flat_map(|m| &m.objects)
        .map(|o| ((o.kind.path().to_owned(), o.name.clone()), o.body.to_value()))
        .collect();
    let ako_list: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(dir.join("ako.json")).unwrap()).unwrap();
    let ako: BTreeMap<(String, String), &Value> = ako_list
        .iter()
        .map(|o| {
            (
                (
                    o["type"].as_str().unwrap().to_owned(),
                    o["name"].as_str().unwrap().to_owned(),
                ),
                &o["body"],
            )
        })
        .collect();
    diff_objects(&ours, &ako, |k| format!("{case} {} {}", k.0, k.1))
}

#[test]
fn captured_gateway_cases_match_go_ako_exactly() {
    let cases = cases();
    assert!(cases.len() >= 2, "the captured cases are present");
    let diffs: Vec<String> = cases.iter().flat_map(|c| compare_case(c)).collect();
    assert!(
        diffs.is_empty(),
        "{} difference(s) from Go AKO:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn without_the_feature_gate_gateways_are_not_served() {
    let dir = &cases()[0];
    let (snap, mut settings, cloud) = load_gateway_case(dir, "");
    settings.gateway_api = false;
    assert!(translate(&snap, &settings, &cloud).models.is_empty());
}

/// The controller facts of a captured case: every VsVip has the address Go AKO's Gateway got
/// in that run, every virtual service a uuid (compared as `virtualservice-<uuid>`).
struct Captured(String);

impl ako_translate::gateway::status::Programmed for Captured {
    fn vip(&self, _tenant: &str, _name: &str) -> Option<String> {
        Some(self.0.clone())
    }

    fn vs_uuid(&self, _tenant: &str, name: &str) -> Option<String> {
        Some(format!("virtualservice-{name}"))
    }
}

/// A status as compared: no transition times, virtual service uuids blanked, the two messages of
/// a resolved listener as one.
fn comparable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "lastTransitionTime")
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(comparable).collect()),
        // Go AKO writes a listener's ResolvedRefs message one way or the other depending on
        // whether its Secret's event came after the Gateway's (timing): both mean the same.
        Value::String(s) if s == "Reference is valid" => Value::String("All the references are valid".into()),
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("virtualservice-") {
                out.push_str(&rest[..i]);
                out.push_str("virtualservice-*");
                let tail = &rest[i + "virtualservice-".len()..];
                let end = tail.find('"').unwrap_or(tail.len());
                rest = &tail[end..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        other => other.clone(),
    }
}

#[test]
fn statuses_match_go_akos_but_for_uuids_and_times() {
    for dir in cases() {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (mut snap, settings, _) = load_gateway_case(&dir, "");
        let captured: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("gateway_status.json")).unwrap()).unwrap();
        // The objects at the generation Go AKO saw.
        for c in &captured {
            let key = ako_translate::NsName::new(c["namespace"].as_str().unwrap(), c["name"].as_str().unwrap());
            let generation = c["generation"].as_i64();
            match c["kind"].as_str().unwrap() {
                "GatewayClass" => snap.gateway_classes.get_mut(&key).unwrap().metadata.generation = generation,
                "Gateway" => snap.gateways.get_mut(&key).unwrap().metadata.generation = generation,
                _ => snap.http_routes.get_mut(&key).unwrap().metadata.generation = generation,
            }
        }
        let vip = captured
            .iter()
            .find_map(|c| c["status"]["addresses"][0]["value"].as_str())
            .unwrap()
            .to_owned();
        let ours = ako_translate::gateway::status::desired_statuses(&snap, &settings, &Captured(vip));
        assert_eq!(ours.len(), captured.len(), "{case}: {ours:?}");
        for c in &captured {
            let (ns, name) = (c["namespace"].as_str().unwrap(), c["name"].as_str().unwrap());
            let (_, want) = ours
                .iter()
                .find(|(k, _)| {
                    k.kind.as_str() == c["kind"].as_str().unwrap() && k.namespace() == ns && k.name() == name
                })
                .unwrap_or_else(|| panic!("{case}: no status for {} {ns}/{name}", c["kind"]));
            assert_eq!(
                comparable(want),
                comparable(&c["status"]),
                "{case} {} {ns}/{name}",
                c["kind"]
            );
        }
    }
}

/// Another namespace's Service, with (`granted`) a ReferenceGrant letting `shop`'s HTTPRoutes
/// refer to it.
fn other_namespace(granted: bool) -> String {
    let mut docs = String::from(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n\
         ---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: other}\n\
         spec: {clusterIP: 10.0.0.99, ports: [{port: 80, targetPort: 9000}]}\n\
         ---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
         metadata: {name: api-1, namespace: other, labels: {kubernetes.io/service-name: api}}\n\
         addressType: IPv4\nports: [{port: 9000}]\nendpoints: [{addresses: [10.9.0.1]}]\n",
    );
    if granted {
        docs.push_str(
            "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n\
             metadata: {name: from-shop, namespace: other}\n\
             spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}], to: [{group: '', kind: Service}]}\n",
        );
    }
    docs
}

#[test]
fn a_backend_of_another_namespace_is_served_only_with_a_reference_grant() {
    let dir = case("gw_basic");
    for granted in [false, true] {
        let (mut snap, settings, cloud) = load_gateway_case(&dir, &other_namespace(granted));
        let key = ako_translate::NsName::new("shop", "web");
        let backend = &mut snap.http_routes.get_mut(&key).unwrap().spec.rules[1].backend_refs[0];
        backend.namespace = Some("other".into());
        backend.name = "api".into();
        let t = translate(&snap, &settings, &cloud);
        let pools: Vec<Value> = bodies(&t, avi_model::ObjectType::Pool)
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let statuses = ako_translate::gateway::status::desired_statuses(&snap, &settings, &Captured("10.0.0.1".into()));
        let (_, route_status) = statuses
            .iter()
            .find(|(k, _)| k.kind == ako_translate::Kind::HttpRoute)
            .unwrap();
        let resolved = &route_status["parents"][0]["conditions"][1];
        if granted {
            assert_eq!(pools.len(), 2, "the granted Service has its pool");
            let other = pools.iter().find(|p| p["servers"][0]["ip"]["addr"] == "10.9.0.1");
            assert!(other.is_some(), "{pools:?}");
            assert_eq!(resolved["status"], "True", "{resolved}");
        } else {
            assert_eq!(
                pools.len(),
                1,
                "only the rule with a backend of its own namespace has a pool"
            );
            assert_eq!(resolved["status"], "False");
            assert_eq!(resolved["reason"], "RefNotPermitted");
            assert!(
                resolved["message"].as_str().unwrap().contains("other/api"),
                "{resolved}"
            );
        }
    }
}

/// gw_tls_filters with its listener's Secret moved to namespace `other`, with (`granted`) a
/// ReferenceGrant there letting `shop`'s Gateways use it.
fn certificate_elsewhere(dir: &Path, granted: bool) -> (Snapshot, Settings, CloudFacts) {
    let mut grant = String::from("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n");
    if granted {
        grant.push_str(
            "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n\
             metadata: {name: gateways-of-shop, namespace: other}\n\
             spec: {from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: shop}], \
             to: [{group: '', kind: Secret, name: web-tls}]}\n",
        );
    }
    let moved = |input: String| {
        let moved = replaced(
            &input,
            "metadata: {name: web-tls, namespace: shop}",
            "metadata: {name: web-tls, namespace: other}",
        );
        replaced(&moved, "- {name: web-tls}", "- {name: web-tls, namespace: other}")
    };
    load_edited_case(dir, moved, &grant)
}

#[test]
fn a_certificate_of_another_namespace_is_served_only_with_a_reference_grant() {
    let dir = case("gw_tls_filters");
    for granted in [false, true] {
        let (snap, settings, cloud) = certificate_elsewhere(&dir, granted);
        let t = translate(&snap, &settings, &cloud);
        let certificates = bodies(&t, avi_model::ObjectType::SslKeyAndCertificate).len();
        let statuses = ako_translate::gateway::status::desired_statuses(&snap, &settings, &Captured("10.0.0.1".into()));
        let (_, gateway) = statuses
            .iter()
            .find(|(k, _)| k.kind == ako_translate::Kind::Gateway)
            .unwrap();
        let https = gateway["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "https")
            .unwrap();
        let resolved = https["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "ResolvedRefs")
            .unwrap();
        if granted {
            assert_eq!(certificates, 1, "the granted Secret is the listener's certificate");
            assert_eq!(resolved["status"], "True", "{resolved}");
        } else {
            assert_eq!(certificates, 0, "no certificate from a Secret not granted");
            assert_eq!(resolved["status"], "False");
            assert_eq!(resolved["reason"], "RefNotPermitted");
            assert!(
                resolved["message"].as_str().unwrap().contains("other/web-tls"),
                "{resolved}"
            );
        }
    }
}

/// The SE group of gw_basic's parent when its GatewayClass names AviInfraSetting `blue` in
/// `parametersRef` (`blue` being `setting`, if given), and the translation's failures.
fn parent_se_group_with_class_setting(setting: Option<&str>) -> (String, Vec<String>) {
    let dir = case("gw_basic");
    let with_ref = |input: String| {
        replaced(
            &input,
            "spec: {controllerName: ako.vmware.com/avi-lb}",
            "spec: {controllerName: ako.vmware.com/avi-lb, parametersRef: {group: ako.vmware.com, kind: AviInfraSetting, name: blue}}",
        )
    };
    let extra = setting
        .map(|s| {
            format!(
                "---\napiVersion: ako.vmware.com/v1beta1\nkind: AviInfraSetting\nmetadata: {{name: blue}}\nspec: {s}\n"
            )
        })
        .unwrap_or_default();
    let (snap, settings, cloud) = load_edited_case(&dir, with_ref, &extra);
    let t = translate(&snap, &settings, &cloud);
    let (_, parent) = bodies(&t, avi_model::ObjectType::VirtualService)
        .into_iter()
        .find(|(name, _)| name.ends_with("-EVH"))
        .unwrap();
    let failures = t.failures.iter().map(|f| f.message.clone()).collect();
    (parent["se_group_ref"].as_str().unwrap().to_owned(), failures)
}

#[test]
fn a_gateway_class_parameters_ref_places_its_gateways_with_that_aviinfrasetting() {
    let (seg, failures) = parent_se_group_with_class_setting(Some("{seGroup: {name: infra-seg}}"));
    assert_eq!(seg, "/api/serviceenginegroup?name=infra-seg");
    assert!(failures.is_empty(), "{failures:?}");
    // A setting that does not exist: the global SE group, and the Gateway says why.
    let (seg, failures) = parent_se_group_with_class_setting(None);
    assert_eq!(seg, "/api/serviceenginegroup?name=Default-Group");
    assert!(
        failures
            .iter()
            .any(|f| f.contains("\"blue\" does not exist") && f.contains("global settings")),
        "{failures:?}"
    );
}

#[test]
fn a_dedicated_route_without_a_root_path_ends_with_a_404_rule() {
    let dir = case("gw_dedicated");
    let no_root = |input: String| {
        replaced(
            &input,
            "path: {type: PathPrefix, value: /}\n",
            "path: {type: PathPrefix, value: /shop}\n",
        )
    };
    let (snap, settings, cloud) = load_edited_case(&dir, no_root, "");
    let t = translate(&snap, &settings, &cloud);
    let (_, policy) = bodies(&t, avi_model::ObjectType::HttpPolicySet).remove(0);
    let rules = policy["http_request_policy"]["rules"].as_array().unwrap();
    let paths: Vec<&str> = rules
        .iter()
        .map(|r| r["match"]["path"]["match_str"][0].as_str().unwrap())
        .collect();
    // Most exact, then longest first; the 404 for everything else last.
    assert_eq!(paths, ["/api", "/static", "/shop", "/"]);
    let last = rules.last().unwrap();
    assert_eq!(last["name"], "default-backend-rule");
    assert_eq!(
        last["switching_action"]["status_code"],
        "HTTP_LOCAL_RESPONSE_STATUS_CODE_404"
    );
}
