//! A persistent store survives close and reopen: every describe/list result is identical,
//! old signatures verify, old ciphertexts decrypt, states and deletion windows persist, and
//! compaction keeps the contents.

mod persist_common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use akms::core::clock::{Clock, DAY_MILLIS};
use akms::core::{Algorithm, KeySpec, KeyState, KeyUsage, MessageType, Status, Store};
use persist_common::{cheap, open, snapshot, TempDir};

const PASS: &[u8] = b"correct horse battery staple";

struct Signed {
    key: String,
    version: String,
    alg: Algorithm,
    message_type: MessageType,
    data: Vec<u8>,
    signature: Vec<u8>,
}

struct Sealed {
    key: String,
    version: String,
    alg: Algorithm,
    plaintext: Vec<u8>,
    ciphertext: Vec<u8>,
}

/// Signs and encrypts with every algorithm and version that fits each key.
fn use_every_key(store: &Store, signed: &mut Vec<Signed>, sealed: &mut Vec<Sealed>) {
    for key in store.list_keys().unwrap() {
        for v in store.list_key_versions(&key.key_id).unwrap() {
            for &alg in Algorithm::ALL {
                for message_type in [MessageType::Digest, MessageType::Raw] {
                    let data = format!("message for {} {}", v.key_version_id, alg).into_bytes();
                    let data = if message_type == MessageType::Digest {
                        data[..32].to_vec()
                    } else {
                        data
                    };
                    if let Ok(signature) = store.asymmetric_sign(
                        &key.key_id,
                        &v.key_version_id,
                        alg,
                        message_type,
                        &data,
                    ) {
                        signed.push(Signed {
                            key: key.key_id.clone(),
                            version: v.key_version_id.clone(),
                            alg,
                            message_type,
                            data,
                            signature,
                        });
                    }
                }
                let plaintext = format!("secret {}", v.key_version_id).into_bytes();
                if let Ok(ciphertext) =
                    store.asymmetric_encrypt(&key.key_id, &v.key_version_id, alg, &plaintext)
                {
                    sealed.push(Sealed {
                        key: key.key_id.clone(),
                        version: v.key_version_id.clone(),
                        alg,
                        plaintext,
                        ciphertext,
                    });
                }
            }
        }
    }
}

fn check_old_results(store: &Store, signed: &[Signed], sealed: &[Sealed]) {
    for s in signed {
        let ok = store
            .asymmetric_verify(
                &s.key,
                &s.version,
                s.alg,
                s.message_type,
                &s.data,
                &s.signature,
            )
            .unwrap();
        assert!(
            ok,
            "old {} signature of {} no longer verifies",
            s.alg, s.key
        );
    }
    for s in sealed {
        let plaintext = store
            .asymmetric_decrypt(&s.key, &s.version, s.alg, &s.ciphertext)
            .unwrap();
        assert_eq!(&plaintext[..], &s.plaintext[..], "{} of {}", s.alg, s.key);
    }
}

#[test]
fn every_spec_usage_state_and_alias_survives_reopen() {
    let dir = TempDir::new("roundtrip");
    let path = dir.file("store.akms");
    let store = open(&path, PASS).unwrap();
    let kinds = [
        (KeySpec::Rsa2048, KeyUsage::SignVerify),
        (KeySpec::Rsa2048, KeyUsage::EncryptDecrypt),
        (KeySpec::Rsa3072, KeyUsage::SignVerify),
        (KeySpec::Rsa3072, KeyUsage::EncryptDecrypt),
        (KeySpec::EcP256, KeyUsage::SignVerify),
        (KeySpec::EcP256k, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::EncryptDecrypt),
    ];
    let mut keys = Vec::new();
    for (i, (spec, usage)) in kinds.into_iter().enumerate() {
        let description = format!("{spec} {usage} — «ключ» \"{i}\"\n");
        let description = if i == 0 { None } else { Some(description) };
        let (k, _) = store
            .create_key(spec, usage, description.as_deref())
            .unwrap();
        if !matches!(spec, KeySpec::Rsa3072) {
            store.create_key_version(&k).unwrap();
        }
        keys.push(k);
    }
    store.create_alias("alias/first", &keys[0]).unwrap();
    store.create_alias("alias/b", &keys[1]).unwrap();
    store.update_alias("alias/b", &keys[2]).unwrap();
    store.create_alias("alias/gone", &keys[3]).unwrap();
    store.delete_alias("alias/gone").unwrap();
    store.create_alias("alias/x/y-z_1", &keys[4]).unwrap();
    store.create_alias("alias/second-of-4", &keys[4]).unwrap();

    let (mut signed, mut sealed) = (Vec::new(), Vec::new());
    use_every_key(&store, &mut signed, &mut sealed);
    assert!(signed.len() >= 20 && sealed.len() >= 8);

    store.disable_key(&keys[4]).unwrap();
    store.disable_key(&keys[5]).unwrap();
    store.enable_key(&keys[5]).unwrap();
    store.schedule_key_deletion(&keys[7], 7).unwrap();
    store.schedule_key_deletion(&keys[6], 30).unwrap();
    store.cancel_key_deletion(&keys[6]).unwrap();

    let before = snapshot(&store);
    drop(store);

    let store = open(&path, PASS).unwrap();
    assert_eq!(snapshot(&store), before);
    let meta = store.describe_key(&keys[4]).unwrap();
    assert_eq!(meta.key_state, "Disabled");
    assert_eq!(meta.aliases, ["alias/second-of-4", "alias/x/y-z_1"]);
    assert_eq!(
        store.describe_key(&keys[7]).unwrap().key_state,
        "PendingDeletion"
    );
    assert!(store.describe_key(&keys[7]).unwrap().delete_date.is_some());
    assert_eq!(
        store.describe_key("alias/b").unwrap().key_id,
        keys[2],
        "updated alias"
    );
    assert_eq!(
        store.describe_key("alias/gone").unwrap_err().status(),
        Status::NotFound
    );

    // Bring the disabled and pending keys back, then every old result must check out.
    store.enable_key(&keys[4]).unwrap();
    store.cancel_key_deletion(&keys[7]).unwrap();
    check_old_results(&store, &signed, &sealed);

    // Changes made after a reopen persist too.
    let v = store.create_key_version(&keys[0]).unwrap();
    let before = snapshot(&store);
    drop(store);
    let store = open(&path, PASS).unwrap();
    assert_eq!(snapshot(&store), before);
    assert_eq!(
        store.list_key_versions(&keys[0]).unwrap()[2].key_version_id,
        v
    );
    check_old_results(&store, &signed, &sealed);
}

