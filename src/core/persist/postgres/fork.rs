//! Fork detection that costs an atomic load, not a system call: `generation()` runs before
//! every call of a store, and `getpid` is a real system call (hundreds of nanoseconds on a VM).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn in_child() {
    // Async-signal-safe: one atomic increment.
    FORKS.fetch_add(1, Ordering::AcqRel);
}

/// How many `fork`s lie between the process that first called this and the calling process
/// (0 there; a child adds one, its children another). Call it once before any fork whose
/// children must be told apart (a store does, when it is made).
pub fn count() -> u64 {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a child handler that only increments an atomic; no prepare or
        // parent handler. The handler is a plain function that lives as long as the process.
        // A failure (ENOMEM) leaves forks unnoticed, as they were before.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
    FORKS.load(Ordering::Acquire)
}
