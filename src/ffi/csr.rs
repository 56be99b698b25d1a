//! Certificate requests: GenerateCSR.

use std::ffi::c_char;

use super::args::{self, c_string};
use super::panic::guard;
use super::store::akms_store;
use super::types::akms_status;
use crate::core::access::Action;
use crate::core::error::invalid;
use crate::core::Result;

/// Makes a PKCS#10 certificate signing request for a key version, signed by its private key:
/// sha256WithRSAEncryption (RSA_2048, RSA_3072), ecdsa-with-SHA256 (EC_P256, EC_P256K) or
/// SM2-with-SM3 (EC_SM2, OID 1.2.156.10197.1.501, distinguishing id `1234567812345678`).
/// `openssl req -verify` accepts it (for SM2 with `-vfyopt distid:1234567812345678`).
///
/// `subject` is an RFC 4514 string, e.g. `CN=example.com,O=Acme,C=CN`. `dns_names` is an array
/// of `dns_names_len` DNS names (letters, digits and hyphens in dot-separated labels; the first
/// label may be `*`), requested as a subjectAltName extension; `(NULL, 0)` requests none.
/// Only for an Enabled SIGN/VERIFY key.
///
/// On `AKMS_OK`, `*pem` is the request as PEM `CERTIFICATE REQUEST`, freed by the caller with
/// `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (also: an empty or unparsable subject, an invalid DNS
/// name, a NULL entry in `dns_names`; the message names it), `AKMS_ERR_NOT_FOUND` (key or
/// version), `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INCOMPATIBLE` (an ENCRYPT/DECRYPT key),
/// `AKMS_ERR_INVALID_STATE` (key not Enabled).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated; `dns_names` points to
/// `dns_names_len` readable string pointers.
#[no_mangle]
pub unsafe extern "C" fn akms_generate_csr(
    store: *mut akms_store,
    key: *const c_char,
    version: *const c_char,
    subject: *const c_char,
    dns_names: *const *const c_char,
    dns_names_len: usize,
    pem: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let s = unsafe { args::store(store) }?;
        let (key, version, subject, dns_names, pem) = s.precheck(Action::GenerateCSR, || {
            let key = unsafe { args::text(key, "key") }?;
            let version = unsafe { args::text(version, "version") }?;
            let subject = unsafe { args::text(subject, "subject") }?;
            let dns_names = unsafe { text_array(dns_names, dns_names_len, "dns_names") }?;
            let pem = unsafe { args::out(pem, "pem") }?;
            Ok((key, version, subject, dns_names, pem))
        })?;
        *pem = c_string(s.generate_csr(key, version, subject, &dns_names)?);
        Ok(())
    })
}

/// An array of `len` required strings: `(NULL, 0)` is empty, `(NULL, n > 0)` or a NULL entry
/// is an error naming it.
///
/// # Safety
/// `p` is NULL or points to `len` readable pointers, each NULL or a NUL-terminated string that
/// lives for `'a`.
unsafe fn text_array<'a>(p: *const *const c_char, len: usize, name: &str) -> Result<Vec<&'a str>> {
    if p.is_null() {
        if len == 0 {
            return Ok(Vec::new());
        }
        return Err(invalid(format!("`{name}` is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
        return Err(invalid(format!("`{name}` length {len} is too large")));
    }
    // SAFETY: non-NULL, `len` readable pointers by the caller's guarantee, length checked.
    let items = unsafe { std::slice::from_raw_parts(p, len) };
    items
        .iter()
        .enumerate()
        // SAFETY: each entry is NULL or a NUL-terminated string, by the caller's guarantee.
        .map(|(i, &item)| unsafe { args::text(item, &format!("{name}[{i}]")) })
        .collect()
}
