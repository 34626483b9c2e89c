//! What the Kubernetes API server would refuse, checked for manifests read from files (`ako plan`,
//! `ako demo`): a cluster never hands ako-rs such an object, so a plan must not show objects for
//! it. Only the fields translation reads are checked, with the API server's rules and its way of
//! naming them (`spec.rules[0].host: Invalid value: ...`).

use serde_json::Value;

/// The API server's objections to the Ingress `doc` (none: it would be accepted).
pub fn ingress(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let spec = &doc["spec"];
    for (r, rule) in array(&spec["rules"]).iter().enumerate() {
        // No host (or an empty one) is allowed: the rule is for every host.
        if let Some(host) = rule["host"].as_str().filter(|h| !h.is_empty())
            && let Err(why) = host_ok(host)
        {
            out.push(format!("spec.rules[{r}].host: Invalid value: {host:?}: {why}"));
        }
        for (p, path) in array(&rule["http"]["paths"]).iter().enumerate() {
            let at = format!("spec.rules[{r}].http.paths[{p}]");
            let kind = path["pathType"].as_str();
            match kind {
                None => out.push(format!("{at}.pathType: Required value: pathType must be specified")),
                Some("Exact" | "Prefix" | "ImplementationSpecific") => {}
                Some(other) => out.push(format!(
                    "{at}.pathType: Unsupported value: {other:?}: supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""
                )),
            }
            let value = path["path"].as_str().unwrap_or_default();
            if !value.starts_with('/') && (kind != Some("ImplementationSpecific") || !value.is_empty()) {
                out.push(format!("{at}.path: Invalid value: {value:?}: must be an absolute path"));
            } else if matches!(kind, Some("Exact" | "Prefix"))
                && let Some(bad) = ["//", "/./", "/../", "%2f", "%2F"]
                    .into_iter()
                    .find(|s| value.contains(s))
                    .or_else(|| ["/..", "/."].into_iter().find(|s| value.ends_with(s)))
            {
                out.push(format!("{at}.path: Invalid value: {value:?}: must not contain '{bad}'"));
            }
            backend(&path["backend"], &format!("{at}.backend"), &mut out);
        }
    }
    backend(&spec["defaultBackend"], "spec.defaultBackend", &mut out);
    for (t, tls) in array(&spec["tls"]).iter().enumerate() {
        for (h, host) in array(&tls["hosts"]).iter().enumerate() {
            if let Some(host) = host.as_str()
                && let Err(why) = host_ok(host)
            {
                out.push(format!("spec.tls[{t}].hosts[{h}]: Invalid value: {host:?}: {why}"));
            }
        }
    }
    out
}

/// The API server's objections to the SSORule `doc`: its CRD's schema wants exactly one of
/// `oauthVsConfig` and `samlSpConfig` (`oneOf`).
pub fn sso_rule(doc: &Value) -> Vec<String> {
    let spec = &doc["spec"];
    let set = ["oauthVsConfig", "samlSpConfig"]
        .iter()
        .filter(|k| !spec[**k].is_null())
        .count();
    if set == 1 {
        return Vec::new();
    }
    vec![format!(
        "spec: Invalid value: \"spec\" must validate one and only one schema (oneOf): \
         set exactly one of spec.oauthVsConfig and spec.samlSpConfig ({set} set)"
    )]
}

/// The API server's objections to the OpenShift Route `doc`, as OpenShift's Route CRD has them:
/// the termination and insecure policy enums, backend kinds and weights, no path and no `Allow`
/// with passthrough, the host's pattern.
pub fn route(doc: &Value) -> Vec<String> {
    let spec = &doc["spec"];
    let mut out = Vec::new();
    let tls = &spec["tls"];
    let termination = tls["termination"].as_str();
    if tls.is_object() {
        match termination {
            Some("edge" | "reencrypt" | "passthrough") => {}
            Some(other) => out.push(format!(
                "spec.tls.termination: Unsupported value: {other:?}: supported values: \"edge\", \"reencrypt\", \"passthrough\""
            )),
            None => out.push("spec.tls.termination: Required value".to_owned()),
        }
        match tls["insecureEdgeTerminationPolicy"].as_str() {
            None | Some("Allow" | "None" | "Redirect") => {}
            Some(other) => out.push(format!(
                "spec.tls.insecureEdgeTerminationPolicy: Unsupported value: {other:?}: supported values: \"Allow\", \"None\", \"Redirect\""
            )),
        }
        if termination == Some("passthrough") && tls["insecureEdgeTerminationPolicy"] == "Allow" {
            out.push(
                "spec.tls: Invalid value: cannot have both spec.tls.termination: passthrough and spec.tls.insecureEdgeTerminationPolicy: Allow"
                    .to_owned(),
            );
        }
    }
    if termination == Some("passthrough") && spec["path"].as_str().is_some_and(|p| !p.is_empty()) {
        out.push("spec.path: Invalid value: a passthrough Route has no path (spec.path must be empty)".to_owned());
    }
    let backends = std::iter::once(("spec.to".to_owned(), &spec["to"])).chain(
        array(&spec["alternateBackends"])
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("spec.alternateBackends[{i}]"), b)),
    );
    for (at, b) in backends {
        if let Some(kind) = b["kind"].as_str().filter(|k| !matches!(*k, "Service" | "")) {
            out.push(format!(
                "{at}.kind: Unsupported value: {kind:?}: supported values: \"Service\", \"\""
            ));
        }
        if let Some(w) = b["weight"].as_i64().filter(|w| !(0..=256).contains(w)) {
            out.push(format!(
                "{at}.weight: Invalid value: {w}: must be between 0 and 256, inclusive"
            ));
        }
    }
    if let Some(host) = spec["host"].as_str().filter(|h| !h.is_empty()) {
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if host.len() > 253 || !host.split('.').all(label_ok) {
            out.push(format!(
                "spec.host: Invalid value: {host:?}: labels of letters, digits and '-' (63 at most, not starting or ending with '-'), 253 characters in all"
            ));
        }
    }
    out
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// A backend's Service port: a number in 1..=65535 or a port name.
fn backend(b: &Value, at: &str, out: &mut Vec<String>) {
    let port = &b["service"]["port"];
    if b["service"].is_object()
        && port["number"].as_i64().unwrap_or(0) == 0
        && port["name"].as_str().unwrap_or("").is_empty()
    {
        // 0 is no port at all to the API server.
        out.push(format!("{at}: Required value: port name or number is required"));
    } else if let Some(n) = port["number"].as_i64()
        && !(1..=65535).contains(&n)
    {
        out.push(format!(
            "{at}.service.port.number: Invalid value: {n}: must be between 1 and 65535, inclusive"
        ));
    }
    if let Some(name) = port["name"].as_str()
        && (name.is_empty()
            || name.len() > 15
            || !name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            || !name.bytes().any(|c| c.is_ascii_lowercase()))
    {
        out.push(format!(
            "{at}.service.port.name: Invalid value: {name:?}: must be no more than 15 lowercase letters, digits and '-', with at least one letter"
        ));
    }
}

