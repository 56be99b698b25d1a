//! serve_load: an AWS KMS load generator that costs little per request, so that the server is
//! what is measured. N client threads, each with one keep-alive HTTP/1.1 connection (blocking
//! I/O, one request in flight per connection: no pipelining), send one operation for a fixed
//! time. Every request is signed with SigV4 as the SDKs sign it (payload hash, canonical
//! request, the HMAC key chain and the signature, all computed per request).
//!
//! ```text
//! serve_load [--clients 16] [--seconds 10] [--rows sign-p256,sign-rsa2048,getpublickey]
//!            --target LABEL=URL[@PID] [--target LABEL=URL[@PID] ...]
//! ```
//! For each row, each target in turn (same run, same client): requests/s, p50 and p99 latency,
//! the server's CPU µs per request (user + system from /proc/PID/stat) and the generator's own.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

const ACCESS_KEY: &str = "bench";
const SECRET: &str = "bench-secret";
const REGION: &str = "us-east-1";

struct Target {
    label: String,
    host: String,
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

/// A keep-alive connection that reads whole responses (Content-Length bodies).
struct Conn {
    host: String,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(host: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            host: host.to_owned(),
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends one request and returns (status, body).
    fn call(&mut self, op: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let req = signed_request(&self.host, op, body);
        self.stream.write_all(&req)?;
        self.buf.clear();
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(bad("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("head"))?;
        let status: u16 = head
            .get(9..12)
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
        while self.buf.len() < head_end + len {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(bad("connection closed in the body"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        if close {
            *self = Conn::open(&self.host)?;
        }
        Ok((status, body))
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

fn create_key(host: &str, spec: &str) -> String {
    let mut c = Conn::open(host).unwrap_or_else(|e| die(&format!("{host}: {e}")));
    let body = format!(r#"{{"KeySpec":"{spec}","KeyUsage":"SIGN_VERIFY"}}"#);
    let (status, out) = c
        .call("CreateKey", body.as_bytes())
        .unwrap_or_else(|e| die(&format!("{host}: CreateKey: {e}")));
    let out = String::from_utf8_lossy(&out);
    if status != 200 {
        die(&format!("{host}: CreateKey: HTTP {status}: {out}"));
    }
    json_str(&out, "KeyId")
        .unwrap_or_else(|| die(&format!("{host}: CreateKey: no KeyId in {out}")))
        .to_owned()
}

fn die(m: &str) -> ! {
    eprintln!("serve_load: {m}");
    std::process::exit(1)
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

fn run_row(t: &Target, op: &str, body: &str, clients: usize, secs: u64) -> RowResult {
    let body = Arc::new(body.as_bytes().to_vec());
    let op = Arc::new(op.to_owned());
    let barrier = Arc::new(Barrier::new(clients + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for _ in 0..clients {
        let (host, body, op) = (t.host.clone(), body.clone(), op.clone());
        let (barrier, stop, errors) = (barrier.clone(), stop.clone(), errors.clone());
        threads.push(std::thread::spawn(move || {
            let mut c = Conn::open(&host).unwrap_or_else(|e| die(&format!("{host}: {e}")));
            // Warm the connection up (and fail loudly if the operation does not work).
            match c.call(&op, &body) {
                Ok((200, _)) => {}
                Ok((s, b)) => die(&format!(
                    "{host}: {op}: HTTP {s}: {}",
                    String::from_utf8_lossy(&b)
                )),
                Err(e) => die(&format!("{host}: {op}: {e}")),
            }
            let mut lat: Vec<u32> = Vec::with_capacity(1 << 18);
            barrier.wait();
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                match c.call(&op, &body) {
                    Ok((200, _)) => lat.push(t0.elapsed().as_micros() as u32),
                    Ok(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        match Conn::open(&host) {
                            Ok(n) => c = n,
                            Err(_) => std::thread::sleep(Duration::from_millis(10)),
                        }
                    }
                }
            }
            lat
        }));
    }
    barrier.wait();
    let (s0, c0, start) = (cpu_ticks(t.pid), cpu_ticks(None), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    // Requests in flight at the stop still count: CPU is read once every thread is done.
    let mut all: Vec<u32> = Vec::new();
    for th in threads {
        all.extend(th.join().unwrap_or_default());
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
        errors: errors.load(Ordering::Relaxed),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut clients, mut secs) = (16usize, 10u64);
    let mut rows = "sign-p256,sign-rsa2048,getpublickey".to_owned();
    let mut targets = Vec::new();
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--clients" => clients = val().parse().unwrap_or_else(|_| die("--clients N")),
            "--seconds" => secs = val().parse().unwrap_or_else(|_| die("--seconds N")),
            "--rows" => rows = val(),
            "--target" => {
                let v = val();
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
                targets.push(Target {
                    label: label.to_owned(),
                    host: host.to_owned(),
                    pid,
                });
            }
            _ => die(&format!("unknown argument {a}")),
        }
    }
    if targets.is_empty() {
        die("no --target");
    }
    let keys: Vec<(String, String)> = targets
        .iter()
        .map(|t| {
            (
                create_key(&t.host, "ECC_NIST_P256"),
                create_key(&t.host, "RSA_2048"),
            )
        })
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
            let r = run_row(t, op, &body, clients, secs);
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
