#!/usr/bin/env python3
"""Helper of capture.sh (see README.md): talks to testenv (through kubectl) and to avisim.

Subcommands (all read their settings from the environment capture.sh exports):
  setup              CRDs, avi-system, avi-secret, Pod ako-0, IngressClass avi-lb
  cleanup            delete every case namespace (objects first, HostRules and HTTPRules
                     included, then finalize), Nodes and IngressClasses other than avi-lb
  reset              POST /_sim/reset
  config CASE        write ConfigMap avi-k8s-config from CASE/values.yaml; print AKO's env
  apply CASE STAGE   create the objects of one stage of CASE/in.yaml (stage 0: all objects not
                     listed in CASE/capture.yaml `later`; stage 1: those listed), set Node and Pod
                     status, then write the allocated clusterIP/nodePorts back into in.yaml
  stages CASE        print the number of stages
  wait PID STARTED   poll until AKO (pid) is quiet (no write to avisim, no Ingress/Service/HostRule/
                     HTTPRule status change); STARTED = epoch seconds AKO was started
  dump CASE          write ako.json, status.json, status_services.json, status_rules.json and
                     seed_updates.json (the VRF's static routes, the SE group's labels) when the
                     case has such objects, and the raw material of $WORK/raw/CASE
"""

import copy
import functools
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.environ.get("AVISIM_URL", "https://127.0.0.1:19743")
SIM_CA = os.environ.get("AVISIM_CA", "/tmp/akol7/sim/ca.crt")
SIM_USER = os.environ.get("AVISIM_USER", "admin")
SIM_PASSWORD = os.environ.get("AVISIM_PASSWORD", "Admin-Pass1")
KUBECTL = os.environ.get("KUBECTL", "kubectl")
CRD_DIR = os.environ.get("CRD_DIR", "/work/shared/reference/ako-chart/crds")
CHART_VALUES = os.environ.get("CHART_VALUES", "/work/shared/reference/ako-chart/values.yaml")
AKO_API_PORT = os.environ.get("AKO_API_PORT", "18280")
# Convergence: AKO is done when no write reached avisim and no Ingress/Service status changed
# for QUIET seconds, at least MIN_UP seconds after it started; give up after DEADLINE seconds.
QUIET = float(os.environ.get("CAPTURE_QUIET", "12"))
MIN_UP = float(os.environ.get("CAPTURE_MIN_UP", "20"))
DEADLINE = float(os.environ.get("CAPTURE_DEADLINE", "240"))

# AKO's rule CRs: AKO validates each and writes Accepted/Rejected (+ error) into its .status.
RULE_KINDS = [("HostRule", "hostrules.ako.vmware.com"), ("HTTPRule", "httprules.ako.vmware.com"),
              ("AviInfraSetting", "aviinfrasettings.ako.vmware.com"), ("L4Rule", "l4rules.ako.vmware.com"),
              ("L7Rule", "l7rules.ako.vmware.com"), ("SSORule", "ssorules.ako.vmware.com")]
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease", "avi-system"}
NAMESPACED_KINDS = ["ingresses.networking.k8s.io", "services", "endpointslices.discovery.k8s.io", "secrets",
                    "configmaps", "events", "events.events.k8s.io", "pods",
                    "hostrules.ako.vmware.com", "httprules.ako.vmware.com", "l4rules.ako.vmware.com",
                    "l7rules.ako.vmware.com", "ssorules.ako.vmware.com", "routes.route.openshift.io"]


# CNIs with which Go AKO runs as on OpenShift (serving Routes, not Ingresses).
OPENSHIFT_CNIS = {"openshift", "ovn-kubernetes"}
ROUTE_CRD_NAME = "routes.route.openshift.io"


