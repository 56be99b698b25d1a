//! AsymmetricSign and AsymmetricVerify: RSA-PSS, RSA PKCS#1 v1.5, ECDSA (P-256, secp256k1)
//! and SM2DSA, over a 32-byte digest or a raw message.

use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pss::Pss;
use sha2::{Digest, Sha256};
use signature::hazmat::{PrehashSigner, PrehashVerifier};
use signature::{Signer, Verifier};

use super::error::{invalid, Error, Result};
use super::key_spec::{Algorithm, MessageType};
use super::keypair::KeyPair;

/// The digest length every signing algorithm takes (SHA-256, or SM3 for SM2DSA).
pub const DIGEST_LEN: usize = 32;

/// The PSS salt length, as SPEC fixes it.
const PSS_SALT_LEN: usize = 32;

/// Checks the shape of sign/verify data before any key is looked up: a DIGEST is 32 bytes.
pub fn check_data(message_type: MessageType, data: &[u8]) -> Result<()> {
    if message_type == MessageType::Digest && data.len() != DIGEST_LEN {
        return Err(invalid(format!(
            "a DIGEST must be {DIGEST_LEN} bytes, got {}",
            data.len()
        )));
    }
    Ok(())
}

/// The 32-byte SHA-256 digest the RSA and ECDSA algorithms sign: the digest as given, or the
/// message hashed. (SM2DSA hashes a RAW message itself, as SM3(Z‖M).)
fn sha256_of(message_type: MessageType, data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut out = [0u8; DIGEST_LEN];
    match message_type {
        MessageType::Digest => out.copy_from_slice(data),
        MessageType::Raw => out.copy_from_slice(&Sha256::digest(data)),
    }
    out
}

fn wrong_key(alg: Algorithm) -> Error {
    Error::Incompatible(format!("algorithm {alg} does not fit this key"))
}

fn sign_failed(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("signing failed: {e}"))
}

