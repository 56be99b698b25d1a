//! Key management exports: keys, versions, describe/list, aliases and states.

use std::ffi::c_char;

use super::args::{self, c_string};
use super::panic::guard;
use super::store::akms_store;
use super::types::akms_status;
use crate::core::access::Action;
use crate::core::key::to_json;
use crate::core::{KeySpec, KeyUsage};

/// Creates a key of `key_spec` (`AKMS_KEY_SPEC_*`) and `key_usage` (`AKMS_KEY_USAGE_*`) with
/// one version. `description` may be NULL (empty) and is at most 8192 bytes.
///
/// On `AKMS_OK`, `*key_id` and `*version_id` are new lowercase UUID strings the caller frees
/// with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (NULL store or outputs, unknown codes, long
/// description), `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INCOMPATIBLE` (ENCRYPT/DECRYPT with
/// EC_P256 or EC_P256K).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_create_key(
    store: *mut akms_store,
    key_spec: u32,
    key_usage: u32,
    description: *const c_char,
    key_id: *mut *mut c_char,
    version_id: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let s = unsafe { args::store(store) }?;
        let (spec, usage, description, key_id, version_id) =
            s.precheck(Action::CreateKey, || {
                let spec = KeySpec::from_code(key_spec)?;
                let usage = KeyUsage::from_code(key_usage)?;
                let description = unsafe { args::optional_text(description, "description") }?;
                let key_id = unsafe { args::out(key_id, "key_id") }?;
                let version_id = unsafe { args::out(version_id, "version_id") }?;
                Ok((spec, usage, description, key_id, version_id))
            })?;
        let (k, v) = s.create_key(spec, usage, description)?;
        *key_id = c_string(k);
        *version_id = c_string(v);
        Ok(())
    })
}

/// Creates a new version (a new key pair) of an Enabled key named by id or alias.
///
/// On `AKMS_OK`, `*version_id` is the new version's id (free with `akms_string_free`).
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INVALID_STATE` (key not Enabled).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_create_key_version(
    store: *mut akms_store,
    key: *const c_char,
    version_id: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let (key, version_id) = s.precheck(Action::CreateKeyVersion, || {
            let key = unsafe { args::text(key, "key") }?;
            let version_id = unsafe { args::out(version_id, "version_id") }?;
            Ok((key, version_id))
        })?;
        *version_id = c_string(s.create_key_version(key)?);
        Ok(())
    })
}

/// Describes a key (id or alias) as a JSON object: `KeyId`, `KeySpec`, `KeyUsage`,
/// `KeyState`, `Description`, `CreationDate` (RFC 3339 UTC), `Origin`, `DeleteDate` (only
/// when PendingDeletion) and `Aliases`. Works in every key state.
///
/// On `AKMS_OK`, `*json` is freed by the caller with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_describe_key(
    store: *mut akms_store,
    key: *const c_char,
    json: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let (key, json) = s.precheck(Action::DescribeKey, || {
            let key = unsafe { args::text(key, "key") }?;
            let json = unsafe { args::out(json, "json") }?;
            Ok((key, json))
        })?;
        *json = c_string(to_json(&s.describe_key(key)?)?);
        Ok(())
    })
}

/// Lists every key as a JSON array of the objects `akms_describe_key` returns, oldest first.
///
/// On `AKMS_OK`, `*json` is freed by the caller with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn akms_list_keys(
    store: *mut akms_store,
    json: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let json = s.precheck(Action::ListKeys, || unsafe { args::out(json, "json") })?;
        *json = c_string(to_json(&s.list_keys()?)?);
        Ok(())
    })
}

/// Lists a key's versions as a JSON array of `{"KeyId", "KeyVersionId", "CreationDate"}`,
/// oldest first.
///
/// On `AKMS_OK`, `*json` is freed by the caller with `akms_string_free`.
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_list_key_versions(
    store: *mut akms_store,
    key: *const c_char,
    json: *mut *mut c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let (key, json) = s.precheck(Action::ListKeyVersions, || {
            let key = unsafe { args::text(key, "key") }?;
            let json = unsafe { args::out(json, "json") }?;
            Ok((key, json))
        })?;
        *json = c_string(to_json(&s.list_key_versions(key)?)?);
        Ok(())
    })
}

/// Creates `alias` (`alias/` then 1–255 of `[a-zA-Z0-9_/-]`, not `alias/acs/...`) naming the
/// key `key_id` (an id, or an alias of it).
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (malformed alias), `AKMS_ERR_NOT_FOUND` (no such key),
/// `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INVALID_STATE` (key PendingDeletion),
/// `AKMS_ERR_ALREADY_EXISTS` (alias taken).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_create_alias(
    store: *mut akms_store,
    alias: *const c_char,
    key_id: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let (alias, key_id) = s.precheck(Action::CreateAlias, || {
            let alias = unsafe { args::text(alias, "alias") }?;
            let key_id = unsafe { args::text(key_id, "key_id") }?;
            Ok((alias, key_id))
        })?;
        s.create_alias(alias, key_id)
    })
}

/// Points the existing `alias` at the key `key_id`.
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND` (no such alias or key),
/// `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INVALID_STATE` (key PendingDeletion).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_update_alias(
    store: *mut akms_store,
    alias: *const c_char,
    key_id: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let (alias, key_id) = s.precheck(Action::UpdateAlias, || {
            let alias = unsafe { args::text(alias, "alias") }?;
            let key_id = unsafe { args::text(key_id, "key_id") }?;
            Ok((alias, key_id))
        })?;
        s.update_alias(alias, key_id)
    })
}