#[test]
fn deletion_windows_expire_across_reopen() {
    let dir = TempDir::new("expiry");
    let path = dir.file("store.akms");
    let now = Arc::new(AtomicI64::new(1_800_000_000_000));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || now.load(Ordering::SeqCst))
    };
    let opts = cheap().clock(clock);
    let store = Store::open_with(&path, PASS, &opts).unwrap();
    let (doomed, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let (kept, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    store.create_alias("alias/doomed", &doomed).unwrap();
    store.schedule_key_deletion(&doomed, 7).unwrap();
    let pending = store.describe_key(&doomed).unwrap();
    drop(store);

    now.fetch_add(6 * DAY_MILLIS, Ordering::SeqCst);
    let store = Store::open_with(&path, PASS, &opts).unwrap();
    assert_eq!(store.describe_key(&doomed).unwrap(), pending);
    drop(store);

    now.fetch_add(DAY_MILLIS, Ordering::SeqCst);
    let store = Store::open_with(&path, PASS, &opts).unwrap();
    assert_eq!(
        store.describe_key(&doomed).unwrap_err().status(),
        Status::NotFound
    );
    assert_eq!(
        store.describe_key("alias/doomed").unwrap_err().status(),
        Status::NotFound
    );
    assert_eq!(store.list_keys().unwrap().len(), 1);
    drop(store);

    // The purge was compacted away: even a clock set back does not bring the key back.
    now.fetch_sub(30 * DAY_MILLIS, Ordering::SeqCst);
    let store = Store::open_with(&path, PASS, &opts).unwrap();
    assert_eq!(
        store.describe_key(&doomed).unwrap_err().status(),
        Status::NotFound
    );
    assert_eq!(store.describe_key(&kept).unwrap().key_state, "Enabled");
}

#[test]
fn compaction_on_open_keeps_contents_and_shrinks_the_file() {
    let dir = TempDir::new("compact");
    let path = dir.file("store.akms");
    let store = open(&path, PASS).unwrap();
    let (k, _) = store
        .create_key(KeySpec::EcSm2, KeyUsage::EncryptDecrypt, Some("toggled"))
        .unwrap();
    store.create_key_version(&k).unwrap();
    for _ in 0..20 {
        store.disable_key(&k).unwrap();
        store.enable_key(&k).unwrap();
        store.create_alias("alias/t", &k).unwrap();
        store.delete_alias("alias/t").unwrap();
    }
    store.create_alias("alias/kept", &k).unwrap();
    store.disable_key(&k).unwrap();
    let before = snapshot(&store);
    let big = std::fs::metadata(&path).unwrap().len();
    drop(store);

    let store = open(&path, PASS).unwrap();
    assert_eq!(snapshot(&store), before);
    let small = std::fs::metadata(&path).unwrap().len();
    assert!(small * 4 < big, "compaction: {big} -> {small} bytes");
    // The compacted file takes new changes and reopens.
    store.enable_key(&k).unwrap();
    let after = snapshot(&store);
    drop(store);
    let store = open(&path, PASS).unwrap();
    assert_eq!(snapshot(&store), after);
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The store and its lock file; no temporary file is left behind.
    assert_eq!(names, ["store.akms", "store.akms.akms-lock"]);
}

#[test]
fn an_empty_existing_file_becomes_a_new_store() {
    let dir = TempDir::new("empty");
    let path = dir.file("made-by-mktemp");
    std::fs::write(&path, b"").unwrap();
    let store = open(&path, PASS).unwrap();
    let (k, _) = store
        .create_key(KeySpec::EcP256k, KeyUsage::SignVerify, None)
        .unwrap();
    drop(store);
    let store = open(&path, PASS).unwrap();
    assert_eq!(
        store.describe_key(&k).unwrap().key_state,
        KeyState::Enabled.name()
    );
    assert_eq!(
        Store::open(&path, b"").err().unwrap().status(),
        Status::InvalidArgument
    );
}
