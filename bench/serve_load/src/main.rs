//! serve_load: an AWS KMS load generator that costs little per request, so that the server is
//! what is measured. N keep-alive HTTP/1.1 connections, each with one request in flight (no
//! pipelining), send one operation for a fixed time. Every request is signed with SigV4 as the
//! SDKs sign it (payload hash, canonical request, the HMAC key chain and the signature, all
//! computed per request).
//!
//! The I/O is an event loop: one thread (or `--threads T`, the connections split evenly over
//! them) drives all its connections with non-blocking sockets and epoll, through mio. A thread
//! per connection would cost a context switch per request, on the CPUs the server also needs.
//! `--spin` makes the loop poll with a zero timeout (busy-poll) instead of sleeping in
//! epoll_wait. It is meant for a generator on a CPU of its own: then the server's send never
//! has to wake a sleeping generator thread. On loopback that wake-up is charged to the server's
//! system time (some µs per request), a cost that a server on a real network never pays. The
//! generator's CPU is then, by design, all of its CPU; it is printed all the same.
//!
//! ```text
//! serve_load [--clients 16] [--seconds 10] [--threads 1] [--spin]
//!            [--rows sign-p256,sign-rsa2048,getpublickey]
//!            --target LABEL=URL[@PID] [--target LABEL=URL[@PID] ...]
//! ```
//! For each row, each target in turn (same run, same client): requests/s, p50 and p99 latency
//! (from just before a request is written to its last body byte read), the server's CPU µs per
//! request (user + system from /proc/PID/stat) and the generator's own. After `--seconds` no
//! new request is sent; those in flight get up to 2 s to finish (the unfinished ones count
//! neither as done nor as errors), then CPU is read.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};
use sha2::{Digest, Sha256};

const ACCESS_KEY: &str = "bench";
const SECRET: &str = "bench-secret";
const REGION: &str = "us-east-1";

struct Target {
    label: String,
    host: String,
    addr: SocketAddr,
    pid: Option<u32>,
}

fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn hex_into(out: &mut String, bytes: &[u8]) {
    const H: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(H[(b >> 4) as usize] as char);
        out.push(H[(b & 15) as usize] as char);
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `YYYYMMDDTHHMMSSZ` of Unix seconds `t`.
fn amz_date(t: u64) -> String {
    let (days, secs) = ((t / 86400) as i64, t % 86400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One SigV4-signed TrentService request, as bytes on the wire.
fn signed_request(host: &str, op: &str, body: &[u8]) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = amz_date(now);
    let day = &date[..8];
    let target = format!("TrentService.{op}");
    let mut payload_hash = String::with_capacity(64);
    hex_into(&mut payload_hash, &Sha256::digest(body));
    let canonical = format!(
        "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:{host}\nx-amz-date:{date}\n\
         x-amz-target:{target}\n\ncontent-type;host;x-amz-date;x-amz-target\n{payload_hash}"
    );
    let mut to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{day}/{REGION}/kms/aws4_request\n");
    hex_into(&mut to_sign, &Sha256::digest(canonical.as_bytes()));
    let k = hmac256(format!("AWS4{SECRET}").as_bytes(), day.as_bytes());
    let k = hmac256(&k, REGION.as_bytes());
    let k = hmac256(&k, b"kms");
    let k = hmac256(&k, b"aws4_request");
    let mut sig = String::with_capacity(64);
    hex_into(&mut sig, &hmac256(&k, to_sign.as_bytes()));
    let mut out = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-amz-json-1.1\r\n\
         x-amz-date: {date}\r\nx-amz-target: {target}\r\ncontent-length: {}\r\n\
         authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{day}/{REGION}/kms/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={sig}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// How long a blocking poll sleeps at most, so that the stop flag and reconnect back-offs are
/// looked at even when nothing is ready.
const POLL_TICK: Duration = Duration::from_millis(10);
/// How long the requests in flight at the stop get to finish.
const DRAIN: Duration = Duration::from_secs(2);
/// How long a connection waits before it tries again after a failed connect.
const RETRY: Duration = Duration::from_millis(10);
/// How long the setup calls (CreateKey, the warm-up) may take before the generator gives up.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// One operation to send over and over, and where to.
#[derive(Clone)]
struct Job {
    addr: SocketAddr,
    host: String,
    op: String,
    body: Vec<u8>,
}

impl Job {
    fn error(&self, what: impl std::fmt::Display) -> String {
        format!("{}: {}: {what}", self.host, self.op)
    }
}

/// The head of a response, as much of it as the generator needs.
#[derive(Clone, Copy)]
struct Head {
    /// Where the body starts.
    end: usize,
    /// The body's length (Content-Length).
    len: usize,
    status: u16,
    /// `Connection: close`: the server closes the connection after this response.
    close: bool,
}

fn bad(m: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m.to_owned())
}

/// The head of the response at the start of `buf`, once all of it is there.
fn parse_head(buf: &[u8]) -> io::Result<Option<Head>> {
    let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..p]).map_err(|_| bad("head"))?;
    let status: u16 = head
        .get(9..12)
        .filter(|_| head.starts_with("HTTP/1."))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status"))?;
    let mut len = None;
    let mut close = false;
    for line in head.split("\r\n") {
        if let Some((n, v)) = line.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse::<usize>().ok();
            } else if n.eq_ignore_ascii_case("connection") {
                close = v.trim().eq_ignore_ascii_case("close");
            }
        }
    }
    let len = len.ok_or_else(|| bad("no content-length"))?;
    Ok(Some(Head {
        end: p + 4,
        len,
        status,
        close,
    }))
}

