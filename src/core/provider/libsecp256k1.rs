//! EC_P256K (secp256k1) on bitcoin-core's libsecp256k1, through the `secp256k1` crate (which
//! builds the C library from source): sign, verify and key generation in the default build.
//!
//! Encodings stay RustCrypto's (`k256`, `pkcs8`): PKCS#8 is read and written by `k256`, so an
//! import accepts and refuses exactly what the `pure-rust` build does, and the SPKI is `k256`'s
//! encoding of the same point. Signatures are the same bytes either way: both libraries sign
//! with RFC 6979 nonces (HMAC-SHA-256, no extra data) and normalize s to the low half.
//!
//! Verification keeps SPEC's semantics, not libsecp256k1's defaults:
//! - the signature is parsed by `secp256k1_ecdsa_signature_parse_der`, the library's strict DER
//!   parser (minimal lengths and integers, no trailing bytes; not `from_der_lax`, the BER parser
//!   for old Bitcoin transactions). An r or s outside [1, n-1] parses as zero and never
//!   verifies, as `k256` refuses it;
//! - libsecp256k1 verifies only low-S signatures, so s is normalized first: a high-S signature
//!   (s flipped to n - s) verifies, as ECDSA defines it.
//!
//! One context, made on first use and randomized once from the operating system (the blinding
//! of libsecp256k1's generator multiplication), serves every key and thread: libsecp256k1 reads
//! a context without changing it in signing and verification, and the crate marks it `Sync`.
//!
//! Zeroization: the key's secret bytes (a `secp256k1::SecretKey`, a `Copy` type with no wiping
//! of its own) are held in [`Wiped`] and zeroed when the key drops; every copy made here on the
//! way in or out is `Zeroizing`. libsecp256k1 itself keeps nothing of a key: it allocates no
//! memory in these calls, and `secp256k1_ecdsa_sign` clears its stack copies of the secret
//! scalar, the nonce and the RFC 6979 state before returning. What it keeps is the context's
//! random blinding (not key material), for the life of the process.

use std::sync::OnceLock;

use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand::rand_core::TryRng;
use secp256k1::{ecdsa, All, PublicKey, Secp256k1, SecretKey};
use zeroize::Zeroizing;

use super::{
    encoding_failed, generate_failed, not_pkcs8, wrong_key, KeyMaterial, Message, Signing,
};
use crate::core::error::Result;
use crate::core::key_spec::{Algorithm, KeySpec};
use crate::core::secret::Wiped;

/// The context every key signs and verifies with, randomized once.
fn context() -> &'static Secp256k1<All> {
    static CONTEXT: OnceLock<Secp256k1<All>> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let mut context = Secp256k1::new();
        let mut seed = Zeroizing::new([0u8; 32]);
        // Randomizing is defence in depth (blinding against side channels); a thread RNG seeded
        // from the operating system is as good a source for it as any.
        rand::fill(&mut seed[..]);
        context.seeded_randomize(&seed);
        context
    })
}

/// An EC_P256K key on libsecp256k1.
pub struct K256Key(K256Signer);

/// What an EC_P256K key holds: the secret key, its public key parsed once, and the public key as
/// `k256` holds it (for the SPKI and the CSR signer's verifying key). Also the key's signer for
/// CSRs: the `signature` traits are implemented on it in [`signer`](super::signer).
pub struct K256Signer {
    secret: Wiped<SecretKey>,
    public: PublicKey,
    verifying: k256::ecdsa::VerifyingKey,
}

impl K256Signer {
    /// The DER signature of a SHA-256 `digest` (RFC 6979 nonce, low s).
    pub fn sign_digest(&self, digest: [u8; 32]) -> Vec<u8> {
        let digest = secp256k1::Message::from_digest(digest);
        let signature = context().sign_ecdsa(digest, &self.secret);
        signature.serialize_der().to_vec()
    }

    /// The public key as `k256` holds it.
    pub fn verifying_key(&self) -> &k256::ecdsa::VerifyingKey {
        &self.verifying
    }
}