def route_crd_file():
    """OpenShift's own Route CRD, from the OpenShift API Go module (scripts/route-crd.sh)."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    return subprocess.run([os.path.join(repo, "scripts", "route-crd.sh")], check=True,
                          capture_output=True, text=True).stdout.strip()


# The CNI objects Go AKO reads pod CIDRs from, by cniPlugin: (group, version, kind, plural).
# capture.py installs a schemaless stand-in CRD for the case's CNI (testenv has no CNI).
CNI_CRDS = {"calico": ("crd.projectcalico.org", "v1", "BlockAffinity", "blockaffinities"),
            "cilium": ("cilium.io", "v2", "CiliumNode", "ciliumnodes"),
            "openshift": ("network.openshift.io", "v1", "HostSubnet", "hostsubnets")}


def stand_in_crd(group, version, kind, plural, scope="Cluster"):
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": kind.lower()},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


def die(msg):
    print(f"capture.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# kubectl


def kubectl(*args, input=None, check=True):
    p = subprocess.run([KUBECTL, *args], input=input, capture_output=True, text=True)
    if check and p.returncode != 0:
        die(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def kget(*args):
    return json.loads(kubectl("get", "-o", "json", *args))


# ---------------------------------------------------------------------------------------------
# avisim


class Avi:
    def __init__(self):
        self.ctx = ssl.create_default_context(cafile=SIM_CA)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self.ctx),
                                                  urllib.request.HTTPCookieProcessor(self.jar))
        self.logged_in = False

    def raw(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(SIM + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        with self.opener.open(req, timeout=30) as resp:
            text = resp.read().decode()
            return json.loads(text) if text else None

    def sim(self, method, path):
        return self.raw(method, path)

    def login(self):
        if not self.logged_in:
            self.raw("POST", "/login", {"username": SIM_USER, "password": SIM_PASSWORD})
            self.logged_in = True

    def get(self, path, tenant="admin"):
        self.login()
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        return self.raw("GET", path, headers={"X-CSRFToken": csrf, "Referer": SIM + "/", "X-Avi-Version": "30.2.1",
                                              "X-Avi-Tenant": tenant})

    def list_all(self, obj_type, tenant="admin"):
        out, page = [], 1
        while True:
            r = self.get(f"/api/{obj_type}?page_size=200&page={page}", tenant)
            out += r.get("results", [])
            if not r.get("next"):
                return out
            page += 1


# ---------------------------------------------------------------------------------------------
# case files


def case_dir(case):
    return case if os.path.isdir(case) else os.path.join(HERE, case)


def load_docs(case):
    with open(os.path.join(case_dir(case), "in.yaml")) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def obj_key(d):
    md = d.get("metadata", {})
    return f"{d['kind']} {md['namespace']}/{md['name']}" if md.get("namespace") else f"{d['kind']} {md['name']}"


def capture_conf(case):
    p = os.path.join(case_dir(case), "capture.yaml")
    if not os.path.exists(p):
        return {}
    with open(p) as f:
        return yaml.safe_load(f) or {}


def stage_of(case, d):
    return 1 if obj_key(d) in set(capture_conf(case).get("later", [])) else 0


# ---------------------------------------------------------------------------------------------
# setup / cleanup / reset


SETUP = """
apiVersion: v1
kind: Namespace
metadata: {name: avi-system}
---
apiVersion: v1
kind: Secret
metadata: {name: avi-secret, namespace: avi-system}
stringData: {username: %(user)s, password: %(password)s}
---
apiVersion: v1
kind: Pod
metadata: {name: ako-0, namespace: avi-system, labels: {app.kubernetes.io/name: ako}}
spec:
  containers: [{name: ako, image: ako:capture}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: avi-lb
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: ako.vmware.com/avi-lb
"""


def cmd_setup():
    for f in sorted(os.listdir(CRD_DIR)):
        if f.endswith(".yaml"):
            kubectl("apply", "--server-side", "--force-conflicts", "-f", os.path.join(CRD_DIR, f))
    kubectl("apply", "-f", "-", input=SETUP % {"user": SIM_USER, "password": SIM_PASSWORD})


def cmd_cleanup():
    for ns in kget("namespaces")["items"]:
        name = ns["metadata"]["name"]
        if name in SYSTEM_NAMESPACES:
            continue
        for kind in NAMESPACED_KINDS:
            kubectl("delete", kind, "--all", "-n", name, "--wait=false", "--ignore-not-found", check=False)
        kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)
        # No namespace controller in testenv: finalize by hand.
        cur = kget("namespace", name)
        cur["spec"]["finalizers"] = []
        kubectl("replace", "--raw", f"/api/v1/namespaces/{name}/finalize", "-f", "-", input=json.dumps(cur), check=False)
    for kind in ["events"]:
        kubectl("delete", kind, "--all", "-n", "avi-system", "--ignore-not-found", check=False)
        kubectl("delete", kind, "--all", "-n", "default", "--ignore-not-found", check=False)
    # Routes' default certificate lives in the AKO namespace (a case may bring its own).
    kubectl("delete", "secret", "router-certs-default", "-n", "avi-system", "--ignore-not-found", check=False)
    # A fresh AKO would otherwise wait for the previous run's leader lease to expire.
    kubectl("delete", "lease", "ako-lease-lock", "-n", "avi-system", "--ignore-not-found", check=False)
    kubectl("delete", "nodes", "--all", "--ignore-not-found")
    kubectl("delete", "aviinfrasettings.ako.vmware.com", "--all", "--ignore-not-found", check=False)
    # Gateway API objects, where a case installed its CRDs (testdata/gateway).
    for kind in ["httproutes", "gateways"]:
        kubectl("delete", f"{kind}.gateway.networking.k8s.io", "--all", "-A", "--ignore-not-found", check=False)
    kubectl("delete", "gatewayclasses.gateway.networking.k8s.io", "--all", "--ignore-not-found", check=False)
    for group, _, _, plural in CNI_CRDS.values():
        kubectl("delete", f"{plural}.{group}", "--all", "--ignore-not-found", check=False)
    for ic in kget("ingressclasses")["items"]:
        if ic["metadata"]["name"] != "avi-lb":
            kubectl("delete", "ingressclass", ic["metadata"]["name"])
    for _ in range(100):
        left = [n["metadata"]["name"] for n in kget("namespaces")["items"]
                if n["metadata"]["name"] not in SYSTEM_NAMESPACES]
        if not left:
            return
        time.sleep(0.2)
    die(f"namespaces still present: {left}")


def cmd_reset():
    Avi().sim("POST", "/_sim/reset")


# ---------------------------------------------------------------------------------------------
# values.yaml -> ConfigMap avi-k8s-config + env (as the Helm chart maps them)


def deep_merge(base, over):
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def s(v):
    """Helm's `quote` of a value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


# Fixed by the capture (not part of the case): where avisim and AKO's health port are, INFO logs
# (so NOTES.md can quote AKO), and no ako-crd-operator (it is not run here).
CAPTURE_OVERRIDES = {
    "AKOSettings": {"logLevel": "INFO", "enableEvents": "true"},
    "ako-crd-operator": {"enabled": False},
}


def configmap_data(values):
    v = values
    a, n, l7, l4, c = (v["AKOSettings"], v["NetworkSettings"], v["L7Settings"], v["L4Settings"],
                       v["ControllerSettings"])
    d = {
        "primaryInstance": s(a["primaryInstance"]),
        "controllerIP": SIM.removeprefix("https://"),
        "controllerVersion": s(c["controllerVersion"]),
        "cniPlugin": s(a["cniPlugin"]),
        "shardVSSize": s(l7["shardVSSize"]),
        "passthroughShardSize": s(l7["passthroughShardSize"]),
        "fullSyncFrequency": s(a["fullSyncFrequency"]),
        "cloudName": s(c["cloudName"]),
        "clusterName": s(a["clusterName"]),
        "servicesAPI": s(a["servicesAPI"]),
        "enableEVH": s(a["enableEVH"]),
        "layer7Only": s(a["layer7Only"]),
        "vipPerNamespace": s(a["vipPerNamespace"]),
        "tenantName": s(c["tenantName"]),
        "vrfName": s(c["vrfName"]),
        "dedicatedTenantMode": s(c["dedicatedTenantMode"]),
        "defaultDomain": s(n.get("defaultDomain") or l4.get("defaultDomain")),
        "disableStaticRouteSync": s(a["disableStaticRouteSync"]),
        "defaultIngController": s(l7["defaultIngController"]),
        "defaultLBController": s(l4["defaultLBController"]),
        "noPGForSNI": s(l7["noPGForSNI"]),
        "enableRHI": s(n["enableRHI"]),
        "nsxtT1LR": s(n["nsxtT1LR"]),
        "enableEvents": s(a["enableEvents"]),
        "logLevel": s(a["logLevel"]),
        "deleteConfig": s(a["deleteConfig"]),
        "autoFQDN": s(l4["autoFQDN"]),
        "nsSyncLabelKey": s(a["namespaceSelector"]["labelKey"]),
        "nsSyncLabelValue": s(a["namespaceSelector"]["labelValue"]),
        "serviceType": s(l7["serviceType"]),
        "serviceEngineGroupName": s(c["serviceEngineGroupName"]),
        "bgpPeerLabels": json.dumps(n["bgpPeerLabels"], separators=(",", ":")),
        "nodeNetworkList": json.dumps(n["nodeNetworkList"], separators=(",", ":")),
        "vipNetworkList": json.dumps(n["vipNetworkList"], separators=(",", ":")),
        "apiServerPort": AKO_API_PORT,
        "enableMCI": s(l7["enableMCI"]),
        "blockedNamespaceList": json.dumps(a["blockedNamespaceList"], separators=(",", ":")),
        "ipFamily": s(a["ipFamily"]),
        "istioEnabled": s(a["istioEnabled"]),
        "useDefaultSecretsOnly": s(a["useDefaultSecretsOnly"]),
        "vpcMode": s(a["vpcMode"]),
        "enablePrometheus": s(v["featureGates"].get("EnablePrometheus") or "false"),
        "fqdnReusePolicy": s(l7.get("fqdnReusePolicy") or "InterNamespaceAllowed"),
        "akoCRDOperatorEnabled": s(v["ako-crd-operator"]["enabled"]),
    }
    if d["serviceType"] == "NodePort":
        d["nodeKey"] = s(v["nodePortSelector"]["key"])
        d["nodeValue"] = s(v["nodePortSelector"]["value"])
    return d


# env var -> ConfigMap key, as in the chart's StatefulSet (ako container).
ENV_KEYS = [
    ("CTRL_IPADDRESS", "controllerIP"), ("CTRL_VERSION", "controllerVersion"), ("CNI_PLUGIN", "cniPlugin"),
    ("ISTIO_ENABLED", "istioEnabled"), ("VIP_PER_NAMESPACE", "vipPerNamespace"), ("SHARD_VS_SIZE", "shardVSSize"),
    ("PASSTHROUGH_SHARD_SIZE", "passthroughShardSize"), ("FULL_SYNC_INTERVAL", "fullSyncFrequency"),
    ("PRIMARY_AKO_FLAG", "primaryInstance"), ("CLOUD_NAME", "cloudName"), ("TENANT_NAME", "tenantName"),
    ("DEDICATED_TENANT_MODE", "dedicatedTenantMode"), ("VRF_NAME", "vrfName"), ("CLUSTER_NAME", "clusterName"),
    ("ENABLE_RHI", "enableRHI"), ("ENABLE_EVH", "enableEVH"), ("SERVICES_API", "servicesAPI"),
    ("DEFAULT_DOMAIN", "defaultDomain"), ("DISABLE_STATIC_ROUTE_SYNC", "disableStaticRouteSync"),
    ("NSXT_T1_LR", "nsxtT1LR"), ("NAMESPACE_SYNC_LABEL_KEY", "nsSyncLabelKey"),
    ("NAMESPACE_SYNC_LABEL_VALUE", "nsSyncLabelValue"), ("DEFAULT_ING_CONTROLLER", "defaultIngController"),
    ("DEFAULT_LB_CONTROLLER", "defaultLBController"), ("SEG_NAME", "serviceEngineGroupName"),
    ("BGP_PEER_LABELS", "bgpPeerLabels"), ("NODE_NETWORK_LIST", "nodeNetworkList"),
    ("VIP_NETWORK_LIST", "vipNetworkList"), ("AKO_API_PORT", "apiServerPort"), ("SERVICE_TYPE", "serviceType"),
    ("NODE_KEY", "nodeKey"), ("NODE_VALUE", "nodeValue"), ("AUTO_L4_FQDN", "autoFQDN"),
    ("MCI_ENABLED", "enableMCI"), ("BLOCKED_NS_LIST", "blockedNamespaceList"), ("IP_FAMILY", "ipFamily"),
    ("USE_DEFAULT_SECRETS_ONLY", "useDefaultSecretsOnly"), ("VPC_MODE", "vpcMode"),
    ("PROMETHEUS_ENABLED", "enablePrometheus"), ("FQDN_REUSE_POLICY", "fqdnReusePolicy"),
    ("AKO_CRD_OPERATOR_ENABLED", "akoCRDOperatorEnabled"),
]


def has_routes(case):
    return any(d.get("kind") == "Route" for d in load_docs(case))


def sh_quote(v):
    return "'" + v.replace("'", "'\\''") + "'"


def cmd_config(case):
    with open(CHART_VALUES) as f:
        values = yaml.safe_load(f)
    with open(os.path.join(case_dir(case), "values.yaml")) as f:
        values = deep_merge(values, yaml.safe_load(f))
    values = deep_merge(values, CAPTURE_OVERRIDES)
    data = configmap_data(values)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "avi-k8s-config", "namespace": "avi-system"},
          "data": data}
    if values["AKOSettings"].get("cniPlugin") in OPENSHIFT_CNIS or has_routes(case):
        # Go AKO with an OpenShift CNI needs the Route API (it exits without it), and with it
        # serves Routes: OpenShift's Route CRD stands in for OpenShift's API server.
        kubectl("apply", "--server-side", "-f", route_crd_file())
        kubectl("wait", "--for=condition=Established", "crd/routes.route.openshift.io", "--timeout=30s")
    else:
        # With the Route API present Go AKO serves Routes instead of Ingresses.
        kubectl("delete", "crd", ROUTE_CRD_NAME, "--ignore-not-found")
    cni = CNI_CRDS.get(values["AKOSettings"].get("cniPlugin"))
    if cni:
        kubectl("apply", "-f", "-", input=json.dumps(stand_in_crd(*cni)))
        kubectl("wait", "--for=condition=Established", f"crd/{cni[3]}.{cni[0]}", "--timeout=30s")
    kubectl("delete", "configmap", "avi-k8s-config", "-n", "avi-system", "--ignore-not-found")
    kubectl("create", "-f", "-", input=json.dumps(cm))
    for env, key in ENV_KEYS:
        if key in data:
            print(f"export {env}={sh_quote(data[key])}")
    print("export POD_NAME=ako-0 POD_NAMESPACE=avi-system USE_PVC=false")


