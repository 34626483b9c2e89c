//! TLS passthrough (`passthrough.ako.vmware.com/enabled`; `avi_model_tls_passthrough.go`): per
//! shard of `passthroughShardSize` a shared L4 VS on 443 whose datascript reads the TLS SNI and
//! selects the pool group of that host (one pool per backend Service), and its `-insecure`
//! companion on 80 redirecting the hosts to HTTPS, on the same VsVip. Names are never encoded.

use std::collections::BTreeMap;

use avi_model::ObjectType;
use serde_json::json;

use super::graph::PoolNode;
use super::host_rule::l7_port;
use super::objects::{Ctx, HTTP_DS_SCRIPT, HTTP_PROFILE, TCP_PROXY, policy_refs, services};
use crate::checksum::{self, PgMember, PortProto, VsChecksum};
use crate::ingress::{HostPaths, ParsedIngress};
use crate::markers::{Markers, ServiceMetadata};
use crate::model::{Body, DesiredObject, Model};
use crate::naming::Namer;

/// AKO's TLS-SNI datascript (`lib.PassthroughDatascript`): `CLUSTER` and `AVIINFRA` are replaced by
/// the cluster's name and `<infra>-` (or nothing).
const PASSTHROUGH_DS_SCRIPT: &str = "local avi_tls = require \"Default-TLS\"\n\tbuffered = avi.l4.collect(20)\n\tpayload = avi.l4.read()\n\tlen = avi_tls.get_req_buffer_size(payload)\n\tif ( buffered < len ) then\n\t  avi.l4.collect(len)\n\tend\n\tif ( avi_tls.sanity_check(payload) ) then\n\t   local h = avi_tls.parse_record(payload)\n\t   local sname = avi_tls.get_sni(h)\n\t   if sname == nil then\n\t\t  avi.vs.log('SNI not present')\n\t\t  avi.vs.close_conn()\n\t   else\n\t\t  avi.vs.log(\"SNI=\".. sname)\n\t\t  pg_name = \"CLUSTER--AVIINFRA\"..sname\n\t\t  avi.poolgroup.select(pg_name)\n\t   end\n\telse\n\t   avi.vs.close_conn()\n\tend\n\tavi.l4.ds_done()\n\tavi_tls = nil";
const L4_APP_PROFILE: &str = "System-L4-Application";
const INSECURE_SUFFIX: &str = "-insecure";

/// A shared passthrough VS as it is built up: its hosts, each with its pools by Service.
#[derive(Default)]
pub(super) struct PassthroughVs {
    pub(super) name: String,
    pub(super) tenant: String,
    /// Host → (pool group, pools by name).
    hosts: BTreeMap<String, (String, BTreeMap<String, PoolNode>)>,
}

impl PassthroughVs {
    pub(super) fn new(name: String, tenant: &str) -> Self {
        PassthroughVs {
            name,
            tenant: tenant.to_owned(),
            hosts: BTreeMap::new(),
        }
    }

    /// Add a host of `ing`: a pool per Service its paths name (the paths themselves do not
    /// matter: the TLS stream is not looked into). The last Ingress to name a host decides.
    pub(super) fn add(&mut self, namer: &Namer, ing: &ParsedIngress, hp: &HostPaths, fail: &mut impl FnMut(String)) {
        let pg = match namer.passthrough_pool_group(&hp.host) {
            Ok(n) => n,
            Err(e) => return fail(e.to_string()),
        };
        let mut pools = BTreeMap::new();
        for b in &hp.paths {
            let name = match namer.passthrough_pool(&hp.host, &b.service) {
                Ok(n) => n,
                Err(e) => {
                    fail(e.to_string());
                    continue;
                }
            };
            pools.insert(
                name.clone(),
                PoolNode {
                    name,
                    namespace: ing.namespace.clone(),
                    ingress: ing.name.clone(),
                    host: hp.host.clone(),
                    backend: b.clone(),
                    priority_label: String::new(),
                    service_marker: b.service.clone(),
                    passthrough: true,
                    insecure_allow: false,
                    reencrypt: None,
                },
            );
        }
        self.hosts.insert(hp.host.clone(), (pg, pools));
    }