/// A host as the API server accepts it in an Ingress: a lowercase RFC 1123 subdomain, or one
/// with a leading `*.`; not an IP address.
fn host_ok(host: &str) -> Result<(), &'static str> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err("must be a DNS name, not an IP address");
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    // As the API server checks an Ingress host (IsDNS1123Subdomain): 253 characters at most,
    // labels of lowercase letters, digits and '-', not starting or ending with '-' (no label
    // length limit).
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', \
             and must start and end with an alphanumeric character (an optional leading '*.' for a wildcard)",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(host: &str, path: &str, path_type: Value, port: Value) -> Value {
        json!({"spec": {"rules": [{"host": host, "http": {"paths": [
            {"path": path, "pathType": path_type, "backend": {"service": {"name": "s", "port": port}}}]}}]}})
    }

    #[test]
    fn what_the_api_server_accepts_passes() {
        for host in ["a.b", "*.wild.avi.internal", "x-1.example.com", "a"] {
            assert_eq!(
                ingress(&one(host, "/", json!("Prefix"), json!({"number": 80}))),
                Vec::<String>::new()
            );
        }
        assert!(
            ingress(&one(
                "a.b",
                "",
                json!("ImplementationSpecific"),
                json!({"name": "http"})
            ))
            .is_empty()
        );
        assert!(ingress(&one("", "/", json!("Prefix"), json!({"number": 80}))).is_empty());
        assert!(ingress(&one("a.b", "/api/(.*)", json!("Exact"), json!({"number": 80}))).is_empty());
    }

    #[test]
    fn each_refusal_names_the_field() {
        let cases = [
            (
                one("Bad.Host", "/", json!("Prefix"), json!({"number": 80})),
                "spec.rules[0].host",
            ),
            (
                one("bücher.de", "/", json!("Prefix"), json!({"number": 80})),
                "spec.rules[0].host",
            ),
            (
                one("10.0.0.1", "/", json!("Prefix"), json!({"number": 80})),
                "spec.rules[0].host",
            ),
            (
                one("a.b", "api", json!("Prefix"), json!({"number": 80})),
                "spec.rules[0].http.paths[0].path",
            ),
            (
                one("a.b", "/", Value::Null, json!({"number": 80})),
                "spec.rules[0].http.paths[0].pathType",
            ),
            (
                one("a.b", "/a//b", json!("Prefix"), json!({"number": 80})),
                "spec.rules[0].http.paths[0].path",
            ),
            (
                one("a.b", "/a/..", json!("Exact"), json!({"number": 80})),
                "spec.rules[0].http.paths[0].path",
            ),
            (
                one("a.b", "/", json!("Regex"), json!({"number": 80})),
                "spec.rules[0].http.paths[0].pathType",
            ),
            (
                one("a.b", "/", json!("Exact"), json!({"number": 0})),
                "spec.rules[0].http.paths[0].backend",
            ),
            (
                one("a.b", "/", json!("Exact"), json!({"number": 65536})),
                "spec.rules[0].http.paths[0].backend.service.port.number",
            ),
            (
                one("a.b", "/", json!("Exact"), json!({"name": "HTTP_PORT"})),
                "spec.rules[0].http.paths[0].backend.service.port.name",
            ),
        ];
        for (doc, field) in cases {
            let errors = ingress(&doc);
            assert_eq!(errors.len(), 1, "{doc}: {errors:?}");
            assert!(errors[0].starts_with(&format!("{field}: ")), "{errors:?}");
        }
        // 254 characters; a trailing dot.
        let long = format!("{}.b", "a".repeat(252));
        for host in [long.as_str(), "a.b."] {
            assert_eq!(
                ingress(&one(host, "/", json!("Prefix"), json!({"number": 80}))).len(),
                1
            );
        }
        // A 64-character label is fine (the API server checks the name's length, not labels').
        let label = format!("{}.b", "a".repeat(64));
        assert!(ingress(&one(&label, "/", json!("Prefix"), json!({"number": 80}))).is_empty());
    }
}
