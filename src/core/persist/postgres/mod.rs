//! Stores in PostgreSQL: the [`Medium`] for `postgresql://` locations (SPEC "Sharing a store",
//! many hosts). The database holds what a store file holds — the header blob and the sealed
//! records — and nothing else in clear than the store's name and the records' numbers
//! (`db.rs` has the schema). Sealing, the KDF and everything about keys stay in the journal
//! (`persist.rs`), as for a file.
//!
//! Every opener has two connections on a private runtime (one worker thread):
//! - the **writer**, used by [`Medium::append`] and [`Medium::compact`]: the exclusive section is
//!   a transaction holding the store's row (`SELECT ... FOR UPDATE`), in which the records
//!   others appended are read, the caller's closure validates its change against them and seals
//!   its records, and they are inserted and committed. So changes are serialized across hosts
//!   and a change is committed in the database before its call returns. Every step has a
//!   deadline ([`CHANGE_DEADLINE`] for a whole change): a database that cannot be reached fails
//!   the change with `Io` naming the cause, never hangs it. A connection that failed is dropped
//!   and the next change opens another.
//! - the **follower**, which `LISTEN`s on the channel every change is notified on, reads what
//!   was appended (or the new log after a compaction) into a cache, and only then moves
//!   [`Medium::generation`] on. So [`Medium::read`] — called before every call of the store when
//!   the generation moved — is served from memory: cryptographic calls never wait for the
//!   database and keep working on the last state seen while it is away. When its connection
//!   breaks, the follower reconnects with backoff (at most [`MAX_BACKOFF`] between attempts),
//!   listens again and catches up. It also pings its connection every second when idle: a
//!   change gives up once nothing has come from the server for [`STALLED`] (a frozen server, a
//!   black hole), since it holds the store's state lock meanwhile.
//!
//! After a `fork`, a child never uses its parent's runtime or connections (the threads are not
//! there, the sockets are shared): its first call starts its own (`fork.rs` tells, with an
//! atomic counter bumped by a `pthread_atfork` handler).
//!
//! Consistency: a change committed by one host reaches the others' caches a notification and
//! one read later (milliseconds); a host cut off from the database keeps using the state it
//! last saw (a key disabled elsewhere still signs there) until it reconnects, as with a cloud
//! KMS's eventual consistency; its changes fail meanwhile, so nothing it does conflicts.

mod db;
mod fork;
pub mod location;
mod tls;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use self::db::{Conn, Db, Head, Written};
pub use self::location::{is_postgres, Location};
use super::medium::{Append, Cursor, Medium, Record, Tail};
use crate::core::error::{Error, Result};

/// The longest a change (connecting, the exclusive section, the commit) may take before it
/// fails with `Io`: within SPEC's 30 s.
pub const CHANGE_DEADLINE: Duration = Duration::from_secs(25);

/// The longest a read or an open may wait for the database.
const READ_DEADLINE: Duration = Duration::from_secs(20);

/// The longest wait between two reconnection attempts of the follower (SPEC: reconnected
/// within 10 s of the database coming back).
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How often the follower pings its idle connection.
const PING_EVERY: Duration = Duration::from_secs(1);

/// A change gives up when nothing (neither its own connection nor the follower's pings) has
/// come from the server for this long during it: the state lock it holds is released soon
/// after a database stops answering, not at the deadline.
pub const STALLED: Duration = Duration::from_secs(5);

/// The cache keeps at most this many records not yet read by the store; past that it forgets
/// them and the store's next read goes to the database.
const CACHE_LIMIT: usize = 100_000;

/// A store in PostgreSQL (see the module documentation).
pub struct PostgresMedium {
    location: Location,
    /// This process's runtime and connections. A child made by `fork` must not touch its
    /// parent's (the runtime's threads are not in the child, and the connections' sockets are
    /// shared with the parent): on its first call it leaves them alone and starts its own.
    proc: RwLock<Arc<Proc>>,
}

