//! The store file's bytes: the header, the passphrase-derived key, and the framing and sealing of
//! records.
//!
//! ```text
//! header (136 bytes, little-endian integers)
//!   0  8  magic "AKMSTORE"
//!   8  2  format version (2; version 1 files are read too)
//!  10  1  KDF: 1 = Argon2id (version 0x13)
//!  11  1  AEAD: 1 = XChaCha20-Poly1305
//!  12  4  reserved (0)
//!  16  4  Argon2 memory in KiB      20  4  Argon2 passes      24  4  Argon2 lanes
//!  28  4  reserved (0)
//!  32 16  salt (random per store)
//!  48 16  log id (random per file: each compaction writes a new one)
//!  64 24  key-check nonce
//!  88 16  key-check tag: the AEAD of nothing, with bytes 0..64 as associated data
//! 104 32  SHA-256 of bytes 0..104 (tells a damaged header from a wrong passphrase)
//! records, back to back, from offset 136
//!   0  4  n = length of the sealed payload (ciphertext + 16-byte tag)
//!   4  4  !n (bitwise complement: a damaged length is detected, not mistaken for a torn tail)
//!   8 24  random nonce
//!  32  n  sealed payload; associated data = log id ‖ record number (u64, from 0)
//! padding (no record, no number): 0u32, 0xffffffff, k, !k (u32 each), then k zero bytes
//! ```
//!
//! Padding keeps a commit mark (`record.rs`) from straddling a 512-byte sector: a mark is
//! written on its own after the records it commits are synced, and a sector is written whole or
//! not at all, so a mark is never torn. A mark that is present but fails to authenticate was
//! damaged after it was written.
//!
//! A record's blob, as the storage seam (`medium.rs`) carries it, is nonce ‖ sealed payload;
//! a file frames it with the two length fields. The payload of a record is one encoded
//! [`Change`](crate::core::state::Change) or a commit mark (see `record.rs`). Binding each
//! record to the log id and to its position means records cannot be reordered, dropped from
//! the middle, duplicated, or moved in from another file unnoticed.
//!
//! The KDF parameters are bounded ([`KdfParams::validate`]) and checked when a header is read,
//! before the KDF runs: a header asking for more is refused at once as damaged.

use argon2::{Algorithm as Argon2Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngExt;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::core::error::{invalid, Error, Result};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"AKMSTORE";
/// The format this code writes (version 2 adds commit marks; version 1 files are read too).
pub const FORMAT_VERSION: u16 = 2;
/// The oldest format this code reads.
pub const OLDEST_FORMAT_VERSION: u16 = 1;
/// Bytes before the first record.
pub const HEADER_LEN: usize = 136;
/// Bytes of a record's frame before its sealed payload: length, complement, nonce.
pub const FRAME_LEN: usize = 8 + NONCE_LEN;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of an AEAD tag.
pub const TAG_LEN: usize = 16;
/// The largest sealed payload a record may have (a record holds one change: one key version
/// and a description of at most 8 KiB, far below this).
pub const MAX_PAYLOAD_LEN: usize = 1 << 20;

const KDF_ARGON2ID: u8 = 1;
const AEAD_XCHACHA20POLY1305: u8 = 1;
const CHECKSUM_AT: usize = 104;
const CHECK_TAG_AT: usize = 88;

/// Argon2id cost parameters, stored in the header of each store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
    /// Lanes (degree of parallelism).
    pub lanes: u32,
}

