#!/usr/bin/env bash
# Prints the path of OpenShift's Route CRD (routes.route.openshift.io), from the OpenShift API Go
# module at a pinned version, downloaded through the Go module proxy into the Go module cache.
# Test-only: ako-rs's Route tests and captures install it into testenv, which has no OpenShift
# API server.
#
#   scripts/route-crd.sh            print the path (downloads the module on first use)
#
# Environment:
#   OPENSHIFT_API_VERSION   module version (default below)
set -euo pipefail
version=${OPENSHIFT_API_VERSION:-v0.0.0-20250710004639-926605d3338b}
command -v go >/dev/null || { echo "route-crd.sh: go is not on PATH" >&2; exit 1; }
# Outside any module, so the download changes no go.mod.
dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/openshift/api@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
crd="$dir/route/v1/zz_generated.crd-manifests/routes.crd.yaml"
[[ -f $crd ]] || { echo "route-crd.sh: no Route CRD at $crd (version $version)" >&2; exit 1; }
echo "$crd"
