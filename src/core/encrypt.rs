//! AsymmetricEncrypt and AsymmetricDecrypt: RSAES-OAEP (SHA-1, SHA-256) and SM2PKE.

use rsa::Oaep;
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::{invalid, Error, Result};
use super::key_spec::Algorithm;
use super::keypair::KeyPair;

/// The message every decryption failure carries: the same for every bad ciphertext, so the
/// status and text reveal nothing about where decryption failed.
const DECRYPTION_FAILED: &str = "the ciphertext could not be decrypted with this key version";

fn wrong_key(alg: Algorithm) -> Error {
    Error::Incompatible(format!("algorithm {alg} does not fit this key"))
}

/// Encrypts `plaintext` for `pair` under `alg`, checking the plaintext size limits of SPEC.
/// SM2PKE ciphertexts are GB/T 32918 DER `SEQUENCE{x, y, C3, C2}`.
pub fn encrypt(pair: &KeyPair, alg: Algorithm, plaintext: &[u8]) -> Result<Vec<u8>> {
    let max = alg
        .max_plaintext_len(pair.spec())
        .ok_or_else(|| wrong_key(alg))?;
    if plaintext.len() > max {
        return Err(invalid(format!(
            "plaintext is {} bytes, {alg} with {} takes at most {max}",
            plaintext.len(),
            pair.spec()
        )));
    }
    let mut rng = rand::rng();
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("encryption failed: {e}"));
    match (alg, pair) {
        (Algorithm::RsaesOaepSha1, KeyPair::Rsa { public, .. }) => public
            .encrypt(&mut rng, Oaep::<Sha1>::new(), plaintext)
            .map_err(|e| failed(&e)),
        (Algorithm::RsaesOaepSha256, KeyPair::Rsa { public, .. }) => public
            .encrypt(&mut rng, Oaep::<Sha256>::new(), plaintext)
            .map_err(|e| failed(&e)),
        (Algorithm::Sm2Pke, KeyPair::Sm2 { decrypting, .. }) => {
            if plaintext.is_empty() {
                return Err(invalid("SM2PKE plaintext must be at least 1 byte"));
            }
            decrypting
                .encrypting_key()
                .encrypt_der(&mut rng, plaintext)
                .map_err(|e| failed(&e))
        }
        _ => Err(wrong_key(alg)),
    }
}

/// Decrypts `ciphertext` with `pair` under `alg`. SM2PKE takes the DER form or the raw
/// `04‖x‖y‖C3‖C2` form. Every bad ciphertext is `DecryptionFailed` with the same message.
pub fn decrypt(pair: &KeyPair, alg: Algorithm, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let plain = match (alg, pair) {
        (Algorithm::RsaesOaepSha1, KeyPair::Rsa { private, .. }) => {
            let mut rng = rand::rng();
            private
                .decrypt_blinded(&mut rng, Oaep::<Sha1>::new(), ciphertext)
                .ok()
        }
        (Algorithm::RsaesOaepSha256, KeyPair::Rsa { private, .. }) => {
            let mut rng = rand::rng();
            private
                .decrypt_blinded(&mut rng, Oaep::<Sha256>::new(), ciphertext)
                .ok()
        }
        (Algorithm::Sm2Pke, KeyPair::Sm2 { decrypting, .. }) => match ciphertext.first() {
            Some(0x30) => decrypting.decrypt_der(ciphertext).ok(),
            Some(0x04) => decrypting.decrypt(ciphertext).ok(),
            _ => None,
        },
        _ => return Err(wrong_key(alg)),
    };
    plain
        .map(Zeroizing::new)
        .ok_or_else(|| Error::DecryptionFailed(DECRYPTION_FAILED.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::key_spec::KeySpec;

    #[test]
    fn sm2_round_trips_in_both_ciphertext_forms() {
        let pair = KeyPair::generate(KeySpec::EcSm2).unwrap();
        let ct = encrypt(&pair, Algorithm::Sm2Pke, b"secret").unwrap();
        assert_eq!(ct[0], 0x30);
        assert_eq!(
            &decrypt(&pair, Algorithm::Sm2Pke, &ct).unwrap()[..],
            b"secret"
        );
        let KeyPair::Sm2 { decrypting, .. } = &pair else {
            unreachable!()
        };
        let raw = decrypting
            .encrypting_key()
            .encrypt(&mut rand::rng(), b"raw form")
            .unwrap();
        assert_eq!(raw[0], 0x04);
        assert_eq!(
            &decrypt(&pair, Algorithm::Sm2Pke, &raw).unwrap()[..],
            b"raw form"
        );
        assert!(matches!(
            encrypt(&pair, Algorithm::Sm2Pke, b""),
            Err(Error::InvalidArgument(_))
        ));
        assert!(encrypt(&pair, Algorithm::Sm2Pke, &[7u8; 6047]).is_ok());
        assert!(matches!(
            encrypt(&pair, Algorithm::Sm2Pke, &[7u8; 6048]),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn garbage_ciphertext_is_decryption_failed() {
        let pair = KeyPair::generate(KeySpec::EcSm2).unwrap();
        for ct in [&b""[..], b"\x30\x03\x02\x01\x01", b"\x04abc", b"xyz"] {
            assert!(matches!(
                decrypt(&pair, Algorithm::Sm2Pke, ct),
                Err(Error::DecryptionFailed(_))
            ));
        }
    }

    #[test]
    fn rsa_oaep_round_trips_and_enforces_limits() {
        let pair = KeyPair::generate(KeySpec::Rsa2048).unwrap();
        for (alg, max) in [
            (Algorithm::RsaesOaepSha1, 214),
            (Algorithm::RsaesOaepSha256, 190),
        ] {
            let msg = vec![0x5a; max];
            let ct = encrypt(&pair, alg, &msg).unwrap();
            assert_eq!(ct.len(), 256);
            assert_eq!(&decrypt(&pair, alg, &ct).unwrap()[..], &msg[..]);
            assert!(matches!(
                encrypt(&pair, alg, &vec![0; max + 1]),
                Err(Error::InvalidArgument(_))
            ));
            let empty = encrypt(&pair, alg, b"").unwrap();
            assert!(decrypt(&pair, alg, &empty).unwrap().is_empty());
            let mut bad = ct.clone();
            bad[10] ^= 0x80;
            assert!(matches!(
                decrypt(&pair, alg, &bad),
                Err(Error::DecryptionFailed(_))
            ));
            assert!(matches!(
                decrypt(&pair, alg, b"short"),
                Err(Error::DecryptionFailed(_))
            ));
        }
    }
}
