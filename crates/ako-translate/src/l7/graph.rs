//! The L7 graph as it is built up from Ingresses, before it becomes Avi objects: shared
//! parents with their insecure pools and redirect hosts, and host VSes (SNI or EVH children, or
//! DEDICATED VSes) with their certificate, policy sets, pool groups and pools, in the order AKO
//! adds them (`BuildL7VSGraphHostNameShard`, `BuildPolicyPGPoolsForSNI`,
//! `BuildPoolPGPolicyForDedicatedVS`).

use std::collections::{BTreeMap, BTreeSet};

use crate::checksum::{HostPathRule, PgMember};
use crate::ingress::{HostPaths, InsecurePolicy, ParsedIngress, PathBackend, Reencrypt};
use crate::key::Kind;
use crate::naming::{Namer, priority_label};
use crate::settings::Settings;

/// A TLS certificate and key (and the CA certificate a Route gives: its name and PEM), as PEM
/// text.
#[derive(Clone)]
pub(super) struct Cert {
    pub(super) certificate: String,
    pub(super) key: String,
    pub(super) ca: Option<(String, String)>,
    /// Routes' default certificate, shared by every host.
    pub(super) shared: bool,
}

/// A pool as the model holds it, before its members are computed.
#[derive(Clone, Debug)]
pub(super) struct PoolNode {
    pub(super) name: String,
    pub(super) namespace: String,
    pub(super) ingress: String,
    pub(super) host: String,
    pub(super) backend: PathBackend,
    /// Priority label as it enters the checksum (lower-cased on the shared VS only).
    pub(super) priority_label: String,
    /// `ServiceName` marker (SNI pools only).
    pub(super) service_marker: String,
    /// A pool of a passthrough host: marked with its host and Service only, no HTTPRule.
    pub(super) passthrough: bool,
    /// The HTTP pool of a Route's TLS host (`insecureEdgeTerminationPolicy: Allow`).
    pub(super) insecure_allow: bool,
    /// A Route re-encrypting to this pool's backends.
    pub(super) reencrypt: Option<Reencrypt>,
}

#[derive(Default)]
pub(super) struct Parent {
    pub(super) name: String,
    pub(super) tenant: String,
    /// An EVH parent of one namespace (`vipPerNamespace`): no auto-FQDN.
    pub(super) per_namespace: bool,
    /// Placed with an AviInfraSetting.
    pub(super) with_setting: bool,
    /// VsVip FQDNs (every host).
    pub(super) hosts: BTreeSet<String>,
    /// Insecure pools by name, with the sequence number of their last (re)build.
    pub(super) pools: BTreeMap<String, (u64, PoolNode)>,
    pub(super) next_seq: u64,
    /// Hosts redirected from HTTP to HTTPS, in the order AKO adds them, and as a set.
    pub(super) redirect_hosts: Vec<String>,
    pub(super) redirect_set: BTreeSet<String>,
    /// Some TLS host asks for the redirect (every Ingress TLS host; a Route's with
    /// `Redirect`): AKO then builds the policy and puts every TLS host of the parent in it.
    pub(super) redirect_wanted: bool,
    /// SNI children by name.
    pub(super) children: BTreeMap<String, HostVs>,
}

/// A VS serving one host with path switching: an SNI child, or a DEDICATED-mode VS.
#[derive(Clone)]
pub(super) struct HostVs {
    pub(super) name: String,
    pub(super) host: String,
    /// DEDICATED mode: a normal VS with its own VsVip; names of its pools and pool groups end
    /// in `-L7-dedicated`.
    pub(super) dedicated: bool,
    pub(super) namespace: String,
    pub(super) ingresses: BTreeSet<String>,
    /// Certificate name and content, from a Secret.
    pub(super) cert: Option<(String, Cert)>,
    /// Served over TLS with the controller certificate of its HostRule.
    pub(super) rule_secured: bool,
    /// A Route's host: what HTTP to it gets (EVH mode), and its policies' order.
    pub(super) route_policy: Option<InsecurePolicy>,
    /// HTTP policy sets by name, each with its rules in the order they were added.
    pub(super) policies: BTreeMap<String, PolicySet>,
    pub(super) pool_groups: BTreeMap<String, PoolGroup>,
    pub(super) pools: BTreeMap<String, PoolNode>,
}

impl HostVs {
    /// Served over TLS (an SNI child always is).
    pub(super) fn secure(&self) -> bool {
        self.cert.is_some() || self.rule_secured
    }

