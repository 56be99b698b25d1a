//! Store handles: create and free.

use super::args;
use super::panic::{guard, guard_void};
use super::types::akms_status;
use crate::core::Store;

/// An opaque handle on a key store. Every function taking one may be called from any number of
/// threads at once on the same handle.
pub struct akms_store {
    pub(crate) store: Store,
}

/// Creates an empty key store held in memory only.
///
/// On `AKMS_OK`, `*out` is a new handle; free it with `akms_store_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` if `out` is NULL.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn akms_store_new(out: *mut *mut akms_store) -> akms_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let out = unsafe { args::out(out, "out") }?;
        *out = Box::into_raw(Box::new(akms_store {
            store: Store::new(),
        }));
        Ok(())
    })
}

/// Frees a store handle and, with the last handle, every key in it (key material is zeroized).
/// NULL-safe. The handle must not be in use by another thread, and must not be used afterwards.
///
/// # Safety
/// `store` is NULL or a handle from akms that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn akms_store_free(store: *mut akms_store) {
    guard_void(|| {
        if !store.is_null() {
            // SAFETY: a non-NULL handle came from `Box::into_raw` and is freed once.
            drop(unsafe { Box::from_raw(store) });
        }
    })
}
