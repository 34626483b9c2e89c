//! High availability: any number of `ako run` replicas, one of which (the holder of AKO's Lease
//! `ako-lease-lock`) writes. The others watch, index and stay logged in to the controller, ready
//! to take over; they write nothing, to the controller or to Kubernetes. Every write asks the
//! [`Fence`] first.

mod fence;
mod lease;

pub use fence::{Fence, Role, Standing};
pub use lease::{Election, LEASE_NAME, LeaseSettings};

/// This replica's identity: `POD_NAME` (the StatefulSet's Pod, as AKO), else the host name
/// with a random suffix (two processes on one host must differ).
pub fn identity() -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
    var("POD_NAME").unwrap_or_else(|| {
        let host = var("HOSTNAME").unwrap_or_else(|| "ako".to_owned());
        format!("{host}_{:08x}", rand::random::<u32>())
    })
}
