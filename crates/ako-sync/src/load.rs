//! Fill the observed index from the controller: every object we own, in all tenants
//! (`X-Avi-Tenant: *`), with `include_name` so references carry `#name`.
//!
//! Types are listed in parallel, and so are the pages of one type: the first page gives the
//! count, the others are fetched with `page=N` (then any `next` left over is followed, should
//! the collection have grown meanwhile). Objects are matched by the filters AKO uses:
//! `created_by=ako-<cluster>`, StringGroups by their `created_by` marker, and VsVips and
//! persistence profiles (which have no `created_by`) by `name.contains=<cluster>--`. Every
//! result is checked again with [`Owner::owns`], so a controller ignoring a filter cannot make
//! us adopt someone else's object.
//!
//! A failed list fails the whole load: an incomplete index must never be planned against, since
//! a missing object would look like one to create and an unlisted one could not be protected.
//! (An object missed because it was created while we paged is harmless: its create answers 409
//! and it is adopted.)

use std::collections::{HashMap, HashSet};

use ako_translate::Translation;
use avi_client::{Client, Page, Query};
use avi_model::ObjectType;
use futures::StreamExt;
use serde_json::Value;

use crate::key::ObjectKey;
use crate::observed::{Observed, ObservedObject, RecordError};
use crate::owner::Owner;

/// Types the sync engine owns objects of (everything AKO creates), in AKO's creation order.
pub const MANAGED_KINDS: &[ObjectType] = &[
    ObjectType::VsVip,
    ObjectType::SslKeyAndCertificate,
    ObjectType::PkiProfile,
    ObjectType::ApplicationPersistenceProfile,
    ObjectType::Pool,
    ObjectType::PoolGroup,
    ObjectType::StringGroup,
    ObjectType::HttpPolicySet,
    ObjectType::VsDataScriptSet,
    ObjectType::L4PolicySet,
    ObjectType::VirtualService,
];

/// Objects per page (the controller's maximum).
const PAGE_SIZE: u32 = 200;
/// Pages of one type fetched at once.
const PAGE_CONCURRENCY: usize = 4;

/// The index could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("cannot list {kind} objects: {source}")]
pub struct LoadError {
    /// The type whose list failed.
    pub kind: ObjectType,
    /// The client's error.
    #[source]
    pub source: avi_client::Error,
}

/// The queries selecting `owner`'s objects of type `kind`: one per `created_by` it owns (the
/// name filter of VsVips, `<cluster>--`, also matches the Gateway API container's
/// `ako-gw-<cluster>--`).
pub fn owned_queries(owner: &Owner, kind: ObjectType) -> Vec<Query> {
    let query = Query::new().include_name().page_size(PAGE_SIZE);
    match kind {
        ObjectType::VsVip | ObjectType::ApplicationPersistenceProfile => vec![query.name_contains(owner.name_prefix())],
        ObjectType::StringGroup => owner
            .created_by_values()
            .map(|c| query.clone().label("created_by", c))
            .collect(),
        _ => owner.created_by_values().map(|c| query.clone().created_by(c)).collect(),
    }
}

/// Every object `owner` owns on the controller.
pub async fn load_observed(client: &Client, owner: &Owner) -> Result<Observed, LoadError> {
    load_observed_against(client, owner, &Translation::default()).await
}

/// [`load_observed`], each object compared with `desired` as it arrives: one that holds every
/// field of its desired body keeps only that body's digest ([`Observed::settle`]). A resync
/// then never holds every object's text at once, and the plan after it compares digests.
pub async fn load_observed_against(
    client: &Client,
    owner: &Owner,
    desired: &Translation,
) -> Result<Observed, LoadError> {
    let bodies: HashMap<ObjectKey, &str> = desired
        .models
        .values()
        .flat_map(|m| &m.objects)
        .map(|o| (ObjectKey::new(o.kind, &o.tenant, &o.name), o.body.as_str()))
        .collect();
    let bodies = &bodies;
    let lists: Vec<Vec<(ObjectKey, ObservedObject)>> = futures::future::try_join_all(
        MANAGED_KINDS
            .iter()
            .map(|&kind| list_owned(client, owner, kind, bodies)),
    )
    .await?;
    let mut observed = Observed::new(owner.clone());
    for (key, object) in lists.into_iter().flatten() {
        observed.insert(key, object);
    }
    Ok(observed)
}

/// `owner`'s objects of `kind`, across all tenants and pages, each page compacted into index
/// entries as it arrives (a parsed page is dropped right away).
async fn list_owned(
    client: &Client,
    owner: &Owner,
    kind: ObjectType,
    desired: &HashMap<ObjectKey, &str>,
) -> Result<Vec<(ObjectKey, ObservedObject)>, LoadError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for query in owned_queries(owner, kind) {
        list_query(client, owner, kind, query, desired, &mut seen, &mut out).await?;
    }
    Ok(out)
}

/// The objects one query lists, added to `out` unless `seen` (by uuid) already.
async fn list_query(
    client: &Client,
    owner: &Owner,
    kind: ObjectType,
    query: Query,
    desired: &HashMap<ObjectKey, &str>,
    seen: &mut HashSet<String>,
    out: &mut Vec<(ObjectKey, ObservedObject)>,
) -> Result<(), LoadError> {
    let all = client.all_tenants();
    let err = |source| LoadError { kind, source };
    let mut take = |page: Page<Value>, out: &mut Vec<(ObjectKey, ObservedObject)>| {
        for item in page.results {
            match Observed::entry(owner, kind, &item, "*") {
                // Objects shifting between pages can be seen twice.
                Ok((key, mut object)) => {
                    if let Some(body) = desired.get(&key) {
                        object.settle(kind, body);
                    }
                    if seen.insert(object.uuid.clone()) {
                        out.push((key, object));
                    }
                }
                Err(RecordError::NotOwned { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "ignoring an object the controller listed"),
            }
        }
        page.next.filter(|n| !n.is_empty())
    };

    let first: Page<Value> = all.list_page(kind.path(), &query).await.map_err(err)?;
    let per_page = (first.results.len() as u64).max(1);
    let pages = first.count.div_ceil(per_page);
    let mut next = take(first, out);
    if next.is_some() {
        let mut rest = futures::stream::iter(2..=pages)
            .map(|page| {
                let q = query.clone().param("page", page.to_string());
                let all = all.clone();
                async move { all.list_page::<Value>(kind.path(), &q).await }
            })
            .buffered(PAGE_CONCURRENCY);
        next = None;
        while let Some(page) = rest.next().await {
            next = take(page.map_err(err)?, out);
        }
        // The collection grew while we paged: keep going until the controller says it is done.
        let mut last_page = pages.max(1);
        while next.is_some() {
            last_page += 1;
            let q = query.clone().param("page", last_page.to_string());
            let page: Page<Value> = all.list_page(kind.path(), &q).await.map_err(err)?;
            if page.results.is_empty() {
                break;
            }
            next = take(page, out);
        }
    }
    Ok(())
}
