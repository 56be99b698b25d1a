//! How a command fails, and the exit status and standard error line each failure gives.
//!
//! An error from akms prints `akms: AKMS_ERR_NOT_FOUND: <message>` and exits with 10 plus its
//! status code; a usage error prints clap's message and exits 2; an invalid signature (verify)
//! exits 1 after its JSON.

use std::fmt::Display;
use std::io;
use std::process::ExitCode;

/// The exit status of an invalid signature.
pub const EXIT_INVALID_SIGNATURE: u8 = 1;
/// The exit status of a usage error.
pub const EXIT_USAGE: u8 = 2;
/// Added to the akms status code for the exit status of an error from akms.
pub const EXIT_STATUS_BASE: u8 = 10;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// An error from akms, or from reading or writing a file for it (`AKMS_ERR_IO`).
    Akms(akms::Error),
    /// The command line cannot be carried out as given (clap's formatting).
    Usage(clap::Error),
}

impl From<akms::Error> for Failure {
    fn from(e: akms::Error) -> Failure {
        Failure::Akms(e)
    }
}

impl Failure {
    /// Prints the one-line message on standard error and gives the exit status.
    pub fn report(&self) -> ExitCode {
        match self {
            Failure::Akms(e) => {
                eprintln!("akms: {}: {}", e.status().name(), e.message());
                // Status codes are 1..=10, so the sum fits.
                ExitCode::from(EXIT_STATUS_BASE + e.status().code() as u8)
            }
            Failure::Usage(e) => {
                let _ = e.print();
                ExitCode::from(EXIT_USAGE)
            }
        }
    }
}

/// A usage error with `message`, formatted by clap like its own.
pub fn usage(kind: clap::error::ErrorKind, message: impl Display) -> Failure {
    use clap::CommandFactory;
    Failure::Usage(crate::cli::Cli::command().error(kind, message))
}

/// An `AKMS_ERR_IO` error for a file the command reads or writes.
pub fn io_error(what: impl Display, e: io::Error) -> Failure {
    Failure::Akms(akms::Error::Io(format!("{what}: {e}")))
}

/// What a command that ran to its end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success (exit 0).
    Done,
    /// `verify` ran and the signature is invalid (exit 1).
    InvalidSignature,
}

impl Outcome {
    /// The exit status.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::InvalidSignature => ExitCode::from(EXIT_INVALID_SIGNATURE),
        }
    }
}
