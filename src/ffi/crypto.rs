//! Cryptographic exports: GetPublicKey, AsymmetricSign/Verify, AsymmetricEncrypt/Decrypt.

use std::ffi::c_char;

use super::args::{self, c_bytes, c_string};
use super::panic::guard;
use super::store::akms_store;
use super::types::{akms_bytes, akms_status};
use crate::core::access::Action;
use crate::core::{Algorithm, MessageType};

/// The public key of a key version as PEM `PUBLIC KEY` (SubjectPublicKeyInfo). Works in every
/// key state.
///
/// On `AKMS_OK`, `*pem` is freed by the caller with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND` (key or version),
/// `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_get_public_key(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    pem: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let s = unsafe { args::store(store) }?;
        let (key, version, pem) = s.precheck(Action::GetPublicKey, || {
            let key = unsafe { args::text(key, "key") }?;
            let version = unsafe { args::text(version, "version") }?;
            let pem = unsafe { args::out(pem, "pem") }?;
            Ok((key, version, pem))
        })?;
        *pem = c_string(s.get_public_key(key, version)?);
        Ok(())
    })
}

/// Encrypts `plaintext` with a key version's public key under `alg` (`AKMS_ALG_RSAES_OAEP_*`
/// or `AKMS_ALG_SM2PKE`). Plaintext limits: OAEP-SHA-1 214/342 bytes (RSA_2048/RSA_3072),
/// OAEP-SHA-256 190/318, SM2PKE 1 to 6047. SM2PKE ciphertexts are GB/T 32918 DER.
///
/// On `AKMS_OK`, `*ciphertext` is freed by the caller with `akms_bytes_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (also: plaintext too long, or empty for SM2PKE),
/// `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INCOMPATIBLE`,
/// `AKMS_ERR_INVALID_STATE`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `plaintext` has `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_asymmetric_encrypt(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    alg: u32,
    plaintext: *const u8,
    len: usize,
    ciphertext: *mut akms_bytes,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_get_public_key`.
        let s = unsafe { args::store(store) }?;
        let (key, version, alg, plaintext, out) = s.precheck(Action::AsymmetricEncrypt, || {
            let key = unsafe { args::text(key, "key") }?;
            let version = unsafe { args::text(version, "version") }?;
            let alg = Algorithm::from_code(alg)?;
            let plaintext = unsafe { args::bytes(plaintext, len, "plaintext") }?;
            let out = unsafe { args::out(ciphertext, "ciphertext") }?;
            Ok((key, version, alg, plaintext, out))
        })?;
        *out = c_bytes(&s.asymmetric_encrypt(key, version, alg, plaintext)?);
        Ok(())
    })
}

/// Decrypts `ciphertext` with a key version's private key under `alg`. SM2PKE takes the DER
/// form or the raw `04‖x‖y‖C3‖C2` form.
///
/// On `AKMS_OK`, `*plaintext` is freed (and zeroized) by the caller with `akms_bytes_free`;
/// an empty plaintext is `{NULL, 0}`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INCOMPATIBLE`, `AKMS_ERR_INVALID_STATE`, `AKMS_ERR_DECRYPTION_FAILED` (any bad
/// ciphertext, always with the same message).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `ciphertext` has `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_asymmetric_decrypt(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    alg: u32,
    ciphertext: *const u8,
    len: usize,
    plaintext: *mut akms_bytes,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_get_public_key`.
        let s = unsafe { args::store(store) }?;
        let (key, version, alg, ciphertext, out) = s.precheck(Action::AsymmetricDecrypt, || {
            let key = unsafe { args::text(key, "key") }?;
            let version = unsafe { args::text(version, "version") }?;
            let alg = Algorithm::from_code(alg)?;
            let ciphertext = unsafe { args::bytes(ciphertext, len, "ciphertext") }?;
            let out = unsafe { args::out(plaintext, "plaintext") }?;
            Ok((key, version, alg, ciphertext, out))
        })?;
        *out = c_bytes(&s.asymmetric_decrypt(key, version, alg, ciphertext)?);
        Ok(())
    })
}

/// Signs `data` with a key version's private key under `alg`. With `AKMS_MESSAGE_DIGEST` the
/// data is the 32-byte digest (SHA-256, or e = SM3(Z‖M) for SM2DSA); with `AKMS_MESSAGE_RAW`
/// it is the message, hashed by akms. ECDSA and SM2DSA signatures are DER `SEQUENCE{r,s}`.
///
/// On `AKMS_OK`, `*signature` is freed by the caller with `akms_bytes_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (also: a DIGEST that is not 32 bytes),
/// `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INCOMPATIBLE`,
/// `AKMS_ERR_INVALID_STATE`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `data` has `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_asymmetric_sign(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    alg: u32,
    message_type: u32,
    data: *const u8,
    len: usize,
    signature: *mut akms_bytes,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_get_public_key`.
        let s = unsafe { args::store(store) }?;
        let (key, version, alg, message_type, data, out) =
            s.precheck(Action::AsymmetricSign, || {
                let key = unsafe { args::text(key, "key") }?;
                let version = unsafe { args::text(version, "version") }?;
                let alg = Algorithm::from_code(alg)?;
                let message_type = MessageType::from_code(message_type)?;
                let data = unsafe { args::bytes(data, len, "data") }?;
                let out = unsafe { args::out(signature, "signature") }?;
                Ok((key, version, alg, message_type, data, out))
            })?;
        *out = c_bytes(&s.asymmetric_sign(key, version, alg, message_type, data)?);
        Ok(())
    })
}

/// Verifies `signature` over `data` (as for `akms_asymmetric_sign`). A malformed or wrong
/// signature is `AKMS_OK` with `*valid = false`; ECDSA accepts high-S signatures.
///
/// On `AKMS_OK`, `*valid` says whether the signature is valid.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INCOMPATIBLE`, `AKMS_ERR_INVALID_STATE`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `data` and `signature`
/// have `len` and `sig_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn akms_asymmetric_verify(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    alg: u32,
    message_type: u32,
    data: *const u8,
    len: usize,
    signature: *const u8,
    sig_len: usize,
    valid: *mut bool,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_get_public_key`.
        let s = unsafe { args::store(store) }?;
        let (key, version, alg, message_type, data, signature, valid) =
            s.precheck(Action::AsymmetricVerify, || {
                let key = unsafe { args::text(key, "key") }?;
                let version = unsafe { args::text(version, "version") }?;
                let alg = Algorithm::from_code(alg)?;
                let message_type = MessageType::from_code(message_type)?;
                let data = unsafe { args::bytes(data, len, "data") }?;
                let signature = unsafe { args::bytes(signature, sig_len, "signature") }?;
                let valid = unsafe { args::out(valid, "valid") }?;
                Ok((key, version, alg, message_type, data, signature, valid))
            })?;
        *valid = s.asymmetric_verify(key, version, alg, message_type, data, signature)?;
        Ok(())
    })
}
