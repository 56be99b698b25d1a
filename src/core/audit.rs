//! Audit events: one per call on any handle of a store, delivered to the root's callback after
//! the call, from the calling thread, with no store lock held.
//!
//! An event says who (the handle's principal), what (operation, key, version, alias,
//! algorithm), when and how it ended (the status name); never data, digests, signatures or key
//! material.
//!
//! Calls that an audit callback makes into the same store from inside the callback are not
//! themselves audited: their events would feed back into the callback without end.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

use super::access::Call;
use super::clock::{rfc3339_millis, Clock};
use super::error::{Error, Result, Status};
use super::id::uuid_v4;
use super::store::Store;

/// One audit event. Serialized (see [`AuditEvent::to_json`]) with the cloud KMS field names;
/// absent fields are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditEvent {
    /// When the call ended: RFC 3339 UTC with milliseconds.
    pub event_time: String,
    /// A fresh UUID for this call.
    pub request_id: String,
    /// The principal of the handle that made the call (`""` for the unrestricted handle).
    pub principal: String,
    /// The operation, e.g. `"AsymmetricSign"`.
    pub operation: &'static str,
    /// The key id the call named or resolved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The key version the call named, or the one it created (CreateKey, CreateKeyVersion,
    /// ImportKey, ImportKeyVersion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_version_id: Option<String>,
    /// The alias the call named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The algorithm the call used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<&'static str>,
    /// The status name, e.g. `"AKMS_OK"` or `"AKMS_ERR_ACCESS_DENIED"`.
    pub status: &'static str,
}

impl AuditEvent {
    /// The event as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A function receiving audit events. It is called from whichever thread made the call, so
/// possibly from several threads at once.
pub type AuditCallback = Arc<dyn Fn(&AuditEvent) + Send + Sync>;

/// Where a store's events go: the root's callback, shared by every handle.
#[derive(Default)]
pub(crate) struct Hub {
    /// Whether a callback is set (read without a lock on every call).
    active: AtomicBool,
    /// The callback. Held for reading while an event is delivered, so that replacing it waits
    /// until no thread is still inside the old one.
    callback: RwLock<Option<AuditCallback>>,
}

/// How many stores' callbacks one thread can be inside at once (a callback of one store calling
/// another store whose callback …); deeper events are not delivered.
const MAX_NESTED: usize = 8;

thread_local! {
    /// The hubs (by address) whose callback this thread is inside. Plain cells, so that the
    /// thread-local has no destructor and works at any point of a thread's life.
    static DELIVERING: [Cell<usize>; MAX_NESTED] = const { [const { Cell::new(0) }; MAX_NESTED] };
}

thread_local! {
    /// This thread's key for request ids (random, from the OS, on first use).
    static REQUEST_KEY: RandomState = RandomState::new();
    /// How many request ids this thread has made.
    static REQUEST_COUNT: Cell<u64> = const { Cell::new(0) };
}

// Neither thread-local has a destructor, so both work at any point of a thread's life.
const _: () = assert!(!std::mem::needs_drop::<RandomState>());

/// A fresh request id: a version 4 UUID whose bits are a keyed hash (SipHash under this
/// thread's random key) of this thread's count of ids. Not the thread RNG: that one is a
/// thread-local with a destructor, gone while the thread exits, and a call made then (from a C
/// thread-exit destructor) would fail with `INTERNAL` and lose its event.
fn request_id() -> String {
    let n = REQUEST_COUNT.with(|c| {
        let n = c.get();
        c.set(n.wrapping_add(1));
        n
    });
    let (high, low) = REQUEST_KEY.with(|key| (key.hash_one((n, 0u8)), key.hash_one((n, 1u8))));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_le_bytes());
    bytes[8..].copy_from_slice(&low.to_le_bytes());
    uuid_v4(bytes)
}

impl Hub {
    fn id(&self) -> usize {
        self as *const Hub as usize
    }

