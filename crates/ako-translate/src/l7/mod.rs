//! Ingresses → AKO 2.2's L7 objects. SNI mode: per hostname shard a shared parent VS with its
//! VsVip, pool group, datascript set and HTTP→HTTPS redirect policy; insecure host/paths as
//! pools on the parent; TLS hosts as SNI child VSes with their certificate, one HTTP policy
//! set per (namespace, host), and a pool group and pool per path
//! (`internal/nodes/avi_model_l7_*.go`, `internal/rest/avi_obj_{vs,pool,httpps}.go`,
//! `avi_pool_group.go`, `avi_datascript.go`, `ssl_key_certificate.go`). EVH mode (`evh`):
//! every host an EVH child of an enhanced parent (per shard, or per namespace). DEDICATED: a VS
//! per host. TLS passthrough (`passthrough`): shared L4 VSes selecting by SNI.

mod evh;
mod graph;
mod host_rule;
mod objects;
mod passthrough;
mod regex;
mod root;

use std::collections::BTreeMap;

use graph::{Cert, HostVs, Parent};
use objects::{Ctx, Shape};
use passthrough::PassthroughVs;
pub use root::L7Root;

use crate::fqdn::shared_vs_fqdn;
use crate::infra::{Attached, Infra};
use crate::ingress::{CertSource, HostPaths, ParsedIngress, accepted_ingresses};
use crate::key::{Kind, ModelKey, NsName, ObjRef};
use crate::model::{CloudFacts, Failure, Model, StatusIntent, Translation};
use crate::namespaces::tenant_of;
use crate::naming::Namer;
use crate::rules::host_rule_for;
use crate::settings::Settings;
use crate::shard::ShardSize;
use crate::small_set::SmallSet;
use crate::snapshot::Snapshot;

/// Translate every Ingress AKO would serve.
pub fn translate_l7(snapshot: &Snapshot, settings: &Settings, cloud: &CloudFacts) -> Translation {
    build(snapshot, settings, cloud, Scope::All)
}

/// Translate the one shared parent VS `model`: what a change to any Ingress, Service,
/// EndpointSlice or Secret behind it re-translates.
pub fn translate_l7_model(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    model: &ModelKey,
) -> Translation {
    build(
        snapshot,
        settings,
        cloud,
        Scope::Model {
            model,
            candidates: None,
        },
    )
}

/// [`translate_l7_model`] when the caller knows a superset of the Ingresses and Routes with a
/// host in `model` (a dependency index): the others are not looked at.
pub fn translate_l7_model_among(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    model: &ModelKey,
    candidates: &SmallSet<ObjRef>,
) -> Translation {
    build(
        snapshot,
        settings,
        cloud,
        Scope::Model {
            model,
            candidates: Some(candidates),
        },
    )
}

/// The failures of one Ingress or Route that are not tied to a model (it has no host AKO can
/// place): no objects, no status.
pub fn translate_l7_root_failures(
    snapshot: &Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    root: &ObjRef,
) -> Translation {
    let mut out = build(snapshot, settings, cloud, Scope::Root(root));
    out.models.clear();
    out.status.clear();
    out
}

/// What one call of [`build`] covers.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// Every Ingress and Route, every model.
    All,
    /// One model, from the Ingresses and Routes with a host in it (only among `candidates`
    /// when given).
    Model {
        model: &'a ModelKey,
        candidates: Option<&'a SmallSet<ObjRef>>,
    },
    /// One Ingress or Route.
    Root(&'a ObjRef),
}

