//! ImportKey and ImportKeyVersion: an unencrypted PKCS#8 DER private key becomes a new key
//! (Origin `EXTERNAL`) or a new version of an existing key of the same spec.
//!
//! The spec is read from the key itself: `rsaEncryption` with a 2048- or 3072-bit modulus and
//! e = 65537, or `id-ecPublicKey` on P-256, secp256k1 or the SM2 curve (1.2.156.10197.1.301,
//! as OpenSSL writes SM2 keys). Everything else — other sizes, exponents, curves or
//! algorithms, encrypted PKCS#8, PEM, trailing bytes, anything that is not strict DER — is
//! `InvalidArgument` with the reason. akms keeps no copy of the input: it is parsed in place,
//! and the parsed key lives in types that zeroize on drop.

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Reader, SliceReader};
use pkcs8::PrivateKeyInfoRef;
use rsa::pkcs1::RsaPrivateKeyRef;
use spki::AlgorithmIdentifierRef;

use super::access::{Action, Call};
use super::error::{invalid, Error, Result};
use super::key::Origin;
use super::key_spec::{KeySpec, KeyUsage};
use super::keypair::KeyPair;
use super::store::{check_description, Store};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");

const CURVE_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CURVE_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
const CURVE_SM2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
const CURVE_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const CURVE_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The RSA public exponent every imported RSA key must have.
const RSA_EXPONENT: [u8; 3] = [0x01, 0x00, 0x01];

impl Store {
    /// ImportKey: a new key of `usage` whose first version holds the PKCS#8 DER private key
    /// `pkcs8_der`; the key spec is the imported key's. Returns (key id, version id). The key's
    /// Origin is `EXTERNAL`.
    ///
    /// Errors: `InvalidArgument` (not a supported unencrypted PKCS#8 key, a long description),
    /// `AccessDenied`, `Incompatible` (ENCRYPT/DECRYPT for an EC_P256 or EC_P256K key).
    pub fn import_key(
        &self,
        usage: KeyUsage,
        pkcs8_der: &[u8],
        description: Option<&str>,
    ) -> Result<(String, String)> {
        self.run(Call::new(Action::ImportKey), |call| {
            let description = check_description(description)?;
            let pair = read_pkcs8(pkcs8_der)?;
            self.authorize(call, None)?;
            let spec = pair.spec();
            spec.check_usage(usage)?;
            self.add_key(call, spec, usage, description, Origin::External, pair)
        })
    }

    /// ImportKeyVersion: a new version of the Enabled key `key` (id or alias) holding the
    /// PKCS#8 DER private key `pkcs8_der`, which must be of the key's spec. Returns the version
    /// id.
    ///
    /// Errors: `InvalidArgument` (not a supported unencrypted PKCS#8 key), `NotFound`,
    /// `AccessDenied`, `Incompatible` (a key of another spec), `InvalidState` (the key is not
    /// Enabled).
    pub fn import_key_version(&self, key: &str, pkcs8_der: &[u8]) -> Result<String> {
        self.run(Call::new(Action::ImportKeyVersion).key(key), |call| {
            let pair = read_pkcs8(pkcs8_der)?;
            self.with_key(call, key, |store, call, entry| {
                store.authorize(call, Some(entry))?;
                if entry.record.spec != pair.spec() {
                    return Err(Error::Incompatible(format!(
                        "key {} is {}, the imported key is {}",
                        entry.record.id,
                        entry.record.spec,
                        pair.spec()
                    )));
                }
                entry.check_enabled()
            })?;
            self.add_version(call, pair)
        })
    }
}

/// Reads an unencrypted PKCS#8 DER private key of one of the five specs, finding the spec
/// from the key's algorithm, curve and size.
pub fn read_pkcs8(der: &[u8]) -> Result<KeyPair> {
    let spec = detect_spec(der)?;
    KeyPair::from_pkcs8_der(spec, der)
}

/// The key spec of a PKCS#8 DER private key, or `InvalidArgument` saying why it has none.
pub fn detect_spec(der: &[u8]) -> Result<KeySpec> {
    if der.is_empty() {
        return Err(invalid("the PKCS#8 private key is empty"));
    }
    let info = match PrivateKeyInfoRef::from_der(der) {
        Ok(info) => info,
        Err(_) if der.starts_with(b"-----BEGIN") => {
            return Err(invalid(
                "the private key is PEM; give the PKCS#8 DER bytes (openssl pkcs8 -topk8 -nocrypt -outform DER)",
            ))
        }
        Err(_) if is_encrypted_pkcs8(der) => {
            return Err(invalid(
                "the PKCS#8 private key is encrypted (EncryptedPrivateKeyInfo); import it unencrypted (openssl pkcs8 -topk8 -nocrypt)",
            ))
        }
        Err(e) => {
            return Err(invalid(format!(
                "not an unencrypted PKCS#8 DER private key: {e}"
            )))
        }
    };
    let algorithm = info.algorithm.oid;
    match algorithm {
        RSA_ENCRYPTION => rsa_spec(info.private_key.as_bytes()),
        ID_EC_PUBLIC_KEY => {
            let curve = info.algorithm.parameters_oid().map_err(|_| {
                invalid("the EC private key does not name its curve (namedCurve OID expected)")
            })?;
            match curve {
                CURVE_P256 => Ok(KeySpec::EcP256),
                CURVE_SECP256K1 => Ok(KeySpec::EcP256k),
                CURVE_SM2 => Ok(KeySpec::EcSm2),
                CURVE_P384 => Err(unsupported_curve("P-384", curve)),
                CURVE_P521 => Err(unsupported_curve("P-521", curve)),
                other => Err(unsupported_curve("curve", other)),
            }
        }
        RSASSA_PSS => Err(unsupported_algorithm("RSASSA-PSS", algorithm)),
        ED25519 => Err(unsupported_algorithm("Ed25519", algorithm)),
        ED448 => Err(unsupported_algorithm("Ed448", algorithm)),
        DSA => Err(unsupported_algorithm("DSA", algorithm)),
        CURVE_SM2 => Err(invalid(
            "the key names SM2 (1.2.156.10197.1.301) as its algorithm; SM2 keys are read as id-ecPublicKey with the SM2 curve, as OpenSSL 3 writes them",
        )),
        other => Err(unsupported_algorithm("algorithm", other)),
    }
}

