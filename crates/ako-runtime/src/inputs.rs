//! Inputs read from files: AKO's values.yaml into [`Settings`], and a directory of Kubernetes
//! manifests (what you would `kubectl apply`) into a [`Snapshot`]. Used by `ako plan`,
//! `ako sync`, `ako run --values` and the manifest-directory source of `ako demo`.

use std::path::{Path, PathBuf};

use ako_translate::{Settings, Snapshot, Values, load_manifests};
use anyhow::{Context, bail};

/// AKO's settings from a values.yaml; the error names the file and every bad key. Keys AKO's
/// chart does not have (a typo) are warned about, with the key meant when it is near.
pub fn read_settings(values: &Path) -> anyhow::Result<Settings> {
    let text = std::fs::read_to_string(values).with_context(|| format!("cannot read {}", values.display()))?;
    for unknown in ako_translate::unknown_keys::unknown_keys(&text) {
        tracing::warn!("{}: {unknown}", values.display());
    }
    let parsed = Values::from_yaml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", values.display()))?;
    Settings::from_values(&parsed).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        anyhow::anyhow!("{} has invalid settings:\n{}", values.display(), lines.join("\n"))
    })
}

/// The objects of every manifest under `dir`, and a note for each object left out (`file: Kind
/// ns/name is not translated by ako-rs`, or would be refused by the API server).
pub fn read_snapshot(dir: &Path) -> anyhow::Result<(Snapshot, Vec<String>)> {
    let mut snapshot = Snapshot::new();
    let mut notes = Vec::new();
    for file in manifest_files(dir)? {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        for note in load_manifests(&mut snapshot, &file.display().to_string(), &text)? {
            notes.push(format!("{}: {note}", file.display()));
        }
    }
    Ok((snapshot, notes))
}

/// Every manifest file (`*.yaml`, `*.yml`, `*.json`) under `dir`, recursively, sorted so that
/// nothing depends on directory order.
pub fn manifest_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
