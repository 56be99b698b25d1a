//! AWS Signature Version 4, header form, as the AWS SDKs and CLI sign KMS requests.
//!
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=AK/20261201/REGION/kms/aws4_request,
//!                SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=hex
//! canonical   = METHOD \n URI \n QUERY \n (name:value \n)* \n SIGNED_HEADERS \n hex(SHA256(body))
//! to_sign     = AWS4-HMAC-SHA256 \n X-Amz-Date \n DATE/REGION/kms/aws4_request \n hex(SHA256(canonical))
//! key         = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, DATE), REGION), "kms"), "aws4_request")
//! ```
//! Any region is accepted (the response ARNs carry it); the service must be `kms`; `host`
//! and `x-amz-date` must be signed; the body hash is always computed from the body.

use super::{
    check_skew, ct_eq, encode_rfc3986, hmac_sha256, parse_amz_date, parse_form, percent_decode,
    sha256_hex, AuthFailure, Authenticated, AuthorizationParams, Secrets,
};
use crate::serve::request::Request;
use std::cell::RefCell;
use zeroize::Zeroizing;

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Auth {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: Vec<u8>,
}

/// Parses `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
pub fn parse_authorization(value: &str) -> Result<SigV4Auth, AuthFailure> {
    let bad =
        |m: &str| AuthFailure::Incomplete(format!("malformed SigV4 Authorization header: {m}"));
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| bad("not AWS4-HMAC-SHA256"))?;
    let params = AuthorizationParams::parse(rest, &bad)?;
    let cred = params.cred.ok_or_else(|| bad("no Credential"))?;
    let mut scope = cred.rsplitn(5, '/');
    let (term, service, region, date, ak) = (
        scope.next().unwrap_or(""),
        scope.next().unwrap_or(""),
        scope.next().unwrap_or(""),
        scope.next().unwrap_or(""),
        scope.next().unwrap_or(""),
    );
    if ak.is_empty() || region.is_empty() || term != "aws4_request" || date.len() != 8 {
        return Err(bad(
            "Credential must be KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    }
    let (signed_headers, signature) = params.signed_headers_and_signature(&bad)?;
    Ok(SigV4Auth {
        access_key_id: ak.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature,
    })
}

/// Appends a header value as SigV4 canonicalizes it: trimmed, runs of spaces made one.
fn push_canonical_value(out: &mut String, v: &str) {
    for (i, word) in v.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The canonical request the signature covers.
pub fn canonical_request(req: &Request, auth: &SigV4Auth) -> Result<String, AuthFailure> {
    let path = if req.path.is_empty() {
        "/"
    } else {
        req.path.as_str()
    };
    let path = percent_decode(path, false).map_err(AuthFailure::Incomplete)?;
    let mut query: Vec<(String, String)> = parse_form(&req.query)
        .map_err(AuthFailure::Incomplete)?
        .into_iter()
        .map(|(k, v)| {
            (
                encode_rfc3986(k.as_bytes(), b""),
                encode_rfc3986(v.as_bytes(), b""),
            )
        })
        .collect();
    query.sort();
    let mut out = String::with_capacity(512);
    out.push_str(&req.method);
    out.push('\n');
    out.push_str(&encode_rfc3986(&path, b"/"));
    out.push('\n');
    out.push_str(
        &query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    out.push('\n');
    for name in &auth.signed_headers {
        out.push_str(name);
        out.push(':');
        let mut values = req.header_values(name);
        let Some(first) = values.next() else {
            return Err(AuthFailure::Incomplete(format!(
                "signed header {name} is missing"
            )));
        };
        push_canonical_value(&mut out, first);
        for v in values {
            out.push(',');
            push_canonical_value(&mut out, v);
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(&sha256_hex(&req.body));
    Ok(out)
}

/// The signature of `req` under `secret`.
pub fn sign(
    req: &Request,
    auth: &SigV4Auth,
    amz_date: &str,
    secret: &[u8],
) -> Result<[u8; 32], AuthFailure> {
    let canonical = canonical_request(req, auth)?;
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{}/{}/aws4_request\n{}",
        auth.date,
        auth.region,
        auth.service,
        sha256_hex(canonical.as_bytes())
    );
    let k_signing = signing_key(secret, &auth.date, &auth.region, &auth.service);
    Ok(hmac_sha256(&*k_signing, to_sign.as_bytes()))
}

/// A signing key this thread derived, and what it was derived from.
struct CachedKey {
    secret: Zeroizing<Vec<u8>>,
    scope: (String, String, String),
    key: Zeroizing<[u8; 32]>,
}

/// How many signing keys each thread keeps (a handful of access keys and regions at a time).
const CACHED_KEYS: usize = 8;

thread_local! {
    static SIGNING_KEYS: RefCell<Vec<CachedKey>> = const { RefCell::new(Vec::new()) };
}

/// The signing key of `secret` for a date, region and service: four chained HMACs, for a
/// key that changes once a day, so each thread remembers the last few it derived.
fn signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> Zeroizing<[u8; 32]> {
    let hit = SIGNING_KEYS.with(|c| {
        c.borrow()
            .iter()
            .find(|k| {
                (k.scope.0.as_str(), k.scope.1.as_str(), k.scope.2.as_str())
                    == (date, region, service)
                    && ct_eq(&k.secret, secret)
            })
            .map(|k| k.key.clone())
    });
    if let Some(key) = hit {
        return key;
    }
    let mut k = Zeroizing::new(Vec::with_capacity(secret.len() + 4));
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret);
    let k_date = Zeroizing::new(hmac_sha256(&k, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    let key = Zeroizing::new(hmac_sha256(&*k_service, b"aws4_request"));
    SIGNING_KEYS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHED_KEYS {
            c.remove(0);
        }
        c.push(CachedKey {
            secret: Zeroizing::new(secret.to_vec()),
            scope: (date.to_owned(), region.to_owned(), service.to_owned()),
            key: key.clone(),
        });
    });
    key
}

/// Verifies a SigV4-signed request whose `Authorization` header parsed as `auth`
/// (`parse_authorization`): signature, then clock. Returns the key and the region.
pub fn verify(
    req: &Request,
    auth: SigV4Auth,
    secrets: &dyn Secrets,
    now: i64,
) -> Result<(Authenticated, String), AuthFailure> {
    if auth.service != "kms" {
        return Err(AuthFailure::Incomplete(format!(
            "credential scope names service {:?}, not kms",
            auth.service
        )));
    }
    for required in ["host", "x-amz-date"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(AuthFailure::Incomplete(format!(
                "{required} must be a signed header"
            )));
        }
    }
    let amz_date = req.header("x-amz-date").unwrap_or("").trim().to_owned();
    let t = parse_amz_date(&amz_date).ok_or_else(|| {
        AuthFailure::Incomplete(format!("X-Amz-Date {amz_date:?} is not YYYYMMDDTHHMMSSZ"))
    })?;
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthFailure::Incomplete(
            "the credential scope date is not the X-Amz-Date's".into(),
        ));
    }
    let secret = secrets
        .secret(&auth.access_key_id)
        .ok_or_else(|| AuthFailure::UnknownAccessKey(auth.access_key_id.clone()))?;
    let expected = sign(req, &auth, &amz_date, secret)?;
    if !ct_eq(&expected, &auth.signature) {
        return Err(AuthFailure::SignatureMismatch);
    }
    check_skew(t, now)?;
    Ok((
        Authenticated {
            access_key_id: auth.access_key_id,
        },
        auth.region,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's SigV4 documentation ("GET https://iam.amazonaws.com/?Action=ListUsers").
    #[test]
    fn matches_the_documented_example() {
        let req = Request {
            method: "GET".into(),
            path: "/".into(),
            query: "Action=ListUsers&Version=2010-05-08".into(),
            headers: vec![
                ("host".into(), "iam.amazonaws.com".into()),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                ),
                ("x-amz-date".into(), "20150830T123600Z".into()),
            ],
            ..Default::default()
        };
        let auth = SigV4Auth {
            access_key_id: "AKIDEXAMPLE".into(),
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "iam".into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
            signature: vec![],
        };
        let sig = sign(
            &req,
            &auth,
            "20150830T123600Z",
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
        .unwrap();
        assert_eq!(
            hex::encode(sig),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn the_signing_key_is_that_of_its_own_secret_and_scope() {
        let derive = |secret: &[u8], date: &str, region: &str| {
            let k = hmac_sha256(&[b"AWS4", secret].concat(), date.as_bytes());
            let k = hmac_sha256(&k, region.as_bytes());
            let k = hmac_sha256(&k, b"kms");
            hmac_sha256(&k, b"aws4_request")
        };
        // More secrets and scopes than the cache holds, each asked for twice, interleaved.
        let cases: Vec<(Vec<u8>, &str, &str)> = (0..CACHED_KEYS + 3)
            .flat_map(|i| {
                let s = format!("secret-{i}").into_bytes();
                [
                    (s.clone(), "20261201", "us-east-1"),
                    (s, "20261202", "eu-west-1"),
                ]
            })
            .collect();
        for _ in 0..2 {
            for (secret, date, region) in &cases {
                assert_eq!(
                    *signing_key(secret, date, region, "kms"),
                    derive(secret, date, region)
                );
            }
        }
    }

    #[test]
    fn parses_header() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20261201/eu-west-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab",
        )
        .unwrap();
        assert_eq!(
            (a.access_key_id.as_str(), a.region.as_str()),
            ("AK", "eu-west-1")
        );
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2026/r/kms/aws4_request, SignedHeaders=host, Signature=ab").is_err());
    }
}
