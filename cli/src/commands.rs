//! The commands: each turns its options into `akms::Store` calls and prints the KMS response.
//!
//! Responses carry the resolved key id (`KeyId`) even when the command named the key by alias.

use akms::core::KeyMetadata;
use akms::{KeySpec, Store};
use clap::error::ErrorKind;

use crate::cli::Command;
use crate::error::{usage, Failure, Outcome};
use crate::input::{is_stdio, pkcs8_der, read_input};
use crate::output::{write_out, Response, Value};
use crate::progress;

/// Runs `command` (any but `serve` and `completions`) on `store`.
pub fn run(command: Command, store: &Store) -> Result<Outcome, Failure> {
    let response = match command {
        Command::CreateKey(a) => {
            let (key_id, version_id) = keygen(a.key_spec, || {
                store.create_key(a.key_spec, a.key_usage, a.description.as_deref())
            })?;
            with_metadata(store, key_id, version_id)?
        }
        Command::CreateKeyVersion(a) => {
            let meta = store.describe_key(&a.key)?;
            let spec: KeySpec = meta.key_spec.parse()?;
            let version_id = keygen(spec, || store.create_key_version(&meta.key_id))?;
            ids(&meta.key_id, &version_id)
        }
        Command::ImportKey(a) => {
            let der = pkcs8_der(read_input(&a.input)?)?;
            let (key_id, version_id) =
                store.import_key(a.key_usage, &der, a.description.as_deref())?;
            with_metadata(store, key_id, version_id)?
        }
        Command::ImportKeyVersion(a) => {
            let der = pkcs8_der(read_input(&a.input)?)?;
            let version_id = store.import_key_version(&a.key, &der)?;
            ids(&key_id(store, &a.key), &version_id)
        }
        Command::DescribeKey(a) => {
            Response::new().value("KeyMetadata", Value::Metadata(store.describe_key(&a.key)?))
        }
        Command::ListKeys => Response::new().value("Keys", Value::Keys(store.list_keys()?)),
        Command::ListKeyVersions(a) => Response::new().value(
            "KeyVersions",
            Value::Versions(store.list_key_versions(&a.key)?),
        ),
        Command::CreateAlias(a) => {
            store.create_alias(&a.alias, &a.key)?;
            alias_response(store, &a.alias)
        }
        Command::UpdateAlias(a) => {
            store.update_alias(&a.alias, &a.key)?;
            alias_response(store, &a.alias)
        }
        Command::DeleteAlias(a) => {
            // The key the alias named, read before it goes.
            let key_id = store.describe_key(&a.alias).ok().map(|m| m.key_id);
            store.delete_alias(&a.alias)?;
            let response = Response::new();
            let response = match key_id {
                Some(id) => response.str("KeyId", id),
                None => response,
            };
            response.str("AliasName", a.alias)
        }
        Command::EnableKey(a) => state_change(store, &a.key, Store::enable_key)?,
        Command::DisableKey(a) => state_change(store, &a.key, Store::disable_key)?,
        Command::CancelKeyDeletion(a) => state_change(store, &a.key, Store::cancel_key_deletion)?,
        Command::ScheduleKeyDeletion(a) => state_change(store, &a.key, |s, k| {
            s.schedule_key_deletion(k, a.pending_window_days)
        })?,
        Command::GetPublicKey(a) => {
            let v = &a.version;
            let pem = store.get_public_key(&v.key, &v.key_version)?;
            let r = ids(&key_id(store, &v.key), &v.key_version);
            match &a.out {
                Some(path) => {
                    write_out(path, pem.as_bytes(), false)?;
                    r
                }
                None => r.str("PublicKey", pem),
            }
        }
        Command::Sign(a) => {
            let v = &a.version;
            let data = read_input(&a.data.input)?;
            let sig = store.asymmetric_sign(
                &v.key,
                &v.key_version,
                a.data.algorithm,
                a.data.message_type,
                &data,
            )?;
            let r = ids(&key_id(store, &v.key), &v.key_version);
            match &a.out {
                Some(path) => {
                    write_out(path, &sig, false)?;
                    r
                }
                None => r.base64("Value", &sig, false),
            }
        }
        Command::Verify(a) => {
            let v = &a.version;
            if is_stdio(&a.data.input) && is_stdio(&a.signature) {
                return Err(usage(
                    ErrorKind::ArgumentConflict,
                    "--in and --signature cannot both be standard input (-)",
                ));
            }
            let data = read_input(&a.data.input)?;
            let signature = read_input(&a.signature)?;
            let valid = store.asymmetric_verify(
                &v.key,
                &v.key_version,
                a.data.algorithm,
                a.data.message_type,
                &data,
                &signature,
            )?;
            ids(&key_id(store, &v.key), &v.key_version)
                .bool("Value", valid)
                .print()?;
            return Ok(if valid {
                Outcome::Done
            } else {
                Outcome::InvalidSignature
            });
        }
        Command::Encrypt(a) => {
            let v = &a.version;
            let plaintext = read_input(&a.input)?;
            let ciphertext =
                store.asymmetric_encrypt(&v.key, &v.key_version, a.algorithm, &plaintext)?;
            drop(plaintext);
            let r = ids(&key_id(store, &v.key), &v.key_version);
            match &a.out {
                Some(path) => {
                    write_out(path, &ciphertext, false)?;
                    r
                }
                None => r.base64("CiphertextBlob", &ciphertext, false),
            }
        }
        Command::Decrypt(a) => {
            let v = &a.version;
            let ciphertext = read_input(&a.input)?;
            let plaintext =
                store.asymmetric_decrypt(&v.key, &v.key_version, a.algorithm, &ciphertext)?;
            let r = ids(&key_id(store, &v.key), &v.key_version);
            match &a.out {
                Some(path) => {
                    write_out(path, &plaintext, true)?;
                    r
                }
                None => r.base64("Plaintext", &plaintext, true),
            }
        }
        Command::GenerateCsr(a) => {
            let v = &a.version;
            let dns: Vec<&str> = a.dns.iter().map(String::as_str).collect();
            let pem = store.generate_csr(&v.key, &v.key_version, &a.subject, &dns)?;
            let r = ids(&key_id(store, &v.key), &v.key_version);
            match &a.out {
                Some(path) => {
                    write_out(path, pem.as_bytes(), false)?;
                    r
                }
                None => r.str("Csr", pem),
            }
        }
        Command::Serve(_) | Command::Completions { .. } => {
            unreachable!("main runs serve and completions itself")
        }
    };
    response.print()?;
    Ok(Outcome::Done)
}

