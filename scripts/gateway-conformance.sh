#!/usr/bin/env bash
# Prints the path of the Gateway API conformance suite compiled as a test binary (from
# testenv/gateway-conformance, the sigs.k8s.io/gateway-api module at the release whose CRDs
# scripts/gateway-crds.sh gives), building it on first use or when its sources changed.
# Test-only: crates/ako/tests/gateway_conformance.rs runs it against testenv + `ako run`.
#
#   scripts/gateway-conformance.sh      print the binary's path (builds it when stale)
#
# Environment:
#   TESTENV_HOME   cache dir for binaries (default: <repo>/.testenv), as scripts/testenv.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/testenv/gateway-conformance"
bindir="${TESTENV_HOME:-"$repo/.testenv"}/bin"
bin="$bindir/gateway-conformance.test"
command -v go >/dev/null || { echo "gateway-conformance.sh: go is not on PATH" >&2; exit 1; }
stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -d' ' -f1)
if [[ ! -x $bin || $(cat "$bin.stamp" 2>/dev/null) != "$stamp" ]]; then
	mkdir -p "$bindir"
	echo "gateway-conformance.sh: building the Gateway API conformance suite" >&2
	(cd "$src" && go test -c -o "$bin" .) >&2 || { echo "gateway-conformance.sh: build failed" >&2; exit 1; }
	echo "$stamp" >"$bin.stamp"
fi
echo "$bin"
