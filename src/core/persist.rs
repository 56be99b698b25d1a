//! Persistent stores: [`Store::open`] keeps a store in a file, encrypted and authenticated under
//! a key derived from a passphrase, durable change by change, and shared by every process that
//! opens it.
//!
//! The store is a log (layout in `persist/format.rs`): a header holding the Argon2id parameters,
//! salt and log id, then sealed records, each one [`Change`] or a commit mark (encodings in
//! `persist/record.rs`). The log lives in a [`Medium`] (`persist/medium.rs`, the storage seam):
//! the file medium (`persist/file.rs`) here, PostgreSQL elsewhere. Everything in this module is
//! the same for every medium: sealing and opening records, catching up, validating a change
//! against the latest state, compaction.
//!
//! **A change** is validated, made durable, then applied. [`Store::mutate`] holds the state's
//! write lock and enters the medium's exclusive section (across every opener: the file medium
//! takes a `flock`); there the records other openers appended are read and applied, the change
//! is checked against that state, its records are appended and synced, then a commit mark is
//! appended and synced, and the section ends. Key generation and the KDF never run inside.
//!
//! **Freshness.** Before every call the store compares the medium's generation (a counter in a
//! shared mapping, one atomic load) with the one it caught up to; when another opener has
//! committed, it reads and applies only the new records.
//!
//! **Torn writes and damage.** A reader takes the changes up to the last commit mark that
//! authenticates. A record that fails to authenticate before such a mark was acknowledged and
//! then damaged: `Corrupt`; so is a commit mark that fails (marks are never torn). Records after
//! the last mark were never acknowledged (a crash, a killed writer, or a write in progress):
//! readers ignore them, and the next writer cuts them off under the lock.
//!
//! **Deletion.** A key whose deletion window has passed is deleted durably (a `DeleteKey`
//! record) by the first call that notices, so no clock can bring it back, and its material
//! leaves the file at the next compaction.
//!
//! **Compaction** (best-effort) happens when at least half of the log's changes are dead: on
//! open, and after a change once the dead ones number in the hundreds. The live state is sealed
//! into a new log with a new log id, with nothing locked, and the medium swaps it in only if
//! nothing was appended meanwhile. Other openers notice the new log at their next call and
//! rebuild from it, with the key they already have (no KDF). A failed compaction leaves the old
//! log as it was.

mod file;
mod format;
pub mod medium;
#[cfg(feature = "postgres")]
pub mod postgres;
mod record;
mod shm;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use rand::RngExt;

pub use format::KdfParams;
use format::{Header, Sealer};
use medium::{Append, Cursor, Medium, Record, Tail};
use record::Entry;

use super::clock::{Clock, UnixMillis};
use super::error::{invalid, Error, Result};
use super::state::{Change, Journal, State};
use super::store::Store;

/// The environment variable that sets the Argon2id parameters of newly created store files:
/// `m=<KiB>,t=<passes>,p=<lanes>`. Existing files keep the parameters in their header. Meant for
/// tests and small devices: lowering the cost lowers the protection a passphrase gives.
pub const KDF_PARAMS_ENV: &str = "AKMS_KDF_PARAMS";

/// How [`Store::open_with`] opens a store.
#[derive(Clone)]
pub struct PersistOptions {
    kdf: Option<KdfParams>,
    clock: Clock,
}

impl Default for PersistOptions {
    fn default() -> Self {
        PersistOptions {
            kdf: None,
            clock: Clock::system(),
        }
    }
}

impl PersistOptions {
    /// The defaults: [`KdfParams::DEFAULT`] (or `AKMS_KDF_PARAMS`) for a new file, system clock.
    pub fn new() -> PersistOptions {
        PersistOptions::default()
    }

    /// The Argon2id parameters used if the file is created (an existing file keeps its own).
    pub fn kdf(mut self, params: KdfParams) -> PersistOptions {
        self.kdf = Some(params);
        self
    }

    /// The clock the store reads (tests of deletion windows).
    pub fn clock(mut self, clock: Clock) -> PersistOptions {
        self.clock = clock;
        self
    }
}

