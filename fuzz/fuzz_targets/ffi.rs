//! The C ABI driven with arbitrary argument combinations: sequences of calls to every export,
//! each argument chosen from NULL, a real key / version / alias id, arbitrary (also non-UTF-8)
//! text, `(NULL, 0)` / `(NULL, n > 0)` / real bytes, the previous call's output (a ciphertext
//! to decrypt, a signature to verify), unknown enumeration codes and NULL outputs.
//!
//! Checked after every call, as SPEC states them:
//! - no panic reaches the fuzzer (libFuzzer aborts on any panic, even one the guard caught);
//! - the status is a known code, never `AKMS_ERR_INTERNAL` (and never I/O or CORRUPT on an
//!   in-memory store), and a failure leaves a non-empty last-error message;
//! - malformed input (NULL store, required text or output, `(NULL, n > 0)`, non-UTF-8 text,
//!   unknown codes) is `AKMS_ERR_INVALID_ARGUMENT`, whatever else is wrong;
//! - outputs are written only on `AKMS_OK` (sentinels are checked), returned strings are UTF-8
//!   (JSON where JSON is promised), buffers are `{NULL, 0}` or non-empty, and
//!   `akms_bytes_free` leaves `{NULL, 0}` and is idempotent;
//! - nothing leaks (LeakSanitizer runs after every input).
//!
//! RSA key generation is too slow for the loop: RSA keys (and one of every other kind) live in
//! a fixture store made once per process, which only non-mutating calls touch; each input
//! gets a fresh store of its own for everything else.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use akms::ffi::crypto::*;
use akms::ffi::csr::*;
use akms::ffi::import::*;
use akms::ffi::keys::*;
use akms::ffi::memory::*;
use akms::ffi::status::*;
use akms::ffi::store::*;
use akms::ffi::types::*;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

/// A pointer no call may write on failure; never dereferenced.
const SENTINEL: *mut c_char = 0x10 as *mut c_char;
const SENTINEL_BYTES: *mut u8 = 0x20 as *mut u8;
const SENTINEL_LEN: usize = 0x5eed;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StoreRef {
    Null,
    Fixture,
    Own,
    /// A handle made by `akms_store_restrict` on the own store (the own store if none yet).
    Restricted(u8),
}

/// Policies that parse, for `akms_store_restrict` (arbitrary text reaches it too). The last names
/// no Principal: refused by the unrestricted handle, inherited under a restricted one.
const POLICIES: [&str; 4] = [
    r#"{"Principal": "fuzz", "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]}]}"#,
    r#"{"Principal": "ro", "Statement": [{"Effect": "Allow", "Action": ["kms:Describe*", "kms:List*", "kms:Get*", "kms:AsymmetricVerify"], "Resource": ["*"]}]}"#,
    r#"{"Principal": "no-secret-ops", "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]}, {"Effect": "Deny", "Action": ["kms:AsymmetricSign", "kms:AsymmetricDecrypt"], "Resource": ["alias/*"]}]}"#,
    r#"{"Statement": []}"#,
];

/// A text argument.
#[derive(Arbitrary, Debug)]
enum Text {
    Null,
    FixtureKey(u8),
    FixtureVersion(u8),
    FixtureAlias(u8),
    OwnKey(u8),
    OwnVersion(u8),
    OwnAlias(u8),
    /// `alias/` followed by these bytes (up to the first NUL).
    AliasName(Vec<u8>),
    /// These bytes, up to the first NUL (may be non-UTF-8).
    Bytes(Vec<u8>),
}

/// An enumeration code: a small value (mostly valid, 0 and max+1 not) or any `u32`.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Code {
    Small(u8),
    Any(u32),
}

/// A byte-string argument.
#[derive(Arbitrary, Debug)]
enum Buf {
    Empty,
    NullWithLen(u16),
    Data(Vec<u8>),
    LastOutput,
    LastOutputFlipped(u16, u8),
    /// A 32-byte digest (what DIGEST sign/verify takes).
    Digest([u8; 32]),
    /// One of the fixed PKCS#8 keys (what import takes), possibly with a byte changed.
    Pkcs8(u8, Option<(u16, u8)>),
}

