//! The fast provider: RSA_2048, RSA_3072 and EC_P256 on AWS-LC, through `aws-lc-rs` (the
//! library rustls uses by default).
//!
//! Each key is parsed once into the AWS-LC objects every operation needs — the signing key,
//! the OAEP decrypting and encrypting keys, and one parsed public key per verification
//! algorithm — so no call parses a key again. AWS-LC's `EVP_PKEY` objects may be used from
//! many threads at once by its non-mutating functions, which are the only ones called here.
//! AWS-LC wipes every heap allocation when it frees it (`OPENSSL_free` cleanses), so private
//! key material does not outlive the key; the PKCS#8 copies made here are `Zeroizing`.

use aws_lc_rs::digest::{Digest, SHA256};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair, ECDSA_P256_SHA256_ASN1,
    ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_SHA256,
};
use zeroize::Zeroizing;

use super::{
    encoding_failed, encrypt_failed, generate_failed, not_pkcs8, rsa_bits, sign_failed, wrong_key,
    wrong_rsa_size, Encryption, KeyMaterial, Message, Signing,
};
use crate::core::error::Result;
use crate::core::key_spec::{Algorithm, KeySpec};

/// The digest `message` stands for, as AWS-LC takes it (SHA-256 of a raw message). Fails
/// only if AWS-LC refused a 32-byte SHA-256 digest, which it does not.
fn sha256(message: Message<'_>) -> Option<Digest> {
    match message {
        Message::Digest(d) => Digest::import_less_safe(d, &SHA256).ok(),
        Message::Raw(m) => Some(aws_lc_rs::digest::digest(&SHA256, m)),
    }
}

fn digest_refused() -> crate::core::error::Error {
    sign_failed("the digest was refused")
}

/// An RSA_2048 or RSA_3072 key on AWS-LC.
pub struct RsaKey {
    spec: KeySpec,
    signing: RsaKeyPair,
    decrypting: OaepPrivateDecryptingKey,
    encrypting: OaepPublicEncryptingKey,
    verify_pss: ParsedPublicKey,
    verify_pkcs1: ParsedPublicKey,
    /// The public key as DER SubjectPublicKeyInfo.
    spki: Vec<u8>,
}

impl RsaKey {
    /// Builds every AWS-LC object from one PKCS#8 document; `spec` is checked against the
    /// modulus size.
    fn from_pkcs8(spec: KeySpec, der: &[u8]) -> Result<RsaKey> {
        let decrypting = PrivateDecryptingKey::from_pkcs8(der).map_err(|e| not_pkcs8(spec, e))?;
        let bits = decrypting.key_size_bits();
        if bits != rsa_bits(spec) {
            return Err(wrong_rsa_size(spec, bits));
        }
        let signing = RsaKeyPair::from_pkcs8(der).map_err(|e| not_pkcs8(spec, e))?;
        let encrypting = OaepPublicEncryptingKey::new(decrypting.public_key())
            .map_err(|e| not_pkcs8(spec, e))?;
        let decrypting =
            OaepPrivateDecryptingKey::new(decrypting).map_err(|e| not_pkcs8(spec, e))?;
        let spki = signing
            .public_key()
            .as_der()
            .map_err(|e| encoding_failed("public key", e))?
            .as_ref()
            .to_vec();
        let verify_pss = ParsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, &spki)
            .map_err(|e| not_pkcs8(spec, e))?;
        let verify_pkcs1 = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki)
            .map_err(|e| not_pkcs8(spec, e))?;
        Ok(RsaKey {
            spec,
            signing,
            decrypting,
            encrypting,
            verify_pss,
            verify_pkcs1,
            spki,
        })
    }

    fn pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        let der = self
            .signing
            .as_der()
            .map_err(|e| encoding_failed("private key", e))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }
}

impl KeyMaterial for RsaKey {
    fn generate(spec: KeySpec) -> Result<Self> {
        let size = match spec {
            KeySpec::Rsa2048 => KeySize::Rsa2048,
            KeySpec::Rsa3072 => KeySize::Rsa3072,
            _ => return Err(generate_failed(spec, "not an RSA key spec")),
        };
        let pair = RsaKeyPair::generate(size).map_err(|e| generate_failed(spec, e))?;
        let der = pair
            .as_der()
            .map_err(|e| encoding_failed("private key", e))?;
        RsaKey::from_pkcs8(spec, der.as_ref())
    }

    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
        if !spec.is_rsa() {
            return Err(not_pkcs8(spec, "an RSA key"));
        }
        RsaKey::from_pkcs8(spec, der)
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.pkcs8()
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        Ok(self.spki.clone())
    }

    fn spec(&self) -> KeySpec {
        self.spec
    }
}

