//! A record's plaintext: one [`Change`] in a small binary encoding, or a commit mark.
//!
//! ```text
//! u8 kind, then by kind (str/bytes = u32 length ‖ bytes; i64 little-endian; opt = u8 0|1 [‖ i64])
//!   1 CreateKey   key id, spec u8, usage u8, state u8, description, creation i64, origin u8,
//!                 delete date opt, version id, version creation i64, PKCS#8 bytes, SPKI bytes
//!   2 AddVersion  key id, spec u8, version id, creation i64, PKCS#8 bytes, SPKI bytes
//!   3 SetState    key id, state u8, delete date opt
//!   4 PutAlias    alias, key id
//!   5 DeleteAlias alias
//!   6 DeleteKey   key id                      (its deletion window passed: gone for good)
//!   7 commit mark (nothing else)
//! ```
//!
//! A commit mark ends every append: the changes before it are durable (the writer synced them
//! before writing the mark) and acknowledged once the mark is. A reader takes the changes up to
//! the last mark that authenticates; a record that fails to authenticate before such a mark
//! was acknowledged and then damaged (`Corrupt`), one after every mark was never acknowledged
//! (a torn write, dropped).
//!
//! Spec and usage are their C codes. The private key is PKCS#8 DER; the buffers that hold it
//! are wiped on drop. The public key (SubjectPublicKeyInfo DER) is kept beside it so that
//! opening a store does not have to parse every private key (see `material.rs`).

use std::sync::Arc;

use der::pem::LineEnding;
use zeroize::Zeroizing;

use crate::core::alias;
use crate::core::error::{Error, Result};
use crate::core::id::is_uuid;
use crate::core::key::{KeyRecord, KeyState, KeyVersion, Origin};
use crate::core::key_spec::{KeySpec, KeyUsage};
use crate::core::material::Material;
use crate::core::state::Change;

const CREATE_KEY: u8 = 1;
const ADD_VERSION: u8 = 2;
const SET_STATE: u8 = 3;
const PUT_ALIAS: u8 = 4;
const DELETE_ALIAS: u8 = 5;
const DELETE_KEY: u8 = 6;
const COMMIT: u8 = 7;

/// A commit mark's plaintext.
pub const COMMIT_MARK: &[u8] = &[COMMIT];

/// What a record holds.
pub enum Entry {
    Change(Change),
    Commit,
}

/// Encodes `change` into a buffer that is wiped on drop (it may hold a private key).
pub fn encode(change: &Change) -> Result<Zeroizing<Vec<u8>>> {
    // The capacity is computed up front so the buffer never reallocates (a reallocation would
    // leave an unwiped copy of the private key behind).
    let (pkcs8, spki, strings) = match change {
        Change::CreateKey { record, version } => (
            Some(version.pair.to_pkcs8_der()?),
            public_der(version)?,
            record.id.len() + record.description.len() + version.id.len(),
        ),
        Change::AddVersion { version } => (
            Some(version.pair.to_pkcs8_der()?),
            public_der(version)?,
            version.key_id.len() + version.id.len(),
        ),
        Change::SetState { key_id, .. } => (None, Vec::new(), key_id.len()),
        Change::PutAlias { alias, key_id } => (None, Vec::new(), alias.len() + key_id.len()),
        Change::DeleteAlias { alias } => (None, Vec::new(), alias.len()),
        Change::DeleteKey { key_id } => (None, Vec::new(), key_id.len()),
    };
    let capacity = 64 + strings + pkcs8.as_ref().map_or(0, |p| p.len()) + spki.len();
    let mut w = Writer(Zeroizing::new(Vec::with_capacity(capacity)));
    match change {
        Change::CreateKey { record, version } => {
            w.u8(CREATE_KEY);
            w.str(&record.id);
            w.u8(record.spec.code() as u8);
            w.u8(record.usage.code() as u8);
            w.u8(state_code(record.state));
            w.str(&record.description);
            w.i64(record.creation_date);
            w.u8(match record.origin {
                Origin::Generated => 1,
                Origin::External => 2,
            });
            w.opt(record.delete_date);
            w.str(&version.id);
            w.i64(version.creation_date);
            w.bytes(pkcs8.as_deref().map_or(&[], |p| p.as_slice()));
            w.bytes(&spki);
        }
        Change::AddVersion { version } => {
            w.u8(ADD_VERSION);
            w.str(&version.key_id);
            w.u8(version.pair.spec().code() as u8);
            w.str(&version.id);
            w.i64(version.creation_date);
            w.bytes(pkcs8.as_deref().map_or(&[], |p| p.as_slice()));
            w.bytes(&spki);
        }
        Change::SetState {
            key_id,
            state,
            delete_date,
        } => {
            w.u8(SET_STATE);
            w.str(key_id);
            w.u8(state_code(*state));
            w.opt(*delete_date);
        }
        Change::PutAlias { alias, key_id } => {
            w.u8(PUT_ALIAS);
            w.str(alias);
            w.str(key_id);
        }
        Change::DeleteAlias { alias } => {
            w.u8(DELETE_ALIAS);
            w.str(alias);
        }
        Change::DeleteKey { key_id } => {
            w.u8(DELETE_KEY);
            w.str(key_id);
        }
    }
    debug_assert!(w.0.len() <= capacity);
    Ok(w.0)
}

