//! The `ako` command. `ako plan` translates manifests offline into the Avi objects AKO would
//! create; `run`, `sync` and `demo` arrive with the sync engine and the operator runtime.

mod plan;
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
    /// Show the Avi objects AKO would create for a directory of Kubernetes manifests.
    Plan(plan::PlanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
