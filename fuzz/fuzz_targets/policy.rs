//! Access policy JSON: `Store::restrict` with arbitrary documents, and the restricted handles
//! used on a real key.
//!
//! Input: `policy [\0 second policy]`. A policy either parses or is `InvalidArgument`. On a
//! restricted handle every call either does what the unrestricted handle does (same status)
//! or is `AccessDenied`; restricting a restricted handle only narrows it (anything the inner
//! handle may do, the outer may do too). Any other outcome, or a panic, is a crash.
#![no_main]

use std::sync::OnceLock;

use akms::{Algorithm, Error, KeyUsage, MessageType, Status, Store};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    store: Store,
    key: String,
    version: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let store = Store::new();
        let (_, der) = akms_fuzz::KEYS_PKCS8[2]; // EC_P256
        let (key, version) = store.import_key(KeyUsage::SignVerify, der, None).unwrap();
        store.create_alias("alias/fuzz-key", &key).unwrap();
        Fixture {
            store,
            key,
            version,
        }
    })
}

/// The statuses of a fixed set of non-mutating calls on `s`.
fn statuses(s: &Store) -> Vec<Status> {
    let f = fixture();
    let st = |r: Result<(), Error>| r.map_or_else(|e| e.status(), |_| Status::Ok);
    let digest = [7u8; 32];
    vec![
        st(s.list_keys().map(|_| ())),
        st(s.describe_key(&f.key).map(|_| ())),
        st(s.describe_key("alias/fuzz-key").map(|_| ())),
        st(s.list_key_versions(&f.key).map(|_| ())),
        st(s.get_public_key("alias/fuzz-key", &f.version).map(|_| ())),
        st(s.asymmetric_sign(
            &f.key,
            &f.version,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
        )
        .map(|_| ())),
        st(s.asymmetric_verify(
            &f.key,
            &f.version,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
            b"\x30\x00",
        )
        .map(|_| ())),
        st(s.generate_csr(&f.key, &f.version, "CN=policy", &[])
            .map(|_| ())),
        st(s.enable_key(&f.key)),
        st(s.describe_key("alias/none").map(|_| ())),
        st(s.restrict("{\"Principal\": \"x\", \"Statement\": []}").map(|_| ())),
    ]
}

fn restrict(s: &Store, json: &[u8]) -> Option<Store> {
    let json = std::str::from_utf8(json).ok()?;
    match s.restrict(json) {
        Ok(h) => Some(h),
        Err(Error::InvalidArgument(_)) | Err(Error::AccessDenied(_)) => None,
        Err(e) => panic!("restrict({json:?}): unexpected {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    let base = statuses(&fixture().store);
    let Some(outer) = restrict(&fixture().store, first) else {
        return;
    };
    let outer_st = statuses(&outer);
    for (i, (o, b)) in outer_st.iter().zip(&base).enumerate() {
        assert!(
            o == b || *o == Status::AccessDenied,
            "call {i}: restricted {o:?}, unrestricted {b:?}"
        );
    }
    if let Some(inner) = second.and_then(|q| restrict(&outer, q)) {
        for (i, (n, o)) in statuses(&inner).iter().zip(&outer_st).enumerate() {
            assert!(
                n == o || *n == Status::AccessDenied,
                "call {i}: narrowed handle {n:?}, its parent {o:?}"
            );
        }
    }
});