impl Store {
    /// Opens the store kept in the file at `path`, creating it (or initializing an existing
    /// empty file) if needed. Any number of stores, in this process or others, may have the
    /// same file open at once; see the module documentation.
    ///
    /// A `path` that begins with `postgresql://` or `postgres://` is a PostgreSQL connection
    /// URI instead: the store lives in that database (`persist/postgres/`), shared by every host
    /// that opens it; a malformed URI is `InvalidArgument`, a database out of reach `Io`.
    ///
    /// Errors: `InvalidArgument` for an empty passphrase or KDF parameters out of bounds for a
    /// new file; `Io` if the file cannot be read or written; `Corrupt` for a wrong passphrase,
    /// a header out of bounds, or a file whose committed contents fail authentication (the
    /// message says which).
    pub fn open(path: impl AsRef<Path>, passphrase: &[u8]) -> Result<Store> {
        Store::open_with(path, passphrase, &PersistOptions::default())
    }

    /// [`Store::open`] with options (KDF parameters for a new file, a clock).
    pub fn open_with(
        path: impl AsRef<Path>,
        passphrase: &[u8],
        options: &PersistOptions,
    ) -> Result<Store> {
        if passphrase.is_empty() {
            return Err(invalid("the passphrase is empty"));
        }
        if let Some(uri) = postgres_location(path.as_ref()) {
            return open_postgres(uri, passphrase, options);
        }
        let medium = file::FileMedium::new(path.as_ref())?;
        Store::open_medium(Box::new(medium), passphrase, options)
    }

    /// Opens (creating if it holds none) the store kept in `medium`: the entry point of every
    /// medium (the file, PostgreSQL).
    pub(crate) fn open_medium(
        medium: Box<dyn Medium>,
        passphrase: &[u8],
        options: &PersistOptions,
    ) -> Result<Store> {
        if passphrase.is_empty() {
            return Err(invalid("the passphrase is empty"));
        }
        let journal = SealedJournal::open(medium, passphrase, options)?;
        let state = RwLock::new(State::default());
        journal.catch_up(&state)?;
        journal.compact_if_dead(
            &mut journal.place.lock(),
            &mut state.write(),
            Some(options.clock.now()),
            0,
        );
        Ok(Store::from_parts(
            state.into_inner(),
            options.clock.clone(),
            Some(Box::new(journal)),
        ))
    }
}

/// The location as a PostgreSQL URI, if it is one (SPEC: it begins with `postgresql://` or
/// `postgres://`; anything else is a file path).
fn postgres_location(location: &Path) -> Option<&str> {
    location
        .to_str()
        .filter(|s| s.starts_with("postgresql://") || s.starts_with("postgres://"))
}

#[cfg(feature = "postgres")]
fn open_postgres(uri: &str, passphrase: &[u8], options: &PersistOptions) -> Result<Store> {
    let medium = postgres::PostgresMedium::new(uri)?;
    Store::open_medium(Box::new(medium), passphrase, options)
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_uri: &str, _passphrase: &[u8], _options: &PersistOptions) -> Result<Store> {
    Err(invalid(
        "this build of akms has no PostgreSQL support (cargo feature postgres)",
    ))
}

/// The journal of a persistent store, whatever its medium: seals changes into records, opens
/// the records others appended, and keeps this opener's place in the log.
struct SealedJournal {
    medium: Box<dyn Medium>,
    sealer: Sealer,
    /// The medium's generation when this opener last caught up.
    seen: AtomicU64,
    place: Mutex<Place>,
}

/// Where this opener is in the log. Its lock is taken before the state's (state.rs), and held
/// across the medium's calls: it serializes this opener's catch-ups and changes.
struct Place {
    /// The header of the log the cursor is in (its log id is in every record's AAD).
    header: Header,
    cursor: Cursor,
    /// How many changes the log holds up to the cursor (against the live state: compaction).
    changes: usize,
    /// How many of them were live when last counted (counting costs a pass over the keys).
    live: usize,
}

/// Why a record did not open.
enum Failure {
    Unauthentic,
    Malformed(Error),
}

/// Compaction after a change waits until at least this many changes are dead.
const DEAD_BEFORE_COMPACTING: usize = 256;

