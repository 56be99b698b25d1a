//! The C-visible types and constants: status codes, enumeration codes, `akms_bytes`.

/// A status code: `AKMS_OK` (0) or one of the `AKMS_ERR_*` codes.
pub type akms_status = u32;

/// Success.
pub const AKMS_OK: akms_status = 0;
/// Malformed input: NULL where not allowed, `(NULL, n > 0)`, non-UTF-8 text, an unknown
/// enumeration value, a bad length or name.
pub const AKMS_ERR_INVALID_ARGUMENT: akms_status = 1;
/// No such key, version or alias, or the key's deletion window has passed.
pub const AKMS_ERR_NOT_FOUND: akms_status = 2;
/// The alias already exists.
pub const AKMS_ERR_ALREADY_EXISTS: akms_status = 3;
/// The algorithm or usage does not fit the key spec or key usage.
pub const AKMS_ERR_INCOMPATIBLE: akms_status = 4;
/// The key is Disabled or PendingDeletion.
pub const AKMS_ERR_INVALID_STATE: akms_status = 5;
/// The ciphertext could not be decrypted with this key version.
pub const AKMS_ERR_DECRYPTION_FAILED: akms_status = 6;
/// A policy on the handle denies the call.
pub const AKMS_ERR_ACCESS_DENIED: akms_status = 7;
/// The store file could not be read or written.
pub const AKMS_ERR_IO: akms_status = 8;
/// The store file cannot be authenticated: tampered with, or the wrong passphrase.
pub const AKMS_ERR_CORRUPT: akms_status = 9;
/// A bug in akms: a caught panic or an impossible state.
pub const AKMS_ERR_INTERNAL: akms_status = 10;

/// Key spec: RSA with a 2048-bit modulus.
pub const AKMS_KEY_SPEC_RSA_2048: u32 = 1;
/// Key spec: RSA with a 3072-bit modulus.
pub const AKMS_KEY_SPEC_RSA_3072: u32 = 2;
/// Key spec: ECDSA on NIST P-256.
pub const AKMS_KEY_SPEC_EC_P256: u32 = 3;
/// Key spec: ECDSA on secp256k1.
pub const AKMS_KEY_SPEC_EC_P256K: u32 = 4;
/// Key spec: SM2 (GB/T 32918).
pub const AKMS_KEY_SPEC_EC_SM2: u32 = 5;

/// Key usage: AsymmetricSign and AsymmetricVerify.
pub const AKMS_KEY_USAGE_SIGN_VERIFY: u32 = 1;
/// Key usage: AsymmetricEncrypt and AsymmetricDecrypt (RSA and SM2 only).
pub const AKMS_KEY_USAGE_ENCRYPT_DECRYPT: u32 = 2;

/// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32.
pub const AKMS_ALG_RSA_PSS_SHA_256: u32 = 1;
/// RSASSA-PKCS1-v1_5 with SHA-256.
pub const AKMS_ALG_RSA_PKCS1_SHA_256: u32 = 2;
/// ECDSA with SHA-256 (EC_P256, EC_P256K); the signature is DER `SEQUENCE{r,s}`.
pub const AKMS_ALG_ECDSA_SHA_256: u32 = 3;
/// SM2 signature with SM3 and the default id `1234567812345678`; DER `SEQUENCE{r,s}`.
pub const AKMS_ALG_SM2DSA: u32 = 4;
/// RSAES-OAEP with SHA-1 and MGF1-SHA-1, empty label.
pub const AKMS_ALG_RSAES_OAEP_SHA_1: u32 = 5;
/// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
pub const AKMS_ALG_RSAES_OAEP_SHA_256: u32 = 6;
/// SM2 public key encryption; the ciphertext is GB/T 32918 DER `SEQUENCE{x, y, C3, C2}`.
pub const AKMS_ALG_SM2PKE: u32 = 7;

/// Message type: the data is the 32-byte digest (SHA-256, or e = SM3(Z‖M) for SM2DSA).
pub const AKMS_MESSAGE_DIGEST: u32 = 0;
/// Message type: the data is the message itself; akms hashes it (computing Z for SM2DSA).
pub const AKMS_MESSAGE_RAW: u32 = 1;

/// A byte buffer owned by the caller once returned: release it with `akms_bytes_free`.
/// An empty result is `{NULL, 0}`.
#[repr(C)]
pub struct akms_bytes {
    /// The bytes, or NULL when `len` is 0.
    pub data: *mut u8,
    /// The number of bytes.
    pub len: usize,
}
