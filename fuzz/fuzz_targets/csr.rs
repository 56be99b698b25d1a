//! GenerateCSR with arbitrary subjects and DNS names, for a key of every signing spec.
//!
//! Input: `[key selector] subject \0 dns name \0 dns name ...` (segments that are not UTF-8
//! end the input: the C ABI refuses them before the core sees them). A request is either made
//! (PEM `CERTIFICATE REQUEST` that parses back as PKCS#10 and carries the key's public key) or
//! refused with `InvalidArgument`; anything else, or a panic, is a crash.
#![no_main]

use akms::Error;
use der::{Decode, DecodePem, Encode};
use libfuzzer_sys::fuzz_target;
use x509_cert::request::CertReq;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.split(|&b| b == 0);
    let Some(Ok(subject)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let Ok(dns_names) = parts
        .take(16)
        .map(std::str::from_utf8)
        .collect::<Result<Vec<&str>, _>>()
    else {
        return;
    };
    let fixture = akms_fuzz::signing_store();
    let (key, version, spki) = &fixture.keys[selector as usize % fixture.keys.len()];
    match fixture
        .store
        .generate_csr(key, version, subject, &dns_names)
    {
        Ok(pem) => {
            let req = CertReq::from_pem(pem.as_bytes()).expect("a CSR that does not parse");
            let again = req.to_der().unwrap();
            CertReq::from_der(&again).expect("a CSR that does not re-parse");
            assert_eq!(&req.info.public_key.to_der().unwrap(), spki);
        }
        Err(Error::InvalidArgument(_)) => {}
        Err(e) => panic!("generate_csr({subject:?}, {dns_names:?}): unexpected {e:?}"),
    }
});
