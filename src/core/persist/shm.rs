//! A counter shared by every opener of a store file, in a small file mapped into each process.
//!
//! The lock file beside a store (`<store>.akms-lock`, see `file.rs`) is [`LEN`] bytes long; its
//! bytes 8..16 hold the generation: a `u64` that every writer increments after a change is
//! durable (and after a compaction); bytes 16..24 count the times the store file was replaced
//! (compactions), so that a reader looks for a new file only when there is one. Every opener maps the file shared and compares the
//! generation with the one it last caught up to, before each call: one atomic load, no system
//! call. The file's contents are never synced: the counter only says "look again", the store
//! file itself is the truth, so a counter lost in a crash costs nothing.
//!
//! This module holds the core's only `mmap`. The mapping is made only of a file that is at
//! least [`LEN`] bytes long (the opener extends it under the lock first), and akms never shrinks
//! it. A process that truncates it while openers run makes them fault (SIGBUS) on the next
//! call: only the file's owner (it is `0600`) or root can, and either can kill them anyway.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of the lock file and of its mapping (one page).
pub const LEN: u64 = 4096;

/// Where the generation counter sits in the lock file.
const GENERATION_AT: usize = 8;
/// Where the replacement counter sits.
const REPLACEMENTS_AT: usize = 16;

/// A shared read-write mapping of the first [`LEN`] bytes of a lock file.
pub struct Shm {
    ptr: *mut libc::c_void,
}

// SAFETY: the mapping is plain shared memory that is accessed only through `AtomicU64`
// operations, which are safe from any thread; the pointer is never handed out.
unsafe impl Send for Shm {}
// SAFETY: as above: every access is atomic.
unsafe impl Sync for Shm {}

impl Shm {
    /// Maps `file`, which the caller has made at least [`LEN`] bytes long.
    pub fn map(file: &File) -> std::io::Result<Shm> {
        // SAFETY: mmap with a null hint, a valid open descriptor and a length that the file
        // covers; the result is checked for MAP_FAILED before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN as libc::size_t,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Shm { ptr })
    }

    fn counter(&self, at: usize) -> &AtomicU64 {
        debug_assert!(at.is_multiple_of(8) && at + 8 <= LEN as usize);
        // SAFETY: the mapping is LEN bytes, page-aligned, and lives as long as `self`; `at` is
        // one of the two 8-aligned offsets above, in bounds. Other processes touch these bytes
        // only atomically too.
        unsafe { &*(self.ptr.cast::<u8>().add(at).cast::<AtomicU64>()) }
    }

    /// The generation now.
    pub fn generation(&self) -> u64 {
        self.counter(GENERATION_AT).load(Ordering::Acquire)
    }

    /// Announces a change (called after it is durable, before the lock is released).
    pub fn bump(&self) {
        self.counter(GENERATION_AT).fetch_add(1, Ordering::AcqRel);
    }

    /// How many times the store file was replaced.
    pub fn replacements(&self) -> u64 {
        self.counter(REPLACEMENTS_AT).load(Ordering::Acquire)
    }

    /// Announces a new store file (after the rename, before [`Shm::bump`]).
    pub fn bump_replacements(&self) {
        self.counter(REPLACEMENTS_AT).fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: `ptr` is a mapping of LEN bytes made by `map` and not yet unmapped; no
        // reference into it outlives `self`.
        unsafe {
            libc::munmap(self.ptr, LEN as libc::size_t);
        }
    }
}