impl K256Key {
    /// The key of a 32-byte big-endian secret scalar; `None` if it is 0 or not below n.
    fn from_secret_bytes(bytes: &[u8; 32]) -> Option<K256Key> {
        let secret = Wiped::new(SecretKey::from_byte_array(*bytes).ok()?);
        let public = PublicKey::from_secret_key(context(), &secret);
        let verifying =
            k256::ecdsa::VerifyingKey::from_sec1_bytes(&public.serialize_uncompressed()).ok()?;
        Some(K256Key(K256Signer {
            secret,
            public,
            verifying,
        }))
    }

    /// The secret scalar as `k256` holds it (zeroized on drop), for PKCS#8 encoding.
    fn k256_secret(&self) -> Result<k256::SecretKey> {
        let bytes = Zeroizing::new(self.0.secret.secret_bytes());
        k256::SecretKey::from_slice(&bytes[..]).map_err(|e| encoding_failed("private key", e))
    }

    /// The signer for CSRs (ecdsa-with-SHA256, DER signatures, libsecp256k1).
    pub fn signing_key(&self) -> &K256Signer {
        &self.0
    }
}

impl KeyMaterial for K256Key {
    fn generate(spec: KeySpec) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        // A 32-byte string is a valid scalar unless it is 0 or ≥ n (chance below 2^-127 per
        // draw): draw again then.
        loop {
            rand::rngs::SysRng
                .try_fill_bytes(&mut bytes[..])
                .map_err(|e| generate_failed(spec, e))?;
            if let Some(key) = K256Key::from_secret_bytes(&bytes) {
                return Ok(key);
            }
        }
    }

    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self> {
        // `k256` parses (and checks the public key a PKCS#8 may carry), as in the pure-Rust
        // build; its `SecretKey` zeroizes on drop.
        let parsed = k256::SecretKey::from_pkcs8_der(der).map_err(|e| not_pkcs8(spec, e))?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&Zeroizing::new(parsed.to_bytes()));
        K256Key::from_secret_bytes(&bytes)
            .ok_or_else(|| not_pkcs8(spec, "the secret scalar is out of range"))
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = self
            .k256_secret()?
            .to_pkcs8_der()
            .map_err(|e| encoding_failed("private key", e))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        self.0
            .verifying
            .to_public_key_der()
            .map(|d| d.into_vec())
            .map_err(|e| encoding_failed("public key", e))
    }

    fn spec(&self) -> KeySpec {
        KeySpec::EcP256k
    }
}

