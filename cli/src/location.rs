//! Which store a command works on, and opening it.
//!
//! The location is `--store`, else `$AKMS_STORE`, else `$XDG_DATA_HOME/akms/store.akms`, else
//! `~/.local/share/akms/store.akms`. For the default location the directory is created (mode
//! 0700) on first use, and an absent store file is created empty with mode 0600 before the library initializes it. A location
//! beginning `postgresql://` or `postgres://` is passed to the library as it is.

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind as IoErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use akms::Store;
use clap::error::ErrorKind;

use crate::error::{io_error, usage, Failure};
use crate::passphrase;
use crate::progress;

/// The environment variable naming the store location.
pub const STORE_ENV: &str = "AKMS_STORE";

/// A resolved store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// What is passed to `Store::open`.
    pub location: String,
    /// The default location, whose directory akms creates.
    pub is_default: bool,
}

impl Location {
    /// Whether the location is a database URI rather than a file path.
    pub fn is_uri(&self) -> bool {
        self.location.starts_with("postgresql://") || self.location.starts_with("postgres://")
    }
}

/// The location from `--store` (given) or the environment.
pub fn resolve(given: Option<&str>) -> Result<Location, Failure> {
    if let Some(s) = given {
        return Ok(Location {
            location: s.to_string(),
            is_default: false,
        });
    }
    if let Some(s) = std::env::var_os(STORE_ENV).filter(|v| !v.is_empty()) {
        return Ok(Location {
            location: into_string(s.into())?,
            is_default: false,
        });
    }
    // XDG: a relative $XDG_DATA_HOME is invalid and ignored.
    let data_home = match std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local").join("share"),
            None => {
                return Err(usage(
                    ErrorKind::MissingRequiredArgument,
                    "no store location: give --store LOCATION or set $AKMS_STORE \
                     ($XDG_DATA_HOME and $HOME are unset)",
                ))
            }
        },
    };
    Ok(Location {
        location: into_string(data_home.join("akms").join("store.akms"))?,
        is_default: true,
    })
}

fn into_string(path: PathBuf) -> Result<String, Failure> {
    path.into_os_string().into_string().map_err(|p| {
        Failure::Akms(akms::Error::InvalidArgument(format!(
            "the store location {p:?} is not UTF-8"
        )))
    })
}

/// Opens the store at `location`, with the passphrase from its sources (`passphrase_file` is
/// `--passphrase-file`). The KDF shows a spinner when standard error is a terminal.
pub fn open(location: &Location, passphrase_file: Option<&Path>) -> Result<Store, Failure> {
    let path = Path::new(&location.location);
    if location.is_default {
        if let Some(dir) = path.parent() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io_error(format!("cannot create {}", dir.display()), e))?;
        }
    }
    // A file store about to be created: a prompt asks twice.
    let is_new = !location.is_uri() && std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let pass = passphrase::obtain(passphrase_file, &location.location, is_new)?;
    if !location.is_uri() {
        create_private(path)?;
    }
    let store = progress::spin("opening the store (deriving its key)", || {
        // The library writes a file beside the store when it initializes or compacts it; a
        // umask of 077 keeps that file (and so the store) at 0600 whatever the caller's umask.
        let _umask = PrivateUmask::set();
        Store::open(&location.location, &pass)
    })?;
    Ok(store)
}

/// Creates an absent store file empty with mode 0600, which the library then initializes.
fn create_private(path: &Path) -> Result<(), Failure> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == IoErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error(format!("cannot create {}", path.display()), e)),
    }
}

/// A process umask of 077 until dropped, when the previous one is restored.
struct PrivateUmask(libc::mode_t);

impl PrivateUmask {
    fn set() -> PrivateUmask {
        // SAFETY: umask has no preconditions and cannot fail; the command opens its store
        // before it starts any thread that creates files.
        PrivateUmask(unsafe { libc::umask(0o077) })
    }
}

impl Drop for PrivateUmask {
    fn drop(&mut self) {
        // SAFETY: as in `set`.
        unsafe {
            libc::umask(self.0);
        }
    }
}
