//! Key specs, key usages, algorithms and message types: their C codes, KMS names and
//! which combinations fit together.

use std::fmt;
use std::str::FromStr;

use super::error::{invalid, Error, Result};

/// Declares a C-coded, KMS-named enum with `code`, `from_code`, `name`, `Display` and `FromStr`.
macro_rules! kms_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $code:literal, $kms:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value's `uint32_t` code in the C ABI.
            pub fn code(self) -> u32 {
                match self { $($name::$variant => $code,)+ }
            }

            /// The value for a C code; an unknown code is `InvalidArgument`.
            pub fn from_code(code: u32) -> Result<Self> {
                match code {
                    $($code => Ok($name::$variant),)+
                    other => Err(invalid(format!(concat!("unknown ", $what, " code {}"), other))),
                }
            }

            /// The KMS name, e.g. `"RSA_2048"`.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $kms,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($kms => Ok($name::$variant),)+
                    other => Err(invalid(format!(concat!("unknown ", $what, " {:?}"), other))),
                }
            }
        }
    };
}

kms_enum!(
    /// The kind of key pair a key's versions hold.
    KeySpec, "key spec" {
        /// RSA with a 2048-bit modulus.
        Rsa2048 = 1, "RSA_2048";
        /// RSA with a 3072-bit modulus.
        Rsa3072 = 2, "RSA_3072";
        /// ECDSA on NIST P-256.
        EcP256 = 3, "EC_P256";
        /// ECDSA on secp256k1.
        EcP256k = 4, "EC_P256K";
        /// SM2 (GB/T 32918) on its own curve.
        EcSm2 = 5, "EC_SM2";
    }
);

kms_enum!(
    /// What a key is for; fixed at creation.
    KeyUsage, "key usage" {
        /// AsymmetricSign and AsymmetricVerify.
        SignVerify = 1, "SIGN/VERIFY";
        /// AsymmetricEncrypt and AsymmetricDecrypt.
        EncryptDecrypt = 2, "ENCRYPT/DECRYPT";
    }
);

kms_enum!(
    /// A signing or encryption algorithm.
    Algorithm, "algorithm" {
        /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32.
        RsaPssSha256 = 1, "RSA_PSS_SHA_256";
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsaPkcs1Sha256 = 2, "RSA_PKCS1_SHA_256";
        /// ECDSA with SHA-256, DER signature.
        EcdsaSha256 = 3, "ECDSA_SHA_256";
        /// SM2 signature with SM3, DER signature.
        Sm2Dsa = 4, "SM2DSA";
        /// RSAES-OAEP with SHA-1 and MGF1-SHA-1, empty label.
        RsaesOaepSha1 = 5, "RSAES_OAEP_SHA_1";
        /// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
        RsaesOaepSha256 = 6, "RSAES_OAEP_SHA_256";
        /// SM2 public key encryption, GB/T 32918 DER ciphertext.
        Sm2Pke = 7, "SM2PKE";
    }
);

kms_enum!(
    /// What the data given to sign or verify is.
    MessageType, "message type" {
        /// The data is the 32-byte digest (SHA-256, or e for SM2DSA).
        Digest = 0, "DIGEST";
        /// The data is the message; the library hashes it.
        Raw = 1, "RAW";
    }
);

impl KeySpec {
    /// Whether a key of this spec may be created with `usage`.
    pub fn supports(self, usage: KeyUsage) -> bool {
        match usage {
            KeyUsage::SignVerify => true,
            KeyUsage::EncryptDecrypt => !matches!(self, KeySpec::EcP256 | KeySpec::EcP256k),
        }
    }

    /// Checks that a key of this spec may be created with `usage` (`Incompatible` if not).
    pub fn check_usage(self, usage: KeyUsage) -> Result<()> {
        if self.supports(usage) {
            Ok(())
        } else {
            Err(Error::Incompatible(format!(
                "key spec {self} does not support key usage {usage}"
            )))
        }
    }

    /// Whether the spec is an RSA modulus size.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeySpec::Rsa2048 | KeySpec::Rsa3072)
    }

    /// The RSA modulus size in bytes (`None` for EC specs).
    pub fn rsa_modulus_len(self) -> Option<usize> {
        match self {
            KeySpec::Rsa2048 => Some(256),
            KeySpec::Rsa3072 => Some(384),
            _ => None,
        }
    }
}

impl Algorithm {
    /// The key usage this algorithm belongs to.
    pub fn usage(self) -> KeyUsage {
        match self {
            Algorithm::RsaPssSha256
            | Algorithm::RsaPkcs1Sha256
            | Algorithm::EcdsaSha256
            | Algorithm::Sm2Dsa => KeyUsage::SignVerify,
            Algorithm::RsaesOaepSha1 | Algorithm::RsaesOaepSha256 | Algorithm::Sm2Pke => {
                KeyUsage::EncryptDecrypt
            }
        }
    }