impl Signing for RsaKey {
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
        let padding = match alg {
            Algorithm::RsaPssSha256 => &RSA_PSS_SHA256,
            Algorithm::RsaPkcs1Sha256 => &RSA_PKCS1_SHA256,
            _ => return Err(wrong_key(alg)),
        };
        let digest = sha256(message).ok_or_else(digest_refused)?;
        let mut signature = vec![0u8; self.signing.public_modulus_len()];
        self.signing
            .sign_digest(padding, &digest, &mut signature)
            .map_err(sign_failed)?;
        Ok(signature)
    }

    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
        let key = match alg {
            Algorithm::RsaPssSha256 => &self.verify_pss,
            Algorithm::RsaPkcs1Sha256 => &self.verify_pkcs1,
            _ => return false,
        };
        sha256(message).is_some_and(|d| key.verify_digest_sig(&d, signature).is_ok())
    }
}

impl Encryption for RsaKey {
    fn encrypt(&self, alg: Algorithm, plaintext: &[u8]) -> Result<Vec<u8>> {
        let oaep = match alg {
            Algorithm::RsaesOaepSha1 => &OAEP_SHA1_MGF1SHA1,
            Algorithm::RsaesOaepSha256 => &OAEP_SHA256_MGF1SHA256,
            _ => return Err(wrong_key(alg)),
        };
        let mut ciphertext = vec![0u8; self.encrypting.ciphertext_size()];
        let len = self
            .encrypting
            .encrypt(oaep, plaintext, &mut ciphertext, None)
            .map_err(encrypt_failed)?
            .len();
        ciphertext.truncate(len);
        Ok(ciphertext)
    }

    fn decrypt(&self, alg: Algorithm, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let oaep = match alg {
            Algorithm::RsaesOaepSha1 => &OAEP_SHA1_MGF1SHA1,
            Algorithm::RsaesOaepSha256 => &OAEP_SHA256_MGF1SHA256,
            _ => return None,
        };
        let mut plaintext = Zeroizing::new(vec![0u8; self.decrypting.min_output_size()]);
        let len = self
            .decrypting
            .decrypt(oaep, ciphertext, &mut plaintext, None)
            .ok()?
            .len();
        plaintext.truncate(len);
        Some(plaintext)
    }
}

/// An EC_P256 key on AWS-LC.
pub struct P256Key {
    signing: EcdsaKeyPair,
    verifying: ParsedPublicKey,
}

impl P256Key {
    fn new(signing: EcdsaKeyPair) -> Result<P256Key> {
        let verifying = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, signing.public_key())
            .map_err(|e| not_pkcs8(KeySpec::EcP256, e))?;
        Ok(P256Key { signing, verifying })
    }
}

impl KeyMaterial for P256Key {
    fn generate(spec: KeySpec) -> Result<Self> {
        P256Key::new(
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                .map_err(|e| generate_failed(spec, e))?,
        )
    }

    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
        P256Key::new(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
                .map_err(|e| not_pkcs8(spec, e))?,
        )
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = self
            .signing
            .to_pkcs8v1()
            .map_err(|e| encoding_failed("private key", e))?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        let der = self
            .signing
            .public_key()
            .as_der()
            .map_err(|e| encoding_failed("public key", e))?;
        Ok(der.as_ref().to_vec())
    }

    fn spec(&self) -> KeySpec {
        KeySpec::EcP256
    }
}

