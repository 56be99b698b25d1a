//! The store's contents and the changes that make them: every mutation of a store is one
//! [`Change`] (or a few), validated against a [`State`], made durable by the store's journal
//! (if it has one), and only then applied.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;

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
    /// A key whose deletion window has passed is gone, with its versions and aliases, for
    /// good: whatever a clock says later, it does not come back.
    DeleteKey { key_id: Arc<str> },
}

/// Where a persistent store makes its changes durable, shared with every other opener of the
/// same store (`persist.rs`).
///
/// The journal takes the store's state lock itself, and only to read or change the state: never
/// across the medium's I/O (an fsync, a database round trip, a database that stopped
/// answering), so that calls on the last state seen (signing, say) go on meanwhile. Lock order:
/// the journal's own lock, then the state's.
pub trait Journal: Send + Sync {
    /// Whether other openers may have committed changes since `state` last caught up. Called
    /// before every call of the store: cheap, no I/O, no lock.
    fn stale(&self) -> bool;

    /// Applies to `state` the changes other openers committed since it last caught up.
    fn catch_up(&self, state: &RwLock<State>) -> Result<()>;

    /// The exclusive section, across every opener: catches `state` up with every change
    /// committed before, calls `f` (which validates against that state and returns the
    /// changes to make), makes them durable, and only then applies them to `state`. If `f`
    /// fails, nothing is written and its error is returned. `f` runs with the state's write
    /// lock held; the lock is released while the changes are made durable, and taken again to
    /// apply them (a call in between sees the state without them: they are not acknowledged).
    fn commit(
        &self,
        state: &RwLock<State>,
        f: &mut dyn FnMut(&mut State) -> Result<Vec<Change>>,
    ) -> Result<()>;
}

/// Everything a store holds.
#[derive(Default)]
pub struct State {
    keys: HashMap<Arc<str>, KeyEntry>,
    /// Alias name → key id.
    aliases: BTreeMap<String, Arc<str>>,
    next_seq: u64,
    /// (delete date, key id) of every PendingDeletion key: the next expiry is the first.
    deletions: BTreeSet<(UnixMillis, Arc<str>)>,
    /// The changes the mutation under way has validated (see [`State::stage`]).
    staged: Vec<Change>,
}

impl State {
    /// Applies `change`. Changes are validated before they are made; one that names a
    /// missing key (possible only when replaying a journal) is ignored.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::CreateKey { record, version } => {
                let seq = self.next_seq;
                self.next_seq += 1;
                if let (KeyState::PendingDeletion, Some(date)) = (record.state, record.delete_date)
                {
                    self.deletions.insert((date, record.id.clone()));
                }
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
                    if let Some(old) = entry.record.delete_date {
                        self.deletions.remove(&(old, key_id.clone()));
                    }
                    entry.record.state = state;
                    entry.record.delete_date = delete_date;
                    if let (KeyState::PendingDeletion, Some(date)) = (state, delete_date) {
                        self.deletions.insert((date, key_id));
                    }
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
            Change::DeleteKey { key_id } => {
                if let Some(entry) = self.keys.remove(&key_id) {
                    if let Some(date) = entry.record.delete_date {
                        self.deletions.remove(&(date, key_id));
                    }
                    for a in entry.aliases {
                        self.aliases.remove(&a);
                    }
                }
            }
        }
    }

    /// Records `change` as validated by the mutation under way; the store applies it once it
    /// is durable.
    pub fn stage(&mut self, change: Change) {
        self.staged.push(change);
    }

    /// The changes staged so far, leaving none.
    pub fn take_staged(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.staged)
    }

    /// When the first PendingDeletion key's window ends (`i64::MAX` if there is none).
    pub fn next_expiry(&self) -> UnixMillis {
        self.deletions.first().map_or(UnixMillis::MAX, |(d, _)| *d)
    }

    /// The deletions of every key whose window has passed at `now`.
    pub fn expired(&self, now: UnixMillis) -> Vec<Change> {
        self.deletions
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, id)| Change::DeleteKey { key_id: id.clone() })
            .collect()
    }

    /// How many changes would rebuild this state from nothing (a compacted log's length).
    pub fn live_changes(&self) -> usize {
        self.keys
            .values()
            .map(|e| e.versions.len() + e.aliases.len())
            .sum()
    }

    fn unlink_alias(&mut self, alias: &str) {
        if let Some(old) = self.aliases.remove(alias) {
            if let Some(entry) = self.keys.get_mut(&old) {
                entry.aliases.retain(|a| a != alias);
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