/// What belongs to one process: the runtime, the connections, the follower.
struct Proc {
    /// [`fork::count`] in the process this belongs to.
    forks: u64,
    db: Db,
    store: String,
    /// The writer connection, if open; held for the whole of a change.
    writer: Mutex<Option<Arc<Conn>>>,
    follow: Arc<Follow>,
    following: AtomicBool,
}

/// What the follower shares with the store.
struct Follow {
    /// What [`Medium::generation`] returns: moved on whenever the cache gets something new.
    generation: AtomicU64,
    cache: Mutex<Cache>,
    /// When the follower last heard from the server (ms since `epoch`): it pings an idle
    /// connection every [`PING_EVERY`], so a change can tell a slow database from one that
    /// stopped answering.
    alive: AtomicU64,
    epoch: Instant,
}

/// What the follower has read of the log and the store has not.
#[derive(Default)]
struct Cache {
    /// Set once the cache has been filled from the database.
    known: bool,
    header: Vec<u8>,
    /// The log's generation (the cursors' `log`).
    log: u64,
    /// The number of the first record in `records`.
    base: u64,
    records: VecDeque<Vec<u8>>,
}

impl Cache {
    fn end(&self) -> u64 {
        self.base + self.records.len() as u64
    }
}

impl PostgresMedium {
    /// The medium for a `postgresql://` location; `InvalidArgument` if the URI is malformed.
    /// Connects nothing yet (see [`Medium::open`]).
    pub fn new(uri: &str) -> Result<PostgresMedium> {
        let location = Location::parse(uri)?;
        let proc = Proc::new(&location, 0)?;
        Ok(PostgresMedium {
            location,
            proc: RwLock::new(Arc::new(proc)),
        })
    }

    /// This process's part; after a fork, a new one (the parent's is leaked, never used).
    fn current(&self) -> Result<Arc<Proc>> {
        let me = fork::count();
        let proc = self.proc.read().clone();
        if proc.forks == me {
            return Ok(proc);
        }
        let mut slot = self.proc.write();
        if slot.forks != me {
            // Whatever the parent's follower had seen, the child's first call must read.
            let seen = slot.follow.generation.load(Ordering::Acquire);
            let fresh = Arc::new(Proc::new(&self.location, seen.wrapping_add(1))?);
            std::mem::forget(std::mem::replace(&mut *slot, fresh));
        }
        Ok(slot.clone())
    }
}

impl Drop for PostgresMedium {
    fn drop(&mut self) {
        let proc = self.proc.get_mut();
        if proc.forks != fork::count() {
            // The parent's runtime and connections, in a child that never called: a reference
            // kept forever, so they are never torn down here.
            std::mem::forget(proc.clone());
        }
    }
}

impl Medium for PostgresMedium {
    fn location(&self) -> String {
        self.location.describe()
    }

    fn open(&self) -> Result<Option<(Vec<u8>, Cursor)>> {
        self.current()?.open()
    }

    fn create(&self, header: &[u8]) -> Result<(Vec<u8>, Cursor)> {
        self.current()?.create(header)
    }

    fn generation(&self) -> u64 {
        {
            let proc = self.proc.read();
            if proc.forks == fork::count() {
                return proc.follow.generation.load(Ordering::Acquire);
            }
        }
        // Forked: the child's own part (a failure to start it shows at the next read).
        self.current()
            .map_or(u64::MAX, |p| p.follow.generation.load(Ordering::Acquire))
    }

    fn read(&self, from: &Cursor) -> Result<Tail> {
        self.current()?.read(from)
    }

    fn append(&self, from: &Cursor, f: &mut dyn FnMut(Tail) -> Result<Append>) -> Result<Cursor> {
        self.current()?.append(from, f)
    }

    fn compact(&self, from: &Cursor, header: &[u8], records: &[Vec<u8>]) -> Result<Option<Cursor>> {
        self.current()?.compact(from, header, records)
    }
}