fn build(snap: &Snapshot, settings: &Settings, cloud: &CloudFacts, scope: Scope<'_>) -> Translation {
    let mut out = Translation::default();
    let namer = Namer::for_settings(settings);
    // For one model, only Ingresses and Routes with a host in it matter.
    let keep = |kind: Kind, key: &NsName, root: L7Root<'_>| match scope {
        Scope::All => true,
        Scope::Root(r) => r.kind == kind && r.key == *key,
        Scope::Model { model, candidates } => {
            if candidates.is_some_and(|c| !c.contains(&ObjRef::new(kind, &key.namespace, &key.name))) {
                return false;
            }
            let tenant = tenant_of(snap, settings, &key.namespace);
            let place = place_of(snap, settings, cloud, &key.namespace, root);
            root.hosts(key, settings, cloud)
                .iter()
                .any(|h| place.model_of(&tenant, &key.namespace, h).is_some_and(|k| k == *model))
        }
    };
    let only = match scope {
        Scope::Model { model, .. } => Some(model),
        Scope::All | Scope::Root(_) => None,
    };
    let mut failures = Vec::new();
    let mut parsed = accepted_ingresses(
        snap,
        settings,
        cloud,
        &|k, i| keep(Kind::Ingress, k, L7Root::Ingress(i)),
        &mut failures,
    );
    parsed.extend(crate::openshift::accepted_routes(
        snap,
        settings,
        cloud,
        &|k, r| keep(Kind::Route, k, L7Root::Route(r)),
        &mut failures,
    ));
    // Each root with its placement; those whose AviInfraSetting cannot be used are not served.
    let mut placed: Vec<(&ParsedIngress, Place<'_>)> = Vec::new();
    for ing in &parsed {
        let Some(object) = L7Root::find(snap, ing.kind, &NsName::new(&ing.namespace, &ing.name)) else {
            continue;
        };
        let place = place_of(snap, settings, cloud, &ing.namespace, object);
        match &place.problem {
            Some(problem) => failures.push(Failure::new(
                ing.kind,
                &ing.namespace,
                &ing.name,
                format!(
                    "{problem} — the {} is not served (what it has on the controller is kept); fix the setting, or name another in its {} or Namespace",
                    ing.kind,
                    if ing.kind == Kind::Route { "annotation" } else { "IngressClass" }
                ),
            )),
            None => placed.push((ing, place)),
        }
    }
    let mut placements = Placements::new(settings);
    placements.prepare(placed.iter().map(|(_, p)| p));
    let (dedicated, shared): (Vec<_>, Vec<_>) = placed.iter().partition(|(_, p)| p.shard_size == ShardSize::Dedicated);
    build_dedicated(snap, cloud, &placements, &dedicated, only, &mut out, &mut failures);
    // Passthrough hosts are sharded on their own, whatever the shard size.
    let all: Vec<_> = placed.iter().collect();
    build_passthrough(snap, cloud, &placements, &all, only, &mut out, &mut failures);
    let mut parents: BTreeMap<ModelKey, (Parent, Option<Infra<'_>>)> = BTreeMap::new();
    for (ing, place) in shared {
        let tenant = tenant_of(snap, settings, &ing.namespace);
        let namer = &place.namer;
        let effective = placements.settings(place.infra);
        let mut expired = Vec::new();
        let mut fail =
            |message: String| failures.push(Failure::of_served(ing.kind, &ing.namespace, &ing.name, message));
        for hp in &ing.insecure {
            let Some(parent) = parent_for(&mut parents, place, &tenant, &ing.namespace, &hp.host, only, &mut fail)
            else {
                continue;
            };
            // EVH serves every host through a child of its own; SNI insecure hosts as pools of the parent.
            if namer.evh() {
                if !parent.add_evh_insecure(namer, effective, ing, hp, &mut fail) {
                    continue;
                }
            } else {
                parent.add_insecure(namer, ing, hp, &mut fail);
            }
            // A Route's host also served over TLS (`Allow`) reports the TLS VS.
            if !ing.http_beside_tls() {
                out.status.extend(status_of(ing, parent, hp, namer));
            }
        }
        for (source, hp) in &ing.tls {
            let cert = match certificate(snap, namer, &hp.host, source) {
                Ok(c) => c,
                Err(message) => {
                    fail(format!("TLS host {}: {message}; the host is not served", hp.host));
                    continue;
                }
            };
            expired.extend(expiry_warning(cloud, &hp.host, source, &cert.1));
            let Some(parent) = parent_for(&mut parents, place, &tenant, &ing.namespace, &hp.host, only, &mut fail)
            else {
                continue;
            };
            if parent.add_tls(namer, effective, ing, Some(cert), hp, &mut fail) {
                out.status.extend(status_of(ing, parent, hp, namer));
            }
        }
        for hp in &ing.rule_tls {
            let Some(parent) = parent_for(&mut parents, place, &tenant, &ing.namespace, &hp.host, only, &mut fail)
            else {
                continue;
            };
            if parent.add_tls(namer, effective, ing, None, hp, &mut fail) {
                out.status.extend(status_of(ing, parent, hp, namer));
            }
        }
        failures.extend(
            expired
                .into_iter()
                .map(|m| Failure::warning(ing.kind, &ing.namespace, &ing.name, m)),
        );
    }
    for (key, (parent, infra)) in parents {
        let namer = namer.for_infra(infra.as_ref().and_then(Infra::name_part));
        let listeners = infra.as_ref().map_or(&[][..], Infra::listeners);
        let model = parent.objects(snap, placements.settings(infra), settings, cloud, &namer, listeners);
        out.models.insert(key, model);
    }
    // A failure names an Ingress once per problem, whatever the number of hosts it hit.
    failures.sort();
    failures.dedup();
    out.failures = failures;
    out.normalize();
    out
}

/// DEDICATED mode: one normal VS per host (`BuildDedicatedL7VSGraphHostNameShard`, and the
/// SNI builders with the VS itself as the "child").
fn build_dedicated(
    snap: &Snapshot,
    cloud: &CloudFacts,
    placements: &Placements<'_>,
    ingresses: &[&(&ParsedIngress, Place<'_>)],
    only: Option<&ModelKey>,
    out: &mut Translation,
    failures: &mut Vec<Failure>,
) {
    let global = placements.global;
    let mut vses: BTreeMap<ModelKey, (HostVs, &Place<'_>)> = BTreeMap::new();
    for (ing, place) in ingresses.iter().map(|p| (p.0, &p.1)) {
        let tenant = tenant_of(snap, global, &ing.namespace);
        let namer = &place.namer;
        let settings = placements.settings(place.infra);
        let mut expired = Vec::new();
        let mut fail =
            |message: String| failures.push(Failure::of_served(ing.kind, &ing.namespace, &ing.name, message));
        // (certificate source, secured by its HostRule's certificate, host)
        let hosts = ing
            .insecure
            .iter()
            .map(|hp| (None, false, hp))
            .chain(ing.tls.iter().map(|(source, hp)| (Some(source), false, hp)))
            .chain(ing.rule_tls.iter().map(|hp| (None, true, hp)));
        for (source, rule_secured, hp) in hosts {
            let cert = match source.map(|s| certificate(snap, namer, &hp.host, s)) {
                Some(Err(message)) => {
                    fail(format!("TLS host {}: {message}; the host is not served", hp.host));
                    continue;
                }
                Some(Ok(c)) => Some(c),
                None => None,
            };
            if let (Some(source), Some(cert)) = (source, &cert) {
                expired.extend(expiry_warning(cloud, &hp.host, source, &cert.1));
            }
            let name = match namer.dedicated_vs(&hp.host) {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            let key = ModelKey::new(&tenant, &name);
            if only.is_some_and(|m| *m != key) {
                continue;
            }
            let (vs, _) = vses
                .entry(key.clone())
                .or_insert_with(|| (HostVs::new(name.clone(), &hp.host, true, &ing.namespace), place));
            // Insecure pools get lower-cased priority labels (`buildPoolNode`), secure ones not.
            if !vs.add_paths(namer, settings, ing, hp, cert.is_none() && !rule_secured, &mut fail) {
                continue;
            }
            if cert.is_some() {
                vs.cert = cert;
                vs.route_policy = (ing.kind == Kind::Route).then_some(ing.insecure_policy);
            }
            vs.rule_secured |= rule_secured;
            out.status.extend(own_vs_status(ing, hp, key, name));
        }
        failures.extend(
            expired
                .into_iter()
                .map(|m| Failure::warning(ing.kind, &ing.namespace, &ing.name, m)),
        );
    }
    for (key, (vs, place)) in vses {
        let settings = placements.settings(place.infra);
        let listeners = place.infra.as_ref().map_or(&[][..], Infra::listeners);
        let mut ctx = Ctx::new(snap, settings, global, cloud, &place.namer, &key.tenant, listeners);
        ctx.with_setting = place.infra.is_some();
        let mut objects = Vec::new();
        let rule = host_rule_for(snap, global, cloud, &key.tenant, &vs.host).map(|(k, r)| ctx.rule_of(k, r));
        ctx.host_vs_objects(Shape::Dedicated, &key.tenant, &vs, rule.as_ref(), &mut objects);
        let mut model = Model { objects };
        model.sort();
        out.models.insert(key, model);
    }
}

/// TLS passthrough: the shared passthrough VSes of the Ingresses that ask for it.
fn build_passthrough(
    snap: &Snapshot,
    cloud: &CloudFacts,
    placements: &Placements<'_>,
    ingresses: &[&(&ParsedIngress, Place<'_>)],
    only: Option<&ModelKey>,
    out: &mut Translation,
    failures: &mut Vec<Failure>,
) {
    let global = placements.global;
    let mut vses: BTreeMap<ModelKey, (PassthroughVs, &Place<'_>)> = BTreeMap::new();
    for (ing, place) in ingresses.iter().map(|p| (p.0, &p.1)) {
        let tenant = tenant_of(snap, global, &ing.namespace);
        let mut fail =
            |message: String| failures.push(Failure::of_served(ing.kind, &ing.namespace, &ing.name, message));
        for hp in &ing.passthrough {
            let name = match place.vs_of(&ing.namespace, &hp.host) {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            let key = ModelKey::new(&tenant, &name);
            if only.is_some_and(|m| *m != key) {
                continue;
            }
            let (vs, _) = vses
                .entry(key.clone())
                .or_insert_with(|| (PassthroughVs::new(name.clone(), &tenant), place));
            vs.add(&place.namer, ing, hp, &mut fail);
            out.status.extend(own_vs_status(ing, hp, key, name));
        }
    }
    for (key, (vs, place)) in vses {
        let settings = placements.settings(place.infra);
        let mut ctx = Ctx::new(snap, settings, global, cloud, &place.namer, &key.tenant, &[]);
        ctx.with_setting = place.infra.is_some();
        out.models.insert(key, vs.objects(&ctx));
    }
}

/// Where an Ingress's hosts are placed: with its AviInfraSetting, or globally.
pub(crate) struct Place<'a> {
    /// Names of its L7 objects (carrying the setting's name unless it is namespace-scoped).
    pub(crate) namer: Namer,
    /// How its hosts are sharded.
    pub(crate) shard_size: ShardSize,
    /// EVH `vipPerNamespace`: one shared parent per namespace instead of hostname shards.
    pub(crate) per_namespace: bool,
    /// TLS passthrough: its hosts go to the shared passthrough VSes, sharded by this size.
    pub(crate) passthrough: Option<ShardSize>,
    /// The Accepted setting it is placed with.
    pub(crate) infra: Option<Infra<'a>>,
    /// Why the setting it names cannot be used: it is not served. Its names and shard size are
    /// then those the setting would give, so the models it may have fed are still found (and
    /// kept: a failure is not a deletion).
    pub(crate) problem: Option<String>,
}

impl Place<'_> {
    /// The model a host of namespace `ns` is served by.
    pub(crate) fn model_of(&self, tenant: &str, ns: &str, host: &str) -> Option<ModelKey> {
        self.vs_of(ns, host).ok().map(|vs| ModelKey::new(tenant, vs))
    }

    /// The VS serving a host of namespace `ns`: its DEDICATED VS, its namespace's EVH parent
    /// (`vipPerNamespace`), or the shared parent of its hostname shard.
    fn vs_of(&self, ns: &str, host: &str) -> Result<String, crate::naming::NameTooLong> {
        if let Some(size) = self.passthrough {
            return self.namer.passthrough_vs(size.shard_of(host).unwrap_or(0));
        }
        match self.shard_size.shard_of(host) {
            None => self.namer.dedicated_vs(host),
            Some(_) if self.per_namespace => self.namer.namespace_vs(ns),
            Some(shard) => self.namer.shared_vs(shard),
        }
    }
}

/// The placement of the Ingress or Route `root` of namespace `ns`.
pub(crate) fn place_of<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    cloud: &CloudFacts,
    ns: &str,
    root: L7Root<'a>,
) -> Place<'a> {
    let namer = Namer::for_settings(settings);
    let per_namespace = settings.enable_evh && settings.vip_per_namespace;
    // Passthrough hosts are sharded by `passthroughShardSize`, or an AviInfraSetting's shard size.
    let passthrough = |infra: Option<&Infra<'_>>| {
        root.passthrough().then(|| {
            infra
                .and_then(|i| i.spec.l7_settings.as_ref())
                .map_or(settings.passthrough_shard_size, |l| l.shard_size.into())
        })
    };
    let setting = root.setting(snap, ns);
    match crate::infra::attach(snap, settings, cloud, ns, setting) {
        Attached::Global => Place {
            namer,
            shard_size: settings.shard_size,
            per_namespace,
            passthrough: passthrough(None),
            infra: None,
            problem: None,
        },
        Attached::Setting(infra) => Place {
            namer: namer.for_infra(infra.name_part()),
            shard_size: infra.shard_size(settings),
            per_namespace,
            passthrough: passthrough(Some(&infra)),
            infra: Some(infra),
            problem: None,
        },
        Attached::Unusable(problem) => {
            // Named as the setting would name it, whatever its state.
            let name = setting;
            let spec = name.and_then(|n| snap.infra_settings.get(&NsName::cluster(n)));
            let as_if = spec.map(|s| Infra {
                name: name.unwrap_or_default(),
                spec: &s.spec,
                ns_scoped: crate::infra::namespace_setting(snap, ns) == name,
            });
            Place {
                namer: namer.for_infra(as_if.as_ref().and_then(Infra::name_part)),
                shard_size: as_if.map_or(settings.shard_size, |i| i.shard_size(settings)),
                per_namespace,
                passthrough: passthrough(as_if.as_ref()),
                infra: None,
                problem: Some(problem),
            }
        }
    }
}

/// The settings each placement builds with: the global ones, or those an AviInfraSetting
/// overrides, computed once per setting.
struct Placements<'a> {
    global: &'a Settings,
    by_setting: BTreeMap<(&'a str, bool), Settings>,
}

impl<'a> Placements<'a> {
    fn new(global: &'a Settings) -> Self {
        Placements {
            global,
            by_setting: BTreeMap::new(),
        }
    }

    /// Computes the settings of every setting in `places`, so [`Placements::settings`] finds them.
    fn prepare<'p>(&mut self, places: impl IntoIterator<Item = &'p Place<'a>>)
    where
        'a: 'p,
    {
        for p in places {
            if let Some(i) = p.infra {
                self.by_setting
                    .entry((i.name, i.ns_scoped))
                    .or_insert_with(|| i.apply(self.global));
            }
        }
    }

    fn settings(&self, infra: Option<Infra<'a>>) -> &Settings {
        match infra {
            Some(i) => &self.by_setting[&(i.name, i.ns_scoped)],
            None => self.global,
        }
    }
}

/// The FQDN HostRules know a shared parent VS by: its auto-FQDN, else its name (AKO's
/// `configuredSharedVSFqdn`); `None` for a DEDICATED VS.
pub fn parent_fqdn(settings: &Settings, cloud: &CloudFacts, model: &ModelKey) -> Option<String> {
    // By its name, not the global shard size: an AviInfraSetting may shard its hosts otherwise.
    if Namer::is_dedicated(&model.vs) {
        return None;
    }
    Some(
        shared_vs_fqdn(
            &model.vs,
            &model.tenant,
            settings.auto_fqdn,
            settings.default_domain.as_deref(),
            &cloud.dns_domains,
        )
        .unwrap_or_else(|| model.vs.clone()),
    )
}

/// The status entry of a host served by a VS of its own (DEDICATED, passthrough): its VsVip is
/// named like it. As [`status_of`], none for generated or wildcard hosts.
fn own_vs_status(ing: &ParsedIngress, hp: &HostPaths, model: ModelKey, vs: String) -> Option<StatusIntent> {
    (!hp.generated && !hp.host.starts_with('*')).then(|| StatusIntent {
        object: ing.object(),
        model,
        vsvip: vs.clone(),
        vs,
        hostname: Some(hp.host.clone()),
    })
}

/// The status entry of a served host (on the parent, or on its SNI child when it has one). AKO
/// keeps only hosts written in the Ingress spec (not generated ones), and Kubernetes refuses
/// wildcard hostnames in status.
fn status_of(ing: &ParsedIngress, parent: &Parent, hp: &HostPaths, namer: &Namer) -> Option<StatusIntent> {
    let host = &hp.host;
    if hp.generated || host.starts_with('*') {
        return None;
    }
    let child = namer.sni_child(host).ok().filter(|c| parent.children.contains_key(c));
    Some(StatusIntent {
        object: ing.object(),
        model: ModelKey::new(&parent.tenant, &parent.name),
        vsvip: parent.name.clone(),
        vs: child.unwrap_or_else(|| parent.name.clone()),
        hostname: Some(host.to_owned()),
    })
}

fn parent_for<'a, 's>(
    parents: &'a mut BTreeMap<ModelKey, (Parent, Option<Infra<'s>>)>,
    place: &Place<'s>,
    tenant: &str,
    ns: &str,
    host: &str,
    only: Option<&ModelKey>,
    fail: &mut impl FnMut(String),
) -> Option<&'a mut Parent> {
    let name = match place.vs_of(ns, host) {
        Ok(n) => n,
        Err(e) => {
            fail(e.to_string());
            return None;
        }
    };
    let key = ModelKey::new(tenant, &name);
    if only.is_some_and(|m| *m != key) {
        return None;
    }
    // A namespace-scoped setting names its parents like the global ones: the first placement to
    // reach a parent decides how it is built.
    let (parent, _) = parents.entry(key).or_insert_with(|| {
        let parent = Parent {
            name,
            tenant: tenant.to_owned(),
            per_namespace: place.per_namespace,
            with_setting: place.infra.is_some(),
            ..Parent::default()
        };
        (parent, place.infra)
    });
    Some(parent)
}

/// The name and content of a TLS host's certificate: a Secret's (named after the host), a
/// Route's own (likewise), or Routes' default one (named after its Secret, shared by every host).
fn certificate(snap: &Snapshot, namer: &Namer, host: &str, source: &CertSource) -> Result<(String, Cert), String> {
    let named = |name: Result<String, crate::naming::NameTooLong>| name.map_err(|e| e.to_string());
    match source {
        CertSource::Secret(key) => Ok((
            named(namer.tls_key_cert(host, &key.name))?,
            secret_certificate(snap, key)?,
        )),
        CertSource::Inline { certificate, key, ca } => {
            usable_pair(certificate, key, ["spec.tls.certificate", "spec.tls.key"])?;
            Ok((
                named(namer.tls_key_cert(host, ""))?,
                Cert {
                    certificate: certificate.clone(),
                    key: key.clone(),
                    ca: match ca.as_str() {
                        "" => None,
                        ca => Some((named(namer.ca_cert(host))?, ca.to_owned())),
                    },
                    shared: false,
                },
            ))
        }
        CertSource::RouterDefault(key) => Ok((
            named(namer.router_default_cert(&key.name))?,
            Cert {
                shared: true,
                ..secret_certificate(snap, key)?
            },
        )),
    }
}

/// A certificate and key the controller can take, named as the object names their fields: both
/// PEM, the key the certificate's.
fn usable_pair(certificate: &str, key: &str, [cert_field, key_field]: [&str; 2]) -> Result<(), String> {
    if !certificate.contains("-----BEGIN") || !key.contains("-----BEGIN") {
        return Err(format!("{cert_field} and {key_field} must be PEM"));
    }
    if crate::tls_pair::key_mismatch(certificate, key) {
        return Err(format!(
            "{key_field} is not the private key of {cert_field} (the controller would refuse the pair)"
        ));
    }
    Ok(())
}

/// What to tell the user when a TLS host's certificate has expired (it is served all the same,
/// as AKO serves it).
fn expiry_warning(cloud: &CloudFacts, host: &str, source: &CertSource, cert: &Cert) -> Option<String> {
    let end = crate::certificate_expiry::expired(&cert.certificate, cloud.now?)?;
    let whose = match source {
        CertSource::Secret(key) | CertSource::RouterDefault(key) => format!("of Secret {}/{}", key.namespace, key.name),
        CertSource::Inline { .. } => "of the Route".to_owned(),
    };
    Some(format!(
        "TLS host {host}: the certificate {whose} expired on {end}: clients refuse it; renew it \
         (the host is served with it meanwhile, as AKO serves it)"
    ))
}

/// The certificate and key (PEM) of a TLS Secret, checked to be a usable pair.
pub(crate) fn secret_pair(snap: &Snapshot, key: &NsName) -> Result<(String, String), String> {
    secret_certificate(snap, key).map(|c| (c.certificate, c.key))
}

fn secret_certificate(snap: &Snapshot, key: &NsName) -> Result<Cert, String> {
    let (ns, secret) = (&key.namespace, &key.name);
    if secret.is_empty() {
        return Err("spec.tls[] entry has no secretName".to_owned());
    }
    let Some(s) = snap.secrets.get(key) else {
        return Err(format!("Secret {ns}/{secret} does not exist"));
    };
    let data = s.data.as_ref();
    let field = |k: &str| -> Result<String, String> {
        let bytes = data
            .and_then(|d| d.get(k))
            .ok_or_else(|| format!("Secret {ns}/{secret} has no {k}"))?;
        String::from_utf8(bytes.0.clone()).map_err(|_| format!("Secret {ns}/{secret}: {k} is not PEM text"))
    };
    let certificate = field("tls.crt")?;
    let key = field("tls.key")?;
    usable_pair(&certificate, &key, ["tls.crt", "tls.key"]).map_err(|e| format!("Secret {ns}/{secret}: {e}"))?;
    Ok(Cert {
        certificate,
        key,
        ca: None,
        shared: false,
    })
}