impl KdfParams {
    /// The default for new stores: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended
    /// option, with one lane). About a third of a second on a current x86-64 core.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 1,
    };

    /// The largest memory a header may ask for (1 GiB): a damaged or hostile header must not make
    /// an open allocate, or compute, without bound.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// The most passes a header may ask for.
    pub const MAX_PASSES: u32 = 16;
    /// The most lanes a header may ask for.
    pub const MAX_LANES: u32 = 16;

    /// Checks the parameters are ones this code accepts.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let ok = (1..=Self::MAX_LANES).contains(&self.lanes)
            && (1..=Self::MAX_PASSES).contains(&self.passes)
            && self.memory_kib >= 8 * self.lanes
            && self.memory_kib <= Self::MAX_MEMORY_KIB;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "Argon2id parameters m={} KiB, t={}, p={} are out of range \
                 (1 <= p <= {}, 1 <= t <= {}, 8*p <= m <= {} KiB)",
                self.memory_kib,
                self.passes,
                self.lanes,
                Self::MAX_LANES,
                Self::MAX_PASSES,
                Self::MAX_MEMORY_KIB
            ))
        }
    }

    /// Parses `m=KiB,t=passes,p=lanes` (any order; missing fields keep the default).
    pub fn parse(s: &str) -> Result<KdfParams> {
        let mut p = KdfParams::DEFAULT;
        for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| invalid(format!("KDF parameter {part:?} is not name=value")))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("KDF parameter {part:?} is not a number")))?;
            match name.trim() {
                "m" => p.memory_kib = value,
                "t" => p.passes = value,
                "p" => p.lanes = value,
                other => return Err(invalid(format!("unknown KDF parameter {other:?}"))),
            }
        }
        p.validate().map_err(invalid)?;
        Ok(p)
    }
}

/// The passphrase-derived key, as a ready cipher (its key bytes are wiped on drop).
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// Derives the key from `passphrase` and `salt` with Argon2id under `params`.
    pub fn derive(passphrase: &[u8], salt: &[u8; 16], params: KdfParams) -> Result<Sealer> {
        let argon_params = Params::new(params.memory_kib, params.passes, params.lanes, Some(32))
            .map_err(|e| Error::Corrupt(format!("Argon2id parameters rejected: {e}")))?;
        let argon = Argon2::new(Argon2Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut key = Zeroizing::new([0u8; 32]);
        // The memory is allocated fallibly (argon2 reports `OutOfMemory`): a process short of
        // memory, or limited by `ulimit -v`, gets `Io`, never an abort.
        argon
            .hash_password_into(passphrase, salt, key.as_mut())
            .map_err(|e| match e {
                argon2::Error::OutOfMemory => Error::Io(format!(
                    "not enough memory for the store's Argon2id key derivation ({} KiB)",
                    params.memory_kib
                )),
                e => Error::Corrupt(format!("Argon2id key derivation refused: {e}")),
            })?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref())
            .map_err(|_| Error::Internal("AEAD key has the wrong length".into()))?;
        Ok(Sealer { cipher })
    }

    /// Seals `plaintext` under a fresh random nonce; returns (nonce, ciphertext ‖ tag).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<([u8; NONCE_LEN], Vec<u8>)> {
        let nonce: [u8; NONCE_LEN] = crate::core::id::rng().random();
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::Internal("AEAD encryption failed".into()))?;
        Ok((nonce, sealed))
    }

    /// Seals `plaintext` as record number `seq` of the log `header` starts: the record's blob,
    /// nonce ‖ ciphertext ‖ tag, as the storage seam carries it.
    pub fn seal_record(&self, header: &Header, seq: u64, plaintext: &[u8]) -> Result<Vec<u8>> {
        let (nonce, sealed) = self.seal(plaintext, &header.record_aad(seq))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens record number `seq` of the log `header` starts; `None` if it does not
    /// authenticate (or is too short to be a record).
    pub fn open_record(
        &self,
        header: &Header,
        seq: u64,
        blob: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        if blob.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        self.open(&array(nonce), sealed, &header.record_aad(seq))
    }

    /// Opens a sealed payload; `None` if it does not authenticate.
    pub fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        sealed: &[u8],
        aad: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        self.cipher
            .decrypt(&XNonce::from(*nonce), Payload { msg: sealed, aad })
            .ok()
            .map(Zeroizing::new)
    }
}

/// A store file's header.
#[derive(Clone)]
pub struct Header {
    /// The format version the file was written in.
    pub version: u16,
    pub params: KdfParams,
    pub salt: [u8; 16],
    pub file_id: [u8; 16],
}

impl Header {
    /// A header for a new file of a store with `params` and `salt`, with a fresh file id.
    pub fn new(params: KdfParams, salt: [u8; 16]) -> Header {
        Header {
            version: FORMAT_VERSION,
            params,
            salt,
            file_id: crate::core::id::rng().random(),
        }
    }

