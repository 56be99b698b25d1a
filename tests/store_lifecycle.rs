//! The key store through its Rust API: keys, versions, aliases, states, deletion windows and the
//! Describe/List JSON.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use akms::core::clock::{Clock, DAY_MILLIS};
use akms::core::key::to_json;
use akms::{Algorithm, Error, KeySpec, KeyUsage, MessageType, Store};

fn status(r: Result<impl std::fmt::Debug, Error>) -> &'static str {
    r.err().map(|e| e.status().name()).unwrap_or("AKMS_OK")
}

#[test]
fn every_spec_and_usage_the_spec_allows() {
    let store = Store::new();
    for spec in KeySpec::ALL {
        for usage in KeyUsage::ALL {
            let r = store.create_key(*spec, *usage, Some("d"));
            if spec.supports(*usage) {
                let (key, version) = r.unwrap();
                assert_eq!(key.len(), 36);
                let meta = store.describe_key(&key).unwrap();
                assert_eq!(meta.key_spec, spec.name());
                assert_eq!(meta.key_usage, usage.name());
                assert_eq!(meta.origin, "Aliyun_KMS");
                let versions = store.list_key_versions(&key).unwrap();
                assert_eq!(versions.len(), 1);
                assert_eq!(versions[0].key_version_id, version);
            } else {
                assert_eq!(status(r), "AKMS_ERR_INCOMPATIBLE");
            }
        }
    }
    assert_eq!(store.list_keys().unwrap().len(), 3 * 2 + 2);
}

#[test]
fn describe_json_has_the_kms_field_names() {
    let store = Store::new();
    let (key, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("code signing"))
        .unwrap();
    store.create_alias("alias/signer", &key).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&to_json(&store.describe_key(&key).unwrap()).unwrap()).unwrap();
    let obj = json.as_object().unwrap();
    let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "Aliases",
            "CreationDate",
            "Description",
            "KeyId",
            "KeySpec",
            "KeyState",
            "KeyUsage",
            "Origin"
        ]
    );
    assert_eq!(obj["KeyState"], "Enabled");
    assert_eq!(obj["Description"], "code signing");
    assert_eq!(obj["Aliases"], serde_json::json!(["alias/signer"]));
    let date = obj["CreationDate"].as_str().unwrap();
    assert_eq!(date.len(), 20, "{date}");
    assert!(date.ends_with('Z') && date.as_bytes()[10] == b'T');
}

#[test]
fn versions_are_independent_key_pairs() {
    let store = Store::new();
    let (key, v1) = store
        .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
        .unwrap();
    let v2 = store.create_key_version(&key).unwrap();
    assert_ne!(v1, v2);
    let pem1 = store.get_public_key(&key, &v1).unwrap();
    let pem2 = store.get_public_key(&key, &v2).unwrap();
    assert_ne!(pem1, pem2);
    let sig = store
        .asymmetric_sign(&key, &v1, Algorithm::Sm2Dsa, MessageType::Raw, b"m")
        .unwrap();
    assert!(store
        .asymmetric_verify(&key, &v1, Algorithm::Sm2Dsa, MessageType::Raw, b"m", &sig)
        .unwrap());
    assert!(!store
        .asymmetric_verify(&key, &v2, Algorithm::Sm2Dsa, MessageType::Raw, b"m", &sig)
        .unwrap());
    let listed: Vec<String> = store
        .list_key_versions(&key)
        .unwrap()
        .into_iter()
        .map(|v| v.key_version_id)
        .collect();
    assert_eq!(listed, [v1.clone(), v2]);
    // A version of another key is not found.
    let (other, _) = store
        .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
        .unwrap();
    assert_eq!(
        status(store.get_public_key(&other, &v1)),
        "AKMS_ERR_NOT_FOUND"
    );
}

