//! PKCS#8 private key import: arbitrary DER through the import path (`read_pkcs8`, which finds
//! the spec from the key) and read as a key of one given spec (`KeyPair::from_pkcs8_der`).
//!
//! Input: `[spec selector] der...`. The bytes either make a key pair (which must then be
//! usable: sign, verify its own signature, give a public key) or are refused with
//! `InvalidArgument`; anything else, or a panic, is a crash.
#![no_main]

use akms::core::import::read_pkcs8;
use akms::core::keypair::KeyPair;
use akms::core::sign;
use akms::{Algorithm, Error, KeySpec, MessageType};
use libfuzzer_sys::fuzz_target;

/// An accepted key must be usable: a key that parses but cannot sign, or signs what it cannot
/// verify, is a bug (e.g. an RSA key whose CRT values disagree with n).
fn check_usable(pair: &KeyPair) {
    let spec = pair.spec();
    pair.public_key_pem()
        .expect("an imported key has a public key");
    let alg = match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => Algorithm::RsaPkcs1Sha256,
        KeySpec::EcP256 | KeySpec::EcP256k => Algorithm::EcdsaSha256,
        KeySpec::EcSm2 => Algorithm::Sm2Dsa,
    };
    match sign::sign(pair, alg, MessageType::Raw, b"akms fuzz") {
        Ok(sig) => assert!(
            sign::verify(pair, alg, MessageType::Raw, b"akms fuzz", &sig).unwrap(),
            "an imported {spec} key signed what it cannot verify"
        ),
        Err(e) => panic!("an imported {spec} key cannot sign: {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, der)) = data.split_first() else {
        return;
    };
    let imported = match read_pkcs8(der) {
        Ok(pair) => {
            check_usable(&pair);
            Some(pair.spec())
        }
        Err(Error::InvalidArgument(_)) => None,
        Err(e) => panic!("import: unexpected {e:?}"),
    };
    let spec = KeySpec::ALL[selector as usize % KeySpec::ALL.len()];
    match KeyPair::from_pkcs8_der(spec, der) {
        Ok(pair) => {
            assert_eq!(pair.spec(), spec);
            check_usable(&pair);
        }
        Err(Error::InvalidArgument(_)) => {
            // Import found this spec, yet the per-spec reader refuses the same bytes.
            assert_ne!(
                imported,
                Some(spec),
                "import and the {spec} reader disagree"
            );
        }
        Err(e) => panic!("{spec}: unexpected {e:?}"),
    }
});