impl Follow {
    fn new(generation: u64) -> Follow {
        Follow {
            generation: AtomicU64::new(generation),
            cache: Mutex::new(Cache::default()),
            alive: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn heard(&self) {
        self.alive.fetch_max(self.now_ms(), Ordering::AcqRel);
    }

    /// Resolves once neither connection has heard from the server for [`STALLED`] since
    /// `since` (ms): the database accepts but does not answer (a frozen server, a black hole).
    async fn stalled(&self, since: u64) {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.now_ms();
            if self.alive.load(Ordering::Acquire) <= since
                && now.saturating_sub(since) >= STALLED.as_millis() as u64
            {
                return;
            }
        }
    }
}

impl Proc {
    fn new(location: &Location, generation: u64) -> Result<Proc> {
        Ok(Proc {
            forks: fork::count(),
            db: Db::new(location.clone())?,
            store: location.store.clone(),
            writer: Mutex::new(None),
            follow: Arc::new(Follow::new(generation)),
            following: AtomicBool::new(false),
        })
    }

    /// The writer connection, opened if there is none (or it broke).
    fn writer(&self, slot: &mut Option<Arc<Conn>>, deadline: Instant) -> Result<Arc<Conn>> {
        if let Some(conn) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(conn.clone());
        }
        *slot = None;
        let shared = self.db.shared.clone();
        let conn = Arc::new(self.db.block(deadline, "connecting", async move {
            shared.connect(None).await
        })?);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `f` on the writer connection; any failure drops the connection (its transaction,
    /// if one is open, then rolls back on the server).
    fn on_writer<T, F, Fut>(&self, deadline: Instant, what: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<db::Shared>, Arc<Conn>) -> Fut,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let mut slot = self.writer.lock();
        let conn = self.writer(&mut slot, deadline)?;
        let out = self
            .db
            .block(deadline, what, f(self.db.shared.clone(), conn));
        if out.is_err() {
            *slot = None;
        }
        out
    }

    /// Fills the cache from the database (at open) and starts the follower once.
    fn start_following(&self, head: &Head, records: Vec<(u64, Vec<u8>)>) -> Result<()> {
        {
            let mut cache = self.follow.cache.lock();
            let records = contiguous(&self.store, head, 0, records)?;
            *cache = Cache {
                known: true,
                header: head.header.clone(),
                log: head.generation,
                base: 0,
                records: records.into(),
            };
        }
        self.ensure_following();
        Ok(())
    }

    /// [`Db::block`], also giving up when the database stops answering (see [`STALLED`]);
    /// anything heard on the way counts as life.
    fn watched<T, F>(&self, deadline: Instant, since: u64, what: &str, fut: F) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let follow = self.follow.clone();
        let location = self.db.shared.location.describe();
        let what_owned = what.to_owned();
        self.db.block(deadline, what, async move {
            let mut work = std::pin::pin!(fut);
            let mut stalled = std::pin::pin!(follow.stalled(since));
            let out = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = work.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                stalled.as_mut().poll(cx).map(|()| None)
            })
            .await;
            match out {
                Some(r) => {
                    if r.is_ok() {
                        follow.heard();
                    }
                    r
                }
                None => Err(Error::Io(format!(
                    "{location}: {what_owned}: the database stopped answering (nothing from it \
                     for {} s)",
                    STALLED.as_secs()
                ))),
            }
        })
    }

    /// Starts the follower, once.
    fn ensure_following(&self) {
        if !self.following.swap(true, Ordering::AcqRel) {
            let shared = self.db.shared.clone();
            let follow = self.follow.clone();
            self.db.spawn(follow_loop(shared, follow));
        }
    }

    fn io_closed(&self) -> Error {
        Error::Io(format!(
            "{}: the connection closed during a change",
            self.location()
        ))
    }
}

impl Proc {
    fn location(&self) -> String {
        self.db.shared.location.describe()
    }

    fn open(&self) -> Result<Option<(Vec<u8>, Cursor)>> {
        let deadline = Instant::now() + READ_DEADLINE;
        let store = self.store.clone();
        let found = self.on_writer(deadline, "opening the store", |shared, conn| async move {
            match shared.head(&conn, &store).await? {
                None => Ok(None),
                Some(head) => Ok(Some(shared.tail(&conn, &store, head.generation, 0).await?)),
            }
        })?;
        match found {
            None => Ok(None),
            Some(tail) => {
                let cursor = cursor(tail.head.generation, 0);
                self.start_following(&tail.head, tail.records)?;
                Ok(Some((tail.head.header, cursor)))
            }
        }
    }

