//! A key version's private key as a store holds it: a ready [`KeyPair`], or (for a version
//! read from a store file) its PKCS#8 bytes, parsed into a pair the first time it is used.
//!
//! Parsing an EC private key computes its public point, a scalar multiplication that costs
//! about a third of a millisecond; doing it lazily keeps opening a store of 100,000 keys cheap.
//! A stored version's public key is kept apart, so GetPublicKey never parses the private key.

use std::ops::Deref;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use super::error::Result;
use super::key_spec::KeySpec;
use super::keypair::KeyPair;
use super::secret::Wiped;

/// A key pair, parsed now or on first use. Dereferences to the [`KeyPair`].
pub struct Material {
    spec: KeySpec,
    /// The PKCS#8 DER a stored version was read from (wiped on drop); `None` for a pair made
    /// in this process.
    pkcs8: Option<Zeroizing<Vec<u8>>>,
    /// Wiped whole on drop: the key types zeroize their own fields, but the enum's bytes beyond
    /// the variant in use are whatever the stack held where the pair was built. Found by
    /// tests/zeroize_alloc.rs with the provider rework merged: a secp256k1 scalar, left on the
    /// stack by parsing, carried into this block and freed with the key version.
    pair: Wiped<OnceLock<KeyPair>>,
}

impl Material {
    /// A pair already parsed (generated or imported).
    pub fn ready(pair: KeyPair) -> Material {
        Material {
            spec: pair.spec(),
            pkcs8: None,
            pair: Wiped::new(OnceLock::from(pair)),
        }
    }

    /// A `spec` key read back as PKCS#8 DER, parsed on first use. The bytes must be a PKCS#8 key
    /// that this library wrote (a store file's records are authenticated before they get here).
    pub fn stored(spec: KeySpec, pkcs8: Zeroizing<Vec<u8>>) -> Material {
        Material {
            spec,
            pkcs8: Some(pkcs8),
            pair: Wiped::new(OnceLock::new()),
        }
    }

    /// The key spec, without parsing anything.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The private key as PKCS#8 DER (what a store file keeps), without parsing a stored key.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        match &self.pkcs8 {
            Some(der) => Ok(der.clone()),
            None => self.pair()?.to_pkcs8_der(),
        }
    }

    /// The parsed pair (parsing a stored key the first time).
    pub fn pair(&self) -> Result<&KeyPair> {
        if let Some(pair) = self.pair.get() {
            return Ok(pair);
        }
        let der = self.pkcs8.as_deref().map_or(&[][..], |d| d.as_slice());
        let parsed = KeyPair::from_pkcs8_der(self.spec, der)?;
        // Another thread may have parsed it meanwhile; either copy will do.
        Ok(self.pair.get_or_init(|| parsed))
    }
}

impl Deref for Material {
    type Target = KeyPair;

    /// The parsed pair. A stored key that does not parse is a bug (its record authenticated, and
    /// it was written from a valid pair): the panic becomes `AKMS_ERR_INTERNAL` at the C ABI.
    fn deref(&self) -> &KeyPair {
        match self.pair() {
            Ok(pair) => pair,
            Err(e) => panic!("stored key material does not parse: {e}"),
        }
    }
}
