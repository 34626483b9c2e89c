//! The identity AKO writes into every object it owns: `markers` (`lib.GetAllMarkers`,
//! `lib.GetMarkersChecksum`) and `service_metadata` (`lib.ServiceMetadataObj` as Go's
//! `encoding/json` writes it).

use serde_json::{Value, json};

use crate::checksum::{go_json_string, go_json_strings, markers_checksum};

/// The label (marker key) AKO puts on everything it owns, with the cluster name as value.
pub const CLUSTER_LABEL: &str = "clustername";

/// AKO's `utils.AviObjectMarkers` (the fields ako-rs sets), in declaration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markers {
    /// `Namespace`.
    pub namespace: String,
    /// `Host`.
    pub host: Vec<String>,
    /// `InfrasettingName`.
    pub infra_setting: String,
    /// `ServiceName`.
    pub service_name: String,
    /// `Path`.
    pub path: Vec<String>,
    /// `Port`.
    pub port: String,
    /// `Protocol`.
    pub protocol: String,
    /// `IngressName`.
    pub ingress_name: Vec<String>,
    /// `GatewayName`: the shared-VIP key of a LoadBalancer Service group (AKO reuses its
    /// advanced-L4 gateway markers for them).
    pub gateway_name: String,
    /// `GatewayNamespace`.
    pub gateway_namespace: String,
    /// `HTTPRouteName`.
    pub http_route_name: String,
    /// `HTTPRouteNamespace`.
    pub http_route_namespace: String,
    /// `HTTPRouteRuleName`: a named HTTPRoute rule's name.
    pub http_route_rule_name: String,
    /// `BackendName`: the Service of a Gateway API pool.
    pub backend_name: String,
    /// `BackendNs`: its namespace.
    pub backend_ns: String,
}

enum Field<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl Markers {
    fn fields(&self) -> [(&'static str, Field<'_>); 15] {
        [
            ("Namespace", Field::One(&self.namespace)),
            ("Host", Field::Many(&self.host)),
            ("InfrasettingName", Field::One(&self.infra_setting)),
            ("ServiceName", Field::One(&self.service_name)),
            ("Path", Field::Many(&self.path)),
            ("Port", Field::One(&self.port)),
            ("Protocol", Field::One(&self.protocol)),
            ("IngressName", Field::Many(&self.ingress_name)),
            ("GatewayName", Field::One(&self.gateway_name)),
            ("GatewayNamespace", Field::One(&self.gateway_namespace)),
            ("HTTPRouteName", Field::One(&self.http_route_name)),
            ("HTTPRouteNamespace", Field::One(&self.http_route_namespace)),
            ("HTTPRouteRuleName", Field::One(&self.http_route_rule_name)),
            ("BackendName", Field::One(&self.backend_name)),
            ("BackendNs", Field::One(&self.backend_ns)),
        ]
    }

    /// `markers[]` as sent: `clustername` first, then every set field in declaration order.
    /// A list field is sent when it has elements, even empty strings (AKO sends `Path: [""]`),
    /// sorted: AKO's marker checksum sorts the lists in place before the body is built.
    pub fn to_json(&self, cluster: &str) -> Value {
        let mut list = vec![json!({"key": CLUSTER_LABEL, "values": [cluster]})];
        for (key, field) in self.fields() {
            match field {
                Field::One(v) if !v.is_empty() => list.push(json!({"key": key, "values": [v]})),
                Field::Many(v) if !v.is_empty() => {
                    let mut v = v.to_vec();
                    v.sort();
                    list.push(json!({"key": key, "values": v}));
                }
                _ => {}
            }
        }
        Value::Array(list)
    }

    /// `lib.GetMarkersChecksum`: every field's value (lists sorted and joined with `-`),
    /// sorted and concatenated, hashed; plus the cluster label checksum.
    pub fn checksum(&self, cluster: &str) -> u32 {
        let values: Vec<String> = self
            .fields()
            .into_iter()
            .map(|(_, f)| match f {
                Field::One(v) => v.to_owned(),
                Field::Many(v) => {
                    let mut v = v.to_vec();
                    v.sort();
                    v.join("-")
                }
            })
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        markers_checksum(cluster, &values)
    }
}