    /// The Avi objects of the model: pools, pool groups, datascript set, VsVip, the 443 VS, and
    /// the redirecting 80 VS with its policy set (every Ingress passthrough host is redirected).
    pub(super) fn objects(&self, ctx: &Ctx<'_>) -> Model {
        let (cluster, settings, tenant) = (ctx.cluster, ctx.settings, self.tenant.as_str());
        let mut objects = Vec::new();
        let mut pool_groups: Vec<&str> = Vec::new();
        for (host, (pg, pools)) in &self.hosts {
            let mut members = Vec::new();
            for p in pools.values() {
                ctx.pool(tenant, p, &mut objects);
                members.push(PgMember {
                    pool_ref: format!("/api/pool?name={}", p.name),
                    priority_label: None,
                    ratio: p.backend.weight,
                });
            }
            let markers = Markers {
                infra_setting: ctx.namer_infra(),
                host: vec![host.clone()],
                ..Markers::default()
            };
            objects.push(ctx.pool_group(tenant, pg, &members, false, &markers));
            pool_groups.push(pg);
        }

        // The datascript: AKO's checksum hashes the shared HTTP script when it selects one pool
        // group (a quirk of `AviHTTPDataScriptNode.CalculateCheckSum`, kept for adoption).
        let infra = ctx.namer_infra();
        let prefix = if infra.is_empty() {
            String::new()
        } else {
            format!("{infra}-")
        };
        let script = PASSTHROUGH_DS_SCRIPT
            .replacen("CLUSTER", cluster, 1)
            .replacen("AVIINFRA", &prefix, 1);
        let pg_names: Vec<String> = pool_groups.iter().map(|p| (*p).to_owned()).collect();
        let quirk = pg_names
            .first()
            .map(|pg| HTTP_DS_SCRIPT.replacen("%s", pg, 1))
            .unwrap_or_default();
        objects.push(DesiredObject {
            kind: ObjectType::VsDataScriptSet,
            tenant: tenant.to_owned(),
            name: self.name.clone(),
            checksum: checksum::datascript_checksum(cluster, &pg_names, &quirk),
            body: Body::from(json!({
                "created_by": ctx.created_by,
                "datascript": [{"evt": "VS_DATASCRIPT_EVT_L4_REQUEST", "script": script}],
                "name": self.name,
                "tenant_ref": ctx.tenant_ref,
                "pool_group_refs": pg_names.iter().map(|p| format!("/api/poolgroup/?name={p}")).collect::<Vec<_>>(),
                "protocol_parser_refs": ["/api/protocolparser/?name=Default-TLS"],
                "markers": Markers::default().to_json(cluster),
            })),
        });

        // One VsVip for both VSes: the hosts, no auto-FQDN.
        let hosts: Vec<String> = self.hosts.keys().cloned().collect();
        objects.push(ctx.vsvip(tenant, &self.name, &hosts, ""));

        // The port-80 companion redirecting every host.
        let insecure = format!("{}{INSECURE_SUFFIX}", self.name);
        let has_insecure = !hosts.is_empty();
        if has_insecure {
            objects.push(ctx.redirect_policy(tenant, &insecure, &hosts, &Markers::default()));
            let ports = [l7_port(80, false)];
            let refs = vec![format!("HttpPolicy{insecure}"), format!("VSVIP{}", self.name)];
            // Its RHI flag only comes from an AviInfraSetting.
            let rhi = ctx.with_setting.then_some(settings.enable_rhi);
            let metadata = ServiceMetadata {
                passthrough_parent_ref: self.name.clone(),
                ..ServiceMetadata::default()
            };
            let mut vs = self.vs_body(ctx, &insecure, HTTP_PROFILE, &ports, refs, rhi, &metadata);
            vs["http_policies"] = json!(policy_refs(&[&insecure]));
            objects.push(self.vs_object(&insecure, vs));
        }

        // The 443 VS.
        let ports = [l7_port(443, false)];
        let mut refs = vec![format!("HTTPDS{}", self.name), format!("VSVIP{}", self.name)];
        if has_insecure {
            refs.push(format!("PassthroughChild{insecure}"));
        }
        let metadata = ServiceMetadata {
            passthrough_child_ref: if has_insecure { insecure.clone() } else { String::new() },
            ..ServiceMetadata::default()
        };
        let mut vs = self.vs_body(
            ctx,
            &self.name,
            L4_APP_PROFILE,
            &ports,
            refs,
            Some(settings.enable_rhi),
            &metadata,
        );
        vs["vs_datascripts"] =
            json!([{"index": 0, "vs_datascript_set_ref": format!("/api/vsdatascriptset/?name={}", self.name)}]);
        // Down with its pools: the VS stops listening.
        vs["remove_listening_port_on_vs_down"] = json!(true);
        objects.push(self.vs_object(&self.name, vs));
        let mut model = Model { objects };
        model.sort();
        model
    }

    /// The body both VSes share, with its checksum.
    #[allow(clippy::too_many_arguments)]
    fn vs_body(
        &self,
        ctx: &Ctx<'_>,
        name: &str,
        app_profile: &str,
        ports: &[PortProto],
        refs: Vec<String>,
        enable_rhi: Option<bool>,
        metadata: &ServiceMetadata,
    ) -> serde_json::Value {
        let settings = ctx.settings;
        let cksum = checksum::vs_checksum(&VsChecksum {
            refs,
            application_profile: app_profile,
            se_group: &settings.se_group,
            network_profile: TCP_PROXY,
            ports,
            enable_rhi,
            markers: Markers::default().checksum(ctx.cluster),
            ..VsChecksum::default()
        });
        let mut vs = json!({
            "name": name,
            "cloud_config_cksum": cksum.to_string(),
            "created_by": ctx.created_by,
            "cloud_ref": format!("/api/cloud?name={}", settings.cloud_name),
            "tenant_ref": ctx.tenant_ref,
            "application_profile_ref": format!("/api/applicationprofile/?name={app_profile}"),
            "network_profile_ref": format!("/api/networkprofile/?name={TCP_PROXY}"),
            "se_group_ref": format!("/api/serviceenginegroup?name={}", settings.se_group),
            "error_page_profile_ref": "",
            "service_metadata": metadata.to_go_json(),
            "vrf_context_ref": format!("/api/vrfcontext?name={}", settings.vrf()),
            "vsvip_ref": format!("/api/vsvip/?name={}", self.name),
            "services": services(ports, true),
            "markers": Markers::default().to_json(ctx.cluster),
        });
        if enable_rhi == Some(true) {
            vs["enable_rhi"] = json!(true);
        }
        vs
    }

    fn vs_object(&self, name: &str, body: serde_json::Value) -> DesiredObject {
        let checksum = body["cloud_config_cksum"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .unwrap_or_default();
        DesiredObject {
            kind: ObjectType::VirtualService,
            tenant: self.tenant.clone(),
            name: name.to_owned(),
            checksum,
            body: Body::from(body),
        }
    }
}