/// Decodes a record's plaintext. Anything malformed is `Corrupt` (the plaintext authenticated,
/// so this means a bug or a file from an incompatible writer).
pub fn decode(bytes: &[u8]) -> Result<Entry> {
    let mut r = Reader(bytes);
    let change = match r.u8()? {
        COMMIT => Entry::Commit,
        CREATE_KEY => {
            let key_id: Arc<str> = r.id()?;
            let spec = KeySpec::from_code(u32::from(r.u8()?)).map_err(corrupt)?;
            let usage = KeyUsage::from_code(u32::from(r.u8()?)).map_err(corrupt)?;
            // No call makes such a key (EC_P256 for ENCRYPT/DECRYPT, say); using one would
            // fail in ways no caller expects (found by the store_file fuzz target).
            spec.check_usage(usage).map_err(corrupt)?;
            let state = state_from(r.u8()?)?;
            let description = r.str()?.to_string();
            let creation_date = r.i64()?;
            let origin = match r.u8()? {
                1 => Origin::Generated,
                2 => Origin::External,
                o => return Err(malformed(&format!("unknown origin {o}"))),
            };
            let delete_date = r.opt()?;
            let version_id: Arc<str> = r.id()?;
            let version_date = r.i64()?;
            let version = stored_version(&mut r, key_id.clone(), version_id, version_date, spec)?;
            Entry::Change(Change::CreateKey {
                record: KeyRecord {
                    id: key_id,
                    spec,
                    usage,
                    state,
                    description,
                    creation_date,
                    origin,
                    delete_date,
                },
                version: Arc::new(version),
            })
        }
        ADD_VERSION => {
            let key_id: Arc<str> = r.id()?;
            let spec = KeySpec::from_code(u32::from(r.u8()?)).map_err(corrupt)?;
            let version_id: Arc<str> = r.id()?;
            let date = r.i64()?;
            Entry::Change(Change::AddVersion {
                version: Arc::new(stored_version(&mut r, key_id, version_id, date, spec)?),
            })
        }
        SET_STATE => Entry::Change(Change::SetState {
            key_id: r.id()?,
            state: state_from(r.u8()?)?,
            delete_date: r.opt()?,
        }),
        PUT_ALIAS => Entry::Change(Change::PutAlias {
            alias: r.alias()?,
            key_id: r.id()?,
        }),
        DELETE_ALIAS => Entry::Change(Change::DeleteAlias { alias: r.alias()? }),
        DELETE_KEY => Entry::Change(Change::DeleteKey { key_id: r.id()? }),
        kind => return Err(malformed(&format!("unknown record kind {kind}"))),
    };
    if !r.0.is_empty() {
        return Err(malformed("trailing bytes"));
    }
    Ok(change)
}

/// The rest of a version's record: its PKCS#8 key (parsed on first use) and its public key.
fn stored_version(
    r: &mut Reader<'_>,
    key_id: Arc<str>,
    id: Arc<str>,
    date: i64,
    spec: KeySpec,
) -> Result<KeyVersion> {
    let pkcs8 = Zeroizing::new(r.bytes()?.to_vec());
    let spki = der::Document::try_from(r.bytes()?.to_vec())
        .map_err(|e| malformed(&format!("public key: {e}")))?;
    let pem = spki
        .to_pem("PUBLIC KEY", LineEnding::LF)
        .map_err(|e| malformed(&format!("public key: {e}")))?;
    Ok(KeyVersion::stored(
        key_id,
        id,
        date,
        Material::stored(spec, pkcs8),
        pem,
    ))
}

/// A version's public key as SubjectPublicKeyInfo DER.
fn public_der(version: &KeyVersion) -> Result<Vec<u8>> {
    der::Document::from_pem(&version.public_key_pem)
        .map(|(_, doc)| doc.into_vec())
        .map_err(|e| Error::Internal(format!("public key PEM does not decode: {e}")))
}

fn state_code(state: KeyState) -> u8 {
    match state {
        KeyState::Enabled => 1,
        KeyState::Disabled => 2,
        KeyState::PendingDeletion => 3,
    }
}

fn state_from(code: u8) -> Result<KeyState> {
    match code {
        1 => Ok(KeyState::Enabled),
        2 => Ok(KeyState::Disabled),
        3 => Ok(KeyState::PendingDeletion),
        s => Err(malformed(&format!("unknown key state {s}"))),
    }
}

fn malformed(what: &str) -> Error {
    Error::Corrupt(format!("store file record is malformed: {what}"))
}

fn corrupt(e: Error) -> Error {
    malformed(e.message())
}

struct Writer(Zeroizing<Vec<u8>>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.0.extend_from_slice(&(v.len() as u32).to_le_bytes());
        self.0.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn opt(&mut self, v: Option<i64>) {
        match v {
            None => self.u8(0),
            Some(t) => {
                self.u8(1);
                self.i64(t);
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// A key or version id. akms writes lowercase UUIDs; anything else (an id that reads as an
    /// alias, say, found by the `store_file` fuzz target) would make its key unaddressable.
    fn id(&mut self) -> Result<Arc<str>> {
        let s = self.str()?;
        if !is_uuid(s) {
            return Err(malformed(&format!("{s:?} is not a key or version id")));
        }
        Ok(s.into())
    }

    /// An alias name, valid as `CreateAlias` would require.
    fn alias(&mut self) -> Result<String> {
        let s = self.str()?;
        alias::validate(s).map_err(corrupt)?;
        Ok(s.to_string())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(malformed("truncated field"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn i64(&mut self) -> Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Result<&'a [u8]> {
        let b = self.take(4)?;
        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        self.take(n)
    }
    fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| malformed("text is not UTF-8"))
    }
    fn opt(&mut self) -> Result<Option<i64>> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.i64()?)),
            f => Err(malformed(&format!("bad option flag {f}"))),
        }
    }
}
