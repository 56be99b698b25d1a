//! Library and ABI versions.

use std::ffi::c_char;

/// The ABI version this library implements; bumped on any incompatible change of the C ABI.
pub const AKMS_ABI_VERSION: u32 = 1;

/// The crate version, e.g. `"0.1.0"`. Static: never free it.
#[no_mangle]
pub extern "C" fn akms_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version (`AKMS_ABI_VERSION` of the header the library was built with). Bindings
/// check it when they load the library.
#[no_mangle]
pub extern "C" fn akms_abi_version() -> u32 {
    AKMS_ABI_VERSION
}