#[derive(Arbitrary, Debug)]
enum Op {
    CreateKey {
        store: StoreRef,
        spec: Code,
        usage: Code,
        description: Text,
        null_key: bool,
        null_version: bool,
    },
    CreateKeyVersion {
        store: StoreRef,
        key: Text,
        null_out: bool,
    },
    DescribeKey {
        store: StoreRef,
        key: Text,
        null_out: bool,
    },
    ListKeys {
        store: StoreRef,
        null_out: bool,
    },
    ListKeyVersions {
        store: StoreRef,
        key: Text,
        null_out: bool,
    },
    CreateAlias {
        store: StoreRef,
        alias: Text,
        key: Text,
    },
    UpdateAlias {
        store: StoreRef,
        alias: Text,
        key: Text,
    },
    DeleteAlias {
        store: StoreRef,
        alias: Text,
    },
    EnableKey {
        store: StoreRef,
        key: Text,
    },
    DisableKey {
        store: StoreRef,
        key: Text,
    },
    ScheduleKeyDeletion {
        store: StoreRef,
        key: Text,
        days: Code,
    },
    CancelKeyDeletion {
        store: StoreRef,
        key: Text,
    },
    GetPublicKey {
        store: StoreRef,
        key: Text,
        version: Text,
        null_out: bool,
    },
    Encrypt {
        store: StoreRef,
        key: Text,
        version: Text,
        alg: Code,
        data: Buf,
        null_out: bool,
    },
    Decrypt {
        store: StoreRef,
        key: Text,
        version: Text,
        alg: Code,
        data: Buf,
        null_out: bool,
    },
    Sign {
        store: StoreRef,
        key: Text,
        version: Text,
        alg: Code,
        message_type: Code,
        data: Buf,
        null_out: bool,
    },
    Verify {
        store: StoreRef,
        key: Text,
        version: Text,
        alg: Code,
        message_type: Code,
        data: Buf,
        signature: Buf,
        null_out: bool,
    },
    ImportKey {
        store: StoreRef,
        usage: Code,
        der: Buf,
        description: Text,
        null_key: bool,
        null_version: bool,
    },
    ImportKeyVersion {
        store: StoreRef,
        key: Text,
        der: Buf,
        null_out: bool,
    },
    GenerateCsr {
        store: StoreRef,
        key: Text,
        version: Text,
        subject: Text,
        /// `None` passes `(NULL, n)`; a `None` entry is a NULL string pointer.
        dns_names: Option<Vec<Option<Text>>>,
        null_len: u8,
        null_out: bool,
    },
    Restrict {
        store: StoreRef,
        known: Option<u8>,
        policy: Text,
        null_out: bool,
    },
    StatusName(u32),
    FreeNulls,
}

/// Ids of keys in a store: (key id, version ids), and alias names.
#[derive(Default)]
struct Names {
    keys: Vec<(CString, Vec<CString>)>,
    aliases: Vec<CString>,
}

impl Names {
    fn key(&self, i: u8) -> Option<&CString> {
        let n = self.keys.len();
        (n > 0).then(|| &self.keys[i as usize % n].0)
    }
    fn version(&self, i: u8) -> Option<&CString> {
        let all: Vec<&CString> = self.keys.iter().flat_map(|(_, v)| v.iter()).collect();
        (!all.is_empty()).then(|| all[i as usize % all.len()])
    }
    fn alias(&self, i: u8) -> Option<&CString> {
        let n = self.aliases.len();
        (n > 0).then(|| &self.aliases[i as usize % n])
    }
}

struct Fixture {
    store: *mut akms_store,
    names: Names,
}

// SAFETY: an akms store handle may be used from any thread (SPEC); the names are plain data.
unsafe impl Send for Fixture {}
unsafe impl Sync for Fixture {}

/// One key of every kind but RSA_3072 (too slow to generate under ASan), with an alias each.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut store = ptr::null_mut();
        assert_eq!(unsafe { akms_store_new(&mut store) }, AKMS_OK);
        let mut names = Names::default();
        let kinds = [
            (AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_USAGE_ENCRYPT_DECRYPT),
            (AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_USAGE_SIGN_VERIFY),
            (AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY),
            (AKMS_KEY_SPEC_EC_P256K, AKMS_KEY_USAGE_SIGN_VERIFY),
            (AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_SIGN_VERIFY),
            (AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_ENCRYPT_DECRYPT),
        ];
        for (i, (spec, usage)) in kinds.into_iter().enumerate() {
            let (mut k, mut v) = (ptr::null_mut(), ptr::null_mut());
            let st = unsafe { akms_create_key(store, spec, usage, ptr::null(), &mut k, &mut v) };
            assert_eq!(st, AKMS_OK);
            let key = take_string(k);
            let version = take_string(v);
            let alias = CString::new(format!("alias/fixture-{i}")).unwrap();
            assert_eq!(
                unsafe { akms_create_alias(store, alias.as_ptr(), key.as_ptr()) },
                AKMS_OK
            );
            names.keys.push((key, vec![version]));
            names.aliases.push(alias);
        }
        Fixture { store, names }
    })
}

