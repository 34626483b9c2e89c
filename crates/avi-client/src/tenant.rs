//! Tenant selection for a call: a named tenant, or all tenants (`X-Avi-Tenant: *`).

use std::fmt;

/// The tenant a request runs in, sent as `X-Avi-Tenant`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tenant {
    /// One tenant, by name (e.g. `admin`).
    Name(String),
    /// All tenants the user can see (`*`); used for cache population reads.
    All,
}

impl Tenant {
    /// The header value.
    pub fn as_header(&self) -> &str {
        match self {
            Tenant::Name(n) => n,
            Tenant::All => "*",
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_header())
    }
}

impl From<&str> for Tenant {
    fn from(s: &str) -> Self {
        if s == "*" {
            Tenant::All
        } else {
            Tenant::Name(s.to_owned())
        }
    }
}

impl From<String> for Tenant {
    fn from(s: String) -> Self {
        if s == "*" { Tenant::All } else { Tenant::Name(s) }
    }
}

impl From<&String> for Tenant {
    fn from(s: &String) -> Self {
        Tenant::from(s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_is_all() {
        assert_eq!(Tenant::from("*"), Tenant::All);
        assert_eq!(Tenant::All.as_header(), "*");
        assert_eq!(Tenant::from("t1").to_string(), "t1");
    }
}
