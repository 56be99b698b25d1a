//! Helpers for the tests that run the built `akms` binary: a scratch directory per test with
//! its own store, home and cheap KDF, and assertions on exit status, JSON and standard error.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The passphrase the default environment gives (`$AKMS_PASSPHRASE`).
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A cheap Argon2id for test stores (see `AKMS_KDF_PARAMS` in the library).
pub const CHEAP_KDF: &str = "m=8,t=1,p=1";

/// The SM2 distinguishing id akms uses, as an OpenSSL option value.
pub const SM2_DISTID: &str = "distid:1234567812345678";

/// A test's scratch directory, its store (`store.akms` in it) and environment.
pub struct Env {
    dir: tempfile::TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `data` to `name` in the scratch directory.
    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, data).expect("write scratch file");
        path
    }

    /// Reads `name` from the scratch directory.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read scratch file")
    }

    /// `akms` with a clean environment: PATH, a home inside the scratch directory, the cheap
    /// KDF, `$AKMS_STORE` and `$AKMS_PASSPHRASE` set; standard input empty.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.env("AKMS_STORE", self.path("store.akms"))
            .env("AKMS_PASSPHRASE", PASSPHRASE);
        cmd
    }

    /// `akms` with only PATH, HOME (in the scratch directory) and the cheap KDF.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_akms"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("AKMS_KDF_PARAMS", CHEAP_KDF)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `akms ARGS` in the default environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run akms")
    }

    /// Runs `akms ARGS` with `input` on standard input.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        run_with_stdin(self.cmd().args(args), input)
    }

    /// Runs `akms ARGS`, expects exit 0, and returns its JSON.
    pub fn ok(&self, args: &[&str]) -> Value {
        json_of(&self.run(args), args)
    }

    /// Runs `akms ARGS`, expects exit `code`, and returns standard error.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        expect_code(&self.run(args), code, args)
    }

    /// Creates a key and returns (key id, version id).
    pub fn create_key(&self, spec: &str, usage: &str) -> (String, String) {
        let v = self.ok(&["create-key", "--key-spec", spec, "--key-usage", usage]);
        (s(&v["KeyId"]), s(&v["KeyVersionId"]))
    }
}

/// Runs `cmd` with `input` on standard input.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn akms");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait akms")
}

/// Expects exit 0 and one JSON object on standard output.
pub fn json_of(out: &Output, what: &[&str]) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "akms {what:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing on standard error when it is not a terminal (no spinner, no warnings).
    assert!(
        out.stderr.is_empty(),
        "akms {what:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8 output");
    assert!(text.ends_with('\n'), "{what:?}: output ends with a newline");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what:?}: not JSON ({e}): {text}"))
}

/// Expects exit `code` and returns standard error.
pub fn expect_code(out: &Output, code: i32, what: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "akms {what:?}: stdout {} stderr {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// The names of a JSON object's fields, sorted.
pub fn fields(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// A sorted list of field names, to compare with [`fields`].
pub fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// A JSON string's value.
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// Decodes a base64 JSON string.
pub fn b64(v: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s(v))
        .expect("base64")
}

/// A path as `&str` for an argument list.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs `openssl ARGS`, returning (success, stdout + stderr).
pub fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `openssl ARGS` and expects success.
pub fn openssl_ok(args: &[&str]) -> String {
    let (ok, text) = openssl(args);
    assert!(ok, "openssl {args:?}: {text}");
    text
}
