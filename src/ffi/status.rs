//! Status names and the thread-local last error message.
//!
//! The message slot is a thread-local with a destructor, so it is gone while a thread is being
//! torn down (a C caller's pthread TLS-key destructor runs after Rust's thread-locals are
//! destroyed). Both paths that reach it run outside the panic boundary, so they use `try_with`:
//! recording then keeps only the status, and reading gives `""`.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use super::types::akms_status;
use crate::core::{Error, Status};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `e` as this thread's last error and returns its status code. Never panics: it runs
/// outside the panic boundary. Where the thread's slot is gone (thread teardown) or busy, only
/// the status is returned.
pub fn record(e: &Error) -> akms_status {
    let text = CString::new(e.message().replace('\0', "\\0")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = text;
        }
    });
    e.status().code()
}

/// The name of a status code, e.g. `"AKMS_ERR_NOT_FOUND"`; `"AKMS_UNKNOWN_STATUS"` for a
/// value that is not one. The string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn akms_status_name(status: akms_status) -> *const c_char {
    let name: &'static [u8] = match Status::from_code(status) {
        Some(Status::Ok) => b"AKMS_OK\0",
        Some(Status::InvalidArgument) => b"AKMS_ERR_INVALID_ARGUMENT\0",
        Some(Status::NotFound) => b"AKMS_ERR_NOT_FOUND\0",
        Some(Status::AlreadyExists) => b"AKMS_ERR_ALREADY_EXISTS\0",
        Some(Status::Incompatible) => b"AKMS_ERR_INCOMPATIBLE\0",
        Some(Status::InvalidState) => b"AKMS_ERR_INVALID_STATE\0",
        Some(Status::DecryptionFailed) => b"AKMS_ERR_DECRYPTION_FAILED\0",
        Some(Status::AccessDenied) => b"AKMS_ERR_ACCESS_DENIED\0",
        Some(Status::Io) => b"AKMS_ERR_IO\0",
        Some(Status::Corrupt) => b"AKMS_ERR_CORRUPT\0",
        Some(Status::Internal) => b"AKMS_ERR_INTERNAL\0",
        None => b"AKMS_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}

/// The detail message of the last call that failed on this thread, or `""` if none has.
///
/// The string belongs to akms and stays valid until the next failing call on the same thread:
/// copy it, never free it. Read it on the thread that made the failing call. While the thread
/// is exiting (from a pthread TLS-key destructor, say) the message may be unavailable: then it
/// is `""`, and calls still return their status.
#[no_mangle]
pub extern "C" fn akms_last_error_message() -> *const c_char {
    const NONE: &[u8] = b"\0";
    LAST_ERROR
        .try_with(|slot| slot.try_borrow().map(|text| text.as_ptr()).ok())
        .ok()
        .flatten()
        .unwrap_or(NONE.as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn names_match_the_core() {
        for s in Status::ALL {
            let name = unsafe { CStr::from_ptr(akms_status_name(s.code())) };
            assert_eq!(name.to_str().unwrap(), s.name());
        }
        let unknown = unsafe { CStr::from_ptr(akms_status_name(999)) };
        assert_eq!(unknown.to_str().unwrap(), "AKMS_UNKNOWN_STATUS");
    }
}