impl SealedJournal {
    /// Reads (or creates) the header and derives the key: the only place the KDF runs.
    fn open(
        medium: Box<dyn Medium>,
        passphrase: &[u8],
        options: &PersistOptions,
    ) -> Result<SealedJournal> {
        let (blob, cursor, sealer) = match medium.open()? {
            Some((blob, cursor)) => {
                // Bounds are checked here, before the KDF runs.
                let header = Header::decode(&blob)?;
                let sealer = Sealer::derive(passphrase, &header.salt, header.params)?;
                (blob, cursor, sealer)
            }
            None => {
                let params = match options.kdf {
                    Some(p) => {
                        p.validate().map_err(invalid)?;
                        p
                    }
                    None => kdf_from_env()?,
                };
                let salt: [u8; 16] = crate::core::id::rng().random();
                let sealer = Sealer::derive(passphrase, &salt, params)?;
                let ours = Header::new(params, salt).encode(&sealer)?;
                let (blob, cursor) = medium.create(&ours)?;
                if blob == ours {
                    (blob, cursor, sealer)
                } else {
                    // Another opener created the store first: its salt, its key.
                    let header = Header::decode(&blob)?;
                    let sealer = Sealer::derive(passphrase, &header.salt, header.params)?;
                    (blob, cursor, sealer)
                }
            }
        };
        let header = Header::decode(&blob)?;
        Header::check_key(&blob, &sealer)?;
        let generation = medium.generation();
        Ok(SealedJournal {
            medium,
            sealer,
            // Anything but the current generation: the first catch-up reads the whole log.
            seen: AtomicU64::new(generation.wrapping_sub(1)),
            place: Mutex::new(Place {
                header,
                cursor,
                changes: 0,
                live: 0,
            }),
        })
    }

    /// The header of a log that replaced this opener's (a compaction): same salt, same KDF
    /// parameters, same key, a new log id.
    fn adopt(&self, place: &Place, blob: &[u8]) -> Result<Header> {
        let header = Header::decode(blob)?;
        if header.salt != place.header.salt || header.params != place.header.params {
            return Err(Error::Corrupt(format!(
                "store {} was replaced by a different store (another salt or KDF)",
                self.medium.location()
            )));
        }
        Header::check_key(blob, &self.sealer)?;
        Ok(header)
    }

    /// Applies a tail to `state`: the changes up to the last commit mark. Returns how many of
    /// the tail's records that is (the rest are a torn or unfinished write).
    fn take(&self, state: &mut State, place: &mut Place, tail: Tail) -> Result<usize> {
        let replaced = match &tail.replaced {
            Some(blob) => Some(self.adopt(place, blob)?),
            None => None,
        };
        let header = replaced.as_ref().unwrap_or(&place.header);
        // Version 1 files have no commit marks: every record counts as committed.
        let legacy = header.version < 2;
        let (entries, failure) = open_records(&self.sealer, header, &tail.records);
        if let Some((i, failure)) = failure {
            let r = &tail.records[i];
            match failure {
                Failure::Malformed(e) => {
                    return Err(Error::Corrupt(format!(
                        "store {} record {}: {}",
                        self.medium.location(),
                        r.seq,
                        e.message()
                    )))
                }
                // A commit mark is never torn (format.rs): one that fails was damaged.
                Failure::Unauthentic if !legacy && r.blob.len() == MARK_BLOB_LEN => {
                    return Err(Error::Corrupt(format!(
                        "store {} record {} (a commit mark) fails authentication: the store was \
                         modified or damaged (the passphrase is right: the header authenticated)",
                        self.medium.location(),
                        r.seq
                    )));
                }
                Failure::Unauthentic if self.committed_after(header, &tail.records[i + 1..]) => {
                    return Err(Error::Corrupt(format!(
                        "store {} record {} fails authentication, and committed records follow \
                         it: the store was modified or damaged (the passphrase is right: the \
                         header authenticated)",
                        self.medium.location(),
                        r.seq
                    )));
                }
                Failure::Unauthentic => {} // a torn write: dropped with what follows
            }
        }
        let keep = if legacy {
            entries.len()
        } else {
            entries
                .iter()
                .rposition(|e| matches!(e, Entry::Commit))
                .map_or(0, |i| i + 1)
        };
        if let Some(header) = replaced {
            *state = State::default();
            place.header = header;
            place.changes = 0;
        }
        for entry in entries.into_iter().take(keep) {
            if let Entry::Change(change) = entry {
                state.apply(change);
                place.changes += 1;
            }
        }
        place.cursor = match keep {
            0 => tail.start,
            k => tail.records[k - 1].next.clone(),
        };
        Ok(keep)
    }

