//! Releasing what akms hands out.

use std::ffi::{c_char, CString};

use zeroize::Zeroize;

use super::panic::guard_void;
use super::types::akms_bytes;

/// Zeroizes and frees a buffer returned by akms, then sets it to `{NULL, 0}`.
///
/// NULL-safe and idempotent: a NULL `b`, or a `b` whose `data` is NULL, is left alone.
///
/// # Safety
/// `b` is NULL or points to an `akms_bytes` that akms filled in (or that is `{NULL, 0}`).
#[no_mangle]
pub unsafe extern "C" fn akms_bytes_free(b: *mut akms_bytes) {
    guard_void(|| {
        // SAFETY: the caller guarantees `b` is NULL or a valid `akms_bytes`.
        let Some(b) = (unsafe { b.as_mut() }) else {
            return;
        };
        if !b.data.is_null() {
            // SAFETY: a non-NULL `data` came from `Box::<[u8]>::into_raw` with length `len`
            // (see `args::c_bytes`) and has not been freed, since freeing sets it to NULL.
            let mut boxed =
                unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(b.data, b.len)) };
            boxed.zeroize();
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

/// Frees a string returned by akms (key ids, version ids, JSON, PEM). NULL-safe.
///
/// # Safety
/// `s` is NULL or a string that akms returned and that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn akms_string_free(s: *mut c_char) {
    guard_void(|| {
        if s.is_null() {
            return;
        }
        // SAFETY: `s` came from `CString::into_raw` (see `args::c_string`) and is freed once.
        let mut bytes = unsafe { CString::from_raw(s) }.into_bytes();
        bytes.zeroize();
    })
}
