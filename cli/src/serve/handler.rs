//! One request, start to finish, whatever the transport: which protocol it speaks, who signed
//! it, the operation, the response, and the audit line. Synchronous: the HTTP layer (mod.rs)
//! decides on which thread it runs.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use akms::core::clock::rfc3339_millis;
use akms::core::id::uuid_v4;

use super::audit::{self, AuditLog, Line};
use super::auth::NonceCache;
use super::credentials::Credentials;
use super::errors::{lookup, Fault, Kind};
use super::request::Request;
use super::{alibaba, aws};

/// The largest body a request may have.
pub const MAX_BODY: usize = 64 * 1024;

/// How many live Alibaba nonces are remembered at most (one window of 15 minutes).
pub const NONCE_CAPACITY: usize = 1 << 20;

/// Which wire protocol a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Alibaba,
    Aws,
    Unknown,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Alibaba => "Alibaba",
            Protocol::Aws => "AWS",
            Protocol::Unknown => "",
        }
    }

    /// Tells the protocol from the request's headers and query.
    pub fn detect(req: &Request) -> Protocol {
        let auth = req.header("authorization").unwrap_or("");
        if req.header("x-amz-target").is_some() || auth.starts_with("AWS4-") {
            Protocol::Aws
        } else if req.header("x-acs-action").is_some()
            || auth.starts_with("ACS3-")
            || req
                .query
                .split('&')
                .any(|p| p.starts_with("Action=") || p.starts_with("Signature="))
        {
            Protocol::Alibaba
        } else {
            Protocol::Unknown
        }
    }
}

/// A response, before the HTTP layer writes it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What a protocol module reports back about the request it handled.
pub struct Outcome {
    pub response: Response,
    /// The akms operation the request named (audit), if it named one.
    pub operation: Option<&'static str>,
    /// The access key the request claims (even if it failed authentication), or "".
    pub access_key_id: String,
    /// The principal of the handle the request ran on, once authenticated.
    pub principal: Option<String>,
    /// Set when the request failed: its fault.
    pub fault: Option<Fault>,
}

/// Everything the handlers share.
pub struct Server {
    pub root: akms::Store,
    pub credentials: Credentials,
    pub nonces: NonceCache,
    pub audit: AuditLog,
    /// AWS: which key each known version id belongs to (versions never move).
    pub version_owner: Mutex<HashMap<String, String>>,
    /// The account id in ARNs.
    pub account: &'static str,
    /// Each key's spec and usage (fixed at creation), by the name a request used: a scheduling
    /// hint for the HTTP layer and the AWS response fields. An alias moved since is only a
    /// stale hint; responses look keys up by id, which never changes spec.
    pub specs: std::sync::RwLock<HashMap<String, (&'static str, &'static str)>>,
}

/// The server's clock, Unix seconds.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

thread_local! {
    /// This thread's key for request ids (std seeds it from the OS once per thread).
    static ID_KEY: RandomState = RandomState::new();
    /// How many request ids this thread has made.
    static ID_COUNT: Cell<u64> = const { Cell::new(0) };
    /// The last second an audit time was made for, and its text up to the `.`.
    static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// A fresh request id: a version 4 UUID whose bits are a keyed hash (SipHash under this
/// thread's random key) of this thread's count of ids, as the library makes its event ids. A
/// request id names a request; it is no secret, so it needs no system call per request
/// (`getrandom` was ~10 % of the server's CPU per request).
pub fn request_id() -> String {
    let n = ID_COUNT.with(|c| {
        let n = c.get();
        c.set(n.wrapping_add(1));
        n
    });
    let (high, low) = ID_KEY.with(|k| (k.hash_one((n, 0u8)), k.hash_one((n, 1u8))));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_le_bytes());
    bytes[8..].copy_from_slice(&low.to_le_bytes());
    uuid_v4(bytes)
}

/// The time now as the audit log writes it (`2026-12-01T08:55:00.123Z`): the text up to the
/// second is made once per second per thread, the milliseconds appended.
pub fn event_time_now() -> String {
    let ms = now_millis();
    let sec = ms.div_euclid(1000);
    SECOND.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != sec {
            let full = rfc3339_millis(sec * 1000);
            // `...:SS.000Z` without `000Z`.
            c.1 = full[..full.len() - 4].to_owned();
            c.0 = sec;
        }
        let m = ms.rem_euclid(1000) as u32;
        let mut s = String::with_capacity(c.1.len() + 4);
        s.push_str(&c.1);
        s.push(char::from(b'0' + (m / 100) as u8));
        s.push(char::from(b'0' + (m / 10 % 10) as u8));
        s.push(char::from(b'0' + (m % 10) as u8));
        s.push('Z');
        s
    })
}

