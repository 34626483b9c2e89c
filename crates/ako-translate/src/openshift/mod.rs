//! OpenShift Routes: where the Route API exists, AKO serves Routes instead of Ingresses. A
//! Route reads like an Ingress with one host and path, its Service and alternates sharing the
//! traffic by weight, and a TLS termination (`edge`, `reencrypt`, `passthrough`); its objects
//! are built by the L7 translation like an Ingress's ([`crate::l7`]).

pub mod api;
mod parse;

pub use api::{Route, RouteSpec, RouteStatus};
pub use parse::{ROUTER_DEFAULT_SECRET, accepted_routes, route_host};
