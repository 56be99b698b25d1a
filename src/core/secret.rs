//! Holding secrets: a wrapper that wipes key types which do not zeroize themselves.
//!
//! RustCrypto's `RsaPrivateKey`, ECDSA `SigningKey` and elliptic-curve `SecretKey` zeroize on
//! drop. The SM2 `SigningKey` and `DecryptingKey` keep the secret scalar without doing so;
//! [`Wiped`] drops such a value in place and then overwrites its bytes with zeros.

use std::mem::ManuallyDrop;
use std::ops::Deref;

/// A value whose memory is overwritten with zeros after it is dropped.
pub struct Wiped<T>(ManuallyDrop<T>);

impl<T> Wiped<T> {
    /// Takes ownership of `value`.
    pub fn new(value: T) -> Self {
        Wiped(ManuallyDrop::new(value))
    }
}

impl<T> Deref for Wiped<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Drop for Wiped<T> {
    fn drop(&mut self) {
        // SAFETY: the value is dropped exactly once, here, and never used again: `self.0` is a
        // `ManuallyDrop` that nothing else drops. After its destructor has run (freeing any heap
        // memory it owned), its bytes are memory we own and may overwrite; `zeroize_flat_type`
        // writes zeros over `size_of::<T>()` bytes with volatile stores, which are not elided.
        unsafe {
            ManuallyDrop::drop(&mut self.0);
            zeroize::zeroize_flat_type(&mut self.0 as *mut ManuallyDrop<T>);
        }
    }
}
