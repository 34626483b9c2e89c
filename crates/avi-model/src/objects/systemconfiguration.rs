//! `systemconfiguration`: the controller-wide singleton (uuid `default`); AKO reads the license tier.

avi_object! {
    /// The system configuration.
    pub struct SystemConfiguration: SystemConfiguration {
        /// `ENTERPRISE`, `ENTERPRISE_WITH_CLOUD_SERVICES`, `ESSENTIALS`, `BASIC`.
        default_license_tier: String,
    }
}
