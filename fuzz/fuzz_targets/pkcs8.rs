//! PKCS#8 private key import: arbitrary DER read as a key of each of the five specs.
//!
//! Input: `[spec selector] der...`. The bytes either make a key pair of exactly that spec
//! (which must then sign, verify its own signature and give a public key) or are refused
//! with `InvalidArgument`; anything else, or a panic, is a crash.
#![no_main]

use akms::core::keypair::KeyPair;
use akms::core::sign;
use akms::{Algorithm, Error, KeySpec, MessageType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, der)) = data.split_first() else {
        return;
    };
    let spec = KeySpec::ALL[selector as usize % KeySpec::ALL.len()];
    match KeyPair::from_pkcs8_der(spec, der) {
        Ok(pair) => {
            assert_eq!(pair.spec(), spec);
            pair.public_key_pem()
                .expect("an imported key has a public key");
            let alg = match spec {
                KeySpec::Rsa2048 | KeySpec::Rsa3072 => Algorithm::RsaPkcs1Sha256,
                KeySpec::EcP256 | KeySpec::EcP256k => Algorithm::EcdsaSha256,
                KeySpec::EcSm2 => Algorithm::Sm2Dsa,
            };
            // An imported key must be usable: a key that parses but cannot sign, or signs
            // what it cannot verify, is a bug (e.g. an RSA key whose CRT values disagree).
            match sign::sign(&pair, alg, MessageType::Raw, b"akms fuzz") {
                Ok(sig) => assert!(
                    sign::verify(&pair, alg, MessageType::Raw, b"akms fuzz", &sig).unwrap(),
                    "an imported {spec} key signed what it cannot verify"
                ),
                Err(e) => panic!("an imported {spec} key cannot sign: {e:?}"),
            }
        }
        Err(Error::InvalidArgument(_)) => {}
        Err(e) => panic!("{spec}: unexpected {e:?}"),
    }
});
