//! A listener's `allowedRoutes.namespaces.selector`: a Kubernetes label selector over the
//! labels of the Route's Namespace (`matchLabels` and `matchExpressions`, all of which must hold).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

/// Whether `selector` (as the Gateway holds it) selects a Namespace with `labels`. A selector
/// that does not parse, or has an unknown operator, selects nothing: a Route is never let in by
/// a rule ako-rs cannot read.
pub fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let Ok(selector) = serde_json::from_value::<LabelSelector>(selector.clone()) else {
        return false;
    };
    let labels_hold = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions_hold = selector.match_expressions.iter().flatten().all(|e| {
        let value = labels.get(&e.key);
        let listed = |v: &String| e.values.iter().flatten().any(|x| x == v);
        match e.operator.as_str() {
            "In" => value.is_some_and(listed),
            "NotIn" => !value.is_some_and(listed),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_hold && expressions_hold
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn match_labels_and_expressions_must_all_hold() {
        let ns = labels(&[("team", "shop"), ("env", "prod")]);
        assert!(selects(&json!({"matchLabels": {"team": "shop"}}), &ns));
        assert!(!selects(&json!({"matchLabels": {"team": "web"}}), &ns));
        let expr =
            |op: &str, values: &[&str]| json!({"matchExpressions": [{"key": "env", "operator": op, "values": values}]});
        assert!(selects(&expr("In", &["prod", "test"]), &ns));
        assert!(!selects(&expr("NotIn", &["prod"]), &ns));
        assert!(selects(&expr("NotIn", &["test"]), &ns));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "env", "operator": "Exists"}]}),
            &ns
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}),
            &ns
        ));
        assert!(!selects(
            &json!({"matchLabels": {"team": "shop"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["test"]}]}),
            &ns
        ));
        assert!(selects(&json!({}), &ns), "an empty selector selects every namespace");
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "env", "operator": "Near"}]}),
            &ns
        ));
        assert!(!selects(&json!("garbage"), &ns));
    }
}
