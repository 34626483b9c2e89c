//! The sync engine against avisim, in-process over real HTTPS: convergence and minimal writes,
//! drift repair, ownership, the deletion guard, and faults.

#[path = "../support/mod.rs"]
mod support;

mod converge;
mod drift;
mod facts;
mod faults;
mod gateway;
mod guard;
mod l7;
mod requests;
mod se_group;
mod static_routes;
