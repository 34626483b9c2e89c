//! AKO's checksums of the objects it builds (`internal/nodes/avi_model_nodes.go`, `internal/lib/lib.go`),
//! reproduced from their canonical strings so that ako-rs computes the same `cloud_config_cksum`
//! as Go AKO and adopts its objects without a PUT.
//!
//! AKO hashes with FNV-1a 32 (`utils.Hash`) and serialises with Go's `encoding/json`
//! (`utils.Stringify`); sums wrap around at 2^32. The helpers below write JSON the way Go does
//! for the handful of shapes that are hashed.

use avi_model::checksum::fnv1a32;

/// `utils.Hash`.
pub fn hash(s: &str) -> u32 {
    fnv1a32(s.as_bytes())
}

/// A string as Go's `json.Marshal` writes it (HTML-safe escaping of `<`, `>`, `&`, U+2028/9).
pub fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `utils.Stringify` (Go's `json.Marshal`) of a value whose serde form has Go's field names and
/// order: serde's JSON with Go's HTML-safe escapes, which only occur inside strings.
pub fn go_json(v: &impl serde::Serialize) -> String {
    let plain = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `utils.Stringify` of a `[]string`; `null` for an empty (nil) slice.
pub fn go_json_strings<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "null".to_owned();
    }
    let inner: Vec<String> = items.iter().map(|s| go_json_string(s.as_ref())).collect();
    format!("[{}]", inner.join(","))
}

/// `lib.GetClusterLabelChecksum`: `Hash("clustername" + cluster)`.
pub fn cluster_label_checksum(cluster: &str) -> u32 {
    hash(&format!("clustername{cluster}"))
}

/// `lib.GetMarkersChecksum`: the non-empty marker values, sorted and concatenated, hashed,
/// plus the cluster label checksum.
pub fn markers_checksum(cluster: &str, values: &[&str]) -> u32 {
    let mut vals: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
    vals.sort_unstable();
    let combined = vals.concat();
    let own = if combined.is_empty() { 0 } else { hash(&combined) };
    own.wrapping_add(cluster_label_checksum(cluster))
}

/// One Service port as AKO's `AviPortHostProtocol` (only the fields L4 sets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortProto {
    /// Service port.
    pub port: i32,
    /// `targetPort`: a number or a named port.
    pub target_port: TargetPort,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// Service port name.
    pub name: String,
    /// `EnableSSL` (the L7 parent's 443).
    pub enable_ssl: bool,
    /// `EnableHTTP2` (an AviInfraSetting's listener).
    pub enable_http2: bool,
}

/// `intstr.IntOrString`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    /// A port number.
    Int(i32),
    /// A named container port.
    Name(String),
}

impl TargetPort {
    /// `IntVal` as Go reads it: 0 for a named port.
    pub fn int_val(&self) -> i32 {
        match self {
            TargetPort::Int(i) => *i,
            TargetPort::Name(_) => 0,
        }
    }

    fn go_json(&self) -> String {
        match self {
            TargetPort::Int(i) => i.to_string(),
            TargetPort::Name(s) => go_json_string(s),
        }
    }
}

impl PortProto {
    /// Go's JSON of the struct, field order as declared.
    fn go_json(&self) -> String {
        format!(
            "{{\"PortMap\":null,\"Port\":{},\"TargetPort\":{},\"Protocol\":{},\"Hosts\":null,\"Secret\":\"\",\"Passthrough\":false,\"Redirect\":false,\"EnableSSL\":{},\"EnableHTTP2\":{},\"Name\":{}}}",
            self.port,
            self.target_port.go_json(),
            go_json_string(&self.protocol),
            self.enable_ssl,
            self.enable_http2,
            go_json_string(&self.name)
        )
    }
}

