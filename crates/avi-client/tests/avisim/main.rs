//! Integration tests: the client against the avisim controller simulator over real HTTPS.

mod common;
mod crud;
mod resilience;
mod session;
mod tls;
