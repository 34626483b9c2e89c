//! Secret: TLS certificates of the Ingresses naming it in `spec.tls` (any type with `tls.crt`
//! and `tls.key`, as AKO). Clusters hold many Secrets and translation reads few, so `ako run`
//! watches names and versions only and fetches the referenced ones: AKO, which caches every
//! Secret, used 456 MB with 14k of them.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::{InputKind, Kind, Store, Touch, Watch, plain_store, strip_meta};
use crate::key::NsName;
use crate::settings::Settings;
use crate::snapshot::Snapshot;

impl InputKind for Secret {
    const KIND: Kind = Kind::Secret;
    const WATCH: Watch = Watch::Referenced;

    plain_store!(secrets);

    /// `stringData` folded into `data`, as the API server does.
    fn normalize(&mut self) {
        strip_meta(&mut self.metadata);
        if let Some(strings) = self.string_data.take() {
            let data = self.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in strings {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
    }

    fn same_for_translation(a: &Self, b: &Self) -> bool {
        a.data == b.data && a.type_ == b.type_
    }

    fn touches(_key: &NsName, _object: Option<&Self>, _snap: &Snapshot, _settings: &Settings) -> Touch {
        Touch::Readers
    }
}
