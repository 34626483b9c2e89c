//! The `ako` command: argument parsing and wiring. `ako run` is the operator (the
//! `ako-runtime` library against a cluster); `ako demo` runs the same runtime on a manifest
//! directory against an embedded controller simulator (cargo feature `demo`, on by default);
//! `ako plan` translates manifests offline into the Avi objects AKO would create; `ako sync`
//! applies them to a controller once.

#![forbid(unsafe_code)]

mod controller_args;
mod crds;
#[cfg(feature = "demo")]
mod demo;
mod plan;
mod redact;
mod run;
mod sync;
mod tree;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// ako-rs: the Avi Kubernetes Operator, in Rust.
#[derive(Parser, Debug)]
#[command(name = "ako", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the CustomResourceDefinitions of AKO's custom resources (HostRule, HTTPRule, ...).
    Crds(crds::CrdsArgs),
    /// Run the pipeline on examples/ against an embedded Avi Controller simulator, and keep
    /// watching the files.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Show the Avi objects AKO would create for a directory of Kubernetes manifests.
    Plan(plan::PlanArgs),
    /// The operator: watch a cluster and keep the Avi Controller and the statuses in sync.
    Run(run::RunArgs),
    /// Apply a directory of Kubernetes manifests to an Avi Controller, once.
    Sync(sync::SyncArgs),
}

/// A multi-threaded runtime with rustls's ring provider installed.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crds(args) => exit(crds::main(&args).map(|()| true)),
        Command::Plan(args) => exit(plan::main(&args).map(|()| true)),
        Command::Sync(args) => exit(sync::main(&args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => exit(demo::main(&args)),
        Command::Run(args) => exit(run::main(args).map(|()| true)),
    }
}

/// 0 when done, 1 when it did not converge, 2 on bad input (the error printed).
fn exit(result: anyhow::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
