//! Writes the seed corpora in `fuzz/seeds/<target>/` from real outputs of akms under the fixed
//! fuzzing keys: ciphertexts of every decrypting case (SM2 in DER and raw form), signatures of
//! every signing case over a DIGEST and a RAW message, and PKCS#8 keys of every spec.
//!
//! Run from the repository root: `cargo run --manifest-path fuzz/Cargo.toml --bin make_seeds`.
//! The seeds are committed (a few KiB); rerun this only when an input layout changes.

use std::fs;
use std::path::Path;

use akms::core::keypair::KeyPair;
use akms::core::{encrypt, sign};
use akms::MessageType;
use akms_fuzz::{decrypt_input, pair, verify_input, DECRYPT_CASES, KEYS_PKCS8, VERIFY_CASES};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    fs::create_dir_all(&dir).expect("create seeds dir");
    fs::write(dir.join(name), bytes).expect("write seed");
}

/// An SM2PKE ciphertext in GB/T 32918 DER, `SEQUENCE{x, y, C3, C2}`, as raw `04‖x‖y‖C3‖C2`.
fn sm2_der_to_raw(der: &[u8]) -> Vec<u8> {
    use der::asn1::{OctetStringRef, UintRef};
    use der::{Decode, Reader, SliceReader};
    let mut reader = SliceReader::new(der).unwrap();
    reader
        .sequence(|r| {
            let x = UintRef::decode(r)?;
            let y = UintRef::decode(r)?;
            let c3 = <&OctetStringRef>::decode(r)?;
            let c2 = <&OctetStringRef>::decode(r)?;
            let mut raw = vec![0x04];
            for coordinate in [x.as_bytes(), y.as_bytes()] {
                raw.extend(std::iter::repeat_n(0, 32 - coordinate.len()));
                raw.extend_from_slice(coordinate);
            }
            raw.extend_from_slice(c3.as_bytes());
            raw.extend_from_slice(c2.as_bytes());
            Ok::<_, der::Error>(raw)
        })
        .unwrap()
}

