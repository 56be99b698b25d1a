//! The database side of a PostgreSQL store: connections on a private runtime, the schema, and
//! the few statements a store needs. Nothing here knows what a record holds: the database sees
//! the store's name, record numbers and sealed bytes only.
//!
//! ```sql
//! CREATE SCHEMA akms;
//! CREATE TABLE akms.store (
//!     name       text   PRIMARY KEY,      -- akms_store=NAME
//!     header     bytea  NOT NULL,         -- KDF parameters, salt, key-check tag, log id
//!     generation bigint NOT NULL,         -- +1 at each compaction (the header changes with it)
//!     next_seq   bigint NOT NULL          -- records 0 .. next_seq exist
//! );
//! CREATE TABLE akms.record (
//!     store  text   NOT NULL REFERENCES akms.store (name) ON DELETE CASCADE,
//!     seq    bigint NOT NULL,
//!     sealed bytea  NOT NULL,             -- nonce and AEAD of one change
//!     PRIMARY KEY (store, seq)
//! );
//! ```
//! An append is one statement (so one transaction): it moves `next_seq` on only if it still is
//! what the appender last read, and inserts the records after it; when another host appended
//! first it changes nothing and reports a conflict, and the appender catches up and tries again.
//! A compaction replaces the header and all records of a store in one transaction. Both notify
//! the channel `akms` with the store's name, which every open store LISTENs to on a connection
//! of its own.
//!
//! Every call from the store runs on the runtime with a deadline; a connection that missed one
//! is dropped (its transaction, if any, rolls back on the server) and the next call opens
//! another.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::UnboundedSender;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Statement};

use super::location::Location;
use super::tls::{client_config, MakeRustls};
use crate::core::error::{Error, Result};

/// The channel every change is notified on (payload: the store's name).
pub const CHANNEL: &str = "akms";

/// Session settings of every connection: a statement (or a wait for a row lock) never runs
/// long, and a transaction left open by a vanished client is ended by the server.
const SESSION: &str = "SET statement_timeout = '20s'; SET lock_timeout = '15s'; \
                       SET idle_in_transaction_session_timeout = '30s'";

const SCHEMA: &str = "
CREATE SCHEMA IF NOT EXISTS akms;
CREATE TABLE IF NOT EXISTS akms.store (
    name       text   PRIMARY KEY,
    header     bytea  NOT NULL,
    generation bigint NOT NULL,
    next_seq   bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS akms.record (
    store  text   NOT NULL REFERENCES akms.store (name) ON DELETE CASCADE,
    seq    bigint NOT NULL,
    sealed bytea  NOT NULL,
    PRIMARY KEY (store, seq)
);";

/// One statement: append `$4` (sealed records) after record `$3 - 1` of store `$1` at
/// generation `$2`, if nobody appended or compacted since; returns one row (the new next_seq)
/// on success, none on conflict.
const APPEND: &str = "
WITH up AS (
    UPDATE akms.store SET next_seq = next_seq + cardinality($4::bytea[])
    WHERE name = $1 AND generation = $2 AND next_seq = $3
    RETURNING next_seq
), ins AS (
    INSERT INTO akms.record (store, seq, sealed)
    SELECT $1::text, $3 + o.i - 1, o.b FROM up, unnest($4::bytea[]) WITH ORDINALITY AS o(b, i)
)
SELECT up.next_seq, pg_notify('akms', $1) FROM up";

/// Where a store's log stands in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The store's header blob.
    pub header: Vec<u8>,
    /// Bumped by each compaction.
    pub generation: u64,
    /// The number of records.
    pub next_seq: u64,
}

/// Records read after a position, with the head they were read under (one snapshot).
pub struct Tail {
    pub head: Head,
    /// `(seq, sealed)`, in order, from the position asked for (all of them if the generation
    /// differs from the one asked for).
    pub records: Vec<(u64, Vec<u8>)>,
}

/// The outcome of an append or a compaction.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// Committed; the log's new length.
    Done(u64),
    /// Another host appended or compacted first: nothing was written.
    Conflict,
}

/// What the runtime's tasks need.
pub struct Shared {
    pub location: Location,
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// A connection with its prepared statements.
pub struct Conn {
    pub client: Client,
    append: Statement,
}

/// A store's handle on its database: a runtime (one worker thread) and the settings.
pub struct Db {
    pub shared: Arc<Shared>,
    /// Always `Some` until dropped.
    rt: Option<tokio::runtime::Runtime>,
    /// `fork::count()` where the runtime was made (a forked child must never tear it down).
    forks: u64,
}

impl Db {
    /// Sets up the runtime and TLS for `location`; connects nothing yet.
    pub fn new(location: Location) -> Result<Db> {
        let tls = client_config(&location.tls)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("akms-postgres")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::Io(format!("starting the PostgreSQL client's thread: {e}")))?;
        Ok(Db {
            shared: Arc::new(Shared { location, tls }),
            rt: Some(rt),
            forks: super::fork::count(),
        })
    }

