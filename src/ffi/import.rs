//! Key import: ImportKey and ImportKeyVersion from unencrypted PKCS#8 DER.

use std::ffi::c_char;

use super::args::{self, c_string};
use super::panic::guard;
use super::store::akms_store;
use super::types::akms_status;
use crate::core::access::Action;
use crate::core::KeyUsage;

/// Imports an unencrypted PKCS#8 DER private key as a new key of `key_usage`
/// (`AKMS_KEY_USAGE_*`) whose first version holds it. The key spec is the imported key's: RSA
/// with a 2048- or 3072-bit modulus and e = 65537, EC on P-256 or secp256k1, or SM2
/// (id-ecPublicKey with the SM2 curve OID, as `openssl genpkey` writes it). The key's Origin
/// is `EXTERNAL`. `description` may be NULL (empty) and is at most 8192 bytes. akms keeps no
/// copy of `pkcs8_der`; wiping the caller's buffer is up to the caller.
///
/// On `AKMS_OK`, `*key_id` and `*version_id` are new lowercase UUID strings the caller frees
/// with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (also: not DER, trailing bytes, encrypted PKCS#8,
/// another algorithm, curve, RSA size or exponent; the message says which),
/// `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INCOMPATIBLE` (ENCRYPT/DECRYPT with an EC_P256 or
/// EC_P256K key).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `pkcs8_der` has `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_import_key(
    store: *mut akms_store,
    key_usage: u32,
    pkcs8_der: *const u8,
    len: usize,
    description: *const c_char,
    key_id: *mut *mut c_char,
    version_id: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let s = unsafe { args::store(store) }?;
        let (usage, der, description, key_id, version_id) =
            s.precheck(Action::ImportKey, || {
                let usage = KeyUsage::from_code(key_usage)?;
                let der = unsafe { args::bytes(pkcs8_der, len, "pkcs8_der") }?;
                let description = unsafe { args::optional_text(description, "description") }?;
                let key_id = unsafe { args::out(key_id, "key_id") }?;
                let version_id = unsafe { args::out(version_id, "version_id") }?;
                Ok((usage, der, description, key_id, version_id))
            })?;
        let (k, v) = s.import_key(usage, der, description)?;
        *key_id = c_string(k);
        *version_id = c_string(v);
        Ok(())
    })
}

/// Imports an unencrypted PKCS#8 DER private key as a new version of the Enabled key `key`
/// (id or alias). The imported key must be of the key's spec (formats as for
/// `akms_import_key`).
///
/// On `AKMS_OK`, `*version_id` is the new version's id (free with `akms_string_free`).
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (also: an unsupported or malformed key, as for
/// `akms_import_key`), `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INCOMPATIBLE` (a key of another spec), `AKMS_ERR_INVALID_STATE` (key not
/// Enabled).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `pkcs8_der` has `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_import_key_version(
    store: *mut akms_store,
    key: *const c_char,
    pkcs8_der: *const u8,
    len: usize,
    version_id: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_import_key`.
        let s = unsafe { args::store(store) }?;
        let (key, der, version_id) = s.precheck(Action::ImportKeyVersion, || {
            let key = unsafe { args::text(key, "key") }?;
            let der = unsafe { args::bytes(pkcs8_der, len, "pkcs8_der") }?;
            let version_id = unsafe { args::out(version_id, "version_id") }?;
            Ok((key, der, version_id))
        })?;
        *version_id = c_string(s.import_key_version(key, der)?);
        Ok(())
    })
}