    fn create(&self, header: &[u8]) -> Result<(Vec<u8>, Cursor)> {
        let deadline = Instant::now() + READ_DEADLINE;
        let store = self.store.clone();
        let header = header.to_vec();
        let tail = self.on_writer(deadline, "creating the store", |shared, conn| async move {
            let head = shared.head_or_create(&conn, &store, &header).await?;
            shared.tail(&conn, &store, head.generation, 0).await
        })?;
        let cursor = cursor(tail.head.generation, 0);
        self.start_following(&tail.head, tail.records)?;
        Ok((tail.head.header, cursor))
    }

    fn read(&self, from: &Cursor) -> Result<Tail> {
        {
            let mut cache = self.follow.cache.lock();
            if cache.known {
                let log = cache.log as u128;
                if from.log > log || (from.log == log && from.seq >= cache.end()) {
                    // The store is at or past what the follower has seen (its own changes):
                    // nothing newer is known here.
                    if from.log == log {
                        cache.base = cache.end();
                        cache.records.clear();
                    }
                    return Ok(Tail {
                        replaced: None,
                        start: from.clone(),
                        records: Vec::new(),
                        end: from.clone(),
                    });
                }
                let replaced = from.log < log;
                let start = if replaced { 0 } else { from.seq };
                if start >= cache.base {
                    let skip = (start - cache.base) as usize;
                    let taken: Vec<Vec<u8>> = cache.records.drain(..).skip(skip).collect();
                    cache.base = start + taken.len() as u64;
                    let records = records_from(cache.log, start, taken);
                    return Ok(Tail {
                        replaced: replaced.then(|| cache.header.clone()),
                        start: cursor(cache.log, start),
                        end: cursor(cache.log, cache.base),
                        records,
                    });
                }
            }
        }
        // Not in the cache (the store read these before and asks again): the database.
        let deadline = Instant::now() + READ_DEADLINE;
        let store = self.store.clone();
        let (log, seq) = (from.log as u64, from.seq);
        let tail = self.on_writer(deadline, "reading records", |shared, conn| async move {
            shared.tail(&conn, &store, log, seq).await
        })?;
        let head = tail.head.clone();
        let tail = to_tail(&self.store, from, tail.head, tail.records)?;
        // The cache goes on from here (it had forgotten, or was behind).
        let mut cache = self.follow.cache.lock();
        if !cache.known || (cache.log, cache.end()) < (head.generation, head.next_seq) {
            *cache = Cache {
                known: true,
                header: head.header,
                log: head.generation,
                base: head.next_seq,
                records: VecDeque::new(),
            };
        }
        drop(cache);
        self.ensure_following();
        Ok(tail)
    }

    fn append(&self, from: &Cursor, f: &mut dyn FnMut(Tail) -> Result<Append>) -> Result<Cursor> {
        let deadline = Instant::now() + CHANGE_DEADLINE;
        let mut slot = self.writer.lock();
        let conn = self.writer(&mut slot, deadline)?;
        let shared = self.db.shared.clone();
        let store = self.store.clone();
        let (log, seq) = (from.log as u64, from.seq);

        // The section begins: the store's row is ours until COMMIT or ROLLBACK.
        let c = conn.clone();
        let since = self.follow.now_ms();
        let locked = self.watched(deadline, since, "locking the store", async move {
            c.client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| shared.io("beginning a transaction", &e))?;
            let head = shared.lock(&c, &store).await?;
            let tail = shared.tail(&c, &store, log, seq).await?;
            if tail.head != head {
                // Cannot happen under the lock; refuse rather than guess.
                return Err(Error::Io(format!(
                    "{}: the store changed under its row lock",
                    shared.location.describe()
                )));
            }
            Ok(tail)
        });
        let locked = match locked {
            Ok(t) => t,
            Err(e) => {
                *slot = None;
                return Err(e);
            }
        };
        let head = locked.head.clone();
        let tail = match to_tail(&self.store, from, locked.head, locked.records) {
            Ok(t) => t,
            Err(e) => {
                self.rollback(&mut slot, &conn);
                return Err(e);
            }
        };
        let shown = tail.records.len();
        let end = tail.end.clone();
        let append = match f(tail) {
            Ok(a) => a,
            Err(e) => {
                self.rollback(&mut slot, &conn);
                return Err(e);
            }
        };
        if append.keep != shown {
            // A record of the database failed to authenticate: it was not torn by a crash (a
            // transaction cannot be), so it is never cut off.
            self.rollback(&mut slot, &conn);
            return Err(Error::Corrupt(format!(
                "{}: record {} fails authentication: the database was modified",
                self.location(),
                end.seq - (shown - append.keep) as u64
            )));
        }
        if append.records.is_empty() {
            self.rollback(&mut slot, &conn);
            return Ok(end);
        }

