//! The C ABI over [`crate::core`]: every `unsafe` of the crate's API lives here.
//!
//! Each export checks its arguments, converts them, calls the core, maps the error to a status
//! code (with the detail in [`akms_last_error_message`](status::akms_last_error_message)) and
//! writes its outputs, all inside [`guard`](panic::guard), so that no panic crosses into C.

#![allow(non_camel_case_types)]

pub mod args;
pub mod audit;
pub mod crypto;
pub mod csr;
pub mod import;
pub mod keys;
pub mod memory;
pub mod panic;
pub mod policy;
pub mod status;
pub mod store;
pub mod types;
pub mod version;
