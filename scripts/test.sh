#!/usr/bin/env bash
# Run every test of the workspace against real components: avisim (in-process, over HTTPS) and
# a real kube-apiserver (testenv, built from the upstream Go modules and cached in .testenv/).
#
#   scripts/test.sh                 all tests
#   scripts/test.sh -p avisim       only these packages (arguments go to `cargo test`)
#
# A running testenv can be reused with AKO_TESTENV_KUBECONFIG=/path/kubeconfig.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# helm (and kubectl), pinned, for the chart's test (crates/ako/tests/helm_chart.rs); a no-op when
# already built. AKO_HELM_BIN points the test at another helm instead.
if [[ -z ${AKO_HELM_BIN:-} ]]; then
	scripts/testenv.sh tools helm >/dev/null
fi

if [[ -z ${AKO_TESTENV_KUBECONFIG:-} ]]; then
	scripts/testenv.sh build
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ako-testenv.XXXXXX")
	trap 'scripts/testenv.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
	TESTENV_WATCH_PID=$$ scripts/testenv.sh start "$dir"
	export AKO_TESTENV_KUBECONFIG="$dir/kubeconfig"
fi
# The tests that need the apiserver must fail, not skip, when it is missing.
export AKO_TESTENV_REQUIRED=1
# Benchmarks are not tests (`cargo clippy --all-targets` still builds them): see BENCHMARKS.md.
if [[ $# -gt 0 ]]; then
	cargo test "$@"
else
	cargo test --workspace
fi