        let shared = self.db.shared.clone();
        let store = self.store.clone();
        let records = append.records;
        let n = records.len() as u64;
        let c = conn.clone();
        let committed = self.watched(deadline, since, "committing", async move {
            let io = |e: tokio_postgres::Error| shared.io("appending", &e);
            let written = shared
                .append(&c, &store, head.generation, head.next_seq, &records)
                .await?;
            c.client.batch_execute("COMMIT").await.map_err(io)?;
            Ok(written)
        });
        match committed {
            Ok(Written::Done(next)) if next == end.seq + n => Ok(cursor(head.generation, next)),
            Ok(_) => {
                *slot = None;
                Err(self.io_closed())
            }
            Err(e) => {
                // The commit's outcome may be unknown (the connection broke after sending it):
                // if it did commit, the records are read back as any other host's would be.
                *slot = None;
                Err(e)
            }
        }
    }

    fn compact(&self, from: &Cursor, header: &[u8], records: &[Vec<u8>]) -> Result<Option<Cursor>> {
        let deadline = Instant::now() + CHANGE_DEADLINE;
        let store = self.store.clone();
        let header = header.to_vec();
        let records = records.to_vec();
        let (log, seq) = (from.log as u64, from.seq);
        let written = self.on_writer(deadline, "compacting", |shared, conn| async move {
            shared
                .compact(&conn, &store, log, seq, &header, &records)
                .await
        })?;
        Ok(match written {
            Written::Done(n) => Some(cursor(from.log as u64 + 1, n)),
            Written::Conflict => None,
        })
    }
}

impl Proc {
    /// Ends the section without writing; a connection that cannot roll back is dropped.
    fn rollback(&self, slot: &mut Option<Arc<Conn>>, conn: &Arc<Conn>) {
        let c = conn.clone();
        let shared = self.db.shared.clone();
        let deadline = Instant::now() + Duration::from_secs(5);
        let done = self.db.block(deadline, "rolling back", async move {
            c.client
                .batch_execute("ROLLBACK")
                .await
                .map_err(|e| shared.io("rolling back", &e))
        });
        if done.is_err() {
            *slot = None;
        }
    }
}

fn cursor(log: u64, seq: u64) -> Cursor {
    Cursor {
        seq,
        log: log as u128,
        at: 0,
    }
}

fn records_from(log: u64, start: u64, blobs: Vec<Vec<u8>>) -> Vec<Record> {
    blobs
        .into_iter()
        .enumerate()
        .map(|(i, blob)| {
            let seq = start + i as u64;
            Record {
                seq,
                blob,
                next: cursor(log, seq + 1),
            }
        })
        .collect()
}

/// The blobs of `records` if they are exactly records `start ..` up to the head's end; a gap
/// (a row deleted in the database) is `Corrupt`.
fn contiguous(
    store: &str,
    head: &Head,
    start: u64,
    records: Vec<(u64, Vec<u8>)>,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(records.len());
    for (i, (seq, blob)) in records.into_iter().enumerate() {
        let want = start + i as u64;
        if seq != want {
            return Err(missing(store, want));
        }
        out.push(blob);
    }
    let end = start + out.len() as u64;
    if end != head.next_seq {
        return Err(missing(store, end.min(head.next_seq)));
    }
    Ok(out)
}

