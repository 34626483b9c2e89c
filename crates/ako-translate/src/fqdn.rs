//! FQDNs of LoadBalancer Services (`avi_model_l4_translator.go:ConstructAviL4VsNode`,
//! `getAutoFQDNForService`; `lib/utils.go:CheckRFC1035`, `CorrectLabelToSatisfyRFC1035`,
//! `CheckAndShortenLabelToFollowRFC1035`).

use std::collections::BTreeMap;

use crate::settings::AutoFqdn;

/// Annotation whose value becomes the Service's FQDN instead of the generated one.
pub const EXTERNAL_DNS_ANNOTATION: &str = "external-dns.alpha.kubernetes.io/hostname";

const DNS_LABEL_LENGTH: usize = 63;

/// The FQDNs AKO puts on a Service's VsVip: the external-dns annotation if present (only when
/// auto FQDN is enabled — AKO ignores the annotation otherwise), else the auto FQDN when the
/// cloud has DNS sub-domains.
pub fn service_fqdns(
    ns: &str,
    name: &str,
    annotations: Option<&BTreeMap<String, String>>,
    mode: AutoFqdn,
    default_domain: Option<&str>,
    cloud_domains: &[String],
) -> Vec<String> {
    if mode == AutoFqdn::Disabled {
        return Vec::new();
    }
    if let Some(host) = annotations.and_then(|a| a.get(EXTERNAL_DNS_ANNOTATION)) {
        return vec![host.clone()];
    }
    auto_fqdn(ns, name, mode, default_domain, cloud_domains)
        .into_iter()
        .collect()
}

/// The FQDN a Service contributes to its shared-VIP group's VsVip
/// (`avi_model_advl4_translator.go:ConstructSharedVipSvcLBNode`): nothing without DNS sub-domains,
/// else the external-dns annotation (even when auto FQDN is disabled: AKO does not check the mode
/// there), else the auto FQDN.
pub fn shared_vip_fqdn(
    ns: &str,
    name: &str,
    annotations: Option<&BTreeMap<String, String>>,
    mode: AutoFqdn,
    default_domain: Option<&str>,
    cloud_domains: &[String],
) -> Option<String> {
    if cloud_domains.is_empty() {
        return None;
    }
    if let Some(host) = annotations.and_then(|a| a.get(EXTERNAL_DNS_ANNOTATION)) {
        return Some(host.clone());
    }
    auto_fqdn(ns, name, mode, default_domain, cloud_domains)
}

/// `<svc>.<ns>.<subdomain>` or `<svc>-<ns>.<subdomain>`; `None` without DNS sub-domains.
pub fn auto_fqdn(
    ns: &str,
    name: &str,
    mode: AutoFqdn,
    default_domain: Option<&str>,
    cloud_domains: &[String],
) -> Option<String> {
    let mut domains = cloud_domains.to_vec();
    domains.sort();
    let first = match default_domain {
        Some(d) if !d.is_empty() && domains.iter().any(|x| x == d) => d.to_owned(),
        _ => domains.first()?.clone(),
    };
    let subdomain = first.strip_prefix('.').unwrap_or(&first);
    let name = rfc1035_fix(name, "s");
    let ns = rfc1035_fix(ns, "n");
    match mode {
        AutoFqdn::Default => Some(format!("{name}.{ns}.{subdomain}")),
        AutoFqdn::Flat => {
            let (name, ns) = shorten(&name, &ns);
            Some(format!("{name}-{ns}.{subdomain}"))
        }
        AutoFqdn::Disabled => None,
    }
}

/// The auto-FQDN of a shared L7 parent VS (`lib.GetFqdns`): `<vs>.<tenant>.<subdomain>` or
/// `<vs>-<tenant>.<subdomain>`, the tenant reduced to DNS label characters; `None` when
/// disabled or without DNS sub-domains.
pub fn shared_vs_fqdn(
    vs_name: &str,
    tenant: &str,
    mode: AutoFqdn,
    default_domain: Option<&str>,
    cloud_domains: &[String],
) -> Option<String> {
    let mut domains = cloud_domains.to_vec();
    domains.sort();
    let first = match default_domain {
        Some(d) if !d.is_empty() && domains.iter().any(|x| x == d) => d.to_owned(),
        _ => domains.first()?.clone(),
    };
    let subdomain = first.strip_prefix('.').unwrap_or(&first);
    let mut t = String::new();
    for c in tenant.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' };
        if !(c == '-' && t.ends_with('-')) {
            t.push(c);
        }
    }
    let t = t.trim_matches('-');
    match mode {
        AutoFqdn::Default => Some(format!("{vs_name}.{t}.{subdomain}")),
        AutoFqdn::Flat => Some(format!("{vs_name}-{t}.{subdomain}")),
        AutoFqdn::Disabled => None,
    }
}

