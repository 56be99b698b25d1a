//! `akms serve`: the store over the Alibaba Cloud KMS and AWS KMS wire protocols.

use std::process::ExitCode;

use clap::Args;

/// Options of `akms serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Serve an in-memory store instead of --store.
    #[arg(long)]
    pub memory: bool,
}

/// Runs the server on `store` until SIGTERM or SIGINT.
pub fn run(_args: ServeArgs, _store: akms::Store) -> ExitCode {
    eprintln!("akms: serve is not built yet");
    ExitCode::from(2)
}
