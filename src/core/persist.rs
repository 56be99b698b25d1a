//! Persistent stores: [`Store::open`] keeps a store in one file, encrypted and authenticated
//! under a key derived from a passphrase, and durable change by change.
//!
//! The file is an append-only log (layout in `persist/format.rs`): a header holding the Argon2id
//! parameters and salt, then one sealed record per [`Change`] (encoding in `persist/record.rs`).
//! A change is appended, `fdatasync`ed, and only then applied in memory, so a call returns
//! success only once its change is on disk; it costs the size of the change, not of the store.
//!
//! Opening reads the whole log, replays it into a [`State`] and purges keys whose deletion window
//! has passed. A final record cut short by a crash is a torn write: it is dropped and the file
//! cut back to the last whole record. Any other record that fails to authenticate makes the open
//! fail with `Corrupt`. When at least half the log is dead (superseded state changes and
//! aliases, purged keys), the open compacts it: the live contents are written to a new file
//! beside the old one, synced, renamed over it, and the directory synced. Compaction happens
//! only on open, so a long-running process that changes states often grows its file until the
//! next open.
//!
//! One store holds a file at a time: an exclusive advisory lock (`flock`) on the open file,
//! released when the last handle is dropped or the process exits.

mod format;
pub mod medium;
#[cfg(feature = "postgres")]
pub mod postgres;
mod record;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rand::RngExt;

pub use format::KdfParams;
use format::{Framed, Header, Sealer};

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
    /// empty file) if needed; see the module documentation.
    ///
    /// Errors: `InvalidArgument` for an empty passphrase; `Io` if the file cannot be read or
    /// written, or is locked by another open store ("locked"); `Corrupt` for a wrong passphrase
    /// or a file whose committed contents fail authentication (the message says which).
    pub fn open(path: impl AsRef<Path>, passphrase: &[u8]) -> Result<Store> {
        Store::open_with(path, passphrase, &PersistOptions::default())
    }

    /// [`Store::open`] with options (KDF parameters for a new file, a clock).
    pub fn open_with(
        path: impl AsRef<Path>,
        passphrase: &[u8],
        options: &PersistOptions,
    ) -> Result<Store> {
        let path = path.as_ref();
        if passphrase.is_empty() {
            return Err(invalid("the passphrase is empty"));
        }
        let (state, journal) = open_file(path, passphrase, options)?;
        Ok(Store::from_parts(
            state,
            options.clock.clone(),
            Some(Box::new(journal)),
        ))
    }
}

/// The journal of a persistent store: appends each change to the locked file.
struct FileJournal {
    inner: Mutex<Writer>,
}

struct Writer {
    path: PathBuf,
    /// The open file; holding it holds the lock.
    file: File,
    header: Header,
    sealer: Sealer,
    /// Where the next record goes: the end of the last whole record.
    end: u64,
    /// The next record's number.
    seq: u64,
    /// Set when a failed write may have left the file in an unknown state; every later write
    /// then fails until the store is reopened.
    failed: Option<String>,
}

impl Journal for FileJournal {
    fn write(&self, change: &Change) -> Result<()> {
        let mut w = self.inner.lock();
        if let Some(why) = &w.failed {
            return Err(Error::Io(format!(
                "store file {} is unusable after an earlier write failure ({why}); reopen the store",
                w.path.display()
            )));
        }
        let plaintext = record::encode(change)?;
        let (nonce, sealed) = w.sealer.seal(&plaintext, &w.header.record_aad(w.seq))?;
        drop(plaintext);
        let framed = format::frame(&nonce, &sealed);
        if let Err(e) = w.file.write_all_at(&framed, w.end) {
            // Take back whatever part of the record landed, so the next one follows a whole one.
            let end = w.end;
            if let Err(e2) = w.file.set_len(end) {
                w.failed = Some(format!("write: {e}; truncate: {e2}"));
            }
            return Err(io_error("writing to", &w.path, &e));
        }
        if let Err(e) = w.file.sync_data() {
            // After a failed fsync the kernel may have dropped the dirty pages: nothing about
            // the file can be trusted any more.
            w.failed = Some(format!("fsync: {e}"));
            return Err(io_error("syncing", &w.path, &e));
        }
        w.end += framed.len() as u64;
        w.seq += 1;
        Ok(())
    }
}

