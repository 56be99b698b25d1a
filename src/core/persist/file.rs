//! The file medium: a store kept in one file on a local file system, shared by any number of
//! openers in any number of processes.
//!
//! Beside the store file `<name>` live two more, both created `0600`:
//! - `<name>.akms-lock`, never removed: its `flock` is the exclusive section of every append
//!   and compaction (held only for "read the tail → validate → write → fdatasync"), and its
//!   first page, mapped by every opener, holds the generation counter (`shm.rs`);
//! - `<name>.akms-tmp`, only while a creation or compaction writes the new file, which is then
//!   renamed over `<name>`. A file is therefore replaced, never rewritten in place: every
//!   opener keeps reading the file it has open, and notices the replacement (the path names
//!   another inode) when the generation changes.
//!
//! Records are appended at the end of the last whole record; a torn tail (a crash, a killed
//! writer) is cut off only by the next writer, under the lock, never by a reader.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::format::{self, HEADER_LEN};
use super::medium::{Append, Cursor, Medium, Record, Tail};
use super::shm::{self, Shm};
use crate::core::error::{Error, Result};

/// The mode of every file akms creates.
const MODE: u32 = 0o600;

/// A store file and its lock file, as one opener holds them.
pub struct FileMedium {
    path: PathBuf,
    /// The lock file, opened by the process that holds it (see [`FileMedium::section`]).
    lock: Mutex<(u32, File)>,
    shm: Shm,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The store file this opener reads, and its identity (device and inode).
    current: Option<(File, u128)>,
    /// Set when a failed write may have left the file in an unknown state; every later append
    /// then fails until the store is reopened.
    failed: Option<String>,
    /// The replacement counter when this opener last looked for a new file.
    replacements: u64,
}

/// Holds the exclusive lock until dropped.
struct Section(File);

impl Drop for Section {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl FileMedium {
    /// Opens (creating if needed) the lock file beside `path` and maps its counter. The store
    /// file itself is opened by [`Medium::open`].
    pub fn new(path: &Path) -> Result<FileMedium> {
        if path.is_dir() {
            return Err(Error::Io(format!(
                "store file {} is a directory",
                path.display()
            )));
        }
        // Every opener must agree on the lock file, and a compaction must replace the file
        // itself: through a symbolic link (or another spelling of the path) both go beside the
        // real file.
        let path = &real_path(path)?;
        let lock = open_lock(path)?;
        {
            let _section = lock_section(&lock, path)?;
            let len = lock
                .metadata()
                .map_err(|e| io_error("reading the lock file of", path, &e))?
                .len();
            if len < shm::LEN {
                lock.set_len(shm::LEN)
                    .map_err(|e| io_error("sizing the lock file of", path, &e))?;
            }
        }
        let shm = Shm::map(&lock).map_err(|e| io_error("mapping the lock file of", path, &e))?;
        Ok(FileMedium {
            path: path.to_path_buf(),
            lock: Mutex::new((std::process::id(), lock)),
            shm,
            inner: Mutex::new(Inner {
                current: None,
                failed: None,
                replacements: 0,
            }),
        })
    }

    /// Takes the exclusive lock. `flock` locks belong to an open file description, which a
    /// forked child shares with its parent: a store opened before a fork (a pre-forking server
    /// that opens it in the master) would not exclude its twin. So each process takes the lock
    /// through a description of its own, opened on first use in that process.
    fn section(&self) -> Result<Section> {
        let mut lock = self.lock.lock();
        let me = std::process::id();
        if lock.0 != me {
            *lock = (me, open_lock(&self.path)?);
        }
        lock_section(&lock.1, &self.path)
    }