impl Server {
    pub fn new(root: akms::Store, credentials: Credentials, audit: AuditLog) -> Server {
        Server {
            root,
            credentials,
            nonces: NonceCache::new(NONCE_CAPACITY),
            audit,
            version_owner: Mutex::new(HashMap::new()),
            account: "000000000000",
            specs: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// The (spec, usage) names of the key `name` names, cached (the cache is bounded: it is
    /// emptied when it reaches 100 000 names).
    pub fn spec_of(&self, name: &str) -> Option<(&'static str, &'static str)> {
        if let Some(s) = self
            .specs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Some(*s);
        }
        let m = self.root.describe_key(name).ok()?;
        let mut specs = self.specs.write().unwrap_or_else(|p| p.into_inner());
        if specs.len() >= 100_000 {
            specs.clear();
        }
        specs.insert(name.to_owned(), (m.key_spec, m.key_usage));
        Some((m.key_spec, m.key_usage))
    }

    /// Handles `req`: returns the response, having written the audit line.
    pub fn handle(&self, req: &Request) -> Response {
        let (response, line) = self.answer(req);
        self.audit.write(&line);
        response
    }

    /// Handles `req`: returns the response and its audit line, which the caller must write
    /// (`AuditLog::write` or `commit`) before it sends the response.
    pub fn answer(&self, req: &Request) -> (Response, Line) {
        let request_id = request_id();
        let protocol = Protocol::detect(req);
        let (outcome, events) = audit::catch(|| match protocol {
            Protocol::Alibaba => alibaba::handle(self, req, &request_id),
            Protocol::Aws => aws::handle(self, req, &request_id),
            Protocol::Unknown => unknown(&request_id),
        });
        // The event of the request's own operation (others are lookups made to answer it).
        let event = outcome
            .operation
            .and_then(|op| events.iter().find(|e| e.operation == op))
            .or(events.last());
        let status = match (&outcome.fault, event) {
            (Some(f), _) => f.status.name(),
            (None, Some(e)) => e.status,
            (None, None) => akms::Status::Ok.name(),
        };
        let line = Line {
            event_time: event_time_now(),
            request_id,
            principal: outcome.principal.unwrap_or_default(),
            operation: outcome.operation.unwrap_or("").to_owned(),
            key_id: event.and_then(|e| e.key_id.clone()),
            key_version_id: event.and_then(|e| e.key_version_id.clone()),
            alias: event.and_then(|e| e.alias.clone()),
            algorithm: event.and_then(|e| e.algorithm.map(str::to_owned)),
            status,
            access_key_id: outcome.access_key_id,
            source_ip: req.source_ip.clone(),
            protocol: protocol.name(),
        };
        (outcome.response, line)
    }

    /// A request larger than the limit: refused before it is read in full.
    pub fn too_large(&self, req: &Request) -> Response {
        self.refuse(
            req,
            Fault::new(
                Kind::BodyTooLarge,
                format!("the body is larger than {MAX_BODY} bytes"),
            ),
        )
    }

    /// A request whose body did not arrive in time (or broke off).
    pub fn too_slow(&self, req: &Request) -> Response {
        self.refuse(
            req,
            Fault::new(
                Kind::RequestTimeout,
                "the request body did not arrive in time",
            ),
        )
    }

    /// Refuses a request the HTTP layer could not read, with an audit line.
    fn refuse(&self, req: &Request, fault: Fault) -> Response {
        let request_id = request_id();
        let protocol = Protocol::detect(req);
        let response = match protocol {
            Protocol::Aws => aws::error_response(&fault, &request_id),
            _ => alibaba::error_response(&fault, &request_id),
        };
        self.audit.write(&Line {
            event_time: event_time_now(),
            request_id,
            principal: String::new(),
            operation: String::new(),
            key_id: None,
            key_version_id: None,
            alias: None,
            algorithm: None,
            status: fault.status.name(),
            access_key_id: String::new(),
            source_ip: req.source_ip.clone(),
            protocol: protocol.name(),
        });
        response
    }
}

/// Neither protocol: answered in the Alibaba shape (a JSON `Code`), since neither SDK sent it.
fn unknown(request_id: &str) -> Outcome {
    let fault = Fault::new(
        Kind::UnknownAction,
        "the request is neither an Alibaba Cloud KMS nor an AWS KMS request",
    );
    Outcome {
        response: alibaba::error_response(&fault, request_id),
        operation: None,
        access_key_id: String::new(),
        principal: None,
        fault: Some(fault),
    }
}

/// JSON body of a response.
pub fn json_response(
    status: u16,
    content_type: &'static str,
    value: &serde_json::Value,
) -> Response {
    Response {
        status,
        content_type,
        headers: Vec::new(),
        body: serde_json::to_vec(value).unwrap_or_default(),
    }
}

/// The HTTP statuses of a fault in each protocol.
pub fn http_status(fault: &Fault, protocol: Protocol) -> u16 {
    let row = lookup(fault.kind);
    match protocol {
        Protocol::Aws => row.aws_http,
        _ => row.alibaba_http,
    }
}

/// Decodes standard base64 (the SDKs' encoding of every binary value).
pub fn b64_decode(name: &str, value: &str) -> Result<Vec<u8>, Fault> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| Fault::invalid(format!("{name} is not valid base64")))
}

pub fn b64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The base64 DER inside a PEM block (the body lines joined).
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_v4_uuids_across_threads() {
        let mut ids: Vec<String> = (0..1000).map(|_| request_id()).collect();
        let others: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1000).map(|_| request_id()).collect::<Vec<_>>()))
            .collect();
        for t in others {
            ids.extend(t.join().unwrap());
        }
        assert!(ids.iter().all(|id| akms::core::id::is_uuid(id)
            && id.as_bytes()[14] == b'4'
            && matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b')));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn event_time_is_rfc3339_with_milliseconds_of_now() {
        let before = now_millis();
        let t = event_time_now();
        let after = now_millis();
        assert_eq!(t.len(), "2026-12-01T08:55:00.123Z".len(), "{t}");
        assert!(
            (rfc3339_millis(before)..=rfc3339_millis(after)).contains(&t),
            "{t}"
        );
        // The cached second is reused and the milliseconds still change with the clock.
        let again = event_time_now();
        assert!(again >= t);
    }
}
