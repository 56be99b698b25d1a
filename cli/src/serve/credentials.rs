//! The credentials file: access keys, their secrets, and the store handle each one's
//! requests run on.
//!
//! `{"AccessKeys": [{"AccessKeyId": "...", "AccessKeySecret": "...", "Policy": {...}}]}`:
//! with a Policy the handle is restricted by it (as `Store::restrict`); without one it may do
//! everything, with the AccessKeyId as principal.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::auth::Secrets;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "AccessKeys")]
    access_keys: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: Zeroizing<String>,
    #[serde(rename = "Policy")]
    policy: Option<serde_json::Value>,
}

/// One access key: its secret and its handle on the store.
pub struct Principal {
    secret: Zeroizing<String>,
    pub store: akms::Store,
}

/// Every access key of the credentials file.
pub struct Credentials {
    keys: HashMap<String, Principal>,
}

impl Credentials {
    /// Parses the file's contents and makes each key's handle from `root`.
    pub fn parse(text: &str, root: &akms::Store) -> Result<Credentials, akms::Error> {
        let invalid = |m: String| akms::Error::InvalidArgument(format!("credentials file: {m}"));
        let file: File = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut keys = HashMap::new();
        for e in file.access_keys {
            if e.access_key_id.is_empty() || e.access_key_secret.is_empty() {
                return Err(invalid("an AccessKeyId or AccessKeySecret is empty".into()));
            }
            let policy = match e.policy {
                // A policy that names no principal speaks for its access key.
                Some(serde_json::Value::Object(mut p)) => {
                    p.entry("Principal")
                        .or_insert_with(|| e.access_key_id.clone().into());
                    serde_json::Value::Object(p).to_string()
                }
                Some(p) => p.to_string(),
                None => serde_json::json!({
                    "Principal": e.access_key_id,
                    "Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]}],
                })
                .to_string(),
            };
            let store = root.restrict(&policy).map_err(|err| {
                invalid(format!(
                    "the policy of {:?}: {}",
                    e.access_key_id,
                    err.message()
                ))
            })?;
            let id = e.access_key_id.clone();
            if keys
                .insert(
                    id.clone(),
                    Principal {
                        secret: e.access_key_secret,
                        store,
                    },
                )
                .is_some()
            {
                return Err(invalid(format!("AccessKeyId {id:?} is listed twice")));
            }
        }
        Ok(Credentials { keys })
    }

    pub fn get(&self, access_key_id: &str) -> Option<&Principal> {
        self.keys.get(access_key_id)
    }
}

impl Secrets for Credentials {
    fn secret(&self, access_key_id: &str) -> Option<&[u8]> {
        self.keys.get(access_key_id).map(|p| p.secret.as_bytes())
    }
}
