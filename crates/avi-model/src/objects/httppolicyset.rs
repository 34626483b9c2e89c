//! `httppolicyset`: host/path rules that switch to pools or pool groups, or redirect.

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// An HTTP policy set.
    pub struct HTTPPolicySet: HttpPolicySet {
        cloud_config_cksum: String,
        created_by: String,
        description: String,
        http_request_policy: HTTPRequestPolicy,
        http_security_policy: serde_json::Value,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// The request rules of a policy set.
    pub struct HTTPRequestPolicy {
        rules: Vec<HTTPRequestRule>,
    }
}

avi_struct! {
    /// One request rule.
    pub struct HTTPRequestRule {
        name: String,
        index: u32,
        enable: bool,
        r#match: MatchTarget,
        switching_action: HTTPSwitchingAction,
        redirect_action: HTTPRedirectAction,
    }
}

avi_struct! {
    /// What a rule matches.
    pub struct MatchTarget {
        host_hdr: HostHdrMatch,
        path: PathMatch,
        vs_port: PortMatch,
    }
}

avi_struct! {
    /// Host header match.
    pub struct HostHdrMatch {
        match_criteria: String,
        match_case: String,
        value: Vec<String>,
    }
}

avi_struct! {
    /// Path match (`BEGINS_WITH`, `EQUALS`, ...), by strings or string groups.
    pub struct PathMatch {
        match_criteria: String,
        match_case: String,
        match_str: Vec<String>,
        string_group_refs: Vec<Ref>,
    }
}

avi_struct! {
    /// Listener port match.
    pub struct PortMatch {
        match_criteria: String,
        ports: Vec<u32>,
    }
}

avi_struct! {
    /// Switch to a pool or pool group.
    pub struct HTTPSwitchingAction {
        action: String,
        pool_ref: Ref,
        pool_group_ref: Ref,
        status_code: String,
    }
}

avi_struct! {
    /// Redirect (e.g. HTTP → HTTPS).
    pub struct HTTPRedirectAction {
        protocol: String,
        port: u32,
        status_code: String,
        keep_query: bool,
    }
}
