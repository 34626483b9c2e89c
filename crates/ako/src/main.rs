//! The `ako` command. `ako demo` runs the pipeline over an embedded controller simulator;
//! `ako plan` translates manifests offline into the Avi objects AKO would create; `ako sync`
//! applies them to a controller once; `ako run` is the operator, watching a cluster.

mod demo;
mod plan;
mod run;
mod sync_cmd;
mod tree;

use std::process::ExitCode;

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
    /// Run the pipeline on examples/ against an embedded Avi Controller simulator, and keep
    /// watching the files.
    Demo(demo::DemoArgs),
    /// Show the Avi objects AKO would create for a directory of Kubernetes manifests.
    Plan(plan::PlanArgs),
    /// The operator: watch a cluster and keep the Avi Controller and the statuses in sync.
    Run(run::RunArgs),
    /// Apply a directory of Kubernetes manifests to an Avi Controller, once.
    Sync(sync_cmd::SyncArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Sync(args) => return sync_cmd::main(&args),
        Command::Demo(args) => return demo::main(&args),
        Command::Run(args) => return run::main(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