    /// Whether any of `records` is a commit mark (any record, in a version 1 file) that
    /// authenticates: then what precedes it was acknowledged.
    fn committed_after(&self, header: &Header, records: &[Record]) -> bool {
        records.iter().any(|r| {
            (header.version < 2 || r.blob.len() == MARK_BLOB_LEN)
                && self
                    .sealer
                    .open_record(header, r.seq, &r.blob)
                    .is_some_and(|p| header.version < 2 || p.as_slice() == record::COMMIT_MARK)
        })
    }

    /// Seals `changes` after the cursor, then a commit mark: (records, barrier).
    fn seal(&self, place: &Place, changes: &[Change]) -> Result<(Vec<Vec<u8>>, usize)> {
        let mut records = Vec::with_capacity(changes.len() + 1);
        let seq = place.cursor.seq;
        for (i, change) in changes.iter().enumerate() {
            let plaintext = record::encode(change)?;
            records.push(
                self.sealer
                    .seal_record(&place.header, seq + i as u64, &plaintext)?,
            );
        }
        let barrier = records.len();
        if !changes.is_empty() {
            records.push(self.sealer.seal_record(
                &place.header,
                seq + barrier as u64,
                record::COMMIT_MARK,
            )?);
        }
        Ok((records, barrier))
    }

    /// Compacts the log if at least half of its changes are dead (and at least `min_dead`),
    /// best-effort: any failure leaves the log as it was. `now` (on open) drops the keys whose
    /// deletion window has passed; after a change they were deleted already.
    fn compact_if_dead(
        &self,
        place: &mut Place,
        state: &mut State,
        now: Option<UnixMillis>,
        min_dead: usize,
    ) {
        if place.changes < 2 * place.live.max(min_dead) {
            return; // cannot be half dead yet
        }
        let live = state.live_changes();
        place.live = live;
        let dead = place.changes.saturating_sub(live);
        if dead < live.max(1) || dead < min_dead {
            return;
        }
        let expired = now.map(|t| state.expired(t)).unwrap_or_default();
        let snapshot = snapshot(state, now);
        let header = Header::new(place.header.params, place.header.salt);
        let sealed = (|| -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
            let blob = header.encode(&self.sealer)?;
            let fresh = Place {
                header: header.clone(),
                cursor: Cursor {
                    seq: 0,
                    log: 0,
                    at: 0,
                },
                changes: 0,
                live: 0,
            };
            let (records, _) = self.seal(&fresh, &snapshot)?;
            Ok((blob, records))
        })();
        let Ok((blob, records)) = sealed else {
            return;
        };
        if let Ok(Some(cursor)) = self.medium.compact(&place.cursor, &blob, &records) {
            place.header = header;
            place.cursor = cursor;
            place.changes = snapshot.len();
            place.live = snapshot.len();
            for change in expired {
                state.apply(change);
            }
        }
    }
}

/// A commit mark's blob: nonce, one byte of plaintext, tag.
const MARK_BLOB_LEN: usize = format::NONCE_LEN + 1 + format::TAG_LEN;

impl Journal for SealedJournal {
    fn stale(&self) -> bool {
        self.medium.generation() != self.seen.load(Ordering::Acquire)
    }

    fn catch_up(&self, state: &RwLock<State>) -> Result<()> {
        let generation = self.medium.generation();
        if generation == self.seen.load(Ordering::Acquire) {
            return Ok(());
        }
        let read = {
            let mut place = self.place.lock();
            if generation == self.seen.load(Ordering::Acquire) {
                return Ok(()); // another thread caught up while this one waited
            }
            // The medium is read with the state unlocked; only applying the tail locks it.
            self.medium
                .read(&place.cursor)
                .and_then(|tail| self.take(&mut state.write(), &mut place, tail))
        };
        match read {
            Ok(_) => {}
            // Read with nothing locked, damage may be a writer's repair seen half done: look
            // again inside the exclusive section before calling the store corrupt.
            Err(Error::Corrupt(_)) => self.commit(state, &mut |_| Ok(Vec::new()))?,
            Err(e) => return Err(e),
        }
        self.seen.store(generation, Ordering::Release);
        Ok(())
    }

