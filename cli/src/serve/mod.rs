//! `akms serve`: the store over the Alibaba Cloud KMS and AWS KMS wire protocols.
//!
//! Layout: this file is the HTTP layer (tokio + hyper, TLS by rustls, limits, shutdown);
//! `request.rs` the request as the protocols see it; `handler.rs` one request start to finish;
//! `auth/` the signature schemes; `alibaba.rs` and `aws.rs` each protocol's operations, names
//! and shapes; `errors.rs` every error code in one table; `credentials.rs` the access keys;
//! `audit.rs` the audit log; `pool.rs` the threads of RSA private-key operations.

pub mod alibaba;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod credentials;
pub mod errors;
pub mod handler;
pub mod pool;
pub mod request;

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

use handler::{Protocol, Response, Server, MAX_BODY};
use request::Request;

/// How long a client may take to send a request's headers, and its body.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may sit with no bytes moving before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a TLS handshake may take.
const TLS_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 1024;
/// The largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Options of `akms serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Serve an in-memory store instead of --store.
    #[arg(long)]
    pub memory: bool,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The access keys, their secrets and policies (JSON).
    #[arg(long, value_name = "FILE")]
    pub credentials: PathBuf,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Write one JSON line per request to FILE (appended), or `-` for standard output.
    #[arg(long, value_name = "FILE|-")]
    pub audit_log: Option<String>,
}

fn fail(status: akms::Status, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("akms: {}: {message}", status.name());
    ExitCode::from(10 + status.code() as u8)
}

/// Runs the server on `store` until SIGTERM or SIGINT.
pub fn run(args: ServeArgs, store: akms::Store) -> ExitCode {
    let text = match std::fs::read_to_string(&args.credentials) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(e) => {
            return fail(
                akms::Status::InvalidArgument,
                format!(
                    "cannot read the credentials file {}: {e}",
                    args.credentials.display()
                ),
            )
        }
    };
    let credentials = match credentials::Credentials::parse(&text, &store) {
        Ok(c) => c,
        Err(e) => return fail(e.status(), e.message()),
    };
    drop(text);
    let audit = match &args.audit_log {
        None => audit::AuditLog::none(),
        Some(target) => match audit::AuditLog::open(target) {
            Ok(a) => a,
            Err(e) => {
                return fail(
                    akms::Status::Io,
                    format!("cannot open the audit log {target}: {e}"),
                )
            }
        },
    };
    if let Err(e) = audit::install(&store) {
        return fail(e.status(), e.message());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match tls_acceptor(cert, key) {
            Ok(a) => Some(a),
            Err(e) => return fail(akms::Status::InvalidArgument, e),
        },
        _ => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return fail(
                akms::Status::Internal,
                format!("cannot start the runtime: {e}"),
            )
        }
    };
    let crypto = match pool::CryptoPool::per_cpu() {
        Ok(p) => p,
        Err(e) => {
            return fail(
                akms::Status::Internal,
                format!("cannot start the crypto threads: {e}"),
            )
        }
    };
    let shared = Arc::new(Shared {
        server: Arc::new(Server::new(store, credentials, audit)),
        crypto,
        persistent: !args.memory,
    });
    runtime.block_on(serve(args.listen, tls, shared))
}

/// What every connection shares.
struct Shared {
    server: Arc<Server>,
    /// Runs RSA private-key operations.
    crypto: pool::CryptoPool,
    /// Whether changes are written to a file or database (and so wait on I/O).
    persistent: bool,
}

