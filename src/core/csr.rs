//! GenerateCSR: a PKCS#10 certificate request (PEM `CERTIFICATE REQUEST`) signed by a key
//! version's private key.
//!
//! The request is assembled by `x509-cert`'s [`RequestBuilder`]; this module parses the subject
//! and DNS names, and picks the signer for the spec: sha256WithRSAEncryption (RSA),
//! ecdsa-with-SHA256 (P-256, secp256k1) or SM2-with-SM3 (1.2.156.10197.1.501) with the default
//! distinguishing id. The SM2 signature goes into the request as DER `SEQUENCE{r,s}`, the form
//! OpenSSL reads, through the small [`Sm2DerSigner`] adapter.

use std::str::FromStr;

use der::asn1::Ia5String;
use der::EncodePem;
use pkcs8::LineEnding;
use signature::{Keypair, Signer};
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use super::access::{Action, Call};
use super::error::{invalid, Error, Result};
use super::key_spec::KeyUsage;
use super::keypair::KeyPair;
use super::provider::signer::{P256DerSigner, RsaPkcs1Signer};
use super::store::Store;

/// The longest DNS name a request may carry, in bytes (RFC 1035, without a trailing dot).
pub const MAX_DNS_NAME_LEN: usize = 253;

/// The longest label of a DNS name, in bytes.
const MAX_DNS_LABEL_LEN: usize = 63;

impl Store {
    /// GenerateCSR: a PKCS#10 request for `subject` (an RFC 4514 string such as
    /// `CN=example.com,O=Acme,C=CN`) with `dns_names` as a subjectAltName extension request
    /// (none if empty), signed by the private key of `version` of `key`. Returns PEM
    /// `CERTIFICATE REQUEST`.
    ///
    /// Errors: `InvalidArgument` (an unparsable or empty subject, an invalid DNS name),
    /// `NotFound`, `AccessDenied`, `Incompatible` (the key is not SIGN/VERIFY), `InvalidState`
    /// (the key is not Enabled).
    pub fn generate_csr(
        &self,
        key: &str,
        version: &str,
        subject: &str,
        dns_names: &[&str],
    ) -> Result<String> {
        let call = Call::new(Action::GenerateCSR).key(key).version(version);
        self.run(call, |call| {
            let subject = parse_subject(subject)?;
            let san = subject_alt_name(dns_names)?;
            let v = self.with_key(call, key, |store, call, entry| {
                let v = entry.version(version)?;
                store.authorize(call, Some(entry))?;
                if entry.record.usage != KeyUsage::SignVerify {
                    return Err(Error::Incompatible(format!(
                        "key {} is {}; a CSR needs a SIGN/VERIFY key",
                        entry.record.id,
                        entry.record.usage.name()
                    )));
                }
                entry.check_enabled()?;
                Ok(v.clone())
            })?;
            build_csr(v.key_pair()?, subject, san.as_ref())
        })
    }
}

/// Parses an RFC 4514 subject. Empty or unparsable is `InvalidArgument`.
pub fn parse_subject(subject: &str) -> Result<Name> {
    if subject.trim().is_empty() {
        return Err(invalid(
            "subject is empty; give an RFC 4514 name such as CN=example.com",
        ));
    }
    let name = Name::from_str(subject).map_err(|e| {
        invalid(format!(
            "subject {subject:?} is not an RFC 4514 name (like CN=example.com,O=Acme,C=CN): {e}"
        ))
    })?;
    if name.is_empty() {
        return Err(invalid(format!("subject {subject:?} names nothing")));
    }
    Ok(name)
}