fn main() {
    for (case, (spec, alg)) in DECRYPT_CASES.iter().enumerate() {
        let max = alg.max_plaintext_len(*spec).unwrap();
        let sizes = if alg.name() == "SM2PKE" {
            vec![1, 32]
        } else {
            vec![0, 32, max]
        };
        for n in sizes {
            let ct = encrypt::encrypt(pair(*spec), *alg, &vec![0x41; n]).unwrap();
            write(
                "decrypt",
                &format!("{case}-{spec}-{alg}-{n}"),
                &decrypt_input(case, &ct),
            );
        }
        if alg.name() == "SM2PKE" {
            let der = encrypt::encrypt(pair(*spec), *alg, b"raw form").unwrap();
            let raw = sm2_der_to_raw(&der);
            write(
                "decrypt",
                &format!("{case}-{spec}-{alg}-raw"),
                &decrypt_input(case, &raw),
            );
        }
    }
    let digest = [0x5a; 32];
    let message = b"akms fuzz seed message";
    for (case, (spec, alg)) in VERIFY_CASES.iter().enumerate() {
        if !alg.fits_spec(*spec) {
            write(
                "verify",
                &format!("{case}-misfit"),
                &verify_input(case, MessageType::Digest, &digest, b"\x30\x00"),
            );
            continue;
        }
        for (mt, data) in [
            (MessageType::Digest, &digest[..]),
            (MessageType::Raw, &message[..]),
        ] {
            let sig = sign::sign(pair(*spec), *alg, mt, data).unwrap();
            write(
                "verify",
                &format!("{case}-{spec}-{alg}-{mt}"),
                &verify_input(case, mt, data, &sig),
            );
        }
    }
    for (i, (spec, der)) in KEYS_PKCS8.iter().enumerate() {
        let mut seed = vec![i as u8];
        seed.extend_from_slice(der);
        write("pkcs8", &format!("{spec}-openssl"), &seed);
        let ours = KeyPair::generate(*spec).unwrap().to_pkcs8_der().unwrap();
        let mut seed = vec![i as u8];
        seed.extend_from_slice(&ours);
        write("pkcs8", &format!("{spec}-akms"), &seed);
    }
    let csrs: [(&str, &[&str]); 6] = [
        (
            "CN=example.com,O=Acme,C=CN",
            &["example.com", "www.example.com"],
        ),
        ("CN=a", &[]),
        ("CN=Acme\\, Inc.,OU=R\\+D,O=Acme", &["*.example.com"]),
        (
            "CN=multi+UID=jsmith,DC=example,DC=net",
            &["xn--bcher-kva.example"],
        ),
        ("2.5.4.3=#0c0b6578616d706c652e636f6d", &["a.b"]),
        (
            "CN=\\ leading and trailing\\ ,L=Z\u{fc}rich",
            &["localhost"],
        ),
    ];
    for (i, (subject, names)) in csrs.iter().enumerate() {
        for key in 0..KEYS_PKCS8.len() {
            let mut seed = vec![key as u8];
            seed.extend_from_slice(subject.as_bytes());
            for n in names.iter() {
                seed.push(0);
                seed.extend_from_slice(n.as_bytes());
            }
            write("csr", &format!("{i}-{key}"), &seed);
        }
    }
    store_file_seeds();
    let policies = [
        r#"{"Principal": "billing-service", "Statement": [{"Effect": "Allow", "Action": ["kms:AsymmetricSign", "kms:Get*"], "Resource": ["*"]}]}"#,
        r#"{"Principal": "fuzz", "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]}, {"Effect": "Deny", "Action": ["kms:AsymmetricSign"], "Resource": ["alias/fuzz-*"]}]}"#,
        r#"{"Version": "1", "Principal": "p", "Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "key/*"}]}"#,
        r#"{"Principal": "lister", "Statement": [{"Effect": "Allow", "Action": ["kms:Restrict", "kms:List*"], "Resource": ["*"]}]}"#,
    ];
    for (i, p) in policies.iter().enumerate() {
        write("policy", &format!("{i}"), p.as_bytes());
        let nested = format!("{p}\0{}", policies[(i + 1) % policies.len()]);
        write("policy", &format!("{i}-nested"), nested.as_bytes());
    }
}

/// Seeds for `store_file`: the record plaintexts of a real store file that went through every
/// kind of change (create, version, import, alias, states, deletion).
fn store_file_seeds() {
    use akms::core::persist::fuzzing::{record_plaintexts, KDF};
    use akms::core::persist::PersistOptions;
    use akms::{KeySpec, KeyUsage, Store};

    let path = akms_fuzz::scratch_file();
    let store = Store::open_with(
        &path,
        akms_fuzz::STORE_PASSPHRASE,
        &PersistOptions::new().kdf(KDF),
    )
    .unwrap();
    let mut ids = Vec::new();
    for (spec, usage) in [
        (KeySpec::EcP256, KeyUsage::SignVerify),
        (KeySpec::EcP256k, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::EncryptDecrypt),
    ] {
        ids.push(store.create_key(spec, usage, Some("seed")).unwrap().0);
    }
    let (_, der) = KEYS_PKCS8[0];
    ids.push(
        store
            .import_key(KeyUsage::EncryptDecrypt, der, None)
            .unwrap()
            .0,
    );
    store.create_key_version(&ids[0]).unwrap();
    store.create_alias("alias/seed", &ids[1]).unwrap();
    store.update_alias("alias/seed", &ids[2]).unwrap();
    store.disable_key(&ids[2]).unwrap();
    store.schedule_key_deletion(&ids[3], 7).unwrap();
    store.delete_alias("alias/seed").unwrap();
    drop(store);
    let file = fs::read(&path).unwrap();
    let records = record_plaintexts(&file, akms_fuzz::STORE_PASSPHRASE).unwrap();
    let all: Vec<&[u8]> = records.iter().map(|r| &r[..]).collect();
    write("store_file", "all-changes", &akms_fuzz::pieces_input(&all));
    for (i, r) in records.iter().enumerate() {
        write(
            "store_file",
            &format!("record-{i}"),
            &akms_fuzz::pieces_input(&[&r[..]]),
        );
    }
    let _ = fs::remove_file(&path);
}