/// Loads the certificate chain and key for HTTPS.
fn tls_acceptor(cert: &PathBuf, key: &PathBuf) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("cannot read the certificates in {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key in {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the TLS certificate and key do not fit: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    listen: String,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) -> ExitCode {
    let listener = match TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => return fail(akms::Status::Io, format!("cannot listen on {listen}: {e}")),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(akms::Status::Io, e),
    };
    {
        let mut out = std::io::stdout().lock();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let _ = writeln!(out, "akms serve: listening on {scheme}://{addr}");
        let _ = out.flush();
    }
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        Ok(s) => s,
        Err(e) => {
            return fail(
                akms::Status::Internal,
                format!("cannot handle SIGTERM: {e}"),
            )
        }
    };
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => {
                    // Out of descriptors or the like: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = sigterm.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => connection(stream, peer, shared, watcher).await,
                Some(acceptor) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(TLS_TIMEOUT, acceptor.accept(stream)).await
                    {
                        connection(s, peer, shared, watcher).await;
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    ExitCode::SUCCESS
}

/// Serves one connection until it closes, idles out, or shutdown completes it.
async fn connection<IO>(
    io: IO,
    peer: SocketAddr,
    shared: Arc<Shared>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = Activity {
        inner: io,
        start,
        last: last.clone(),
    };
    let source_ip = peer.ip().to_string();
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        let source_ip = source_ip.clone();
        async move { Ok::<_, Infallible>(respond(shared, req, source_ip).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(100);
    let conn = watcher.watch(builder.serve_connection(TokioIo::new(io), service));
    tokio::pin!(conn);
    loop {
        tokio::select! {
            _ = &mut conn => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {
                let idle = start.elapsed().saturating_sub(Duration::from_millis(last.load(Ordering::Relaxed)));
                if idle > IDLE_TIMEOUT {
                    return;
                }
            }
        }
    }
}

/// An I/O stream that records when bytes last moved (for the idle timeout).
struct Activity<IO> {
    inner: IO,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl<IO> Activity<IO> {
    fn touch(&self) {
        self.last
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Activity<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Activity<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Where a request runs.
#[derive(Debug, PartialEq, Eq)]
enum Work {
    /// On the reactor: tens of µs at most.
    Reactor,
    /// On the crypto threads: an RSA private-key operation (hundreds of µs of CPU).
    Crypto,
    /// On tokio's blocking pool: key generation (an RSA-3072 key can take a second), or a
    /// change to a file or database store (an fsync, a round trip).
    Blocking,
}

/// Where `req` should run, from the operation it names and, for Sign and Decrypt, its key's
/// spec (EC signatures take tens of µs; an unknown key is sent off the reactor to be safe).
fn work_of(shared: &Shared, req: &Request) -> Work {
    let (operation, key) = match Protocol::detect(req) {
        Protocol::Aws => match aws::operation_of(req).and_then(aws::akms_operation) {
            Some(op @ ("AsymmetricSign" | "AsymmetricDecrypt")) => (op, aws::key_name_of(req)),
            Some(op) => (op, None),
            None => return Work::Reactor,
        },
        Protocol::Alibaba => match alibaba::action_of(req)
            .as_deref()
            .and_then(alibaba::operation)
        {
            Some(op @ ("AsymmetricSign" | "AsymmetricDecrypt")) => (op, alibaba::key_name_of(req)),
            Some(op) => (op, None),
            None => return Work::Reactor,
        },
        Protocol::Unknown => return Work::Reactor,
    };
    match operation {
        "CreateKey" | "CreateKeyVersion" => Work::Blocking,
        "AsymmetricSign" | "AsymmetricDecrypt" => {
            match key.and_then(|k| shared.server.spec_of(&k)) {
                Some((spec, _)) if !spec.starts_with("RSA") => Work::Reactor,
                _ => Work::Crypto,
            }
        }
        "CreateAlias"
        | "UpdateAlias"
        | "DeleteAlias"
        | "EnableKey"
        | "DisableKey"
        | "ScheduleKeyDeletion"
        | "CancelKeyDeletion"
            if shared.persistent =>
        {
            Work::Blocking
        }
        _ => Work::Reactor,
    }
}

/// Reads one request (bounded), handles it where it belongs, writes its audit line, and turns
/// the answer into hyper's response.
async fn respond(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
    source_ip: String,
) -> hyper::Response<Full<Bytes>> {
    let server = &shared.server;
    let (parts, body) = req.into_parts();
    let mut r = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: Vec::new(),
        source_ip,
    };
    let declared_too_large = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64);
    if declared_too_large {
        return to_hyper(server.too_large(&r), true);
    }
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => r.body = collected.to_bytes().to_vec(),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return to_hyper(server.too_large(&r), true);
        }
        // A broken or too slow body: the connection is closed without an answer to audit
        // beyond the line below.
        _ => {
            let resp = server.too_slow(&r);
            return to_hyper(resp, true);
        }
    }
    // Off the reactor the handler writes its audit line itself, so that the line is written
    // even if this future is dropped (the client went away) while the work runs.
    let resp = match work_of(&shared, &r) {
        Work::Reactor => {
            let (resp, line) = server.answer(&r);
            server.audit.commit(&line).await;
            Some(resp)
        }
        Work::Crypto => {
            let s = server.clone();
            shared.crypto.run(move || s.handle(&r)).await
        }
        Work::Blocking => {
            let s = server.clone();
            tokio::task::spawn_blocking(move || s.handle(&r)).await.ok()
        }
    };
    let Some(resp) = resp else {
        return to_hyper(
            Response {
                status: 500,
                content_type: "application/json",
                headers: vec![],
                body: br#"{"Code":"InternalFailure","Message":"the request handler failed"}"#
                    .to_vec(),
            },
            false,
        );
    };
    to_hyper(resp, false)
}

fn to_hyper(resp: Response, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder()
        .status(resp.status)
        .header(hyper::header::CONTENT_TYPE, resp.content_type);
    for (name, value) in &resp.headers {
        b = b.header(*name, value.as_str());
    }
    if close {
        b = b.header(hyper::header::CONNECTION, "close");
    }
    b.body(Full::new(Bytes::from(resp.body)))
        .unwrap_or_else(|_| {
            let mut r = hyper::Response::new(Full::new(Bytes::new()));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}
