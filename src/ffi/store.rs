//! Store handles: create (in memory or persistent), open and free.

use std::ffi::c_char;

use super::args;
use super::panic::{guard, guard_void};
use super::types::akms_status;
use crate::core::error::invalid;
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

/// Opens the persistent key store in the file at `path`, creating the file if it is absent (an
/// existing empty file is initialized as a new store). Everything that changes the store is on
/// disk (written and `fdatasync`ed) before the call that made it returns `AKMS_OK`.
///
/// The file is encrypted and authenticated (XChaCha20-Poly1305) under a key derived from
/// `passphrase` (`passphrase_len` bytes, any bytes, not empty) with Argon2id; a new file gets
/// 64 MiB, 3 passes, 1 lane unless the environment variable `AKMS_KDF_PARAMS`
/// (`m=<KiB>,t=<passes>,p=<lanes>`) says otherwise. The parameters are stored in the file.
/// Opening costs one key derivation plus reading the whole file; a file whose log is at least
/// half dead is compacted (best-effort). The parameters are bounded (memory <= 1 GiB, passes
/// <= 16, lanes <= 16): a header outside them is `AKMS_ERR_CORRUPT` before the KDF runs.
///
/// Any number of stores, in this process or others, may open the same file at once (local file
/// systems only): changes are serialized across all of them (each is checked against every
/// change committed before it), and a call sees every change another opener's call made before
/// it started. Beside the file live `<path>.akms-lock` (the lock and a shared change counter)
/// and, during compaction, `<path>.akms-tmp`; every file akms creates is mode `0600`.
///
/// A `path` that begins with `postgresql://` or `postgres://` is a PostgreSQL connection URI
/// instead (`akms_store=NAME` picks one of the stores in the database, default `default`): the
/// store lives in that database, shared by every host that opens it, with the same sealing
/// (README, "Stores shared by many hosts"). A malformed URI is `AKMS_ERR_INVALID_ARGUMENT`; a
/// database that cannot be reached is `AKMS_ERR_IO`, within 30 s.
///
/// On `AKMS_OK`, `*out` is a new handle; free it with `akms_store_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (NULL `path` or `out`, `path` not UTF-8, empty
/// passphrase, bad or out-of-bounds `AKMS_KDF_PARAMS`), `AKMS_ERR_IO` (cannot read, write or
/// create the file, or not enough memory for the KDF), `AKMS_ERR_CORRUPT` (wrong passphrase, a
/// header out of bounds, or committed data that fails authentication: the message says which
/// is likely). A final record cut short by a crash is
/// not an error: it was never acknowledged, and it is dropped.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `passphrase` is NULL or points to
/// `passphrase_len` readable bytes; `out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn akms_store_open(
    path: *const c_char,
    passphrase: *const u8,
    passphrase_len: usize,
    out: *mut *mut akms_store,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let path = unsafe { args::text(path, "path") }?;
        let passphrase = unsafe { args::bytes(passphrase, passphrase_len, "passphrase") }?;
        let out = unsafe { args::out(out, "out") }?;
        if path.is_empty() {
            return Err(invalid("`path` is empty"));
        }
        let store = Store::open(path, passphrase)?;
        *out = Box::into_raw(Box::new(akms_store { store }));
        Ok(())
    })
}