/// The inputs of a VS checksum (`AviVsNode.CalculateCheckSum`).
#[derive(Clone, Debug, Default)]
pub struct VsChecksum<'a> {
    /// Names of the objects the VS refers to, each prefixed with its kind as AKO does
    /// (`VSVIP…`, `L4Policy…`, `Pool…` (L4 only), `HTTPDS…`, `HttpPolicy…`, `SSLKeyCert…`,
    /// `VHDomain…`, `SNINode…`), in any order.
    pub refs: Vec<String>,
    /// Application profile name as the model holds it (empty for an SNI child).
    pub application_profile: &'a str,
    /// SE group name.
    pub se_group: &'a str,
    /// Network profile as the model holds it (`Mixed-Network-Profile-Internal` for mixed
    /// protocols; empty for an SNI child).
    pub network_profile: &'a str,
    /// Ports, in model order (sorted here by name, stably, as Go's `sort.Slice` leaves them
    /// for AKO's inputs).
    pub ports: &'a [PortProto],
    /// `service_metadata.hostnames`.
    pub hostnames: &'a [String],
    /// `traffic_enabled`, when the model sets it.
    pub traffic_enabled: Option<bool>,
    /// `enable_rhi`, when the model sets it.
    pub enable_rhi: Option<bool>,
    /// The markers checksum.
    pub markers: u32,
    /// A HostRule's references, as AKO concatenates them before the hostnames
    /// ([`crate::rules::VsRule::checksum_refs`]); empty without one.
    pub rule_refs: String,
    /// `enabled` (a HostRule's `enableVirtualHost`).
    pub enabled: Option<bool>,
    /// The checksum of `analytics_policy`, when a HostRule sets one.
    pub analytics_policy: Option<u32>,
    /// The generated fields AKO hashes (a network security policy ref), in its order.
    pub generated: Vec<String>,
    /// EVH mode (`AviEvhVsNode.CalculateCheckSum`): the VS's host (empty for a parent), hashed
    /// after the ports; `hostnames` are then not hashed.
    pub evh_host: Option<&'a str>,
}

/// The reference an EVH VS's checksum takes under `fqdnReusePolicy: Strict`: the hash of its
/// `host=[ingresses]` map as Go prints it (empty for a parent), in decimal.
pub fn evh_strict_ref(host_ingresses: Option<(&str, &[String])>) -> String {
    let text = host_ingresses.map_or(String::new(), |(h, ings)| format!("{h}=[{}]", ings.join(" ")));
    hash(&text).to_string()
}

/// AKO's VS checksum.
pub fn vs_checksum(v: &VsChecksum<'_>) -> u32 {
    let mut refs = v.refs.clone();
    refs.sort();
    let mut ports: Vec<&PortProto> = v.ports.iter().collect();
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let ports: Vec<String> = ports.iter().map(|p| p.go_json()).collect();
    let ports = if ports.is_empty() {
        "null".to_owned()
    } else {
        format!("[{}]", ports.join(","))
    };
    let mut sum = hash(&format!(
        "{}{}{}{}{}{}",
        refs.join(":"),
        v.application_profile,
        v.se_group,
        v.network_profile,
        ports,
        v.evh_host.unwrap_or_default()
    ));
    // vsRefs: a HostRule's references, then (SNI mode) the hostnames.
    let mut vs_refs = v.rule_refs.clone();
    let mut hostnames = v.hostnames.to_vec();
    hostnames.sort();
    if !hostnames.is_empty() && v.evh_host.is_none() {
        vs_refs.push_str(&go_json_strings(&hostnames));
    }
    if !vs_refs.is_empty() {
        sum = sum.wrapping_add(hash(&vs_refs));
    }
    let flag = |b: bool| hash(if b { "true" } else { "false" });
    if let Some(e) = v.enabled {
        sum = sum.wrapping_add(flag(e));
    }
    if let Some(t) = v.traffic_enabled {
        sum = sum.wrapping_add(flag(t));
    }
    sum = sum.wrapping_add(v.markers);
    if let Some(r) = v.enable_rhi {
        sum = sum.wrapping_add(flag(r));
    }
    if let Some(a) = v.analytics_policy {
        sum = sum.wrapping_add(a);
    }
    sum.wrapping_add(hash(&v.generated.join(":")))
}

/// A pool server as AKO's `AviPoolMetaServer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaServer {
    /// IP address.
    pub addr: String,
    /// `V4` or `V6`.
    pub addr_type: &'static str,
    /// Node of the endpoint (ClusterIP mode).
    pub server_node: String,
    /// The server's own port (NodePortLocal); 0 means the pool's port.
    pub port: i32,
    /// `enabled`, unset in NodePort mode.
    pub enabled: Option<bool>,
}

impl MetaServer {
    fn go_json(&self) -> String {
        let enabled = match self.enabled {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        };
        format!(
            "{{\"Ip\":{{\"addr\":{},\"type\":{}}},\"ServerNode\":{},\"Port\":{},\"Enabled\":{}}}",
            go_json_string(&self.addr),
            go_json_string(self.addr_type),
            go_json_string(&self.server_node),
            self.port,
            enabled
        )
    }
}

