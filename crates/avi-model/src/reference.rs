//! References between Avi objects, in every form the controller and AKO write them.
//!
//! The controller returns `https://host/api/pool/pool-<uuid>#name` (the `#name` suffix with
//! `include_name` and on writes); AKO sends `/api/pool?name=x` or `/api/pool/?name=x`, and
//! sometimes `/api/network/<uuid>` or a URL echoed from an earlier read. Go AKO also sends the
//! double-slash `//api/...`. [`ObjectRef::parse`] understands all of them; [`Ref`] keeps the
//! exact string so a read-modify-write sends back what it read.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use std::fmt;

use crate::ObjectType;

/// Characters escaped in a `?name=` value: what Go's `url.QueryEscape` escapes, minus space
/// handling (we use `%20`, which every server decodes the same way).
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// What a reference points at: a uuid, or a name to resolve in the request's tenant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefTarget {
    /// `/api/<type>/<uuid>`
    Uuid(String),
    /// `/api/<type>?name=<name>`
    Name(String),
}

/// A parsed reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// The collection name (`pool`, `vimgrnwruntime`, ...), kept as text because references can
    /// point at types ako-rs does not model.
    pub kind: String,
    /// The uuid or name.
    pub target: RefTarget,
    /// The `#name` suffix of a URL reference, when present.
    pub name_hint: Option<String>,
}

/// Why a string is not a reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// The string is empty: in a request body that means "unset", not a reference.
    #[error("empty reference")]
    Empty,
    /// No `/api/<type>` path segment.
    #[error("reference {0:?} has no /api/<type> path")]
    NoApiPath(String),
    /// Neither a uuid segment nor a `name=` query.
    #[error("reference {0:?} names neither a uuid nor a name")]
    NoTarget(String),
}

impl ObjectRef {
    /// A name reference, e.g. `/api/pool/?name=x`.
    pub fn by_name(kind: ObjectType, name: impl Into<String>) -> Self {
        ObjectRef {
            kind: kind.path().to_owned(),
            target: RefTarget::Name(name.into()),
            name_hint: None,
        }
    }

    /// A uuid reference, e.g. `/api/pool/pool-1234`.
    pub fn by_uuid(kind: ObjectType, uuid: impl Into<String>) -> Self {
        ObjectRef {
            kind: kind.path().to_owned(),
            target: RefTarget::Uuid(uuid.into()),
            name_hint: None,
        }
    }

    /// Parse any reference form: `/api/t?name=x`, `/api/t/?name=x`, `/api/t/<uuid>`,
    /// `https://host/api/t/<uuid>#name`, with or without extra leading or trailing slashes.
    pub fn parse(s: &str) -> Result<Self, RefError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(RefError::Empty);
        }
        let (body, fragment) = match s.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (s, None),
        };
        let (path, query) = match body.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (body, None),
        };
        // Drop scheme and authority, then find the `api` segment.
        let path = match path.split_once("://") {
            Some((_, rest)) => rest.split_once('/').map_or("", |(_, p)| p),
            None => path,
        };
        let mut segments = path.split('/').filter(|seg| !seg.is_empty());
        if segments.next() != Some("api") {
            return Err(RefError::NoApiPath(s.to_owned()));
        }
        let kind = segments
            .next()
            .ok_or_else(|| RefError::NoApiPath(s.to_owned()))?
            .to_owned();
        let uuid = segments.next();
        let name_hint = fragment.filter(|f| !f.is_empty()).map(decode);
        let target = match (uuid, query.and_then(query_name)) {
            (Some(uuid), _) => RefTarget::Uuid(decode(uuid)),
            (None, Some(name)) => RefTarget::Name(name),
            (None, None) => return Err(RefError::NoTarget(s.to_owned())),
        };
        Ok(ObjectRef {
            kind,
            target,
            name_hint,
        })
    }

    /// The object type, when it is one ako-rs knows.
    pub fn object_type(&self) -> Option<ObjectType> {
        self.kind.parse().ok()
    }

    /// The uuid, for a uuid reference.
    pub fn uuid(&self) -> Option<&str> {
        match &self.target {
            RefTarget::Uuid(u) => Some(u),
            RefTarget::Name(_) => None,
        }
    }

    /// The name: the target of a name reference, or the `#name` suffix of a URL.
    pub fn name(&self) -> Option<&str> {
        match &self.target {
            RefTarget::Name(n) => Some(n),
            RefTarget::Uuid(_) => self.name_hint.as_deref(),
        }
    }

    /// The absolute URL form the controller returns: `https://host/api/<type>/<uuid>[#name]`.
    /// `base` is `scheme://host[:port]` without a trailing slash.
    pub fn to_url(&self, base: &str, name: Option<&str>) -> String {
        let mut out = format!("{base}{self}");
        if let (RefTarget::Uuid(_), Some(name)) = (&self.target, name) {
            out.push('#');
            out.push_str(name);
        }
        out
    }
}

/// The canonical path form: `/api/<type>/<uuid>` or `/api/<type>/?name=<escaped>`.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            RefTarget::Uuid(uuid) => write!(f, "/api/{}/{}", self.kind, uuid),
            RefTarget::Name(name) => {
                write!(f, "/api/{}/?name={}", self.kind, utf8_percent_encode(name, QUERY_VALUE))
            }
        }
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn query_name(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        // `+` means space in a query string (Go's QueryEscape writes spaces as `+`).
        (k == "name").then(|| decode(&v.replace('+', " ")))
    })
}

