//! `akms`: the command for operators and scripts, over the crate's Rust API (`akms::Store`).
//!
//! Layout: `main.rs` parses and dispatches; `lib.rs` holds the modules (`serve/` is `akms serve`).

use akms_cli::serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A local asymmetric KMS: keys in a store file, the cloud KMS operations as commands.
#[derive(Parser)]
#[command(name = "akms", version, about)]
struct Cli {
    /// The store: a file path or a postgresql:// URI (default $AKMS_STORE, else
    /// $XDG_DATA_HOME/akms/store.akms).
    #[arg(long, global = true, value_name = "LOCATION")]
    store: Option<String>,
    /// A file whose bytes are the passphrase (one trailing newline dropped).
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the store over the Alibaba Cloud and AWS KMS wire protocols.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args, akms::Store::new()),
    }
}