/// Opens, locks, reads (or creates), replays and possibly compacts the file at `path`.
fn open_file(
    path: &Path,
    passphrase: &[u8],
    options: &PersistOptions,
) -> Result<(State, FileJournal)> {
    let file = open_locked(path)?;
    let mut bytes = Vec::new();
    (&file)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("reading", path, &e))?;

    if bytes.is_empty() {
        let params = match options.kdf {
            Some(p) => {
                p.validate().map_err(invalid)?;
                p
            }
            None => kdf_from_env()?,
        };
        let salt: [u8; 16] = rand::rng().random();
        let header = Header::new(params, salt);
        let sealer = Sealer::derive(passphrase, &salt, params)?;
        let (file, end, seq) = write_file(path, &header, &sealer, std::iter::empty())?;
        return Ok((
            State::default(),
            journal(path, file, header, sealer, end, seq),
        ));
    }

    let header = Header::decode(&bytes)?;
    let sealer = Sealer::derive(passphrase, &header.salt, header.params)?;
    Header::check_key(&bytes, &sealer)?;
    let scan = format::scan(&bytes)?;
    let (changes, end) = open_records(&scan.records, scan.end, &header, &sealer)?;
    let read = changes.len();
    let mut state = State::default();
    for change in changes {
        state.apply(change);
    }
    let now = options.clock.now();
    state.purge_expired(now);
    drop(bytes);

    let live = snapshot(&state, now);
    if read.saturating_sub(live.len()) >= live.len().max(1) {
        // At least half the log is dead: write the live contents to a new file.
        let header = Header::new(header.params, header.salt);
        let (file, end, seq) = write_file(path, &header, &sealer, live.into_iter())?;
        return Ok((state, journal(path, file, header, sealer, end, seq)));
    }
    drop(live);
    if (end as u64)
        < file
            .metadata()
            .map_err(|e| io_error("reading", path, &e))?
            .len()
    {
        // A torn final record: cut it off so the next record follows the last whole one.
        file.set_len(end as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("truncating the torn tail of", path, &e))?;
    }
    Ok((
        state,
        journal(path, file, header, sealer, end as u64, read as u64),
    ))
}

fn journal(
    path: &Path,
    file: File,
    header: Header,
    sealer: Sealer,
    end: u64,
    seq: u64,
) -> FileJournal {
    FileJournal {
        inner: Mutex::new(Writer {
            path: path.to_path_buf(),
            file,
            header,
            sealer,
            end,
            seq,
            failed: None,
        }),
    }
}

/// The KDF parameters for a new file: `AKMS_KDF_PARAMS` if set, else the default.
fn kdf_from_env() -> Result<KdfParams> {
    match std::env::var(KDF_PARAMS_ENV) {
        Ok(s) => KdfParams::parse(&s)
            .map_err(|e| invalid(format!("{KDF_PARAMS_ENV}={s:?}: {}", e.message()))),
        Err(_) => Ok(KdfParams::DEFAULT),
    }
}

/// Opens (creating if absent) and locks the file at `path`. If the file was replaced by a
/// compaction between the open and the lock, the new file is opened instead.
fn open_locked(path: &Path) -> Result<File> {
    for _ in 0..8 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_error("opening", path, &e))?;
        lock(&file, path)?;
        let opened = file.metadata().map_err(|e| io_error("reading", path, &e))?;
        match std::fs::metadata(path) {
            Ok(now) if now.dev() == opened.dev() && now.ino() == opened.ino() => return Ok(file),
            _ => continue, // replaced or removed meanwhile: try again
        }
    }
    Err(Error::Io(format!(
        "store file {} keeps being replaced while opening it",
        path.display()
    )))
}

fn lock(file: &File, path: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(Error::Io(format!(
            "store file {} is locked: another open store (in this or another process) holds it",
            path.display()
        ))),
        Err(TryLockError::Error(e)) => Err(io_error("locking", path, &e)),
    }
}

