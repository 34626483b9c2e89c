#!/usr/bin/env bash
# testenv: a real kube-apiserver + embedded etcd for ako-rs tests (see testenv/README.md).
#
#   scripts/testenv.sh tools [helm] build kubectl and helm (or helm only) into $TESTENV_HOME/bin; prints the PATH export
#   scripts/testenv.sh build        build $TESTENV_HOME/bin/testenv (skipped when up to date)
#   scripts/testenv.sh start DIR    start testenv with DIR as data dir; returns once ready;
#                                   writes DIR/kubeconfig, DIR/testenv.pid, DIR/testenv.log
#   scripts/testenv.sh stop DIR     SIGTERM, wait, then remove the state in DIR (keeps testenv.log)
#
# Environment:
#   TESTENV_HOME            cache dir for binaries (default: <repo>/.testenv)
#   TESTENV_START_TIMEOUT   seconds start waits for readiness (default 180)
#   TESTENV_STOP_TIMEOUT    seconds stop waits after SIGTERM before SIGKILL (default 60)
#   TESTENV_PORT            apiserver port (default: a free one)
#   TESTENV_WATCH_PID       testenv shuts down when this pid is gone; CI passes its own shell's
#                           pid ($$) so a run that dies cannot leave an apiserver behind (default 0:
#                           not watched; the caller of start is often a short-lived subshell)
#   TESTENV_HELM_VERSION    helm module version for `tools` (default below)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/testenv"
home=${TESTENV_HOME:-"$repo/.testenv"}
bindir="$home/bin"
bin="$bindir/testenv"
helm_version=${TESTENV_HELM_VERSION:-v3.22.0}

die() {
	echo "testenv.sh: error: $*" >&2
	exit 1
}

need_go() {
	command -v go >/dev/null || die "go is not on PATH (testenv needs Go >= $(sed -n 's/^go //p' "$src/go.mod"))"
}