/// Copies and frees a string akms returned.
fn take_string(p: *mut c_char) -> CString {
    assert!(!p.is_null() && p != SENTINEL, "AKMS_OK without a string");
    let s = unsafe { CStr::from_ptr(p) }.to_owned();
    assert!(s.to_str().is_ok(), "akms returned a non-UTF-8 string");
    unsafe { akms_string_free(p) };
    s
}

/// The audit events the own store delivered (its callback counts and checks them).
struct Audit {
    events: usize,
}

/// The audit callback: every event is a JSON object naming the operation and its status.
unsafe extern "C" fn on_audit(user_data: *mut std::ffi::c_void, event: *const c_char) {
    let audit = unsafe { &mut *user_data.cast::<Audit>() };
    audit.events += 1;
    let json = unsafe { CStr::from_ptr(event) };
    let v: serde_json::Value = serde_json::from_slice(json.to_bytes()).expect("audit JSON");
    let status = v["Status"].as_str().expect("audit Status");
    assert!(status.starts_with("AKMS_"), "audit Status {status}");
    assert!(v["Operation"].is_string(), "audit Operation: {v}");
    assert!(v["RequestId"].is_string(), "audit RequestId: {v}");
}

/// The state of one input's run.
struct Run {
    own: *mut akms_store,
    /// Handles restricted from the own store (freed at the end).
    handles: Vec<*mut akms_store>,
    audit: Box<Audit>,
    names: Names,
    last_output: Vec<u8>,
    keys_made: usize,
}

/// An argument as passed, and whether it alone makes the call `AKMS_ERR_INVALID_ARGUMENT`.
struct Arg<T> {
    value: T,
    invalid: bool,
}

impl Run {
    fn store(&self, r: StoreRef, mutating: bool) -> Arg<*mut akms_store> {
        match r {
            StoreRef::Null => Arg {
                value: ptr::null_mut(),
                invalid: true,
            },
            StoreRef::Fixture if !mutating => Arg {
                value: fixture().store,
                invalid: false,
            },
            StoreRef::Restricted(i) if !self.handles.is_empty() => Arg {
                value: self.handles[usize::from(i) % self.handles.len()],
                invalid: false,
            },
            _ => Arg {
                value: self.own,
                invalid: false,
            },
        }
    }

    /// A text argument; `nullable` says NULL is allowed (the description).
    fn text(&self, t: &Text, nullable: bool) -> Arg<Option<CString>> {
        let fx = &fixture().names;
        let named = |c: Option<&CString>| Arg {
            value: Some(c.cloned().unwrap_or_else(|| CString::new("none").unwrap())),
            invalid: false,
        };
        match t {
            Text::Null => Arg {
                value: None,
                invalid: !nullable,
            },
            Text::FixtureKey(i) => named(fx.key(*i)),
            Text::FixtureVersion(i) => named(fx.version(*i)),
            Text::FixtureAlias(i) => named(fx.alias(*i)),
            Text::OwnKey(i) => named(self.names.key(*i)),
            Text::OwnVersion(i) => named(self.names.version(*i)),
            Text::OwnAlias(i) => named(self.names.alias(*i)),
            Text::AliasName(b) => {
                let mut v = b"alias/".to_vec();
                v.extend(b.iter().take_while(|&&c| c != 0));
                text_arg(v)
            }
            Text::Bytes(b) => text_arg(b.iter().copied().take_while(|&c| c != 0).collect()),
        }
    }

    fn buf(&self, b: &Buf) -> Arg<(Vec<u8>, bool, usize)> {
        // (bytes, pass NULL, length passed)
        let data = |v: Vec<u8>| {
            let n = v.len();
            Arg {
                value: (v, false, n),
                invalid: false,
            }
        };
        match b {
            Buf::Empty => Arg {
                value: (Vec::new(), true, 0),
                invalid: false,
            },
            Buf::NullWithLen(n) => {
                let n = usize::from(*n).max(1);
                Arg {
                    value: (Vec::new(), true, n),
                    invalid: true,
                }
            }
            Buf::Data(v) => data(v.clone()),
            Buf::LastOutput => data(self.last_output.clone()),
            Buf::LastOutputFlipped(at, x) => {
                let mut v = self.last_output.clone();
                if !v.is_empty() {
                    let n = v.len();
                    v[usize::from(*at) % n] ^= x | 1;
                }
                data(v)
            }
            Buf::Digest(d) => data(d.to_vec()),
            Buf::Pkcs8(i, flip) => {
                let (_, der) = akms_fuzz::KEYS_PKCS8[usize::from(*i) % akms_fuzz::KEYS_PKCS8.len()];
                let mut v = der.to_vec();
                if let Some((at, x)) = flip {
                    let n = v.len();
                    v[usize::from(*at) % n] ^= x | 1;
                }
                data(v)
            }
        }
    }
}

