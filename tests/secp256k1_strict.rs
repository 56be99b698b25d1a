//! EC_P256K verification keeps SPEC's semantics whichever library does it (libsecp256k1 in the
//! default build, `k256` in `pure-rust`): a high-S signature (s flipped to n - s) verifies; every
//! lax-DER or BER form of a valid signature — non-minimal integers, long-form lengths,
//! indefinite length, negative integers, out-of-range values, trailing bytes — is refused; and
//! a malformed signature is `OK` + false, never an error. Signatures are the same bytes as
//! RustCrypto's (RFC 6979), so nothing observable changed with the provider.
//!
//! In the default build each lax form is also shown to be a signature libsecp256k1's lax
//! parser (`from_der_lax`, for pre-2016 Bitcoin transactions) would accept and verify, so the
//! refusals are of real signatures in a lax encoding, not of garbage.

use std::ffi::CString;
use std::ptr::null;

use akms::ffi::crypto::akms_asymmetric_verify;
use akms::ffi::store::{akms_store_free, akms_store_new};
use akms::ffi::types::{AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, AKMS_OK};
use akms::{Algorithm, Error, KeyUsage, MessageType, Store};
use k256::elliptic_curve::scalar::IsHigh;
use pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use signature::hazmat::PrehashSigner;

/// The group order n of secp256k1, big-endian.
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The fixed test key (made by OpenSSL), as PKCS#8 DER.
const KEY: &[u8] = include_bytes!("../fuzz/keys/k256.pk8");

struct Fixture {
    store: Store,
    key: String,
    version: String,
}

impl Fixture {
    fn new() -> Fixture {
        let store = Store::new();
        let (key, version) = store.import_key(KeyUsage::SignVerify, KEY, None).unwrap();
        Fixture {
            store,
            key,
            version,
        }
    }

    fn sign(&self, digest: &[u8; 32]) -> Vec<u8> {
        self.store
            .asymmetric_sign(
                &self.key,
                &self.version,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                digest,
            )
            .unwrap()
    }

    fn verify(&self, digest: &[u8; 32], sig: &[u8]) -> bool {
        self.store
            .asymmetric_verify(
                &self.key,
                &self.version,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                digest,
                sig,
            )
            .unwrap_or_else(|e| panic!("verify of {sig:02x?} is an error: {e}"))
    }
}

fn digest(i: u32) -> [u8; 32] {
    Sha256::digest(i.to_be_bytes()).into()
}

/// r and s of a DER signature, 32 bytes each, big-endian.
fn scalars(der: &[u8]) -> ([u8; 32], [u8; 32]) {
    let sig = k256::ecdsa::Signature::from_der(der).unwrap();
    let bytes = sig.to_bytes();
    (
        bytes[..32].try_into().unwrap(),
        bytes[32..].try_into().unwrap(),
    )
}

/// The minimal DER INTEGER contents of an unsigned big-endian value.
fn minimal(v: &[u8]) -> Vec<u8> {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len() - 1);
    let mut out = Vec::new();
    if v[start] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&v[start..]);
    out
}

/// A TLV with a short-form length.
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    assert!(contents.len() < 128);
    [&[tag, contents.len() as u8][..], contents].concat()
}

/// The strict DER `SEQUENCE { INTEGER r, INTEGER s }` of two integers' contents.
fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
    tlv(0x30, &[tlv(0x02, r), tlv(0x02, s)].concat())
}

/// v + n as a 33-byte big-endian value (≥ 2^256 exactly when v + n overflows 32 bytes).
fn plus_n(v: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let sum = u16::from(v[i]) + u16::from(N[i]) + carry;
        out[i + 1] = sum as u8;
        carry = sum >> 8;
    }
    out[0] = carry as u8;
    out
}