    /// The header's bytes, with the key check sealed by `sealer`.
    pub fn encode(&self, sealer: &Sealer) -> Result<Vec<u8>> {
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&self.version.to_le_bytes());
        h.push(KDF_ARGON2ID);
        h.push(AEAD_XCHACHA20POLY1305);
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&self.params.memory_kib.to_le_bytes());
        h.extend_from_slice(&self.params.passes.to_le_bytes());
        h.extend_from_slice(&self.params.lanes.to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&self.salt);
        h.extend_from_slice(&self.file_id);
        let (nonce, tag) = sealer.seal(&[], &h[..64])?;
        h.extend_from_slice(&nonce);
        h.extend_from_slice(&tag);
        debug_assert_eq!(h.len(), CHECKSUM_AT);
        let sum = Sha256::digest(&h);
        h.extend_from_slice(&sum);
        debug_assert_eq!(h.len(), HEADER_LEN);
        Ok(h)
    }

    /// Reads a header, checking everything that can be checked without the passphrase.
    pub fn decode(bytes: &[u8]) -> Result<Header> {
        if bytes.len() < HEADER_LEN {
            if !bytes.starts_with(&MAGIC[..bytes.len().min(MAGIC.len())]) {
                return Err(Error::Corrupt("not an akms store file (bad magic)".into()));
            }
            return Err(Error::Corrupt(format!(
                "store file is truncated: {} bytes, the header alone is {HEADER_LEN}",
                bytes.len()
            )));
        }
        let h = &bytes[..HEADER_LEN];
        if &h[..8] != MAGIC {
            return Err(Error::Corrupt("not an akms store file (bad magic)".into()));
        }
        if Sha256::digest(&h[..CHECKSUM_AT]).as_slice() != &h[CHECKSUM_AT..] {
            return Err(Error::Corrupt(
                "store file header is damaged or was modified (checksum mismatch)".into(),
            ));
        }
        let version = u16::from_le_bytes([h[8], h[9]]);
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(Error::Corrupt(format!(
                "store file format version {version} is not supported (this library reads \
                 {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION})"
            )));
        }
        if h[10] != KDF_ARGON2ID || h[11] != AEAD_XCHACHA20POLY1305 {
            return Err(Error::Corrupt(format!(
                "store file uses KDF {} / AEAD {}, which this library does not know",
                h[10], h[11]
            )));
        }
        let u32_at = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let params = KdfParams {
            memory_kib: u32_at(16),
            passes: u32_at(20),
            lanes: u32_at(24),
        };
        params
            .validate()
            .map_err(|e| Error::Corrupt(format!("store file header: {e}")))?;
        Ok(Header {
            version,
            params,
            salt: array(&h[32..48]),
            file_id: array(&h[48..64]),
        })
    }

    /// Checks that `sealer` (derived from the passphrase given) is the key this file was
    /// written with. The header's checksum already matched, so a failure here means a wrong
    /// passphrase (or a header forged together with its checksum).
    pub fn check_key(bytes: &[u8], sealer: &Sealer) -> Result<()> {
        let nonce: [u8; NONCE_LEN] = array(&bytes[64..CHECK_TAG_AT]);
        match sealer.open(&nonce, &bytes[CHECK_TAG_AT..CHECKSUM_AT], &bytes[..64]) {
            Some(_) => Ok(()),
            None => Err(Error::Corrupt(
                "wrong passphrase: the store file's header is intact but does not authenticate \
                 under the key derived from this passphrase"
                    .into(),
            )),
        }
    }

    /// The associated data of record number `seq` in this file.
    pub fn record_aad(&self, seq: u64) -> [u8; 24] {
        let mut aad = [0u8; 24];
        aad[..16].copy_from_slice(&self.file_id);
        aad[16..].copy_from_slice(&seq.to_le_bytes());
        aad
    }
}

/// Frames a record's blob (nonce ‖ sealed payload) for a file: length, complement, blob.
pub fn frame(blob: &[u8]) -> Vec<u8> {
    let n = blob.len().saturating_sub(NONCE_LEN) as u32;
    let mut out = Vec::with_capacity(8 + blob.len());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(!n).to_le_bytes());
    out.extend_from_slice(blob);
    out
}

/// Bytes of a padding frame's header.
pub const PAD_LEN: usize = 16;
/// The sector a commit mark never straddles.
pub const SECTOR: u64 = 512;

