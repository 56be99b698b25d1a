//! Key material: one key pair of any spec, generated fresh or read from PKCS#8, and the
//! public key as PEM SubjectPublicKeyInfo. Which library holds each spec's keys is decided in
//! [`provider`](super::provider); private material is wiped on drop.

use der::pem::LineEnding;
use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::key_spec::KeySpec;
use super::provider::{self, Encryption, K256Key, KeyMaterial, P256Key, RsaKey, Signing, Sm2Key};

pub use super::provider::rust_crypto::SM2_DEFAULT_ID;

/// Runs `$body` with `$k` bound to the pair's key, whatever its spec.
macro_rules! each_key {
    ($pair:expr, $k:ident => $body:expr) => {
        match $pair {
            KeyPair::Rsa($k) => $body,
            KeyPair::P256($k) => $body,
            KeyPair::K256($k) => $body,
            KeyPair::Sm2($k) => $body,
        }
    };
}

/// A key pair of one of the five specs.
pub enum KeyPair {
    /// RSA_2048 or RSA_3072.
    Rsa(RsaKey),
    /// EC_P256.
    P256(P256Key),
    /// EC_P256K.
    K256(K256Key),
    /// EC_SM2.
    Sm2(Sm2Key),
}

impl KeyPair {
    /// Generates a fresh key pair of `spec` from the operating system's random source.
    pub fn generate(spec: KeySpec) -> Result<KeyPair> {
        Ok(match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 => KeyPair::Rsa(RsaKey::generate(spec)?),
            KeySpec::EcP256 => KeyPair::P256(P256Key::generate(spec)?),
            KeySpec::EcP256k => KeyPair::K256(K256Key::generate(spec)?),
            KeySpec::EcSm2 => KeyPair::Sm2(Sm2Key::generate(spec)?),
        })
    }

    /// The key spec of this pair.
    pub fn spec(&self) -> KeySpec {
        each_key!(self, k => k.spec())
    }

    /// Signing and verification with this pair (every spec signs).
    pub fn signer(&self) -> &dyn Signing {
        each_key!(self, k => k)
    }

    /// Encryption and decryption with this pair (RSA and SM2 only).
    pub fn encryption(&self) -> Option<&dyn Encryption> {
        match self {
            KeyPair::Rsa(k) => Some(k),
            KeyPair::Sm2(k) => Some(k),
            KeyPair::P256(_) | KeyPair::K256(_) => None,
        }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        each_key!(self, k => k.public_key_der())
    }

    /// The public key as PEM `PUBLIC KEY` (SubjectPublicKeyInfo), LF line endings.
    pub fn public_key_pem(&self) -> Result<String> {
        let der = self.public_key_der()?;
        der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &der)
            .map_err(|e| Error::Internal(format!("public key encoding failed: {e}")))
    }

    /// The private key as unencrypted PKCS#8 DER, in a buffer that zeroizes on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        each_key!(self, k => k.to_pkcs8_der())
    }

    /// Reads an unencrypted PKCS#8 DER private key of `spec`.
    ///
    /// Keys of another spec, RSA keys of another size, and anything that does not parse are
    /// `InvalidArgument`.
    pub fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<KeyPair> {
        Ok(match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 => KeyPair::Rsa(RsaKey::from_pkcs8_der(spec, der)?),
            KeySpec::EcP256 => KeyPair::P256(P256Key::from_pkcs8_der(spec, der)?),
            KeySpec::EcP256k => KeyPair::K256(K256Key::from_pkcs8_der(spec, der)?),
            KeySpec::EcSm2 => KeyPair::Sm2(Sm2Key::from_pkcs8_der(spec, der)?),
        })
    }

    /// The RSA modulus size in bits (`None` for EC keys).
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            KeyPair::Rsa(k) => Some(provider::rsa_bits(k.spec())),
            _ => None,
        }
    }
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