/// Signs `data` (a digest or a raw message) with `pair` under `alg`. The algorithm must fit the
/// pair's spec; ECDSA and SM2 signatures are DER `SEQUENCE{r,s}`.
pub fn sign(
    pair: &KeyPair,
    alg: Algorithm,
    message_type: MessageType,
    data: &[u8],
) -> Result<Vec<u8>> {
    check_data(message_type, data)?;
    let digest = sha256_of(message_type, data);
    match (alg, pair) {
        (Algorithm::RsaPssSha256, KeyPair::Rsa { private, .. }) => {
            let mut rng = rand::rng();
            private
                .sign_with_rng(
                    &mut rng,
                    Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
                    &digest,
                )
                .map_err(sign_failed)
        }
        (Algorithm::RsaPkcs1Sha256, KeyPair::Rsa { private, .. }) => {
            let mut rng = rand::rng();
            private
                .sign_with_rng(&mut rng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                .map_err(sign_failed)
        }
        (Algorithm::EcdsaSha256, KeyPair::P256(key)) => {
            let sig: p256::ecdsa::Signature = key.sign_prehash(&digest).map_err(sign_failed)?;
            Ok(sig.to_der().to_bytes().into_vec())
        }
        (Algorithm::EcdsaSha256, KeyPair::K256(key)) => {
            let sig: k256::ecdsa::Signature = key.sign_prehash(&digest).map_err(sign_failed)?;
            Ok(sig.to_der().to_bytes().into_vec())
        }
        (Algorithm::Sm2Dsa, KeyPair::Sm2 { signing, .. }) => {
            let sig: sm2::dsa::Signature = match message_type {
                MessageType::Digest => signing.sign_prehash(data),
                MessageType::Raw => signing.try_sign(data),
            }
            .map_err(sign_failed)?;
            Ok(sig.to_der().to_vec())
        }
        _ => Err(wrong_key(alg)),
    }
}

/// Verifies `signature` over `data` with `pair` under `alg`. A malformed or wrong signature is
/// `Ok(false)`; only an algorithm that does not fit the key, or a DIGEST of the wrong length,
/// is an error. ECDSA accepts high-S signatures as well as low-S ones.
pub fn verify(
    pair: &KeyPair,
    alg: Algorithm,
    message_type: MessageType,
    data: &[u8],
    signature: &[u8],
) -> Result<bool> {
    check_data(message_type, data)?;
    let digest = sha256_of(message_type, data);
    let valid = match (alg, pair) {
        (Algorithm::RsaPssSha256, KeyPair::Rsa { public, .. }) => public
            .verify(
                Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
                &digest,
                signature,
            )
            .is_ok(),
        (Algorithm::RsaPkcs1Sha256, KeyPair::Rsa { public, .. }) => public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            .is_ok(),
        (Algorithm::EcdsaSha256, KeyPair::P256(key)) => {
            match p256::ecdsa::Signature::from_der(signature) {
                Ok(sig) => {
                    let sig = sig.normalize_s();
                    key.verifying_key().verify_prehash(&digest, &sig).is_ok()
                }
                Err(_) => false,
            }
        }
        (Algorithm::EcdsaSha256, KeyPair::K256(key)) => {
            match k256::ecdsa::Signature::from_der(signature) {
                Ok(sig) => {
                    let sig = sig.normalize_s();
                    key.verifying_key().verify_prehash(&digest, &sig).is_ok()
                }
                Err(_) => false,
            }
        }
        (Algorithm::Sm2Dsa, KeyPair::Sm2 { signing, .. }) => {
            match sm2::dsa::Signature::from_der(signature) {
                Ok(sig) => {
                    let key = signing.verifying_key();
                    match message_type {
                        MessageType::Digest => key.verify_prehash(data, &sig).is_ok(),
                        MessageType::Raw => key.verify(data, &sig).is_ok(),
                    }
                }
                Err(_) => false,
            }
        }
        _ => return Err(wrong_key(alg)),
    };
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::key_spec::KeySpec;
    use k256::elliptic_curve::scalar::IsHigh;

    fn round_trip(spec: KeySpec, alg: Algorithm) {
        let pair = KeyPair::generate(spec).unwrap();
        let msg = b"the quick brown fox";
        for mt in [MessageType::Raw, MessageType::Digest] {
            let data: Vec<u8> = match mt {
                MessageType::Raw => msg.to_vec(),
                MessageType::Digest => Sha256::digest(msg).to_vec(),
            };
            let sig = sign(&pair, alg, mt, &data).unwrap();
            assert!(verify(&pair, alg, mt, &data, &sig).unwrap());
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(!verify(&pair, alg, mt, &data, &bad).unwrap());
            assert!(!verify(&pair, alg, mt, &data, b"").unwrap());
        }
    }

    #[test]
    fn ec_sign_verify_round_trips() {
        round_trip(KeySpec::EcP256, Algorithm::EcdsaSha256);
        round_trip(KeySpec::EcP256k, Algorithm::EcdsaSha256);
        round_trip(KeySpec::EcSm2, Algorithm::Sm2Dsa);
    }

    #[test]
    fn rsa_sign_verify_round_trips() {
        round_trip(KeySpec::Rsa2048, Algorithm::RsaPssSha256);
        round_trip(KeySpec::Rsa2048, Algorithm::RsaPkcs1Sha256);
    }

    #[test]
    fn high_s_ecdsa_signatures_verify() {
        let pair = KeyPair::generate(KeySpec::EcP256k).unwrap();
        let digest = Sha256::digest(b"m");
        let sig = sign(&pair, Algorithm::EcdsaSha256, MessageType::Digest, &digest).unwrap();
        let sig = k256::ecdsa::Signature::from_der(&sig).unwrap();
        let (r, s) = sig.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        assert!(bool::from(high.s().is_high()) != bool::from(sig.s().is_high()));
        let der = high.to_der();
        assert!(verify(
            &pair,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
            der.as_bytes()
        )
        .unwrap());
    }

    #[test]
    fn wrong_digest_length_and_wrong_algorithm_are_errors() {
        let pair = KeyPair::generate(KeySpec::EcP256).unwrap();
        assert!(matches!(
            sign(
                &pair,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                &[0u8; 31]
            ),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            sign(&pair, Algorithm::Sm2Dsa, MessageType::Digest, &[0u8; 32]),
            Err(Error::Incompatible(_))
        ));
    }
}