/// Opens every record in order. Returns the changes and where the last one used ends; a final
/// record that fails authentication and looks torn is dropped; any other failure is `Corrupt`.
fn open_records(
    records: &[Framed<'_>],
    scan_end: usize,
    header: &Header,
    sealer: &Sealer,
) -> Result<(Vec<Change>, usize)> {
    enum Outcome {
        Unauthentic,
        Bad(Error),
    }
    struct Run {
        changes: Vec<Change>,
        failure: Option<(usize, Outcome)>,
    }
    let open_one = |seq: usize, r: &Framed<'_>| -> std::result::Result<Change, Outcome> {
        let plaintext = sealer
            .open(&r.nonce, r.sealed, &header.record_aad(seq as u64))
            .ok_or(Outcome::Unauthentic)?;
        record::decode(&plaintext).map_err(Outcome::Bad)
    };
    // Opens one run of records (numbered from `first`), stopping at its first failure.
    let open_run = |first: usize, run: &[Framed<'_>]| -> Run {
        let mut changes = Vec::with_capacity(run.len());
        for (i, r) in run.iter().enumerate() {
            match open_one(first + i, r) {
                Ok(change) => changes.push(change),
                Err(e) => {
                    return Run {
                        changes,
                        failure: Some((first + i, e)),
                    }
                }
            }
        }
        Run {
            changes,
            failure: None,
        }
    };
    // Decoding a record parses a private key and computes its public key: big stores spread
    // the work over the cores.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let runs: Vec<Run> = if records.len() < 512 || workers == 1 {
        vec![open_run(0, records)]
    } else {
        let chunk = records.len().div_ceil(workers);
        std::thread::scope(|s| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .enumerate()
                .map(|(c, run)| s.spawn(move || open_run(c * chunk, run)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut changes = Vec::with_capacity(records.len());
    for run in runs {
        changes.extend(run.changes);
        if let Some((seq, outcome)) = run.failure {
            let r = &records[seq];
            return match outcome {
                Outcome::Unauthentic
                    if seq + 1 == records.len() && format::looks_torn(r.sealed) =>
                {
                    Ok((changes, r.offset))
                }
                Outcome::Unauthentic => Err(Error::Corrupt(format!(
                    "store file record {seq} at offset {} fails authentication: the file was \
                     modified or damaged (the passphrase is right: the header authenticated)",
                    r.offset
                ))),
                Outcome::Bad(e) => Err(Error::Corrupt(format!(
                    "store file record {seq} at offset {}: {}",
                    r.offset,
                    e.message()
                ))),
            };
        }
    }
    Ok((changes, scan_end))
}

/// The changes that rebuild `state` from nothing: each key with its versions and aliases, in
/// the order the keys were made.
fn snapshot(state: &State, now: UnixMillis) -> Vec<Change> {
    let mut out = Vec::new();
    for entry in state.keys(now) {
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

/// Writes a whole new store file (header, then `changes`) beside `path`, syncs it, locks it,
/// renames it over `path` and syncs the directory. Returns the new file, its end and the number
/// of records written.
fn write_file(
    path: &Path,
    header: &Header,
    sealer: &Sealer,
    changes: impl Iterator<Item = Change>,
) -> Result<(File, u64, u64)> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".akms-tmp");
    let tmp = path.with_file_name(tmp_name);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| io_error("creating", &tmp, &e))?;
    lock(&file, &tmp)?;
    let mut out = BufWriter::new(&file);
    let io = |e: std::io::Error| io_error("writing", &tmp, &e);
    let head = header.encode(sealer)?;
    out.write_all(&head).map_err(io)?;
    let mut end = head.len() as u64;
    let mut seq = 0u64;
    for change in changes {
        let plaintext = record::encode(&change)?;
        let (nonce, sealed) = sealer.seal(&plaintext, &header.record_aad(seq))?;
        drop(plaintext);
        let framed = format::frame(&nonce, &sealed);
        out.write_all(&framed).map_err(io)?;
        end += framed.len() as u64;
        seq += 1;
    }
    out.flush().map_err(io)?;
    drop(out);
    file.sync_all().map_err(|e| io_error("syncing", &tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error("renaming over", path, &e))?;
    sync_dir(path)?;
    Ok((file, end, seq))
}

/// Syncs the directory holding `path`, so that a created or renamed entry is durable.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("syncing the directory", dir, &e))
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Io(format!("{what} store file {}: {e}", path.display()))
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
    use super::KdfParams;
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

    /// A store file with a valid header for `passphrase` (and `salt`), then `pieces`.
    pub fn store_file(passphrase: &[u8], salt: [u8; 16], pieces: &[Piece<'_>]) -> Result<Vec<u8>> {
        let header = Header::new(KDF, salt);
        let sealer = Sealer::derive(passphrase, &salt, KDF)?;
        let mut file = header.encode(&sealer)?;
        for piece in pieces {
            match piece {
                Piece::Sealed { seq, plaintext } => {
                    let (nonce, sealed) = sealer.seal(plaintext, &header.record_aad(*seq))?;
                    file.extend_from_slice(&format::frame(&nonce, &sealed));
                }
                Piece::Raw(bytes) => file.extend_from_slice(bytes),
            }
        }
        Ok(file)
    }

    /// The plaintexts of a store file's records, in order.
    pub fn record_plaintexts(file: &[u8], passphrase: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
        let header = Header::decode(file)?;
        let sealer = Sealer::derive(passphrase, &header.salt, header.params)?;
        Header::check_key(file, &sealer)?;
        let scan = format::scan(file)?;
        debug_assert!(scan.records.first().is_none_or(|r| r.offset == HEADER_LEN));
        scan.records
            .iter()
            .enumerate()
            .map(|(seq, r)| {
                sealer
                    .open(&r.nonce, r.sealed, &header.record_aad(seq as u64))
                    .ok_or_else(|| Error::Corrupt(format!("record {seq} does not authenticate")))
            })
            .collect()
    }
}
