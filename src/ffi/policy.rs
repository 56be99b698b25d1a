//! Restricted handles: `akms_store_restrict`.

use std::ffi::c_char;

use super::args;
use super::panic::guard;
use super::store::akms_store;
use super::types::akms_status;
use crate::core::access::Action;

/// Creates a handle on the **same** keys as `store` that may do only what `policy_json` allows
/// and what `store` itself allows (restricting a restricted handle narrows it further).
///
/// The policy is JSON in the style of cloud RAM/IAM policies:
/// `{"Principal": "billing-service", "Statement": [{"Effect": "Allow" | "Deny",
/// "Action": ["kms:AsymmetricSign", "kms:Get*", ...], "Resource": ["key/<key-id>",
/// "alias/<name>", "*", ...]}]}`. `Action` and `Resource` take a string or a list; `*`
/// matches any run of characters. A resource is exactly `*`, `key/<pattern>` or
/// `alias/<pattern>` (a key pattern is taken in lowercase, as key ids are); anything else
/// (a `keys/` or `KEY/` prefix, a leading space, an ARN, a pattern no key id or alias could
/// match) makes the policy invalid, in an Allow as in a Deny. A resource `alias/...` matches the key the alias
/// names when the call takes effect; calls that name no key (CreateKey, ImportKey, ListKeys,
/// Restrict) match only `*`. Default deny; an explicit Deny wins. A denied call is
/// `AKMS_ERR_ACCESS_DENIED`, its message naming the action and the resource.
///
/// `Principal` is reported in audit events. Restricting the unrestricted handle (principal
/// `""`) needs a non-empty `Principal`; restricting a restricted handle gives the principal
/// `<parent's>/<policy's>`, or the parent's when the policy names none (or `""`), so that no
/// handle can speak for another.
///
/// This call is itself the action `kms:Restrict`, which a restricted `store` must be allowed
/// on resource `*`.
///
/// On `AKMS_OK`, `*out` is a new handle, freed with `akms_store_free` without affecting any
/// other handle (the keys live while any handle on them does).
/// Errors: `AKMS_ERR_INVALID_ARGUMENT` (NULL argument, or an invalid policy: the message names
/// the bad field; also a policy without `Principal` given to the unrestricted handle),
/// `AKMS_ERR_ACCESS_DENIED`.
///
/// # Safety
/// Pointers are NULL or valid as described; `policy_json` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn akms_store_restrict(
    store: *mut akms_store,
    policy_json: *const c_char,
    out: *mut *mut akms_store,
) -> akms_status {
    guard(|| {
        // SAFETY (every `unsafe` below): the pointers are forwarded from the caller, who
        // guarantees them as documented.
        let s = unsafe { args::store(store) }?;
        let (policy_json, out) = s.precheck(Action::Restrict, || {
            let policy_json = unsafe { args::text(policy_json, "policy_json") }?;
            let out = unsafe { args::out(out, "out") }?;
            Ok((policy_json, out))
        })?;
        let restricted = s.restrict(policy_json)?;
        *out = Box::into_raw(Box::new(akms_store { store: restricted }));
        Ok(())
    })
}
