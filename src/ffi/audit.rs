//! Audit events: `akms_store_set_audit_callback`.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::args;
use super::panic::guard;
use super::store::akms_store;
use super::types::akms_status;
use crate::core::AuditEvent;

/// Receives one audit event: `event_json` is one line of JSON, valid only during the call
/// (copy it to keep it). `user_data` is the pointer given to `akms_store_set_audit_callback`.
///
/// It is called synchronously after each call, from the thread that made the call, so from
/// several threads at once: it must be thread-safe. It must not unwind or `longjmp` out (catch
/// C++ exceptions inside it). It may call akms (no lock is held); those calls, made from inside
/// the callback, are not themselves audited. It must not change the callback of its own store.
/// It may free any handle, also the one whose call it reports (that call is complete) and the
/// store's last one (the callback is then released after it returns).
pub type akms_audit_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char)>;

/// A C callback and its `user_data`, callable from any thread: the caller of
/// `akms_store_set_audit_callback` promises the callback is thread-safe.
struct CCallback {
    f: unsafe extern "C" fn(*mut c_void, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: akms only passes `user_data` back to the callback, which the caller documented as
// safe to call from any thread.
unsafe impl Send for CCallback {}
// SAFETY: as above.
unsafe impl Sync for CCallback {}

impl CCallback {
    fn deliver(&self, event: &AuditEvent) {
        let json = CString::new(event.to_json()).unwrap_or_default();
        // SAFETY: the caller of `akms_store_set_audit_callback` guarantees `f` and `user_data`
        // stay valid until the callback is replaced or the last handle is freed.
        unsafe { (self.f)(self.user_data, json.as_ptr()) }
    }
}

/// Sends the audit event of every call on this store **and on every handle restricted from
/// it** to `fn(user_data, event_json)`; `fn` NULL removes the callback. Replaces any previous
/// callback; when this returns, no thread is still inside the previous one (so its
/// `user_data` may be freed).
///
/// Every call made through a handle with a valid store pointer produces exactly one event,
/// allowed or denied, succeeded or failed (also one rejected for a malformed argument before
/// reaching a key), delivered after the call from the calling thread with no lock held.
/// Event JSON fields: `EventTime` (RFC 3339 UTC, milliseconds), `RequestId` (UUID),
/// `Principal` (`""` for the unrestricted handle), `Operation`, `KeyId`, `KeyVersionId` and
/// `Alias` where the call named them (CreateKey, CreateKeyVersion, ImportKey and
/// ImportKeyVersion give the new version's `KeyVersionId`), `Algorithm` where it had one, and
/// `Status` (e.g. `"AKMS_OK"`). Never plaintext, digests, signatures or key material. Setting the callback
/// is not itself an audited call.
///
/// `fn` and `user_data` must stay valid until the callback is replaced or the last handle on
/// the store is freed.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (NULL store), `AKMS_ERR_ACCESS_DENIED` (a restricted
/// handle: only the unrestricted handle may set the callback), `AKMS_ERR_INVALID_STATE`
/// (called from inside the store's own callback).
///
/// # Safety
/// `store` is NULL or a live handle; `fn` is NULL or a function as described above.
#[no_mangle]
pub unsafe extern "C" fn akms_store_set_audit_callback(
    store: *mut akms_store,
    r#fn: akms_audit_fn,
    user_data: *mut c_void,
) -> akms_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let s = unsafe { args::store(store) }?;
        let callback = r#fn.map(|f| {
            let c = CCallback { f, user_data };
            Arc::new(move |event: &AuditEvent| c.deliver(event)) as crate::core::AuditCallback
        });
        s.set_audit_callback(callback)
    })
}