# ---------------------------------------------------------------------------------------------
# apply


def cmd_stages(case):
    print(2 if capture_conf(case).get("later") else 1)


def cmd_apply(case, stage):
    stage = int(stage)
    docs = load_docs(case)
    known = {obj_key(d) for d in docs}
    for k in capture_conf(case).get("later", []):
        if k not in known:
            die(f"capture.yaml: {k} is not in in.yaml")
    mine = [d for d in docs if stage_of(case, d) == stage]
    # Namespaces and cluster-scoped classes first, then the rest in file order.
    order = {"Namespace": 0, "IngressClass": 1, "Node": 1, "Secret": 2, "Service": 3, "Pod": 3, "EndpointSlice": 4}
    changed = False
    for d in sorted(mine, key=lambda d: order.get(d["kind"], 5)):
        body = copy.deepcopy(d)
        status = body.pop("status", None)
        kubectl("create", "-f", "-", input=json.dumps(body))
        if d["kind"] == "Node" and status:
            kubectl("patch", "node", d["metadata"]["name"], "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": status}))
        if d["kind"] == "AviInfraSetting" and status:
            # Its status is AKO's main container's verdict: a capture of the Gateway API
            # container alone gives it by hand.
            kubectl("patch", "aviinfrasetting", d["metadata"]["name"], "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": status}))
        if d["kind"] == "Pod" and status:
            # No kubelet in testenv: the Pod's phase and Ready condition are set by hand.
            kubectl("patch", "pod", d["metadata"]["name"], "-n", d["metadata"]["namespace"], "--subresource=status",
                    "--type=merge", "-p", json.dumps({"status": status}))
        if d["kind"] == "Service":
            got = kget("service", "-n", d["metadata"]["namespace"], d["metadata"]["name"])
            spec, gspec = d["spec"], got["spec"]
            if gspec.get("clusterIP") and spec.get("clusterIP") != gspec["clusterIP"]:
                new_spec = {}
                for k, v in spec.items():  # keep the author's key order, clusterIP after type
                    new_spec[k] = v
                    if k == "type":
                        new_spec["clusterIP"] = gspec["clusterIP"]
                new_spec.setdefault("clusterIP", gspec["clusterIP"])
                spec.clear()
                spec.update(new_spec)
                changed = True
            for p, gp in zip(spec.get("ports", []), gspec.get("ports", [])):
                if gp.get("nodePort") and p.get("nodePort") != gp["nodePort"]:
                    p["nodePort"] = gp["nodePort"]
                    changed = True
    if changed:
        write_docs(case, docs)


