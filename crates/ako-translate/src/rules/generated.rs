//! AKO's generated fields of an L7 virtual service (`AviVsNodeGeneratedFields`): what an L7Rule,
//! an SSORule and a HostRule's network security policy set on the VS itself, as AKO hashes them
//! into the VS checksum — each set field in the struct's (alphabetical) order.

use super::l7_rule::{DEFAULT_SSL_SESS_CACHE, L7Fields};
use super::sso_rule::SsoFields;
use crate::checksum::go_json;

/// The generated fields of a VS, in AKO's order: the L7Rule's (`l7`; on a `child`, not those
/// AKO keeps for parents and DEDICATED VSes), the network security policy ref `nsp`, and the
/// SSORule's (`sso`).
pub fn generated_fields(l7: Option<&L7Fields>, nsp: Option<&str>, sso: Option<&SsoFields>, child: bool) -> Vec<String> {
    let s = l7.map(|f| &f.spec);
    let flag = |b: Option<bool>| b.unwrap_or(false).to_string();
    let mut g = Vec::new();
    if let Some(s) = s {
        g.push(flag(s.allow_invalid_client_cert));
        g.extend(s.bot_policy_ref.as_ref().map(|b| format!("/api/botpolicy?name={b}")));
        g.push(flag(s.close_client_conn_on_config_update));
        g.extend(s.host_name_xlate.clone().filter(|_| !child));
        g.push(flag(s.ign_pool_net_reach));
        g.extend(s.min_pools_up.map(|m| m.to_string()));
    }
    g.extend(nsp.map(str::to_owned));
    g.extend(sso.and_then(SsoFields::oauth_checksum));
    if let Some(s) = s {
        g.extend(s.performance_limits.as_ref().filter(|_| !child).map(go_json));
        g.push(flag(s.remove_listening_port_on_vs_down));
    }
    g.extend(sso.and_then(SsoFields::saml_checksum));
    if let Some(s) = s {
        g.extend(
            s.security_policy_ref
                .as_ref()
                .filter(|_| !child)
                .map(|p| format!("/api/securitypolicy?name={p}")),
        );
        g.push(s.ssl_sess_cache_avg_size.unwrap_or(DEFAULT_SSL_SESS_CACHE).to_string());
    }
    g.extend(sso.map(|f| f.policy_ref().to_owned()));
    if let Some(s) = s {
        g.extend(
            s.traffic_clone_profile_ref
                .as_ref()
                .map(|t| format!("/api/trafficcloneprofile?name={t}")),
        );
    }
    g
}
