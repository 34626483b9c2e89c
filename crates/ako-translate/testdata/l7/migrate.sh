#!/usr/bin/env bash
# Migration check: Go AKO populates avisim, then `ako run` takes over. A tool, not run in CI.
#
#   migrate.sh CASE_DIR...
#
# For each case: capture.sh runs Go AKO on it (avisim then holds what AKO built, the cluster holds
# the case's objects with the statuses AKO wrote), then `ako run` starts on the same cluster and
# controller with the case's values.yaml. Once it is ready and the controller has been quiet for
# MIGRATE_QUIET seconds, the writes it sent are counted by method and type, and the
# resourceVersions of every Ingress, Service, HostRule and HTTPRule are compared with those before
# it started (a status ako-rs rewrote changes its object's resourceVersion). Then AKO's annotations
# (host-fqdn-vs-uuid-map, controller-cluster-uuid, tenant-name) are removed from every Ingress and
# Service, and ako-rs must write them back exactly as Go AKO had.
#
# Needs what capture.sh needs (same environment), plus AKO_RS (the ako binary)
# [<repo>/target/release/ako]. MIGRATE_QUIET [8], MIGRATE_DEADLINE [120] seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
export KUBECONFIG=${KUBECONFIG:-/tmp/akol7/te/kubeconfig}
export AVISIM_URL=${AVISIM_URL:-https://127.0.0.1:19743}
export AVISIM_CA=${AVISIM_CA:-/tmp/akol7/sim/ca.crt}
export WORK=${WORK:-/tmp/akol7}
export KUBECTL=${KUBECTL:-$repo/.testenv/bin/kubectl}
AKO_RS=${AKO_RS:-$repo/target/release/ako}
quiet=${MIGRATE_QUIET:-8}
deadline=${MIGRATE_DEADLINE:-120}
[[ -x $AKO_RS ]] || { echo "migrate.sh: no ako binary at $AKO_RS" >&2; exit 1; }

sim() { curl -sf --cacert "$AVISIM_CA" -X "$1" "$AVISIM_URL$2"; }
# Routes only where the case installed the Route API; Gateway API kinds where their CRDs are.
routes() { "$KUBECTL" get crd routes.route.openshift.io >/dev/null 2>&1 && echo routes.route.openshift.io; }
gateway_kinds() {
	"$KUBECTL" get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 &&
		echo gatewayclasses.gateway.networking.k8s.io gateways.gateway.networking.k8s.io httproutes.gateway.networking.k8s.io
}
versions() {
	for kind in ingresses.networking.k8s.io services hostrules.ako.vmware.com httprules.ako.vmware.com aviinfrasettings.ako.vmware.com l4rules.ako.vmware.com l7rules.ako.vmware.com ssorules.ako.vmware.com $(routes) $(gateway_kinds); do
		"$KUBECTL" get "$kind" -A -o jsonpath='{range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}'
	done | sort
}

AKO_KEYS=(ako.vmware.com/host-fqdn-vs-uuid-map ako.vmware.com/controller-cluster-uuid ako.vmware.com/tenant-name)
annotations() {
	for kind in ingresses.networking.k8s.io services $(routes); do
		"$KUBECTL" get "$kind" -A -o json | python3 -c '
import json, sys
keys = sys.argv[1:]
for o in json.load(sys.stdin)["items"]:
    a = o["metadata"].get("annotations") or {}
    print(o["kind"], o["metadata"]["namespace"] + "/" + o["metadata"]["name"], json.dumps({k: a[k] for k in keys if k in a}, sort_keys=True))
' "${AKO_KEYS[@]}"
	done | sort
}
# Routes' admitted statuses as AKO writes them, transition times aside (they tell when, not what).
# ako-rs also refuses, in the status, a Route it does not serve (Admitted False), where Go AKO
# writes nothing on a Route's creation: those show as changed objects above, not here.
route_statuses() {
	[[ -n $(routes) ]] || return 0
	"$KUBECTL" get routes.route.openshift.io -A -o json | python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    entries = [e for e in (o.get("status") or {}).get("ingress") or []
               if any(c.get("type") == "Admitted" and c.get("status") == "True" for c in e.get("conditions") or [])]
    for e in entries:
        for c in e.get("conditions") or []:
            c.pop("lastTransitionTime", None)
    print(o["metadata"]["namespace"] + "/" + o["metadata"]["name"], json.dumps(entries, sort_keys=True))
'
}
for c in "$@"; do
	name=$(basename "$c")
	"$here/capture.sh" "$name"
	before=$(versions)
	mark=$(sim GET /_sim/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])')
	seq=$(sim GET "/_sim/requests?since=0" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[-1]["seq"] if r else 0)')
	values=$WORK/migrate-values.yaml
	sed "s/^\(  controllerHost:\).*/\1 ${AVISIM_URL#https://}/" "$here/$name/values.yaml" >"$values"
	portfile=$WORK/migrate-admin.port
	rm -f "$portfile"
	"$AKO_RS" run --kubeconfig "$KUBECONFIG" --values "$values" --username admin \
		--password "${AVISIM_PASSWORD:-Admin-Pass1}" --ca-file "$AVISIM_CA" \
		--admin-listen 127.0.0.1:0 --admin-port-file "$portfile" >"$WORK/logs/$name.ako-rs.log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	start=$(date +%s)
	until [[ -s $portfile ]] && curl -sf "http://127.0.0.1:$(cat "$portfile")/readyz" >/dev/null; do
		(($(date +%s) - start < deadline)) || { echo "$name: ako run not ready in ${deadline}s" >&2; exit 1; }
		sleep 0.5
	done
	last=$(sim GET /_sim/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])')
	still=$(date +%s)
	while (($(date +%s) - still < quiet)); do
		sleep 1
		now=$(sim GET /_sim/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])')
		[[ $now == "$last" ]] || { last=$now; still=$(date +%s); }
		(($(date +%s) - start < deadline)) || { echo "$name: controller not quiet in ${deadline}s" >&2; exit 1; }
	done
	after=$(versions)
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	trap - EXIT
	echo "=== $name: ako run took over; controller writes: $((last - mark))"
	sim GET "/_sim/requests?since=$seq" | python3 -c '
