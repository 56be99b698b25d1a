//! What the akms fuzz targets share: fixed test keys, the layout of each target's input, and
//! the invariants every target checks.
//!
//! The keys in `fuzz/keys/` are throwaway PKCS#8 DER keys made with `openssl genpkey` for
//! fuzzing only. They are fixed (not generated per run) so that the seed corpora in
//! `fuzz/seeds/` (real ciphertexts and signatures made under them by `make_seeds`) stay
//! meaningful, and so that a crash reproduces.

use std::sync::OnceLock;

use akms::core::keypair::KeyPair;
use akms::{Algorithm, Error, KeySpec, MessageType};

/// PKCS#8 DER of the fixed fuzzing keys, one per spec, in `KeySpec` code order.
pub const KEYS_PKCS8: [(KeySpec, &[u8]); 5] = [
    (KeySpec::Rsa2048, include_bytes!("../keys/rsa2048.pk8")),
    (KeySpec::Rsa3072, include_bytes!("../keys/rsa3072.pk8")),
    (KeySpec::EcP256, include_bytes!("../keys/p256.pk8")),
    (KeySpec::EcP256k, include_bytes!("../keys/k256.pk8")),
    (KeySpec::EcSm2, include_bytes!("../keys/sm2.pk8")),
];

/// The fixed key pair of `spec`, parsed once per process.
pub fn pair(spec: KeySpec) -> &'static KeyPair {
    static PAIRS: OnceLock<Vec<KeyPair>> = OnceLock::new();
    let pairs = PAIRS.get_or_init(|| {
        KEYS_PKCS8
            .iter()
            .map(|(spec, der)| {
                KeyPair::from_pkcs8_der(*spec, der).expect("fuzz/keys holds a valid key")
            })
            .collect()
    });
    &pairs[(spec.code() - 1) as usize]
}

/// Every (spec, algorithm) that decrypts. The `decrypt` target's first byte picks one.
pub const DECRYPT_CASES: [(KeySpec, Algorithm); 5] = [
    (KeySpec::Rsa2048, Algorithm::RsaesOaepSha1),
    (KeySpec::Rsa2048, Algorithm::RsaesOaepSha256),
    (KeySpec::Rsa3072, Algorithm::RsaesOaepSha1),
    (KeySpec::Rsa3072, Algorithm::RsaesOaepSha256),
    (KeySpec::EcSm2, Algorithm::Sm2Pke),
];

/// Every (spec, algorithm) that signs. The `verify` target's first byte picks one.
pub const VERIFY_CASES: [(KeySpec, Algorithm); 9] = [
    (KeySpec::Rsa2048, Algorithm::RsaPssSha256),
    (KeySpec::Rsa2048, Algorithm::RsaPkcs1Sha256),
    (KeySpec::Rsa3072, Algorithm::RsaPssSha256),
    (KeySpec::Rsa3072, Algorithm::RsaPkcs1Sha256),
    (KeySpec::EcP256, Algorithm::EcdsaSha256),
    (KeySpec::EcP256k, Algorithm::EcdsaSha256),
    (KeySpec::EcSm2, Algorithm::Sm2Dsa),
    // Two cases whose algorithm does not fit the key: must be Incompatible, never a crash.
    (KeySpec::EcP256, Algorithm::Sm2Dsa),
    (KeySpec::EcSm2, Algorithm::RsaPssSha256),
];

/// A `decrypt` input: `[case] ciphertext...`.
pub fn decrypt_input(case: usize, ciphertext: &[u8]) -> Vec<u8> {
    let mut v = vec![case as u8];
    v.extend_from_slice(ciphertext);
    v
}

/// Splits a `decrypt` input into its case and ciphertext.
pub fn split_decrypt(data: &[u8]) -> Option<((KeySpec, Algorithm), &[u8])> {
    let (&case, ciphertext) = data.split_first()?;
    Some((
        DECRYPT_CASES[case as usize % DECRYPT_CASES.len()],
        ciphertext,
    ))
}

/// A parsed `verify` input: `[case] [message type] [data length] data... signature...`.
pub struct VerifyInput<'a> {
    pub spec: KeySpec,
    pub alg: Algorithm,
    pub message_type: MessageType,
    pub data: &'a [u8],
    pub signature: &'a [u8],
}

