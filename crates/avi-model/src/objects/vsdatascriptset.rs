//! `vsdatascriptset`: Lua DataScripts (AKO's host-to-poolgroup script on shared parents).

use crate::Ref;
use crate::common::RoleFilterMatchLabel;

avi_object! {
    /// A DataScript set.
    pub struct VSDataScriptSet: VsDataScriptSet {
        created_by: String,
        description: String,
        datascript: Vec<VSDataScript>,
        pool_group_refs: Vec<Ref>,
        pool_refs: Vec<Ref>,
        protocol_parser_refs: Vec<Ref>,
        string_group_refs: Vec<Ref>,
        markers: Vec<RoleFilterMatchLabel>,
    }
}

avi_struct! {
    /// One script bound to an event.
    pub struct VSDataScript {
        evt: String,
        script: String,
    }
}