/// Checks one DNS name: 1 to 253 bytes of dot-separated labels, each 1 to 63 letters, digits
/// and hyphens, not starting or ending with a hyphen. The first label may be `*` (a wildcard).
/// Internationalized names are given in their ASCII (`xn--`) form.
pub fn check_dns_name(name: &str) -> Result<()> {
    let bad = |why: &str| invalid(format!("DNS name {name:?} is invalid: {why}"));
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > MAX_DNS_NAME_LEN {
        return Err(bad(&format!(
            "it is {} bytes, at most {MAX_DNS_NAME_LEN} are allowed",
            name.len()
        )));
    }
    for (i, label) in name.split('.').enumerate() {
        if i == 0 && label == "*" && name.len() > 1 {
            continue;
        }
        if label.is_empty() {
            return Err(bad("it has an empty label"));
        }
        if label.len() > MAX_DNS_LABEL_LEN {
            return Err(bad(&format!(
                "label {label:?} is longer than {MAX_DNS_LABEL_LEN} bytes"
            )));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(bad(&format!(
                "label {label:?} may hold only letters, digits and hyphens"
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad(&format!(
                "label {label:?} starts or ends with a hyphen"
            )));
        }
    }
    Ok(())
}

/// The subjectAltName extension for `dns_names`, or `None` if there are none.
fn subject_alt_name(dns_names: &[&str]) -> Result<Option<SubjectAltName>> {
    if dns_names.is_empty() {
        return Ok(None);
    }
    let mut names = Vec::with_capacity(dns_names.len());
    for &name in dns_names {
        check_dns_name(name)?;
        let ia5 = Ia5String::new(name)
            .map_err(|e| invalid(format!("DNS name {name:?} is invalid: {e}")))?;
        names.push(GeneralName::DnsName(ia5));
    }
    Ok(Some(SubjectAltName(names)))
}

/// Builds and signs the request with `pair` and returns it as PEM.
fn build_csr(pair: &KeyPair, subject: Name, san: Option<&SubjectAltName>) -> Result<String> {
    let mut builder = RequestBuilder::new(subject).map_err(build_failed)?;
    if let Some(san) = san {
        builder
            .add_extension(san)
            .map_err(|e| Error::Internal(format!("CSR subjectAltName encoding failed: {e}")))?;
    }
    // RSA and P-256 sign through the provider's keys (AWS-LC or RustCrypto, see
    // `provider::signer`); secp256k1 and SM2 are RustCrypto keys in every build.
    let req: CertReq = match pair {
        KeyPair::Rsa(key) => {
            builder.build::<_, rsa::pkcs1v15::Signature>(&RsaPkcs1Signer::new(key)?)
        }
        KeyPair::P256(key) => {
            builder.build::<_, p256::ecdsa::DerSignature>(&P256DerSigner::new(key)?)
        }
        KeyPair::K256(key) => builder.build::<_, k256::ecdsa::DerSignature>(key.signing_key()),
        KeyPair::Sm2(key) => {
            builder.build::<_, sm2::dsa::DerSignature>(&Sm2DerSigner(key.signing_key()))
        }
    }
    .map_err(build_failed)?;
    req.to_pem(LineEnding::LF)
        .map_err(|e| Error::Internal(format!("CSR encoding failed: {e}")))
}

fn build_failed(e: x509_cert::builder::Error) -> Error {
    Error::Internal(format!("CSR could not be built: {e}"))
}

/// An SM2 signer whose signatures are DER `SEQUENCE{r,s}`.
///
/// `sm2::dsa::SigningKey` signs into its fixed-size `r‖s` type, which `x509-cert` would put
/// into the request's BIT STRING as 64 raw bytes; OpenSSL (and the standard) expect the DER
/// form. This adapter signs with the same key (SM3 over Z‖M, Z from the key's distinguishing
/// id) and converts.
struct Sm2DerSigner<'a>(&'a sm2::dsa::SigningKey);

impl Keypair for Sm2DerSigner<'_> {
    type VerifyingKey = sm2::dsa::VerifyingKey;

    fn verifying_key(&self) -> sm2::dsa::VerifyingKey {
        self.0.verifying_key().clone()
    }
}

impl SignatureAlgorithmIdentifier for Sm2DerSigner<'_> {
    type Params = <sm2::dsa::SigningKey as SignatureAlgorithmIdentifier>::Params;

    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<Self::Params> =
        <sm2::dsa::SigningKey as SignatureAlgorithmIdentifier>::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl Signer<sm2::dsa::DerSignature> for Sm2DerSigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> signature::Result<sm2::dsa::DerSignature> {
        let sig: sm2::dsa::Signature = self.0.try_sign(msg)?;
        Ok(sig.to_der())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::key_spec::KeySpec;
    use der::{Decode, DecodePem, Encode};
    use signature::Verifier;

    #[test]
    fn dns_names_are_checked() {
        for good in [
            "example.com",
            "a.b-c.example",
            "*.example.com",
            "xn--bcher-kva.example",
            "localhost",
        ] {
            check_dns_name(good).unwrap();
        }
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = ["a"; 127].join(".") + ".com";
        for bad in [
            "",
            "exa mple.com",
            "-a.com",
            "a-.com",
            "a..com",
            "a.com.",
            "*",
            "a.*.com",
            "bücher.example",
            "under_score.com",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            let err = check_dns_name(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err}");
            assert!(err.message().contains("DNS name"), "{err}");
        }
    }

    #[test]
    fn subjects_are_parsed() {
        let name = parse_subject("CN=signer.example.com,O=Acme Ltd,C=CN").unwrap();
        assert_eq!(name.to_string(), "CN=signer.example.com,O=Acme Ltd,C=CN");
        let escaped = parse_subject(r"CN=Acme\, Inc,O=a+OU=b,C=US").unwrap();
        // Four attributes: the escaped comma is part of the CN, O and OU share one RDN.
        assert_eq!(escaped.iter().count(), 4);
        assert!(escaped.to_string().contains(r"CN=Acme\, Inc"), "{escaped}");
        for bad in ["", "   ", "CN", "XX=1", "CN=a,,O=b"] {
            let err = parse_subject(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err}");
            assert!(err.message().contains("subject"), "{err}");
        }
    }

    #[test]
    fn sm2_request_signature_is_der_and_verifies() {
        let pair = KeyPair::generate(KeySpec::EcSm2).unwrap();
        let pem = build_csr(&pair, parse_subject("CN=sm2.example").unwrap(), None).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
        let req = CertReq::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(req.algorithm.oid.to_string(), "1.2.156.10197.1.501");
        let sig_bytes = req.signature.as_bytes().unwrap();
        assert_eq!(sig_bytes[0], 0x30, "signature is not a DER SEQUENCE");
        let sig = sm2::dsa::Signature::from_der(sig_bytes).unwrap();
        let KeyPair::Sm2(key) = &pair else {
            unreachable!()
        };
        let tbs = req.info.to_der().unwrap();
        key.signing_key()
            .verifying_key()
            .verify(&tbs, &sig)
            .unwrap();
        let spki = req.info.public_key.to_der().unwrap();
        assert_eq!(spki, pair.public_key_der().unwrap());
        let _ = CertReq::from_der(&req.to_der().unwrap()).unwrap();
    }
}