def write_docs(case, docs):
    path = os.path.join(case_dir(case), "in.yaml")
    with open(path) as f:
        head = []
        for line in f:
            if line.startswith("#"):
                head.append(line)
            else:
                break
    with open(path, "w") as f:
        f.write("".join(head))
        f.write(yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=None, width=200))


# ---------------------------------------------------------------------------------------------
# wait


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@functools.lru_cache(maxsize=None)
def route_api():
    # One question per capture.py command: `config` installs or removes the API before any other.
    return any(c["metadata"]["name"] == ROUTE_CRD_NAME
               for c in kget("customresourcedefinitions")["items"])


def k8s_status_fingerprint():
    out = []
    routes = ("routes.route.openshift.io",) if route_api() else ()
    for kind in ("ingresses.networking.k8s.io", "services", *routes, *(plural for _, plural in RULE_KINDS)):
        for o in kget(kind, "-A")["items"]:
            out.append((kind, o["metadata"].get("namespace"), o["metadata"]["name"],
                        json.dumps(o.get("status", {}), sort_keys=True)))
    return sorted(out)


def cmd_wait(pid, started):
    pid, started = int(pid), float(started)
    avi = Avi()
    seen, last_change = 0, time.time()
    fp = None
    while True:
        now = time.time()
        try:
            os.kill(pid, 0)
        except OSError:
            die(f"AKO (pid {pid}) exited")
        reqs = avi.sim("GET", f"/_sim/requests?since={seen}")
        for r in reqs:
            seen = max(seen, r["seq"])
            if r["method"] in WRITE_METHODS and r["path"].startswith("/api/"):
                last_change = now
        new_fp = k8s_status_fingerprint()
        if new_fp != fp:
            fp, last_change = new_fp, now
        if now - started >= MIN_UP and now - last_change >= QUIET:
            print(f"capture: quiet after {now - started:.0f}s (last request seq {seen})")
            return
        if now - started > DEADLINE:
            die(f"AKO did not become quiet within {DEADLINE}s")
        time.sleep(1)