fn supported() -> &'static str {
    "supported: RSA 2048/3072 (e = 65537), EC P-256, secp256k1, SM2"
}

fn unsupported_curve(name: &str, oid: ObjectIdentifier) -> Error {
    invalid(format!(
        "EC {name} {oid} is not supported ({})",
        supported()
    ))
}

fn unsupported_algorithm(name: &str, oid: ObjectIdentifier) -> Error {
    invalid(format!(
        "private key {name} {oid} is not supported ({})",
        supported()
    ))
}

/// RSA_2048 or RSA_3072 from the PKCS#1 `RSAPrivateKey` inside the PKCS#8 structure.
fn rsa_spec(pkcs1: &[u8]) -> Result<KeySpec> {
    let key = RsaPrivateKeyRef::from_der(pkcs1)
        .map_err(|e| invalid(format!("the RSA private key does not parse: {e}")))?;
    if key.other_prime_infos.is_some() {
        return Err(invalid("multi-prime RSA keys are not supported"));
    }
    if key.public_exponent.as_bytes() != RSA_EXPONENT {
        return Err(invalid(
            "the RSA public exponent is not 65537, the only one supported",
        ));
    }
    let n = key.modulus.as_bytes();
    let bits = match n.first() {
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    match bits {
        2048 => Ok(KeySpec::Rsa2048),
        3072 => Ok(KeySpec::Rsa3072),
        _ => Err(invalid(format!(
            "RSA keys of {bits} bits are not supported (RSA_2048 or RSA_3072 only)"
        ))),
    }
}

/// Whether `der` has the shape of an `EncryptedPrivateKeyInfo`:
/// `SEQUENCE { AlgorithmIdentifier, OCTET STRING }` and nothing after it.
fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    let Ok(mut reader) = SliceReader::new(der) else {
        return false;
    };
    let shape: der::Result<()> = reader.sequence(|r| {
        AlgorithmIdentifierRef::decode(r)?;
        <&OctetStringRef>::decode(r)?;
        Ok(())
    });
    shape.is_ok() && reader.is_finished()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_detected_and_read() {
        for spec in [
            KeySpec::EcP256,
            KeySpec::EcP256k,
            KeySpec::EcSm2,
            KeySpec::Rsa2048,
        ] {
            let pair = KeyPair::generate(spec).unwrap();
            let der = pair.to_pkcs8_der().unwrap();
            assert_eq!(detect_spec(&der).unwrap(), spec);
            let again = read_pkcs8(&der).unwrap();
            assert_eq!(
                again.public_key_der().unwrap(),
                pair.public_key_der().unwrap()
            );
        }
    }

    #[test]
    fn bad_input_is_invalid_argument() {
        let pair = KeyPair::generate(KeySpec::EcP256).unwrap();
        let der = pair.to_pkcs8_der().unwrap();
        let mut trailing = der.to_vec();
        trailing.push(0);
        for (bad, says) in [
            (&b""[..], "empty"),
            (&b"garbage"[..], "PKCS#8"),
            (&der[..der.len() - 1], "PKCS#8"),
            (&trailing[..], "PKCS#8"),
            (&b"-----BEGIN PRIVATE KEY-----\n"[..], "PEM"),
        ] {
            let err = read_pkcs8(bad).err().unwrap();
            assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
            assert!(err.message().contains(says), "{err}");
        }
    }

    #[test]
    fn import_sets_origin_and_checks_spec() {
        let store = Store::new();
        let der = KeyPair::generate(KeySpec::EcSm2)
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        let (key, _) = store
            .import_key(KeyUsage::EncryptDecrypt, &der, Some("imported"))
            .unwrap();
        let meta = store.describe_key(&key).unwrap();
        assert_eq!(meta.origin, "EXTERNAL");
        assert_eq!(meta.key_spec, "EC_SM2");
        let p256 = KeyPair::generate(KeySpec::EcP256)
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        let err = store.import_key_version(&key, &p256).unwrap_err();
        assert!(matches!(err, Error::Incompatible(_)), "{err}");
        let err = store
            .import_key(KeyUsage::EncryptDecrypt, &p256, None)
            .unwrap_err();
        assert!(matches!(err, Error::Incompatible(_)), "{err}");
        store.import_key_version(&key, &der).unwrap();
        assert_eq!(store.list_key_versions(&key).unwrap().len(), 2);
        assert_eq!(store.list_keys().unwrap().len(), 1);
    }
}