/// Runs key generation, with a spinner for RSA (seconds for RSA_3072).
fn keygen<T>(spec: KeySpec, work: impl FnOnce() -> akms::Result<T>) -> akms::Result<T> {
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => progress::spin("generating the RSA key pair", work),
        _ => work(),
    }
}

/// The key id that `key` (an id or alias) names, read after a call on it succeeded. Should
/// another process move or delete an alias in between, the name given stands in: the call's
/// success is what counts.
fn key_id(store: &Store, key: &str) -> String {
    store
        .describe_key(key)
        .map_or_else(|_| key.to_string(), |m| m.key_id)
}

/// `{"KeyId", "KeyVersionId"}`.
fn ids(key_id: &str, version_id: &str) -> Response {
    Response::new()
        .str("KeyId", key_id)
        .str("KeyVersionId", version_id)
}

/// `{"KeyId", "KeyVersionId", "KeyMetadata"}` for a new key.
fn with_metadata(store: &Store, key_id: String, version_id: String) -> Result<Response, Failure> {
    let meta: KeyMetadata = store.describe_key(&key_id)?;
    Ok(ids(&key_id, &version_id).value("KeyMetadata", Value::Metadata(meta)))
}

/// `{"KeyId", "AliasName"}` after an alias now names a key.
fn alias_response(store: &Store, alias: &str) -> Response {
    Response::new()
        .str("KeyId", key_id(store, alias))
        .str("AliasName", alias)
}

/// `{"KeyId"}` after a state change.
fn state_change(
    store: &Store,
    key: &str,
    change: impl FnOnce(&Store, &str) -> akms::Result<()>,
) -> Result<Response, Failure> {
    change(store, key)?;
    Ok(Response::new().str("KeyId", key_id(store, key)))
}