# ---------------------------------------------------------------------------------------------
# dump

REF_RE = re.compile(r"^(?:https?://[^/]+)?/api/([a-z0-9_-]+)/([^/?#]+)(#.*)?$")


class Resolver:
    def __init__(self, avi):
        self.avi, self.cache = avi, {}

    def name(self, obj_type, uuid):
        if (obj_type, uuid) not in self.cache:
            try:
                o = self.avi.get(f"/api/{obj_type}/{uuid}", tenant="*")
                self.cache[(obj_type, uuid)] = o.get("name")
            except urllib.error.HTTPError:
                self.cache[(obj_type, uuid)] = None
        return self.cache[(obj_type, uuid)]


def rewrite_refs(value, resolver, path, rewritten):
    """Replace `/api/<type>/<uuid>` (any host, optional #name) with `/api/<type>/?name=<name>`."""
    if isinstance(value, dict):
        return {k: rewrite_refs(v, resolver, f"{path}.{k}", rewritten) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite_refs(v, resolver, f"{path}[]", rewritten) for v in value]
    if isinstance(value, str):
        m = REF_RE.match(value)
        if m and not m.group(2).startswith("?"):
            name = resolver.name(m.group(1), m.group(2))
            if name is None:
                die(f"cannot resolve reference {value} at {path}")
            rewritten.add(path)
            return f"/api/{m.group(1)}/?name={urllib.parse.quote(name, safe='')}"
    return value