/// What one connection is doing.
#[derive(Clone, Copy, PartialEq)]
enum State {
    /// A non-blocking connect is under way: waiting for writability.
    Connecting,
    /// A request is out (or partly: see `Conn::written`), its response not yet whole.
    InFlight,
    /// Connected, nothing in flight.
    Idle,
    /// The last connect failed: the next one is due at this instant.
    Backoff(Instant),
}

/// What a readiness event (or a send) came to, for one connection.
enum Outcome {
    /// Nothing to act on yet: a partial write or read, or a spurious wake-up.
    Pending,
    /// The connect finished.
    Connected,
    /// A whole response; its body is `Conn::body`.
    Response(Head),
    /// The connection failed: while connecting, or with a request in flight.
    Failed { connecting: bool, error: io::Error },
}

/// One keep-alive connection and the request/response it has in flight. Registered with the
/// poll for readability only, except while connecting or while a write is left unfinished.
struct Conn {
    stream: TcpStream,
    state: State,
    /// Registered for writability (a write is left unfinished).
    want_write: bool,
    /// The request in flight, and how much of it is written.
    out: Vec<u8>,
    written: usize,
    /// The response so far: `buf[..filled]`, its head once that has been parsed.
    buf: Vec<u8>,
    filled: usize,
    head: Option<Head>,
    /// When the request in flight was about to be written.
    t0: Instant,
}