    fn commit(
        &self,
        state: &RwLock<State>,
        f: &mut dyn FnMut(&mut State) -> Result<Vec<Change>>,
    ) -> Result<()> {
        // Held to the end: no other change of this opener validates against a state that lacks
        // this one's changes.
        let mut place = self.place.lock();
        let from = place.cursor.clone();
        let mut staged = Vec::new();
        let cursor = self.medium.append(&from, &mut |tail| {
            // The state is locked to apply the tail and validate, not while the medium makes
            // the records durable.
            let mut state = state.write();
            let keep = self.take(&mut state, &mut place, tail)?;
            let changes = f(&mut state)?;
            let (records, barrier) = self.seal(&place, &changes)?;
            staged = changes;
            Ok(Append {
                keep,
                records,
                barrier,
            })
        })?;
        place.changes += staged.len();
        place.cursor = cursor;
        let wrote = !staged.is_empty();
        let mut state = state.write();
        for change in staged {
            state.apply(change);
        }
        if wrote {
            self.compact_if_dead(&mut place, &mut state, None, DEAD_BEFORE_COMPACTING);
        }
        Ok(())
    }
}

/// Opens `records` in order, stopping at the first that fails: the entries before it, and the
/// failure with its index.
fn open_records(
    sealer: &Sealer,
    header: &Header,
    records: &[Record],
) -> (Vec<Entry>, Option<(usize, Failure)>) {
    let open_one = |r: &Record| -> std::result::Result<Entry, Failure> {
        let plaintext = sealer
            .open_record(header, r.seq, &r.blob)
            .ok_or(Failure::Unauthentic)?;
        record::decode(&plaintext).map_err(Failure::Malformed)
    };
    let open_run = |first: usize, run: &[Record]| {
        let mut entries = Vec::with_capacity(run.len());
        for (i, r) in run.iter().enumerate() {
            match open_one(r) {
                Ok(entry) => entries.push(entry),
                Err(failure) => return (entries, Some((first + i, failure))),
            }
        }
        (entries, None)
    };
    // Decoding a version parses its public key: big stores spread the work over the cores
    // (asking how many there are reads /proc: not for a catch-up of a few records).
    if records.len() < 512 {
        return open_run(0, records);
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if workers == 1 {
        return open_run(0, records);
    }
    let chunk = records.len().div_ceil(workers);
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = records
            .chunks(chunk)
            .enumerate()
            .map(|(c, run)| s.spawn(move || open_run(c * chunk, run)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut entries = Vec::with_capacity(records.len());
    for (run, failure) in runs {
        entries.extend(run);
        if failure.is_some() {
            return (entries, failure);
        }
    }
    (entries, None)
}

/// The KDF parameters for a new file: `AKMS_KDF_PARAMS` if set, else the default.
fn kdf_from_env() -> Result<KdfParams> {
    match std::env::var(KDF_PARAMS_ENV) {
        Ok(s) => KdfParams::parse(&s)
            .map_err(|e| invalid(format!("{KDF_PARAMS_ENV}={s:?}: {}", e.message()))),
        Err(_) => Ok(KdfParams::DEFAULT),
    }
}

/// The changes that rebuild `state` from nothing: each key with its versions and aliases, in
/// the order the keys were made; with `now`, without the keys whose window has passed.
fn snapshot(state: &State, now: Option<UnixMillis>) -> Vec<Change> {
    let mut out = Vec::new();
    for entry in state.keys(now.unwrap_or(UnixMillis::MIN)) {
        let mut versions = entry.versions.iter();
        if let Some(first) = versions.next() {
            out.push(Change::CreateKey {
                record: entry.record.clone(),
                version: first.clone(),
            });
        }
        for v in versions {
            out.push(Change::AddVersion { version: v.clone() });
        }
        for alias in &entry.aliases {
            out.push(Change::PutAlias {
                alias: alias.clone(),
                key_id: entry.record.id.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{KeySpec, KeyUsage};

    const CHEAP: KdfParams = format::CHEAP_KDF_FOR_TESTS;

    fn find(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// No private key (PKCS#8 or its raw scalar) and no public key appears in the file.
    #[test]
    fn nothing_secret_is_in_the_clear() {
        let dir = std::env::temp_dir().join(format!("akms-unit-{}", crate::core::id::new_uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.akms");
        let opts = PersistOptions::new().kdf(CHEAP);
        let store = Store::open_with(&path, b"pass", &opts).unwrap();
        let mut ids = Vec::new();
        for spec in [KeySpec::EcP256, KeySpec::EcP256k, KeySpec::EcSm2] {
            let description = format!("secret description {spec}");
            let (k, _) = store
                .create_key(spec, KeyUsage::SignVerify, Some(&description))
                .unwrap();
            store.create_key_version(&k).unwrap();
            ids.push((k, description));
        }
        let file = std::fs::read(&path).unwrap();
        let state = store.shared.state.read();
        for (k, description) in &ids {
            assert!(!find(&file, k.as_bytes()), "key id in the clear");
            assert!(
                !find(&file, description.as_bytes()),
                "description in the clear"
            );
            let entry = state.resolve(k, 0).unwrap();
            for v in &entry.versions {
                let der = v.pair.to_pkcs8_der().unwrap();
                assert!(!find(&file, &der), "PKCS#8 in the clear");
                // The private scalar is the 32 bytes of the inner OCTET STRING; look for any
                // 16-byte window of the DER's tail.
                assert!(
                    !find(&file, &der[der.len() - 16..]),
                    "key bytes in the clear"
                );
                let spki = v.pair.public_key_der().unwrap();
                assert!(
                    !find(&file, &spki[spki.len() - 32..]),
                    "public key in the clear"
                );
                assert!(!find(&file, v.id.as_bytes()), "version id in the clear");
            }
        }
        drop(state);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Hooks for the store-file fuzz target (`fuzz/fuzz_targets/store_file.rs`), behind the
/// `fuzzing` feature (which only the fuzz crate enables): build a file whose records are chosen
/// plaintexts sealed under a passphrase — the attacker who knows the passphrase, so the record
/// decoder sees arbitrary bytes — and read a real file's record plaintexts back (the seeds).
/// Not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use zeroize::Zeroizing;

    use super::format::{self, Header, Sealer, HEADER_LEN};
    use super::{record, KdfParams};
    use crate::core::error::{Error, Result};

    /// The cheapest Argon2id parameters a header may carry.
    pub const KDF: KdfParams = KdfParams {
        memory_kib: 8,
        passes: 1,
        lanes: 1,
    };

    /// One piece of a store file after its header.
    pub enum Piece<'a> {
        /// A record: this plaintext, sealed as record number `seq` (its place is the honest one).
        Sealed { seq: u64, plaintext: &'a [u8] },
        /// These bytes, verbatim (damaged frames, torn tails).
        Raw(&'a [u8]),
    }

    /// A store file with a valid header for `passphrase` (and `salt`), then `pieces`, then a
    /// commit mark sealed as the record after the last piece (so that what precedes it counts).
    pub fn store_file(passphrase: &[u8], salt: [u8; 16], pieces: &[Piece<'_>]) -> Result<Vec<u8>> {
        let header = Header::new(KDF, salt);
        let sealer = Sealer::derive(passphrase, &salt, KDF)?;
        let mut file = header.encode(&sealer)?;
        for piece in pieces {
            match piece {
                Piece::Sealed { seq, plaintext } => {
                    let blob = sealer.seal_record(&header, *seq, plaintext)?;
                    file.extend_from_slice(&format::frame(&blob));
                }
                Piece::Raw(bytes) => file.extend_from_slice(bytes),
            }
        }
        let mark = sealer.seal_record(&header, pieces.len() as u64, record::COMMIT_MARK)?;
        file.extend_from_slice(&format::frame(&mark));
        Ok(file)
    }

    /// The plaintexts of a store file's records, in order (commit marks included).
    pub fn record_plaintexts(file: &[u8], passphrase: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
        let header = Header::decode(file)?;
        let sealer = Sealer::derive(passphrase, &header.salt, header.params)?;
        Header::check_key(file, &sealer)?;
        let frames = format::scan_frames(&file[HEADER_LEN..])?;
        frames
            .iter()
            .enumerate()
            .map(|(seq, f)| {
                sealer
                    .open_record(&header, seq as u64, f.blob)
                    .ok_or_else(|| Error::Corrupt(format!("record {seq} does not authenticate")))
            })
            .collect()
    }
}