fn text_arg(bytes: Vec<u8>) -> Arg<Option<CString>> {
    let invalid = std::str::from_utf8(&bytes).is_err();
    Arg {
        value: Some(CString::new(bytes).expect("NULs were cut")),
        invalid,
    }
}

/// A code in `1..=max` is valid; `Small` also reaches 0 and max + 1.
fn code(c: Code, max: u32, zero_valid: bool) -> Arg<u32> {
    let value = match c {
        Code::Small(n) => u32::from(n) % (max + 2),
        Code::Any(n) => n,
    };
    let valid = value <= max && (value >= 1 || zero_valid);
    Arg {
        value,
        invalid: !valid,
    }
}

fn cptr(a: &Option<CString>) -> *const c_char {
    a.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

fn bptr(v: &(Vec<u8>, bool, usize)) -> *const u8 {
    if v.1 {
        ptr::null()
    } else {
        v.0.as_ptr()
    }
}

/// The checks every call's status must pass.
fn check_status(op: &str, status: akms_status, must_be_invalid: bool) {
    assert!(
        status <= AKMS_ERR_ACCESS_DENIED,
        "{op}: status {status} ({:?}) on an in-memory store: {:?}",
        unsafe { CStr::from_ptr(akms_status_name(status)) },
        unsafe { CStr::from_ptr(akms_last_error_message()) },
    );
    if must_be_invalid {
        assert_eq!(
            status, AKMS_ERR_INVALID_ARGUMENT,
            "{op}: malformed input must be AKMS_ERR_INVALID_ARGUMENT first"
        );
    }
    if status != AKMS_OK {
        let msg = unsafe { CStr::from_ptr(akms_last_error_message()) };
        assert!(
            !msg.to_bytes().is_empty(),
            "{op}: failure without a message"
        );
        assert!(msg.to_str().is_ok(), "{op}: non-UTF-8 message");
    }
}

/// A string output: written only on success, then freed.
fn string_out(status: akms_status, p: *mut c_char, json: bool) -> Option<CString> {
    if status != AKMS_OK {
        assert_eq!(p, SENTINEL, "an output was written on failure");
        return None;
    }
    let s = take_string(p);
    if json {
        serde_json::from_slice::<serde_json::Value>(s.to_bytes()).expect("invalid JSON");
    }
    Some(s)
}

/// A bytes output: written only on success; copied, freed twice (idempotent).
fn bytes_out(status: akms_status, mut b: akms_bytes) -> Option<Vec<u8>> {
    if status != AKMS_OK {
        assert!(
            b.data == SENTINEL_BYTES && b.len == SENTINEL_LEN,
            "an output was written on failure"
        );
        return None;
    }
    assert_eq!(
        b.data.is_null(),
        b.len == 0,
        "buffer is neither {{NULL, 0}} nor filled"
    );
    let copy = if b.data.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
    };
    unsafe { akms_bytes_free(&mut b) };
    assert!(
        b.data.is_null() && b.len == 0,
        "akms_bytes_free left a pointer"
    );
    unsafe { akms_bytes_free(&mut b) };
    Some(copy)
}

fn sentinel_bytes() -> akms_bytes {
    akms_bytes {
        data: SENTINEL_BYTES,
        len: SENTINEL_LEN,
    }
}

/// `out` or NULL.
fn out_ptr<T>(out: &mut T, null: bool) -> *mut T {
    if null {
        ptr::null_mut()
    } else {
        out
    }
}

impl Run {
    fn step(&mut self, op: &Op) {
        let before = self.audit.events;
        let on_own = self.audited(op);
        unsafe { self.step_unchecked(op) }
        let after = self.audit.events;
        if let Some(true) = on_own {
            assert_eq!(
                after,
                before + 1,
                "one audit event per call on the store: {op:?}"
            );
        } else if let Some(false) = on_own {
            assert_eq!(
                after, before,
                "an audit event without a call on the store: {op:?}"
            );
        }
    }

