//! The `avisim` binary: serve the simulated Avi Controller API over HTTPS.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// A stateful simulator of the Avi Controller REST API.
#[derive(Parser, Debug)]
#[command(name = "avisim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8443", env = "AVISIM_LISTEN")]
    listen: SocketAddr,
    /// The user allowed to log in.
    #[arg(long, default_value = "admin", env = "AVISIM_USERNAME")]
    username: String,
    /// Its password.
    #[arg(long, env = "AVISIM_PASSWORD", hide_env_values = true)]
    password: String,
    /// Keep the CA here and write `ca.crt` for clients to trust.
    #[arg(long)]
    cert_dir: Option<PathBuf>,
    /// Seed file replacing the embedded default seed.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Persist state to this file (and `<file>.journal`); a restart loses nothing.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Keep the JSON body of every POST/PUT/PATCH to `/api` in the request log
    /// (`/_sim/requests`); for capturing what a client sent. Bodies may hold key material.
    #[arg(long)]
    log_bodies: bool,
    /// Print the embedded default seed and exit.
    #[arg(long, conflicts_with_all = ["seed", "state"])]
    print_default_seed: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--print-default-seed") {
        print!("{}", avisim::seed::DEFAULT_SEED);
        return Ok(());
    }
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "avisim=info".into()))
        .with_writer(std::io::stderr)
        .init();
    let sim = avisim::Avisim::start(avisim::SimConfig {
        listen: args.listen,
        username: args.username,
        password: args.password,
        cert_dir: args.cert_dir.clone(),
        seed: args.seed,
        state_file: args.state,
        log_bodies: args.log_bodies,
    })
    .await?;
    if let Some(dir) = &args.cert_dir {
        eprintln!("CA certificate: {}", dir.join("ca.crt").display());
    }
    println!("listening on {}", sim.url());
    let token = sim.shutdown_token();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
        _ = token.cancelled() => {}
    }
    eprintln!("shutting down");
    sim.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn terminate() {
    if let Ok(mut sig) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        sig.recv().await;
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await
}
