//! Helpers shared by the persistence tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use akms::core::persist::{KdfParams, PersistOptions};
use akms::core::Store;

/// Argon2id at its cheapest, so that tests can open stores thousands of times. Never a default.
pub const CHEAP_KDF: KdfParams = KdfParams {
    memory_kib: 8,
    passes: 1,
    lanes: 1,
};

pub fn cheap() -> PersistOptions {
    PersistOptions::new().kdf(CHEAP_KDF)
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "akms-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Everything Describe/List/GetPublicKey say about a store, as comparable text.
pub fn snapshot(store: &Store) -> String {
    let mut out = serde_json::to_string(&store.list_keys().unwrap()).unwrap();
    for key in store.list_keys().unwrap() {
        out.push_str(&serde_json::to_string(&store.describe_key(&key.key_id).unwrap()).unwrap());
        for v in store.list_key_versions(&key.key_id).unwrap() {
            out.push_str(&serde_json::to_string(&v).unwrap());
            out.push_str(
                &store
                    .get_public_key(&key.key_id, &v.key_version_id)
                    .unwrap(),
            );
        }
    }
    out
}

pub fn open(path: &Path, passphrase: &[u8]) -> akms::Result<Store> {
    Store::open_with(path, passphrase, &cheap())
}
