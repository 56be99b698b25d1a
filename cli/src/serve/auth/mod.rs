//! Request authentication: the three signature schemes, and what they share (RFC 3986
//! encoding, timestamps, the clock-skew window, the Alibaba nonce cache, the secrets).
//!
//! Each scheme parses its parameters first, then recomputes the signature over the request
//! with the claimed access key's secret and compares in constant time. The clock and the nonce
//! are checked only once the signature is known to be good, so an unsigned request can never
//! fill the nonce cache.

pub mod acs3;
pub mod rpc_v1;
pub mod sigv4;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::request::Request;

/// How far (either way) a request's timestamp may be from the server's clock, in seconds.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Why a request failed authentication. Each maps to its protocol's error code (errors.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No signature, or a signature header or parameter that does not parse.
    Incomplete(String),
    /// The claimed access key is not in the credentials file.
    UnknownAccessKey(String),
    /// The signature does not match the request.
    SignatureMismatch,
    /// The request's time is more than 15 minutes from the server's clock.
    Skewed,
    /// The signature nonce was seen within the window.
    NonceReused,
    /// The nonce cache is full of live nonces (a flood): try again later.
    Overloaded,
}

impl AuthFailure {
    pub fn message(&self) -> String {
        match self {
            AuthFailure::Incomplete(m) => m.clone(),
            AuthFailure::UnknownAccessKey(id) => format!("the access key {id:?} does not exist"),
            AuthFailure::SignatureMismatch => {
                "the request signature does not match the signature the server calculated".into()
            }
            AuthFailure::Skewed => {
                "the request time is more than 15 minutes from the server time".into()
            }
            AuthFailure::NonceReused => "the signature nonce has already been used".into(),
            AuthFailure::Overloaded => "too many requests in the replay window; retry later".into(),
        }
    }
}

/// Looks up the secret of an access key.
pub trait Secrets {
    fn secret(&self, access_key_id: &str) -> Option<&[u8]>;
}

/// A successfully authenticated request: who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub access_key_id: String,
}

/// Constant-time equality of two byte strings (lengths are not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::SimpleHmac::<sm3::Sm3>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    lower_hex(&sha2::Sha256::digest(data))
}

pub fn sm3_hex(data: &[u8]) -> String {
    use sm3::Digest;
    lower_hex(&sm3::Sm3::digest(data))
}

