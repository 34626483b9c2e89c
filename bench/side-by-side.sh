#!/usr/bin/env bash
# ako-rs and Go AKO side by side, each alone in the same world (see BENCHMARKS.md "Side by side
# with Go AKO"). A benchmark run on request, not part of .ci/run.
#
#   bench/side-by-side.sh [N...]      default: 500 2000 10000
#
# For each N, the operator bench (crates/ako/benches/run_e2e) runs twice, once per operator, each
# on a fresh testenv + avisim: N Ingresses (3 paths, 30 % TLS, own Service and EndpointSlice
# each), N/5 LoadBalancer Services, LARGE shards, ClusterIP, LATENCY_MS added to every controller
# request; the operator started as AKO's chart starts it (ConfigMap avi-k8s-config, the
# StatefulSet's environment). Recorded per run: time to converge (every status with an IP),
# settled (last controller write), controller requests, CPU seconds, peak RSS; then CHANGES
# Ingresses gain a path each (change latency). Go AKO is given GO_TIMEOUT_S per phase. Then the
# takeover at TAKEOVER_N: Go AKO converges, is stopped, `ako run` starts on the same cluster and
# controller; what ako-rs writes is recorded (goal: nothing).
#
# Environment (defaults in brackets):
#   AKO_BIN      a Go AKO binary; when unset it is built from AKO_SRC into $WORK/ako-go
#   AKO_SRC      a checkout of github.com/vmware/load-balancer-and-ingress-services-for-kubernetes
#                at ba495be9e (Go AKO 2.2.1, as the golden captures; the Go module proxy does not
#                serve it, so it has to be cloned)
#   LATENCY_MS [20]  CHANGES [20]  GO_TIMEOUT_S [1800]  TAKEOVER_N [2000] (0: no takeover)
#   OPERATORS ["rs go"]: which operators to run (the table gets a row per run)
#   BENCH_BIN: a bench binary already built (`cargo bench -p ako --bench run_e2e --no-run` prints
#                it) instead of building one, e.g. to keep measuring Go AKO while the tree changes
#   WORK [/tmp/ako-side-by-side]: the Go AKO build, each run's output, results.md
#   AKO_TESTENV_BIN [<repo>/.testenv/bin/testenv] (scripts/testenv.sh build)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-/tmp/ako-side-by-side}
latency=${LATENCY_MS:-20}
changes=${CHANGES:-20}
go_timeout=${GO_TIMEOUT_S:-1800}
takeover_n=${TAKEOVER_N:-2000}
operators=${OPERATORS:-rs go}
sizes=("$@")
((${#sizes[@]})) || sizes=(500 2000 10000)
mkdir -p "$work"

die() {
	echo "side-by-side.sh: $*" >&2
	exit 1
}

export AKO_TESTENV_BIN=${AKO_TESTENV_BIN:-$repo/.testenv/bin/testenv}
[[ -x $AKO_TESTENV_BIN ]] || "$repo/scripts/testenv.sh" build
unset AKO_TESTENV_KUBECONFIG

go_ako=${AKO_BIN:-}
if [[ -z $go_ako ]]; then
	[[ -n ${AKO_SRC:-} && -d ${AKO_SRC:-}/cmd/ako-main ]] ||
		die "set AKO_BIN (a Go AKO binary) or AKO_SRC (a checkout of AKO's source at ba495be9e)"
	go_ako=$work/ako-go
	echo "building Go AKO from $AKO_SRC ($(git -C "$AKO_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	(cd "$AKO_SRC" && GOTOOLCHAIN=local GOFLAGS=-mod=vendor go build -o "$go_ako" ./cmd/ako-main)
fi
[[ -x $go_ako ]] || die "no Go AKO binary at $go_ako"

bench_bin=${BENCH_BIN:-}
if [[ -z $bench_bin ]]; then
	bench_bin=$(cd "$repo" && cargo bench -p ako --bench run_e2e --no-run --message-format=json 2>/dev/null |
		python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "run_e2e" and m.get("executable"):
        print(m["executable"])')
fi
[[ -x $bench_bin ]] || die "no bench binary ($bench_bin)"

# bench OPERATOR N LOG [env...]: one run of the operator bench.
bench() {
	local operator=$1 n=$2 log=$3
	shift 3
	local extra=()
	[[ $operator == go ]] && extra=(AKO_BENCH_GO_AKO="$go_ako" AKO_BENCH_TIMEOUT_S="$go_timeout")
	echo "== $operator N=$n ($log)"
	(
		cd "$repo"
		env AKO_BENCH_INGRESSES="$n" AKO_BENCH_LB_SERVICES=$((n / 5)) AKO_BENCH_PATHS=3 \
			AKO_BENCH_TLS_PERCENT=30 AKO_BENCH_SHARD=LARGE AKO_BENCH_LATENCY_MS="$latency" \
			AKO_BENCH_CHANGES="$changes" AKO_BENCH_CHANGE=path "${extra[@]}" "$@" \
			"$bench_bin" --bench
	) >"$log" 2>&1 || echo "(exit $?)" >>"$log"
	grep -E '^(created|bootstrap|change latency|takeover|stopped|  (POST|PUT|PATCH|DELETE) )|exited' "$log" | cut -c1-400 || true
}

results=$work/results.md
{
	echo "# Side by side, $(date -u +%Y-%m-%d), LATENCY_MS=$latency, CHANGES=$changes, ako-rs $(git -C "$repo" rev-parse --short HEAD)"
	echo
	echo "| N | operator | converged | settled | controller requests | CPU s | peak RSS | change p50 / p99 |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$results"
row() {
	local n=$1 operator=$2 log=$3
	python3 - "$n" "$operator" "$log" >>"$results" <<'EOF'
import re, sys
n, op, log = sys.argv[1:]
text = open(log).read()
b = re.search(r"converged ([\d.]+) s, annotated [\d.]+ s, settled ([\d.]+) s; (\d+) controller requests \(\d+ writes\), ([\d.]+) CPU s, \d+ pools on avisim, peak RSS ([\d.]+) MiB", text)
c = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", text)
if b:
    conv, settled, reqs, cpu, rss = b.groups()
    change = f"{float(c.group(1)):.0f} / {float(c.group(2)):.0f} ms" if c else "-"
    print(f"| {n} | {op} | {conv} s | {settled} s | {reqs} | {cpu} | {rss} MiB | {change} |")
else:
    s = re.search(r"stopped: .* after (\d+) s: (.*): (\d+) of (\d+); peak RSS ([\d.]+) MiB, ([\d.]+) CPU s", text)
    if s:
        secs, what, done, total, rss, cpu = s.groups()
        print(f"| {n} | {op} | stopped at {secs} s ({what}: {done} of {total}) | | | {cpu} | {rss} MiB | - |")
    else:
        print(f"| {n} | {op} | failed (see {log}) | | | | | |")
EOF
}
for n in "${sizes[@]}"; do
	for operator in $operators; do
		bench "$operator" "$n" "$work/$operator-$n.log"
		row "$n" "$([[ $operator == go ]] && echo "Go AKO" || echo ako-rs)" "$work/$operator-$n.log"
	done
done
if ((takeover_n > 0)); then
	bench go "$takeover_n" "$work/takeover-$takeover_n.log" AKO_BENCH_TAKEOVER=1
	{
		echo
		echo "Takeover at N=$takeover_n:"
		echo
		grep -E '^(takeover|  (POST|PUT|PATCH|DELETE) )' "$work/takeover-$takeover_n.log" || echo "(failed: see $work/takeover-$takeover_n.log)"
	} >>"$results"
fi
echo
cat "$results"
