//! Alibaba Cloud's RPC signature (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`; what
//! the SDKs call `signature_algorithm="v2"`). The parameters are those of the query and of a
//! form body together:
//!
//! ```text
//! string_to_sign = METHOD & %2F & enc( sorted( enc(name)=enc(value) ) joined by & )
//! Signature      = base64(HMAC-SHA1(secret + "&", string_to_sign))
//! ```
//! with `enc` the RFC 3986 encoding; `Signature` itself is left out.

use base64::Engine;

use super::{
    check_skew, ct_eq, encode_rfc3986, hmac_sha1, parse_iso8601, AuthFailure, Authenticated,
    NonceCache, Secrets,
};
use crate::serve::request::Request;

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The string the signature covers.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(params.len());
    // Later values win (query first, then the body), as the SDKs merge them.
    for (k, v) in params {
        if k == "Signature" {
            continue;
        }
        if let Some(slot) = pairs.iter_mut().find(|(pk, _)| *pk == k) {
            slot.1 = v;
        } else {
            pairs.push((k, v));
        }
    }
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_rfc3986(k.as_bytes(), b""),
                encode_rfc3986(v.as_bytes(), b"")
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", encode_rfc3986(joined.as_bytes(), b""))
}

/// Verifies an RPC-signed request: `params` are the query and form parameters, decoded.
pub fn verify(
    req: &Request,
    params: &[(String, String)],
    secrets: &dyn Secrets,
    nonces: &NonceCache,
    now: i64,
) -> Result<Authenticated, AuthFailure> {
    let missing = |n: &str| AuthFailure::Incomplete(format!("the request has no {n} parameter"));
    let signature = param(params, "Signature").ok_or_else(|| missing("Signature"))?;
    let access_key_id = param(params, "AccessKeyId").ok_or_else(|| missing("AccessKeyId"))?;
    match param(params, "SignatureMethod") {
        Some("HMAC-SHA1") => {}
        Some(m) => {
            return Err(AuthFailure::Incomplete(format!(
                "SignatureMethod {m:?} is not supported"
            )))
        }
        None => return Err(missing("SignatureMethod")),
    }
    if param(params, "SignatureVersion").is_some_and(|v| v != "1.0") {
        return Err(AuthFailure::Incomplete(
            "SignatureVersion must be 1.0".into(),
        ));
    }
    let timestamp = param(params, "Timestamp").ok_or_else(|| missing("Timestamp"))?;
    let nonce = param(params, "SignatureNonce")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing("SignatureNonce"))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| AuthFailure::Incomplete("Signature is not base64".into()))?;
    let secret = secrets
        .secret(access_key_id)
        .ok_or_else(|| AuthFailure::UnknownAccessKey(access_key_id.to_owned()))?;
    let mut key = Vec::with_capacity(secret.len() + 1);
    key.extend_from_slice(secret);
    key.push(b'&');
    let expected = hmac_sha1(&key, string_to_sign(&req.method, params).as_bytes());
    zeroize::Zeroize::zeroize(&mut key);
    if !ct_eq(&expected, &given) {
        return Err(AuthFailure::SignatureMismatch);
    }
    let t = parse_iso8601(timestamp).ok_or_else(|| {
        AuthFailure::Incomplete(format!(
            "Timestamp {timestamp:?} is not an ISO 8601 UTC time"
        ))
    })?;
    check_skew(t, now)?;
    nonces.check(access_key_id, nonce, t, now)?;
    Ok(Authenticated {
        access_key_id: access_key_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_is_double_encoded_and_sorted() {
        let p = vec![
            ("b".to_string(), "x y".to_string()),
            ("a".to_string(), "1/2".to_string()),
            ("Signature".to_string(), "zzz".to_string()),
        ];
        assert_eq!(
            string_to_sign("POST", &p),
            "POST&%2F&a%3D1%252F2%26b%3Dx%2520y"
        );
    }
}
