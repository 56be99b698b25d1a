//! ImportKey / ImportKeyVersion checked against OpenSSL: keys made by `openssl genpkey` and
//! turned into PKCS#8 DER import for every spec; the public keys agree; signatures cross in
//! both directions; OpenSSL encrypts to imported RSA and SM2 keys and akms decrypts. Bad input
//! is refused with the documented status and adds nothing to the store.

mod common;

use akms::{Algorithm, Error, KeySpec, KeyUsage, MessageType, Store};
use common::{openssl, openssl_raw, p, squash, Scratch, OAEP_SHA1, OAEP_SHA256, SM2_DISTID};

const MESSAGE: &[u8] = b"a message signed outside akms and inside it";

/// `openssl genpkey` arguments for a key of `spec`.
fn genpkey_args(spec: KeySpec) -> &'static [&'static str] {
    match spec {
        KeySpec::Rsa2048 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeySpec::Rsa3072 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        KeySpec::EcP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeySpec::EcP256k => &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
        KeySpec::EcSm2 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"],
    }
}

/// Makes a key with `openssl genpkey` (PEM at `<name>.pem`) and returns its PKCS#8 DER.
fn openssl_key(dir: &Scratch, name: &str, genpkey: &[&str]) -> Vec<u8> {
    let pem = dir.path(&format!("{name}.pem"));
    let der = dir.path(&format!("{name}.der"));
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend(["-out", p(&pem)]);
    openssl(&args);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-outform",
        "DER",
        "-in",
        p(&pem),
        "-out",
        p(&der),
    ]);
    dir.read(&format!("{name}.der"))
}

fn sign_algorithms(spec: KeySpec) -> &'static [Algorithm] {
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => {
            &[Algorithm::RsaPkcs1Sha256, Algorithm::RsaPssSha256]
        }
        KeySpec::EcP256 | KeySpec::EcP256k => &[Algorithm::EcdsaSha256],
        KeySpec::EcSm2 => &[Algorithm::Sm2Dsa],
    }
}

/// `openssl dgst` options that select `alg`'s hash and padding.
fn dgst_options(alg: Algorithm) -> Vec<&'static str> {
    match alg {
        Algorithm::RsaPkcs1Sha256 | Algorithm::EcdsaSha256 => vec!["-sha256"],
        Algorithm::RsaPssSha256 => vec![
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-sigopt",
            "rsa_mgf1_md:sha256",
        ],
        Algorithm::Sm2Dsa => vec!["-sm3", "-sigopt", SM2_DISTID],
        other => panic!("{other} is not a signing algorithm"),
    }
}

fn check_sign_verify(spec: KeySpec) {
    let dir = Scratch::new("import-sign");
    let store = Store::new();
    let der = openssl_key(&dir, "key", genpkey_args(spec));
    let (key, version) = store
        .import_key(KeyUsage::SignVerify, &der, Some("from openssl"))
        .unwrap();
    let meta = store.describe_key(&key).unwrap();
    assert_eq!(meta.key_spec, spec.name());
    assert_eq!(meta.origin, "EXTERNAL");
    assert_eq!(meta.description, "from openssl");

    // The public keys agree.
    let theirs = openssl(&["pkey", "-in", p(&dir.path("key.pem")), "-pubout"]);
    let ours = store.get_public_key(&key, &version).unwrap();
    assert_eq!(squash(&theirs), squash(&ours), "{spec}");
    let ours_path = dir.write("ours.pub.pem", &ours);

    let msg = dir.write("msg", MESSAGE);
    let key_pem = dir.path("key.pem");
    for &alg in sign_algorithms(spec) {
        // OpenSSL signs, akms verifies.
        let sig_path = dir.path("openssl.sig");
        let mut args = vec!["dgst"];
        args.extend(dgst_options(alg));
        args.extend(["-sign", p(&key_pem), "-out", p(&sig_path), p(&msg)]);
        openssl(&args);
        let sig = dir.read("openssl.sig");
        assert!(
            store
                .asymmetric_verify(&key, &version, alg, MessageType::Raw, MESSAGE, &sig)
                .unwrap(),
            "{spec} {alg}: akms rejects OpenSSL's signature"
        );
        if alg == Algorithm::EcdsaSha256 {
            check_both_s(&store, &key, &version, spec, &sig);
        }

        // akms signs, OpenSSL verifies (with the public key akms returned).
        let sig = store
            .asymmetric_sign(&key, &version, alg, MessageType::Raw, MESSAGE)
            .unwrap();
        let sig_path = dir.write("akms.sig", &sig);
        let mut args = vec!["dgst"];
        args.extend(dgst_options(alg));
        args.extend([
            "-verify",
            p(&ours_path),
            "-signature",
            p(&sig_path),
            p(&msg),
        ]);
        let said = openssl(&args);
        assert!(said.contains("Verified OK"), "{spec} {alg}: {said}");
    }

    // A second OpenSSL key of the same spec becomes a new version.
    let second = openssl_key(&dir, "second", genpkey_args(spec));
    let v2 = store.import_key_version(&key, &second).unwrap();
    let theirs = openssl(&["pkey", "-in", p(&dir.path("second.pem")), "-pubout"]);
    assert_eq!(
        squash(&theirs),
        squash(&store.get_public_key(&key, &v2).unwrap())
    );
    assert_eq!(store.list_key_versions(&key).unwrap().len(), 2);
}

