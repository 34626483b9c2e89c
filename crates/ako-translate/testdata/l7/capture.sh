#!/usr/bin/env bash
# Capture L7 golden cases from the real Go AKO (see README.md). A tool, not run in CI.
#
#   capture.sh [CASE_DIR...]     default: every ako_* directory next to this script
#
# Needs, already running: avisim started with --log-bodies, and testenv (scripts/testenv.sh start).
# Environment (defaults in brackets):
#   AKO_BIN          the Go AKO binary (built from source, see README.md) [/tmp/akocheck/ako-bin]
#   KUBECONFIG       testenv's kubeconfig [/tmp/akol7/te/kubeconfig]
#   AVISIM_URL       [https://127.0.0.1:19743]     AVISIM_CA [/tmp/akol7/sim/ca.crt]
#   AVISIM_USER      [admin]                       AVISIM_PASSWORD [Admin-Pass1]
#   WORK             scratch dir: AKO's HOME, logs, raw dumps [/tmp/akol7]
#   KUBECTL          [<repo>/.testenv/bin/kubectl]
#   CRD_DIR          AKO's CRDs [/work/shared/reference/ako-chart/crds]
#   CHART_VALUES     the chart's values.yaml (defaults under each case's values.yaml)
#   CAPTURE_QUIET / CAPTURE_MIN_UP / CAPTURE_DEADLINE   convergence polling, seconds [12/20/240]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
export AKO_BIN=${AKO_BIN:-/tmp/akocheck/ako-bin}
export KUBECONFIG=${KUBECONFIG:-/tmp/akol7/te/kubeconfig}
export AVISIM_URL=${AVISIM_URL:-https://127.0.0.1:19743}
export AVISIM_CA=${AVISIM_CA:-/tmp/akol7/sim/ca.crt}
export WORK=${WORK:-/tmp/akol7}
export KUBECTL=${KUBECTL:-$repo/.testenv/bin/kubectl}
py() { python3 "$here/capture.py" "$@"; }

[[ -x $AKO_BIN ]] || { echo "capture.sh: no AKO binary at $AKO_BIN" >&2; exit 1; }
cases=("$@")
if ((${#cases[@]} == 0)); then
	for d in "$here"/ako_*/; do cases+=("$(basename "$d")"); done
fi

# AKO ignores -kubeconfig and reads $HOME/.kube/config.
mkdir -p "$WORK/home/.kube" "$WORK/logs"
cp "$KUBECONFIG" "$WORK/home/.kube/config"
py setup

ako_pid=
stop_ako() {
	[[ -n $ako_pid ]] || return 0
	kill -TERM "$ako_pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$ako_pid" 2>/dev/null || break; sleep 0.2; done
	kill -KILL "$ako_pid" 2>/dev/null || true
	wait "$ako_pid" 2>/dev/null || true
	ako_pid=
}
trap stop_ako EXIT

for c in "${cases[@]}"; do
	dir=$here/$(basename "$c")
	name=$(basename "$dir")
	echo "=== $name"
	py reset
	py cleanup
	py config "$dir" >"$WORK/ako.env"
	py apply "$dir" 0
	log=$WORK/logs/$name.log
	(
		set -a
		# shellcheck disable=SC1091
		. "$WORK/ako.env"
		export HOME=$WORK/home
		unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
		exec "$AKO_BIN"
	) >"$log" 2>&1 &
	ako_pid=$!
	started=$(date +%s)
	py wait "$ako_pid" "$started"
	stages=$(py stages "$dir")
	for ((s = 1; s < stages; s++)); do
		py apply "$dir" "$s"
		py wait "$ako_pid" "$(date +%s)"
	done
	py dump "$dir" "$dir"
	stop_ako
	# Committed: the small raw files (write sequence, Events, allocated VIPs); objects.json (the
	# objects as avisim stored them) stays in $WORK/raw.
	raw=$WORK/raw/$name
	rm -rf "$here/_captured/$name"
	mkdir -p "$here/_captured/$name"
	cp "$raw"/writes.txt "$raw"/events.txt "$raw"/vips.txt "$here/_captured/$name/"
	grep -E 'WARN|ERROR|\bE[0-9]{4} ' "$log" | grep -v 'Controller Host is not valid' >"$WORK/logs/$name.warn" || true
	echo "AKO log: $log (warnings: $WORK/logs/$name.warn)"
done