/// AKO's `lib.ServiceMetadataObj` (the fields ako-rs sets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceMetadata {
    /// `namespace_ingress_name`: `ns/ingress` of every Ingress using an SNI child's host.
    pub namespace_ingress_name: Vec<String>,
    /// `ingress_name`.
    pub ingress_name: String,
    /// `namespace`.
    pub namespace: String,
    /// `hostnames`.
    pub hostnames: Vec<String>,
    /// `namespace_svc_name`: `ns/name` of an L4 VS's Service.
    pub namespace_svc_name: Vec<String>,
    /// `pool_ratio`.
    pub pool_ratio: u32,
    /// `crd_status` of the rule applied to the object, as (`type`, `value`); its status is
    /// `ACTIVE`.
    pub crd_status: Option<(&'static str, String)>,
    /// `passthrough_parent_ref`: the 443 VS of a passthrough `-insecure` VS.
    pub passthrough_parent_ref: String,
    /// `passthrough_child_ref`: the `-insecure` VS of a passthrough VS.
    pub passthrough_child_ref: String,
    /// `crd_status.status` is `INACTIVE` instead: what AKO leaves on an EVH host VS whose
    /// HostRule applies when no SSORule does (its SSORule pass marks the status inactive).
    pub crd_inactive: bool,
    /// `host_namespace_ingress_name` (EVH host VSes): `ns/ingress` of the Ingresses of each host.
    pub host_namespace_ingress_name: Vec<(String, Vec<String>)>,
    /// `insecureedgetermallow`: the HTTP pool of a Route's TLS host (`Allow`).
    pub insecure_edge_term_allow: bool,
    /// `gateway`: `ns/name` of the Gateway of a Gateway API VS.
    pub gateway: String,
    /// `httproute`: `ns/name` of the HTTPRoute of a Gateway API child VS.
    pub http_route: String,
    /// `httproute_rule_name`: the rule of that child (its name, or the hash of its matches).
    pub http_route_rule_name: String,
}

impl ServiceMetadata {
    /// The JSON string AKO stores (no omitempty, declaration order, `null` for empty lists).
    pub fn to_go_json(&self) -> String {
        format!(
            "{{\"namespace_ingress_name\":{},\"ingress_name\":{},\"namespace\":{},\"hostnames\":{},\"namespace_svc_name\":{},\"crd_status\":{{\"type\":{},\"value\":{},\"status\":{}}},\"pool_ratio\":{},\"passthrough_parent_ref\":{},\"passthrough_child_ref\":{},\"gateway\":{},\"httproute\":{},\"httproute_rule_name\":{},\"insecureedgetermallow\":{},\"is_mci_ingress\":false,\"fqdn_reuse_policy\":\"\",\"host_namespace_ingress_name\":{}}}",
            go_json_strings(&self.namespace_ingress_name),
            go_json_string(&self.ingress_name),
            go_json_string(&self.namespace),
            go_json_strings(&self.hostnames),
            go_json_strings(&self.namespace_svc_name),
            go_json_string(self.crd_status.as_ref().map_or("", |c| c.0)),
            go_json_string(self.crd_status.as_ref().map_or("", |c| c.1.as_str())),
            go_json_string(match &self.crd_status {
                None => "",
                Some(_) if self.crd_inactive => "INACTIVE",
                Some(_) => "ACTIVE",
            }),
            self.pool_ratio,
            go_json_string(&self.passthrough_parent_ref),
            go_json_string(&self.passthrough_child_ref),
            go_json_string(&self.gateway),
            go_json_string(&self.http_route),
            go_json_string(&self.http_route_rule_name),
            self.insecure_edge_term_allow,
            self.host_ingresses_json(),
        )
    }

    /// A Go map: keys sorted, `null` when empty.
    fn host_ingresses_json(&self) -> String {
        if self.host_namespace_ingress_name.is_empty() {
            return "null".to_owned();
        }
        let mut entries: Vec<&(String, Vec<String>)> = self.host_namespace_ingress_name.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let items: Vec<String> = entries
            .iter()
            .map(|(h, v)| format!("{}:{}", go_json_string(h), go_json_strings(v)))
            .collect();
        format!("{{{}}}", items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::hash;

    #[test]
    fn markers_json_in_declaration_order_skipping_unset() {
        let m = Markers {
            namespace: "ns".into(),
            host: vec!["h".into()],
            path: vec![String::new()],
            ingress_name: vec!["ing".into()],
            ..Markers::default()
        };
        assert_eq!(
            m.to_json("c"),
            json!([
                {"key": "clustername", "values": ["c"]},
                {"key": "Namespace", "values": ["ns"]},
                {"key": "Host", "values": ["h"]},
                {"key": "Path", "values": [""]},
                {"key": "IngressName", "values": ["ing"]},
            ])
        );
    }

    #[test]
    fn markers_checksum_sorts_values_and_joins_lists() {
        let m = Markers {
            namespace: "red".into(),
            path: vec!["/b".into(), "/a".into()],
            ..Markers::default()
        };
        assert_eq!(m.checksum("c"), hash("/a-/bred").wrapping_add(hash("clusternamec")));
        assert_eq!(Markers::default().checksum("c"), hash("clusternamec"));
    }

    #[test]
    fn service_metadata_is_go_shaped() {
        let s = ServiceMetadata {
            namespace_svc_name: vec!["ns/svc".into()],
            ..ServiceMetadata::default()
        }
        .to_go_json();
        assert!(s.starts_with(r#"{"namespace_ingress_name":null,"ingress_name":"","namespace":"","hostnames":null,"namespace_svc_name":["ns/svc"]"#));
        assert!(s.ends_with(r#""fqdn_reuse_policy":"","host_namespace_ingress_name":null}"#));
    }
}
