//! The C ABI called directly with bad input of every kind: each gets its documented status and
//! a message, outputs stay untouched, nothing panics across the boundary.

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use akms::ffi::crypto::*;
use akms::ffi::keys::*;
use akms::ffi::memory::*;
use akms::ffi::status::*;
use akms::ffi::store::*;
use akms::ffi::types::*;
use akms::ffi::version::*;

struct Fixture {
    store: *mut akms_store,
    key: CString,
    version: CString,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        unsafe { akms_store_free(self.store) };
    }
}

fn take_string(p: *mut c_char) -> String {
    assert!(!p.is_null());
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
    unsafe { akms_string_free(p) };
    s
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(akms_last_error_message()) }
        .to_str()
        .unwrap()
        .to_string()
}

fn fixture(spec: u32, usage: u32) -> Fixture {
    let mut store = null_mut();
    assert_eq!(unsafe { akms_store_new(&mut store) }, AKMS_OK);
    let (mut k, mut v) = (null_mut(), null_mut());
    let st = unsafe { akms_create_key(store, spec, usage, null(), &mut k, &mut v) };
    assert_eq!(st, AKMS_OK, "{}", last_error());
    Fixture {
        store,
        key: CString::new(take_string(k)).unwrap(),
        version: CString::new(take_string(v)).unwrap(),
    }
}