    /// Runs `fut` on the runtime and waits for it, at most until `deadline`: a call never
    /// hangs, from any thread (also one inside another async runtime). `what` names the step
    /// in the error.
    pub fn block<T, F>(&self, deadline: Instant, what: &str, fut: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let out = tokio::time::timeout_at(deadline.into(), fut).await;
            let _ = tx.send(out);
        });
        let waited = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        match rx.recv_timeout(waited) {
            Ok(Ok(result)) => result,
            Ok(Err(_)) | Err(_) => Err(Error::Io(format!(
                "{}: {what}: no answer from the database in time",
                self.shared.location.describe()
            ))),
        }
    }

    /// Spawns `fut` on the runtime (the follower's loop).
    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.runtime().spawn(fut);
    }

    fn runtime(&self) -> &tokio::runtime::Handle {
        self.rt
            .as_ref()
            .expect("the runtime lives as long as the Db")
            .handle()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Ends the follower and any call still running; safe from any context (also inside
        // another runtime, where dropping a runtime would panic).
        if let Some(rt) = self.rt.take() {
            if self.forks == super::fork::count() {
                rt.shutdown_background();
            } else {
                // Forked: the runtime's threads live in the parent only.
                std::mem::forget(rt);
            }
        }
    }
}

impl Shared {
    /// An `Io` error naming the database and the step.
    pub fn io(&self, what: &str, e: &tokio_postgres::Error) -> Error {
        Error::Io(format!(
            "{}: {what}: {}",
            self.location.describe(),
            describe(e)
        ))
    }

    /// Opens a connection (with the session settings and statements); notifications on it go
    /// to `notify`. Dropping the returned connection closes it.
    pub async fn connect(&self, notify: Option<UnboundedSender<String>>) -> Result<Conn> {
        let config = &self.location.config;
        let client = match &self.tls {
            None => {
                let (client, conn) = config
                    .connect(NoTls)
                    .await
                    .map_err(|e| self.io("connecting", &e))?;
                tokio::spawn(drive(conn, notify));
                client
            }
            Some(tls) => {
                let (client, conn) = config
                    .connect(MakeRustls(tls.clone()))
                    .await
                    .map_err(|e| self.io("connecting", &e))?;
                tokio::spawn(drive(conn, notify));
                client
            }
        };
        client
            .batch_execute(SESSION)
            .await
            .map_err(|e| self.io("setting up the session", &e))?;
        self.ensure_schema(&client).await?;
        let append = client
            .prepare(APPEND)
            .await
            .map_err(|e| self.io("preparing the append", &e))?;
        Ok(Conn { client, append })
    }

