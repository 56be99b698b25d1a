//! The storage seam: where a persistent store's sealed bytes live.
//!
//! A [`Medium`] holds, for one store, a **header blob** (KDF parameters, salt, key-check tag, log
//! id: opaque here, made and read by `format.rs`) and an ordered **log of sealed record blobs**,
//! numbered from 0 (`seq`). It knows nothing of keys, changes or cryptography: the journal
//! (`persist.rs`) seals every record with the passphrase-derived key before it reaches the
//! medium and opens it after, whatever the medium. Two media implement it: the store file
//! (`persist/file.rs`) and PostgreSQL.
//!
//! Who calls what:
//! - opening: [`Medium::open`]; if it finds no header, the journal derives a key for a fresh
//!   salt (the KDF, with nothing locked) and calls [`Medium::create`], which stores that header
//!   unless another opener stored one first (then the winner's header comes back and the
//!   journal derives again from its salt). Then [`Medium::read`] from the returned cursor.
//! - before every call of the store: [`Medium::generation`] (cheap, no I/O: the store is usually
//!   unchanged); when it differs from the value seen last, [`Medium::read`] from the cursor.
//! - every change: [`Medium::append`]. Inside one exclusive section across every opener (every
//!   process, every host) the medium reads the records others appended after the caller's
//!   cursor and hands them to the caller's closure, which catches its state up, validates the
//!   change against it and returns the sealed records to append; the medium then makes them
//!   durable and only then ends the section. The closure runs exactly once: nobody appends
//!   between the tail it was shown and its own records, so "someone appended first" is never an
//!   error, it is simply the tail the closure is shown. The section never spans key generation
//!   or the KDF (both happen before); only AEAD of the records (microseconds) runs inside it,
//!   because a record's associated data binds its `seq`, known only there.
//! - compaction: the journal seals a snapshot of its state as a new header (a new log id) and
//!   records, with nothing locked, then calls [`Medium::compact`], which replaces the log only if
//!   nothing was appended after the caller's cursor (`Ok(None)` otherwise: try again later).
//!   Compaction is best-effort: an error leaves the old log in place and usable.
//!
//! Followers of a compacted log: [`Medium::read`] (and the tail given to an append) reports the
//! replacement with the new header in [`Tail::replaced`], records from `seq` 0; the key stays
//! the same (same salt and KDF parameters), so the journal checks the new header's key-check tag
//! and rebuilds its state without running the KDF.

use crate::core::error::Result;

/// A place in a medium's log, made by the medium: the caller keeps the latest one it was given
/// and hands it back. Only `seq` means anything to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The number of the next record (the number of records before this place in the log).
    pub seq: u64,
    /// Which log this is (a compaction makes a new one). Medium-private: the file medium puts
    /// the file's inode here.
    pub log: u128,
    /// Medium-private position (the file medium: the byte offset of the next record).
    pub at: u64,
}

/// One sealed record read from a medium.
pub struct Record {
    /// Its number in its log (the journal binds it into the record's associated data).
    pub seq: u64,
    /// The sealed bytes, exactly as appended.
    pub blob: Vec<u8>,
    /// The cursor just after this record.
    pub next: Cursor,
}

/// What a medium holds after a cursor.
pub struct Tail {
    /// `Some(header)` when the log the cursor points into was replaced by a compaction: the new
    /// log's header blob. `records` then start at `seq` 0 of the new log and the caller rebuilds
    /// its state from them alone.
    pub replaced: Option<Vec<u8>>,
    /// The cursor the records follow: the one given, or the new log's start when replaced.
    pub start: Cursor,
    /// The records after the cursor, in order, as far as they are complete. The last ones may
    /// be a write in progress or torn by a crash (a file); the caller tells by authenticating
    /// them, and outside [`Medium::append`] it simply stops at the first that fails.
    pub records: Vec<Record>,
    /// The cursor after the last record (`start` when there are none).
    pub end: Cursor,
}

/// What the closure given to [`Medium::append`] asks the medium to write.
pub struct Append {
    /// How many of the tail's records stay; the rest (a torn write found under the section) are
    /// cut off before the new records are written. A medium whose records cannot be torn (a
    /// database) always gets all of them.
    pub keep: usize,
    /// Sealed records to append after the kept ones, numbered on from there. May be empty
    /// (nothing to write: the section then only catches the caller up and repairs the tail).
    pub records: Vec<Vec<u8>>,
    /// `records[..barrier]` must be durable before `records[barrier..]` are written (the
    /// journal's commit mark goes last, after a barrier). A medium that commits all of them
    /// atomically (one database transaction) may ignore it.
    pub barrier: usize,
}

/// Where a persistent store's header and sealed records live (see the module documentation).
/// One value per opener; `Send + Sync`, its methods may be called from any thread (the journal
/// never calls two of them at once for one opener).
pub trait Medium: Send + Sync {
    /// The location, for messages (a path, or a URI without its password).
    fn location(&self) -> String;

    /// The current header and the cursor at the start of its log, or `None` if the medium
    /// holds no store yet.
    fn open(&self) -> Result<Option<(Vec<u8>, Cursor)>>;

    /// Stores `header` as the header of a new, empty log if the medium holds none yet, durably;
    /// returns the header the medium holds afterwards (`header` itself, or the one another
    /// opener stored first) and the cursor at the start of its log.
    fn create(&self, header: &[u8]) -> Result<(Vec<u8>, Cursor)>;

    /// A number that changes whenever anyone appends to the log or compacts it. Called before
    /// every call of the store: no I/O, no lock (the file medium reads a counter in a shared
    /// mapping). A medium that cannot know at once (another host) may lag, as SPEC allows.
    fn generation(&self) -> u64;

    /// The records after `from` (with nothing locked: never repairs anything).
    fn read(&self, from: &Cursor) -> Result<Tail>;

    /// The exclusive section (see the module documentation): reads the tail after `from`,
    /// calls `f` once with it, cuts the tail back to `f`'s `keep`, appends `f`'s records (with
    /// the barrier), makes them durable and ends the section. Returns the cursor after the
    /// last record kept or written. If `f` fails, nothing is written and its error is returned.
    /// If the write fails, `Io`, and whatever landed is taken back (or every later append
    /// fails until the store is reopened).
    fn append(&self, from: &Cursor, f: &mut dyn FnMut(Tail) -> Result<Append>) -> Result<Cursor>;

    /// Replaces the log, atomically for every follower, with `header` and `records` (a snapshot
    /// of the state at `from`, sealed under `header`'s new log id), if nothing was appended
    /// after `from`; `Ok(None)` if something was. Returns the cursor at the new log's end. On
    /// error the old log stays as it was (the file medium removes its temporary file).
    fn compact(&self, from: &Cursor, header: &[u8], records: &[Vec<u8>]) -> Result<Option<Cursor>>;
}