def cmd_dump(case, out_dir):
    avi = Avi()
    log = avi.sim("GET", "/_sim/requests?since=0")
    if len(log) >= 10000:
        die("avisim's request log is full (10000 entries): the start of the case may be lost")
    writes = [r for r in log if r["method"] in ("POST", "PUT", "PATCH") and r["path"].startswith("/api/")
              and 200 <= r["status"] < 300]
    types = sorted({r["type"] for r in writes})
    existing = {}  # (type, uuid) -> object
    for t in types:
        for o in avi.list_all(t, tenant="*"):
            existing[(t, o["uuid"])] = o
    by_name = {(t, o["name"]): u for (t, u), o in existing.items()}
    last = {}  # (type, name) -> (record, body)
    created = set()  # (type, name) AKO POSTed
    for r in writes:
        t, body = r["type"], r.get("body")
        if body is None:
            die("request bodies are not logged: start avisim with --log-bodies")
        parts = r["path"].split("/")
        name = body.get("name") if isinstance(body, dict) else None
        if name is None and len(parts) > 3:
            o = existing.get((t, parts[3]))
            name = o and o["name"]
        if name is None:
            continue
        last[(t, name)] = (r, body)
        if r["method"] == "POST":
            created.add((t, name))
    resolver = Resolver(avi)
    rewritten = set()
    out = []
    for (t, name), (r, body) in sorted(last.items()):
        if (t, name) not in by_name:
            continue  # deleted by the end
        if (t, name) not in created:
            continue  # a seed object AKO only updated (the SE group's clustername label)
        body = rewrite_refs(body, resolver, t, rewritten)
        out.append({"type": t, "tenant": r.get("tenant") or "admin", "name": name, "body": body})
    write_json(os.path.join(out_dir, "ako.json"), out)
    # The seed objects AKO only updated, with what it set there: the VRF's static routes (when
    # it wrote any) and the SE group's labels.
    seeds = []
    for (t, name), (r, body) in sorted(last.items()):
        if (t, name) in created or (t, name) not in by_name:
            continue
        field = {"vrfcontext": "static_routes", "serviceenginegroup": "labels"}.get(t)
        if field:
            seeds.append({"type": t, "name": name, field: body.get(field, [])})
    if seeds:
        write_json(os.path.join(out_dir, "seed_updates.json"), seeds)
    status = []
    lb_services = []
    for ing in kget("ingresses.networking.k8s.io", "-A")["items"]:
        status.append({"namespace": ing["metadata"]["namespace"], "name": ing["metadata"]["name"],
                       "loadBalancer": ing.get("status", {}).get("loadBalancer", {})})
    for svc in kget("services", "-A")["items"]:
        if svc["spec"].get("type") == "LoadBalancer":
            lb_services.append({"namespace": svc["metadata"]["namespace"], "name": svc["metadata"]["name"],
                                "loadBalancer": svc.get("status", {}).get("loadBalancer", {})})
    status.sort(key=lambda e: (e["namespace"], e["name"]))
    write_json(os.path.join(out_dir, "status.json"), status)
    rules = []
    for kind, plural in RULE_KINDS:
        for o in kget(plural, "-A")["items"]:
            rules.append({"kind": kind, "namespace": o["metadata"].get("namespace", ""), "name": o["metadata"]["name"],
                          "status": o.get("status", {})})
    if rules:
        rules.sort(key=lambda e: (e["kind"], e["namespace"], e["name"]))
        write_json(os.path.join(out_dir, "status_rules.json"), rules)
    if lb_services:
        lb_services.sort(key=lambda e: (e["namespace"], e["name"]))
        write_json(os.path.join(out_dir, "status_services.json"), lb_services)
    if route_api():
        routes = [{"namespace": r["metadata"]["namespace"], "name": r["metadata"]["name"],
                   "annotations": {k: v for k, v in r["metadata"].get("annotations", {}).items()
                                   if k.startswith("ako.vmware.com/")},
                   "status": r.get("status", {})}
                  for r in kget("routes.route.openshift.io", "-A")["items"]]
        if routes:
            routes.sort(key=lambda e: (e["namespace"], e["name"]))
            write_json(os.path.join(out_dir, "status_routes.json"), routes)
    # Raw material for whoever wants to look deeper: the sequence of writes and the objects as
    # avisim stored them (kept in the work dir; capture.sh copies them to _captured/ when small).
    raw_dir = os.path.join(os.environ.get("WORK", "/tmp/akol7"), "raw", os.path.basename(os.path.normpath(out_dir)))
    os.makedirs(raw_dir, exist_ok=True)
    write_json(os.path.join(raw_dir, "requests.json"), log)
    with open(os.path.join(raw_dir, "writes.txt"), "w") as f:
        for r in log:
            if r["method"] in WRITE_METHODS and r["type"] != "login":
                f.write(f"{r['method']} {r['path']} {r['status']}\n")
    events = set()
    for e in kget("events", "-A")["items"]:
        io = e.get("involvedObject", {})
        if io.get("kind") == "Pod" and io.get("name") == "ako-0":
            continue
        events.add(f"{e.get('type')} {e.get('reason')} {io.get('kind')} {io.get('namespace')}/{io.get('name')}: "
                   f"{e.get('message')}")
    with open(os.path.join(raw_dir, "events.txt"), "w") as f:
        f.write("".join(line + "\n" for line in sorted(events)))
    with open(os.path.join(raw_dir, "vips.txt"), "w") as f:
        for (t, _), o in sorted(existing.items(), key=lambda kv: (kv[0][0], kv[1]["name"])):
            if t == "vsvip":
                ips = [v.get("ip_address", {}).get("addr") for v in o.get("vip", [])]
                f.write(f"{o['name']} {' '.join(str(ip) for ip in ips)}\n")
    objects = sorted(({"type": t, **o} for (t, _), o in existing.items()), key=lambda o: (o["type"], o["name"]))
    with open(os.path.join(raw_dir, "objects.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(o, sort_keys=True) for o in objects) + "\n]\n")
    failed = [f"{r['method']} {r['path']} -> {r['status']}" for r in log
              if r["method"] in WRITE_METHODS and not 200 <= r["status"] < 300 and r["type"] != "login"]
    summary = {"writes": len([r for r in log if r["method"] in WRITE_METHODS and r["type"] not in ("login",)]),
               "failed_writes": failed, "rewritten_refs": sorted(rewritten),
               "patches": [r["path"] for r in writes if r["method"] == "PATCH"],
               "deleted": sorted(f"{t} {n}" for (t, n) in last if (t, n) not in by_name),
               "updated_only": sorted(f"{t} {n}" for (t, n) in last if (t, n) not in created)}
    write_json(os.path.join(raw_dir, "summary.json"), summary)
    print(json.dumps(summary, indent=1))


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"setup": cmd_setup, "cleanup": cmd_cleanup, "reset": cmd_reset, "config": cmd_config,
          "apply": cmd_apply, "stages": cmd_stages, "wait": cmd_wait, "dump": cmd_dump}.get(cmd)
    if fn is None:
        die(__doc__)
    fn(*args)


if __name__ == "__main__":
    main()
