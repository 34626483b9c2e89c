#!/usr/bin/env bash
# Prints the directory holding the Gateway API standard-channel CRDs (GatewayClass, Gateway,
# HTTPRoute, GRPCRoute, ReferenceGrant), from the sigs.k8s.io/gateway-api Go module at a pinned
# release, downloaded through the Go module proxy into the Go module cache. Test-only: the chart
# does not install these CRDs (a cluster's Gateway API release is its administrator's choice);
# ako-rs's Gateway API tests and captures install them into testenv.
#
#   scripts/gateway-crds.sh         print the directory (downloads the module on first use)
#
# Environment:
#   GATEWAY_API_VERSION   module version (default: v1.3.0, the release Go AKO 2.2.1 vendors)
set -euo pipefail
version=${GATEWAY_API_VERSION:-v1.3.0}
command -v go >/dev/null || { echo "gateway-crds.sh: go is not on PATH" >&2; exit 1; }
# Outside any module, so the download changes no go.mod.
dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
crds="$dir/config/crd/standard"
[[ -f $crds/gateway.networking.k8s.io_gateways.yaml ]] || { echo "gateway-crds.sh: no CRDs in $crds (version $version)" >&2; exit 1; }
echo "$crds"