/// A `nodeNetworkList` entry as AKO's `NodeNetworkMap`, keyed by UUID if set, else name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeNetworkEntry {
    /// Map key.
    pub key: String,
    /// `networkUUID`.
    pub network_uuid: String,
    /// `cidrs`.
    pub cidrs: Vec<String>,
}

/// Go's JSON of `map[string]NodeNetworkMap`: keys sorted; `null` when the map is nil.
pub fn node_network_map_json(entries: Option<&[NodeNetworkEntry]>) -> String {
    let Some(entries) = entries else {
        return "null".to_owned();
    };
    let mut sorted: Vec<&NodeNetworkEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted.dedup_by(|a, b| a.key == b.key);
    let inner: Vec<String> = sorted
        .iter()
        .map(|e| {
            format!(
                "{}:{{\"networkUUID\":{},\"cidrs\":{}}}",
                go_json_string(&e.key),
                go_json_string(&e.network_uuid),
                go_json_strings(&e.cidrs)
            )
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The inputs of a pool checksum (`AviPoolNode.CalculateCheckSum`).
#[derive(Clone, Debug)]
pub struct PoolChecksum<'a> {
    /// `TCP`, `UDP`, `SCTP`; empty for L7 pools.
    pub protocol: &'a str,
    /// The pool port after member computation (endpoint port or node port).
    pub port: i32,
    /// Service port name.
    pub port_name: &'a str,
    /// Servers, sorted by address.
    pub servers: &'a [MetaServer],
    /// Priority label (shared L7 VS pools).
    pub priority_label: &'a str,
    /// `Stringify(NetworkPlacementSettings)`.
    pub placement_json: &'a str,
    /// `service_metadata.namespace_svc_name`.
    pub namespace_svc_name: &'a [String],
    /// `service_metadata.hostnames`.
    pub hostnames: &'a [String],
    /// The markers checksum.
    pub markers: u32,
    /// What HTTPRules set.
    pub rule: PoolRuleChecksum<'a>,
}

/// The fields of a pool's checksum an HTTPRule sets.
#[derive(Clone, Debug, Default)]
pub struct PoolRuleChecksum<'a> {
    /// `lb_algorithm`.
    pub lb_algorithm: Option<&'a str>,
    /// `lb_algorithm_hash`.
    pub lb_algorithm_hash: Option<&'a str>,
    /// `lb_algorithm_consistent_hash_hdr`.
    pub lb_algorithm_consistent_hash_hdr: Option<&'a str>,
    /// `sni_enabled`.
    pub sni_enabled: bool,
    /// `ssl_profile_ref`.
    pub ssl_profile: Option<&'a str>,
    /// `pki_profile_ref` to a controller PKI profile.
    pub pki_profile: Option<&'a str>,
    /// `enable_http2`.
    pub enable_http2: Option<bool>,
    /// `health_monitor_refs` set by the rule.
    pub health_monitors: &'a [String],
    /// The checksum of the PKI profile ako-rs owns for the pool.
    pub own_pki_profile: Option<u32>,
    /// `application_persistence_profile_ref`.
    pub persistence: Option<&'a str>,
    /// `ssl_key_and_certificate_ref`.
    pub ssl_key_and_certificate: Option<&'a str>,
    /// AKO's generated pool fields, in its order: `analytics_policy.enable_realtime_metrics`,
    /// `enabled`, `min_servers_up`.
    pub realtime_metrics: Option<bool>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `min_servers_up`.
    pub min_servers_up: Option<u32>,
}

/// AKO's pool checksum.
pub fn pool_checksum(p: &PoolChecksum<'_>) -> u32 {
    let servers: Vec<String> = p.servers.iter().map(MetaServer::go_json).collect();
    let servers = if servers.is_empty() {
        "null".to_owned()
    } else {
        format!("[{}]", servers.join(","))
    };
    let r = &p.rule;
    let mut canonical = vec![
        p.protocol.to_owned(),
        p.port.to_string(),
        p.port_name.to_owned(),
        servers,
    ];
    canonical.extend(
        [r.lb_algorithm, r.lb_algorithm_hash, r.lb_algorithm_consistent_hash_hdr]
            .into_iter()
            .flatten()
            .map(str::to_owned),
    );
    canonical.push(r.sni_enabled.to_string());
    canonical.extend(r.ssl_profile.map(str::to_owned));
    canonical.push(p.priority_label.to_owned());
    canonical.push(p.placement_json.to_owned());
    canonical.extend(r.pki_profile.map(str::to_owned));
    canonical.extend(r.ssl_key_and_certificate.map(str::to_owned));
    for list in [p.namespace_svc_name, p.hostnames] {
        if !list.is_empty() {
            let mut sorted = list.to_vec();
            sorted.sort();
            canonical.push(go_json_strings(&sorted));
        }
    }
    canonical.extend(r.enable_http2.map(|b| b.to_string()));
    let mut sum = hash(&canonical.join(":"));
    if !r.health_monitors.is_empty() {
        sum = sum.wrapping_add(hash(&go_json_strings(r.health_monitors)));
    }
    if let Some(pki) = r.own_pki_profile {
        sum = sum.wrapping_add(pki);
    }
    if let Some(ref_) = r.persistence {
        sum = sum.wrapping_add(hash(ref_));
    }
    let mut generated = Vec::new();
    generated.extend(r.realtime_metrics.map(|m| format!("{{\"enableRealtimeMetrics\":{m}}}")));
    generated.extend(r.enabled.map(|e| e.to_string()));
    generated.extend(r.min_servers_up.map(|m| m.to_string()));
    sum.wrapping_add(p.markers).wrapping_add(hash(&generated.join(":")))
}

/// A VIP network as the VsVip checksum sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipNetworkKey {
    /// Network name.
    pub name: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// IPv6 CIDR.
    pub v6cidr: String,
    /// Network UUID.
    pub uuid: String,
}

