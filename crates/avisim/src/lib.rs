//! avisim: a stateful simulator of the Avi Controller REST API.

pub mod faults;