    pub(super) fn new(name: String, host: &str, dedicated: bool, ns: &str) -> Self {
        HostVs {
            name,
            host: host.to_owned(),
            dedicated,
            namespace: ns.to_owned(),
            ingresses: BTreeSet::new(),
            cert: None,
            rule_secured: false,
            route_policy: None,
            policies: BTreeMap::new(),
            pool_groups: BTreeMap::new(),
            pools: BTreeMap::new(),
        }
    }

    /// Add an Ingress's paths for this host: a pool (and pool group) per path and a rule in the
    /// namespace's HTTP policy set (`BuildPolicyPGPoolsForSNI`, `BuildPoolPGPolicyForDedicatedVS`).
    pub(super) fn add_paths(
        &mut self,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        hp: &HostPaths,
        insecure_dedicated: bool,
        fail: &mut impl FnMut(String),
    ) -> bool {
        let host = &hp.host;
        let ns = &ing.namespace;
        let policy_name = match namer.sni_http_policy_set(ns, host) {
            Ok(n) => n,
            Err(e) => {
                fail(e.to_string());
                return false;
            }
        };
        // The last Ingress to name the host decides the namespace marker.
        self.namespace = ns.clone();
        self.ingresses.insert(format!("{ns}/{}", ing.name));
        let policy = self.policies.entry(policy_name).or_insert_with(|| PolicySet {
            namespace: ns.clone(),
            rules: Vec::new(),
            root_redirects: Vec::new(),
        });
        // `noPGForSNI` is an SNI-mode setting: EVH always switches to pool groups.
        let no_pg = settings.no_pg_for_sni && !namer.evh();
        let mut seen_pgs = BTreeSet::new();
        for b in &hp.paths {
            let built = (|| {
                let pg = namer.sni_pool_group(ns, host, &b.path, &ing.name, self.dedicated)?;
                let pool = if no_pg {
                    namer.checked(format!("{pg}--policy-to-pool"))?
                } else {
                    namer.sni_pool(
                        ns,
                        host,
                        &b.path,
                        &ing.name,
                        &b.service,
                        self.dedicated,
                        ing.kind == Kind::Route,
                    )?
                };
                Ok::<_, crate::naming::NameTooLong>((pool, pg))
            })();
            let (pool_name, pg_name) = match built {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            let label = format!("{host}{}", b.path);
            self.pools.insert(
                pool_name.clone(),
                PoolNode {
                    name: pool_name.clone(),
                    namespace: ns.clone(),
                    ingress: ing.name.clone(),
                    host: host.clone(),
                    backend: b.clone(),
                    // EVH pools carry none.
                    priority_label: if namer.evh() {
                        String::new()
                    } else if insecure_dedicated {
                        label.to_lowercase()
                    } else {
                        label
                    },
                    service_marker: b.service.clone(),
                    passthrough: false,
                    insecure_allow: false,
                    reencrypt: ing.reencrypt.clone(),
                },
            );
            let first = seen_pgs.insert(pg_name.clone());
            if !no_pg {
                let pg = self.pool_groups.entry(pg_name.clone()).or_insert_with(|| PoolGroup {
                    namespace: ns.clone(),
                    host: host.clone(),
                    ingress: ing.name.clone(),
                    path: b.path.clone(),
                    members: Vec::new(),
                });
                if first {
                    pg.members.clear();
                }
                pg.members.push(PgMember {
                    pool_ref: format!("/api/pool?name={pool_name}"),
                    priority_label: None,
                    ratio: b.weight,
                });
            }
            if first {
                // The rule's identity is the pool group's name (`GetSniHppMapName`).
                let (pool, pool_group) = if no_pg {
                    (pool_name, String::new())
                } else {
                    (String::new(), pg_name.clone())
                };
                let rule = HostPathRule::new(
                    pg_name,
                    (!b.path.is_empty()).then(|| b.path.clone()),
                    pool,
                    pool_group,
                    if b.exact { "EQUALS" } else { "BEGINS_WITH" },
                    ing.name.clone(),
                    match (insecure_dedicated, namer.evh()) {
                        // AKO's insecure DEDICATED builder (SNI mode) leaves the rule's port unset.
                        (true, false) => 0,
                        // EVH takes a Route's target port when it has no Service port.
                        (_, true) if b.port == 0 => b.target_port.int_val(),
                        _ => b.port,
                    },
                );
                match policy.rules.iter_mut().find(|r| r.name == rule.name) {
                    Some(r) => *r = rule,
                    None => policy.rules.push(rule),
                }
            }
        }
        true
    }
}

#[derive(Clone)]
pub(super) struct PolicySet {
    pub(super) namespace: String,
    pub(super) rules: Vec<HostPathRule>,
    /// Redirects of the application root (`applicationRootPath`), after the rules.
    pub(super) root_redirects: Vec<RootRedirect>,
}

/// A redirect of the path `/` to the application root on one port of the VS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RootRedirect {
    /// The VS port it applies to, and where it redirects.
    pub(super) port: i32,
    /// `HTTPS` on an SSL port, else `HTTP`.
    pub(super) protocol: &'static str,
    /// The application root without its leading `/`.
    pub(super) path: String,
}