/// AKO's VsVip checksum (`AviVSVIPNode.CalculateCheckSum`).
pub fn vsvip_checksum(
    cluster: &str,
    fqdns: &[String],
    ip: &str,
    networks: &[VipNetworkKey],
    bgp_peer_labels: &[String],
) -> u32 {
    let mut sum: u32 = 0;
    if !fqdns.is_empty() {
        let mut f = fqdns.to_vec();
        f.sort();
        sum = hash(&go_json_strings(&f));
    }
    if !ip.is_empty() {
        sum = sum.wrapping_add(hash(ip));
    }
    if !networks.is_empty() {
        let mut list: Vec<String> = networks
            .iter()
            .map(|n| {
                let mut s = format!("{}:{}", n.name, n.cidr);
                if !n.v6cidr.is_empty() {
                    s.push(':');
                    s.push_str(&n.v6cidr);
                }
                if !n.uuid.is_empty() {
                    s.push(':');
                    s.push_str(&n.uuid);
                }
                s
            })
            .collect();
        list.sort();
        sum = sum.wrapping_add(hash(&go_json_strings(&list)));
    }
    if !bgp_peer_labels.is_empty() {
        let mut l = bgp_peer_labels.to_vec();
        l.sort();
        sum = sum.wrapping_add(hash(&go_json_strings(&l)));
    }
    sum.wrapping_add(cluster_label_checksum(cluster))
}

/// AKO's L4PolicySet checksum (`lib.L4PolicyChecksum`), recomputed from the object's fields.
pub fn l4_policy_checksum(ports: &[i32], protocols: &[String], pools: &[String], markers: u32) -> u32 {
    let mut ports = ports.to_vec();
    ports.sort_unstable();
    let mut protocols = protocols.to_vec();
    protocols.sort();
    let mut pools = pools.to_vec();
    pools.sort();
    let ports_json = if ports.is_empty() {
        "null".to_owned()
    } else {
        format!("[{}]", ports.iter().map(i32::to_string).collect::<Vec<_>>().join(","))
    };
    hash(&ports_json)
        .wrapping_add(hash(&go_json_strings(&protocols)))
        .wrapping_add(hash(&go_json_strings(&pools)))
        .wrapping_add(markers)
}

/// A pool group member as the PG checksum serialises it (`avimodels.PoolGroupMember`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgMember {
    /// `pool_ref`, `/api/pool?name=<pool>`.
    pub pool_ref: String,
    /// `priority_label` (shared VS PG only).
    pub priority_label: Option<String>,
    /// `ratio`.
    pub ratio: u32,
}

impl PgMember {
    fn go_json(&self) -> String {
        let label = match &self.priority_label {
            Some(l) => format!(",\"priority_label\":{}", go_json_string(l)),
            None => String::new(),
        };
        format!(
            "{{\"pool_ref\":{}{label},\"ratio\":{}}}",
            go_json_string(&self.pool_ref),
            self.ratio
        )
    }
}