    /// Whether `op` is a call on the own store or a handle restricted from it (`Some(true)`:
    /// one audit event expected), on no audited store (`Some(false)`), or skipped by the
    /// harness itself (`None`: not counted).
    fn audited(&self, op: &Op) -> Option<bool> {
        let (store, mutating) = match op {
            Op::CreateKey { store, spec, .. } => {
                if self.keys_made >= 8
                    || matches!(spec, Code::Small(n) if matches!(u32::from(*n) % 7, 1 | 2))
                {
                    return None;
                }
                (*store, true)
            }
            Op::CreateKeyVersion { store, .. }
            | Op::ImportKey { store, .. }
            | Op::ImportKeyVersion { store, .. } => {
                if self.keys_made >= 8 {
                    return None;
                }
                (*store, true)
            }
            Op::CreateAlias { store, .. }
            | Op::UpdateAlias { store, .. }
            | Op::DeleteAlias { store, .. }
            | Op::EnableKey { store, .. }
            | Op::DisableKey { store, .. }
            | Op::ScheduleKeyDeletion { store, .. }
            | Op::CancelKeyDeletion { store, .. } => (*store, true),
            Op::DescribeKey { store, .. }
            | Op::ListKeys { store, .. }
            | Op::ListKeyVersions { store, .. }
            | Op::GetPublicKey { store, .. }
            | Op::Encrypt { store, .. }
            | Op::Decrypt { store, .. }
            | Op::Sign { store, .. }
            | Op::Verify { store, .. }
            | Op::GenerateCsr { store, .. }
            | Op::Restrict { store, .. } => (*store, false),
            Op::StatusName(_) | Op::FreeNulls => return Some(false),
        };
        // A CreateKey whose spec is `Any` RSA is skipped by the harness too.
        if let Op::CreateKey {
            spec: Code::Any(1 | 2),
            ..
        } = op
        {
            return None;
        }
        let s = self.store(store, mutating).value;
        Some(!s.is_null() && s != fixture().store)
    }