fn missing(store: &str, seq: u64) -> Error {
    Error::Corrupt(format!(
        "store {store}: record {seq} is missing from the database: the database was modified"
    ))
}

/// A tail read from the database after `from`, checked.
fn to_tail(store: &str, from: &Cursor, head: Head, records: Vec<(u64, Vec<u8>)>) -> Result<Tail> {
    let replaced = from.log != head.generation as u128;
    let start = if replaced { 0 } else { from.seq };
    if start > head.next_seq {
        return Err(missing(store, head.next_seq));
    }
    let blobs = contiguous(store, &head, start, records)?;
    Ok(Tail {
        replaced: replaced.then_some(head.header),
        start: cursor(head.generation, start),
        records: records_from(head.generation, start, blobs),
        end: cursor(head.generation, head.next_seq),
    })
}

/// The follower: listens, reads what others append into the cache, reconnects with backoff.
async fn follow_loop(shared: Arc<db::Shared>, follow: Arc<Follow>) {
    let store = shared.location.store.clone();
    let mut backoff = Duration::from_millis(50);
    loop {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let connected = tokio::time::timeout(READ_DEADLINE, async {
            let conn = shared.connect(Some(tx)).await?;
            conn.client
                .batch_execute(&format!("LISTEN {}", db::CHANNEL))
                .await
                .map_err(|e| shared.io("listening", &e))?;
            // Listening first, then catching up: nothing committed in between is missed.
            catch_up(&shared, &conn, &follow).await?;
            Ok::<_, Error>(conn)
        })
        .await;
        if let Ok(Ok(conn)) = connected {
            backoff = Duration::from_millis(50);
            follow.heard();
            loop {
                let payload = match tokio::time::timeout(PING_EVERY, rx.recv()).await {
                    Ok(Some(payload)) => payload,
                    Ok(None) => break, // the connection ended
                    Err(_idle) => {
                        let ping = tokio::time::timeout(STALLED, conn.client.simple_query(""));
                        match ping.await {
                            Ok(Ok(_)) => {
                                follow.heard();
                                continue;
                            }
                            _ => break,
                        }
                    }
                };
                follow.heard();
                if payload != store {
                    continue;
                }
                // Several notifications queued: one read covers them all.
                while rx.try_recv().is_ok() {}
                let caught = tokio::time::timeout(READ_DEADLINE, catch_up(&shared, &conn, &follow));
                if !matches!(caught.await, Ok(Ok(()))) {
                    break;
                }
            }
            drop(conn);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Reads what was appended after the cache's end (or the whole new log) into the cache, and
/// moves the generation on if anything came.
async fn catch_up(shared: &db::Shared, conn: &Conn, follow: &Follow) -> Result<()> {
    let store = &shared.location.store;
    let (log, end) = {
        let cache = follow.cache.lock();
        if !cache.known {
            // Forgotten (see CACHE_LIMIT): the store's next read goes to the database.
            follow.generation.fetch_add(1, Ordering::AcqRel);
            return Ok(());
        }
        (cache.log, cache.end())
    };
    let tail = shared.tail(conn, store, log, end).await?;
    let mut cache = follow.cache.lock();
    if (cache.log, cache.end()) != (log, end) {
        return Ok(()); // the store read or reset the cache meanwhile: next time
    }
    let head = tail.head;
    let moved = if head.generation != log {
        let blobs = contiguous(store, &head, 0, tail.records)?;
        *cache = Cache {
            known: true,
            header: head.header,
            log: head.generation,
            base: 0,
            records: blobs.into(),
        };
        true
    } else if head.next_seq > end {
        let blobs = contiguous(store, &head, end, tail.records)?;
        cache.records.extend(blobs);
        true
    } else {
        false
    };
    if cache.records.len() > CACHE_LIMIT {
        // The store is not reading: forget, and let its next read go to the database.
        let end = cache.end();
        cache.records.clear();
        cache.base = end;
        cache.known = false;
        follow.generation.fetch_add(1, Ordering::AcqRel);
        return Ok(());
    }
    if moved {
        follow.generation.fetch_add(1, Ordering::AcqRel);
    }
    Ok(())
}
