//! The pure-Rust provider (RustCrypto): SM2 in every build; RSA, P-256 and secp256k1 in the
//! `pure-rust` build (and in the default build's tests, which check the two providers against
//! each other).
//!
//! RustCrypto's `RsaPrivateKey`, ECDSA `SigningKey` and elliptic-curve `SecretKey` zeroize on
//! drop; the SM2 signing and decrypting keys do not, so they are held in [`Wiped`].

use p256::elliptic_curve::Generate;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use signature::hazmat::{PrehashSigner, PrehashVerifier};
use signature::{Signer, Verifier};
use zeroize::Zeroizing;

use super::{
    encoding_failed, not_pkcs8, sign_failed, wrong_key, Encryption, KeyMaterial, Message, Signing,
};
use crate::core::error::{Error, Result};
use crate::core::key_spec::{Algorithm, KeySpec};
use crate::core::secret::Wiped;

#[cfg(any(not(feature = "aws-lc"), test))]
pub use self::rsa_p256::{P256Key, RsaKey};

/// The SM2 distinguishing identifier every SM2 signature uses (GB/T 32918 default).
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

fn system_rng() -> rand::rand_core::UnwrapErr<rand::rngs::SysRng> {
    rand::rand_core::UnwrapErr(rand::rngs::SysRng)
}

fn pkcs8_bytes(doc: pkcs8::Result<der::SecretDocument>) -> Result<Zeroizing<Vec<u8>>> {
    doc.map(|d| Zeroizing::new(d.as_bytes().to_vec()))
        .map_err(|e| encoding_failed("private key", e))
}

fn spki_bytes(doc: spki::Result<der::Document>) -> Result<Vec<u8>> {
    doc.map(|d| d.into_vec())
        .map_err(|e| encoding_failed("public key", e))
}

#[cfg(any(not(feature = "aws-lc"), test))]
mod rsa_p256 {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use rsa::pss::Pss;
    use rsa::traits::PublicKeyParts;
    use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
    use sha1::Sha1;
    use sha2::Sha256;

    use super::*;
    use crate::core::provider::{
        encrypt_failed, generate_failed, rsa_bits, wrong_rsa_size, PSS_SALT_LEN,
    };

    /// An RSA_2048 or RSA_3072 key (RustCrypto `rsa`), its public half cached.
    pub struct RsaKey {
        private: Box<RsaPrivateKey>,
        public: RsaPublicKey,
    }

    impl RsaKey {
        fn new(private: RsaPrivateKey) -> RsaKey {
            let public = private.to_public_key();
            RsaKey {
                private: Box::new(private),
                public,
            }
        }
    }

    impl KeyMaterial for RsaKey {
        fn generate(spec: KeySpec) -> Result<Self> {
            let private = RsaPrivateKey::new(&mut system_rng(), rsa_bits(spec))
                .map_err(|e| generate_failed(spec, e))?;
            Ok(RsaKey::new(private))
        }

        fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
            let private = RsaPrivateKey::from_pkcs8_der(der).map_err(|e| not_pkcs8(spec, e))?;
            let key = RsaKey::new(private);
            let bits = key.public.n().bits() as usize;
            if bits != rsa_bits(spec) {
                return Err(wrong_rsa_size(spec, bits));
            }
            Ok(key)
        }

        fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
            pkcs8_bytes(self.private.to_pkcs8_der())
        }

        fn public_key_der(&self) -> Result<Vec<u8>> {
            spki_bytes(self.public.to_public_key_der())
        }

        fn spec(&self) -> KeySpec {
            if self.public.size() <= 256 {
                KeySpec::Rsa2048
            } else {
                KeySpec::Rsa3072
            }
        }
    }

    impl Signing for RsaKey {
        fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
            let digest = message.sha256();
            let mut rng = crate::core::id::rng();
            match alg {
                Algorithm::RsaPssSha256 => self.private.sign_with_rng(
                    &mut rng,
                    Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
                    &digest,
                ),
                Algorithm::RsaPkcs1Sha256 => {
                    self.private
                        .sign_with_rng(&mut rng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                }
                _ => return Err(wrong_key(alg)),
            }
            .map_err(sign_failed)
        }

        fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
            let digest = message.sha256();
            match alg {
                Algorithm::RsaPssSha256 => self.public.verify(
                    Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
                    &digest,
                    signature,
                ),
                Algorithm::RsaPkcs1Sha256 => {
                    self.public
                        .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
                }
                _ => return false,
            }
            .is_ok()
        }
    }

    impl Encryption for RsaKey {
        fn encrypt(&self, alg: Algorithm, plaintext: &[u8]) -> Result<Vec<u8>> {
            let mut rng = crate::core::id::rng();
            match alg {
                Algorithm::RsaesOaepSha1 => {
                    self.public
                        .encrypt(&mut rng, Oaep::<Sha1>::new(), plaintext)
                }
                Algorithm::RsaesOaepSha256 => {
                    self.public
                        .encrypt(&mut rng, Oaep::<Sha256>::new(), plaintext)
                }
                _ => return Err(wrong_key(alg)),
            }
            .map_err(encrypt_failed)
        }

        fn decrypt(&self, alg: Algorithm, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
            let mut rng = crate::core::id::rng();
            match alg {
                Algorithm::RsaesOaepSha1 => {
                    self.private
                        .decrypt_blinded(&mut rng, Oaep::<Sha1>::new(), ciphertext)
                }
                Algorithm::RsaesOaepSha256 => {
                    self.private
                        .decrypt_blinded(&mut rng, Oaep::<Sha256>::new(), ciphertext)
                }
                _ => return None,
            }
            .ok()
            .map(Zeroizing::new)
        }
    }

    /// An EC_P256 key (RustCrypto `p256`).
    pub struct P256Key(p256::ecdsa::SigningKey);

    impl KeyMaterial for P256Key {
        fn generate(_spec: KeySpec) -> Result<Self> {
            Ok(P256Key(Generate::generate_from_rng(&mut system_rng())))
        }

        fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
            p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(P256Key)
                .map_err(|e| not_pkcs8(spec, e))
        }

        fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
            pkcs8_bytes(self.0.to_pkcs8_der())
        }

        fn public_key_der(&self) -> Result<Vec<u8>> {
            spki_bytes(self.0.verifying_key().to_public_key_der())
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
            let sig: p256::ecdsa::Signature = self
                .0
                .sign_prehash(&message.sha256())
                .map_err(sign_failed)?;
            Ok(sig.to_der().to_bytes().into_vec())
        }

        fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
            if alg != Algorithm::EcdsaSha256 {
                return false;
            }
            match p256::ecdsa::Signature::from_der(signature) {
                Ok(sig) => self
                    .0
                    .verifying_key()
                    .verify_prehash(&message.sha256(), &sig.normalize_s())
                    .is_ok(),
                Err(_) => false,
            }
        }
    }
}

/// An EC_P256K (secp256k1) key.
#[cfg(any(not(feature = "libsecp256k1"), test))]
pub struct K256Key(k256::ecdsa::SigningKey);

#[cfg(any(not(feature = "libsecp256k1"), test))]
impl KeyMaterial for K256Key {
    fn generate(_spec: KeySpec) -> Result<Self> {
        Ok(K256Key(Generate::generate_from_rng(&mut system_rng())))
    }

    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
        k256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(K256Key)
            .map_err(|e| not_pkcs8(spec, e))
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        pkcs8_bytes(self.0.to_pkcs8_der())
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        spki_bytes(self.0.verifying_key().to_public_key_der())
    }

    fn spec(&self) -> KeySpec {
        KeySpec::EcP256k
    }
}

#[cfg(any(not(feature = "libsecp256k1"), test))]
impl K256Key {
    /// The RustCrypto signing key (for CSR signing).
    pub fn signing_key(&self) -> &k256::ecdsa::SigningKey {
        &self.0
    }
}

