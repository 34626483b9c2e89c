//! Durable state for `--state FILE`: a JSON snapshot plus an append-only journal
//! (`FILE.journal`, one JSON line per acknowledged write). A write is in the journal before
//! its response is sent, so even a killed process loses nothing. On start the snapshot is
//! loaded, the journal replayed, and both compacted into a fresh snapshot.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::auth::UserToken;
use crate::seed::ControllerFacts;
use crate::store::Record;

/// The whole persisted state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Controller identity (version, cluster uuid, leader `up_since`), stable across restarts.
    pub controller: ControllerFacts,
    /// Every object.
    pub records: Vec<Record>,
    /// User tokens.
    #[serde(default)]
    pub tokens: Vec<UserToken>,
}

/// One journal line.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Entry {
    /// An object was created or replaced.
    Put {
        /// The stored record.
        record: Record,
    },
    /// An object was deleted.
    Delete {
        /// Its type.
        #[serde(rename = "type")]
        kind: String,
        /// Its uuid.
        uuid: String,
    },
    /// A user token was issued.
    TokenPut {
        /// The token.
        token: UserToken,
    },
    /// A user token was revoked.
    TokenDelete {
        /// Its uuid.
        uuid: String,
    },
}

/// Snapshot + journal files.
pub struct Journal {
    snapshot_path: PathBuf,
    journal_path: PathBuf,
    writer: BufWriter<File>,
}

impl Journal {
    /// Load whatever is persisted at `path`: the snapshot and the journal entries after it.
    pub fn load(path: &Path) -> anyhow::Result<Option<(Snapshot, Vec<Entry>)>> {
        if !path.exists() {
            return Ok(None);
        }
        let snapshot: Snapshot = serde_json::from_reader(BufReader::new(
            File::open(path).with_context(|| format!("open state file {}", path.display()))?,
        ))
        .with_context(|| format!("parse state file {}", path.display()))?;
        let mut entries = Vec::new();
        let journal = journal_path(path);
        if journal.exists() {
            for (n, line) in BufReader::new(File::open(&journal)?).lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str(&line) {
                    Ok(entry) => entries.push(entry),
                    // A torn last line (killed mid-write) was never acknowledged: drop it.
                    Err(e) => tracing::warn!(
                        "{}:{}: ignoring unreadable journal entry: {e}",
                        journal.display(),
                        n + 1
                    ),
                }
            }
        }
        Ok(Some((snapshot, entries)))
    }

    /// Write `snapshot` atomically and start an empty journal after it.
    pub fn create(path: &Path, snapshot: &Snapshot) -> anyhow::Result<Self> {
        let tmp = path.with_extension("tmp");
        {
            let mut out = BufWriter::new(File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?);
            serde_json::to_writer(&mut out, snapshot)?;
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, path).with_context(|| format!("replace {}", path.display()))?;
        let journal_path = journal_path(path);
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&journal_path)?;
        Ok(Journal {
            snapshot_path: path.to_owned(),
            journal_path,
            writer: BufWriter::new(file),
        })
    }

    /// Append one entry and hand it to the OS before returning.
    pub fn append(&mut self, entry: &Entry) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.writer, entry)?;
        self.writer.write_all(b"\n")?;
        self.writer.flush()?;
        Ok(())
    }

    /// Replace snapshot and journal with a fresh snapshot.
    pub fn compact(&mut self, snapshot: &Snapshot) -> anyhow::Result<()> {
        *self = Journal::create(&self.snapshot_path, snapshot)?;
        Ok(())
    }

    /// The journal file's path.
    pub fn journal_path(&self) -> &Path {
        &self.journal_path
    }
}

fn journal_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}
