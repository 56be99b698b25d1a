//! What commands print: one JSON object on standard output (pretty on a terminal, compact
//! otherwise), and raw bytes for `--out FILE` (`-` is standard output).
//!
//! The JSON is built in a zeroizing buffer and written straight to file descriptor 1, so a
//! decrypted plaintext leaves no copy in a stdio buffer.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use akms::core::{KeyMetadata, KeyVersionInfo};
use base64::Engine;
use serde::ser::{Serialize, SerializeMap, Serializer};
use zeroize::Zeroizing;

use crate::error::{io_error, Failure};
use crate::input::is_stdio;

/// One field's value.
pub enum Value {
    Str(String),
    /// A string that is secret (a base64 plaintext): wiped on drop.
    Secret(Zeroizing<String>),
    Bool(bool),
    /// Key metadata, in the library's field order (KeyId first).
    Metadata(KeyMetadata),
    /// ListKeys.
    Keys(Vec<KeyMetadata>),
    /// ListKeyVersions.
    Versions(Vec<KeyVersionInfo>),
}

/// A command's JSON response: fields in the order they are added.
#[derive(Default)]
pub struct Response {
    fields: Vec<(&'static str, Value)>,
}

impl Response {
    pub fn new() -> Response {
        Response::default()
    }

    /// Adds a string field.
    pub fn str(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.fields.push((name, Value::Str(value.into())));
        self
    }

    /// Adds a field of key metadata, a list of it, or a list of versions.
    pub fn value(mut self, name: &'static str, value: Value) -> Response {
        self.fields.push((name, value));
        self
    }

    /// Adds a boolean field.
    pub fn bool(mut self, name: &'static str, value: bool) -> Response {
        self.fields.push((name, Value::Bool(value)));
        self
    }

    /// Adds `bytes` as a base64 field (wiped afterwards if `secret`).
    pub fn base64(mut self, name: &'static str, bytes: &[u8], secret: bool) -> Response {
        let engine = base64::engine::general_purpose::STANDARD;
        let value = if secret {
            let mut s = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(3) * 4));
            engine.encode_string(bytes, &mut s);
            Value::Secret(s)
        } else {
            Value::Str(engine.encode(bytes))
        };
        self.fields.push((name, value));
        self
    }

    /// Prints the response on standard output.
    pub fn print(&self) -> Result<(), Failure> {
        let pretty = std::io::stdout().is_terminal();
        // Room for every field, so the buffer never reallocates (and leaves no copy).
        let room: usize = self
            .fields
            .iter()
            .map(|(name, v)| {
                name.len()
                    + 16
                    + match v {
                        Value::Str(s) => s.len() * 6,
                        Value::Secret(s) => s.len() + 8,
                        Value::Bool(_) => 5,
                        Value::Metadata(_) | Value::Keys(_) | Value::Versions(_) => {
                            serde_json::to_string(v).map_or(0, |j| j.len() * 4)
                        }
                    }
            })
            .sum();
        let mut buf = Zeroizing::new(Vec::with_capacity(room + 64));
        let written = if pretty {
            serde_json::to_writer_pretty(&mut *buf, self)
        } else {
            serde_json::to_writer(&mut *buf, self)
        };
        written.map_err(|e| {
            Failure::Akms(akms::Error::Internal(format!("JSON encoding failed: {e}")))
        })?;
        buf.push(b'\n');
        write_stdout(&buf)
    }
}

impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (name, value) in &self.fields {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(s) => s.serialize(serializer),
            Value::Secret(s) => s.as_str().serialize(serializer),
            Value::Bool(b) => b.serialize(serializer),
            Value::Metadata(m) => m.serialize(serializer),
            Value::Keys(k) => k.serialize(serializer),
            Value::Versions(v) => v.serialize(serializer),
        }
    }
}

/// Writes `bytes` to standard output through its own descriptor (no stdio buffer).
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| io_error("cannot write standard output", e))?;
    let mut out = File::from(fd);
    out.write_all(bytes)
        .map_err(|e| io_error("cannot write standard output", e))
}

/// Writes `bytes` to `path` (`-` is standard output), replacing the file. A `secret` file (a
/// plaintext) is created with mode 0600.
pub fn write_out(path: &Path, bytes: &[u8], secret: bool) -> Result<(), Failure> {
    if is_stdio(path) {
        return write_stdout(bytes);
    }
    let what = || format!("cannot write {}", path.display());
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| io_error(what(), e))?;
    file.write_all(bytes).map_err(|e| io_error(what(), e))?;
    file.sync_all().map_err(|e| io_error(what(), e))
}
