//! The panic boundary: every export runs its body in [`guard`], so that a panic becomes
//! `AKMS_ERR_INTERNAL` instead of unwinding into C.
//!
//! What runs after `catch_unwind` (recording the error, dropping a panic's payload) is outside
//! the boundary, where a panic would abort the host: it must not panic, also during thread
//! teardown, when thread-locals with destructors are gone (see [`record`]).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::record;
use super::types::{akms_status, AKMS_OK};
use crate::core::Error;

/// Runs `body`, turning its error or panic into a status code and this thread's last error.
pub fn guard(body: impl FnOnce() -> Result<(), Error>) -> akms_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => AKMS_OK,
        Ok(Err(e)) => record(&e),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            drop_payload(payload);
            record(&Error::Internal(format!(
                "internal error (caught panic): {what}"
            )))
        }
    }
}

/// Drops a caught panic's payload, whose destructor could itself panic.
fn drop_payload(payload: Box<dyn std::any::Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
}

/// Runs `body` where the export has no status to return (the free functions): a panic is
/// swallowed and recorded as this thread's last error.
pub fn guard_void(body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        drop_payload(payload);
        record(&Error::Internal(
            "internal error (caught panic) while freeing".into(),
        ));
    }
}