/// Lower-case hex of `bytes` (the `hex` crate's encoder goes char by char through an
/// iterator, which showed in the server's profile: two digests are hexed per request).
pub fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Percent-encodes `bytes` per RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` (and the bytes
/// in `keep`) becomes `%XX` with upper-case hex.
pub fn encode_rfc3986(bytes: &[u8], keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || keep.contains(&b)
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); a bad escape is an error.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (
                    b.get(i + 1).and_then(|&c| hex(c)),
                    b.get(i + 2).and_then(|&c| hex(c)),
                ) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => return Err(format!("bad percent escape in {s:?}")),
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Parses `a=1&b=2` (URL query or form body) into decoded (name, value) pairs, in order.
/// Names and values must be UTF-8.
pub fn parse_form(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = String::from_utf8(percent_decode(k, true)?)
            .map_err(|_| "parameter name is not UTF-8")?;
        let v = String::from_utf8(percent_decode(v, true)?)
            .map_err(|_| "parameter value is not UTF-8")?;
        out.push((k, v));
    }
    Ok(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn epoch(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y as i64, mo, d) * 86400 + (h * 3600 + mi * 60 + s) as i64)
}

/// `2026-12-01T08:55:00Z` (optionally with fractional seconds) as Unix seconds.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let time = time.split_once('.').map_or(time, |(t, frac)| {
        if digits(frac).is_some() || frac.is_empty() {
            t
        } else {
            ""
        }
    });
    let mut d = date.splitn(3, '-');
    let mut t = time.splitn(3, ':');
    let (y, mo, da) = (d.next()?, d.next()?, d.next()?);
    let (h, mi, se) = (t.next()?, t.next()?, t.next()?);
    if y.len() != 4
        || mo.len() != 2
        || da.len() != 2
        || h.len() != 2
        || mi.len() != 2
        || se.len() != 2
    {
        return None;
    }
    epoch(
        digits(y)?,
        digits(mo)?,
        digits(da)?,
        digits(h)?,
        digits(mi)?,
        digits(se)?,
    )
}

/// `20261201T085500Z` (SigV4's X-Amz-Date) as Unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits(s.get(r)?);
    epoch(
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    )
}

/// Checks `t` (Unix seconds) is within the skew window of `now`.
pub fn check_skew(t: i64, now: i64) -> Result<(), AuthFailure> {
    if (t - now).abs() > MAX_SKEW_SECS {
        Err(AuthFailure::Skewed)
    } else {
        Ok(())
    }
}

/// The Alibaba signature nonces seen within the skew window, bounded in size. A nonce is
/// remembered (per access key) until its request's time has left the window; when the cache
/// is full of live nonces, new requests are refused (`Overloaded`) rather than forgetting a
/// live nonce, which would allow a replay.
pub struct NonceCache {
    inner: Mutex<NonceInner>,
    capacity: usize,
}

#[derive(Default)]
struct NonceInner {
    seen: HashMap<(String, String), i64>,
    order: VecDeque<(i64, (String, String))>,
}

impl NonceCache {
    pub fn new(capacity: usize) -> NonceCache {
        NonceCache {
            inner: Mutex::new(NonceInner::default()),
            capacity,
        }
    }

    /// Records `nonce` of `access_key_id` for a request made at `t`; `NonceReused` if it is
    /// already there.
    pub fn check(
        &self,
        access_key_id: &str,
        nonce: &str,
        t: i64,
        now: i64,
    ) -> Result<(), AuthFailure> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Forget nonces whose requests can no longer pass the clock check. Entries are in
        // insertion order, and their expiry is bounded by insertion time + 2 windows, so pop
        // while the front has expired (an entry kept a little longer is harmless).
        while let Some((expiry, _)) = inner.order.front() {
            if *expiry > now {
                break;
            }
            let (_, k) = inner.order.pop_front().expect("front exists");
            if inner.seen.get(&k).is_some_and(|e| *e <= now) {
                inner.seen.remove(&k);
            }
        }
        let key = (access_key_id.to_owned(), nonce.to_owned());
        if inner.seen.contains_key(&key) {
            return Err(AuthFailure::NonceReused);
        }
        if inner.seen.len() >= self.capacity {
            return Err(AuthFailure::Overloaded);
        }
        let expiry = t.max(now) + MAX_SKEW_SECS + 1;
        inner.seen.insert(key.clone(), expiry);
        inner.order.push_back((expiry, key));
        Ok(())
    }
}

/// The parameters of an ACS3 or SigV4 `Authorization` header after its algorithm name:
/// `Credential=..,SignedHeaders=..,Signature=..`, each at most once and nothing else (`bad`
/// words the refusal for the scheme).
pub(crate) struct AuthorizationParams<'a> {
    pub cred: Option<&'a str>,
    pub signed: Option<&'a str>,
    pub sig: Option<&'a str>,
}

impl<'a> AuthorizationParams<'a> {
    pub fn parse(
        rest: &'a str,
        bad: &dyn Fn(&str) -> AuthFailure,
    ) -> Result<AuthorizationParams<'a>, AuthFailure> {
        let (mut cred, mut signed, mut sig) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| bad("a parameter has no value"))?;
            let slot = match k {
                "Credential" => &mut cred,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut sig,
                _ => return Err(bad("unknown parameter")),
            };
            if slot.replace(v).is_some() {
                return Err(bad("repeated parameter"));
            }
        }
        Ok(AuthorizationParams { cred, signed, sig })
    }

    /// The `SignedHeaders` list (lower-case names separated by `;`) and the `Signature` (hex),
    /// both required, as both schemes take them.
    pub fn signed_headers_and_signature(
        &self,
        bad: &dyn Fn(&str) -> AuthFailure,
    ) -> Result<(Vec<String>, Vec<u8>), AuthFailure> {
        let signed_headers: Vec<String> = self
            .signed
            .ok_or_else(|| bad("no SignedHeaders"))?
            .split(';')
            .map(str::to_owned)
            .collect();
        if signed_headers
            .iter()
            .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Err(bad(
                "SignedHeaders must be lower-case names separated by ';'",
            ));
        }
        let signature = hex::decode(self.sig.ok_or_else(|| bad("no Signature"))?)
            .map_err(|_| bad("Signature is not hex"))?;
        Ok((signed_headers, signature))
    }
}

/// Verifies a request with whichever Alibaba scheme it carries: ACS3 (an `Authorization`
/// header starting `ACS3-`) or the RPC signature (a `Signature` parameter).
pub fn verify_alibaba(
    req: &Request,
    params: &[(String, String)],
    secrets: &dyn Secrets,
    nonces: &NonceCache,
    now: i64,
) -> Result<Authenticated, AuthFailure> {
    match req.header("authorization") {
        Some(a) if a.starts_with("ACS3-") => acs3::verify(req, secrets, nonces, now),
        Some(_) => Err(AuthFailure::Incomplete(
            "unsupported Authorization scheme".into(),
        )),
        None => rpc_v1::verify(req, params, secrets, nonces, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_hex_is_the_hex_crates_encoding() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(lower_hex(&all), hex::encode(&all));
        assert_eq!(lower_hex(b""), "");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn encodes_and_decodes() {
        assert_eq!(encode_rfc3986(b"a b+/~*", b""), "a%20b%2B%2F~%2A");
        assert_eq!(percent_decode("a%20b+c", true).unwrap(), b"a b c");
        assert!(percent_decode("%2", false).is_err());
        assert!(percent_decode("%zz", false).is_err());
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_iso8601("1970-01-02T00:00:01Z"), Some(86401));
        assert_eq!(
            parse_amz_date("20261201T085500Z"),
            parse_iso8601("2026-12-01T08:55:00Z")
        );
        assert_eq!(
            parse_iso8601("2026-12-01T08:55:00.123Z"),
            parse_iso8601("2026-12-01T08:55:00Z")
        );
        assert_eq!(parse_iso8601("2026-13-01T08:55:00Z"), None);
        assert_eq!(parse_amz_date("2026120T1085500Z"), None);
    }

    #[test]
    fn nonce_cache_refuses_replay_and_stays_bounded() {
        let c = NonceCache::new(2);
        c.check("ak", "n1", 1000, 1000).unwrap();
        assert_eq!(
            c.check("ak", "n1", 1000, 1001),
            Err(AuthFailure::NonceReused)
        );
        c.check("other", "n1", 1000, 1001).unwrap();
        assert_eq!(
            c.check("ak", "n2", 1000, 1001),
            Err(AuthFailure::Overloaded)
        );
        // Once the window has passed, old nonces are forgotten and room comes back.
        c.check("ak", "n2", 3000, 3000).unwrap();
    }
}
