//! The key store: the API of a KMS over keys held in memory.
//!
//! A [`Store`] is a handle on shared contents. The contents sit behind one `RwLock`, held only
//! to look a key up or to apply a change; key generation and all cryptography run with no lock
//! held, so calls on different keys, or on the same key, proceed in parallel.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use zeroize::Zeroizing;

use super::access::{Action, Call};
use super::alias;
use super::audit::Hub;
use super::clock::{Clock, UnixMillis, DAY_MILLIS};
use super::encrypt;
use super::error::{invalid, Error, Result, Status};
use super::id::new_uuid;
use super::key::{KeyEntry, KeyMetadata, KeyRecord, KeyState, KeyVersion, KeyVersionInfo, Origin};
use super::key_spec::{Algorithm, KeySpec, KeyUsage, MessageType};
use super::keypair::KeyPair;
use super::policy::Access;
use super::sign;
use super::state::{Change, Journal, State};

/// The longest description a key may have, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 8192;

/// The shortest and longest deletion windows, in days.
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<u32> = 7..=30;

/// What every handle on one store shares.
pub(crate) struct Shared {
    pub(crate) state: RwLock<State>,
    pub(crate) clock: Clock,
    pub(crate) journal: Option<Box<dyn Journal>>,
    /// The audit callback of the root handle, which receives every handle's events.
    pub(crate) audit: Hub,
    /// How many changes have been committed (access checks cache decisions until the next).
    pub(crate) changes: AtomicU64,
    /// When the first PendingDeletion key's window ends: from then on, calls delete it durably.
    pub(crate) next_expiry: AtomicI64,
}

/// A handle on a key store. Cheap to clone; every clone sees the same keys. `Send + Sync`:
/// every method may be called from any thread at once.
#[derive(Clone)]
pub struct Store {
    pub(crate) shared: Arc<Shared>,
    /// What this handle may do: `None` for the unrestricted handle (see [`Store::restrict`]).
    pub(crate) access: Option<Arc<Access>>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store held in memory only.
    pub fn new() -> Store {
        Store::with_clock(Clock::system())
    }

    /// An empty in-memory store reading the time from `clock` (tests of deletion windows).
    pub fn with_clock(clock: Clock) -> Store {
        Store::from_parts(State::default(), clock, None)
    }

    /// A store with the given contents whose changes are written to `journal` first.
    pub fn from_parts(state: State, clock: Clock, journal: Option<Box<dyn Journal>>) -> Store {
        let next_expiry = AtomicI64::new(state.next_expiry());
        Store {
            shared: Arc::new(Shared {
                state: RwLock::new(state),
                clock,
                journal,
                audit: Hub::default(),
                changes: AtomicU64::new(0),
                next_expiry,
            }),
            access: None,
        }
    }

    pub(crate) fn now(&self) -> UnixMillis {
        self.shared.clock.now()
    }

