//! The store's contents and the changes that make them: every mutation of a store is one
//! [`Change`], applied to a [`State`] (and, for a persistent store, written to its journal
//! first).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::alias;
use super::clock::UnixMillis;
use super::error::{Error, Result};
use super::key::{KeyEntry, KeyRecord, KeyState, KeyVersion};

/// One mutation of a store.
#[derive(Clone)]
pub enum Change {
    /// A new key with its first version.
    CreateKey {
        record: KeyRecord,
        version: Arc<KeyVersion>,
    },
    /// A new version of an existing key.
    AddVersion { version: Arc<KeyVersion> },
    /// A key's state (and delete date) changes.
    SetState {
        key_id: Arc<str>,
        state: KeyState,
        delete_date: Option<UnixMillis>,
    },
    /// An alias is created or pointed at another key.
    PutAlias { alias: String, key_id: Arc<str> },
    /// An alias is deleted.
    DeleteAlias { alias: String },
}

/// Where a persistent store writes each change before it takes effect.
pub trait Journal: Send + Sync {
    /// Makes `change` durable; the change takes effect only if this returns `Ok`.
    fn write(&self, change: &Change) -> Result<()>;
}

/// Everything a store holds.
#[derive(Default)]
pub struct State {
    keys: HashMap<Arc<str>, KeyEntry>,
    /// Alias name → key id.
    aliases: BTreeMap<String, Arc<str>>,
    next_seq: u64,
}

impl State {
    /// Applies `change`. Changes are validated before they are made; one that names a
    /// missing key (possible only when replaying a journal) is ignored.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::CreateKey { record, version } => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.keys.insert(
                    record.id.clone(),
                    KeyEntry {
                        record,
                        versions: vec![version],
                        aliases: Vec::new(),
                        seq,
                    },
                );
            }
            Change::AddVersion { version } => {
                if let Some(entry) = self.keys.get_mut(&version.key_id) {
                    entry.versions.push(version);
                }
            }
            Change::SetState {
                key_id,
                state,
                delete_date,
            } => {
                if let Some(entry) = self.keys.get_mut(&key_id) {
                    entry.record.state = state;
                    entry.record.delete_date = delete_date;
                }
            }
            Change::PutAlias { alias, key_id } => {
                self.unlink_alias(&alias);
                if let Some(entry) = self.keys.get_mut(&key_id) {
                    entry.aliases.push(alias.clone());
                    entry.aliases.sort();
                    self.aliases.insert(alias, key_id);
                }
            }
            Change::DeleteAlias { alias } => self.unlink_alias(&alias),
        }
    }

    fn unlink_alias(&mut self, alias: &str) {
        if let Some(old) = self.aliases.remove(alias) {
            if let Some(entry) = self.keys.get_mut(&old) {
                entry.aliases.retain(|a| a != alias);
            }
        }
    }

    /// Removes every key whose deletion window has passed at `now`, with its aliases.
    pub fn purge_expired(&mut self, now: UnixMillis) {
        let expired: Vec<Arc<str>> = self
            .keys
            .values()
            .filter(|e| e.is_expired(now))
            .map(|e| e.record.id.clone())
            .collect();
        for id in expired {
            if let Some(entry) = self.keys.remove(&id) {
                for a in entry.aliases {
                    self.aliases.remove(&a);
                }
            }
        }
    }

    /// The key named by `key` (an id or an alias), unless it is missing or expired at `now`.
    pub fn resolve(&self, key: &str, now: UnixMillis) -> Result<&KeyEntry> {
        if key.is_empty() {
            return Err(Error::InvalidArgument(
                "the key id or alias is empty".into(),
            ));
        }
        let id: &str = if alias::is_alias(key) {
            alias::validate(key)?;
            self.aliases
                .get(key)
                .ok_or_else(|| Error::NotFound(format!("alias {key:?} does not exist")))?
        } else {
            key
        };
        match self.keys.get(id) {
            Some(entry) if !entry.is_expired(now) => Ok(entry),
            _ => Err(Error::NotFound(format!("key {key:?} does not exist"))),
        }
    }

    /// The key id an alias names, if the alias exists.
    pub fn alias_target(&self, alias: &str) -> Option<&Arc<str>> {
        self.aliases.get(alias)
    }

    /// Every key not expired at `now`, in the order they were made.
    pub fn keys(&self, now: UnixMillis) -> Vec<&KeyEntry> {
        let mut keys: Vec<&KeyEntry> = self.keys.values().filter(|e| !e.is_expired(now)).collect();
        keys.sort_by_key(|e| e.seq);
        keys
    }
}