impl Signing for P256Key {
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
        if alg != Algorithm::EcdsaSha256 {
            return Err(wrong_key(alg));
        }
        let digest = sha256(message).ok_or_else(digest_refused)?;
        let signature = self.signing.sign_digest(&digest).map_err(sign_failed)?;
        Ok(signature.as_ref().to_vec())
    }

    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
        alg == Algorithm::EcdsaSha256
            && sha256(message)
                .is_some_and(|d| self.verifying.verify_digest_sig(&d, signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    //! AWS-LC against RustCrypto: the same encodings both ways, so stores and signatures made
    //! by one provider are read by the other.
    use super::*;
    use crate::core::provider::rust_crypto;
    use sha2::{Digest as _, Sha256};

    fn both_ways<A, B>(spec: KeySpec, algs: &[Algorithm])
    where
        A: KeyMaterial + Signing,
        B: KeyMaterial + Signing,
    {
        let a = A::generate(spec).unwrap();
        assert_eq!(a.spec(), spec);
        let der = a.to_pkcs8_der().unwrap();
        let b = B::from_pkcs8_der(spec, &der).unwrap();
        assert_eq!(a.public_key_der().unwrap(), b.public_key_der().unwrap());
        let back = A::from_pkcs8_der(spec, &b.to_pkcs8_der().unwrap()).unwrap();
        assert_eq!(a.public_key_der().unwrap(), back.public_key_der().unwrap());
        let msg = b"the same bytes either way";
        let digest: [u8; 32] = Sha256::digest(msg).into();
        for &alg in algs {
            for m in [Message::Raw(msg), Message::Digest(&digest)] {
                let sig = a.sign(alg, m).unwrap();
                assert!(b.verify(alg, m, &sig), "{spec} {alg}");
                assert!(a.verify(alg, m, &sig), "{spec} {alg}");
                let sig = b.sign(alg, m).unwrap();
                assert!(a.verify(alg, m, &sig), "{spec} {alg}");
                let mut bad = sig.clone();
                bad[7] ^= 1;
                assert!(!a.verify(alg, m, &bad));
                assert!(!a.verify(alg, m, b""));
            }
            // A digest signature is a signature over the message it is the digest of.
            let sig = a.sign(alg, Message::Digest(&digest)).unwrap();
            assert!(b.verify(alg, Message::Raw(msg), &sig));
        }
    }

    #[test]
    fn rsa_keys_and_signatures_cross_between_providers() {
        let algs = [Algorithm::RsaPssSha256, Algorithm::RsaPkcs1Sha256];
        both_ways::<RsaKey, rust_crypto::RsaKey>(KeySpec::Rsa2048, &algs);
        both_ways::<rust_crypto::RsaKey, RsaKey>(KeySpec::Rsa2048, &algs);
        both_ways::<RsaKey, rust_crypto::RsaKey>(KeySpec::Rsa3072, &algs);
    }

    #[test]
    fn p256_keys_and_signatures_cross_between_providers() {
        let algs = [Algorithm::EcdsaSha256];
        both_ways::<P256Key, rust_crypto::P256Key>(KeySpec::EcP256, &algs);
        both_ways::<rust_crypto::P256Key, P256Key>(KeySpec::EcP256, &algs);
    }

    #[test]
    fn oaep_ciphertexts_cross_between_providers() {
        let a = RsaKey::generate(KeySpec::Rsa2048).unwrap();
        let b = rust_crypto::RsaKey::from_pkcs8_der(KeySpec::Rsa2048, &a.to_pkcs8_der().unwrap())
            .unwrap();
        for alg in [Algorithm::RsaesOaepSha1, Algorithm::RsaesOaepSha256] {
            for pt in [&b""[..], b"x", &[0xa5; 190]] {
                let ct = a.encrypt(alg, pt).unwrap();
                assert_eq!(ct.len(), 256);
                assert_eq!(&b.decrypt(alg, &ct).unwrap()[..], pt);
                let ct = b.encrypt(alg, pt).unwrap();
                assert_eq!(&a.decrypt(alg, &ct).unwrap()[..], pt);
                let mut bad = ct.clone();
                bad[3] ^= 0x10;
                assert!(a.decrypt(alg, &bad).is_none());
                assert!(a.decrypt(alg, b"short").is_none());
            }
        }
        let ct = a.encrypt(Algorithm::RsaesOaepSha1, b"m").unwrap();
        assert!(a.decrypt(Algorithm::RsaesOaepSha256, &ct).is_none());
    }

    #[test]
    fn high_s_p256_signatures_verify() {
        use p256::elliptic_curve::scalar::IsHigh;
        let key = P256Key::generate(KeySpec::EcP256).unwrap();
        let digest: [u8; 32] = Sha256::digest(b"m").into();
        let der = key
            .sign(Algorithm::EcdsaSha256, Message::Digest(&digest))
            .unwrap();
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        let (r, s) = sig.split_scalars();
        let flipped = p256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        assert!(bool::from(flipped.s().is_high()) != bool::from(sig.s().is_high()));
        for sig in [sig, flipped] {
            let der = sig.to_der();
            assert!(key.verify(
                Algorithm::EcdsaSha256,
                Message::Digest(&digest),
                der.as_bytes()
            ));
        }
    }

    #[test]
    fn wrong_sizes_and_algorithms_are_refused() {
        let rsa = RsaKey::generate(KeySpec::Rsa2048).unwrap();
        let der = rsa.to_pkcs8_der().unwrap();
        let err = RsaKey::from_pkcs8_der(KeySpec::Rsa3072, &der)
            .err()
            .unwrap();
        assert!(err.message().contains("2048 bits"), "{err}");
        assert!(P256Key::from_pkcs8_der(KeySpec::EcP256, &der).is_err());
        assert!(RsaKey::from_pkcs8_der(KeySpec::Rsa2048, b"garbage").is_err());
        let digest = [1u8; 32];
        assert!(rsa
            .sign(Algorithm::EcdsaSha256, Message::Digest(&digest))
            .is_err());
        assert!(rsa.encrypt(Algorithm::Sm2Pke, b"x").is_err());
    }
}
