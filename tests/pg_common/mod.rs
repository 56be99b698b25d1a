//! A private PostgreSQL cluster for the tests of PostgreSQL stores (scripts/pg-cluster.sh):
//! 127.0.0.1 on a free port, scram-sha-256, TLS with a self-signed certificate. One cluster per
//! test process ([`shared`]), or a private one for tests that stop the server ([`Cluster::new`]).
//! Every cluster is destroyed when its guard drops, and in any case once the test process has
//! exited (a watcher started by the script), also after a panic or a SIGKILL.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Cluster {
    dir: PathBuf,
    /// `postgresql://akms:PASSWORD@127.0.0.1:PORT/akms?sslmode=require`
    pub uri: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster.sh")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .output()
        .expect("running scripts/pg-cluster.sh");
    assert!(
        out.status.success(),
        "pg-cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Cluster {
    /// A new cluster of its own.
    pub fn new(tag: &str) -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "akms-pg-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let d = dir.to_str().unwrap().to_owned();
        let uri = run(&["start", &d, &std::process::id().to_string()]);
        Cluster { dir, uri }
    }

    /// The URI of store `name` (`&akms_store=name`).
    pub fn store(&self, name: &str) -> String {
        format!("{}&akms_store={name}", self.uri)
    }

    /// The URI of store `name`, with `sslmode=verify-full` against the cluster's certificate.
    pub fn store_verified(&self, name: &str) -> String {
        let ca = self.dir.join("ca.crt");
        self.store(name).replace(
            "sslmode=require",
            &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (`fast` or `immediate`).
    pub fn stop(&self, mode: &str) {
        run(&["stop", self.dir.to_str().unwrap(), mode]);
    }

    /// Starts the server again (same port, same data).
    pub fn start(&self) {
        run(&["start", self.dir.to_str().unwrap()]);
    }

    /// Runs SQL with psql; returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(pg_bin("psql"))
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                &self.uri,
                "-c",
                sql,
            ])
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A plain-SQL dump of the whole database.
    pub fn dump(&self) -> Vec<u8> {
        let out = Command::new(pg_bin("pg_dump"))
            .args(["--dbname", &self.uri])
            .output()
            .expect("running pg_dump");
        assert!(
            out.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["destroy", self.dir.to_str().unwrap()])
            .status();
    }
}

/// The cluster shared by the tests of this process (never dropped: the watcher destroys it
/// when the process exits).
pub fn shared() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::new("shared"))
}

/// A PostgreSQL program: from PATH, else Debian's /usr/lib/postgresql/V/bin (newest).
pub fn pg_bin(name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
    {
        return p;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.components()
            .nth(3)
            .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
    });
    versions.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// A store name unique to this test process and call (stores of one cluster are isolated).
pub fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
