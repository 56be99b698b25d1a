//! The persistent store file reader: `Store::open` on files with a valid header for the right
//! passphrase followed by arbitrary records — plaintexts chosen by the fuzzer and sealed with
//! the file's key (the record decoder sees arbitrary bytes, as from an attacker who knows the
//! passphrase), sealed out of place, or raw bytes (damaged frames, torn tails).
//!
//! Input: pieces `[tag] [len u16 LE] bytes...` (see `akms_fuzz::STORE_PASSPHRASE` and
//! `split_pieces`). Opening either succeeds or fails with `Corrupt`; an opened store must then
//! answer List/Describe/GetPublicKey and use every key version (sign, decrypt, CSR) with a
//! status (`Corrupt` for stored key bytes that do not parse), never a panic or `Internal`, and open again with the same keys (an open that
//! truncates a torn tail or compacts must leave an openable file).
#![no_main]

use akms::core::persist::fuzzing::{store_file, Piece};
use akms::{Algorithm, Error, KeySpec, KeyUsage, MessageType, Store};
use libfuzzer_sys::fuzz_target;

fn use_store(store: &Store) -> Vec<String> {
    let keys = store.list_keys().expect("list_keys on an opened store");
    let mut seen = Vec::new();
    for meta in keys {
        let id = meta.key_id.clone();
        seen.push(format!("{meta:?}"));
        let spec = *KeySpec::ALL
            .iter()
            .find(|s| s.name() == meta.key_spec)
            .expect("a known spec");
        store.describe_key(&id).expect("describe a listed key");
        let versions = store
            .list_key_versions(&id)
            .expect("versions of a listed key");
        for v in versions {
            let vid = v.key_version_id.clone();
            seen.push(format!("{id}/{vid}"));
            store
                .get_public_key(&id, &vid)
                .expect("public key of a listed version");
            let results = match KeyUsage::ALL.iter().find(|u| u.name() == meta.key_usage) {
                Some(KeyUsage::SignVerify) => {
                    let alg = sign_alg(spec);
                    vec![
                        store
                            .asymmetric_sign(&id, &vid, alg, MessageType::Raw, b"fuzz")
                            .map(|_| ()),
                        store.generate_csr(&id, &vid, "CN=fuzz", &[]).map(|_| ()),
                    ]
                }
                _ => {
                    let alg = if spec.is_rsa() {
                        Algorithm::RsaesOaepSha256
                    } else {
                        Algorithm::Sm2Pke
                    };
                    vec![store
                        .asymmetric_decrypt(&id, &vid, alg, &[0x30, 0x00])
                        .map(|_| ())]
                }
            };
            for r in results {
                match r {
                    Ok(()) | Err(Error::InvalidState(_)) | Err(Error::DecryptionFailed(_)) => {}
                    // An authentic record whose key bytes do not parse (found by this target:
                    // it used to panic on first use).
                    Err(Error::Corrupt(_)) => {}
                    Err(e) => panic!("using stored key {id} version {vid}: {e:?}"),
                }
            }
        }
    }
    seen.sort();
    seen
}

fn sign_alg(spec: KeySpec) -> Algorithm {
    use KeySpec::*;
    match spec {
        Rsa2048 | Rsa3072 => Algorithm::RsaPkcs1Sha256,
        EcP256 | EcP256k => Algorithm::EcdsaSha256,
        EcSm2 => Algorithm::Sm2Dsa,
    }
}

fuzz_target!(|data: &[u8]| {
    let pieces: Vec<Piece<'_>> = akms_fuzz::split_pieces(data);
    let file = store_file(akms_fuzz::STORE_PASSPHRASE, [7; 16], &pieces).expect("building");
    let path = akms_fuzz::scratch_file();
    std::fs::write(&path, &file).expect("writing the scratch store file");
    let first = match Store::open(&path, akms_fuzz::STORE_PASSPHRASE) {
        Ok(store) => use_store(&store),
        Err(Error::Corrupt(_)) => return,
        Err(e) => panic!("opening: unexpected {e:?}"),
    };
    // Opened once (possibly truncating a torn tail, or compacting): it opens again, the same.
    let again = Store::open(&path, akms_fuzz::STORE_PASSPHRASE).expect("reopening");
    assert_eq!(use_store(&again), first, "keys changed between two opens");
});
