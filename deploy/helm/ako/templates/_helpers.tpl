{{/*
Helpers of ako-rs's chart. Object names are fixed (ako, ako-sa, ako-cr, avi-k8s-config,
avi-secret, avi-lb) because they are AKO's: switching a release from AKO to ako-rs must upgrade
the same objects, and ako-rs looks its ConfigMap and Secret up by these names.
*/}}

{{/* Labels on every object. */}}
{{- define "ako.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "ako.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The StatefulSet's selector: stable across upgrades (a selector cannot change). */}}
{{- define "ako.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
A boolean value read loosely, as ako-rs reads it: true, "true", "True" are true; anything else
is false. (AKO's chart tests some of these with Go template truthiness, where the string "false"
is true.) Renders "true" or "false"; compare with eq.
*/}}
{{- define "ako.isTrue" -}}
{{- if eq (toString . | lower | trim) "true" }}true{{ else }}false{{ end -}}
{{- end -}}

{{/* Whether this is the primary instance: only "false" (any case) makes it secondary. */}}
{{- define "ako.primary" -}}
{{- if eq (toString .Values.AKOSettings.primaryInstance | lower | trim) "false" }}false{{ else }}true{{ end -}}
{{- end -}}

{{/* Whether the NodePort settings (nodeKey/nodeValue) apply, as in AKO's chart. */}}
{{- define "ako.nodePort" -}}
{{- if eq (toString .Values.L7Settings.serviceType) "NodePort" }}true{{ else }}false{{ end -}}
{{- end -}}

{{/* The admin port (AKO's apiServerPort): /healthz, /readyz, /metrics, /api/status. */}}
{{- define "ako.apiServerPort" -}}
{{- default 8080 .Values.AKOSettings.apiServerPort | int -}}
{{- end -}}

{{/*
The ConfigMap keys passed to the container as environment variables, as AKO's StatefulSet does
(variable name, ConfigMap key). ako-rs reads the ConfigMap itself and lets it win over the
variables; the variables make the pod's configuration visible in `kubectl describe` and keep it
usable if the ConfigMap cannot be read. LAYER7_ONLY and NO_PG_FOR_SNI are not set by AKO's
chart; ako-rs understands them, so the environment alone is complete.
*/}}
{{- define "ako.envFromConfigMap" -}}
CTRL_IPADDRESS: controllerIP
CTRL_VERSION: controllerVersion
CNI_PLUGIN: cniPlugin
ISTIO_ENABLED: istioEnabled
VIP_PER_NAMESPACE: vipPerNamespace
SHARD_VS_SIZE: shardVSSize
PASSTHROUGH_SHARD_SIZE: passthroughShardSize
FULL_SYNC_INTERVAL: fullSyncFrequency
PRIMARY_AKO_FLAG: primaryInstance
CLOUD_NAME: cloudName
TENANT_NAME: tenantName
DEDICATED_TENANT_MODE: dedicatedTenantMode
VRF_NAME: vrfName
CLUSTER_NAME: clusterName
ENABLE_RHI: enableRHI
ENABLE_EVH: enableEVH
SERVICES_API: servicesAPI
DEFAULT_DOMAIN: defaultDomain
DISABLE_STATIC_ROUTE_SYNC: disableStaticRouteSync
{{- if .Values.NetworkSettings.nsxtT1LR }}
NSXT_T1_LR: nsxtT1LR
{{- end }}
NAMESPACE_SYNC_LABEL_KEY: nsSyncLabelKey
NAMESPACE_SYNC_LABEL_VALUE: nsSyncLabelValue
DEFAULT_ING_CONTROLLER: defaultIngController
DEFAULT_LB_CONTROLLER: defaultLBController
SEG_NAME: serviceEngineGroupName
BGP_PEER_LABELS: bgpPeerLabels
NODE_NETWORK_LIST: nodeNetworkList
VIP_NETWORK_LIST: vipNetworkList
AKO_API_PORT: apiServerPort
SERVICE_TYPE: serviceType
{{- if eq (include "ako.nodePort" .) "true" }}
NODE_KEY: nodeKey
NODE_VALUE: nodeValue
{{- end }}
AUTO_L4_FQDN: autoFQDN
MCI_ENABLED: enableMCI
BLOCKED_NS_LIST: blockedNamespaceList
IP_FAMILY: ipFamily
USE_DEFAULT_SECRETS_ONLY: useDefaultSecretsOnly
VPC_MODE: vpcMode
PROMETHEUS_ENABLED: enablePrometheus
FQDN_REUSE_POLICY: fqdnReusePolicy
AKO_CRD_OPERATOR_ENABLED: akoCRDOperatorEnabled
LAYER7_ONLY: layer7Only
NO_PG_FOR_SNI: noPGForSNI
{{- end -}}

{{/*
The number of replicas: replicaCount (0 stops the operator, as with AKO's chart; 1 if unset);
negative is refused.
*/}}
{{- define "ako.replicas" -}}
{{- $n := hasKey .Values "replicaCount" | ternary .Values.replicaCount 1 | int -}}
{{- if lt $n 0 }}
{{- fail (printf "replicaCount %d: give 0 or more replicas" $n) }}
{{- end -}}
{{ $n }}
{{- end }}
