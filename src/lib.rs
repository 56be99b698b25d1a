//! akms: an embeddable asymmetric key management service.
//!
//! [`core`] is the key store as a safe Rust API; [`ffi`] is the C ABI over it (`include/akms.h`).

pub mod core;
pub mod ffi;

pub use crate::core::{Algorithm, Error, KeySpec, KeyUsage, MessageType, Result, Status, Store};