/// AKO's PoolGroup checksum: `Hash(Stringify(members sorted by pool_ref)) + markers`.
pub fn pool_group_checksum(members: &[PgMember], markers: u32) -> u32 {
    let mut sorted: Vec<&PgMember> = members.iter().collect();
    sorted.sort_by(|a, b| a.pool_ref.cmp(&b.pool_ref));
    let json = if sorted.is_empty() {
        "null".to_owned()
    } else {
        format!("[{}]", sorted.iter().map(|m| m.go_json()).collect::<Vec<_>>().join(","))
    };
    hash(&json).wrapping_add(markers)
}

/// AKO's VSDataScriptSet checksum (`lib.DSChecksum` + the script when one PG is referenced);
/// not stored on the controller.
pub fn datascript_checksum(cluster: &str, pool_groups: &[String], script: &str) -> u32 {
    let mut pgs = pool_groups.to_vec();
    pgs.sort();
    let mut sum = hash(&go_json_strings(&pgs)).wrapping_add(cluster_label_checksum(cluster));
    if pgs.len() == 1 {
        sum = sum.wrapping_add(hash(script));
    }
    sum
}

/// AKO's SSLKeyAndCertificate checksum (`lib.SSLKeyCertChecksum`); not stored on the controller.
pub fn ssl_checksum(name: &str, certificate: &str, ca_cert: &str, markers: u32) -> u32 {
    hash(&format!("{name}{certificate}{ca_cert}")).wrapping_add(markers)
}

/// One path rule of an SNI HTTP policy set (`AviHostPathPortPoolPG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPathRule {
    /// Identity of the rule (`GetSniHppMapName`).
    pub name: String,
    /// The path, if the Ingress path has one.
    pub path: Option<String>,
    /// Pool (noPGForSNI).
    pub pool: String,
    /// Pool group.
    pub pool_group: String,
    /// `EQUALS` or `BEGINS_WITH`.
    pub match_criteria: String,
    /// Ingress name.
    pub ingress: String,
    /// Service port of the backend.
    pub svc_port: i32,
    /// `MatchCase` (`INSENSITIVE` for a regex path; empty otherwise).
    pub match_case: String,
    /// `StringGroupRefs` (the string group of a regex path).
    pub string_group_refs: Vec<String>,
    /// The rule as first built, when a HostRule changed it afterwards (regex, application root).
    pub built_as: Option<Box<HostPathRule>>,
    /// AKO hashed it once more after the change (a regex path).
    pub rehashed: bool,
}

impl HostPathRule {
    /// A rule as built from an Ingress path.
    pub fn new(
        name: String,
        path: Option<String>,
        pool: String,
        pool_group: String,
        match_criteria: &str,
        ingress: String,
        svc_port: i32,
    ) -> Self {
        HostPathRule {
            name,
            path,
            pool,
            pool_group,
            match_criteria: match_criteria.to_owned(),
            ingress,
            svc_port,
            match_case: String::new(),
            string_group_refs: Vec::new(),
            built_as: None,
            rehashed: false,
        }
    }

    fn go_json(&self, checksum: u32) -> String {
        let path = match &self.path {
            Some(p) => format!("[{}]", go_json_string(p)),
            None => "null".to_owned(),
        };
        format!(
            "{{\"Name\":{},\"Checksum\":{checksum},\"Host\":null,\"Path\":{path},\"Port\":0,\"Pool\":{},\"PoolGroup\":{},\"MatchCriteria\":{},\"Protocol\":\"\",\"IngName\":{},\"MatchCase\":{},\"StringGroupRefs\":{},\"SvcPort\":{}}}",
            go_json_string(&self.name),
            go_json_string(&self.pool),
            go_json_string(&self.pool_group),
            go_json_string(&self.match_criteria),
            go_json_string(&self.ingress),
            go_json_string(&self.match_case),
            go_json_strings(&self.string_group_refs),
            self.svc_port
        )
    }

    /// The rule's contribution to its policy set's checksum. AKO hashes the rule when it is
    /// built (with `Checksum` 0), again after a regex HostRule changed it, and once more, with
    /// the last value inside, when it sums the policy set.
    pub fn checksum(&self) -> u32 {
        let mut sum = hash(&self.built_as.as_deref().unwrap_or(self).go_json(0));
        if self.rehashed {
            sum = hash(&self.go_json(sum));
        }
        hash(&self.go_json(sum))
    }
}

/// AKO's checksum of an HTTPPolicySet of one security rule (`action` on connections to `port`,
/// matched `IS_IN`).
pub fn security_policy_checksum(action: &str, port: u32, markers: u32) -> u32 {
    hash(action)
        .wrapping_add(hash("IS_IN"))
        .wrapping_add(port)
        .wrapping_add(markers)
}

