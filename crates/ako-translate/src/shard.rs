//! Hostname sharding of L7 virtual services, as AKO does it: shard `n` of a host is
//! `fnv1a32(host) & (size - 1)` with LARGE = 8, MEDIUM = 4, SMALL = 1 shared parents;
//! DEDICATED gives every host its own virtual service.

use std::fmt;
use std::str::FromStr;

use avi_model::checksum::fnv1a32;

/// How many shared L7 parent virtual services hosts are spread over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ShardSize {
    /// 8 shared parents.
    #[default]
    Large,
    /// 4 shared parents.
    Medium,
    /// 1 shared parent.
    Small,
    /// One virtual service per host.
    Dedicated,
}

impl ShardSize {
    /// Number of shared parents (0 for DEDICATED).
    pub fn buckets(self) -> u32 {
        match self {
            ShardSize::Large => 8,
            ShardSize::Medium => 4,
            ShardSize::Small => 1,
            ShardSize::Dedicated => 0,
        }
    }

    /// The shard of `host`, or `None` in DEDICATED mode.
    pub fn shard_of(self, host: &str) -> Option<u32> {
        let n = self.buckets();
        (n > 0).then(|| fnv1a32(host.as_bytes()) & (n - 1))
    }
}

impl FromStr for ShardSize {
    type Err = String;

    /// AKO's values: `LARGE`, `MEDIUM`, `SMALL`, `DEDICATED` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LARGE" => Ok(ShardSize::Large),
            "MEDIUM" => Ok(ShardSize::Medium),
            "SMALL" => Ok(ShardSize::Small),
            "DEDICATED" => Ok(ShardSize::Dedicated),
            other => Err(format!("{other:?} is not one of LARGE, MEDIUM, SMALL, DEDICATED")),
        }
    }
}

impl fmt::Display for ShardSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShardSize::Large => "LARGE",
            ShardSize::Medium => "MEDIUM",
            ShardSize::Small => "SMALL",
            ShardSize::Dedicated => "DEDICATED",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shard numbers AKO's own tests rely on (notes/ako-behaviour.md §3).
    #[test]
    fn matches_akos_shards() {
        assert_eq!(fnv1a32(b"foo.com"), 1_101_858_200);
        for (host, large) in [
            ("foo.com", 0),
            ("noo.com", 0),
            ("bar.com", 1),
            ("test.com", 2),
            ("xyz.com", 3),
            ("abc.com", 4),
            ("example.com", 6),
        ] {
            assert_eq!(ShardSize::Large.shard_of(host), Some(large), "{host}");
        }
        assert_eq!(ShardSize::Medium.shard_of("example.com"), Some(2));
        assert_eq!(ShardSize::Small.shard_of("example.com"), Some(0));
        assert_eq!(ShardSize::Dedicated.shard_of("example.com"), None);
    }

    #[test]
    fn parses_akos_values() {
        assert_eq!("large".parse(), Ok(ShardSize::Large));
        assert_eq!(" DEDICATED ".parse(), Ok(ShardSize::Dedicated));
        assert!("HUGE".parse::<ShardSize>().is_err());
    }
}
