//! Every error the server returns, in one table: what went wrong (a [`Kind`]), the akms status
//! the audit log records for it, and the error code and HTTP status of each protocol.
//! Client mistakes are always 4xx (the SDKs retry 5xx); 5xx only for the server's own faults.

use akms::Status;

use super::auth::AuthFailure;

/// The kinds of failure a request can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A parameter is malformed or out of range.
    InvalidParameter,
    /// A required parameter is absent.
    MissingParameter,
    /// The action / operation is not one this server has.
    UnknownAction,
    /// The body is over 64 KiB.
    BodyTooLarge,
    /// The body did not arrive within the read timeout.
    RequestTimeout,
    KeyNotFound,
    AliasNotFound,
    VersionNotFound,
    AlreadyExists,
    /// The algorithm or usage does not fit the key.
    Incompatible,
    /// The key is Disabled.
    Disabled,
    /// The key is PendingDeletion (or the state change is not allowed).
    InvalidState,
    DecryptionFailed,
    /// A policy denies the call.
    AccessDenied,
    /// AWS Verify: the signature is not valid.
    InvalidSignature,
    // Authentication.
    IncompleteSignature,
    UnknownAccessKey,
    SignatureMismatch,
    Skewed,
    NonceReused,
    Overloaded,
    /// Store I/O, corruption, bugs.
    Internal,
}

/// One row of the table.
pub struct Row {
    pub status: Status,
    pub alibaba_http: u16,
    pub alibaba_code: &'static str,
    pub aws_http: u16,
    pub aws_type: &'static str,
}

const fn row(status: Status, ah: u16, ac: &'static str, wh: u16, wt: &'static str) -> Row {
    Row {
        status,
        alibaba_http: ah,
        alibaba_code: ac,
        aws_http: wh,
        aws_type: wt,
    }
}

/// The table.
pub fn lookup(kind: Kind) -> Row {
    use Status as S;
    match kind {
        Kind::InvalidParameter => row(
            S::InvalidArgument,
            400,
            "InvalidParameter",
            400,
            "ValidationException",
        ),
        Kind::MissingParameter => row(
            S::InvalidArgument,
            400,
            "MissingParameter",
            400,
            "ValidationException",
        ),
        Kind::UnknownAction => row(
            S::InvalidArgument,
            400,
            "InvalidApiName",
            400,
            "UnknownOperationException",
        ),
        Kind::BodyTooLarge => row(
            S::InvalidArgument,
            413,
            "InvalidParameter",
            413,
            "ValidationException",
        ),
        Kind::RequestTimeout => row(
            S::InvalidArgument,
            408,
            "InvalidParameter",
            408,
            "ValidationException",
        ),
        Kind::KeyNotFound => row(
            S::NotFound,
            404,
            "Forbidden.KeyNotFound",
            400,
            "NotFoundException",
        ),
        Kind::AliasNotFound => row(
            S::NotFound,
            404,
            "Forbidden.AliasNotFound",
            400,
            "NotFoundException",
        ),
        Kind::VersionNotFound => row(
            S::NotFound,
            404,
            "Forbidden.ResourceNotFound",
            400,
            "NotFoundException",
        ),
        Kind::AlreadyExists => row(
            S::AlreadyExists,
            409,
            "Rejected.AlreadyExists",
            400,
            "AlreadyExistsException",
        ),
        Kind::Incompatible => row(
            S::Incompatible,
            400,
            "Rejected.UnsupportedOperation",
            400,
            "InvalidKeyUsageException",
        ),
        Kind::Disabled => row(
            S::InvalidState,
            409,
            "Rejected.Disabled",
            400,
            "DisabledException",
        ),
        Kind::InvalidState => row(
            S::InvalidState,
            409,
            "Rejected.InvalidKeyState",
            400,
            "KMSInvalidStateException",
        ),
        Kind::DecryptionFailed => row(
            S::DecryptionFailed,
            400,
            "Rejected.InvalidCiphertext",
            400,
            "InvalidCiphertextException",
        ),
        Kind::AccessDenied => row(
            S::AccessDenied,
            403,
            "Forbidden.RAM",
            400,
            "AccessDeniedException",
        ),
        Kind::InvalidSignature => row(
            S::Ok,
            400,
            "InvalidParameter",
            400,
            "KMSInvalidSignatureException",
        ),
        Kind::IncompleteSignature => row(
            S::AccessDenied,
            400,
            "IncompleteSignature",
            400,
            "IncompleteSignatureException",
        ),
        Kind::UnknownAccessKey => row(
            S::AccessDenied,
            404,
            "InvalidAccessKeyId.NotFound",
            400,
            "UnrecognizedClientException",
        ),
        Kind::SignatureMismatch => row(
            S::AccessDenied,
            400,
            "SignatureDoesNotMatch",
            400,
            "InvalidSignatureException",
        ),
        Kind::Skewed => row(
            S::AccessDenied,
            400,
            "RequestTimeTooSkewed",
            400,
            "InvalidSignatureException",
        ),
        Kind::NonceReused => row(
            S::AccessDenied,
            400,
            "SignatureNonceUsed",
            400,
            "InvalidSignatureException",
        ),
        Kind::Overloaded => row(
            S::AccessDenied,
            503,
            "ServiceUnavailableTemporary",
            503,
            "ThrottlingException",
        ),
        Kind::Internal => row(
            S::Internal,
            500,
            "InternalFailure",
            500,
            "KMSInternalException",
        ),
    }
}