    fn delivering_here(&self) -> bool {
        DELIVERING.with(|d| d.iter().any(|h| h.get() == self.id()))
    }

    /// Whether a callback is set: if not, [`Hub::emit`] does nothing.
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Sends the event for `call`, which ended with `status` by `principal`, to the callback.
    ///
    /// The callback may free any handle, even the last one of this store: the caller keeps the
    /// hub alive until this returns (see `Store::finish`), since the read guard on the callback
    /// is released after the callback.
    pub(crate) fn emit(&self, principal: &str, clock: &Clock, call: &Call<'_>, status: Status) {
        if !self.is_active() || self.delivering_here() {
            return;
        }
        let callback = self.callback.read();
        let Some(callback) = callback.as_ref() else {
            return;
        };
        let event = AuditEvent {
            event_time: rfc3339_millis(clock.now()),
            request_id: request_id(),
            principal: principal.to_string(),
            operation: call.action.name(),
            key_id: call.key_id.as_deref().or(call.key_name).map(str::to_string),
            key_version_id: call
                .new_version_id
                .as_deref()
                .or(call.version_id)
                .map(str::to_string),
            alias: call.alias.map(str::to_string),
            algorithm: call.algorithm.map(|a| a.name()),
            status: status.name(),
        };
        let Some(slot) = DELIVERING.with(|d| d.iter().position(|h| h.get() == 0)) else {
            return;
        };
        DELIVERING.with(|d| d[slot].set(self.id()));
        // A panicking callback must not break the call that caused the event.
        let _ = catch_unwind(AssertUnwindSafe(|| callback(&event)));
        DELIVERING.with(|d| d[slot].set(0));
    }

    /// Replaces the callback (`None` removes it). Returns once no thread is inside the old one.
    pub(crate) fn set(&self, callback: Option<AuditCallback>) -> Result<()> {
        if self.delivering_here() {
            return Err(Error::InvalidState(
                "the audit callback cannot be changed from inside the audit callback".into(),
            ));
        }
        let mut slot = self.callback.write();
        self.active.store(callback.is_some(), Ordering::Release);
        let old = std::mem::replace(&mut *slot, callback);
        drop(slot);
        drop(old);
        Ok(())
    }
}

impl Store {
    /// Sends every event of this store and of every handle derived from it to `callback`
    /// (`None` stops the events). Only the unrestricted handle may do this
    /// (`AccessDenied` on a restricted one); it is not itself an audited operation. When it
    /// returns, no thread is still inside the previous callback. Calling it from inside the
    /// callback is `InvalidState`.
    pub fn set_audit_callback(&self, callback: Option<AuditCallback>) -> Result<()> {
        if let Some(access) = &self.access {
            return Err(Error::AccessDenied(format!(
                "only the unrestricted handle may set the audit callback (this handle is \
                 restricted, principal {:?})",
                access.principal
            )));
        }
        self.shared.audit.set(callback)
    }
}

impl Store {
    /// For a front end (the C ABI) that checks its arguments before calling the core: runs
    /// `check`, and if it fails, reports a failed call of `action` (an audit event naming only
    /// the operation and the status) before returning the error. So every call that reaches a
    /// handle, even with malformed arguments, produces exactly one event.
    pub(crate) fn precheck<T>(
        &self,
        action: super::access::Action,
        check: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        check().inspect_err(|e| self.finish(&Call::new(action), e.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id::is_uuid;

    #[test]
    fn request_ids_are_distinct_v4_uuids_in_every_thread() {
        let mut ids: Vec<String> = (0..1000).map(|_| request_id()).collect();
        ids.extend(
            std::thread::spawn(|| (0..1000).map(|_| request_id()).collect::<Vec<_>>())
                .join()
                .unwrap(),
        );
        for id in &ids {
            assert!(is_uuid(id), "{id}");
            assert_eq!(&id[14..15], "4", "{id}");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        }
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
