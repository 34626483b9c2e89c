//! FNV-1a 32-bit hashing, as Go's `hash/fnv.New32a` computes it: AKO stores such checksums in
//! `cloud_config_cksum`, so ours must match bit for bit to adopt objects Go AKO created.

const OFFSET_BASIS: u32 = 0x811c_9dc5;
const PRIME: u32 = 0x0100_0193;

/// FNV-1a 32 of `bytes`.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(OFFSET_BASIS, |hash, b| (hash ^ u32::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from the FNV reference (isthe.com/chongo/tech/comp/fnv), which Go's
    /// hash/fnv tests also use.
    #[test]
    fn matches_reference_vectors() {
        assert_eq!(fnv1a32(b""), 0x811c9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9cf968);
    }
}