#[derive(Clone)]
pub(super) struct PoolGroup {
    pub(super) namespace: String,
    pub(super) host: String,
    pub(super) ingress: String,
    pub(super) path: String,
    pub(super) members: Vec<PgMember>,
}

impl Parent {
    pub(super) fn add_host(&mut self, host: &str) {
        if !self.hosts.contains(host) {
            self.hosts.insert(host.to_owned());
        }
    }

    pub(super) fn add_insecure(
        &mut self,
        namer: &Namer,
        ing: &ParsedIngress,
        hp: &HostPaths,
        fail: &mut impl FnMut(String),
    ) {
        self.add_host(&hp.host);
        let route = ing.kind == Kind::Route;
        for b in &hp.paths {
            // A Route has a pool per Service (`…-<route>-<svc>`), and marks it with the Service.
            let name = if route {
                namer.l7_route_pool(&hp.host, &b.path, &ing.namespace, &ing.name, &b.service)
            } else {
                namer.l7_pool(&hp.host, &b.path, &ing.namespace, &ing.name)
            };
            let name = match name {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            // A rebuilt pool moves to the end, as AKO removes and re-appends it.
            self.next_seq += 1;
            let node = PoolNode {
                name: name.clone(),
                namespace: ing.namespace.clone(),
                ingress: ing.name.clone(),
                host: hp.host.clone(),
                backend: b.clone(),
                priority_label: priority_label(&hp.host, &b.path),
                service_marker: if route { b.service.clone() } else { String::new() },
                passthrough: false,
                insecure_allow: ing.http_beside_tls(),
                reencrypt: None,
            };
            self.pools.insert(name, (self.next_seq, node));
        }
    }

    /// EVH mode: add an insecure host as a child of its own (path switching, no certificate).
    pub(super) fn add_evh_insecure(
        &mut self,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        hp: &HostPaths,
        fail: &mut impl FnMut(String),
    ) -> bool {
        let child_name = match namer.sni_child(&hp.host) {
            Ok(n) => n,
            Err(e) => {
                fail(e.to_string());
                return false;
            }
        };
        if self
            .child_with_paths(child_name, namer, settings, ing, hp, fail)
            .is_none()
        {
            return false;
        }
        self.add_host(&hp.host);
        true
    }

    /// The child `name` of `hp`'s host (made when new) with `hp`'s paths added, or `None` (the
    /// failure reported) when they cannot be.
    fn child_with_paths(
        &mut self,
        name: String,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        hp: &HostPaths,
        fail: &mut impl FnMut(String),
    ) -> Option<&mut HostVs> {
        let child = self
            .children
            .entry(name.clone())
            .or_insert_with(|| HostVs::new(name, &hp.host, false, &ing.namespace));
        child.add_paths(namer, settings, ing, hp, false, fail).then_some(child)
    }

    /// Add a TLS host as an SNI (or EVH) child: with its certificate (name and content), or
    /// (`None`) with the controller certificate its HostRule names.
    pub(super) fn add_tls(
        &mut self,
        namer: &Namer,
        settings: &Settings,
        ing: &ParsedIngress,
        cert: Option<(String, Cert)>,
        hp: &HostPaths,
        fail: &mut impl FnMut(String),
    ) -> bool {
        let host = &hp.host;
        let child_name = match namer.sni_child(host) {
            Ok(n) => n,
            Err(e) => {
                fail(e.to_string());
                return false;
            }
        };
        let Some(child) = self.child_with_paths(child_name, namer, settings, ing, hp, fail) else {
            return false;
        };
        // The last Ingress to name the host decides the certificate.
        child.rule_secured = cert.is_none();
        child.route_policy = (ing.kind == Kind::Route).then_some(ing.insecure_policy);
        child.cert = cert;
        self.add_host(host);
        self.redirect_wanted |= ing.kind != Kind::Route || ing.insecure_policy == InsecurePolicy::Redirect;
        if self.redirect_set.insert(host.clone()) {
            self.redirect_hosts.push(host.clone());
        }
        true
    }
}