/// Both the signature OpenSSL made and its twin with s replaced by n - s (one of them is
/// high-S) verify in akms.
fn check_both_s(store: &Store, key: &str, version: &str, spec: KeySpec, der: &[u8]) {
    let twin = match spec {
        KeySpec::EcP256 => {
            let sig = p256::ecdsa::Signature::from_der(der).unwrap();
            let (r, s) = sig.split_scalars();
            p256::ecdsa::Signature::from_scalars(r, -*s)
                .unwrap()
                .to_der()
                .to_bytes()
                .to_vec()
        }
        KeySpec::EcP256k => {
            let sig = k256::ecdsa::Signature::from_der(der).unwrap();
            let (r, s) = sig.split_scalars();
            k256::ecdsa::Signature::from_scalars(r, -*s)
                .unwrap()
                .to_der()
                .to_bytes()
                .to_vec()
        }
        _ => unreachable!(),
    };
    assert_ne!(twin, der);
    assert!(
        store
            .asymmetric_verify(
                key,
                version,
                Algorithm::EcdsaSha256,
                MessageType::Raw,
                MESSAGE,
                &twin
            )
            .unwrap(),
        "{spec}: the other-S twin of OpenSSL's signature is refused"
    );
}

fn check_decrypt(spec: KeySpec) {
    let dir = Scratch::new("import-decrypt");
    let store = Store::new();
    let der = openssl_key(&dir, "key", genpkey_args(spec));
    let (key, version) = store
        .import_key(KeyUsage::EncryptDecrypt, &der, None)
        .unwrap();
    let public = dir.write("pub.pem", store.get_public_key(&key, &version).unwrap());
    let plain = dir.write("plain", b"secret for the imported key");
    let cases: &[(Algorithm, &[&str])] = match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => &[
            (Algorithm::RsaesOaepSha1, OAEP_SHA1),
            (Algorithm::RsaesOaepSha256, OAEP_SHA256),
        ],
        KeySpec::EcSm2 => &[(Algorithm::Sm2Pke, &[])],
        _ => unreachable!(),
    };
    for (alg, opts) in cases {
        let ct = dir.path("ct");
        let mut args = vec![
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            p(&public),
            "-in",
            p(&plain),
            "-out",
            p(&ct),
        ];
        args.extend_from_slice(opts);
        openssl(&args);
        let got = store
            .asymmetric_decrypt(&key, &version, *alg, &dir.read("ct"))
            .unwrap();
        assert_eq!(&got[..], b"secret for the imported key", "{spec} {alg}");
    }
}

#[test]
fn rsa_2048_imports_and_interoperates() {
    check_sign_verify(KeySpec::Rsa2048);
    check_decrypt(KeySpec::Rsa2048);
}

#[test]
fn rsa_3072_imports_and_interoperates() {
    check_sign_verify(KeySpec::Rsa3072);
    check_decrypt(KeySpec::Rsa3072);
}

