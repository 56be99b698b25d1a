//! The operations a handle may be allowed to call, and the record of one call.
//!
//! Every public operation of [`Store`](super::store::Store) runs as a [`Call`]: it names its
//! [`Action`], the key (id or alias), version and algorithm it was given, and once the key is
//! resolved, the key id. Access checks and audit events read the call.

use std::sync::Arc;

use super::key_spec::Algorithm;

/// The operations of the KMS API, named as in policies (`kms:<name>`) and audit events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    CreateKey,
    CreateKeyVersion,
    ImportKey,
    ImportKeyVersion,
    DescribeKey,
    ListKeys,
    ListKeyVersions,
    CreateAlias,
    UpdateAlias,
    DeleteAlias,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    GetPublicKey,
    AsymmetricEncrypt,
    AsymmetricDecrypt,
    AsymmetricSign,
    AsymmetricVerify,
    GenerateCSR,
    Restrict,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 21] = [
        Action::CreateKey,
        Action::CreateKeyVersion,
        Action::ImportKey,
        Action::ImportKeyVersion,
        Action::DescribeKey,
        Action::ListKeys,
        Action::ListKeyVersions,
        Action::CreateAlias,
        Action::UpdateAlias,
        Action::DeleteAlias,
        Action::EnableKey,
        Action::DisableKey,
        Action::ScheduleKeyDeletion,
        Action::CancelKeyDeletion,
        Action::GetPublicKey,
        Action::AsymmetricEncrypt,
        Action::AsymmetricDecrypt,
        Action::AsymmetricSign,
        Action::AsymmetricVerify,
        Action::GenerateCSR,
        Action::Restrict,
    ];

    /// The operation name, e.g. `"AsymmetricSign"`.
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateKey => "CreateKey",
            Action::CreateKeyVersion => "CreateKeyVersion",
            Action::ImportKey => "ImportKey",
            Action::ImportKeyVersion => "ImportKeyVersion",
            Action::DescribeKey => "DescribeKey",
            Action::ListKeys => "ListKeys",
            Action::ListKeyVersions => "ListKeyVersions",
            Action::CreateAlias => "CreateAlias",
            Action::UpdateAlias => "UpdateAlias",
            Action::DeleteAlias => "DeleteAlias",
            Action::EnableKey => "EnableKey",
            Action::DisableKey => "DisableKey",
            Action::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Action::CancelKeyDeletion => "CancelKeyDeletion",
            Action::GetPublicKey => "GetPublicKey",
            Action::AsymmetricEncrypt => "AsymmetricEncrypt",
            Action::AsymmetricDecrypt => "AsymmetricDecrypt",
            Action::AsymmetricSign => "AsymmetricSign",
            Action::AsymmetricVerify => "AsymmetricVerify",
            Action::GenerateCSR => "GenerateCSR",
            Action::Restrict => "Restrict",
        }
    }
}

/// One call on a handle: what it asked for and, once known, which key it touched.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The operation.
    pub action: Action,
    /// The alias the call named, if it named the key by alias.
    pub alias: Option<&'a str>,
    /// The key id the call resolved to (set once the key is found).
    pub key_id: Option<Arc<str>>,
    /// The key id the call named, if it named the key by id (kept even if it is not found).
    pub key_name: Option<&'a str>,
    /// The key version the call named.
    pub version_id: Option<&'a str>,
    /// The key version the call created (CreateKey, CreateKeyVersion, ImportKey,
    /// ImportKeyVersion), once it is added.
    pub new_version_id: Option<Arc<str>>,
    /// The algorithm the call used.
    pub algorithm: Option<Algorithm>,
}

impl<'a> Call<'a> {
    /// A call of `action` that names nothing yet.
    pub fn new(action: Action) -> Call<'a> {
        Call {
            action,
            alias: None,
            key_id: None,
            key_name: None,
            version_id: None,
            new_version_id: None,
            algorithm: None,
        }
    }

    /// Records the key argument: an alias is kept as given, an id once it is resolved.
    pub fn key(mut self, key: &'a str) -> Self {
        if super::alias::is_alias(key) {
            self.alias = Some(key);
        } else if !key.is_empty() {
            self.key_name = Some(key);
        }
        self
    }

    /// Records the version argument.
    pub fn version(mut self, version: &'a str) -> Self {
        self.version_id = Some(version);
        self
    }

    /// Records the algorithm argument.
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = Some(alg);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_distinct() {
        let names: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), Action::ALL.len());
    }

    #[test]
    fn actions_index_all() {
        for (k, action) in Action::ALL.iter().enumerate() {
            assert_eq!(*action as usize, k);
        }
    }
}
