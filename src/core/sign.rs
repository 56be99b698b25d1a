//! AsymmetricSign and AsymmetricVerify: RSA-PSS, RSA PKCS#1 v1.5, ECDSA (P-256, secp256k1)
//! and SM2DSA, over a 32-byte digest or a raw message. The key pair's provider does the work.

use super::error::{invalid, Error, Result};
use super::key_spec::{Algorithm, KeyUsage, MessageType};
use super::keypair::KeyPair;
use super::provider::Message;

pub use super::provider::DIGEST_LEN;

/// Checks the shape of sign/verify data before any key is looked up: a DIGEST is 32 bytes.
pub fn check_data(message_type: MessageType, data: &[u8]) -> Result<()> {
    message(message_type, data).map(|_| ())
}

/// The data as a [`Message`]: a DIGEST must be exactly 32 bytes.
fn message(message_type: MessageType, data: &[u8]) -> Result<Message<'_>> {
    match message_type {
        MessageType::Raw => Ok(Message::Raw(data)),
        MessageType::Digest => data.try_into().map(Message::Digest).map_err(|_| {
            invalid(format!(
                "a DIGEST must be {DIGEST_LEN} bytes, got {}",
                data.len()
            ))
        }),
    }
}

/// Checks `alg` is a signing algorithm for `pair`'s spec (`Incompatible` if not).
fn check_fits(pair: &KeyPair, alg: Algorithm) -> Result<()> {
    if alg.usage() != KeyUsage::SignVerify || !alg.fits_spec(pair.spec()) {
        return Err(Error::Incompatible(format!(
            "algorithm {alg} does not fit this key"
        )));
    }
    Ok(())
}

/// Signs `data` (a digest or a raw message) with `pair` under `alg`. The algorithm must fit the
/// pair's spec; ECDSA and SM2 signatures are DER `SEQUENCE{r,s}`.
pub fn sign(
    pair: &KeyPair,
    alg: Algorithm,
    message_type: MessageType,
    data: &[u8],
) -> Result<Vec<u8>> {
    let message = message(message_type, data)?;
    check_fits(pair, alg)?;
    pair.signer().sign(alg, message)
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
    let message = message(message_type, data)?;
    check_fits(pair, alg)?;
    Ok(pair.signer().verify(alg, message, signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::key_spec::KeySpec;
    use k256::elliptic_curve::scalar::IsHigh;
    use sha2::{Digest, Sha256};

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