/// Padding to write at `at` so that `len` bytes written after it stay within one sector
/// (nothing if they already do).
pub fn pad_before(at: u64, len: u64) -> Vec<u8> {
    if at / SECTOR == (at + len - 1) / SECTOR {
        return Vec::new();
    }
    let k = (SECTOR - (at + PAD_LEN as u64) % SECTOR) % SECTOR;
    let k = k as u32;
    let mut out = Vec::with_capacity(PAD_LEN + k as usize);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&k.to_le_bytes());
    out.extend_from_slice(&(!k).to_le_bytes());
    out.resize(PAD_LEN + k as usize, 0);
    out
}

/// One framed record found in a file.
pub struct Frame<'a> {
    /// The record's blob: nonce ‖ sealed payload.
    pub blob: &'a [u8],
    /// Where the frame ends, from the start of the bytes scanned.
    pub end: usize,
}

/// Splits `bytes` (records, from a record boundary on) into framed records. A final record that
/// the bytes end inside of (or trailing zero bytes, as a file system may leave after a crash)
/// ends the scan: a write in progress or torn, which the caller drops. A damaged frame anywhere
/// else is `Corrupt`.
pub fn scan_frames(bytes: &[u8]) -> Result<Vec<Frame<'_>>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            break; // torn inside the length fields
        }
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let check = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if n != !check {
            if rest.iter().all(|&b| b == 0) {
                break; // zero-filled tail: a crash after the file grew but before data landed
            }
            return Err(Error::Corrupt(format!(
                "store file record {} after the last one read has a damaged length field: the \
                 file was modified or damaged",
                frames.len()
            )));
        }
        if n == 0 {
            // Padding: its own length, checked the same way, then zeros.
            if rest.len() < PAD_LEN {
                break;
            }
            let k = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]);
            let check = u32::from_le_bytes([rest[12], rest[13], rest[14], rest[15]]);
            if k != !check || u64::from(k) >= SECTOR {
                return Err(Error::Corrupt(format!(
                    "store file padding after record {} is damaged: the file was modified or \
                     damaged",
                    frames.len()
                )));
            }
            if rest.len() < PAD_LEN + k as usize {
                break;
            }
            at += PAD_LEN + k as usize;
            continue;
        }
        let n = n as usize;
        if !(TAG_LEN..=MAX_PAYLOAD_LEN).contains(&n) {
            return Err(Error::Corrupt(format!(
                "store file record {} after the last one read declares an impossible length {n}",
                frames.len()
            )));
        }
        if rest.len() < FRAME_LEN + n {
            break; // torn: the bytes end inside this record
        }
        at += FRAME_LEN + n;
        frames.push(Frame {
            blob: &rest[8..FRAME_LEN + n],
            end: at,
        });
    }
    Ok(frames)
}

fn array<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&s[..N]);
    a
}

/// The cheapest Argon2id setting, for unit tests only.
#[cfg(test)]
pub(crate) const CHEAP_KDF_FOR_TESTS: KdfParams = KdfParams {
    memory_kib: 8,
    passes: 1,
    lanes: 1,
};

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = CHEAP_KDF_FOR_TESTS;

    #[test]
    fn header_round_trips_and_checks_the_passphrase() {
        let sealer = Sealer::derive(b"pw", &[7; 16], CHEAP).unwrap();
        let header = Header::new(CHEAP, [7; 16]);
        let bytes = header.encode(&sealer).unwrap();
        assert_eq!(bytes.len(), HEADER_LEN);
        let back = Header::decode(&bytes).unwrap();
        assert_eq!(back.params, CHEAP);
        assert_eq!(back.file_id, header.file_id);
        Header::check_key(&bytes, &sealer).unwrap();
        let wrong = Sealer::derive(b"pW", &[7; 16], CHEAP).unwrap();
        let err = Header::check_key(&bytes, &wrong).unwrap_err();
        assert!(err.message().contains("wrong passphrase"), "{err}");
        for i in 0..HEADER_LEN {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(
                matches!(Header::decode(&bad), Err(Error::Corrupt(_))),
                "byte {i}"
            );
        }
    }

    #[test]
    fn kdf_params_parse() {
        assert_eq!(KdfParams::parse("m=8,t=1,p=1").unwrap(), CHEAP);
        assert_eq!(KdfParams::parse("").unwrap(), KdfParams::DEFAULT);
        assert!(KdfParams::parse("m=4").is_err());
        assert!(KdfParams::parse("q=4").is_err());
        assert!(KdfParams::parse("t=0").is_err());
    }
}
