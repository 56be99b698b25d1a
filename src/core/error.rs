//! The error type of every core operation, one variant per C status code.

use std::fmt;

/// A status code as it crosses the C ABI: `0` is success, every error has its own value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Status {
    Ok = 0,
    InvalidArgument = 1,
    NotFound = 2,
    AlreadyExists = 3,
    Incompatible = 4,
    InvalidState = 5,
    DecryptionFailed = 6,
    AccessDenied = 7,
    Io = 8,
    Corrupt = 9,
    Internal = 10,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::NotFound,
        Status::AlreadyExists,
        Status::Incompatible,
        Status::InvalidState,
        Status::DecryptionFailed,
        Status::AccessDenied,
        Status::Io,
        Status::Corrupt,
        Status::Internal,
    ];

    /// The numeric code (`AKMS_OK` = 0 …).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The status for a numeric code, if it is one.
    pub fn from_code(code: u32) -> Option<Status> {
        Status::ALL.get(code as usize).copied()
    }

    /// The C constant's name, e.g. `"AKMS_ERR_NOT_FOUND"`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "AKMS_OK",
            Status::InvalidArgument => "AKMS_ERR_INVALID_ARGUMENT",
            Status::NotFound => "AKMS_ERR_NOT_FOUND",
            Status::AlreadyExists => "AKMS_ERR_ALREADY_EXISTS",
            Status::Incompatible => "AKMS_ERR_INCOMPATIBLE",
            Status::InvalidState => "AKMS_ERR_INVALID_STATE",
            Status::DecryptionFailed => "AKMS_ERR_DECRYPTION_FAILED",
            Status::AccessDenied => "AKMS_ERR_ACCESS_DENIED",
            Status::Io => "AKMS_ERR_IO",
            Status::Corrupt => "AKMS_ERR_CORRUPT",
            Status::Internal => "AKMS_ERR_INTERNAL",
        }
    }
}

/// A failed operation: the kind (which maps one-to-one onto [`Status`]) and a detail message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Malformed input: a bad length, an unknown enum value, a malformed name.
    InvalidArgument(String),
    /// No such key, version or alias (or the key's deletion window has passed).
    NotFound(String),
    /// The alias (or other name) is taken.
    AlreadyExists(String),
    /// The algorithm or usage does not fit the key spec or key usage.
    Incompatible(String),
    /// The key is Disabled or PendingDeletion.
    InvalidState(String),
    /// The ciphertext could not be decrypted with this key version.
    DecryptionFailed(String),
    /// A policy on the handle denies the call.
    AccessDenied(String),
    /// The store file could not be read or written.
    Io(String),
    /// The store file cannot be authenticated.
    Corrupt(String),
    /// A bug: a caught panic or an impossible state.
    Internal(String),
}

impl Error {
    /// The status code this error maps to.
    pub fn status(&self) -> Status {
        match self {
            Error::InvalidArgument(_) => Status::InvalidArgument,
            Error::NotFound(_) => Status::NotFound,
            Error::AlreadyExists(_) => Status::AlreadyExists,
            Error::Incompatible(_) => Status::Incompatible,
            Error::InvalidState(_) => Status::InvalidState,
            Error::DecryptionFailed(_) => Status::DecryptionFailed,
            Error::AccessDenied(_) => Status::AccessDenied,
            Error::Io(_) => Status::Io,
            Error::Corrupt(_) => Status::Corrupt,
            Error::Internal(_) => Status::Internal,
        }
    }

    /// The detail message.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidArgument(m)
            | Error::NotFound(m)
            | Error::AlreadyExists(m)
            | Error::Incompatible(m)
            | Error::InvalidState(m)
            | Error::DecryptionFailed(m)
            | Error::AccessDenied(m)
            | Error::Io(m)
            | Error::Corrupt(m)
            | Error::Internal(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status().name(), self.message())
    }
}

impl std::error::Error for Error {}

/// The result of every core operation.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for an [`Error::InvalidArgument`] with a formatted message.
pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}
