//! The `signature` crate's traits over this build's RSA, P-256 and secp256k1 keys, whichever
//! provider holds them, so that code written against those traits (the CSR builder of
//! `x509-cert`) signs with the provider's key and never sees its type.
//!
//! [`RsaPkcs1Signer`] signs sha256WithRSAEncryption (PKCS#1 v1.5, SHA-256) and
//! [`P256DerSigner`] ecdsa-with-SHA256 with DER signatures. Each hashes the message itself
//! ([`Message::Raw`]) and names its verifying key as a RustCrypto public key, read from the
//! provider's SubjectPublicKeyInfo. A libsecp256k1 secp256k1 key's [`K256Signer`] signs
//! ecdsa-with-SHA256 (DER), its verifying key the `k256` one the key keeps; the `k256` key of
//! the pure-Rust build already is such a signer.

use pkcs8::DecodePublicKey;
use sha2::Sha256;
use signature::{Keypair, Signer};
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};

#[cfg(feature = "libsecp256k1")]
pub use super::libsecp256k1::K256Signer;
use super::{encoding_failed, Message, P256Key, RsaKey, Signing};
use crate::core::error::Result;
use crate::core::key_spec::Algorithm;

/// Signs with an RSA key of this build under RSA_PKCS1_SHA_256 (sha256WithRSAEncryption).
pub struct RsaPkcs1Signer<'a> {
    key: &'a RsaKey,
    verifying: rsa::pkcs1v15::VerifyingKey<Sha256>,
}

impl<'a> RsaPkcs1Signer<'a> {
    /// The signer over `key`.
    pub fn new(key: &'a RsaKey) -> Result<Self> {
        let der = super::KeyMaterial::public_key_der(key)?;
        let public = rsa::RsaPublicKey::from_public_key_der(&der)
            .map_err(|e| encoding_failed("RSA public key", e))?;
        Ok(RsaPkcs1Signer {
            key,
            verifying: rsa::pkcs1v15::VerifyingKey::new(public),
        })
    }
}

impl Keypair for RsaPkcs1Signer<'_> {
    type VerifyingKey = rsa::pkcs1v15::VerifyingKey<Sha256>;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying.clone()
    }
}

impl SignatureAlgorithmIdentifier for RsaPkcs1Signer<'_> {
    type Params = <rsa::pkcs1v15::SigningKey<Sha256> as SignatureAlgorithmIdentifier>::Params;

    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<Self::Params> =
        <rsa::pkcs1v15::SigningKey<Sha256> as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl Signer<rsa::pkcs1v15::Signature> for RsaPkcs1Signer<'_> {
    fn try_sign(&self, msg: &[u8]) -> signature::Result<rsa::pkcs1v15::Signature> {
        let sig = self
            .key
            .sign(Algorithm::RsaPkcs1Sha256, Message::Raw(msg))
            .map_err(signature::Error::from_source)?;
        rsa::pkcs1v15::Signature::try_from(sig.as_slice())
    }
}

/// Signs with a P-256 key of this build under ECDSA_SHA_256, DER signatures
/// (ecdsa-with-SHA256).
pub struct P256DerSigner<'a> {
    key: &'a P256Key,
    verifying: p256::ecdsa::VerifyingKey,
}

impl<'a> P256DerSigner<'a> {
    /// The signer over `key`.
    pub fn new(key: &'a P256Key) -> Result<Self> {
        let der = super::KeyMaterial::public_key_der(key)?;
        let verifying = p256::ecdsa::VerifyingKey::from_public_key_der(&der)
            .map_err(|e| encoding_failed("P-256 public key", e))?;
        Ok(P256DerSigner { key, verifying })
    }
}

impl Keypair for P256DerSigner<'_> {
    type VerifyingKey = p256::ecdsa::VerifyingKey;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying
    }
}

impl SignatureAlgorithmIdentifier for P256DerSigner<'_> {
    type Params = <p256::ecdsa::SigningKey as SignatureAlgorithmIdentifier>::Params;

    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<Self::Params> =
        <p256::ecdsa::SigningKey as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl Signer<p256::ecdsa::DerSignature> for P256DerSigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> signature::Result<p256::ecdsa::DerSignature> {
        let sig = self
            .key
            .sign(Algorithm::EcdsaSha256, Message::Raw(msg))
            .map_err(signature::Error::from_source)?;
        p256::ecdsa::DerSignature::try_from(sig.as_slice())
    }
}

#[cfg(feature = "libsecp256k1")]
mod k256_signer {
    use super::*;

    impl Keypair for K256Signer {
        type VerifyingKey = k256::ecdsa::VerifyingKey;

        fn verifying_key(&self) -> Self::VerifyingKey {
            *K256Signer::verifying_key(self)
        }
    }

    impl SignatureAlgorithmIdentifier for K256Signer {
        type Params = <k256::ecdsa::SigningKey as SignatureAlgorithmIdentifier>::Params;

        const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<Self::Params> =
            <k256::ecdsa::SigningKey as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
    }

    impl Signer<k256::ecdsa::DerSignature> for K256Signer {
        fn try_sign(&self, msg: &[u8]) -> signature::Result<k256::ecdsa::DerSignature> {
            let sig = self.sign_digest(Message::Raw(msg).sha256());
            k256::ecdsa::DerSignature::try_from(sig.as_slice())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::key_spec::KeySpec;
    use crate::core::provider::KeyMaterial;
    use signature::Verifier;

    #[test]
    fn rsa_signer_signs_what_rustcrypto_verifies() {
        let key = RsaKey::generate(KeySpec::Rsa2048).unwrap();
        let signer = RsaPkcs1Signer::new(&key).unwrap();
        let sig: rsa::pkcs1v15::Signature = signer.try_sign(b"to be signed").unwrap();
        signer
            .verifying_key()
            .verify(b"to be signed", &sig)
            .unwrap();
        assert!(signer.verifying_key().verify(b"other", &sig).is_err());
        assert_eq!(
            RsaPkcs1Signer::SIGNATURE_ALGORITHM_IDENTIFIER
                .oid
                .to_string(),
            "1.2.840.113549.1.1.11"
        );
    }

    #[test]
    fn p256_signer_signs_what_rustcrypto_verifies() {
        let key = P256Key::generate(KeySpec::EcP256).unwrap();
        let signer = P256DerSigner::new(&key).unwrap();
        let sig: p256::ecdsa::DerSignature = signer.try_sign(b"to be signed").unwrap();
        let sig = p256::ecdsa::Signature::from_der(sig.as_bytes()).unwrap();
        signer
            .verifying_key()
            .verify(b"to be signed", &sig)
            .unwrap();
        assert_eq!(
            P256DerSigner::SIGNATURE_ALGORITHM_IDENTIFIER
                .oid
                .to_string(),
            "1.2.840.10045.4.3.2"
        );
    }

    #[cfg(feature = "libsecp256k1")]
    #[test]
    fn k256_signer_signs_what_rustcrypto_verifies() {
        let key = crate::core::provider::K256Key::generate(KeySpec::EcP256k).unwrap();
        let signer = key.signing_key();
        let sig: k256::ecdsa::DerSignature = signer.try_sign(b"to be signed").unwrap();
        let sig = k256::ecdsa::Signature::from_der(sig.as_bytes()).unwrap();
        let verifying = Keypair::verifying_key(signer);
        verifying.verify(b"to be signed", &sig).unwrap();
        assert!(verifying.verify(b"other", &sig).is_err());
        assert_eq!(
            K256Signer::SIGNATURE_ALGORITHM_IDENTIFIER.oid.to_string(),
            "1.2.840.10045.4.3.2"
        );
    }
}