    /// Runs one call: the body, then whatever is owed after it (the audit event).
    pub(crate) fn run<'a, T>(
        &self,
        mut call: Call<'a>,
        body: impl FnOnce(&mut Call<'a>) -> Result<T>,
    ) -> Result<T> {
        // A panic in the body (a bug) still gets its event before it travels on.
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.refresh()?;
            body(&mut call)
        })) {
            Ok(result) => result,
            Err(panic) => {
                self.finish(&call, Status::Internal);
                std::panic::resume_unwind(panic)
            }
        };
        self.finish(
            &call,
            result.as_ref().map_or_else(|e| e.status(), |_| Status::Ok),
        );
        result
    }

    /// After a call: its audit event, sent to the root's callback with no lock held.
    ///
    /// The callback may free any handle through the C ABI, also this one when it is the last
    /// on the store: the event is delivered on references of its own to the store's shared
    /// parts and to this handle's rights, so nothing it uses is freed before it returns.
    pub(crate) fn finish(&self, call: &Call<'_>, status: Status) {
        if !self.shared.audit.is_active() {
            return;
        }
        let (shared, access) = (Arc::clone(&self.shared), self.access.clone());
        let principal = access.as_deref().map_or("", |a| &*a.principal);
        shared.audit.emit(principal, &shared.clock, call, status);
    }

    /// Checks this handle's policies allow `call` on `key` (or on no key); the unrestricted
    /// handle may do everything.
    pub(crate) fn authorize(&self, call: &Call<'_>, key: Option<&KeyEntry>) -> Result<()> {
        match &self.access {
            None => Ok(()),
            Some(access) => access.check(call, key, self.shared.changes.load(Ordering::Acquire)),
        }
    }

    /// Before each call: catches up with the changes other openers of the store committed
    /// (one atomic load when there are none). If the medium cannot be read (`Io`: a database
    /// out of reach), the call goes on with the last state seen; a change would then fail in
    /// its own catch-up. Damage (`Corrupt`) fails the call.
    pub(crate) fn refresh(&self) -> Result<()> {
        if let Some(journal) = &self.shared.journal {
            if journal.stale() {
                let caught_up = journal.catch_up(&self.shared.state);
                self.changed(&self.shared.state.read());
                match caught_up {
                    Err(Error::Io(_)) => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }

    /// After the state changed (or may have): what is derived from it.
    fn changed(&self, state: &State) {
        self.shared
            .next_expiry
            .store(state.next_expiry(), Ordering::Release);
        self.shared.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// The time, after deleting (durably) the keys whose deletion window has passed by then,
    /// so that no later call, whatever its clock says, sees them again.
    pub(crate) fn now_deleting_expired(&self) -> UnixMillis {
        let now = self.now();
        if now >= self.shared.next_expiry.load(Ordering::Acquire) {
            // The deletions ride on an empty mutation. If they cannot be written, the keys stay
            // hidden (they are expired at `now`) and the next change writes them.
            let _ = self.mutate(|_, _, _| Ok(()));
        }
        now
    }

    /// Looks up `key` under the read lock, records it in `call`, and runs `f` on it.
    pub(crate) fn with_key<'a, T>(
        &self,
        call: &mut Call<'a>,
        key: &str,
        f: impl FnOnce(&Self, &Call<'a>, &KeyEntry) -> Result<T>,
    ) -> Result<T> {
        let now = self.now_deleting_expired();
        let state = self.shared.state.read();
        let entry = state.resolve(key, now)?;
        call.key_id = Some(entry.record.id.clone());
        f(self, call, entry)
    }

    /// The version of `key` that a cryptographic call may use: found, allowed, fitting `alg`
    /// for an operation of `wanted` usage, and Enabled. The lock is released on return.
    pub(crate) fn usable_version(
        &self,
        call: &mut Call<'_>,
        key: &str,
        version: &str,
        alg: Algorithm,
        wanted: KeyUsage,
    ) -> Result<Arc<KeyVersion>> {
        self.with_key(call, key, |store, call, entry| {
            let v = entry.version(version)?;
            store.authorize(call, Some(entry))?;
            alg.check(entry.record.spec, entry.record.usage, wanted)?;
            entry.check_enabled()?;
            Ok(v.clone())
        })
    }

    /// Stages `change`, validated by the mutation under way (inside [`Store::mutate`]); it is
    /// made durable and applied when that mutation's `f` returns `Ok`.
    pub(crate) fn commit(&self, state: &mut State, change: Change) -> Result<()> {
        state.stage(change);
        Ok(())
    }

    /// Runs `f` under the state's write lock, against the latest committed state, and commits what it
    /// stages. With a journal, this is the exclusive section across every opener of the store:
    /// the changes others committed are applied first, `f` validates against that state, its
    /// changes are made durable and only then applied. Keys whose deletion window has passed
    /// are deleted (durably) first, even if `f` fails. Never generate keys inside `f`.
    pub(crate) fn mutate<T>(
        &self,
        f: impl FnOnce(&Self, &mut State, UnixMillis) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        let mut f = Some(f);
        let mut outcome: Option<Result<T>> = None;
        let mut section = |state: &mut State| -> Result<Vec<Change>> {
            let f = f
                .take()
                .ok_or_else(|| Error::Internal("a store mutation was run twice".into()))?;
            let mut changes = state.expired(now);
            state.take_staged();
            let result = f(self, state, now);
            let staged = state.take_staged();
            if result.is_ok() {
                changes.extend(staged);
            }
            outcome = Some(result);
            Ok(changes)
        };
        // The journal takes the state's lock itself, and not across its I/O (state.rs).
        let written = match &self.shared.journal {
            Some(journal) => journal.commit(&self.shared.state, &mut section),
            None => {
                let mut state = self.shared.state.write();
                section(&mut state).map(|changes| {
                    for change in changes {
                        state.apply(change);
                    }
                })
            }
        };
        self.changed(&self.shared.state.read());
        match (written, outcome) {
            (_, Some(Err(e))) => Err(e),
            (Err(e), _) => Err(e),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(Error::Internal("a store mutation did not run".into())),
        }
    }

    // ---- keys and versions -------------------------------------------------------------

    /// CreateKey: a new key of `spec` and `usage` with one version. Returns (key id, version id).
    pub fn create_key(
        &self,
        spec: KeySpec,
        usage: KeyUsage,
        description: Option<&str>,
    ) -> Result<(String, String)> {
        self.run(Call::new(Action::CreateKey), |call| {
            let description = check_description(description)?;
            self.authorize(call, None)?;
            spec.check_usage(usage)?;
            let pair = KeyPair::generate(spec)?;
            self.add_key(call, spec, usage, description, Origin::Generated, pair)
        })
    }

    /// Inserts a new key holding `pair` as its first version (CreateKey and ImportKey).
    pub(crate) fn add_key(
        &self,
        call: &mut Call<'_>,
        spec: KeySpec,
        usage: KeyUsage,
        description: String,
        origin: Origin,
        pair: KeyPair,
    ) -> Result<(String, String)> {
        let now = self.now();
        let key_id: Arc<str> = new_uuid().into();
        let version_id: Arc<str> = new_uuid().into();
        let version = Arc::new(KeyVersion::new(
            key_id.clone(),
            version_id.clone(),
            now,
            pair,
        )?);
        let record = KeyRecord {
            id: key_id.clone(),
            spec,
            usage,
            state: KeyState::Enabled,
            description,
            creation_date: now,
            origin,
            delete_date: None,
        };
        self.mutate(|store, state, _| {
            // Authorized again in the state the change is applied to (see `add_version`).
            store.authorize(call, None)?;
            store.commit(state, Change::CreateKey { record, version })
        })?;
        call.key_id = Some(key_id.clone());
        call.new_version_id = Some(version_id.clone());
        Ok((key_id.to_string(), version_id.to_string()))
    }

    /// CreateKeyVersion: a new version of an Enabled key. Returns the version id.
    pub fn create_key_version(&self, key: &str) -> Result<String> {
        self.run(Call::new(Action::CreateKeyVersion).key(key), |call| {
            let spec = self.with_key(call, key, |store, call, entry| {
                store.authorize(call, Some(entry))?;
                entry.check_enabled()?;
                Ok(entry.record.spec)
            })?;
            let pair = KeyPair::generate(spec)?;
            self.add_version(call, pair)
        })
    }

    /// Adds `pair` as a new version of the key `call` was checked against (its resolved id:
    /// the key that was checked, even if an alias has moved since), authorizing the call again
    /// under the write lock, in the state the change is applied to. The key may have changed
    /// while the pair was made or read: an alias that granted the right may have moved, a Deny
    /// may now match, the key may be disabled. Records the new version in `call`.
    pub(crate) fn add_version(&self, call: &mut Call<'_>, pair: KeyPair) -> Result<String> {
        let Some(key_id) = call.key_id.clone() else {
            return Err(Error::Internal(
                "a new version for a key never resolved".into(),
            ));
        };
        let version_id: Arc<str> = new_uuid().into();
        self.mutate(|store, state, now| {
            let entry = state.resolve(&key_id, now)?;
            store.authorize(call, Some(entry))?;
            entry.check_enabled()?;
            if entry.record.spec != pair.spec() {
                return Err(Error::Incompatible(format!(
                    "key {} is {}, the new version would be {}",
                    entry.record.id,
                    entry.record.spec,
                    pair.spec()
                )));
            }
            let version = Arc::new(KeyVersion::new(
                entry.record.id.clone(),
                version_id.clone(),
                now,
                pair,
            )?);
            store.commit(state, Change::AddVersion { version })
        })?;
        call.new_version_id = Some(version_id.clone());
        Ok(version_id.to_string())
    }

    /// DescribeKey: the key's metadata.
    pub fn describe_key(&self, key: &str) -> Result<KeyMetadata> {
        self.run(Call::new(Action::DescribeKey).key(key), |call| {
            self.with_key(call, key, |store, call, entry| {
                store.authorize(call, Some(entry))?;
                Ok(entry.metadata())
            })
        })
    }

    /// ListKeys: every key's metadata, in creation order.
    pub fn list_keys(&self) -> Result<Vec<KeyMetadata>> {
        self.run(Call::new(Action::ListKeys), |call| {
            self.authorize(call, None)?;
            let now = self.now_deleting_expired();
            let state = self.shared.state.read();
            Ok(state
                .keys(now)
                .into_iter()
                .map(KeyEntry::metadata)
                .collect())
        })
    }

    /// ListKeyVersions: the key's versions, in creation order.
    pub fn list_key_versions(&self, key: &str) -> Result<Vec<KeyVersionInfo>> {
        self.run(Call::new(Action::ListKeyVersions).key(key), |call| {
            self.with_key(call, key, |store, call, entry| {
                store.authorize(call, Some(entry))?;
                Ok(entry.version_list())
            })
        })
    }

    // ---- aliases ------------------------------------------------------------------------

    /// CreateAlias: `alias` names the key `key` (an id, or another alias). The alias must be
    /// new and the key not pending deletion.
    pub fn create_alias(&self, alias: &str, key: &str) -> Result<()> {
        self.run(Call::new(Action::CreateAlias).key(alias), |call| {
            alias::validate(alias)?;
            self.mutate(|store, state, now| {
                let entry = state.resolve(key, now)?;
                call.key_id = Some(entry.record.id.clone());
                store.authorize(call, Some(entry))?;
                check_aliasable(entry)?;
                if state.alias_target(alias).is_some() {
                    return Err(Error::AlreadyExists(format!(
                        "alias {alias:?} already exists"
                    )));
                }
                let key_id = entry.record.id.clone();
                store.commit(
                    state,
                    Change::PutAlias {
                        alias: alias.to_string(),
                        key_id,
                    },
                )
            })
        })
    }

    /// UpdateAlias: the existing `alias` now names the key `key`.
    pub fn update_alias(&self, alias: &str, key: &str) -> Result<()> {
        self.run(Call::new(Action::UpdateAlias).key(alias), |call| {
            alias::validate(alias)?;
            self.mutate(|store, state, now| {
                if state.alias_target(alias).is_none() {
                    return Err(Error::NotFound(format!("alias {alias:?} does not exist")));
                }
                let old = state.resolve(alias, now)?;
                let entry = state.resolve(key, now)?;
                call.key_id = Some(entry.record.id.clone());
                // Moving an alias needs the right on the key it leaves as well as the new one.
                store.authorize(call, Some(old))?;
                store.authorize(call, Some(entry))?;
                check_aliasable(entry)?;
                let key_id = entry.record.id.clone();
                store.commit(
                    state,
                    Change::PutAlias {
                        alias: alias.to_string(),
                        key_id,
                    },
                )
            })
        })
    }

    /// DeleteAlias: removes `alias`; the key it named is untouched.
    pub fn delete_alias(&self, alias: &str) -> Result<()> {
        self.run(Call::new(Action::DeleteAlias).key(alias), |call| {
            alias::validate(alias)?;
            self.mutate(|store, state, now| {
                let entry = state.resolve(alias, now)?;
                call.key_id = Some(entry.record.id.clone());
                store.authorize(call, Some(entry))?;
                store.commit(
                    state,
                    Change::DeleteAlias {
                        alias: alias.to_string(),
                    },
                )
            })
        })
    }

    // ---- states -------------------------------------------------------------------------

    /// Sets the state of `key` under the write lock, after `check` approves the current one.
    pub(crate) fn set_state(
        &self,
        call: &mut Call<'_>,
        key: &str,
        check: impl FnOnce(&KeyEntry) -> Result<()>,
        to: impl FnOnce(UnixMillis) -> (KeyState, Option<UnixMillis>),
    ) -> Result<()> {
        self.mutate(|store, state, now| {
            let entry = state.resolve(key, now)?;
            call.key_id = Some(entry.record.id.clone());
            store.authorize(call, Some(entry))?;
            check(entry)?;
            let (new_state, delete_date) = to(now);
            if entry.record.state == new_state && entry.record.delete_date == delete_date {
                return Ok(());
            }
            let key_id = entry.record.id.clone();
            store.commit(
                state,
                Change::SetState {
                    key_id,
                    state: new_state,
                    delete_date,
                },
            )
        })
    }

    /// EnableKey: an Enabled or Disabled key becomes Enabled.
    pub fn enable_key(&self, key: &str) -> Result<()> {
        self.run(Call::new(Action::EnableKey).key(key), |call| {
            self.set_state(call, key, not_pending, |_| (KeyState::Enabled, None))
        })
    }

    /// DisableKey: an Enabled or Disabled key becomes Disabled.
    pub fn disable_key(&self, key: &str) -> Result<()> {
        self.run(Call::new(Action::DisableKey).key(key), |call| {
            self.set_state(call, key, not_pending, |_| (KeyState::Disabled, None))
        })
    }

    /// ScheduleKeyDeletion: the key becomes PendingDeletion and is gone after
    /// `pending_window_days` (7 to 30) days.
    pub fn schedule_key_deletion(&self, key: &str, pending_window_days: u32) -> Result<()> {
        self.run(Call::new(Action::ScheduleKeyDeletion).key(key), |call| {
            if !PENDING_WINDOW_DAYS.contains(&pending_window_days) {
                return Err(invalid(format!(
                    "pending window must be 7 to 30 days, got {pending_window_days}"
                )));
            }
            self.set_state(call, key, not_pending, |now| {
                let date = now + i64::from(pending_window_days) * DAY_MILLIS;
                (KeyState::PendingDeletion, Some(date))
            })
        })
    }

    /// CancelKeyDeletion: a PendingDeletion key becomes Enabled.
    pub fn cancel_key_deletion(&self, key: &str) -> Result<()> {
        self.run(Call::new(Action::CancelKeyDeletion).key(key), |call| {
            let pending = |entry: &KeyEntry| match entry.record.state {
                KeyState::PendingDeletion => Ok(()),
                state => Err(Error::InvalidState(format!(
                    "key {} is {}, not PendingDeletion",
                    entry.record.id,
                    state.name()
                ))),
            };
            self.set_state(call, key, pending, |_| (KeyState::Enabled, None))
        })
    }

    // ---- cryptography -------------------------------------------------------------------

    /// GetPublicKey: the version's public key as PEM SubjectPublicKeyInfo (any key state).
    pub fn get_public_key(&self, key: &str, version: &str) -> Result<String> {
        self.run(
            Call::new(Action::GetPublicKey).key(key).version(version),
            |call| {
                self.with_key(call, key, |store, call, entry| {
                    let v = entry.version(version)?;
                    store.authorize(call, Some(entry))?;
                    Ok(v.public_key_pem.clone())
                })
            },
        )
    }

    /// AsymmetricSign: signs `data` (a 32-byte digest, or a raw message).
    pub fn asymmetric_sign(
        &self,
        key: &str,
        version: &str,
        alg: Algorithm,
        message_type: MessageType,
        data: &[u8],
    ) -> Result<Vec<u8>> {
        let call = Call::new(Action::AsymmetricSign)
            .key(key)
            .version(version)
            .algorithm(alg);
        self.run(call, |call| {
            sign::check_data(message_type, data)?;
            let v = self.usable_version(call, key, version, alg, KeyUsage::SignVerify)?;
            sign::sign(v.key_pair()?, alg, message_type, data)
        })
    }

    /// AsymmetricVerify: whether `signature` is valid over `data`. A malformed or wrong
    /// signature is `Ok(false)`.
    pub fn asymmetric_verify(
        &self,
        key: &str,
        version: &str,
        alg: Algorithm,
        message_type: MessageType,
        data: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        let call = Call::new(Action::AsymmetricVerify)
            .key(key)
            .version(version)
            .algorithm(alg);
        self.run(call, |call| {
            sign::check_data(message_type, data)?;
            let v = self.usable_version(call, key, version, alg, KeyUsage::SignVerify)?;
            sign::verify(v.key_pair()?, alg, message_type, data, signature)
        })
    }

    /// AsymmetricEncrypt: encrypts `plaintext` (within the algorithm's size limit).
    pub fn asymmetric_encrypt(
        &self,
        key: &str,
        version: &str,
        alg: Algorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let call = Call::new(Action::AsymmetricEncrypt)
            .key(key)
            .version(version)
            .algorithm(alg);
        self.run(call, |call| {
            let v = self.usable_version(call, key, version, alg, KeyUsage::EncryptDecrypt)?;
            encrypt::encrypt(v.key_pair()?, alg, plaintext)
        })
    }

    /// AsymmetricDecrypt: decrypts `ciphertext`; the plaintext zeroizes on drop.
    pub fn asymmetric_decrypt(
        &self,
        key: &str,
        version: &str,
        alg: Algorithm,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let call = Call::new(Action::AsymmetricDecrypt)
            .key(key)
            .version(version)
            .algorithm(alg);
        self.run(call, |call| {
            let v = self.usable_version(call, key, version, alg, KeyUsage::EncryptDecrypt)?;
            encrypt::decrypt(v.key_pair()?, alg, ciphertext)
        })
    }
}

pub(crate) fn check_description(description: Option<&str>) -> Result<String> {
    let description = description.unwrap_or("");
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(invalid(format!(
            "description is {} bytes, at most {MAX_DESCRIPTION_LEN} are allowed",
            description.len()
        )));
    }
    Ok(description.to_string())
}

fn not_pending(entry: &KeyEntry) -> Result<()> {
    if entry.record.state == KeyState::PendingDeletion {
        return Err(Error::InvalidState(format!(
            "key {} is PendingDeletion; cancel the deletion first",
            entry.record.id
        )));
    }
    Ok(())
}

fn check_aliasable(entry: &KeyEntry) -> Result<()> {
    if entry.record.state == KeyState::PendingDeletion {
        return Err(Error::InvalidState(format!(
            "key {} is PendingDeletion and cannot take an alias",
            entry.record.id
        )));
    }
    Ok(())
}
