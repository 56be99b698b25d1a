//! The crypto providers: which library does the work for each key spec, chosen here and
//! nowhere else.
//!
//! Every key spec has one key type, and every key type implements the capabilities it has:
//! [`KeyMaterial`] (generate, PKCS#8 in and out, public key SPKI), [`Signing`] (sign and verify
//! a digest or a message) and, for RSA and SM2, [`Encryption`]. Nothing above this module —
//! [`KeyPair`](super::keypair::KeyPair), `sign.rs`, `encrypt.rs`, the store, the C ABI — knows
//! which library is behind a key.
//!
//! | key spec | default build (`aws-lc`) | `--no-default-features --features pure-rust` |
//! |---|---|---|
//! | RSA_2048, RSA_3072 | AWS-LC ([`aws_lc::RsaKey`]) | RustCrypto `rsa` |
//! | EC_P256 | AWS-LC ([`aws_lc::P256Key`]) | RustCrypto `p256` |
//! | EC_P256K | libsecp256k1 ([`libsecp256k1::K256Key`]) | RustCrypto `k256` |
//! | EC_SM2 | RustCrypto `sm2` | RustCrypto `sm2` |
//!
//! Both providers write and read the same encodings (SPKI, PKCS#8, DER signatures, OAEP and
//! SM2 ciphertexts), so a store or a signature made by one is read by the other. [`signer`]
//! puts the `signature` crate's traits over this build's RSA, P-256 and secp256k1 keys (for
//! CSRs). libsecp256k1 comes with the `libsecp256k1` feature (in the default build, beside
//! `aws-lc`).

#[cfg(feature = "aws-lc")]
pub mod aws_lc;
#[cfg(feature = "libsecp256k1")]
pub mod libsecp256k1;
pub mod rust_crypto;
pub mod signer;

use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::key_spec::{Algorithm, KeySpec};

#[cfg(not(any(feature = "aws-lc", feature = "pure-rust")))]
compile_error!(
    "akms needs a crypto provider: enable the `aws-lc` feature (the default) or `pure-rust`"
);

/// The RSA key type of this build.
#[cfg(feature = "aws-lc")]
pub use aws_lc::RsaKey;
/// The RSA key type of this build.
#[cfg(not(feature = "aws-lc"))]
pub use rust_crypto::RsaKey;

/// The P-256 key type of this build.
#[cfg(feature = "aws-lc")]
pub use aws_lc::P256Key;
/// The P-256 key type of this build.
#[cfg(not(feature = "aws-lc"))]
pub use rust_crypto::P256Key;

/// The secp256k1 key type of this build.
#[cfg(feature = "libsecp256k1")]
pub use libsecp256k1::K256Key;
/// The secp256k1 key type of this build.
#[cfg(not(feature = "libsecp256k1"))]
pub use rust_crypto::K256Key;

/// The SM2 key type (RustCrypto in every build).
pub use rust_crypto::Sm2Key;

/// The name of the provider doing RSA and P-256 in this build: `"aws-lc"` or `"rust-crypto"`.
#[cfg(feature = "aws-lc")]
pub const NAME: &str = "aws-lc";
/// The name of the provider doing RSA and P-256 in this build: `"aws-lc"` or `"rust-crypto"`.
#[cfg(not(feature = "aws-lc"))]
pub const NAME: &str = "rust-crypto";

/// The digest length every signing algorithm takes (SHA-256, or SM3 for SM2DSA).
pub const DIGEST_LEN: usize = 32;

/// The PSS salt length, as SPEC fixes it.
pub const PSS_SALT_LEN: usize = 32;

/// What a signature covers: a 32-byte digest computed by the caller, or a message that the key
/// type hashes itself (SHA-256; SM3 over Z‖M for SM2DSA).
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// The digest: SHA-256 of the message, or e = SM3(Z‖M) for SM2DSA.
    Digest(&'a [u8; DIGEST_LEN]),
    /// The message itself.
    Raw(&'a [u8]),
}

impl Message<'_> {
    /// The SHA-256 digest RSA and ECDSA sign: the digest as given, or the message hashed.
    pub fn sha256(&self) -> [u8; DIGEST_LEN] {
        use sha2::{Digest, Sha256};
        match self {
            Message::Digest(d) => **d,
            Message::Raw(m) => Sha256::digest(m).into(),
        }
    }
}

/// Key material of one key spec family: made fresh or read from PKCS#8, written back, and its
/// public half. Private material is wiped when the value is dropped.
pub trait KeyMaterial: Sized {
    /// A fresh key of `spec` from the operating system's (or the library's) random source.
    fn generate(spec: KeySpec) -> Result<Self>;

    /// Reads an unencrypted PKCS#8 DER private key of `spec`. Anything that does not parse, and
    /// keys of another spec or size, are `InvalidArgument`.
    fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self>;

    /// The private key as unencrypted PKCS#8 DER.
    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>>;

    /// The public key as DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> Result<Vec<u8>>;

    /// The key spec.
    fn spec(&self) -> KeySpec;
}

/// Signing and verification under the algorithms of one key spec family.
pub trait Signing {
    /// Signs `message` under `alg`. RSA signatures are the modulus length; ECDSA and SM2DSA
    /// signatures are DER `SEQUENCE{r,s}`. An algorithm the key does not do is `Incompatible`.
    fn sign(&self, alg: Algorithm, message: Message<'_>) -> Result<Vec<u8>>;

    /// Whether `signature` is valid over `message` under `alg`: a malformed or wrong signature,
    /// or an algorithm the key does not do, is `false`. ECDSA accepts high-S signatures.
    fn verify(&self, alg: Algorithm, message: Message<'_>, signature: &[u8]) -> bool;
}

/// Public-key encryption under the algorithms of one key spec family. The caller has checked
/// the plaintext length limits of SPEC.
pub trait Encryption {
    /// Encrypts `plaintext` under `alg`.
    fn encrypt(&self, alg: Algorithm, plaintext: &[u8]) -> Result<Vec<u8>>;

    /// Decrypts `ciphertext` under `alg`; `None` for any ciphertext that does not decrypt (or an
    /// algorithm the key does not do).
    fn decrypt(&self, alg: Algorithm, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>>;
}

/// The error for an algorithm that does not fit the key.
pub fn wrong_key(alg: Algorithm) -> Error {
    Error::Incompatible(format!("algorithm {alg} does not fit this key"))
}

/// The error for a signing operation the library refused.
pub fn sign_failed(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("signing failed: {e}"))
}

/// The error for an encryption the library refused.
pub fn encrypt_failed(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("encryption failed: {e}"))
}

/// The error for a key that could not be made.
pub fn generate_failed(spec: KeySpec, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{spec} key generation failed: {e}"))
}

/// The error for a PKCS#8 input that is not a key of `spec`.
pub fn not_pkcs8(spec: KeySpec, e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("not a {spec} PKCS#8 private key: {e}"))
}

/// The error for an RSA key of the wrong size.
pub fn wrong_rsa_size(spec: KeySpec, bits: usize) -> Error {
    Error::InvalidArgument(format!(
        "RSA key has {bits} bits, {spec} needs {}",
        rsa_bits(spec)
    ))
}

/// The modulus size in bits of an RSA spec (0 for EC specs).
pub fn rsa_bits(spec: KeySpec) -> usize {
    spec.rsa_modulus_len().unwrap_or(0) * 8
}

/// The error for a key encoding the library refused.
pub fn encoding_failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what} encoding failed: {e}"))
}
