//! Keys of a values.yaml that AKO's chart does not have (a typo, most often: `clusterNam`): the
//! chart ignores them, and so would ako-rs, silently. They are reported, with the closest key of
//! the same section when one is near. The known keys are those of the chart's own values.yaml
//! (AKO's, key for key: `crates/ako/tests/helm_chart.rs` checks it).

use serde_json::Value;

/// The chart's values.yaml, the list of keys.
const CHART_VALUES: &str = include_str!("../../../deploy/helm/ako/values.yaml");

/// One key the chart does not know, e.g. `AKOSettings.clusterNam`, and the known key it is
/// closest to, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    /// The dotted path.
    pub key: String,
    /// The known key of the same section nearest to it (at most 2 edits away).
    pub did_you_mean: Option<String>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a key of AKO's values.yaml: it is ignored", self.key)?;
        if let Some(m) = &self.did_you_mean {
            write!(f, " (did you mean {m}?)")?;
        }
        Ok(())
    }
}

/// The keys of the values.yaml `text` that AKO's chart does not have (none when it is not YAML:
/// parsing reports that).
pub fn unknown_keys(text: &str) -> Vec<UnknownKey> {
    let Ok(given) = serde_saphyr::from_str::<Value>(text) else {
        return Vec::new();
    };
    let known: Value = serde_saphyr::from_str(CHART_VALUES).expect("the chart's values.yaml is YAML");
    let mut out = Vec::new();
    compare("", &given, &known, &mut out);
    out
}

/// The key of `known` `key` was most likely meant to be (at most two edits away), if any.
pub fn closest<'a>(known: impl Iterator<Item = &'a str>, key: &str) -> Option<&'a str> {
    known
        .map(|k| (strsim::damerau_levenshtein(k, key), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Keys of `given` missing in `known`, below `prefix`; maps are compared key by key, anything
/// else is a value (a list of networks is one value).
fn compare(prefix: &str, given: &Value, known: &Value, out: &mut Vec<UnknownKey>) {
    let (Value::Object(given), Value::Object(known)) = (given, known) else {
        return;
    };
    for (key, value) in given {
        let path = format!("{prefix}{key}");
        match known.get(key) {
            Some(k) => compare(&format!("{path}."), value, k, out),
            None => {
                let did_you_mean = closest(known.keys().map(String::as_str), key).map(|k| format!("{prefix}{k}"));
                out.push(UnknownKey {
                    key: path,
                    did_you_mean,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_found_with_the_key_meant() {
        let text = "AKOSettings:\n  clusterNam: c1\n  clusterName: c1\nNetworkSettings:\n  vipNetworkList: [{networkName: v}]\n  \
                    nodeNetworkLists: []\nL7Setings: {}\nimage: {repository: r}\n";
        // In the file's order.
        let found = unknown_keys(text);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "AKOSettings.clusterNam is not a key of AKO's values.yaml: it is ignored (did you mean AKOSettings.clusterName?)",
                "NetworkSettings.nodeNetworkLists is not a key of AKO's values.yaml: it is ignored (did you mean NetworkSettings.nodeNetworkList?)",
                "L7Setings is not a key of AKO's values.yaml: it is ignored (did you mean L7Settings?)",
            ]
        );
    }

    #[test]
    fn the_charts_own_values_and_lists_are_not_reported() {
        assert_eq!(unknown_keys(CHART_VALUES), []);
        assert_eq!(
            unknown_keys("NetworkSettings:\n  vipNetworkList: [{networkName: v, cidr: 1.2.3.0/24}]\n"),
            []
        );
        assert_eq!(unknown_keys("not: [valid"), []);
        assert_eq!(
            unknown_keys("zzzz: 1\n")[0],
            UnknownKey {
                key: "zzzz".into(),
                did_you_mean: None
            }
        );
    }
}
