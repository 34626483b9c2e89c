//! Fault injection: rules that make matching requests fail, stall or lose their connection.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a matching request suffers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultAction {
    /// Answer with this status and `{"error": message}` instead of processing the request.
    Status {
        /// HTTP status code to return.
        status: u16,
        /// Message placed in the JSON error body.
        #[serde(default)]
        message: String,
    },
    /// Close the connection without any response (the request is not processed).
    Drop,
    /// Wait this long, then process the request normally.
    Delay {
        /// Added latency in milliseconds.
        ms: u64,
    },
}

/// One fault rule. A request matches when every given selector matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method (`GET`, `POST`, ...); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Object type (`pool`, `virtualservice`, `login`, ...); `None` matches any.
    #[serde(default, rename = "type")]
    pub object_type: Option<String>,
    /// What happens to a matching request.
    pub action: FaultAction,
    /// Probability in `[0, 1]` that a matching request is affected (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// Affect at most this many requests, then the rule is spent (default: unlimited).
    #[serde(default)]
    pub times: Option<u64>,
}

fn one() -> f64 {
    1.0
}

impl Fault {
    /// A rule that answers `status` with `message` for matching requests.
    pub fn status(method: Option<&str>, object_type: Option<&str>, status: u16, message: &str) -> Self {
        Fault {
            method: method.map(str::to_owned),
            object_type: object_type.map(str::to_owned),
            action: FaultAction::Status {
                status,
                message: message.to_owned(),
            },
            rate: 1.0,
            times: None,
        }
    }

    /// Limit the rule to the next `n` matching requests.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Affect only a share of the matching requests.
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }

    /// Latency of a `Delay` action, if this is one.
    pub fn delay(&self) -> Option<Duration> {
        match self.action {
            FaultAction::Delay { ms } => Some(Duration::from_millis(ms)),
            _ => None,
        }
    }
}
