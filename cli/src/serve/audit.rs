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
    /// The audit line being serialized by this thread.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
///
/// Lines are committed in groups. A line is first added to the pending text (`append`), then
/// written to the file (`flush`): whoever flushes writes every pending line with one
/// write(2), so lines that arrive together (requests answered in the same turn of the
/// reactor) share one system call. No line is ever left pending once its `flush` returns, and
/// every caller flushes its line before it sends the response: the log holds the line of
/// every answered request.
pub struct AuditLog {
    out: Option<Mutex<Pending>>,
}

/// The lines added and not yet written, and how far the file has got.
struct Pending {
    sink: Box<dyn Write + Send>,
    text: Vec<u8>,
    /// How many lines were ever added, and how many of them are in the file.
    added: u64,
    written: u64,
}

/// A line added and not yet known to be written: flushed when dropped, however the holder ends.
struct Unflushed<'a> {
    log: &'a AuditLog,
    ticket: Ticket,
}

impl Drop for Unflushed<'_> {
    fn drop(&mut self) {
        self.log.flush(self.ticket);
    }
}

/// A line's place in the log, to wait for.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl AuditLog {
    pub fn none() -> AuditLog {
        AuditLog { out: None }
    }

    /// `-` is standard output; anything else a file opened for appending (created 0600).
    pub fn open(target: &str) -> std::io::Result<AuditLog> {
        let sink: Box<dyn Write + Send> = if target == "-" {
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
            out: Some(Mutex::new(Pending {
                sink,
                text: Vec::with_capacity(64 * 1024),
                added: 0,
                written: 0,
            })),
        })
    }

    /// Writes `line` now (with any lines pending before it).
    pub fn write(&self, line: &Line) {
        let ticket = self.append(line);
        self.flush(ticket);
    }

    /// Writes `line` after letting the other requests of this turn of the reactor add theirs,
    /// so that one write(2) carries them all. Returns once the line is in the file.
    /// If the caller is dropped while it waits, the line is written then.
    pub async fn commit(&self, line: &Line) {
        let pending = Unflushed {
            log: self,
            ticket: self.append(line),
        };
        if self.out.is_some() {
            tokio::task::yield_now().await;
        }
        drop(pending);
    }

    /// Adds `line` to the pending text.
    fn append(&self, line: &Line) -> Ticket {
        let Some(out) = &self.out else {
            return Ticket(0);
        };
        // Serialized outside the lock, into this thread's buffer (no allocation per line).
        LINE.with(|text| {
            let mut text = text.borrow_mut();
            text.clear();
            let serialized = serde_json::to_writer(&mut *text, line).is_ok();
            let mut p = out.lock().unwrap_or_else(|e| e.into_inner());
            if serialized {
                p.text.extend_from_slice(&text);
                p.text.push(b'\n');
                p.added += 1;
            }
            Ticket(p.added)
        })
    }

    /// Makes sure the line of `ticket` is written: if no one has written it yet, writes every
    /// pending line. A failed write is reported on stderr (once per failure) and does not fail
    /// the request; its lines are dropped rather than retried ahead of later ones.
    fn flush(&self, ticket: Ticket) {
        let Some(out) = &self.out else { return };
        let mut p = out.lock().unwrap_or_else(|e| e.into_inner());
        if p.written >= ticket.0 {
            return;
        }
        let Pending { sink, text, .. } = &mut *p;
        if let Err(e) = sink.write_all(text).and_then(|()| sink.flush()) {
            eprintln!("akms serve: writing the audit log failed: {e}");
        }
        text.clear();
        p.written = p.added;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    fn line(n: usize) -> Line {
        Line {
            event_time: "2026-12-01T08:55:00.123Z".into(),
            request_id: format!("request-{n}"),
            principal: String::new(),
            operation: "Sign".into(),
            key_id: None,
            key_version_id: None,
            alias: None,
            algorithm: None,
            status: "AKMS_OK",
            access_key_id: "ak".into(),
            source_ip: "127.0.0.1".into(),
            protocol: "AWS",
        }
    }

    fn lines_of(path: &std::path::Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn assert_only_line(path: &std::path::Path, request_id: &str) {
        let lines = lines_of(path);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["RequestId"], request_id);
    }

    /// An audit log in a new temporary directory (kept while the first value lives).
    fn temp_log() -> (tempfile::TempDir, std::path::PathBuf, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(path.to_str().unwrap()).unwrap();
        (dir, path, log)
    }

    #[test]
    fn write_puts_the_line_in_the_file_before_it_returns() {
        let (_dir, path, log) = temp_log();
        log.write(&line(1));
        assert_only_line(&path, "request-1");
    }

    #[test]
    fn a_commit_dropped_while_it_waits_still_writes_its_line() {
        let (_dir, path, log) = temp_log();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let seventh = line(7);
            let mut commit = std::pin::pin!(log.commit(&seventh));
            // Poll once: the line is added and the commit yields; then the future is dropped.
            let polled = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(commit.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(polled, "the commit waits for the reactor's turn");
        });
        assert_only_line(&path, "request-7");
    }

    #[test]
    fn every_committed_line_is_in_the_file_when_its_commit_returns() {
        let (_dir, path, log) = temp_log();
        let log = Arc::new(log);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let n = 200;
        runtime.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    let (log, path) = (log.clone(), path.clone());
                    tokio::spawn(async move {
                        log.commit(&line(i)).await;
                        // Read back at once: the line must already be there, whole.
                        let want = format!("request-{i}");
                        assert!(lines_of(&path).iter().any(|l| l["RequestId"] == *want));
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        let mut ids: Vec<String> = lines_of(&path)
            .iter()
            .map(|l| l["RequestId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), n);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "each line exactly once");
    }
}