#[test]
fn ec_p256_imports_and_interoperates() {
    check_sign_verify(KeySpec::EcP256);
}

#[test]
fn ec_p256k_imports_and_interoperates() {
    check_sign_verify(KeySpec::EcP256k);
}

#[test]
fn ec_sm2_imports_and_interoperates() {
    check_sign_verify(KeySpec::EcSm2);
    check_decrypt(KeySpec::EcSm2);
}

#[test]
fn ec_keys_cannot_be_imported_for_encryption() {
    let dir = Scratch::new("import-usage");
    let store = Store::new();
    for spec in [KeySpec::EcP256, KeySpec::EcP256k] {
        let der = openssl_key(&dir, "key", genpkey_args(spec));
        let err = store
            .import_key(KeyUsage::EncryptDecrypt, &der, None)
            .unwrap_err();
        assert!(matches!(err, Error::Incompatible(_)), "{spec}: {err}");
    }
    assert!(store.list_keys().unwrap().is_empty());
}

#[test]
fn bad_input_is_refused_and_adds_nothing() {
    let dir = Scratch::new("import-bad");
    let store = Store::new();
    let good = openssl_key(&dir, "good", genpkey_args(KeySpec::EcP256));
    let (key, _) = store.import_key(KeyUsage::SignVerify, &good, None).unwrap();

    let rsa = openssl_key(&dir, "rsa", genpkey_args(KeySpec::Rsa2048));
    let p384 = openssl_key(
        &dir,
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let rsa1024 = openssl_key(
        &dir,
        "rsa1024",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    let rsa_e3 = openssl_key(
        &dir,
        "rsa_e3",
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_keygen_pubexp:3",
        ],
    );
    let ed25519 = openssl_key(&dir, "ed25519", &["-algorithm", "ED25519"]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:secret",
        "-outform",
        "DER",
        "-in",
        p(&dir.path("good.pem")),
        "-out",
        p(&dir.path("encrypted.der")),
    ]);
    let encrypted = dir.read("encrypted.der");
    let pem = dir.read("good.pem");
    let mut trailing = good.clone();
    trailing.push(0x00);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage", b"this is not a key at all".to_vec(), "PKCS#8"),
        ("empty", Vec::new(), "empty"),
        ("truncated", rsa[..rsa.len() / 2].to_vec(), "PKCS#8"),
        ("trailing byte", trailing, "PKCS#8"),
        ("P-384", p384, "1.3.132.0.34"),
        ("RSA-1024", rsa1024, "1024 bits"),
        ("RSA e=3", rsa_e3, "65537"),
        ("Ed25519", ed25519, "Ed25519"),
        ("encrypted PKCS#8", encrypted, "encrypted"),
        ("PEM", pem, "PEM"),
    ];
    for (what, der, says) in &cases {
        match store.import_key(KeyUsage::SignVerify, der, None) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(says), "{what}: {m}"),
            other => panic!("{what}: expected InvalidArgument, got {other:?}"),
        }
        match store.import_key_version(&key, der) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(says), "{what}: {m}"),
            other => panic!("{what}: expected InvalidArgument, got {other:?}"),
        }
        // Malformed input comes first, even for a key that does not exist.
        assert!(matches!(
            store.import_key_version("no-such-key", der),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert_eq!(store.list_keys().unwrap().len(), 1);
    assert_eq!(store.list_key_versions(&key).unwrap().len(), 1);

    // A well-formed key of another spec is INCOMPATIBLE; a disabled key is INVALID_STATE;
    // an unknown key NOT_FOUND.
    assert!(matches!(
        store.import_key_version(&key, &rsa),
        Err(Error::Incompatible(_))
    ));
    assert!(matches!(
        store.import_key_version("no-such-key", &good),
        Err(Error::NotFound(_))
    ));
    store.disable_key(&key).unwrap();
    assert!(matches!(
        store.import_key_version(&key, &good),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        store.import_key_version(&key, &rsa),
        Err(Error::Incompatible(_))
    ));
    assert_eq!(store.list_keys().unwrap().len(), 1);
    assert_eq!(store.list_key_versions(&key).unwrap().len(), 1);
    let _ = openssl_raw(&["version"]);
}