/// Deletes `alias`; the key it named is untouched.
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_delete_alias(
    store: *mut akms_store,
    alias: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let alias = s.precheck(Action::DeleteAlias, || unsafe {
            args::text(alias, "alias")
        })?;
        s.delete_alias(alias)
    })
}

/// Enables a Disabled (or Enabled) key.
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INVALID_STATE` (key PendingDeletion).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_enable_key(
    store: *mut akms_store,
    key: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let key = s.precheck(Action::EnableKey, || unsafe { args::text(key, "key") })?;
        s.enable_key(key)
    })
}

/// Disables an Enabled (or Disabled) key: it keeps its versions but does no cryptography.
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INVALID_STATE` (key PendingDeletion).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_disable_key(
    store: *mut akms_store,
    key: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let key = s.precheck(Action::DisableKey, || unsafe { args::text(key, "key") })?;
        s.disable_key(key)
    })
}

/// Schedules a key for deletion after `pending_window_days` (7 to 30) days: it becomes
/// PendingDeletion with a `DeleteDate`, and once that date has passed it is gone
/// (`AKMS_ERR_NOT_FOUND`).
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (window outside 7..30), `AKMS_ERR_NOT_FOUND`,
/// `AKMS_ERR_ACCESS_DENIED`, `AKMS_ERR_INVALID_STATE` (already PendingDeletion).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_schedule_key_deletion(
    store: *mut akms_store,
    key: *const c_char,
    pending_window_days: u32,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let key = s.precheck(Action::ScheduleKeyDeletion, || unsafe {
            args::text(key, "key")
        })?;
        s.schedule_key_deletion(key, pending_window_days)
    })
}

/// Cancels a scheduled deletion: the PendingDeletion key becomes Enabled.
///
/// Errors: `AKMS_ERR_INVALID_ARGUMENT`, `AKMS_ERR_NOT_FOUND`, `AKMS_ERR_ACCESS_DENIED`,
/// `AKMS_ERR_INVALID_STATE` (key not PendingDeletion).
///
/// # Safety
/// Pointers are NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_cancel_key_deletion(
    store: *mut akms_store,
    key: *const c_char,
) -> akms_status {
    guard(|| {
        // SAFETY: as in `akms_create_key`.
        let s = unsafe { args::store(store) }?;
        let key = s.precheck(Action::CancelKeyDeletion, || unsafe {
            args::text(key, "key")
        })?;
        s.cancel_key_deletion(key)
    })
}