#[test]
fn null_store_and_null_outputs_are_invalid_argument() {
    assert_eq!(
        unsafe { akms_store_new(null_mut()) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert!(last_error().contains("`out` is NULL"), "{}", last_error());
    let (mut k, mut v) = (null_mut(), null_mut());
    let st = unsafe {
        akms_create_key(
            null_mut(),
            AKMS_KEY_SPEC_EC_P256,
            AKMS_KEY_USAGE_SIGN_VERIFY,
            null(),
            &mut k,
            &mut v,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("`store` is NULL"));
    assert!(k.is_null() && v.is_null(), "outputs written on failure");

    let f = fixture(AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY);
    let st = unsafe {
        akms_create_key(
            f.store,
            AKMS_KEY_SPEC_EC_P256,
            AKMS_KEY_USAGE_SIGN_VERIFY,
            null(),
            null_mut(),
            &mut v,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert_eq!(
        unsafe { akms_list_keys(f.store, null_mut()) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { akms_describe_key(f.store, null(), &mut k) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert!(last_error().contains("`key` is NULL"));
    assert_eq!(
        unsafe { akms_get_public_key(f.store, f.key.as_ptr(), null(), &mut k) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { akms_enable_key(f.store, null()) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { akms_create_alias(f.store, null(), f.key.as_ptr()) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    assert!(k.is_null());
    // Free functions are NULL-safe.
    unsafe {
        akms_store_free(null_mut());
        akms_string_free(null_mut());
        akms_bytes_free(null_mut());
    }
}

#[test]
fn unknown_enum_values_are_invalid_argument() {
    let f = fixture(AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY);
    let (mut k, mut v) = (null_mut(), null_mut());
    for (spec, usage) in [(0, 1), (6, 1), (u32::MAX, 1), (1, 0), (1, 3)] {
        let st = unsafe { akms_create_key(f.store, spec, usage, null(), &mut k, &mut v) };
        assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT, "spec {spec} usage {usage}");
    }
    assert!(
        last_error().contains("unknown key usage code 3"),
        "{}",
        last_error()
    );
    let digest = [0u8; 32];
    let mut sig = akms_bytes {
        data: null_mut(),
        len: 0,
    };
    for (alg, mt) in [(0, 0), (8, 0), (3, 2), (3, u32::MAX)] {
        let st = unsafe {
            akms_asymmetric_sign(
                f.store,
                f.key.as_ptr(),
                f.version.as_ptr(),
                alg,
                mt,
                digest.as_ptr(),
                32,
                &mut sig,
            )
        };
        assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT, "alg {alg} mt {mt}");
    }
    assert!(sig.data.is_null());
}

#[test]
fn null_bytes_with_length_and_wrong_digest_length() {
    let f = fixture(AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY);
    let mut sig = akms_bytes {
        data: null_mut(),
        len: 0,
    };
    let (k, v) = (f.key.as_ptr(), f.version.as_ptr());
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            k,
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_DIGEST,
            null(),
            32,
            &mut sig,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("`data` is NULL but its length is 32"));
    let short = [1u8; 31];
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            k,
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_DIGEST,
            short.as_ptr(),
            31,
            &mut sig,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("DIGEST must be 32 bytes"));
    // (NULL, 0) is an empty message: fine for RAW.
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            k,
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_RAW,
            null(),
            0,
            &mut sig,
        )
    };
    assert_eq!(st, AKMS_OK, "{}", last_error());
    let mut valid = false;
    let st = unsafe {
        akms_asymmetric_verify(
            f.store,
            k,
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_RAW,
            null(),
            0,
            sig.data,
            sig.len,
            &mut valid,
        )
    };
    assert_eq!(st, AKMS_OK);
    assert!(valid);
    unsafe { akms_bytes_free(&mut sig) };
    assert!(sig.data.is_null() && sig.len == 0);
    unsafe { akms_bytes_free(&mut sig) }; // idempotent
                                          // A bad digest length comes before a missing key.
    let nokey = CString::new("no-such-key").unwrap();
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            nokey.as_ptr(),
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_DIGEST,
            short.as_ptr(),
            31,
            &mut sig,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
}

#[test]
fn non_utf8_strings_are_invalid_argument() {
    let f = fixture(AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY);
    let bad = b"\xff\xfe\0";
    let mut json = null_mut();
    let st = unsafe { akms_describe_key(f.store, bad.as_ptr().cast(), &mut json) };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("not valid UTF-8"));
    let (mut k, mut v) = (null_mut(), null_mut());
    let st = unsafe {
        akms_create_key(
            f.store,
            AKMS_KEY_SPEC_EC_P256,
            AKMS_KEY_USAGE_SIGN_VERIFY,
            bad.as_ptr().cast(),
            &mut k,
            &mut v,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_ARGUMENT);
    assert!(json.is_null() && k.is_null());
}

#[test]
fn verify_of_garbage_is_ok_and_false() {
    for (spec, alg) in [
        (AKMS_KEY_SPEC_EC_P256, AKMS_ALG_ECDSA_SHA_256),
        (AKMS_KEY_SPEC_EC_P256K, AKMS_ALG_ECDSA_SHA_256),
        (AKMS_KEY_SPEC_EC_SM2, AKMS_ALG_SM2DSA),
        (AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSA_PSS_SHA_256),
        (AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSA_PKCS1_SHA_256),
    ] {
        let f = fixture(spec, AKMS_KEY_USAGE_SIGN_VERIFY);
        let digest = [7u8; 32];
        for sig in [&b""[..], b"\x30\x00", b"garbage", &[0xffu8; 300]] {
            let mut valid = true;
            let st = unsafe {
                akms_asymmetric_verify(
                    f.store,
                    f.key.as_ptr(),
                    f.version.as_ptr(),
                    alg,
                    AKMS_MESSAGE_DIGEST,
                    digest.as_ptr(),
                    32,
                    sig.as_ptr(),
                    sig.len(),
                    &mut valid,
                )
            };
            assert_eq!(st, AKMS_OK, "spec {spec}: {}", last_error());
            assert!(!valid, "spec {spec} accepted {sig:?}");
        }
    }
}

#[test]
fn garbage_ciphertext_is_decryption_failed() {
    for (spec, alg) in [
        (AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSAES_OAEP_SHA_1),
        (AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSAES_OAEP_SHA_256),
        (AKMS_KEY_SPEC_EC_SM2, AKMS_ALG_SM2PKE),
    ] {
        let f = fixture(spec, AKMS_KEY_USAGE_ENCRYPT_DECRYPT);
        for ct in [
            &b""[..],
            b"\x30\x03\x02\x01\x00",
            b"\x04garbage",
            &[0x42u8; 256],
        ] {
            let mut pt = akms_bytes {
                data: null_mut(),
                len: 0,
            };
            let st = unsafe {
                akms_asymmetric_decrypt(
                    f.store,
                    f.key.as_ptr(),
                    f.version.as_ptr(),
                    alg,
                    ct.as_ptr(),
                    ct.len(),
                    &mut pt,
                )
            };
            assert_eq!(st, AKMS_ERR_DECRYPTION_FAILED, "spec {spec} ct {ct:?}");
            assert!(pt.data.is_null());
        }
    }
}

#[test]
fn wrong_algorithm_and_disabled_key() {
    let f = fixture(AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_USAGE_SIGN_VERIFY);
    let (k, v) = (f.key.as_ptr(), f.version.as_ptr());
    let digest = [1u8; 32];
    let mut out = akms_bytes {
        data: null_mut(),
        len: 0,
    };
    for alg in [AKMS_ALG_ECDSA_SHA_256, AKMS_ALG_SM2DSA] {
        let st = unsafe {
            akms_asymmetric_sign(
                f.store,
                k,
                v,
                alg,
                AKMS_MESSAGE_DIGEST,
                digest.as_ptr(),
                32,
                &mut out,
            )
        };
        assert_eq!(st, AKMS_ERR_INCOMPATIBLE);
    }
    let st = unsafe {
        akms_asymmetric_encrypt(
            f.store,
            k,
            v,
            AKMS_ALG_RSAES_OAEP_SHA_256,
            digest.as_ptr(),
            32,
            &mut out,
        )
    };
    assert_eq!(
        st, AKMS_ERR_INCOMPATIBLE,
        "a SIGN/VERIFY key must not encrypt"
    );
    assert_eq!(unsafe { akms_disable_key(f.store, k) }, AKMS_OK);
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            k,
            v,
            AKMS_ALG_RSA_PSS_SHA_256,
            AKMS_MESSAGE_DIGEST,
            digest.as_ptr(),
            32,
            &mut out,
        )
    };
    assert_eq!(st, AKMS_ERR_INVALID_STATE);
    assert!(last_error().contains("Disabled"));
    // Incompatible comes before invalid state.
    let st = unsafe {
        akms_asymmetric_sign(
            f.store,
            k,
            v,
            AKMS_ALG_ECDSA_SHA_256,
            AKMS_MESSAGE_DIGEST,
            digest.as_ptr(),
            32,
            &mut out,
        )
    };
    assert_eq!(st, AKMS_ERR_INCOMPATIBLE);
    // GetPublicKey works while Disabled.
    let mut pem = null_mut();
    assert_eq!(
        unsafe { akms_get_public_key(f.store, k, v, &mut pem) },
        AKMS_OK
    );
    assert!(take_string(pem).starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(out.data.is_null());
}

#[test]
fn versions_and_names() {
    let v = unsafe { CStr::from_ptr(akms_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(akms_abi_version(), AKMS_ABI_VERSION);
    let name = unsafe { CStr::from_ptr(akms_status_name(AKMS_ERR_DECRYPTION_FAILED)) };
    assert_eq!(name.to_str().unwrap(), "AKMS_ERR_DECRYPTION_FAILED");
}

#[test]
fn last_error_is_per_thread() {
    assert_eq!(
        unsafe { akms_store_new(null_mut()) },
        AKMS_ERR_INVALID_ARGUMENT
    );
    let here = last_error();
    assert!(!here.is_empty());
    let there = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(there, "", "a fresh thread has no last error");
}

/// A failing call made while a thread exits, after the thread's last-error slot is destroyed
/// (issue 12, item 2), returns its status and leaves `akms_last_error_message` a valid string.
/// Thread-local destructors run last-registered first, so `LATE`, touched before akms's slot
/// exists, is dropped after that slot is gone. The failure before the fix was an abort.
#[test]
fn a_failing_call_during_thread_teardown_returns_its_status() {
    struct Late(std::sync::mpsc::Sender<(akms_status, String)>, usize);
    impl Drop for Late {
        fn drop(&mut self) {
            let store = self.1 as *mut akms_store;
            let mut json = null_mut();
            let name = CString::new("alias/gone-at-exit").unwrap();
            let st = unsafe { akms_describe_key(store, name.as_ptr(), &mut json) };
            let message = unsafe { CStr::from_ptr(akms_last_error_message()) }
                .to_string_lossy()
                .into_owned();
            let _ = self.0.send((st, message));
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<Late>> = const { std::cell::RefCell::new(None) };
    }
    let fx = fixture(AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY);
    let (tx, rx) = std::sync::mpsc::channel();
    let store = fx.store as usize;
    std::thread::spawn(move || {
        LATE.with(|l| *l.borrow_mut() = Some(Late(tx, store)));
        // Now the last-error slot exists (registered after LATE, so destroyed before it).
        let mut json = null_mut();
        let name = CString::new("alias/missing").unwrap();
        let st = unsafe { akms_describe_key(store as *mut _, name.as_ptr(), &mut json) };
        assert_eq!(st, AKMS_ERR_NOT_FOUND);
        assert!(last_error().contains("alias/missing"));
    })
    .join()
    .unwrap();
    let (st, message) = rx.recv().expect("the thread-local destructor ran");
    assert_eq!(st, AKMS_ERR_NOT_FOUND);
    // The slot is gone by now ("") or, if destructors ran in another order, holds the message.
    assert!(
        message.is_empty() || message.contains("alias/gone-at-exit"),
        "{message}"
    );
    drop(fx);
}

/// Audit events through the C ABI: a callback may free the handle whose call it reports,
/// even the store's last one (issue 12, item 1; tests/c/test_audit_free.c runs the same under
/// valgrind); and the calls that create a version report its id.
#[test]
fn an_audit_callback_may_free_the_handle_it_reports() {
    use akms::ffi::audit::akms_store_set_audit_callback;
    use std::ffi::c_void;
    struct Seen {
        handle: *mut akms_store,
        events: Vec<String>,
    }
    unsafe extern "C" fn free_it(user_data: *mut c_void, event: *const c_char) {
        let seen = unsafe { &mut *(user_data as *mut Seen) };
        seen.events.push(
            unsafe { CStr::from_ptr(event) }
                .to_string_lossy()
                .into_owned(),
        );
        let handle = std::mem::replace(&mut seen.handle, null_mut());
        unsafe { akms_store_free(handle) };
    }
    let mut store = null_mut();
    assert_eq!(unsafe { akms_store_new(&mut store) }, AKMS_OK);
    let mut seen = Box::new(Seen {
        handle: null_mut(),
        events: Vec::new(),
    });
    let seen_ptr = &mut *seen as *mut Seen as *mut c_void;
    assert_eq!(
        unsafe { akms_store_set_audit_callback(store, Some(free_it), seen_ptr) },
        AKMS_OK
    );
    let (mut k, mut v) = (null_mut(), null_mut());
    let st = unsafe {
        akms_create_key(
            store,
            AKMS_KEY_SPEC_EC_P256,
            AKMS_KEY_USAGE_SIGN_VERIFY,
            null(),
            &mut k,
            &mut v,
        )
    };
    assert_eq!(st, AKMS_OK);
    let (k, v) = (take_string(k), take_string(v));
    let event: serde_json::Value = serde_json::from_str(&seen.events[0]).unwrap();
    assert_eq!(event["Operation"], "CreateKey");
    assert_eq!(event["KeyId"], k.as_str());
    assert_eq!(event["KeyVersionId"], v.as_str(), "the new version's id");
    // Now the callback frees the only handle from the event of a call on it.
    seen.handle = store;
    let key = CString::new(k).unwrap();
    let mut json = null_mut();
    assert_eq!(
        unsafe { akms_describe_key(store, key.as_ptr(), &mut json) },
        AKMS_OK
    );
    assert!(take_string(json).contains(key.to_str().unwrap()));
    assert!(seen.handle.is_null(), "the callback freed the handle");
    assert_eq!(seen.events.len(), 2);
}
