//! A directory of manifests as the cluster (`ako demo`): read into a [`MemoryCluster`], then
//! polled; a changed file becomes watch events of the objects that changed, a changed values
//! file new settings. The objects AKO's chart creates (IngressClass `avi-lb`) are there unless
//! the directory defines them ([`ako_translate::chart`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ako_translate::chart::ingress_class;
use ako_translate::manifests::objects;
use ako_translate::{Kind, ObjRef, Settings};
use anyhow::Context;
use tokio::sync::watch;

use crate::inputs::{manifest_files, read_settings};
use crate::memory::MemoryCluster;

/// The directory, the values file and what was last read from them.
pub struct ManifestDir {
    dir: PathBuf,
    values: PathBuf,
    cluster: MemoryCluster,
    /// Names, sizes and modification times of the inputs last read.
    seen: Vec<(PathBuf, u64, Option<SystemTime>)>,
    /// The objects the last read applied.
    applied: BTreeSet<ObjRef>,
}

impl ManifestDir {
    /// A source reading `dir` and `values` into `cluster`.
    pub fn new(dir: PathBuf, values: PathBuf, cluster: MemoryCluster) -> Self {
        ManifestDir {
            dir,
            values,
            cluster,
            seen: Vec::new(),
            applied: BTreeSet::new(),
        }
    }

    /// Read the settings and every manifest, and list every kind into the index (its initial
    /// lists). Errors name the file.
    pub fn load(&mut self) -> anyhow::Result<Settings> {
        let settings = read_settings(&self.values)?;
        self.read(&settings)?;
        for kind in Kind::ALL {
            self.cluster.list(*kind);
        }
        Ok(settings)
    }

    /// Apply what the files say now: objects added or changed are applied, objects gone are
    /// deleted. Files that cannot be read change nothing (the error says why).
    fn read(&mut self, settings: &Settings) -> anyhow::Result<()> {
        self.seen = fingerprint(&self.dir, &self.values);
        let mut docs = Vec::new();
        for file in manifest_files(&self.dir)? {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            docs.extend(objects(&file.display().to_string(), &text)?);
        }
        let mut now = BTreeSet::new();
        for doc in docs {
            if ako_translate::manifests::kind_of(&doc).is_none() {
                continue; // kinds ako-rs does not read (ConfigMaps, Deployments, ...)
            }
            let r = self.cluster.apply(doc).map_err(|e| anyhow::anyhow!(e))?;
            now.insert(r);
        }
        let chart = ObjRef::new(Kind::IngressClass, "", ako_translate::chart::INGRESS_CLASS);
        if !now.contains(&chart) {
            let class = serde_json::to_value(ingress_class(settings)).context("IngressClass")?;
            let mut class = class;
            class["apiVersion"] = "networking.k8s.io/v1".into();
            class["kind"] = "IngressClass".into();
            now.insert(self.cluster.apply(class).map_err(|e| anyhow::anyhow!(e))?);
        }
        for gone in self.applied.difference(&now) {
            self.cluster.delete(gone);
        }
        self.applied = now;
        Ok(())
    }

    /// Poll every `every` and apply changes until the process ends; new settings go to
    /// `settings`. `changed` is called once per change detected.
    pub async fn watch(mut self, every: Duration, settings: watch::Sender<Settings>, changed: impl Fn()) {
        loop {
            tokio::time::sleep(every).await;
            let now = fingerprint(&self.dir, &self.values);
            if now == self.seen {
                continue;
            }
            changed();
            let result = read_settings(&self.values).and_then(|s| {
                self.read(&s)?;
                Ok(s)
            });
            match result {
                Ok(s) => {
                    settings.send_if_modified(|old| {
                        let differs = *old != s;
                        *old = s;
                        differs
                    });
                }
                Err(e) => {
                    // Bad input is reported and waited out: edit the files again.
                    self.seen = now;
                    eprintln!("error: {e:#}");
                }
            }
        }
    }
}

/// Names, sizes and modification times of the inputs: a change in any means another read.
fn fingerprint(dir: &Path, values: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.metadata() {
                Ok(m) if m.is_dir() => pending.push(path),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    if let Ok(m) = std::fs::metadata(values) {
        out.push((values.to_owned(), m.len(), m.modified().ok()));
    }
    out.sort();
    out
}