/// A failed request: its kind, a message for the client, and the akms status to audit.
#[derive(Debug, Clone)]
pub struct Fault {
    pub kind: Kind,
    pub message: String,
    /// The status for the audit line when it differs from the table's (a store error keeps
    /// its own status, e.g. `AKMS_ERR_IO` as `Internal`).
    pub status: Status,
}

impl Fault {
    pub fn new(kind: Kind, message: impl Into<String>) -> Fault {
        Fault {
            kind,
            message: message.into(),
            status: lookup(kind).status,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Fault {
        Fault::new(Kind::InvalidParameter, message)
    }

    pub fn missing(name: &str) -> Fault {
        Fault::new(
            Kind::MissingParameter,
            format!("the parameter {name} is required"),
        )
    }
}

impl From<akms::Error> for Fault {
    fn from(e: akms::Error) -> Fault {
        let msg = e.message().to_owned();
        let kind = match e.status() {
            Status::Ok | Status::InvalidArgument => Kind::InvalidParameter,
            Status::NotFound if msg.starts_with("alias ") => Kind::AliasNotFound,
            Status::NotFound if msg.contains(" has no version ") => Kind::VersionNotFound,
            Status::NotFound => Kind::KeyNotFound,
            Status::AlreadyExists => Kind::AlreadyExists,
            Status::Incompatible => Kind::Incompatible,
            Status::InvalidState if msg.contains(" is Disabled") => Kind::Disabled,
            Status::InvalidState => Kind::InvalidState,
            Status::DecryptionFailed => Kind::DecryptionFailed,
            Status::AccessDenied => Kind::AccessDenied,
            Status::Io | Status::Corrupt | Status::Internal => Kind::Internal,
        };
        Fault {
            kind,
            message: msg,
            status: e.status(),
        }
    }
}

impl From<AuthFailure> for Fault {
    fn from(a: AuthFailure) -> Fault {
        let kind = match a {
            AuthFailure::Incomplete(_) => Kind::IncompleteSignature,
            AuthFailure::UnknownAccessKey(_) => Kind::UnknownAccessKey,
            AuthFailure::SignatureMismatch => Kind::SignatureMismatch,
            AuthFailure::Skewed => Kind::Skewed,
            AuthFailure::NonceReused => Kind::NonceReused,
            AuthFailure::Overloaded => Kind::Overloaded,
        };
        Fault::new(kind, a.message())
    }
}
