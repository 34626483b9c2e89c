//! The one logging setup of every command: to stderr, at `default` and up unless `RUST_LOG`
//! says otherwise.

/// Install the subscriber (a second call does nothing).
pub fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
