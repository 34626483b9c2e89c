//! `X-Avi-Version` handling: parsing, numeric comparison and AKO's cap.

use std::cmp::Ordering;

/// Version sent before negotiation (the Go SDK default; the controller accepts it for login).
pub const INITIAL_VERSION: &str = "18.2.6";
/// Highest API version this client speaks; newer controllers are addressed with it (AKO's `MaxAviVersion`).
pub const MAX_VERSION: &str = "30.2.1";

/// Parse a dotted version such as `22.1.3` or `22.1.3-9096` into numeric components.
///
/// Each component uses its leading digits, so build suffixes do not break parsing.
/// Returns `None` if the first component has no digits.
pub fn parse(version: &str) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    for part in version.trim().split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        out.push(digits.parse().ok()?);
        // A suffix like `3-9096` ends the numeric part of the version.
        if digits.len() != part.len() {
            break;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Compare two versions numerically (`22.1.10 > 22.1.9`); missing components count as 0.
/// Unparsable versions sort before every parsable one.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => {
            let len = a.len().max(b.len());
            (0..len)
                .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The version to send to a controller reporting `controller`: its own version, capped at
/// [`MAX_VERSION`]. An unparsable report falls back to the cap, the newest dialect we speak.
pub fn negotiate(controller: &str) -> String {
    if parse(controller).is_some() && compare(controller, MAX_VERSION).is_le() {
        controller.trim().to_owned()
    } else {
        MAX_VERSION.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suffixes() {
        assert_eq!(parse("22.1.3"), Some(vec![22, 1, 3]));
        assert_eq!(parse("22.1.3-9096"), Some(vec![22, 1, 3]));
        assert_eq!(parse("31.1.1.9000"), Some(vec![31, 1, 1, 9000]));
        assert_eq!(parse("latest"), None);
    }

    #[test]
    fn compares_numerically() {
        assert!(compare("22.1.10", "22.1.9").is_gt());
        assert!(compare("30.2", "30.2.0").is_eq());
        assert!(compare("9.9.9", "18.2.6").is_lt());
    }

    #[test]
    fn caps_at_max() {
        assert_eq!(negotiate("22.1.3"), "22.1.3");
        assert_eq!(negotiate("30.2.1"), "30.2.1");
        assert_eq!(negotiate("31.1.1"), "30.2.1");
        assert_eq!(negotiate("30.10.0"), "30.2.1");
        assert_eq!(negotiate("garbage"), "30.2.1");
    }
}
