//! Alibaba Cloud's ACS3 signature (ACS3-HMAC-SHA256, the SDKs' default, and ACS3-HMAC-SM3).
//!
//! ```text
//! Authorization: ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-action;...,Signature=hex
//!
//! canonical = METHOD \n PATH \n QUERY \n (name:value \n)* \n SIGNED_HEADERS \n hex(H(body))
//! signature = hex(HMAC(secret, ALG \n hex(H(canonical))))
//! ```
//! QUERY is the query decoded then re-encoded per RFC 3986, sorted by name; each header value
//! is trimmed, several values of one header are sorted and joined with `,`. Every header in
//! `SignedHeaders` must be present, and `x-acs-date` and `x-acs-signature-nonce` must be signed.

use super::{
    check_skew, ct_eq, encode_rfc3986, hmac_sha256, hmac_sm3, parse_form, parse_iso8601,
    sha256_hex, sm3_hex, AuthFailure, Authenticated, AuthorizationParams, NonceCache, Secrets,
};
use crate::serve::request::Request;

/// The hash and MAC of one ACS3 variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acs3Alg {
    HmacSha256,
    HmacSm3,
}

impl Acs3Alg {
    fn name(self) -> &'static str {
        match self {
            Acs3Alg::HmacSha256 => "ACS3-HMAC-SHA256",
            Acs3Alg::HmacSm3 => "ACS3-HMAC-SM3",
        }
    }
    fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Acs3Alg::HmacSha256 => sha256_hex(data),
            Acs3Alg::HmacSm3 => sm3_hex(data),
        }
    }
    fn mac(self, key: &[u8], data: &[u8]) -> [u8; 32] {
        match self {
            Acs3Alg::HmacSha256 => hmac_sha256(key, data),
            Acs3Alg::HmacSm3 => hmac_sm3(key, data),
        }
    }
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Auth {
    pub alg: Acs3Alg,
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: Vec<u8>,
}

/// Parses `ACS3-... Credential=..,SignedHeaders=..,Signature=..`.
pub fn parse_authorization(value: &str) -> Result<Acs3Auth, AuthFailure> {
    let bad =
        |m: &str| AuthFailure::Incomplete(format!("malformed ACS3 Authorization header: {m}"));
    let (alg, rest) = value.split_once(' ').ok_or_else(|| bad("no parameters"))?;
    let alg = match alg {
        "ACS3-HMAC-SHA256" => Acs3Alg::HmacSha256,
        "ACS3-HMAC-SM3" => Acs3Alg::HmacSm3,
        _ => return Err(bad("unsupported algorithm")),
    };
    let params = AuthorizationParams::parse(rest, &bad)?;
    let cred = params
        .cred
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("no Credential"))?;
    let (signed_headers, signature) = params.signed_headers_and_signature(&bad)?;
    Ok(Acs3Auth {
        alg,
        access_key_id: cred.to_owned(),
        signed_headers,
        signature,
    })
}

/// The canonical query string: decoded, re-encoded per RFC 3986, sorted by name then value.
pub fn canonical_query(query: &str) -> Result<String, AuthFailure> {
    let mut pairs: Vec<(String, String)> = parse_form(query)
        .map_err(AuthFailure::Incomplete)?
        .into_iter()
        .map(|(k, v)| {
            (
                encode_rfc3986(k.as_bytes(), b""),
                encode_rfc3986(v.as_bytes(), b""),
            )
        })
        .collect();
    pairs.sort();
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&"))
}

/// The canonical request the signature covers.
pub fn canonical_request(req: &Request, auth: &Acs3Auth) -> Result<String, AuthFailure> {
    let mut out = String::with_capacity(512);
    out.push_str(&req.method);
    out.push('\n');
    out.push_str(if req.path.is_empty() { "/" } else { &req.path });
    out.push('\n');
    out.push_str(&canonical_query(&req.query)?);
    out.push('\n');
    let mut names = auth.signed_headers.clone();
    names.sort();
    names.dedup();
    for name in &names {
        let mut values: Vec<&str> = req.header_values(name).map(str::trim).collect();
        if values.is_empty() {
            return Err(AuthFailure::Incomplete(format!(
                "signed header {name} is missing"
            )));
        }
        values.sort_unstable();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(&auth.alg.hash_hex(&req.body));
    Ok(out)
}

/// The signature of `req` under `secret`, as hex would show it (raw bytes).
pub fn sign(req: &Request, auth: &Acs3Auth, secret: &[u8]) -> Result<[u8; 32], AuthFailure> {
    let canonical = canonical_request(req, auth)?;
    let to_sign = format!(
        "{}\n{}",
        auth.alg.name(),
        auth.alg.hash_hex(canonical.as_bytes())
    );
    Ok(auth.alg.mac(secret, to_sign.as_bytes()))
}

/// Verifies an ACS3-signed request: signature, then clock, then nonce.
pub fn verify(
    req: &Request,
    secrets: &dyn Secrets,
    nonces: &NonceCache,
    now: i64,
) -> Result<Authenticated, AuthFailure> {
    let auth = parse_authorization(req.header("authorization").unwrap_or(""))?;
    for required in ["x-acs-date", "x-acs-signature-nonce"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(AuthFailure::Incomplete(format!(
                "{required} must be a signed header"
            )));
        }
    }
    let secret = secrets
        .secret(&auth.access_key_id)
        .ok_or_else(|| AuthFailure::UnknownAccessKey(auth.access_key_id.clone()))?;
    let expected = sign(req, &auth, secret)?;
    if !ct_eq(&expected, &auth.signature) {
        return Err(AuthFailure::SignatureMismatch);
    }
    let date = req.header("x-acs-date").unwrap_or("");
    let t = parse_iso8601(date.trim()).ok_or_else(|| {
        AuthFailure::Incomplete(format!("x-acs-date {date:?} is not an ISO 8601 UTC time"))
    })?;
    check_skew(t, now)?;
    let nonce = req.header("x-acs-signature-nonce").unwrap_or("").trim();
    if nonce.is_empty() {
        return Err(AuthFailure::Incomplete(
            "x-acs-signature-nonce is empty".into(),
        ));
    }
    nonces.check(&auth.access_key_id, nonce, t, now)?;
    Ok(Authenticated {
        access_key_id: auth.access_key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header() {
        let a = parse_authorization(
            "ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host;x-acs-date,Signature=00ff",
        )
        .unwrap();
        assert_eq!(a.alg, Acs3Alg::HmacSm3);
        assert_eq!(a.access_key_id, "AK");
        assert_eq!(a.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(a.signature, [0, 255]);
        assert!(
            parse_authorization("ACS3-HMAC-MD5 Credential=AK,SignedHeaders=a,Signature=00")
                .is_err()
        );
        assert!(
            parse_authorization("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a,Signature=zz")
                .is_err()
        );
    }

    #[test]
    fn canonical_query_is_sorted_and_reencoded() {
        assert_eq!(
            canonical_query("b=2&a=x+y&c=%2f").unwrap(),
            "a=x%20y&b=2&c=%2F"
        );
        assert_eq!(canonical_query("").unwrap(), "");
    }
}