#[test]
fn aliases_stand_wherever_a_key_is_taken() {
    let store = Store::new();
    let (a, va) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let (b, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    store.create_alias("alias/app/prod", &a).unwrap();
    assert_eq!(
        status(store.create_alias("alias/app/prod", &b)),
        "AKMS_ERR_ALREADY_EXISTS"
    );
    assert_eq!(
        status(store.create_alias("alias/acs/x", &b)),
        "AKMS_ERR_INVALID_ARGUMENT"
    );
    assert_eq!(
        status(store.create_alias("alias/bad name", &b)),
        "AKMS_ERR_INVALID_ARGUMENT"
    );
    assert_eq!(
        status(store.create_alias("alias/x", "missing")),
        "AKMS_ERR_NOT_FOUND"
    );
    let digest = [3u8; 32];
    let sig = store
        .asymmetric_sign(
            "alias/app/prod",
            &va,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
        )
        .unwrap();
    assert!(store
        .asymmetric_verify(
            &a,
            &va,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
            &sig
        )
        .unwrap());
    store.update_alias("alias/app/prod", &b).unwrap();
    assert_eq!(store.describe_key("alias/app/prod").unwrap().key_id, b);
    assert!(store.describe_key(&a).unwrap().aliases.is_empty());
    assert_eq!(
        status(store.update_alias("alias/none", &b)),
        "AKMS_ERR_NOT_FOUND"
    );
    store.delete_alias("alias/app/prod").unwrap();
    assert_eq!(
        status(store.describe_key("alias/app/prod")),
        "AKMS_ERR_NOT_FOUND"
    );
    assert_eq!(
        status(store.delete_alias("alias/app/prod")),
        "AKMS_ERR_NOT_FOUND"
    );
}

#[test]
fn states_and_the_deletion_window() {
    let now = Arc::new(AtomicI64::new(1_800_000_000_000));
    let clock_now = now.clone();
    let store = Store::with_clock(Clock::from_fn(move || clock_now.load(Ordering::SeqCst)));
    let (key, v) = store
        .create_key(KeySpec::EcP256k, KeyUsage::SignVerify, None)
        .unwrap();
    store.create_alias("alias/k", &key).unwrap();
    let digest = [9u8; 32];
    let sign = || {
        store.asymmetric_sign(
            &key,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
        )
    };

    store.disable_key(&key).unwrap();
    assert_eq!(status(sign()), "AKMS_ERR_INVALID_STATE");
    assert_eq!(
        status(store.create_key_version(&key)),
        "AKMS_ERR_INVALID_STATE"
    );
    store.enable_key(&key).unwrap();
    assert!(sign().is_ok());

    for days in [0, 6, 31] {
        assert_eq!(
            status(store.schedule_key_deletion(&key, days)),
            "AKMS_ERR_INVALID_ARGUMENT"
        );
    }
    assert_eq!(
        status(store.cancel_key_deletion(&key)),
        "AKMS_ERR_INVALID_STATE"
    );
    store.schedule_key_deletion(&key, 7).unwrap();
    let meta = store.describe_key(&key).unwrap();
    assert_eq!(meta.key_state, "PendingDeletion");
    assert_eq!(meta.delete_date.as_deref(), Some("2027-01-22T08:00:00Z"));
    assert_eq!(status(sign()), "AKMS_ERR_INVALID_STATE");
    assert_eq!(status(store.enable_key(&key)), "AKMS_ERR_INVALID_STATE");
    assert_eq!(status(store.disable_key(&key)), "AKMS_ERR_INVALID_STATE");
    assert_eq!(
        status(store.schedule_key_deletion(&key, 10)),
        "AKMS_ERR_INVALID_STATE"
    );
    assert_eq!(
        status(store.create_alias("alias/k2", &key)),
        "AKMS_ERR_INVALID_STATE"
    );
    assert!(
        store.get_public_key("alias/k", &v).is_ok(),
        "GetPublicKey works in every state"
    );
    store.cancel_key_deletion(&key).unwrap();
    assert_eq!(store.describe_key(&key).unwrap().key_state, "Enabled");
    assert!(store.describe_key(&key).unwrap().delete_date.is_none());

    store.schedule_key_deletion(&key, 30).unwrap();
    now.fetch_add(30 * DAY_MILLIS - 1, Ordering::SeqCst);
    assert!(
        store.describe_key(&key).is_ok(),
        "still there a millisecond before the date"
    );
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(status(store.describe_key(&key)), "AKMS_ERR_NOT_FOUND");
    assert_eq!(status(store.describe_key("alias/k")), "AKMS_ERR_NOT_FOUND");
    assert!(store.list_keys().unwrap().is_empty());
    // The purge on the next mutation also frees the alias name.
    let (other, _) = store
        .create_key(KeySpec::EcP256k, KeyUsage::SignVerify, None)
        .unwrap();
    store.create_alias("alias/k", &other).unwrap();
}

#[test]
fn description_limit() {
    let store = Store::new();
    let long = "x".repeat(8193);
    assert_eq!(
        status(store.create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some(&long))),
        "AKMS_ERR_INVALID_ARGUMENT"
    );
}

#[test]
fn two_threads_sign_with_one_key_in_parallel() {
    // Not a timing assertion: both threads must finish their work while sharing one key, and
    // the lock is never held across the signature (a deadlock or a poisoned state would hang
    // or fail here).
    let store = Store::new();
    let (key, v) = store
        .create_key(KeySpec::Rsa2048, KeyUsage::SignVerify, None)
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for i in 0..20u8 {
                    let d = [i; 32];
                    let sig = store
                        .asymmetric_sign(&key, &v, Algorithm::RsaPssSha256, MessageType::Digest, &d)
                        .unwrap();
                    assert!(store
                        .asymmetric_verify(
                            &key,
                            &v,
                            Algorithm::RsaPssSha256,
                            MessageType::Digest,
                            &d,
                            &sig
                        )
                        .unwrap());
                }
            });
        }
    });
}
