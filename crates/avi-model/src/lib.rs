//! Avi Controller object types, references and checksums: pure data, no IO.
//!
//! Every object type carries the swagger's field names. Fields we do not model are kept in
//! `extra` so that a read-modify-write (AKO PUTs whole objects) never drops what the controller
//! or a user set. References are kept as the exact string the controller sent ([`Ref`]) and
//! parsed on demand ([`ObjectRef`]).

#[macro_use]
mod macros;

pub mod checksum;
pub mod collection;
pub mod common;
pub mod object_type;
pub mod objects;
pub mod reference;

pub use collection::Collection;
pub use object_type::{AviObject, ObjectType};
pub use reference::{ObjectRef, Ref, RefError, RefTarget};

/// Fields of the bodies ako-rs sends that hold a secret in clear, wherever they are (the OAuth
/// client and resource server secrets of a virtual service): the controller keeps them
/// encrypted and does not answer them in clear, and ako-rs never shows them.
pub const SECRET_FIELDS: [&str; 2] = ["client_secret", "server_secret"];

/// Top-level lists whose order carries nothing, with the field that identifies an element: a
/// pool group's members (a VS selects a member by its priority label, or balances over all of
/// them) and a VsVip's DNS records (every FQDN answers the same VIP). Go AKO appends to both as
/// Ingresses arrive, so on a controller it populated their order is its processing history
/// (the checksum it stores does not depend on it); ako-rs builds them sorted.
pub const UNORDERED_LISTS: [(ObjectType, &str, &str); 2] = [
    (ObjectType::PoolGroup, "members", "pool_ref"),
    (ObjectType::VsVip, "dns_info", "fqdn"),
];

/// The field identifying an element of the list `field` of a `kind` object, when that list's
/// order carries nothing ([`UNORDERED_LISTS`]).
pub fn unordered_list_identity(kind: ObjectType, field: &str) -> Option<&'static str> {
    UNORDERED_LISTS
        .iter()
        .find(|(k, f, _)| *k == kind && *f == field)
        .map(|(_, _, id)| *id)
}