import collections, json, sys
writes = collections.Counter((r["method"], r["type"]) for r in json.load(sys.stdin)
                             if r["method"] in ("POST", "PUT", "PATCH", "DELETE") and r["path"].startswith("/api/"))
for (m, t), n in sorted(writes.items()):
    print(f"  {m} {t}: {n}")'
	changed=$(diff <(echo "$before") <(echo "$after") | grep -c '^>' || true)
	echo "  Kubernetes objects whose resourceVersion changed: $changed"
	diff <(echo "$before") <(echo "$after") | grep '^>' | sed 's/^>/   /' || true
	# AKO's annotations on Ingresses and Services (host -> VS uuid, controller cluster, tenant):
	# Go AKO's are removed, and a restarted ako-rs must write them back byte for byte.
	akos=$(annotations)
	# And Routes' statuses: Go AKO's removed, ako-rs must write them back alike.
	statuses=$(route_statuses)
	if [[ -n $(routes) ]]; then
		"$KUBECTL" get routes.route.openshift.io -A -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' |
			while read -r ns obj; do
				"$KUBECTL" patch routes.route.openshift.io -n "$ns" "$obj" --subresource=status --type=merge \
					-p '{"status":null}' >/dev/null
			done
	fi
	for kind in ingresses.networking.k8s.io services $(routes); do
		"$KUBECTL" get "$kind" -A -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' |
			while read -r ns obj; do
				"$KUBECTL" annotate "$kind" -n "$ns" "$obj" "${AKO_KEYS[@]/%/-}" >/dev/null 2>&1 || true
			done
	done
	"$AKO_RS" run --kubeconfig "$KUBECONFIG" --values "$values" --username admin \
		--password "${AVISIM_PASSWORD:-Admin-Pass1}" --ca-file "$AVISIM_CA" \
		--admin-listen 127.0.0.1:0 >>"$WORK/logs/$name.ako-rs.log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	start=$(date +%s)
	until [[ $(annotations) == "$akos" && $(route_statuses) == "$statuses" ]]; do
		if (($(date +%s) - start >= deadline)); then
			echo "$name: AKO's annotations or Route statuses not written back alike:" >&2
			diff <(echo "$akos") <(annotations) >&2
			diff <(echo "$statuses") <(route_statuses) >&2
			exit 1
		fi
		sleep 0.5
	done
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	trap - EXIT
	echo "  AKO's annotations (Go AKO's removed): written back identical by ako-rs, $(grep -c 'host-fqdn' <<<"$akos") objects"
	[[ -z $statuses ]] || echo "  Route statuses (Go AKO's removed): written back identical by ako-rs, $(grep -c 'Admitted' <<<"$statuses") Routes"
done
