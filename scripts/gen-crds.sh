#!/usr/bin/env bash
# Regenerate the chart's CustomResourceDefinitions (deploy/helm/ako/crds) from the Rust types of
# crates/ako-translate/src/crds. crates/ako/tests/crds.rs fails while the committed files are stale.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
cargo run -q -p ako -- crds --dir deploy/helm/ako/crds