/// A non-blocking connect to `addr`, registered under `token` for writability (that is how
/// its end is told).
fn connect(addr: SocketAddr, registry: &Registry, token: Token) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr)?;
    registry.register(&mut stream, token, Interest::WRITABLE)?;
    Ok(stream)
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            state: State::Connecting,
            want_write: false,
            out: Vec::new(),
            written: 0,
            buf: vec![0; 16 * 1024],
            filled: 0,
            head: None,
            t0: Instant::now(),
        }
    }

    /// The body of the response just read.
    fn body(&self, h: Head) -> &[u8] {
        &self.buf[h.end..h.end + h.len]
    }

    /// Acts on a readiness event.
    fn on_ready(&mut self, registry: &Registry, token: Token) -> Outcome {
        match self.state {
            State::Connecting => self.finish_connect(registry, token),
            State::InFlight => self.progress(registry, token),
            State::Idle | State::Backoff(_) => Outcome::Pending,
        }
    }

    /// After a writable event while connecting: whether the connect is done (mio's recipe:
    /// `take_error`, then `peer_addr`, which says `NotConnected` while it is not).
    fn finish_connect(&mut self, registry: &Registry, token: Token) -> Outcome {
        let done = (|| {
            if let Some(e) = self.stream.take_error()? {
                return Err(e);
            }
            match self.stream.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(e) => return Err(e),
            }
            self.stream.set_nodelay(true)?;
            registry.reregister(&mut self.stream, token, Interest::READABLE)?;
            Ok(true)
        })();
        match done {
            Ok(true) => {
                self.state = State::Idle;
                Outcome::Connected
            }
            Ok(false) => Outcome::Pending,
            Err(error) => Outcome::Failed {
                connecting: true,
                error,
            },
        }
    }

    /// Puts request `req` in flight: starts the clock and writes as much as the socket takes.
    fn send(&mut self, req: Vec<u8>, registry: &Registry, token: Token) -> Outcome {
        self.out = req;
        self.written = 0;
        self.filled = 0;
        self.head = None;
        self.state = State::InFlight;
        self.t0 = Instant::now();
        match self.write_out(registry, token) {
            Ok(()) => Outcome::Pending,
            Err(error) => Outcome::Failed {
                connecting: false,
                error,
            },
        }
    }

    /// Writes the rest of the request until it is all out or the socket is full; in the
    /// latter case, waits for writability too until it is all out.
    fn write_out(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self.want_write {
                        let both = Interest::READABLE | Interest::WRITABLE;
                        registry.reregister(&mut self.stream, token, both)?;
                        self.want_write = true;
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.want_write {
            registry.reregister(&mut self.stream, token, Interest::READABLE)?;
            self.want_write = false;
        }
        Ok(())
    }

    /// After an event with a request in flight: writes what is left of it, reads what came.
    fn progress(&mut self, registry: &Registry, token: Token) -> Outcome {
        let step = (|| {
            if self.written < self.out.len() {
                self.write_out(registry, token)?;
                if self.written < self.out.len() {
                    return Ok(None);
                }
            }
            self.read_response()
        })();
        match step {
            Ok(Some(h)) => Outcome::Response(h),
            Ok(None) => Outcome::Pending,
            Err(error) => Outcome::Failed {
                connecting: false,
                error,
            },
        }
    }

    /// Reads until the response is whole (its head, then its Content-Length body) or the socket
    /// has nothing more. A whole response ends the reading without waiting for `WouldBlock`:
    /// with one request in flight nothing may follow it, and epoll (edge-triggered, as mio
    /// registers) reports every later arrival of data or of the end of the stream anyway.
    fn read_response(&mut self) -> io::Result<Option<Head>> {
        loop {
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.stream.read(&mut self.buf[self.filled..]) {
                Ok(0) => return Err(bad("connection closed")),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if self.head.is_none() {
                self.head = parse_head(&self.buf[..self.filled])?;
            }
            if let Some(h) = self.head {
                if self.filled > h.end + h.len {
                    return Err(bad("bytes after the response"));
                }
                if self.filled == h.end + h.len {
                    self.state = State::Idle;
                    return Ok(Some(h));
                }
            }
        }
    }
}

/// What a worker does with its connections.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// One call on each connection, its response kept (setup and warm-up).
    Once,
    /// The load: each response is followed by the next request.
    Load,
    /// After the stop: no new request, those in flight finish.
    Drain,
}

/// One event loop: a poll and the connections it drives, all sending the same job.
struct Worker {
    job: Job,
    poll: Poll,
    events: Events,
    /// The tokens of the events of the last poll (a connection's token is its index).
    ready: Vec<usize>,
    conns: Vec<Conn>,
    spin: bool,
    mode: Mode,
    /// In `Mode::Once`: each connection's response, status and body.
    answers: Vec<Option<(u16, Vec<u8>)>>,
    /// In `Mode::Load`: the latency (µs) of each 200 response, and the count of errors.
    latencies: Vec<u32>,
    errors: u64,
    /// How many connections wait in `State::Backoff`.
    backing_off: usize,
}

impl Worker {
    /// `n` connections to the job's server, connecting (they are ready once `call_each` is done).
    fn new(job: Job, n: usize, spin: bool) -> Worker {
        let poll = Poll::new().unwrap_or_else(|e| die(&format!("epoll: {e}")));
        let conns = (0..n)
            .map(|i| {
                connect(job.addr, poll.registry(), Token(i))
                    .map(Conn::new)
                    .unwrap_or_else(|e| die(&format!("{}: {e}", job.host)))
            })
            .collect();
        Worker {
            job,
            poll,
            events: Events::with_capacity(1024),
            ready: Vec::new(),
            conns,
            spin,
            mode: Mode::Once,
            answers: Vec::new(),
            latencies: Vec::new(),
            errors: 0,
            backing_off: 0,
        }
    }

