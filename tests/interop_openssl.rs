//! Interoperability with the OpenSSL command line: every spec and algorithm. akms signs (RAW
//! and DIGEST) and `openssl` verifies; `openssl pkeyutl -encrypt` encrypts and akms decrypts;
//! OpenSSL reads every public key; a flipped bit makes verification fail on both sides.

mod common;

use std::path::Path;

use akms::{Algorithm, KeySpec, KeyUsage, MessageType, Store};
use common::{openssl, openssl_raw, p, Scratch, OAEP_SHA1, OAEP_SHA256, SM2_DISTID};
use sha2::{Digest, Sha256};

const MESSAGE: &[u8] = b"akms interop: a message signed by akms and checked by OpenSSL\n";

/// Runs `openssl`: whether it succeeded, and everything it printed.
fn run(args: &[&str]) -> (bool, String) {
    let out = openssl_raw(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The OpenSSL `-pkeyopt` pairs that select the padding of an RSA signature algorithm.
fn padding_opts(alg: Algorithm) -> &'static [&'static str] {
    match alg {
        Algorithm::RsaPssSha256 => &[
            "-pkeyopt",
            "rsa_padding_mode:pss",
            "-pkeyopt",
            "rsa_pss_saltlen:32",
        ],
        Algorithm::RsaPkcs1Sha256 => &["-pkeyopt", "rsa_padding_mode:pkcs1"],
        _ => &[],
    }
}

/// Verifies with OpenSSL: a `raw` signature over MESSAGE (OpenSSL hashes it), otherwise one
/// over its SHA-256 digest. SM2 is always checked over MESSAGE: OpenSSL computes
/// e = SM3(Z‖M) itself, and akms's DIGEST for SM2DSA is that same e.
fn openssl_verifies(
    dir: &Scratch,
    pub_pem: &Path,
    alg: Algorithm,
    raw: bool,
    sig: &[u8],
) -> (bool, String) {
    let sig_file = dir.write("sig.bin", sig);
    let msg = dir.write("msg.bin", MESSAGE);
    let digest = dir.write("digest.bin", Sha256::digest(MESSAGE));
    let mut args = vec![
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        p(pub_pem),
        "-sigfile",
        p(&sig_file),
    ];
    if alg == Algorithm::Sm2Dsa {
        args.extend([
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            SM2_DISTID,
            "-in",
            p(&msg),
        ]);
    } else if raw {
        args.extend(["-rawin", "-digest", "sha256", "-in", p(&msg)]);
    } else {
        args.extend(["-in", p(&digest), "-pkeyopt", "digest:sha256"]);
    }
    args.extend(padding_opts(alg));
    run(&args)
}

/// SM2's Z for the default id and `pub_pem`'s key (GB/T 32918.2), to build a DIGEST e = SM3(Z‖M).
fn sm2_e(pub_pem: &str, msg: &[u8]) -> [u8; 32] {
    use sm3::Sm3;
    let der = pem_body(pub_pem);
    let point = &der[der.len() - 64..];
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let mut z = Sm3::new();
    z.update([0x00, 0x80]);
    z.update(b"1234567812345678");
    z.update(hex(
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
    ));
    z.update(hex(
        "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    ));
    z.update(hex(
        "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
    ));
    z.update(hex(
        "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
    ));
    z.update(point);
    let z = z.finalize();
    let mut e = Sm3::new();
    e.update(z);
    e.update(msg);
    e.finalize().into()
}

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64_decode(&b64)
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c) << (18 - 6 * i);
        }
        let n = chunk.len() * 6 / 8;
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn sign_and_check(spec: KeySpec, alg: Algorithm, expect_text: &str) {
    let store = Store::new();
    let dir = Scratch::new("interop");
    let (key, v) = store.create_key(spec, KeyUsage::SignVerify, None).unwrap();
    let pem = store.get_public_key(&key, &v).unwrap();
    let pub_pem = dir.write("pub.pem", pem.as_bytes());
    let text = openssl(&["pkey", "-pubin", "-in", p(&pub_pem), "-noout", "-text"]);
    assert!(
        text.contains(expect_text),
        "{spec}: OpenSSL reads the public key: {text}"
    );

    for mt in [MessageType::Raw, MessageType::Digest] {
        let data: Vec<u8> = match (mt, alg) {
            (MessageType::Raw, _) => MESSAGE.to_vec(),
            (MessageType::Digest, Algorithm::Sm2Dsa) => sm2_e(&pem, MESSAGE).to_vec(),
            (MessageType::Digest, _) => Sha256::digest(MESSAGE).to_vec(),
        };
        let sig = store.asymmetric_sign(&key, &v, alg, mt, &data).unwrap();
        let (ok, text) = openssl_verifies(&dir, &pub_pem, alg, mt == MessageType::Raw, &sig);
        assert!(
            ok,
            "{spec} {alg} {mt}: OpenSSL rejected akms's signature: {text}"
        );
        assert!(store
            .asymmetric_verify(&key, &v, alg, mt, &data, &sig)
            .unwrap());

        let mut flipped = sig.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x01;
        let (ok, _) = openssl_verifies(&dir, &pub_pem, alg, mt == MessageType::Raw, &flipped);
        assert!(!ok, "{spec} {alg} {mt}: OpenSSL accepted a flipped bit");
        assert!(!store
            .asymmetric_verify(&key, &v, alg, mt, &data, &flipped)
            .unwrap());
    }
}

#[test]
fn rsa_2048_signatures_verify_in_openssl() {
    sign_and_check(
        KeySpec::Rsa2048,
        Algorithm::RsaPssSha256,
        "Public-Key: (2048 bit)",
    );
    sign_and_check(
        KeySpec::Rsa2048,
        Algorithm::RsaPkcs1Sha256,
        "Public-Key: (2048 bit)",
    );
}

#[test]
fn rsa_3072_signatures_verify_in_openssl() {
    sign_and_check(
        KeySpec::Rsa3072,
        Algorithm::RsaPssSha256,
        "Public-Key: (3072 bit)",
    );
    sign_and_check(
        KeySpec::Rsa3072,
        Algorithm::RsaPkcs1Sha256,
        "Public-Key: (3072 bit)",
    );
}

#[test]
fn ecdsa_signatures_verify_in_openssl() {
    sign_and_check(KeySpec::EcP256, Algorithm::EcdsaSha256, "NIST CURVE: P-256");
    sign_and_check(
        KeySpec::EcP256k,
        Algorithm::EcdsaSha256,
        "ASN1 OID: secp256k1",
    );
}

#[test]
fn sm2_signatures_verify_in_openssl() {
    sign_and_check(KeySpec::EcSm2, Algorithm::Sm2Dsa, "ASN1 OID: SM2");
}

fn encrypt_with_openssl(spec: KeySpec, alg: Algorithm, opts: &[&str], sizes: &[usize]) {
    let store = Store::new();
    let dir = Scratch::new("interop");
    let (key, v) = store
        .create_key(spec, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    let pub_pem = dir.write(
        "pub.pem",
        store.get_public_key(&key, &v).unwrap().as_bytes(),
    );
    for &n in sizes {
        let msg: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
        let input = dir.write("pt.bin", &msg);
        let out = dir.path("ct.bin");
        let mut args = vec![
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            p(&pub_pem),
            "-in",
            p(&input),
            "-out",
            p(&out),
        ];
        args.extend(opts);
        openssl(&args);
        let ct = std::fs::read(&out).unwrap();
        let pt = store.asymmetric_decrypt(&key, &v, alg, &ct).unwrap();
        assert_eq!(&pt[..], &msg[..], "{spec} {alg} {n} bytes");
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(
            store.asymmetric_decrypt(&key, &v, alg, &bad).is_err(),
            "{spec} {alg}: flipped bit decrypted"
        );
    }
}

#[test]
fn openssl_oaep_ciphertexts_decrypt_in_akms() {
    encrypt_with_openssl(
        KeySpec::Rsa2048,
        Algorithm::RsaesOaepSha1,
        OAEP_SHA1,
        &[1, 100, 214],
    );
    encrypt_with_openssl(
        KeySpec::Rsa2048,
        Algorithm::RsaesOaepSha256,
        OAEP_SHA256,
        &[1, 190],
    );
    encrypt_with_openssl(
        KeySpec::Rsa3072,
        Algorithm::RsaesOaepSha1,
        OAEP_SHA1,
        &[342],
    );
    encrypt_with_openssl(
        KeySpec::Rsa3072,
        Algorithm::RsaesOaepSha256,
        OAEP_SHA256,
        &[5, 318],
    );
}

#[test]
fn openssl_sm2_ciphertexts_decrypt_in_akms() {
    encrypt_with_openssl(KeySpec::EcSm2, Algorithm::Sm2Pke, &[], &[1, 32, 1000, 6047]);
}

#[test]
fn akms_sm2_ciphertexts_are_openssl_der() {
    // OpenSSL's `asn1parse` reads akms's SM2 ciphertext as SEQUENCE{INTEGER x, INTEGER y,
    // OCTET STRING C3 (32 bytes), OCTET STRING C2}.
    let store = Store::new();
    let dir = Scratch::new("interop");
    let (key, v) = store
        .create_key(KeySpec::EcSm2, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    let ct = store
        .asymmetric_encrypt(&key, &v, Algorithm::Sm2Pke, b"twelve bytes")
        .unwrap();
    let f = dir.write("ct.der", &ct);
    let text = openssl(&["asn1parse", "-inform", "DER", "-in", p(&f)]);
    let kinds: Vec<&str> = text
        .lines()
        .map(|l| {
            ["SEQUENCE", "INTEGER", "OCTET STRING"]
                .into_iter()
                .find(|k| l.contains(k))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "SEQUENCE",
            "INTEGER",
            "INTEGER",
            "OCTET STRING",
            "OCTET STRING"
        ],
        "{text}"
    );
    assert!(text.lines().nth(3).unwrap().contains("l=  32"), "{text}");
    assert!(text.lines().nth(4).unwrap().contains("l=  12"), "{text}");
}