/// `^[a-z]([-a-z0-9]*[a-z0-9])?$`, at most 63 characters.
pub fn is_rfc1035_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= DNS_LABEL_LENGTH
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// Prefix a non-conforming label when that makes it conform; otherwise leave it as it is.
fn rfc1035_fix(label: &str, prefix: &str) -> String {
    if is_rfc1035_label(label) {
        return label.to_owned();
    }
    let fixed = format!("{prefix}{label}");
    if is_rfc1035_label(&fixed) {
        fixed
    } else {
        label.to_owned()
    }
}

/// Shorten name and namespace so that `<name>-<ns>` fits in one 63-character label.
fn shorten(name: &str, ns: &str) -> (String, String) {
    let (mut name, mut ns) = (name.to_owned(), ns.to_owned());
    if name.len() + ns.len() + 1 > DNS_LABEL_LENGTH {
        let mut avail_name = DNS_LABEL_LENGTH as isize - ns.len() as isize - 1;
        if avail_name <= 0 {
            let avail_ns = DNS_LABEL_LENGTH as isize - name.len() as isize - 1;
            let keep = if avail_ns <= 0 { 48 } else { avail_ns as usize };
            ns.truncate(keep.min(ns.len()));
            while ns.ends_with('-') {
                ns.pop();
            }
            avail_name = DNS_LABEL_LENGTH as isize - ns.len() as isize - 1;
        }
        let avail_name = avail_name.max(0) as usize;
        if name.len() > avail_name {
            name.truncate(avail_name);
        }
    }
    (name, ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec!["zeta.com".into(), "avi.com".into()]
    }

    #[test]
    fn default_and_flat_formats() {
        assert_eq!(
            auto_fqdn("red", "svc", AutoFqdn::Default, None, &domains()).unwrap(),
            "svc.red.avi.com"
        );
        assert_eq!(
            auto_fqdn("red", "svc", AutoFqdn::Flat, Some("zeta.com"), &domains()).unwrap(),
            "svc-red.zeta.com"
        );
        assert_eq!(
            auto_fqdn("red", "svc", AutoFqdn::Default, Some("nope.com"), &domains()).unwrap(),
            "svc.red.avi.com"
        );
        assert_eq!(
            auto_fqdn("red", "svc", AutoFqdn::Default, None, &[".d.com".into()]).unwrap(),
            "svc.red.d.com"
        );
        assert!(auto_fqdn("red", "svc", AutoFqdn::Default, None, &[]).is_none());
    }

    #[test]
    fn labels_are_fixed_with_prefixes() {
        assert_eq!(
            auto_fqdn("1ns", "9svc", AutoFqdn::Default, None, &domains()).unwrap(),
            "s9svc.n1ns.avi.com"
        );
    }

    #[test]
    fn flat_labels_are_shortened_to_63() {
        let name = "a".repeat(40);
        let ns = "b".repeat(40);
        let fqdn = auto_fqdn(&ns, &name, AutoFqdn::Flat, None, &domains()).unwrap();
        let label = fqdn.split('.').next().unwrap();
        assert_eq!(label.len(), 63);
        assert_eq!(label, format!("{}-{}", "a".repeat(22), "b".repeat(40)));
        let long = "c".repeat(63);
        let fqdn = auto_fqdn(&long, &long, AutoFqdn::Flat, None, &domains()).unwrap();
        assert_eq!(
            fqdn.split('.').next().unwrap(),
            format!("{}-{}", "c".repeat(14), "c".repeat(48))
        );
    }

    #[test]
    fn external_dns_overrides_only_when_auto_enabled() {
        let ann: BTreeMap<String, String> = [(EXTERNAL_DNS_ANNOTATION.to_owned(), "my.host.com".to_owned())].into();
        assert_eq!(
            service_fqdns("n", "s", Some(&ann), AutoFqdn::Default, None, &domains()),
            vec!["my.host.com"]
        );
        assert!(service_fqdns("n", "s", Some(&ann), AutoFqdn::Disabled, None, &domains()).is_empty());
    }
}
