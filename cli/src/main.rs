//! `akms`: the command for operators and scripts, over the crate's Rust API (`akms::Store`).
//!
//! Layout: `main.rs` parses and dispatches; `lib.rs` holds the modules (`cli.rs` the
//! arguments, `commands.rs` the commands, `serve/` is `akms serve`).

use std::process::ExitCode;

use akms_cli::cli::{Cli, Command, Shell};
use akms_cli::error::Failure;
use akms_cli::{commands, location, serve};
use clap::{CommandFactory, Parser};

/// mimalloc rather than glibc's malloc: `akms serve` makes and frees many small buffers per
/// request (headers, JSON, the audit line), and glibc's allocator was about a tenth of its CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Usage errors exit 2 with clap's message; --help and --version exit 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(failure) => failure.report(),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut Cli::command(), "akms", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            let store = if args.memory {
                akms::Store::new()
            } else {
                open(cli.store.as_deref(), cli.passphrase_file.as_deref())?
            };
            Ok(serve::run(args, store))
        }
        command => {
            let store = open(cli.store.as_deref(), cli.passphrase_file.as_deref())?;
            Ok(commands::run(command, &store)?.exit_code())
        }
    }
}

fn open(
    store: Option<&str>,
    passphrase_file: Option<&std::path::Path>,
) -> Result<akms::Store, Failure> {
    location::open(&location::resolve(store)?, passphrase_file)
}
