//! A HostRule's `useRegex` and `applicationRootPath` on a host VS (`BuildRegexAppRootForHostRule`
//! in AKO's `internal/nodes/crd_translator.go`): regex paths matched through string groups, the
//! pools and pool groups renamed to the SHA1 of their name, and the path `/` served at the
//! application root with redirects to it.

use sha1::{Digest, Sha1};

use super::graph::{HostVs, RootRedirect};
use crate::checksum::PortProto;

/// A string group holding one regex path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RegexGroup {
    pub(super) name: String,
    pub(super) path: String,
}

/// What a HostRule asks of the paths of a host VS.
pub(super) struct Paths<'a> {
    pub(super) use_regex: bool,
    pub(super) app_root: Option<&'a str>,
    /// Regex paths rename their pools and pool groups (SNI mode; EVH keeps the names).
    pub(super) rename_pools: bool,
}

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// A pool or pool group name under a regex HostRule (`GetEncodedSniPGPoolNameforRegex`).
fn encoded(cluster: &str, name: &str) -> String {
    format!("{cluster}--{}", sha1_hex(name))
}

/// `vs` as the HostRule leaves it, and the string groups it needs. `ports` are the VS's
/// listeners (an SNI child's are its parent's): each gets a redirect of `/` to the root.
pub(super) fn apply(vs: &HostVs, rule: &Paths<'_>, cluster: &str, ports: &[PortProto]) -> (HostVs, Vec<RegexGroup>) {
    let mut out = vs.clone();
    let mut groups = Vec::new();
    let has_root = vs
        .policies
        .values()
        .flat_map(|p| &p.rules)
        .any(|r| r.path.as_deref() == Some("/"));
    let redirects = |root: &str| -> Vec<RootRedirect> {
        ports
            .iter()
            .map(|p| RootRedirect {
                port: p.port,
                protocol: if p.enable_ssl { "HTTPS" } else { "HTTP" },
                path: root[1..].to_owned(),
            })
            .collect()
    };
    for policy in out.policies.values_mut() {
        let mut root_redirects = Vec::new();
        for r in &mut policy.rules {
            let built = r.clone();
            let mut changed = false;
            if let (Some(root), Some(path)) = (rule.app_root, r.path.clone()) {
                if path == "/" {
                    root_redirects.extend(redirects(root));
                    r.path = Some(root.to_owned());
                    changed = true;
                } else if path == root && has_root {
                    root_redirects.extend(redirects(root));
                }
            }
            if rule.use_regex {
                if let Some(path) = &r.path {
                    let group = format!("ako-{cluster}-{}", sha1_hex(&format!("{}{path}", vs.host)));
                    r.match_case = "INSENSITIVE".to_owned();
                    r.match_criteria = "REGEX_MATCH".to_owned();
                    r.string_group_refs = vec![format!("/api/stringgroup?name={group}")];
                    groups.push(RegexGroup {
                        name: group,
                        path: path.clone(),
                    });
                }
                for name in [&mut r.pool, &mut r.pool_group] {
                    if !name.is_empty() && rule.rename_pools {
                        *name = encoded(cluster, name);
                    }
                }
                r.rehashed = true;
                changed = true;
            }
            if changed {
                r.built_as = Some(Box::new(built));
            }
        }
        if !root_redirects.is_empty() {
            policy.root_redirects = root_redirects;
        }
    }
    if rule.use_regex && rule.rename_pools {
        out.pools = std::mem::take(&mut out.pools)
            .into_values()
            .map(|mut p| {
                p.name = encoded(cluster, &p.name);
                (p.name.clone(), p)
            })
            .collect();
        out.pool_groups = std::mem::take(&mut out.pool_groups)
            .into_iter()
            .map(|(name, mut pg)| {
                for m in &mut pg.members {
                    if let Some(pool) = m.pool_ref.strip_prefix("/api/pool?name=") {
                        m.pool_ref = format!("/api/pool?name={}", encoded(cluster, pool));
                    }
                }
                (encoded(cluster, &name), pg)
            })
            .collect();
    }
    (out, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_sha1_of_ako_s_names() {
        // sha1("abc"), the FIPS 180 test vector.
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(encoded("c1", "abc"), "c1--a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
