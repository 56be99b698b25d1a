//! Identifiers: random lowercase UUIDs (version 4) for keys, versions and requests; and the
//! fork-safe random generator they (and the store file's nonces) are drawn from.

use std::cell::Cell;

use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rand::RngExt;

/// The thread's random generator (`rand::rng()`), reseeded from the operating system first if
/// the process has forked since this thread last drew from it. `rand`'s thread generator is not
/// reseeded on fork: without this, the children of a pre-forking server (Python's
/// multiprocessing "fork", gunicorn's preload) would all draw the same numbers — the same AEAD
/// nonces under the same store key. (Ids come from the operating system: see [`new_uuid`].)
pub fn rng() -> rand::rngs::ThreadRng {
    thread_local!(static SEEDED_IN: Cell<u32> = const { Cell::new(0) });
    let mut rng = rand::rng();
    let me = std::process::id();
    let _ = SEEDED_IN.try_with(|pid| {
        if pid.get() != me && rng.reseed().is_ok() {
            pid.set(me);
        }
    });
    rng
}

/// A fresh random UUID, lowercase, e.g. `"1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"`.
///
/// The bytes come from the operating system, not from the thread RNG: that one is a
/// thread-local with a destructor, gone while a thread exits, and a key created then (from a C
/// thread-exit destructor) would fail with `INTERNAL`. Ids are made only for a new key or
/// version, next to which the system call is cheap.
pub fn new_uuid() -> String {
    uuid_v4(UnwrapErr(SysRng).random())
}

/// `b` (random bytes) as a version 4 UUID string, lowercase: the version and variant bits are
/// set, the other 122 bits are `b`'s.
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Written directly into one string: a request id is made for every audited call.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(x >> 4)]));
        s.push(char::from(HEX[usize::from(x & 0x0f)]));
    }
    s
}

/// Whether `s` has the form of the ids akms makes: a lowercase hyphenated UUID.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_v4_and_distinct() {
        let a = super::new_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        let dashes: Vec<usize> = a.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert!(a
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_ne!(a, super::new_uuid());
        assert!(super::is_uuid(&a));
        assert!(!super::is_uuid(&a.to_uppercase()));
        assert!(!super::is_uuid("alias/92-4ae3-4938-9f07-349de9b3b2be"));
        assert!(!super::is_uuid(&a[1..]));
    }
}