    /// Opens the file the path names now, if it exists.
    fn open_path(&self) -> Result<Option<(File, u128)>> {
        match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(file) => {
                let id = identity(&file, &self.path)?;
                Ok(Some((file, id)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("opening", &self.path, &e)),
        }
    }

    /// Makes `inner.current` the file the path names now (after a compaction elsewhere);
    /// whether it changed.
    fn follow(&self, inner: &mut Inner) -> Result<bool> {
        inner.replacements = self.shm.replacements();
        let now = match std::fs::metadata(&self.path) {
            Ok(m) => Some(id_of(&m)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error("reading", &self.path, &e)),
        };
        if now.is_some() && inner.current.as_ref().map(|c| c.1) == now {
            return Ok(false);
        }
        match self.open_path()? {
            Some(opened) => {
                inner.current = Some(opened);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The records of `file` (identity `id`) after `from`, or all of them if `from` is in
    /// another file.
    fn tail(&self, file: &File, id: u128, from: &Cursor) -> Result<(Tail, u64)> {
        let len = file
            .metadata()
            .map_err(|e| io_error("reading", &self.path, &e))?
            .len();
        let (replaced, start) = if from.log == id {
            if len < from.at {
                return Err(Error::Corrupt(format!(
                    "store file {} is shorter than what was already read from it: someone cut it",
                    self.path.display()
                )));
            }
            (None, from.clone())
        } else {
            let header = read_at(file, 0, (len.min(HEADER_LEN as u64)) as usize, &self.path)?;
            let start = Cursor {
                seq: 0,
                log: id,
                at: HEADER_LEN as u64,
            };
            (Some(header), start)
        };
        let mut records = Vec::new();
        let mut next = start.clone();
        if len > start.at {
            let bytes = read_at(file, start.at, (len - start.at) as usize, &self.path)?;
            for frame in format::scan_frames(&bytes)? {
                next = Cursor {
                    seq: next.seq + 1,
                    log: id,
                    at: start.at + frame.end as u64,
                };
                records.push(Record {
                    seq: next.seq - 1,
                    blob: frame.blob.to_vec(),
                    next: next.clone(),
                });
            }
        }
        Ok((
            Tail {
                replaced,
                start,
                records,
                end: next,
            },
            len,
        ))
    }

    /// Writes `frames` at `at`, taking back whatever landed if the write fails.
    fn write_durably(&self, inner: &mut Inner, file: &File, at: u64, frames: &[u8]) -> Result<()> {
        if let Err(e) = file.write_all_at(frames, at) {
            if let Err(e2) = file.set_len(at) {
                inner.failed = Some(format!("write: {e}; truncate: {e2}"));
            }
            return Err(io_error("writing to", &self.path, &e));
        }
        if let Err(e) = file.sync_data() {
            // After a failed fsync the kernel may have dropped the dirty pages: nothing about
            // the file can be trusted any more.
            inner.failed = Some(format!("fsync: {e}"));
            return Err(io_error("syncing", &self.path, &e));
        }
        Ok(())
    }

    /// Writes a whole new store file (`header`, then `records`) beside the path, syncs it,
    /// renames it over the path and syncs the directory. The temporary file is removed if any
    /// step fails. Called under the lock.
    fn replace(&self, header: &[u8], records: &[Vec<u8>]) -> Result<(File, u128, u64)> {
        let tmp = beside(&self.path, ".akms-tmp");
        let result = (|| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .mode(MODE)
                .open(&tmp)
                .map_err(|e| io_error("creating", &tmp, &e))?;
            let io = |e: std::io::Error| io_error("writing", &tmp, &e);
            let mut out = std::io::BufWriter::new(&file);
            out.write_all(header).map_err(io)?;
            let mut end = header.len() as u64;
            for blob in records {
                let framed = format::frame(blob);
                out.write_all(&framed).map_err(io)?;
                end += framed.len() as u64;
            }
            out.flush().map_err(io)?;
            drop(out);
            file.sync_all().map_err(|e| io_error("syncing", &tmp, &e))?;
            std::fs::rename(&tmp, &self.path)
                .map_err(|e| io_error("renaming over", &self.path, &e))?;
            let id = identity(&file, &self.path)?;
            Ok((file, id, end))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let (file, id, end) = result?;
        self.shm.bump_replacements();
        // The rename is done: the new file is the store even if the directory sync fails
        // (the data is synced; only the name may not survive a power loss yet).
        let _ = sync_dir(&self.path);
        Ok((file, id, end))
    }
}

impl Medium for FileMedium {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn open(&self) -> Result<Option<(Vec<u8>, Cursor)>> {
        let mut inner = self.inner.lock();
        inner.replacements = self.shm.replacements();
        let Some((file, id)) = self.open_path()? else {
            return Ok(None);
        };
        let len = file
            .metadata()
            .map_err(|e| io_error("reading", &self.path, &e))?
            .len();
        if len == 0 {
            return Ok(None); // an existing empty file becomes a new store
        }
        let header = read_at(&file, 0, len.min(HEADER_LEN as u64) as usize, &self.path)?;
        inner.current = Some((file, id));
        let start = Cursor {
            seq: 0,
            log: id,
            at: HEADER_LEN as u64,
        };
        Ok(Some((header, start)))
    }

    fn create(&self, header: &[u8]) -> Result<(Vec<u8>, Cursor)> {
        let mut inner = self.inner.lock();
        let _section = self.section()?;
        // Another opener may have created it while this one derived its key.
        if let Some((file, id)) = self.open_path()? {
            let len = file
                .metadata()
                .map_err(|e| io_error("reading", &self.path, &e))?
                .len();
            if len > 0 {
                let theirs = read_at(&file, 0, len.min(HEADER_LEN as u64) as usize, &self.path)?;
                inner.current = Some((file, id));
                let start = Cursor {
                    seq: 0,
                    log: id,
                    at: HEADER_LEN as u64,
                };
                return Ok((theirs, start));
            }
        }
        let (file, id, end) = self.replace(header, &[])?;
        inner.current = Some((file, id));
        self.shm.bump();
        Ok((
            header.to_vec(),
            Cursor {
                seq: 0,
                log: id,
                at: end,
            },
        ))
    }

    fn generation(&self) -> u64 {
        self.shm.generation()
    }

    fn read(&self, from: &Cursor) -> Result<Tail> {
        let mut inner = self.inner.lock();
        // Only a compaction (counted in the shared page) puts a new file under the path.
        if inner.current.is_none() || self.shm.replacements() != inner.replacements {
            self.follow(&mut inner)?;
        }
        let Some((file, id)) = &inner.current else {
            return Err(Error::Io(format!(
                "store file {} has disappeared",
                self.path.display()
            )));
        };
        Ok(self.tail(file, *id, from)?.0)
    }

    fn append(&self, from: &Cursor, f: &mut dyn FnMut(Tail) -> Result<Append>) -> Result<Cursor> {
        let mut inner = self.inner.lock();
        if let Some(why) = &inner.failed {
            return Err(Error::Io(format!(
                "store file {} is unusable after an earlier write failure ({why}); reopen the store",
                self.path.display()
            )));
        }
        let _section = self.section()?;
        if self.follow(&mut inner)? {
            // A new file under the path (announced by its compaction, or put there by someone
            // else): make sure every other opener looks for it too.
            self.shm.bump_replacements();
        }
        let Some((file, id)) = inner.current.as_ref().map(|(f, id)| (f.try_clone(), *id)) else {
            return Err(Error::Io(format!(
                "store file {} has disappeared",
                self.path.display()
            )));
        };
        let file = file.map_err(|e| io_error("reading", &self.path, &e))?;
        let (tail, len) = self.tail(&file, id, from)?;
        let start = tail.start.clone();
        let ends: Vec<Cursor> = tail.records.iter().map(|r| r.next.clone()).collect();
        let append = f(tail)?;
        let kept = match append.keep {
            0 => start,
            k => ends
                .get(k - 1)
                .cloned()
                .ok_or_else(|| Error::Internal("append keeps more records than it read".into()))?,
        };
        let mut changed = false;
        if len > kept.at {
            // A torn tail (a crash, a killed writer): cut it off before writing after it.
            file.set_len(kept.at)
                .map_err(|e| io_error("truncating the torn tail of", &self.path, &e))?;
            changed = true;
        }
        let mut end = kept;
        let barrier = append.barrier.min(append.records.len());
        for (i, part) in [&append.records[..barrier], &append.records[barrier..]]
            .into_iter()
            .enumerate()
        {
            if part.is_empty() {
                continue;
            }
            let mut frames = Vec::new();
            for blob in part {
                frames.extend_from_slice(&format::frame(blob));
            }
            if i == 1 {
                // After the barrier: the commit mark, kept within one sector (format.rs).
                let mut padded = format::pad_before(end.at, frames.len() as u64);
                padded.extend_from_slice(&frames);
                frames = padded;
            }
            self.write_durably(&mut inner, &file, end.at, &frames)?;
            changed = true;
            end = Cursor {
                seq: end.seq + part.len() as u64,
                log: id,
                at: end.at + frames.len() as u64,
            };
        }
        if changed {
            self.shm.bump();
        }
        Ok(end)
    }

    fn compact(&self, from: &Cursor, header: &[u8], records: &[Vec<u8>]) -> Result<Option<Cursor>> {
        let mut inner = self.inner.lock();
        let _section = self.section()?;
        self.follow(&mut inner)?;
        let Some((file, id)) = &inner.current else {
            return Ok(None);
        };
        let len = file
            .metadata()
            .map_err(|e| io_error("reading", &self.path, &e))?
            .len();
        if *id != from.log || len != from.at {
            return Ok(None); // someone appended (or compacted) first
        }
        let (file, id, end) = self.replace(header, records)?;
        inner.current = Some((file, id));
        self.shm.bump();
        Ok(Some(Cursor {
            seq: records.len() as u64,
            log: id,
            at: end,
        }))
    }
}

/// Opens (creating, `0600`) the lock file beside `path`.
fn open_lock(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(MODE)
        .open(beside(path, ".akms-lock"))
        .map_err(|e| io_error("opening the lock file of", path, &e))
}

fn lock_section(lock: &File, path: &Path) -> Result<Section> {
    let held = lock
        .try_clone()
        .map_err(|e| io_error("locking the lock file of", path, &e))?;
    held.lock()
        .map_err(|e| io_error("locking the lock file of", path, &e))?;
    Ok(Section(held))
}

/// The absolute path of the file `path` names, symbolic links resolved (of its directory, if
/// the file does not exist yet).
fn real_path(path: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = path
                .file_name()
                .ok_or_else(|| Error::Io(format!("store file {} has no name", path.display())))?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .map_err(|e| io_error("finding the directory of", path, &e))
        }
        Err(e) => Err(io_error("finding", path, &e)),
    }
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn id_of(m: &std::fs::Metadata) -> u128 {
    (u128::from(m.dev()) << 64) | u128::from(m.ino())
}

fn identity(file: &File, path: &Path) -> Result<u128> {
    file.metadata()
        .map(|m| id_of(&m))
        .map_err(|e| io_error("reading", path, &e))
}

fn read_at(file: &File, at: u64, len: usize, path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| {
        Error::Io(format!(
            "store file {} is too large to read",
            path.display()
        ))
    })?;
    buf.resize(len, 0);
    let mut done = 0;
    while done < len {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break, // shrunk meanwhile (a writer cut a torn tail)
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error("reading", path, &e)),
        }
    }
    buf.truncate(done);
    Ok(buf)
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

pub(super) fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Io(format!("{what} store file {}: {e}", path.display()))
}