/// n - v, big-endian (v < n).
fn n_minus(v: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(v[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

/// A signature (of one of the first digests) whose r has its top bit set, so that its DER form
/// carries a 0x00 pad byte that a lax encoder may drop.
fn signature_with_high_r(f: &Fixture) -> ([u8; 32], Vec<u8>) {
    (0..64)
        .map(|i| (digest(i), f.sign(&digest(i))))
        .find(|(_, sig)| scalars(sig).0[0] & 0x80 != 0)
        .expect("one of 64 signatures has r ≥ 2^255")
}

/// Lax and BER encodings of the signature (r, s): each is the same (r, s) pair, or the same
/// pair up to reduction mod n, and none is DER.
fn lax_forms(r: &[u8; 32], s: &[u8; 32]) -> Vec<(&'static str, Vec<u8>)> {
    let (ri, si) = (minimal(r), minimal(s));
    let body = [tlv(0x02, &ri), tlv(0x02, &si)].concat();
    let padded = |v: &[u8]| [&[0u8][..], v].concat();
    let long_seq = [&[0x30, 0x81, body.len() as u8][..], &body].concat();
    let long_seq2 = [&[0x30, 0x82, 0x00, body.len() as u8][..], &body].concat();
    let long_int = tlv(
        0x30,
        &[
            [&[0x02, 0x81, ri.len() as u8][..], &ri].concat(),
            tlv(0x02, &si),
        ]
        .concat(),
    );
    let indefinite = [&[0x30, 0x80][..], &body, &[0x00, 0x00]].concat();
    let unpadded_r = der(&ri[1..], &si); // r ≥ 2^255: without its pad it reads as negative
    let mut forms = vec![
        ("r with an extra 0x00", der(&padded(&ri), &si)),
        ("s with an extra 0x00", der(&ri, &padded(&si))),
        ("s with two extra 0x00", der(&ri, &padded(&padded(&si)))),
        (
            "r and s as fixed 33-byte integers",
            der(&padded(r), &padded(s)),
        ),
        ("SEQUENCE length in long form", long_seq),
        ("SEQUENCE length in long form, two bytes", long_seq2),
        ("INTEGER length in long form", long_int),
        ("indefinite length (BER)", indefinite),
        ("r negative (its 0x00 pad dropped)", unpadded_r),
        ("r + n (33 bytes)", der(&minimal(&plus_n(r)), &si)),
        ("s + n (33 bytes)", der(&ri, &minimal(&plus_n(s)))),
    ];
    for (what, tail) in [
        ("a trailing 0x00", &[0x00][..]),
        ("trailing NULL", &[0x05, 0x00]),
        ("a trailing empty SEQUENCE", &[0x30, 0x00]),
    ] {
        forms.push((what, [&der(&ri, &si)[..], tail].concat()));
    }
    forms.push((
        "a third INTEGER inside the SEQUENCE",
        tlv(0x30, &[body.clone(), tlv(0x02, &[1])].concat()),
    ));
    forms.push((
        "a trailing byte inside the SEQUENCE",
        tlv(0x30, &[body.clone(), vec![0x00]].concat()),
    ));
    // (With s ≥ 2^255, as for a high-S twin, the fixed-width form is the DER one.)
    let strict = der(&ri, &si);
    forms.retain(|(_, form)| *form != strict);
    forms
}

/// Encodings that are not a signature at all, or not of this one.
fn malformed(r: &[u8; 32], s: &[u8; 32]) -> Vec<(&'static str, Vec<u8>)> {
    let (ri, si) = (minimal(r), minimal(s));
    let good = der(&ri, &si);
    vec![
        ("empty", vec![]),
        ("an empty SEQUENCE", vec![0x30, 0x00]),
        ("a lone tag", vec![0x30]),
        ("r‖s raw (64 bytes)", [&r[..], &s[..]].concat()),
        ("truncated by one byte", good[..good.len() - 1].to_vec()),
        ("SEQUENCE length one too long", {
            let mut x = good.clone();
            x[1] += 1;
            x
        }),
        (
            "SET instead of SEQUENCE",
            [&[0x31][..], &good[1..]].concat(),
        ),
        ("BIT STRING instead of INTEGER", {
            let mut x = good.clone();
            x[2] = 0x03;
            x
        }),
        ("r = 0", der(&[0], &si)),
        ("s = 0", der(&ri, &[0])),
        ("r = n", der(&minimal(&N), &si)),
        ("s = n", der(&ri, &minimal(&N))),
        ("an empty INTEGER", der(&[], &si)),
        ("r and s swapped", der(&si, &ri)),
        ("300 bytes of 0xff", vec![0xff; 300]),
    ]
}

#[test]
fn high_s_by_flipping_s_verifies() {
    let f = Fixture::new();
    for i in 0..16 {
        let d = digest(i);
        let sig = f.sign(&d);
        let (r, s) = scalars(&sig);
        let parsed = k256::ecdsa::Signature::from_der(&sig).unwrap();
        assert!(!bool::from(parsed.s().is_high()), "akms signs low-S");
        let high = der(&minimal(&r), &minimal(&n_minus(&s)));
        let twin = k256::ecdsa::Signature::from_der(&high).unwrap();
        assert!(bool::from(twin.s().is_high()));
        assert!(f.verify(&d, &sig));
        assert!(
            f.verify(&d, &high),
            "the high-S twin of {sig:02x?} is refused"
        );
        // Over a RAW message too, and not over another digest.
        let raw = i.to_be_bytes();
        assert!(f
            .store
            .asymmetric_verify(
                &f.key,
                &f.version,
                Algorithm::EcdsaSha256,
                MessageType::Raw,
                &raw,
                &high
            )
            .unwrap());
        assert!(!f.verify(&digest(i + 1000), &high));
    }
}

#[test]
fn lax_der_forms_of_a_valid_signature_are_refused() {
    let f = Fixture::new();
    let (d, sig) = signature_with_high_r(&f);
    let (r, s) = scalars(&sig);
    assert!(f.verify(&d, &sig));
    let mut lax_accepted = Vec::new();
    for (what, form) in lax_forms(&r, &s) {
        assert_ne!(form, sig, "{what}");
        assert!(!f.verify(&d, &form), "{what} verified: {form:02x?}");
        if lax_verifies(&d, &form) {
            lax_accepted.push(what);
        }
    }
    // The high-S twin in a lax form is refused as well.
    let high = n_minus(&s);
    for (what, form) in lax_forms(&r, &high) {
        assert!(!f.verify(&d, &form), "high-S, {what} verified: {form:02x?}");
    }
    println!("a lax parser accepts and verifies: {lax_accepted:#?}");
    // Every form but the out-of-range ones (r + n, s + n) is a valid signature to a lax parser.
    #[cfg(feature = "libsecp256k1")]
    for (what, _) in lax_forms(&r, &s) {
        assert!(
            what.contains("+ n") || lax_accepted.contains(&what),
            "{what}: not a lax form of the signature, so its refusal proves nothing"
        );
    }
}

#[test]
fn malformed_signatures_are_ok_and_false() {
    let f = Fixture::new();
    let d = digest(1);
    let (r, s) = scalars(&f.sign(&d));
    for (what, form) in malformed(&r, &s) {
        assert!(!f.verify(&d, &form), "{what} verified");
    }
    // Only a DIGEST of the wrong length is an error, whatever the signature.
    let err = f
        .store
        .asymmetric_verify(
            &f.key,
            &f.version,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &d[..31],
            b"\x30\x00",
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

/// Through the C ABI: `AKMS_OK` and `valid = false` for every lax and malformed form.
#[test]
fn c_abi_verify_of_lax_and_malformed_forms_is_ok_and_false() {
    let mut store = std::ptr::null_mut();
    // SAFETY: a valid out-pointer; the store is freed below.
    assert_eq!(unsafe { akms_store_new(&mut store) }, AKMS_OK);
    // The signatures are made with the same fixed key in a store of the Rust API.
    let f = Fixture::new();
    let d = digest(7);
    let sig = f.sign(&d);
    let (r, s) = scalars(&sig);
    let (key, version) = import_into(store);
    let (key, version) = (CString::new(key).unwrap(), CString::new(version).unwrap());
    let verify = |sig: &[u8], mut valid: bool| {
        // `valid` starts as the opposite of the expected answer: it must be written.
        let ptr = if sig.is_empty() { null() } else { sig.as_ptr() };
        // SAFETY: live store, NUL-terminated strings, 32-byte digest, (ptr, len) slices.
        let st = unsafe {
            akms_asymmetric_verify(
                store,
                key.as_ptr(),
                version.as_ptr(),
                AKMS_ALG_ECDSA_SHA_256,
                AKMS_MESSAGE_DIGEST,
                d.as_ptr(),
                32,
                ptr,
                sig.len(),
                &mut valid,
            )
        };
        (st, valid)
    };
    assert_eq!(verify(&sig, false), (AKMS_OK, true));
    let high = der(&minimal(&r), &minimal(&n_minus(&s)));
    assert_eq!(verify(&high, false), (AKMS_OK, true));
    for (what, form) in lax_forms(&r, &s).into_iter().chain(malformed(&r, &s)) {
        assert_eq!(verify(&form, true), (AKMS_OK, false), "{what}");
    }
    // SAFETY: the store made above, freed once.
    unsafe { akms_store_free(store) };
}

/// Imports the fixed key into a C-ABI store; returns its key and version ids.
fn import_into(store: *mut akms::ffi::store::akms_store) -> (String, String) {
    use akms::ffi::import::akms_import_key;
    use akms::ffi::memory::akms_string_free;
    use akms::ffi::types::AKMS_KEY_USAGE_SIGN_VERIFY;
    let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: live store, (ptr, len) of the key, NULL description, valid out-pointers.
    let st = unsafe {
        akms_import_key(
            store,
            AKMS_KEY_USAGE_SIGN_VERIFY,
            KEY.as_ptr(),
            KEY.len(),
            null(),
            &mut k,
            &mut v,
        )
    };
    assert_eq!(st, AKMS_OK);
    // SAFETY: NUL-terminated strings from akms, freed once after copying.
    unsafe {
        let out = (
            std::ffi::CStr::from_ptr(k).to_str().unwrap().to_owned(),
            std::ffi::CStr::from_ptr(v).to_str().unwrap().to_owned(),
        );
        akms_string_free(k);
        akms_string_free(v);
        out
    }
}

/// Signatures are RustCrypto's bytes (RFC 6979, low s), whichever library signs: akms's
/// signature with the fixed key equals `k256`'s for the same digest.
#[test]
fn signatures_are_the_same_bytes_as_rustcryptos() {
    let f = Fixture::new();
    let reference = k256::ecdsa::SigningKey::from_pkcs8_der(KEY).unwrap();
    for i in 0..16 {
        let d = digest(i);
        let theirs: k256::ecdsa::Signature = reference.sign_prehash(&d).unwrap();
        assert_eq!(f.sign(&d), theirs.to_der().as_bytes(), "digest {i}");
    }
    // And the public key is the same SubjectPublicKeyInfo.
    use pkcs8::EncodePublicKey;
    let spki = reference.verifying_key().to_public_key_der().unwrap();
    let pem = f.store.get_public_key(&f.key, &f.version).unwrap();
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(der, spki.as_bytes());
}

/// Whether libsecp256k1's lax parser reads `form` as a signature that verifies (after
/// normalizing s) under the fixed key; `false` in a build without libsecp256k1.
fn lax_verifies(digest: &[u8; 32], form: &[u8]) -> bool {
    #[cfg(feature = "libsecp256k1")]
    {
        use pkcs8::EncodePublicKey;
        let reference = k256::ecdsa::SigningKey::from_pkcs8_der(KEY).unwrap();
        let spki = reference.verifying_key().to_public_key_der().unwrap();
        let point = &spki.as_bytes()[spki.as_bytes().len() - 65..];
        let public = secp256k1::PublicKey::from_slice(point).unwrap();
        let Ok(mut sig) = secp256k1::ecdsa::Signature::from_der_lax(form) else {
            return false;
        };
        sig.normalize_s();
        secp256k1::Secp256k1::verification_only()
            .verify_ecdsa(secp256k1::Message::from_digest(*digest), &sig, &public)
            .is_ok()
    }
    #[cfg(not(feature = "libsecp256k1"))]
    {
        let _ = (digest, form);
        false
    }
}