/// A reference field exactly as it appears on the wire. Kept verbatim (so a PUT sends back
/// what a GET returned) and parsed on demand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Ref(pub String);

impl Ref {
    /// Parse the reference; an empty string (the controller's "unset") is [`RefError::Empty`].
    pub fn parse(&self) -> Result<ObjectRef, RefError> {
        ObjectRef::parse(&self.0)
    }

    /// True for `""`, which the controller treats as unset.
    pub fn is_unset(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The raw string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ObjectRef> for Ref {
    fn from(r: ObjectRef) -> Self {
        Ref(r.to_string())
    }
}

impl From<&str> for Ref {
    fn from(s: &str) -> Self {
        Ref(s.to_owned())
    }
}

impl schemars::JsonSchema for Ref {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Ref".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(kind: &str, n: &str) -> ObjectRef {
        ObjectRef {
            kind: kind.into(),
            target: RefTarget::Name(n.into()),
            name_hint: None,
        }
    }

    #[test]
    fn parses_every_form_ako_and_the_controller_use() {
        let uuid = "pool-6426d0be-cce9-4cfe-afaf-64f18e916bd9";
        assert_eq!(ObjectRef::parse("/api/pool?name=x").unwrap(), name("pool", "x"));
        assert_eq!(ObjectRef::parse("/api/pool/?name=x").unwrap(), name("pool", "x"));
        assert_eq!(ObjectRef::parse("//api/pool/?name=x").unwrap(), name("pool", "x"));
        let by_uuid = ObjectRef::parse(&format!("/api/pool/{uuid}")).unwrap();
        assert_eq!(by_uuid.uuid(), Some(uuid));
        assert_eq!(by_uuid.name(), None);
        let url = ObjectRef::parse(&format!("https://10.1.1.1:8443/api/pool/{uuid}#basic_vs-pool")).unwrap();
        assert_eq!(url.kind, "pool");
        assert_eq!(url.uuid(), Some(uuid));
        assert_eq!(url.name(), Some("basic_vs-pool"));
        let slash = ObjectRef::parse(&format!("https://h/api/vsvip/{uuid}/?include_name")).unwrap();
        assert_eq!(slash.uuid(), Some(uuid));
        assert_eq!(
            ObjectRef::parse("/api/tenant/?name=my%20team").unwrap(),
            name("tenant", "my team")
        );
        assert_eq!(
            ObjectRef::parse("/api/tenant/?name=my+team").unwrap(),
            name("tenant", "my team")
        );
        assert_eq!(
            ObjectRef::parse("api/network/?name=a&cloud_ref.name=c").unwrap(),
            name("network", "a")
        );
        assert_eq!(
            ObjectRef::parse("https://h/api/tenant/admin#admin")
                .unwrap()
                .object_type(),
            Some(ObjectType::Tenant)
        );
    }

    #[test]
    fn rejects_non_references() {
        assert_eq!(ObjectRef::parse(""), Err(RefError::Empty));
        assert_eq!(ObjectRef::parse("  "), Err(RefError::Empty));
        assert!(matches!(ObjectRef::parse("/pool/x"), Err(RefError::NoApiPath(_))));
        assert!(matches!(ObjectRef::parse("https://h/"), Err(RefError::NoApiPath(_))));
        assert!(matches!(ObjectRef::parse("/api/pool/"), Err(RefError::NoTarget(_))));
        assert!(matches!(
            ObjectRef::parse("/api/pool?fields=x"),
            Err(RefError::NoTarget(_))
        ));
    }

    #[test]
    fn formats_canonical_paths_and_urls() {
        let r = ObjectRef::by_name(ObjectType::Pool, "ns/a b&c");
        assert_eq!(r.to_string(), "/api/pool/?name=ns%2Fa%20b%26c");
        let u = ObjectRef::by_uuid(ObjectType::Pool, "pool-1");
        assert_eq!(u.to_url("https://h", Some("p")), "https://h/api/pool/pool-1#p");
        assert_eq!(u.to_url("https://h", None), "https://h/api/pool/pool-1");
    }

    proptest! {
        #[test]
        fn name_refs_round_trip(n in "\\PC{1,40}") {
            prop_assume!(!n.trim().is_empty());
            let r = ObjectRef::by_name(ObjectType::VsVip, n.clone());
            let back = ObjectRef::parse(&r.to_string()).unwrap();
            prop_assert_eq!(back.name(), Some(n.as_str()));
        }

        #[test]
        fn uuid_urls_round_trip(uuid in "[a-z]+-[0-9a-f-]{8,36}", n in "[A-Za-z0-9_.-]{1,30}") {
            let r = ObjectRef::by_uuid(ObjectType::Pool, uuid.clone());
            let back = ObjectRef::parse(&r.to_url("https://127.0.0.1:9443", Some(&n))).unwrap();
            prop_assert_eq!(back.uuid(), Some(uuid.as_str()));
            prop_assert_eq!(back.name(), Some(n.as_str()));
        }
    }
}
