//! Argument checking and output writing shared by every export.
//!
//! Inputs: a NULL pointer where one is not allowed, `(NULL, n > 0)` bytes, non-UTF-8 text and
//! unknown enumeration codes are `InvalidArgument`, naming the argument. Outputs are written
//! only on success, as buffers and strings the caller frees with `akms_bytes_free` and
//! `akms_string_free`.

use std::borrow::Cow;
use std::ffi::{c_char, CStr, CString};

use super::store::akms_store;
use super::types::akms_bytes;
use crate::core::error::invalid;
use crate::core::{Result, Store};

/// The store behind a handle pointer, for one call.
///
/// While an audit callback is set, the call runs on a clone of the handle (two reference
/// counts), not on the handle itself: the callback, which runs before the call returns, may
/// free the handle (SPEC), and the call must not keep a reference into the freed memory. (A
/// callback set by another thread while the call runs is covered by `Store::finish`, which
/// delivers the event on references of its own.)
///
/// # Safety
/// `store` is NULL or a pointer from `akms_store_new` that has not been freed.
pub unsafe fn store<'a>(store: *const akms_store) -> Result<Cow<'a, Store>> {
    // SAFETY: the caller guarantees a live handle or NULL.
    let s = unsafe { store.as_ref() }
        .map(|s| &s.store)
        .ok_or_else(|| invalid("`store` is NULL"))?;
    Ok(if s.shared.audit.is_active() {
        Cow::Owned(s.clone())
    } else {
        Cow::Borrowed(s)
    })
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that lives for `'a`.
pub unsafe fn text<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { optional_text(p, name) }?.ok_or_else(|| invalid(format!("`{name}` is NULL")))
}

/// An optional NUL-terminated UTF-8 string argument (NULL is `None`).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that lives for `'a`.
pub unsafe fn optional_text<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: `p` is non-NULL and NUL-terminated by the caller's guarantee.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map(Some)
        .map_err(|_| invalid(format!("`{name}` is not valid UTF-8")))
}

/// A byte-string argument: `(NULL, 0)` is empty, `(NULL, n > 0)` is an error.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that live for `'a`.
pub unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(invalid(format!("`{name}` is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize {
        return Err(invalid(format!("`{name}` length {len} is too large")));
    }
    // SAFETY: non-NULL, `len` readable bytes by the caller's guarantee, length checked above.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A required output pointer.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T`.
pub unsafe fn out<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T> {
    // SAFETY: forwarded from the caller; the pointee may be uninitialized, so it is only written.
    unsafe { p.as_mut() }.ok_or_else(|| invalid(format!("output `{name}` is NULL")))
}

/// Hands `s` to the caller as a C string (freed with `akms_string_free`).
pub fn c_string(s: String) -> *mut c_char {
    CString::new(s)
        .unwrap_or_else(|e| {
            let mut bytes = e.into_vec();
            bytes.retain(|&b| b != 0);
            CString::new(bytes).unwrap_or_default()
        })
        .into_raw()
}

/// Hands a copy of `data` to the caller as an `akms_bytes` (freed with `akms_bytes_free`).
/// The copy has exactly `data.len()` bytes, so no reallocation leaves a stray copy behind: use
/// this for secrets (plaintexts), whose source zeroizes itself.
pub fn c_bytes(data: &[u8]) -> akms_bytes {
    if data.is_empty() {
        return empty_bytes();
    }
    boxed_bytes(data.into())
}

/// Hands `data` itself to the caller as an `akms_bytes` (freed with `akms_bytes_free`), without
/// a copy when its capacity is its length (as the providers size signatures and ciphertexts).
/// Only for data that is not secret (signatures, ciphertexts): shrinking a larger allocation
/// may leave the bytes behind in freed memory.
pub fn c_bytes_owned(data: Vec<u8>) -> akms_bytes {
    if data.is_empty() {
        return empty_bytes();
    }
    boxed_bytes(data.into_boxed_slice())
}

fn empty_bytes() -> akms_bytes {
    akms_bytes {
        data: std::ptr::null_mut(),
        len: 0,
    }
}

fn boxed_bytes(boxed: Box<[u8]>) -> akms_bytes {
    let len = boxed.len();
    akms_bytes {
        data: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}