#[cfg(any(not(feature = "libsecp256k1"), test))]
impl Signing for K256Key {
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
        if alg != Algorithm::EcdsaSha256 {
            return Err(wrong_key(alg));
        }
        let sig: k256::ecdsa::Signature = self
            .0
            .sign_prehash(&message.sha256())
            .map_err(sign_failed)?;
        Ok(sig.to_der().to_bytes().into_vec())
    }

    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
        if alg != Algorithm::EcdsaSha256 {
            return false;
        }
        match k256::ecdsa::Signature::from_der(signature) {
            Ok(sig) => self
                .0
                .verifying_key()
                .verify_prehash(&message.sha256(), &sig.normalize_s())
                .is_ok(),
            Err(_) => false,
        }
    }
}

/// An EC_SM2 key: the secret key and the signing / decrypting keys made from it once.
pub struct Sm2Key {
    secret: sm2::SecretKey,
    signing: Wiped<sm2::dsa::SigningKey>,
    decrypting: Wiped<sm2::pke::DecryptingKey>,
}

impl Sm2Key {
    fn new(secret: sm2::SecretKey) -> Result<Sm2Key> {
        let scalar = secret.to_nonzero_scalar();
        let signing = sm2::dsa::SigningKey::from_nonzero_scalar(SM2_DEFAULT_ID, scalar)
            .map_err(|_| Error::Internal("SM2 signing key could not be made".into()))?;
        let decrypting = sm2::pke::DecryptingKey::new_with_mode(scalar, sm2::pke::Mode::C1C3C2);
        Ok(Sm2Key {
            secret,
            signing: Wiped::new(signing),
            decrypting: Wiped::new(decrypting),
        })
    }

    /// The SM2DSA signing key (default distinguishing id), for CSR signing.
    pub fn signing_key(&self) -> &sm2::dsa::SigningKey {
        &self.signing
    }

    /// The SM2PKE key (C1C3C2 mode).
    pub fn decrypting_key(&self) -> &sm2::pke::DecryptingKey {
        &self.decrypting
    }
}

impl KeyMaterial for Sm2Key {
    fn generate(_spec: KeySpec) -> Result<Self> {
        Sm2Key::new(Generate::generate_from_rng(&mut system_rng()))
    }

    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
        Sm2Key::new(sm2::SecretKey::from_pkcs8_der(der).map_err(|e| not_pkcs8(spec, e))?)
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        pkcs8_bytes(self.secret.to_pkcs8_der())
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        spki_bytes(self.secret.public_key().to_public_key_der())
    }

    fn spec(&self) -> KeySpec {
        KeySpec::EcSm2
    }
}

impl Signing for Sm2Key {
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
        if alg != Algorithm::Sm2Dsa {
            return Err(wrong_key(alg));
        }
        let sig: sm2::dsa::Signature = match message {
            Message::Digest(e) => self.signing.sign_prehash(e),
            Message::Raw(m) => self.signing.try_sign(m),
        }
        .map_err(sign_failed)?;
        Ok(sig.to_der().to_vec())
    }

    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
        if alg != Algorithm::Sm2Dsa {
            return false;
        }
        let Ok(sig) = sm2::dsa::Signature::from_der(signature) else {
            return false;
        };
        let key = self.signing.verifying_key();
        match message {
            Message::Digest(e) => key.verify_prehash(e, &sig).is_ok(),
            Message::Raw(m) => key.verify(m, &sig).is_ok(),
        }
    }
}

impl Encryption for Sm2Key {
    fn encrypt(&self, alg: Algorithm, plaintext: &[u8]) -> Result<Vec<u8>> {
        if alg != Algorithm::Sm2Pke {
            return Err(wrong_key(alg));
        }
        self.decrypting
            .encrypting_key()
            .encrypt_der(&mut crate::core::id::rng(), plaintext)
            .map_err(super::encrypt_failed)
    }

    fn decrypt(&self, alg: Algorithm, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if alg != Algorithm::Sm2Pke {
            return None;
        }
        match ciphertext.first() {
            Some(0x30) => self.decrypting.decrypt_der(ciphertext).ok(),
            Some(0x04) => self.decrypting.decrypt(ciphertext).ok(),
            _ => None,
        }
        .map(Zeroizing::new)
    }
}
