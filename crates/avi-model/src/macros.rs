//! Declarative helpers that give every Avi struct the same shape: optional fields with the
//! swagger's names, and an `extra` map that keeps everything we do not model.

/// A nested Avi struct: every field optional and omitted when unset, unknown fields kept.
macro_rules! avi_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Fields this type does not model, kept verbatim so a read-modify-write loses nothing.
            #[serde(flatten)]
            #[schemars(skip)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
}

/// A top-level Avi object: an [`avi_struct!`] plus the fields every object has
/// (`uuid`, `url`, `name`, `tenant_ref`, `_last_modified`) and its collection name.
macro_rules! avi_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident : $kind:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        avi_struct! {
            $(#[$meta])*
            pub struct $name {
                /// Controller-assigned identifier, `<type>-<uuid4>`.
                uuid: String,
                /// Absolute URL of the object (read-only).
                url: String,
                /// Name, unique per (type, tenant).
                name: String,
                /// Owning tenant.
                tenant_ref: $crate::Ref,
                /// Microseconds since the epoch, as a string (read-only).
                #[serde(rename = "_last_modified")]
                last_modified: String,
                $( $(#[$fmeta])* $field : $ty ),*
            }
        }

        impl $crate::AviObject for $name {
            const TYPE: $crate::ObjectType = $crate::ObjectType::$kind;
        }
    };
}
