//! Where the passphrase comes from, in the contract's order: `--passphrase-file`, then
//! `$AKMS_PASSPHRASE_FILE` (the file's bytes, one trailing newline dropped), then
//! `$AKMS_PASSPHRASE`, then a prompt on the terminal without echo. Never a command-line value.
//! No source and no terminal is a usage error. The passphrase zeroizes on drop.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use zeroize::Zeroizing;

use crate::error::{io_error, usage, Failure};
use crate::input::read_secret;

/// The environment variable naming a passphrase file.
pub const PASSPHRASE_FILE_ENV: &str = "AKMS_PASSPHRASE_FILE";
/// The environment variable holding the passphrase itself.
pub const PASSPHRASE_ENV: &str = "AKMS_PASSPHRASE";

/// A passphrase; its bytes are wiped when it is dropped.
pub type Passphrase = Zeroizing<Vec<u8>>;

/// Finds the passphrase. `file` is `--passphrase-file`; `confirm` asks a prompt to repeat it
/// (the store is about to be created).
pub fn obtain(file: Option<&Path>, location: &str, confirm: bool) -> Result<Passphrase, Failure> {
    if let Some(path) = file {
        return from_file(path);
    }
    if let Some(path) = non_empty_env(PASSPHRASE_FILE_ENV) {
        return from_file(&PathBuf::from(path));
    }
    if let Some(value) = non_empty_env(PASSPHRASE_ENV) {
        use std::os::unix::ffi::OsStringExt;
        return Ok(Zeroizing::new(value.into_vec()));
    }
    prompt(location, confirm)
}

fn non_empty_env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The bytes of the file at `path`, with one trailing newline dropped.
fn from_file(path: &Path) -> Result<Passphrase, Failure> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| io_error(format!("cannot read passphrase file {}", path.display()), e))?;
    let mut bytes = read_secret(&mut file)
        .map_err(|e| io_error(format!("cannot read passphrase file {}", path.display()), e))?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Ok(bytes)
}

/// Asks on the terminal, without echo.
fn prompt(location: &str, confirm: bool) -> Result<Passphrase, Failure> {
    // rpassword reads /dev/tty; say plainly what to do when there is none.
    if OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_err()
    {
        return Err(usage(
            ErrorKind::MissingRequiredArgument,
            "no passphrase: give --passphrase-file FILE, $AKMS_PASSPHRASE_FILE or $AKMS_PASSPHRASE \
             (there is no terminal to ask on)",
        ));
    }
    let ask = |text: &str| {
        rpassword::prompt_password(text)
            .map(|s| Zeroizing::new(s.into_bytes()))
            .map_err(|e| io_error("cannot read the passphrase from the terminal", e))
    };
    let first = ask(&format!("Passphrase for {location}: "))?;
    if confirm {
        let again = ask("The store is new; repeat the passphrase: ")?;
        if *first != *again {
            return Err(usage(
                ErrorKind::ValueValidation,
                "the passphrases differ; nothing was created",
            ));
        }
    }
    Ok(first)
}