impl Signing for K256Key {
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>> {
        if alg != Algorithm::EcdsaSha256 {
            return Err(wrong_key(alg));
        }
        Ok(self.0.sign_digest(message.sha256()))
    }

    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool {
        if alg != Algorithm::EcdsaSha256 {
            return false;
        }
        let Ok(mut signature) = ecdsa::Signature::from_der(signature) else {
            return false;
        };
        signature.normalize_s();
        let digest = secp256k1::Message::from_digest(message.sha256());
        context()
            .verify_ecdsa(digest, &signature, &self.0.public)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    //! libsecp256k1 against RustCrypto `k256` (the pure-Rust build's EC_P256K): the same keys,
    //! encodings and signature bytes, and the same verdict on every signature, well-formed or
    //! not.
    use super::*;
    use crate::core::provider::rust_crypto;
    use k256::elliptic_curve::scalar::IsHigh;
    use sha2::{Digest as _, Sha256};

    fn pair() -> (K256Key, rust_crypto::K256Key) {
        let a = K256Key::generate(KeySpec::EcP256k).unwrap();
        let b = rust_crypto::K256Key::from_pkcs8_der(KeySpec::EcP256k, &a.to_pkcs8_der().unwrap())
            .unwrap();
        (a, b)
    }

    #[test]
    fn keys_and_encodings_are_the_same_as_k256s() {
        for _ in 0..4 {
            let (a, b) = pair();
            assert_eq!(a.spec(), KeySpec::EcP256k);
            assert_eq!(a.public_key_der().unwrap(), b.public_key_der().unwrap());
            assert_eq!(
                &a.to_pkcs8_der().unwrap()[..],
                &b.to_pkcs8_der().unwrap()[..]
            );
            let back =
                K256Key::from_pkcs8_der(KeySpec::EcP256k, &b.to_pkcs8_der().unwrap()).unwrap();
            assert_eq!(a.public_key_der().unwrap(), back.public_key_der().unwrap());
        }
    }

    #[test]
    fn signatures_are_the_same_bytes_as_k256s() {
        let (a, b) = pair();
        for i in 0..32u8 {
            let msg = [i; 40];
            let digest: [u8; 32] = Sha256::digest(msg).into();
            for m in [Message::Raw(&msg), Message::Digest(&digest)] {
                let sig = a.sign(Algorithm::EcdsaSha256, m).unwrap();
                assert_eq!(sig, b.sign(Algorithm::EcdsaSha256, m).unwrap());
                assert!(a.verify(Algorithm::EcdsaSha256, m, &sig));
                assert!(b.verify(Algorithm::EcdsaSha256, m, &sig));
                let parsed = k256::ecdsa::Signature::from_der(&sig).unwrap();
                assert!(!bool::from(parsed.s().is_high()));
            }
        }
    }

    #[test]
    fn wrong_algorithms_and_pkcs8_are_refused() {
        let (a, _) = pair();
        let digest = [7u8; 32];
        assert!(a.sign(Algorithm::Sm2Dsa, Message::Digest(&digest)).is_err());
        let sig = a
            .sign(Algorithm::EcdsaSha256, Message::Digest(&digest))
            .unwrap();
        assert!(!a.verify(Algorithm::Sm2Dsa, Message::Digest(&digest), &sig));
        assert!(K256Key::from_pkcs8_der(KeySpec::EcP256k, b"garbage").is_err());
        let p256 = rust_crypto::P256Key::generate(KeySpec::EcP256).unwrap();
        assert!(K256Key::from_pkcs8_der(KeySpec::EcP256k, &p256.to_pkcs8_der().unwrap()).is_err());
    }

    /// Every mutation of a valid signature — each byte changed to several values, bytes
    /// removed and inserted, truncations, appended bytes, and a high-S twin — gets the same
    /// verdict from libsecp256k1 (strict DER, s normalized) as from `k256`.
    #[test]
    fn every_mutated_signature_gets_k256s_verdict() {
        let (a, b) = pair();
        let mut checked = 0usize;
        let mut accepted = 0usize;
        for i in 0..8u8 {
            let digest: [u8; 32] = Sha256::digest([i]).into();
            let m = Message::Digest(&digest);
            let sig = a.sign(Algorithm::EcdsaSha256, m).unwrap();
            let parsed = k256::ecdsa::Signature::from_der(&sig).unwrap();
            let (r, s) = parsed.split_scalars();
            let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
            let mut variants = vec![sig.clone(), high.to_der().as_bytes().to_vec()];
            for base in [sig.clone(), high.to_der().as_bytes().to_vec()] {
                for pos in 0..base.len() {
                    for v in [
                        0x00,
                        0x01,
                        0x02,
                        0x30,
                        0x7f,
                        0x80,
                        0x81,
                        0xff,
                        base[pos] ^ 1,
                    ] {
                        let mut x = base.clone();
                        x[pos] = v;
                        variants.push(x);
                    }
                    let mut x = base.clone();
                    x.remove(pos);
                    variants.push(x);
                    for v in [0x00, 0x80, 0xff] {
                        let mut x = base.clone();
                        x.insert(pos, v);
                        variants.push(x);
                    }
                    variants.push(base[..pos].to_vec());
                }
                for tail in [&[0x00][..], &[0x05, 0x00], &[0x30, 0x00]] {
                    variants.push([&base[..], tail].concat());
                }
            }
            for x in &variants {
                let verdict = b.verify(Algorithm::EcdsaSha256, m, x);
                assert_eq!(a.verify(Algorithm::EcdsaSha256, m, x), verdict, "{x:02x?}");
                checked += 1;
                accepted += usize::from(verdict);
            }
        }
        // The originals and their high-S twins verify, and little else does.
        assert!(
            accepted >= 16 && accepted < checked / 10,
            "{accepted} of {checked}"
        );
    }
}