/// AKO's HTTPPolicySet checksum: the rules' checksums, the redirect hosts, the markers.
pub fn http_policy_set_checksum(rules: &[HostPathRule], redirect_hosts: Option<&[String]>, markers: u32) -> u32 {
    path_policy_checksum(rules, 0, redirect_hosts, markers)
}

/// [`http_policy_set_checksum`] of a policy set that also has `host_less_redirects` redirect
/// rules without hosts (an application root's: each adds the hash of Go's `null`).
pub fn path_policy_checksum(
    rules: &[HostPathRule],
    host_less_redirects: usize,
    redirect_hosts: Option<&[String]>,
    markers: u32,
) -> u32 {
    let mut sum: u32 = 0;
    for r in rules {
        sum = sum.wrapping_add(r.checksum());
    }
    for _ in 0..host_less_redirects {
        sum = sum.wrapping_add(hash("null"));
    }
    if let Some(hosts) = redirect_hosts {
        let mut h = hosts.to_vec();
        h.sort();
        sum = sum.wrapping_add(hash(&go_json_strings(&h)));
    }
    sum.wrapping_add(markers)
}

/// `AviHttpPolicySetNode.CalculateCheckSum` of a host-header rewrite policy set: its
/// `AviHostHeaderRewrite` as Go's JSON, plus the markers.
pub fn host_rewrite_checksum(source_host: &str, target_host: &str, markers: u32) -> u32 {
    let rewrite = format!(
        "{{\"Name\":\"\",\"SourceHost\":{},\"TargetHost\":{}}}",
        go_json_string(source_host),
        go_json_string(target_host)
    );
    hash(&rewrite).wrapping_add(markers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_like_encoding_json() {
        assert_eq!(go_json_string("a<b>&\"c"), r#""a\u003cb\u003e\u0026\"c""#);
        assert_eq!(
            go_json(&serde_json::json!({"a": "x&y<z>"})),
            r#"{"a":"x\u0026y\u003cz\u003e"}"#
        );
        assert_eq!(go_json_strings::<String>(&[]), "null");
        assert_eq!(go_json_strings(&["x", "y"]), r#"["x","y"]"#);
    }

    #[test]
    fn markers_ignore_empty_values_and_order() {
        let a = markers_checksum("c", &["red-ns", "svc", "80"]);
        let b = markers_checksum("c", &["80", "", "svc", "red-ns"]);
        assert_eq!(a, b);
        assert_eq!(a, hash("80red-nssvc").wrapping_add(hash("clusternamec")));
        assert_eq!(markers_checksum("c", &[]), hash("clusternamec"));
    }

    #[test]
    fn port_proto_json_matches_go_field_order() {
        let p = PortProto {
            port: 80,
            target_port: TargetPort::Int(8080),
            protocol: "TCP".into(),
            name: "http".into(),
            enable_ssl: false,
            enable_http2: false,
        };
        assert_eq!(
            p.go_json(),
            r#"{"PortMap":null,"Port":80,"TargetPort":8080,"Protocol":"TCP","Hosts":null,"Secret":"","Passthrough":false,"Redirect":false,"EnableSSL":false,"EnableHTTP2":false,"Name":"http"}"#
        );
        let named = PortProto {
            target_port: TargetPort::Name("web".into()),
            ..p
        };
        assert!(named.go_json().contains(r#""TargetPort":"web""#));
    }

    #[test]
    fn server_json_matches_go() {
        let s = MetaServer {
            addr: "10.0.0.1".into(),
            addr_type: "V4",
            server_node: "n1".into(),
            port: 0,
            enabled: None,
        };
        assert_eq!(
            s.go_json(),
            r#"{"Ip":{"addr":"10.0.0.1","type":"V4"},"ServerNode":"n1","Port":0,"Enabled":null}"#
        );
    }

    #[test]
    fn node_network_map_sorted_by_key() {
        let e = |k: &str| NodeNetworkEntry {
            key: k.into(),
            network_uuid: String::new(),
            cidrs: vec!["10.0.0.0/24".into()],
        };
        assert_eq!(node_network_map_json(None), "null");
        assert_eq!(
            node_network_map_json(Some(&[e("b"), e("a")])),
            r#"{"a":{"networkUUID":"","cidrs":["10.0.0.0/24"]},"b":{"networkUUID":"","cidrs":["10.0.0.0/24"]}}"#
        );
    }
}