    /// Creates the schema and tables if absent (serialized between hosts by an advisory lock,
    /// and skipped when they exist, so that a role with only the grants of the README works).
    async fn ensure_schema(&self, client: &Client) -> Result<()> {
        let row = client
            .query_one(
                "SELECT to_regclass('akms.store') IS NOT NULL AND \
                        to_regclass('akms.record') IS NOT NULL",
                &[],
            )
            .await
            .map_err(|e| self.io("looking for the tables", &e))?;
        if row.get::<_, bool>(0) {
            return Ok(());
        }
        let ddl = format!(
            "BEGIN; SELECT pg_advisory_xact_lock(hashtext('akms schema')); {SCHEMA} COMMIT;"
        );
        if let Err(e) = client.batch_execute(&ddl).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(self.io("creating the tables (the role needs CREATE on the database, or an operator creates them: see the README)", &e));
        }
        Ok(())
    }

    /// The store's head, creating the store with `header` if it does not exist (two hosts
    /// creating it at once: one header wins and both return it).
    pub async fn head_or_create(&self, conn: &Conn, store: &str, header: &[u8]) -> Result<Head> {
        conn.client
            .execute(
                "INSERT INTO akms.store (name, header, generation, next_seq) \
                 VALUES ($1, $2, 0, 0) ON CONFLICT (name) DO NOTHING",
                &[&store, &header],
            )
            .await
            .map_err(|e| self.io("creating the store", &e))?;
        self.head(conn, store)
            .await?
            .ok_or_else(|| Error::Io(format!("{}: the store vanished", self.location.describe())))
    }

    /// The store's head, if the store exists.
    pub async fn head(&self, conn: &Conn, store: &str) -> Result<Option<Head>> {
        let row = conn
            .client
            .query_opt(
                "SELECT header, generation, next_seq FROM akms.store WHERE name = $1",
                &[&store],
            )
            .await
            .map_err(|e| self.io("reading the store's header", &e))?;
        Ok(row.map(|r| Head {
            header: r.get(0),
            generation: r.get::<_, i64>(1) as u64,
            next_seq: r.get::<_, i64>(2) as u64,
        }))
    }

    /// Takes the store's row lock (inside a transaction) and returns its head.
    pub async fn lock(&self, conn: &Conn, store: &str) -> Result<Head> {
        let row = conn
            .client
            .query_opt(
                "SELECT header, generation, next_seq FROM akms.store WHERE name = $1 FOR UPDATE",
                &[&store],
            )
            .await
            .map_err(|e| self.io("locking the store", &e))?
            .ok_or_else(|| {
                Error::Corrupt(format!(
                    "{}: the store's header row is gone",
                    self.location.describe()
                ))
            })?;
        Ok(Head {
            header: row.get(0),
            generation: row.get::<_, i64>(1) as u64,
            next_seq: row.get::<_, i64>(2) as u64,
        })
    }

    /// The records of `store` from `from` on if its generation is still `generation`, else all
    /// of them; in one snapshot with the head.
    pub async fn tail(&self, conn: &Conn, store: &str, generation: u64, from: u64) -> Result<Tail> {
        let rows = conn
            .client
            .query(
                "SELECT s.header, s.generation, s.next_seq, r.seq, r.sealed \
                 FROM akms.store s LEFT JOIN akms.record r ON r.store = s.name \
                   AND r.seq >= CASE WHEN s.generation = $2::bigint THEN $3::bigint ELSE 0 END \
                 WHERE s.name = $1 ORDER BY r.seq",
                &[&store, &(generation as i64), &(from as i64)],
            )
            .await
            .map_err(|e| self.io("reading records", &e))?;
        let first = rows.first().ok_or_else(|| {
            Error::Corrupt(format!(
                "{}: the store's header row is gone",
                self.location.describe()
            ))
        })?;
        let head = Head {
            header: first.get(0),
            generation: first.get::<_, i64>(1) as u64,
            next_seq: first.get::<_, i64>(2) as u64,
        };
        let mut records = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(seq) = r.get::<_, Option<i64>>(3) {
                records.push((seq as u64, r.get::<_, Vec<u8>>(4)));
            }
        }
        Ok(Tail { head, records })
    }

    /// Appends `sealed` after record `next_seq - 1`, if the log is still at `generation` and
    /// `next_seq`; committed when this returns `Done`.
    pub async fn append(
        &self,
        conn: &Conn,
        store: &str,
        generation: u64,
        next_seq: u64,
        sealed: &[Vec<u8>],
    ) -> Result<Written> {
        let rows = conn
            .client
            .query(
                &conn.append,
                &[&store, &(generation as i64), &(next_seq as i64), &sealed],
            )
            .await
            .map_err(|e| self.io("appending", &e))?;
        Ok(match rows.first() {
            Some(r) => Written::Done(r.get::<_, i64>(0) as u64),
            None => Written::Conflict,
        })
    }

    /// Replaces the header and every record of `store` by `header` and `sealed` (numbered from
    /// 0) and bumps the generation, in one transaction, if the log is still at `generation` and
    /// `next_seq`.
    pub async fn compact(
        &self,
        conn: &Conn,
        store: &str,
        generation: u64,
        next_seq: u64,
        header: &[u8],
        sealed: &[Vec<u8>],
    ) -> Result<Written> {
        let c = &conn.client;
        let io = |e: tokio_postgres::Error| self.io("compacting", &e);
        c.batch_execute("BEGIN").await.map_err(io)?;
        let result = async {
            let locked = c
                .query_opt(
                    "SELECT 1 FROM akms.store \
                     WHERE name = $1 AND generation = $2 AND next_seq = $3 FOR UPDATE",
                    &[&store, &(generation as i64), &(next_seq as i64)],
                )
                .await?;
            if locked.is_none() {
                return Ok(Written::Conflict);
            }
            c.execute("DELETE FROM akms.record WHERE store = $1", &[&store])
                .await?;
            c.execute(
                "INSERT INTO akms.record (store, seq, sealed) \
                 SELECT $1::text, o.i - 1, o.b FROM unnest($2::bytea[]) WITH ORDINALITY AS o(b, i)",
                &[&store, &sealed],
            )
            .await?;
            c.execute(
                "UPDATE akms.store SET header = $2, generation = generation + 1, next_seq = $3 \
                 WHERE name = $1",
                &[&store, &header, &(sealed.len() as i64)],
            )
            .await?;
            c.execute("SELECT pg_notify('akms', $1)", &[&store]).await?;
            Ok(Written::Done(sealed.len() as u64))
        }
        .await;
        match result {
            Ok(Written::Done(n)) => {
                c.batch_execute("COMMIT").await.map_err(io)?;
                Ok(Written::Done(n))
            }
            Ok(Written::Conflict) => {
                c.batch_execute("ROLLBACK").await.map_err(io)?;
                Ok(Written::Conflict)
            }
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK").await;
                Err(io(e))
            }
        }
    }
}

/// Drives a connection, passing its notifications on; ends (dropping `notify`, which tells the
/// listener) when the connection does.
async fn drive<S, T>(mut conn: Connection<S, T>, notify: Option<UnboundedSender<String>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(n))) => {
                if let Some(tx) = &notify {
                    let _ = tx.send(n.payload().to_owned());
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

/// A client error in words: the server's message and code, or the cause below the client's
/// terse text ("error connecting to server: Connection refused (os error 111)").
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}
