//! AKO's HostRule, HTTPRule, L7Rule and SSORule in translation: whether a rule is Accepted
//! ([`verdict`], against what the controller holds: [`catalog`]), where it applies
//! ([`matching`]) and what it sets on a virtual service ([`vs_rule`], [`l7_rule`], [`sso_rule`],
//! hashed as [`generated`]) or a pool ([`pool_rule`]).

pub mod catalog;
pub mod generated;
pub mod judge;
pub mod l7_rule;
pub mod matching;
pub mod named;
pub mod pool_rule;
pub mod sso_rule;
pub mod verdict;
pub mod vs_rule;

pub use catalog::{ControllerRef, RefCatalog, RefState};
pub use judge::{every_rule, rule_verdict};
pub use l7_rule::{l7_rule_of, l7_rule_refs, l7_rule_verdict};
pub use matching::{PathRule, host_rule_for, path_rules_for, shared_vs_rule_for};
pub use named::{NamedRef, named_refs};
pub use pool_rule::PoolRule;
pub use sso_rule::{HostSso, SsoFields, sso_for_host, sso_rule_refs, sso_rule_secrets, sso_rule_verdict};
pub use verdict::{Verdict, host_rule_ignored, host_rule_refs, host_rule_verdict, http_rule_refs, http_rule_verdict};
pub use vs_rule::VsRule;