/// Builds a `verify` input (the seed generator's side of [`split_verify`]).
pub fn verify_input(case: usize, message_type: MessageType, data: &[u8], sig: &[u8]) -> Vec<u8> {
    assert!(data.len() <= 255);
    let mut v = vec![case as u8, message_type.code() as u8, data.len() as u8];
    v.extend_from_slice(data);
    v.extend_from_slice(sig);
    v
}

/// Parses a `verify` input; a short input is `None`.
pub fn split_verify(input: &[u8]) -> Option<VerifyInput<'_>> {
    let [case, mt, len, rest @ ..] = input else {
        return None;
    };
    let (spec, alg) = VERIFY_CASES[*case as usize % VERIFY_CASES.len()];
    let message_type = if mt & 1 == 0 {
        MessageType::Digest
    } else {
        MessageType::Raw
    };
    let n = (*len as usize).min(rest.len());
    let (data, signature) = rest.split_at(n);
    Some(VerifyInput {
        spec,
        alg,
        message_type,
        data,
        signature,
    })
}

/// Fails the fuzz run (by panicking, which libFuzzer reports as a crash) on an error that no
/// input may cause: `Internal` is a bug by definition, and I/O or store corruption cannot
/// arise from an in-memory operation.
pub fn assert_not_a_bug(e: &Error, what: &str) {
    if matches!(e, Error::Internal(_) | Error::Io(_) | Error::Corrupt(_)) {
        panic!("{what}: input caused {e:?}");
    }
}

/// A store holding the fixed keys of every spec as SIGN/VERIFY keys (imported once per process).
pub struct SigningStore {
    pub store: akms::Store,
    /// (key id, version id, DER SubjectPublicKeyInfo), in `KeySpec` code order.
    pub keys: Vec<(String, String, Vec<u8>)>,
}

/// The process's [`SigningStore`].
pub fn signing_store() -> &'static SigningStore {
    static STORE: OnceLock<SigningStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = akms::Store::new();
        let keys = KEYS_PKCS8
            .iter()
            .map(|(spec, der)| {
                let (k, v) = store
                    .import_key(akms::KeyUsage::SignVerify, der, None)
                    .expect("fuzz/keys imports");
                (k, v, pair(*spec).public_key_der().unwrap())
            })
            .collect();
        SigningStore { store, keys }
    })
}

/// The passphrase of every store file the `store_file` target builds.
pub const STORE_PASSPHRASE: &[u8] = b"akms fuzz passphrase";

/// Splits a `store_file` input into pieces: `[tag] [len u16 LE] bytes...`, repeated. Tag % 4:
/// 0 sealed as the next record (the honest place), 1 sealed as record `tag / 4` (out of place),
/// 2 raw bytes, 3 sealed as the next record but with its bytes' last byte dropped (a short one).
pub fn split_pieces(mut data: &[u8]) -> Vec<akms::core::persist::fuzzing::Piece<'_>> {
    use akms::core::persist::fuzzing::Piece;
    let mut pieces = Vec::new();
    let mut next = 0u64;
    while let [tag, lo, hi, rest @ ..] = data {
        let len = usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len());
        let (bytes, tail) = rest.split_at(len);
        data = tail;
        let piece = match tag % 4 {
            0 => Piece::Sealed {
                seq: next,
                plaintext: bytes,
            },
            1 => Piece::Sealed {
                seq: u64::from(tag / 4),
                plaintext: bytes,
            },
            2 => Piece::Raw(bytes),
            _ => Piece::Sealed {
                seq: next,
                plaintext: &bytes[..bytes.len().saturating_sub(1)],
            },
        };
        if !matches!(piece, Piece::Raw(_)) {
            next += 1;
        }
        pieces.push(piece);
        if pieces.len() >= 64 {
            break;
        }
    }
    pieces
}

/// Builds a `store_file` input of honest records (the seed generator's side of
/// [`split_pieces`]).
pub fn pieces_input(records: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for r in records {
        v.push(0);
        v.extend_from_slice(&(r.len() as u16).to_le_bytes());
        v.extend_from_slice(r);
    }
    v
}

/// This process's scratch store file, removed (with any compaction leftover) first. On tmpfs
/// when there is one, so that the store's fsyncs cost nothing.
pub fn scratch_file() -> std::path::PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("akms-fuzz-{}.store", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("store.akms-tmp"));
    path
}