    /// Whether this algorithm works with keys of `spec`.
    pub fn fits_spec(self, spec: KeySpec) -> bool {
        match self {
            Algorithm::RsaPssSha256
            | Algorithm::RsaPkcs1Sha256
            | Algorithm::RsaesOaepSha1
            | Algorithm::RsaesOaepSha256 => spec.is_rsa(),
            Algorithm::EcdsaSha256 => matches!(spec, KeySpec::EcP256 | KeySpec::EcP256k),
            Algorithm::Sm2Dsa | Algorithm::Sm2Pke => spec == KeySpec::EcSm2,
        }
    }

    /// Checks that this algorithm may be used with a key of `spec` and `usage` for an
    /// operation of `wanted` usage (`Incompatible` if not).
    pub fn check(self, spec: KeySpec, usage: KeyUsage, wanted: KeyUsage) -> Result<()> {
        if self.usage() != wanted {
            return Err(Error::Incompatible(format!(
                "algorithm {self} is not a {wanted} algorithm"
            )));
        }
        if !self.fits_spec(spec) {
            return Err(Error::Incompatible(format!(
                "algorithm {self} does not fit key spec {spec}"
            )));
        }
        if usage != wanted {
            return Err(Error::Incompatible(format!(
                "the key's usage is {usage}, not {wanted}"
            )));
        }
        Ok(())
    }

    /// The largest plaintext this algorithm encrypts under a key of `spec`, in bytes.
    pub fn max_plaintext_len(self, spec: KeySpec) -> Option<usize> {
        let hash_len = match self {
            Algorithm::RsaesOaepSha1 => 20,
            Algorithm::RsaesOaepSha256 => 32,
            Algorithm::Sm2Pke => return Some(SM2PKE_MAX_PLAINTEXT),
            _ => return None,
        };
        spec.rsa_modulus_len().map(|k| k - 2 * hash_len - 2)
    }
}

/// The largest SM2PKE plaintext, as a cloud KMS allows.
pub const SM2PKE_MAX_PLAINTEXT: usize = 6047;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for spec in KeySpec::ALL {
            assert_eq!(KeySpec::from_code(spec.code()).unwrap(), *spec);
            assert_eq!(spec.name().parse::<KeySpec>().unwrap(), *spec);
        }
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_code(alg.code()).unwrap(), *alg);
            assert_eq!(alg.name().parse::<Algorithm>().unwrap(), *alg);
        }
        assert_eq!(MessageType::from_code(0).unwrap(), MessageType::Digest);
        assert!(matches!(
            KeySpec::from_code(0),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            Algorithm::from_code(8),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            "RSA_4096".parse::<KeySpec>(),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn plaintext_limits_match_the_spec() {
        use Algorithm::*;
        use KeySpec::*;
        assert_eq!(RsaesOaepSha1.max_plaintext_len(Rsa2048), Some(214));
        assert_eq!(RsaesOaepSha1.max_plaintext_len(Rsa3072), Some(342));
        assert_eq!(RsaesOaepSha256.max_plaintext_len(Rsa2048), Some(190));
        assert_eq!(RsaesOaepSha256.max_plaintext_len(Rsa3072), Some(318));
        assert_eq!(Sm2Pke.max_plaintext_len(EcSm2), Some(6047));
    }

    #[test]
    fn ec_keys_cannot_encrypt() {
        assert!(!KeySpec::EcP256.supports(KeyUsage::EncryptDecrypt));
        assert!(!KeySpec::EcP256k.supports(KeyUsage::EncryptDecrypt));
        assert!(KeySpec::EcSm2.supports(KeyUsage::EncryptDecrypt));
        assert!(KeySpec::Rsa3072.supports(KeyUsage::EncryptDecrypt));
    }

    #[test]
    fn algorithm_checks() {
        use Algorithm::*;
        use KeySpec::*;
        use KeyUsage::*;
        assert!(EcdsaSha256.check(EcP256k, SignVerify, SignVerify).is_ok());
        assert!(EcdsaSha256.check(EcSm2, SignVerify, SignVerify).is_err());
        assert!(RsaPssSha256
            .check(Rsa2048, EncryptDecrypt, SignVerify)
            .is_err());
        assert!(RsaesOaepSha1
            .check(Rsa2048, EncryptDecrypt, SignVerify)
            .is_err());
        assert!(Sm2Pke.check(EcSm2, EncryptDecrypt, EncryptDecrypt).is_ok());
    }
}
