//! `l4policyset`: port/protocol rules that select a pool, for L4 virtual services.

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// An L4 policy set.
    pub struct L4PolicySet: L4PolicySet {
        created_by: String,
        description: String,
        is_internal_policy: bool,
        l4_connection_policy: L4ConnectionPolicy,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// The connection rules.
    pub struct L4ConnectionPolicy {
        rules: Vec<L4Rule>,
    }
}

avi_struct! {
    /// One rule.
    pub struct L4Rule {
        name: String,
        index: u32,
        enable: bool,
        r#match: L4RuleMatchTarget,
        action: L4RuleAction,
    }
}

avi_struct! {
    /// What an L4 rule matches.
    pub struct L4RuleMatchTarget {
        port: L4RulePortMatch,
        protocol: L4RuleProtocolMatch,
    }
}

avi_struct! {
    /// Port match (`IS_IN`).
    pub struct L4RulePortMatch {
        match_criteria: String,
        ports: Vec<u32>,
    }
}

avi_struct! {
    /// Protocol match (`PROTOCOL_TCP`, `PROTOCOL_UDP`, `PROTOCOL_SCTP`).
    pub struct L4RuleProtocolMatch {
        match_criteria: String,
        protocol: String,
    }
}

avi_struct! {
    /// The rule's action.
    pub struct L4RuleAction {
        select_pool: L4RuleActionSelectPool,
    }
}

avi_struct! {
    /// Select a pool or pool group.
    pub struct L4RuleActionSelectPool {
        action_type: String,
        pool_ref: Ref,
        pool_group_ref: Ref,
    }
}