    /// One call on each connection; dies on a connection error or past `SETUP_TIMEOUT`.
    /// Returns each connection's (status, body), and leaves each connected and idle.
    fn call_each(&mut self) -> Vec<(u16, Vec<u8>)> {
        self.mode = Mode::Once;
        self.answers = vec![None; self.conns.len()];
        self.send_on_idle();
        let deadline = Instant::now() + SETUP_TIMEOUT;
        while self.answers.iter().any(Option::is_none)
            || self.conns.iter().any(|c| c.state == State::Connecting)
        {
            if Instant::now() > deadline {
                die(&self.job.error("no answer"));
            }
            self.turn();
        }
        self.answers.drain(..).map(Option::unwrap).collect()
    }

    /// The load, until `stop`, then the drain. Returns the latencies (µs) of the 200 responses
    /// and the count of errors (other statuses, connection errors).
    fn run(&mut self, stop: &AtomicBool) -> (Vec<u32>, u64) {
        self.mode = Mode::Load;
        self.latencies = Vec::with_capacity(1 << 20);
        self.send_on_idle();
        while !stop.load(Ordering::Relaxed) {
            self.turn();
        }
        self.mode = Mode::Drain;
        let deadline = Instant::now() + DRAIN;
        while self.conns.iter().any(|c| c.state == State::InFlight) && Instant::now() < deadline {
            self.turn();
        }
        (std::mem::take(&mut self.latencies), self.errors)
    }

    fn send_on_idle(&mut self) {
        for i in 0..self.conns.len() {
            if self.conns[i].state == State::Idle {
                self.send(i);
            }
        }
    }

    /// One turn of the loop: a poll (zero timeout when spinning), the events acted on, the due
    /// reconnects started.
    fn turn(&mut self) {
        let timeout = if self.spin { Duration::ZERO } else { POLL_TICK };
        if let Err(e) = self.poll.poll(&mut self.events, Some(timeout)) {
            if e.kind() != io::ErrorKind::Interrupted {
                die(&format!("epoll: {e}"));
            }
        }
        self.ready.clear();
        self.ready.extend(self.events.iter().map(|e| e.token().0));
        for k in 0..self.ready.len() {
            let i = self.ready[k];
            let outcome = self.conns[i].on_ready(self.poll.registry(), Token(i));
            self.handle(i, outcome);
        }
        if self.backing_off > 0 && self.mode == Mode::Load {
            self.retry_due();
        }
    }

    /// Whether connection `i`, idle, is to send a request now.
    fn wants_request(&self, i: usize) -> bool {
        match self.mode {
            Mode::Once => self.answers[i].is_none(),
            Mode::Load => true,
            Mode::Drain => false,
        }
    }

    /// Signs a request (afresh: a real SigV4 signature per request) and sends it on `i`.
    fn send(&mut self, i: usize) {
        let req = signed_request(&self.job.host, &self.job.op, &self.job.body);
        let outcome = self.conns[i].send(req, self.poll.registry(), Token(i));
        self.handle(i, outcome);
    }

    fn handle(&mut self, i: usize, outcome: Outcome) {
        match outcome {
            Outcome::Pending => {}
            Outcome::Connected => {
                if self.wants_request(i) {
                    self.send(i);
                }
            }
            Outcome::Response(h) => self.on_response(i, h),
            Outcome::Failed { connecting, error } => self.on_failure(i, connecting, error),
        }
    }

    fn on_response(&mut self, i: usize, h: Head) {
        let micros = self.conns[i].t0.elapsed().as_micros() as u32;
        match self.mode {
            Mode::Once => self.answers[i] = Some((h.status, self.conns[i].body(h).to_vec())),
            Mode::Load | Mode::Drain if h.status == 200 => self.latencies.push(micros),
            Mode::Load | Mode::Drain => self.errors += 1,
        }
        if h.close {
            self.reconnect(i);
        } else if self.wants_request(i) {
            self.send(i);
        }
    }

    /// A failed connection: fatal during setup; under load an error, and a reconnect (after
    /// `RETRY` if it was the connect that failed); during the drain the connection is dropped.
    fn on_failure(&mut self, i: usize, connecting: bool, error: io::Error) {
        match self.mode {
            Mode::Once => die(&self.job.error(error)),
            Mode::Load => {
                self.errors += 1;
                if connecting {
                    self.conns[i].state = State::Backoff(Instant::now() + RETRY);
                    self.backing_off += 1;
                } else {
                    self.reconnect(i);
                }
            }
            Mode::Drain => {
                self.errors += u64::from(!connecting);
                self.conns[i].state = State::Idle;
            }
        }
    }

