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