    /// # Safety
    /// Every pointer passed is NULL, a sentinel output the call may only write, or valid.
    unsafe fn step_unchecked(&mut self, op: &Op) {
        match op {
            Op::CreateKey {
                store,
                spec,
                usage,
                description,
                null_key,
                null_version,
            } => {
                let s = self.store(*store, true);
                let spec = code(*spec, 5, false);
                let usage = code(*usage, 2, false);
                let d = self.text(description, true);
                let bad = s.invalid || spec.invalid || usage.invalid || d.invalid;
                let bad = bad || *null_key || *null_version;
                // RSA generation takes too long for the loop; the fixture has RSA keys.
                if !bad && matches!(spec.value, 1 | 2) || self.keys_made >= 8 {
                    return;
                }
                let (mut k, mut v) = (SENTINEL, SENTINEL);
                let st = akms_create_key(
                    s.value,
                    spec.value,
                    usage.value,
                    cptr(&d.value),
                    out_ptr(&mut k, *null_key),
                    out_ptr(&mut v, *null_version),
                );
                check_status("create_key", st, bad);
                self.keys_made += 1;
                if let (Some(k), Some(v)) = (string_out(st, k, false), string_out(st, v, false)) {
                    self.names.keys.push((k, vec![v]));
                }
            }
            Op::CreateKeyVersion {
                store,
                key,
                null_out,
            } => {
                if self.keys_made >= 8 {
                    return;
                }
                let s = self.store(*store, true);
                let key = self.text(key, false);
                let mut v = SENTINEL;
                let st =
                    akms_create_key_version(s.value, cptr(&key.value), out_ptr(&mut v, *null_out));
                check_status(
                    "create_key_version",
                    st,
                    s.invalid || key.invalid || *null_out,
                );
                self.keys_made += 1;
                if let Some(v) = string_out(st, v, false) {
                    // Record it under its key (or the first key, if named by alias).
                    let id = key.value.unwrap();
                    match self.names.keys.iter_mut().find(|(k, _)| *k == id) {
                        Some((_, versions)) => versions.push(v),
                        None => self.names.keys.push((id, vec![v])),
                    }
                }
            }
            Op::DescribeKey {
                store,
                key,
                null_out,
            } => {
                let s = self.store(*store, false);
                let key = self.text(key, false);
                let mut j = SENTINEL;
                let st = akms_describe_key(s.value, cptr(&key.value), out_ptr(&mut j, *null_out));
                check_status("describe_key", st, s.invalid || key.invalid || *null_out);
                string_out(st, j, true);
            }
            Op::ListKeys { store, null_out } => {
                let s = self.store(*store, false);
                let mut j = SENTINEL;
                let st = akms_list_keys(s.value, out_ptr(&mut j, *null_out));
                check_status("list_keys", st, s.invalid || *null_out);
                string_out(st, j, true);
            }
            Op::ListKeyVersions {
                store,
                key,
                null_out,
            } => {
                let s = self.store(*store, false);
                let key = self.text(key, false);
                let mut j = SENTINEL;
                let st =
                    akms_list_key_versions(s.value, cptr(&key.value), out_ptr(&mut j, *null_out));
                check_status(
                    "list_key_versions",
                    st,
                    s.invalid || key.invalid || *null_out,
                );
                string_out(st, j, true);
            }
            Op::CreateAlias { store, alias, key } | Op::UpdateAlias { store, alias, key } => {
                let s = self.store(*store, true);
                let a = self.text(alias, false);
                let k = self.text(key, false);
                let (name, f): (_, unsafe extern "C" fn(_, _, _) -> _) =
                    if matches!(op, Op::CreateAlias { .. }) {
                        ("create_alias", akms_create_alias)
                    } else {
                        ("update_alias", akms_update_alias)
                    };
                let st = f(s.value, cptr(&a.value), cptr(&k.value));
                check_status(name, st, s.invalid || a.invalid || k.invalid);
                if st == AKMS_OK {
                    self.names.aliases.push(a.value.unwrap());
                }
            }
            Op::DeleteAlias { store, alias } => {
                let s = self.store(*store, true);
                let a = self.text(alias, false);
                let st = akms_delete_alias(s.value, cptr(&a.value));
                check_status("delete_alias", st, s.invalid || a.invalid);
            }
            Op::EnableKey { store, key }
            | Op::DisableKey { store, key }
            | Op::CancelKeyDeletion { store, key } => {
                let s = self.store(*store, true);
                let k = self.text(key, false);
                let (name, f): (_, unsafe extern "C" fn(_, _) -> _) = match op {
                    Op::EnableKey { .. } => ("enable_key", akms_enable_key),
                    Op::DisableKey { .. } => ("disable_key", akms_disable_key),
                    _ => ("cancel_key_deletion", akms_cancel_key_deletion),
                };
                let st = f(s.value, cptr(&k.value));
                check_status(name, st, s.invalid || k.invalid);
            }
            Op::ScheduleKeyDeletion { store, key, days } => {
                let s = self.store(*store, true);
                let k = self.text(key, false);
                let d = match *days {
                    Code::Small(n) => u32::from(n) % 40,
                    Code::Any(n) => n,
                };
                let st = akms_schedule_key_deletion(s.value, cptr(&k.value), d);
                check_status(
                    "schedule_key_deletion",
                    st,
                    s.invalid || k.invalid || !(7..=30).contains(&d),
                );
            }
            Op::GetPublicKey {
                store,
                key,
                version,
                null_out,
            } => {
                let s = self.store(*store, false);
                let k = self.text(key, false);
                let v = self.text(version, false);
                let mut pem = SENTINEL;
                let st = akms_get_public_key(
                    s.value,
                    cptr(&k.value),
                    cptr(&v.value),
                    out_ptr(&mut pem, *null_out),
                );
                check_status(
                    "get_public_key",
                    st,
                    s.invalid || k.invalid || v.invalid || *null_out,
                );
                if let Some(pem) = string_out(st, pem, false) {
                    assert!(pem.to_bytes().starts_with(b"-----BEGIN PUBLIC KEY-----\n"));
                }
            }
            Op::Encrypt {
                store,
                key,
                version,
                alg,
                data,
                null_out,
            }
            | Op::Decrypt {
                store,
                key,
                version,
                alg,
                data,
                null_out,
            } => {
                let s = self.store(*store, false);
                let k = self.text(key, false);
                let v = self.text(version, false);
                let alg = code(*alg, 7, false);
                let d = self.buf(data);
                let bad = s.invalid || k.invalid || v.invalid || alg.invalid || d.invalid;
                let mut out = sentinel_bytes();
                let (name, f): (_, unsafe extern "C" fn(_, _, _, _, _, _, _) -> _) =
                    if matches!(op, Op::Encrypt { .. }) {
                        ("asymmetric_encrypt", akms_asymmetric_encrypt)
                    } else {
                        ("asymmetric_decrypt", akms_asymmetric_decrypt)
                    };
                let st = f(
                    s.value,
                    cptr(&k.value),
                    cptr(&v.value),
                    alg.value,
                    bptr(&d.value),
                    d.value.2,
                    out_ptr(&mut out, *null_out),
                );
                check_status(name, st, bad || *null_out);
                if let Some(bytes) = bytes_out(st, out) {
                    self.last_output = bytes;
                }
            }
            Op::Sign {
                store,
                key,
                version,
                alg,
                message_type,
                data,
                null_out,
            } => {
                let s = self.store(*store, false);
                let k = self.text(key, false);
                let v = self.text(version, false);
                let alg = code(*alg, 7, false);
                let mt = code(*message_type, 1, true);
                let d = self.buf(data);
                let bad = s.invalid || k.invalid || v.invalid || alg.invalid || mt.invalid;
                let bad = bad || d.invalid || (mt.value == AKMS_MESSAGE_DIGEST && d.value.2 != 32);
                let mut out = sentinel_bytes();
                let st = akms_asymmetric_sign(
                    s.value,
                    cptr(&k.value),
                    cptr(&v.value),
                    alg.value,
                    mt.value,
                    bptr(&d.value),
                    d.value.2,
                    out_ptr(&mut out, *null_out),
                );
                check_status("asymmetric_sign", st, bad || *null_out);
                if let Some(sig) = bytes_out(st, out) {
                    self.last_output = sig;
                }
            }
            Op::Verify {
                store,
                key,
                version,
                alg,
                message_type,
                data,
                signature,
                null_out,
            } => {
                let s = self.store(*store, false);
                let k = self.text(key, false);
                let v = self.text(version, false);
                let alg = code(*alg, 7, false);
                let mt = code(*message_type, 1, true);
                let d = self.buf(data);
                let sig = self.buf(signature);
                let bad = s.invalid || k.invalid || v.invalid || alg.invalid || mt.invalid;
                let bad = bad || d.invalid || sig.invalid;
                let bad = bad || (mt.value == AKMS_MESSAGE_DIGEST && d.value.2 != 32);
                let mut valid: u8 = 0xa5;
                let valid_ptr = if *null_out {
                    ptr::null_mut()
                } else {
                    (&mut valid as *mut u8).cast::<bool>()
                };
                let st = akms_asymmetric_verify(
                    s.value,
                    cptr(&k.value),
                    cptr(&v.value),
                    alg.value,
                    mt.value,
                    bptr(&d.value),
                    d.value.2,
                    bptr(&sig.value),
                    sig.value.2,
                    valid_ptr,
                );
                check_status("asymmetric_verify", st, bad || *null_out);
                if st == AKMS_OK {
                    assert!(valid <= 1, "verify wrote a non-bool");
                } else {
                    assert_eq!(valid, 0xa5, "verify wrote `valid` on failure");
                }
            }
            Op::ImportKey {
                store,
                usage,
                der,
                description,
                null_key,
                null_version,
            } => {
                if self.keys_made >= 8 {
                    return;
                }
                let s = self.store(*store, true);
                let usage = code(*usage, 2, false);
                let der = self.buf(der);
                let d = self.text(description, true);
                let bad = s.invalid || usage.invalid || der.invalid || d.invalid;
                let bad = bad || *null_key || *null_version;
                let (mut k, mut v) = (SENTINEL, SENTINEL);
                let st = akms_import_key(
                    s.value,
                    usage.value,
                    bptr(&der.value),
                    der.value.2,
                    cptr(&d.value),
                    out_ptr(&mut k, *null_key),
                    out_ptr(&mut v, *null_version),
                );
                check_status("import_key", st, bad);
                self.keys_made += 1;
                if let (Some(k), Some(v)) = (string_out(st, k, false), string_out(st, v, false)) {
                    self.names.keys.push((k, vec![v]));
                }
            }
            Op::ImportKeyVersion {
                store,
                key,
                der,
                null_out,
            } => {
                if self.keys_made >= 8 {
                    return;
                }
                let s = self.store(*store, true);
                let key = self.text(key, false);
                let der = self.buf(der);
                let mut v = SENTINEL;
                let st = akms_import_key_version(
                    s.value,
                    cptr(&key.value),
                    bptr(&der.value),
                    der.value.2,
                    out_ptr(&mut v, *null_out),
                );
                check_status(
                    "import_key_version",
                    st,
                    s.invalid || key.invalid || der.invalid || *null_out,
                );
                self.keys_made += 1;
                if let Some(v) = string_out(st, v, false) {
                    let id = key.value.unwrap();
                    match self.names.keys.iter_mut().find(|(k, _)| *k == id) {
                        Some((_, versions)) => versions.push(v),
                        None => self.names.keys.push((id, vec![v])),
                    }
                }
            }
            Op::GenerateCsr {
                store,
                key,
                version,
                subject,
                dns_names,
                null_len,
                null_out,
            } => {
                let s = self.store(*store, false);
                let k = self.text(key, false);
                let v = self.text(version, false);
                let subj = self.text(subject, false);
                let mut bad = s.invalid || k.invalid || v.invalid || subj.invalid || *null_out;
                let names: Vec<Arg<Option<CString>>> = dns_names
                    .iter()
                    .flatten()
                    .take(8)
                    .map(|t| match t {
                        Some(t) => self.text(t, false),
                        None => Arg {
                            value: None,
                            invalid: true,
                        },
                    })
                    .collect();
                let ptrs: Vec<*const c_char> = names.iter().map(|a| cptr(&a.value)).collect();
                let (p, n) = match dns_names {
                    Some(_) => (
                        if ptrs.is_empty() {
                            ptr::null()
                        } else {
                            ptrs.as_ptr()
                        },
                        ptrs.len(),
                    ),
                    None => (ptr::null(), usize::from(*null_len)),
                };
                bad = bad || names.iter().any(|a| a.invalid) || (p.is_null() && n > 0);
                let mut pem = SENTINEL;
                let st = akms_generate_csr(
                    s.value,
                    cptr(&k.value),
                    cptr(&v.value),
                    cptr(&subj.value),
                    p,
                    n,
                    out_ptr(&mut pem, *null_out),
                );
                check_status("generate_csr", st, bad);
                if let Some(pem) = string_out(st, pem, false) {
                    assert!(pem
                        .to_bytes()
                        .starts_with(b"-----BEGIN CERTIFICATE REQUEST-----\n"));
                }
            }
            Op::Restrict {
                store,
                known,
                policy,
                null_out,
            } => {
                let s = self.store(*store, false);
                let p = match known {
                    Some(i) => Arg {
                        value: Some(
                            CString::new(POLICIES[usize::from(*i) % POLICIES.len()]).unwrap(),
                        ),
                        invalid: false,
                    },
                    None => self.text(policy, false),
                };
                let mut out: *mut akms_store = SENTINEL.cast();
                let st = akms::ffi::policy::akms_store_restrict(
                    s.value,
                    cptr(&p.value),
                    out_ptr(&mut out, *null_out),
                );
                // Arbitrary text that is not a policy is INVALID_ARGUMENT too, but only text the
                // harness knows to be malformed is asserted here.
                check_status("store_restrict", st, s.invalid || p.invalid || *null_out);
                if st == AKMS_OK {
                    assert!(!out.is_null() && out != SENTINEL.cast());
                    if s.value == fixture().store || self.handles.len() >= 8 {
                        akms_store_free(out);
                    } else {
                        self.handles.push(out);
                    }
                } else {
                    assert_eq!(out, SENTINEL.cast(), "an output was written on failure");
                }
            }
            Op::StatusName(s) => {
                let name = CStr::from_ptr(akms_status_name(*s));
                assert!(name.to_bytes().starts_with(b"AKMS_"));
            }
            Op::FreeNulls => {
                akms_bytes_free(ptr::null_mut());
                let mut empty = akms_bytes {
                    data: ptr::null_mut(),
                    len: 0,
                };
                akms_bytes_free(&mut empty);
                akms_string_free(ptr::null_mut());
                akms_store_free(ptr::null_mut());
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut own = ptr::null_mut();
    assert_eq!(unsafe { akms_store_new(&mut own) }, AKMS_OK);
    let mut audit = Box::new(Audit { events: 0 });
    let user_data = (&mut *audit as *mut Audit).cast();
    assert_eq!(
        unsafe { akms::ffi::audit::akms_store_set_audit_callback(own, Some(on_audit), user_data) },
        AKMS_OK
    );
    let mut run = Run {
        own,
        handles: Vec::new(),
        audit,
        names: Names::default(),
        last_output: Vec::new(),
        keys_made: 0,
    };
    for op in ops.iter().take(64) {
        run.step(op);
    }
    for h in run.handles.drain(..) {
        unsafe { akms_store_free(h) };
    }
    unsafe { akms_store_free(run.own) };
});