    /// Replaces connection `i` with a new one, connecting.
    fn reconnect(&mut self, i: usize) {
        let registry = self.poll.registry();
        let conn = &mut self.conns[i];
        // Fails harmlessly if the stream is no longer registered (after a failed connect).
        let _ = registry.deregister(&mut conn.stream);
        match connect(self.job.addr, registry, Token(i)) {
            Ok(stream) => {
                conn.stream = stream;
                conn.state = State::Connecting;
                conn.want_write = false;
            }
            Err(error) => self.on_failure(i, true, error),
        }
    }

    /// Starts the reconnects whose back-off is over.
    fn retry_due(&mut self) {
        let now = Instant::now();
        for i in 0..self.conns.len() {
            if let State::Backoff(due) = self.conns[i].state {
                if due <= now {
                    self.backing_off -= 1;
                    self.reconnect(i);
                }
            }
        }
    }
}

/// (user, system) clock ticks (1/100 s) of a process; `None` for this one means /proc/self.
fn cpu_ticks(pid: Option<u32>) -> (u64, u64) {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let Ok(s) = std::fs::read_to_string(path) else {
        return (0, 0);
    };
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else {
        return (0, 0);
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (n(11), n(12))
}

fn json_str<'a>(json: &'a str, field: &str) -> Option<&'a str> {
    let pat = format!("\"{field}\":\"");
    let start = json.find(&pat)? + pat.len();
    Some(&json[start..start + json[start..].find('"')?])
}

fn create_key(t: &Target, spec: &str) -> String {
    let job = Job {
        addr: t.addr,
        host: t.host.clone(),
        op: "CreateKey".to_owned(),
        body: format!(r#"{{"KeySpec":"{spec}","KeyUsage":"SIGN_VERIFY"}}"#).into_bytes(),
    };
    let (status, out) = Worker::new(job, 1, false).call_each().remove(0);
    let out = String::from_utf8_lossy(&out);
    if status != 200 {
        die(&format!("{}: CreateKey: HTTP {status}: {out}", t.host));
    }
    json_str(&out, "KeyId")
        .unwrap_or_else(|| die(&format!("{}: CreateKey: no KeyId in {out}", t.host)))
        .to_owned()
}

fn die(m: &str) -> ! {
    eprintln!("serve_load: {m}");
    std::process::exit(1)
}

/// How the load is driven: connections, threads, and whether the event loops busy-poll.
#[derive(Clone, Copy)]
struct Load {
    clients: usize,
    threads: usize,
    spin: bool,
    secs: u64,
}

struct RowResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Server CPU µs per request: user, system.
    server_us: Option<(f64, f64)>,
    client_us: f64,
    errors: u64,
}

