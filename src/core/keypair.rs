//! Key material: one key pair of any spec, generated fresh or read from PKCS#8, and the
//! public key as PEM SubjectPublicKeyInfo. Private material zeroizes on drop.

use p256::elliptic_curve::Generate;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

use super::error::{invalid, Error, Result};
use super::key_spec::KeySpec;
use super::secret::Wiped;

/// The SM2 distinguishing identifier every SM2 signature uses (GB/T 32918 default).
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// A key pair of one of the five specs.
pub enum KeyPair {
    /// RSA_2048 or RSA_3072 (public part cached for encryption and verification).
    Rsa {
        private: Box<RsaPrivateKey>,
        public: RsaPublicKey,
    },
    /// EC_P256.
    P256(p256::ecdsa::SigningKey),
    /// EC_P256K.
    K256(k256::ecdsa::SigningKey),
    /// EC_SM2: the secret key and the signing / decrypting keys made from it once.
    Sm2 {
        secret: sm2::SecretKey,
        signing: Wiped<sm2::dsa::SigningKey>,
        decrypting: Wiped<sm2::pke::DecryptingKey>,
    },
}

impl KeyPair {
    /// Generates a fresh key pair of `spec` from the operating system's random source.
    pub fn generate(spec: KeySpec) -> Result<KeyPair> {
        let mut rng = rand::rngs::SysRng;
        let mut rng = rand::rand_core::UnwrapErr(&mut rng);
        match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 => {
                let bits = if spec == KeySpec::Rsa2048 { 2048 } else { 3072 };
                let private = RsaPrivateKey::new(&mut rng, bits)
                    .map_err(|e| Error::Internal(format!("RSA key generation failed: {e}")))?;
                Ok(KeyPair::rsa(private))
            }
            KeySpec::EcP256 => Ok(KeyPair::P256(Generate::generate_from_rng(&mut rng))),
            KeySpec::EcP256k => Ok(KeyPair::K256(Generate::generate_from_rng(&mut rng))),
            KeySpec::EcSm2 => KeyPair::sm2(Generate::generate_from_rng(&mut rng)),
        }
    }

    fn rsa(private: RsaPrivateKey) -> KeyPair {
        let public = private.to_public_key();
        KeyPair::Rsa {
            private: Box::new(private),
            public,
        }
    }

    fn sm2(secret: sm2::SecretKey) -> Result<KeyPair> {
        let scalar = secret.to_nonzero_scalar();
        let signing = sm2::dsa::SigningKey::from_nonzero_scalar(SM2_DEFAULT_ID, scalar)
            .map_err(|_| Error::Internal("SM2 signing key could not be made".into()))?;
        let decrypting = sm2::pke::DecryptingKey::new_with_mode(scalar, sm2::pke::Mode::C1C3C2);
        Ok(KeyPair::Sm2 {
            secret,
            signing: Wiped::new(signing),
            decrypting: Wiped::new(decrypting),
        })
    }

    /// The key spec of this pair.
    pub fn spec(&self) -> KeySpec {
        match self {
            KeyPair::Rsa { public, .. } => {
                if public.size() <= 256 {
                    KeySpec::Rsa2048
                } else {
                    KeySpec::Rsa3072
                }
            }
            KeyPair::P256(_) => KeySpec::EcP256,
            KeyPair::K256(_) => KeySpec::EcP256k,
            KeyPair::Sm2 { .. } => KeySpec::EcSm2,
        }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        let doc = match self {
            KeyPair::Rsa { public, .. } => public.to_public_key_der(),
            KeyPair::P256(k) => k.verifying_key().to_public_key_der(),
            KeyPair::K256(k) => k.verifying_key().to_public_key_der(),
            KeyPair::Sm2 { secret, .. } => secret.public_key().to_public_key_der(),
        };
        doc.map(|d| d.into_vec())
            .map_err(|e| Error::Internal(format!("public key encoding failed: {e}")))
    }

    /// The public key as PEM `PUBLIC KEY` (SubjectPublicKeyInfo), LF line endings.
    pub fn public_key_pem(&self) -> Result<String> {
        let pem = match self {
            KeyPair::Rsa { public, .. } => public.to_public_key_pem(LineEnding::LF),
            KeyPair::P256(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            KeyPair::K256(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            KeyPair::Sm2 { secret, .. } => secret.public_key().to_public_key_pem(LineEnding::LF),
        };
        pem.map_err(|e| Error::Internal(format!("public key encoding failed: {e}")))
    }

    /// The private key as unencrypted PKCS#8 DER, in a buffer that zeroizes on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = match self {
            KeyPair::Rsa { private, .. } => private.to_pkcs8_der(),
            KeyPair::P256(k) => k.to_pkcs8_der(),
            KeyPair::K256(k) => k.to_pkcs8_der(),
            KeyPair::Sm2 { secret, .. } => secret.to_pkcs8_der(),
        };
        doc.map(|d| Zeroizing::new(d.as_bytes().to_vec()))
            .map_err(|e| Error::Internal(format!("private key encoding failed: {e}")))
    }

    /// Reads an unencrypted PKCS#8 DER private key of `spec`.
    ///
    /// Keys of another spec, RSA keys of another size or exponent, and anything that does not
    /// parse are `InvalidArgument`.
    pub fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<KeyPair> {
        let bad =
            |e: &dyn std::fmt::Display| invalid(format!("not a {spec} PKCS#8 private key: {e}"));
        match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 => {
                let private = RsaPrivateKey::from_pkcs8_der(der).map_err(|e| bad(&e))?;
                let pair = KeyPair::rsa(private);
                if pair.spec() != spec || pair.rsa_bits() != Some(spec_bits(spec)) {
                    return Err(invalid(format!(
                        "RSA key has {} bits, {spec} needs {}",
                        pair.rsa_bits().unwrap_or(0),
                        spec_bits(spec)
                    )));
                }
                Ok(pair)
            }
            KeySpec::EcP256 => p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(KeyPair::P256)
                .map_err(|e| bad(&e)),
            KeySpec::EcP256k => k256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(KeyPair::K256)
                .map_err(|e| bad(&e)),
            KeySpec::EcSm2 => {
                KeyPair::sm2(sm2::SecretKey::from_pkcs8_der(der).map_err(|e| bad(&e))?)
            }
        }
    }

    /// The RSA modulus size in bits (`None` for EC keys).
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            KeyPair::Rsa { public, .. } => Some(public.n().bits() as usize),
            _ => None,
        }
    }
}

fn spec_bits(spec: KeySpec) -> usize {
    spec.rsa_modulus_len().unwrap_or(0) * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_pairs_round_trip_through_pkcs8() {
        for spec in [KeySpec::EcP256, KeySpec::EcP256k, KeySpec::EcSm2] {
            let pair = KeyPair::generate(spec).unwrap();
            assert_eq!(pair.spec(), spec);
            let der = pair.to_pkcs8_der().unwrap();
            let again = KeyPair::from_pkcs8_der(spec, &der).unwrap();
            assert_eq!(
                pair.public_key_pem().unwrap(),
                again.public_key_pem().unwrap()
            );
            assert!(pair
                .public_key_pem()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        }
    }

    #[test]
    fn a_key_of_another_spec_is_refused() {
        let pair = KeyPair::generate(KeySpec::EcP256).unwrap();
        let der = pair.to_pkcs8_der().unwrap();
        let err = KeyPair::from_pkcs8_der(KeySpec::EcP256k, &der)
            .err()
            .unwrap();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(KeyPair::from_pkcs8_der(KeySpec::Rsa2048, &der).is_err());
        assert!(KeyPair::from_pkcs8_der(KeySpec::EcSm2, b"garbage").is_err());
    }
}
