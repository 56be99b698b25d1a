//! The audit log: one JSON line per request, allowed or refused, authenticated or not.
//!
//! The line carries the library's event fields for the request's main store call (caught from
//! the store's audit callback on the thread that made the call) plus `AccessKeyId`,
//! `SourceIp` and `Protocol`; a request that never reached the store (refused authentication,
//! malformed) gets a line made here with the operation it named and the status it failed with.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex};

use akms::core::AuditEvent;
use serde::Serialize;

thread_local! {
    /// The events of the store calls made by the request being handled on this thread.
    static CAUGHT: RefCell<Option<Vec<AuditEvent>>> = const { RefCell::new(None) };
    /// The audit line being written by this thread.
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Sends the store's audit events to the request being handled on the calling thread.
pub fn install(root: &akms::Store) -> akms::Result<()> {
    root.set_audit_callback(Some(Arc::new(|event: &AuditEvent| {
        CAUGHT.with(|c| {
            if let Some(events) = c.borrow_mut().as_mut() {
                events.push(event.clone());
            }
        })
    })))
}

/// Runs `f`, returning what it returned and the store events of its calls.
pub fn catch<T>(f: impl FnOnce() -> T) -> (T, Vec<AuditEvent>) {
    CAUGHT.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = f();
    let events = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, events)
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Line {
    pub event_time: String,
    pub request_id: String,
    pub principal: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    pub status: &'static str,
    pub access_key_id: String,
    pub source_ip: String,
    pub protocol: &'static str,
}

/// Where the lines go: a file (appended), standard output, or nowhere.
pub struct AuditLog {
    out: Option<Mutex<Box<dyn Write + Send>>>,
}

impl AuditLog {
    pub fn none() -> AuditLog {
        AuditLog { out: None }
    }

    /// `-` is standard output; anything else a file opened for appending (created 0600).
    pub fn open(target: &str) -> std::io::Result<AuditLog> {
        let out: Box<dyn Write + Send> = if target == "-" {
            Box::new(std::io::stdout())
        } else {
            use std::os::unix::fs::OpenOptionsExt;
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(target)?,
            )
        };
        Ok(AuditLog {
            out: Some(Mutex::new(out)),
        })
    }

    /// Writes `line` and flushes it. A failed write is reported on stderr (once per failure)
    /// and does not fail the request.
    pub fn write(&self, line: &Line) {
        let Some(out) = &self.out else { return };
        // Made in this thread's buffer (no allocation per line), then written with one
        // write(2) under the lock: the line is in the file before the response is sent.
        TEXT.with(|text| {
            let mut text = text.borrow_mut();
            text.clear();
            if serde_json::to_writer(&mut *text, line).is_err() {
                return;
            }
            text.push(b'\n');
            let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = out.write_all(&text).and_then(|()| out.flush()) {
                eprintln!("akms serve: writing the audit log failed: {e}");
            }
        })
    }
}