# Hash of everything the binary is built from. Compared with the stamp written beside the binary,
# a content hash (unlike mtimes) also catches a source edited while a build was running.
inputs_hash() {
	{
		go version
		cat "${BASH_SOURCE[0]}" "$src/go.mod" "$src/go.sum" "$src"/*.go
	} | sha256sum | cut -d' ' -f1
}

# Version stamping as Kubernetes' own build does it. Without it the apiserver reports
# v0.0.0-master, which breaks version checks in clients (kubectl version, Helm's kubeVersion).
# -s -w: no symbol tables; a smaller binary that links faster. Nobody debugs these binaries.
k8s_ldflags() {
	local version time
	read -r version time < <(cd "$src" && go list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
	[[ $version =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "unexpected k8s.io/kubernetes version '$version' in testenv/go.mod"
	local flags="-s -w" pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=${BASH_REMATCH[1]} -X $pkg.gitMinor=${BASH_REMATCH[2]}"
		flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$time"
	done
	echo "$flags"
}

cmd_build() {
	need_go
	local hash
	hash=$(inputs_hash)
	if [[ -x $bin && -f $bin.stamp && $(cat "$bin.stamp") == "$hash" ]]; then
		echo "testenv.sh: $bin is up to date"
		return
	fi
	mkdir -p "$bindir"
	echo "testenv.sh: building $bin (a cold build takes ~15 min on 2 cores; see testenv/README.md)" >&2
	local start=$SECONDS ldflags
	ldflags=$(k8s_ldflags)
	(cd "$src" && go build -ldflags="$ldflags" -o "$bin.tmp" .) || die "go build of testenv failed"
	mv "$bin.tmp" "$bin"
	echo "$hash" >"$bin.stamp"
	echo "testenv.sh: built $bin in $((SECONDS - start))s"
}

cmd_tools() {
	need_go
	mkdir -p "$bindir"
	# Each tool is rebuilt when its stamp (what it was built from) differs; Go's build cache keeps
	# that cheap, the stamp makes the common case free.
	local stamp
	stamp=$(cat "$src/go.mod" "$src/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
	if [[ ${1:-} != helm && (! -x $bindir/kubectl || $(cat "$bindir/kubectl.stamp" 2>/dev/null) != "$stamp") ]]; then
		echo "testenv.sh: building kubectl from k8s.io/kubernetes (version pinned in testenv/go.mod)" >&2
		# Built inside the testenv module: kubectl's own module cannot be `go install`ed because
		# k8s.io/kubernetes needs the replace directives that only a main module can carry.
		local ldflags
		ldflags=$(k8s_ldflags)
		(cd "$src" && go build -ldflags="$ldflags" -o "$bindir/kubectl" k8s.io/kubernetes/cmd/kubectl) || die "building kubectl failed"
		echo "$stamp" >"$bindir/kubectl.stamp"
	fi
	if [[ ! -x $bindir/helm || $(cat "$bindir/helm.stamp" 2>/dev/null) != "$helm_version" ]]; then
		echo "testenv.sh: building helm $helm_version" >&2
		GOBIN="$bindir" go install -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version" \
			"helm.sh/helm/v3/cmd/helm@$helm_version" || die "building helm $helm_version failed"
		echo "$helm_version" >"$bindir/helm.stamp"
	fi
	echo "export PATH=\"$bindir:\$PATH\""
}

# A child that died while this script still runs is a zombie until we exit, and kill -0 succeeds
# on zombies: read the process state instead.
pid_alive() {
	[[ -n $1 && -r /proc/$1/stat ]] || return 1
	local _pid _comm state
	read -r _pid _comm state _ <"/proc/$1/stat" || return 1
	[[ $state != Z ]]
}

cmd_start() {
	local dir=${1:?usage: $0 start DIR}
	local timeout=${TESTENV_START_TIMEOUT:-180}
	local watch=${TESTENV_WATCH_PID:-0}
	cmd_build >&2
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [[ -f $dir/testenv.pid ]] && pid_alive "$(cat "$dir/testenv.pid")"; then
		die "testenv already running in $dir (pid $(cat "$dir/testenv.pid")); run: $0 stop $dir"
	fi

	local args=(--data-dir "$dir" --watch-pid "$watch" --ready-timeout "${timeout}s")
	[[ -n ${TESTENV_PORT:-} ]] && args+=(--port "$TESTENV_PORT")
	: >"$dir/testenv.log"
	# nohup + no stdin: the server outlives this script and any terminal it was started from.
	nohup "$bin" "${args[@]}" </dev/null >"$dir/testenv.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$dir/testenv.pid"

	local deadline=$((SECONDS + timeout))
	until grep -q '^testenv ready:' "$dir/testenv.log"; do
		if ! pid_alive "$pid"; then
			tail -n 40 "$dir/testenv.log" >&2
			rm -f "$dir/testenv.pid"
			die "testenv exited before it was ready (log above, full log: $dir/testenv.log)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 40 "$dir/testenv.log" >&2
			kill -TERM "$pid" 2>/dev/null || true
			die "testenv not ready within ${timeout}s (log above, full log: $dir/testenv.log)"
		fi
		sleep 0.2
	done
	grep '^testenv ready:' "$dir/testenv.log"
	echo "export KUBECONFIG=\"$dir/kubeconfig\" AKO_TESTENV_KUBECONFIG=\"$dir/kubeconfig\""
}

cmd_stop() {
	local dir=${1:?usage: $0 stop DIR}
	local timeout=${TESTENV_STOP_TIMEOUT:-60}
	[[ -d $dir ]] || die "no such directory: $dir"
	local pid=""
	[[ -f $dir/testenv.pid ]] && pid=$(cat "$dir/testenv.pid")
	if pid_alive "$pid"; then
		kill -TERM "$pid"
		local deadline=$((SECONDS + timeout))
		while pid_alive "$pid"; do
			if ((SECONDS >= deadline)); then
				echo "testenv.sh: pid $pid still running ${timeout}s after SIGTERM; sending SIGKILL" >&2
				kill -KILL "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.2
		done
		echo "testenv.sh: stopped pid $pid"
	else
		echo "testenv.sh: not running in $dir"
	fi
	# Only what testenv itself creates: DIR may be a directory the caller also uses.
	rm -rf "$dir/etcd" "$dir/pki" "$dir/tokens.csv" "$dir/kubeconfig" "$dir/kubeconfig.tmp" "$dir/testenv.pid"
}

case ${1:-} in
tools) shift && cmd_tools "$@" ;;
build) cmd_build ;;
start) shift && cmd_start "$@" ;;
stop) shift && cmd_stop "$@" ;;
*)
	sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
