//! Everything the simulated controller knows, under one lock: objects, user tokens and
//! controller facts, with every acknowledged change journaled when `--state` is set.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use avi_model::ObjectType;
use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::auth::UserToken;
use crate::error::{ApiError, ApiResult};
use crate::persist::{Entry, Journal, Snapshot};
use crate::seed::{ControllerFacts, Seed, SeedOp};
use crate::store::{ADMIN, Record, Scope, Store};
use crate::write;

/// Objects, tokens and controller facts.
pub struct World {
    /// The objects.
    pub store: Store,
    /// User tokens by uuid.
    pub tokens: BTreeMap<String, UserToken>,
    /// Controller identity.
    pub controller: ControllerFacts,
    journal: Option<Journal>,
}

impl World {
    /// Load `state` if it exists, else build from `seed`; then (with `state`) compact to a
    /// fresh snapshot and start journaling.
    pub fn open(state: Option<&Path>, seed: &Seed, now_micros: u64) -> anyhow::Result<World> {
        let loaded = state.map(Journal::load).transpose()?.flatten();
        let mut world = match loaded {
            Some((snapshot, entries)) => {
                let mut world = World::from_snapshot(snapshot);
                for entry in entries {
                    world.replay(entry)?;
                }
                world
            }
            None => World::from_seed(seed, now_micros)?,
        };
        if let Some(path) = state {
            world.journal = Some(Journal::create(path, &world.snapshot())?);
        }
        Ok(world)
    }

    /// A world built from a seed.
    pub fn from_seed(seed: &Seed, now_micros: u64) -> anyhow::Result<World> {
        let mut controller = seed.controller.clone();
        if controller.up_since.is_empty() {
            controller.up_since = format_up_since(now_micros);
        }
        let mut world = World {
            store: Store::default(),
            tokens: BTreeMap::new(),
            controller,
            journal: None,
        };
        let admin = Scope::Tenant(ADMIN.to_owned());
        for (n, obj) in seed.objects.iter().enumerate() {
            let kind: ObjectType = obj.kind.parse()?;
            let context = || format!("seed object #{n} ({} {:?})", obj.kind, obj.body.get("name"));
            let rec = match obj.op {
                SeedOp::Create => write::create(&mut world.store, &admin, kind, obj.body.clone(), now_micros),
                SeedOp::Update => {
                    let name = obj.body.get("name").and_then(Value::as_str).unwrap_or_default();
                    let existing = world
                        .store
                        .by_name(kind, ADMIN, name)
                        .with_context(|| format!("{}: nothing to update", context()))?;
                    let (uuid, mut body) = (existing.uuid().to_owned(), existing.body.clone());
                    body.extend(obj.body.clone());
                    body.remove("_last_modified");
                    write::update(&mut world.store, &admin, kind, &uuid, body, now_micros)
                }
            }
            .map_err(|e| anyhow::anyhow!("{}: {} {}", context(), e.status, e.message))?;
            if obj.system {
                world.store.put(Record { system: true, ..rec });
            }
        }
        Ok(world)
    }

    fn from_snapshot(snapshot: Snapshot) -> World {
        let mut store = Store::default();
        for rec in snapshot.records {
            store.put(rec);
        }
        let tokens = snapshot.tokens.into_iter().map(|t| (t.uuid.clone(), t)).collect();
        World {
            store,
            tokens,
            controller: snapshot.controller,
            journal: None,
        }
    }

    fn replay(&mut self, entry: Entry) -> anyhow::Result<()> {
        match entry {
            Entry::Put { record } => {
                self.store.put(record);
            }
            Entry::Delete { kind, uuid } => {
                self.store.remove(kind.parse()?, &uuid);
            }
            Entry::TokenPut { token } => {
                self.tokens.insert(token.uuid.clone(), token);
            }
            Entry::TokenDelete { uuid } => {
                self.tokens.remove(&uuid);
            }
        }
        Ok(())
    }

    /// Everything, for a snapshot.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            controller: self.controller.clone(),
            records: self.store.every_record().cloned().collect(),
            tokens: self.tokens.values().cloned().collect(),
        }
    }

    /// Back to the seed (keeps journaling, with a fresh snapshot).
    pub fn reset(&mut self, seed: &Seed, now_micros: u64) -> anyhow::Result<()> {
        let journal = self.journal.take();
        let controller = self.controller.clone();
        *self = World::from_seed(seed, now_micros)?;
        self.controller = controller;
        self.journal = journal;
        let snapshot = self.snapshot();
        if let Some(j) = &mut self.journal {
            j.compact(&snapshot)?;
        }
        Ok(())
    }

    /// POST.
    pub fn create(&mut self, scope: &Scope, kind: ObjectType, body: Map<String, Value>, now: u64) -> ApiResult<Record> {
        let rec = write::create(&mut self.store, scope, kind, body, now)?;
        self.journal(Entry::Put { record: rec.clone() })?;
        Ok(rec)
    }

    /// PUT.
    pub fn update(
        &mut self,
        scope: &Scope,
        kind: ObjectType,
        uuid: &str,
        body: Map<String, Value>,
        now: u64,
    ) -> ApiResult<Record> {
        let rec = write::update(&mut self.store, scope, kind, uuid, body, now)?;
        self.journal(Entry::Put { record: rec.clone() })?;
        Ok(rec)
    }

    /// DELETE.
    pub fn delete(&mut self, scope: &Scope, kind: ObjectType, uuid: &str) -> ApiResult<Record> {
        let rec = write::delete(&mut self.store, scope, kind, uuid)?;
        self.journal(Entry::Delete {
            kind: kind.path().to_owned(),
            uuid: uuid.to_owned(),
        })?;
        Ok(rec)
    }

    /// Issue a user token.
    pub fn put_token(&mut self, token: UserToken) -> ApiResult<()> {
        self.tokens.insert(token.uuid.clone(), token.clone());
        self.journal(Entry::TokenPut { token })
    }

    /// Revoke a user token.
    pub fn delete_token(&mut self, uuid: &str) -> ApiResult<()> {
        self.tokens
            .remove(uuid)
            .ok_or_else(|| ApiError::not_found("UserToken"))?;
        self.journal(Entry::TokenDelete { uuid: uuid.to_owned() })
    }

    fn journal(&mut self, entry: Entry) -> ApiResult<()> {
        let Some(journal) = &mut self.journal else {
            return Ok(());
        };
        journal.append(&entry).map_err(|e| {
            tracing::error!("cannot persist to {}: {e:#}", journal.journal_path().display());
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("avisim could not persist the change: {e}"),
            )
        })
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC), the controller's `up_since` format.
fn format_up_since(now_micros: u64) -> String {
    jiff::Timestamp::from_microsecond(now_micros as i64)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_builds() {
        let world = World::from_seed(&Seed::default_seed(), 1_700_000_000_000_000).unwrap();
        let cloud = world.store.by_name(ObjectType::Cloud, ADMIN, "Default-Cloud").unwrap();
        assert!(
            cloud.body["ipam_provider_ref"]
                .as_str()
                .unwrap()
                .starts_with("/api/ipamdnsproviderprofile/")
        );
        assert!(
            world
                .store
                .by_name(ObjectType::ApplicationProfile, ADMIN, "System-HTTP")
                .unwrap()
                .system
        );
        assert_eq!(world.controller.up_since, "2023-11-14 22:13:20");
    }
}
