//! GenerateCSR checked by OpenSSL: `openssl req -verify` accepts the request for every key
//! spec, and OpenSSL sees the subject, the DNS names and akms's public key.

mod common;

use akms::{Error, KeySpec, KeyUsage, Store};
use common::{openssl, openssl_raw, p, squash, Scratch, SM2_DISTID};

const SUBJECT: &str = "CN=signer.example.com,O=Acme Ltd,C=CN";
const DNS: [&str; 2] = ["signer.example.com", "www.example.com"];

fn signature_algorithm(spec: KeySpec) -> &'static str {
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => "sha256WithRSAEncryption",
        KeySpec::EcP256 | KeySpec::EcP256k => "ecdsa-with-SHA256",
        KeySpec::EcSm2 => "SM2-with-SM3",
    }
}

/// Whether `openssl req -verify` accepts the request `csr` (PEM or DER), with the SM2
/// distinguishing id when needed. OpenSSL 3.0 exits 0 even when the self-signature does not
/// verify, so the verdict is read from what it prints.
fn verifies(spec: KeySpec, csr: &std::path::Path, der: bool) -> bool {
    let mut args = vec!["req", "-in", p(csr), "-verify", "-noout"];
    if der {
        args.extend(["-inform", "DER"]);
    }
    if spec == KeySpec::EcSm2 {
        args.extend(["-vfyopt", SM2_DISTID]);
    }
    let out = openssl_raw(&args);
    let said = String::from_utf8_lossy(&out.stderr);
    let ok = out.status.success() && said.contains("verify OK") && !said.contains("failure");
    if !ok {
        eprintln!("openssl {args:?}: {said}");
    }
    ok
}

fn check_spec(spec: KeySpec) {
    let store = Store::new();
    let dir = Scratch::new("csr");
    let (key, version) = store.create_key(spec, KeyUsage::SignVerify, None).unwrap();
    let pem = store.generate_csr(&key, &version, SUBJECT, &DNS).unwrap();
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
        "{pem}"
    );
    let csr = dir.write("req.pem", &pem);

    assert!(
        verifies(spec, &csr, false),
        "{spec}: openssl req -verify rejects the CSR"
    );

    let subject = openssl(&[
        "req",
        "-in",
        p(&csr),
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253",
    ]);
    assert_eq!(subject.trim(), format!("subject={SUBJECT}"), "{spec}");

    let text = openssl(&["req", "-in", p(&csr), "-noout", "-text"]);
    assert!(
        text.contains("DNS:signer.example.com, DNS:www.example.com"),
        "{spec}: {text}"
    );
    assert!(text.contains(signature_algorithm(spec)), "{spec}: {text}");

    let public = openssl(&["req", "-in", p(&csr), "-noout", "-pubkey"]);
    let ours = store.get_public_key(&key, &version).unwrap();
    assert_eq!(squash(&public), squash(&ours), "{spec}");

    // A request with no DNS names verifies too, and has no subjectAltName.
    let pem = store.generate_csr(&key, &version, "CN=bare", &[]).unwrap();
    let bare = dir.write("bare.pem", &pem);
    assert!(
        verifies(spec, &bare, false),
        "{spec}: a CSR without DNS names"
    );
    let text = openssl(&["req", "-in", p(&bare), "-noout", "-text"]);
    assert!(!text.contains("DNS:"), "{spec}: {text}");

    // A changed byte in the signed part is caught: the signature really covers the request.
    let der = openssl(&[
        "req",
        "-in",
        p(&csr),
        "-outform",
        "DER",
        "-out",
        p(&dir.path("req.der")),
    ]);
    assert!(der.is_empty());
    let mut bytes = dir.read("req.der");
    let at = find(&bytes, b"signer.example.com").expect("subject in DER");
    bytes[at] ^= 0x01;
    let tampered = dir.write("tampered.der", &bytes);
    assert!(
        verifies(spec, &dir.path("req.der"), true),
        "{spec}: DER form"
    );
    assert!(
        !verifies(spec, &tampered, true),
        "{spec}: tampered CSR verified"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn rsa_2048_csr_verifies_in_openssl() {
    check_spec(KeySpec::Rsa2048);
}

#[test]
fn rsa_3072_csr_verifies_in_openssl() {
    check_spec(KeySpec::Rsa3072);
}

#[test]
fn ec_p256_csr_verifies_in_openssl() {
    check_spec(KeySpec::EcP256);
}

#[test]
fn ec_p256k_csr_verifies_in_openssl() {
    check_spec(KeySpec::EcP256k);
}

#[test]
fn ec_sm2_csr_verifies_in_openssl() {
    check_spec(KeySpec::EcSm2);
}

#[test]
fn sm2_csr_without_the_distid_is_not_what_openssl_checks_by_default() {
    // Documents why the SM2 checks pass `-vfyopt distid:...`: the signature is bound to the
    // default id 1234567812345678, and a verifier using another id rejects it.
    let store = Store::new();
    let dir = Scratch::new("csr-sm2-id");
    let (key, version) = store
        .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
        .unwrap();
    let csr = dir.write(
        "req.pem",
        store.generate_csr(&key, &version, "CN=x", &DNS).unwrap(),
    );
    let out = openssl_raw(&[
        "req",
        "-in",
        p(&csr),
        "-verify",
        "-noout",
        "-vfyopt",
        "distid:someone-else",
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("verify OK"), "{said}");
    assert!(verifies(KeySpec::EcSm2, &csr, false));
}

#[test]
fn csr_errors_follow_the_status_order() {
    let store = Store::new();
    let (key, version) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let invalid = |r: Result<String, Error>, says: &str| match r {
        Err(Error::InvalidArgument(m)) => assert!(m.contains(says), "{m}"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    invalid(store.generate_csr(&key, &version, "", &[]), "subject");
    invalid(store.generate_csr(&key, &version, "CN", &[]), "subject");
    invalid(
        store.generate_csr(&key, &version, "BOGUS=1", &[]),
        "subject",
    );
    invalid(
        store.generate_csr(&key, &version, "CN=x", &["ok.example", "bad_name.example"]),
        "bad_name.example",
    );
    invalid(
        store.generate_csr(&key, &version, "CN=x", &[""]),
        "DNS name",
    );
    // Malformed input wins over a missing key.
    invalid(
        store.generate_csr("no-such-key", &version, "", &[]),
        "subject",
    );
    assert!(matches!(
        store.generate_csr("no-such-key", &version, "CN=x", &[]),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.generate_csr(&key, "no-such-version", "CN=x", &[]),
        Err(Error::NotFound(_))
    ));

    let (enc, enc_version) = store
        .create_key(KeySpec::EcSm2, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    assert!(matches!(
        store.generate_csr(&enc, &enc_version, "CN=x", &[]),
        Err(Error::Incompatible(_))
    ));
    store.disable_key(&enc).unwrap();
    // INCOMPATIBLE comes before INVALID_STATE.
    assert!(matches!(
        store.generate_csr(&enc, &enc_version, "CN=x", &[]),
        Err(Error::Incompatible(_))
    ));

    store.disable_key(&key).unwrap();
    assert!(matches!(
        store.generate_csr(&key, &version, "CN=x", &[]),
        Err(Error::InvalidState(_))
    ));
    store.enable_key(&key).unwrap();
    store.create_alias("alias/csr", &key).unwrap();
    let pem = store
        .generate_csr("alias/csr", &version, "CN=x", &["x.example"])
        .unwrap();
    assert!(pem.contains("CERTIFICATE REQUEST"));
}
