//! The one logging setup of every command: to stderr, at `default` and up unless `RUST_LOG`
//! says otherwise; `AKOSettings.logLevel` changes the level while the process runs.

use std::sync::OnceLock;

use ako_translate::LogLevel;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, fmt, reload};

/// The filter's handle and the level the command starts at; absent when `RUST_LOG` decides
/// (an expert's filter is never overridden by the settings).
struct Live {
    handle: reload::Handle<EnvFilter, Registry>,
    default: String,
}

static LIVE: OnceLock<Live> = OnceLock::new();

/// The filter of `logLevel: DEBUG`.
const DEBUG: &str = "debug,hyper=info,hyper_util=info,h2=info,rustls=info,tower=info,reqwest=info";

/// Install the subscriber (a second call does nothing).
pub fn init(default: &str) {
    let from_env = EnvFilter::try_from_default_env().ok();
    let fixed = from_env.is_some();
    let (filter, handle) = reload::Layer::new(from_env.unwrap_or_else(|| EnvFilter::new(default)));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .is_ok();
    if installed && !fixed {
        let _ = LIVE.set(Live {
            handle,
            default: default.to_owned(),
        });
    }
}

/// Log at `level` from now on (`None`: the command's default). Nothing changes under `RUST_LOG`.
pub fn set_level(level: Option<LogLevel>) {
    let Some(live) = LIVE.get() else {
        return;
    };
    let wanted = match level {
        // ako-rs's own debug lines; the HTTP and TLS libraries stay at INFO (AKO's DEBUG is its own).
        Some(LogLevel::Debug) => DEBUG,
        Some(l) => l.as_str(),
        None => live.default.as_str(),
    };
    let current = live.handle.with_current(|f| f.to_string()).unwrap_or_default();
    if current == wanted {
        return;
    }
    match live.handle.reload(EnvFilter::new(wanted)) {
        Ok(()) => tracing::info!(level = wanted, "log level changed (AKOSettings.logLevel)"),
        Err(e) => tracing::error!("cannot change the log level: {e}"),
    }
}