/// One row against one target: `load.threads` event loops, the connections split evenly over
/// them, each warmed up (one call per connection, which must answer 200) before the clock starts.
fn run_row(t: &Target, op: &str, body: &str, load: Load) -> RowResult {
    let barrier = Arc::new(Barrier::new(load.threads + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for k in 0..load.threads {
        let n = load.clients / load.threads + usize::from(k < load.clients % load.threads);
        let job = Job {
            addr: t.addr,
            host: t.host.clone(),
            op: op.to_owned(),
            body: body.as_bytes().to_vec(),
        };
        let (barrier, stop) = (barrier.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut w = Worker::new(job, n, load.spin);
            // Warm the connections up (and fail loudly if the operation does not work).
            for (s, b) in w.call_each() {
                if s != 200 {
                    let b = String::from_utf8_lossy(&b);
                    die(&w.job.error(format!("HTTP {s}: {b}")));
                }
            }
            barrier.wait();
            w.run(&stop)
        }));
    }
    barrier.wait();
    let (s0, c0, start) = (cpu_ticks(t.pid), cpu_ticks(None), Instant::now());
    std::thread::sleep(Duration::from_secs(load.secs));
    stop.store(true, Ordering::Relaxed);
    // Requests in flight at the stop still count: CPU is read once every loop has drained.
    let mut all: Vec<u32> = Vec::new();
    let mut errors = 0;
    for th in threads {
        let (lat, e) = th.join().unwrap_or_default();
        all.extend(lat);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (s1, c1) = (cpu_ticks(t.pid), cpu_ticks(None));
    all.sort_unstable();
    let n = all.len().max(1) as f64;
    let pct = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    RowResult {
        rps: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        server_us: t.pid.map(|_| {
            (
                (s1.0 - s0.0) as f64 * 10_000.0 / n,
                (s1.1 - s0.1) as f64 * 10_000.0 / n,
            )
        }),
        client_us: ((c1.0 + c1.1) - (c0.0 + c0.1)) as f64 * 10_000.0 / n,
        errors,
    }
}

fn parse_target(v: &str) -> Target {
    let (label, rest) = v
        .split_once('=')
        .unwrap_or_else(|| die("--target LABEL=URL[@PID]"));
    let (url, pid) = match rest.rsplit_once('@') {
        Some((u, p)) => (u, Some(p.parse().unwrap_or_else(|_| die("bad PID")))),
        None => (rest, None),
    };
    let host = url
        .strip_prefix("http://")
        .unwrap_or_else(|| die("only http:// URLs"))
        .trim_end_matches('/');
    let addr = host
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| die(&format!("{host}: no address")));
    Target {
        label: label.to_owned(),
        host: host.to_owned(),
        addr,
        pid,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut load = Load {
        clients: 16,
        threads: 1,
        spin: false,
        secs: 10,
    };
    let mut rows = "sign-p256,sign-rsa2048,getpublickey".to_owned();
    let mut targets = Vec::new();
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--clients" => load.clients = val().parse().unwrap_or_else(|_| die("--clients N")),
            "--threads" => load.threads = val().parse().unwrap_or_else(|_| die("--threads T")),
            "--seconds" => load.secs = val().parse().unwrap_or_else(|_| die("--seconds N")),
            "--spin" => load.spin = true,
            "--rows" => rows = val(),
            "--target" => targets.push(parse_target(&val())),
            _ => die(&format!("unknown argument {a}")),
        }
    }
    if targets.is_empty() {
        die("no --target");
    }
    if load.clients == 0 || load.threads == 0 {
        die("--clients and --threads must be at least 1");
    }
    // A thread with no connection would have nothing to do.
    load.threads = load.threads.min(load.clients);
    let keys: Vec<(String, String)> = targets
        .iter()
        .map(|t| (create_key(t, "ECC_NIST_P256"), create_key(t, "RSA_2048")))
        .collect();
    let digest = base64(&Sha256::digest(b"serve_load"));
    println!(
        "| row | server | req/s | p50 ms | p99 ms | server CPU µs/req (user + sys) | client CPU µs/req | errors | akms / peer |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows.split(',') {
        let (name, op) = match row {
            "sign-p256" => ("Sign P-256", "Sign"),
            "sign-rsa2048" => ("Sign RSA-2048", "Sign"),
            "getpublickey" => ("GetPublicKey", "GetPublicKey"),
            _ => die(&format!("unknown row {row}")),
        };
        let mut first_rps = None;
        for (t, (p256, rsa)) in targets.iter().zip(&keys) {
            let body = match row {
                "sign-p256" => format!(
                    r#"{{"KeyId":"{p256}","Message":"{digest}","MessageType":"DIGEST","SigningAlgorithm":"ECDSA_SHA_256"}}"#
                ),
                "sign-rsa2048" => format!(
                    r#"{{"KeyId":"{rsa}","Message":"{digest}","MessageType":"DIGEST","SigningAlgorithm":"RSASSA_PKCS1_V1_5_SHA_256"}}"#
                ),
                _ => format!(r#"{{"KeyId":"{p256}"}}"#),
            };
            let r = run_row(t, op, &body, load);
            let ratio = match first_rps {
                None => {
                    first_rps = Some(r.rps);
                    String::new()
                }
                Some(f) => format!("{:.1}×", f / r.rps.max(1e-9)),
            };
            println!(
                "| {name} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {} | {ratio} |",
                t.label,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.server_us.map_or("-".to_owned(), |(u, k)| format!(
                    "{:.1} ({u:.1} + {k:.1})",
                    u + k
                )),
                r.client_us,
                r.errors
            );
        }
    }
}
