//! The command line: every command and option of `akms`, and nothing else (no behaviour).
//!
//! Spec, usage, algorithm and message type names are the KMS names of the contract; clap
//! refuses any other with a usage error (exit 2) that lists the valid ones.

use std::path::PathBuf;

use akms::{Algorithm, KeySpec, KeyUsage, MessageType};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::serve::ServeArgs;

/// A local asymmetric KMS: keys in a store file, the cloud KMS operations as commands.
///
/// Every command prints one JSON object on standard output with the KMS response field
/// names; binary values are base64 (or go raw to --out FILE). Exit status: 0 success, 1 an
/// invalid signature (verify), 2 a usage error, 10 + the akms status code for an error from
/// akms (12 AKMS_ERR_NOT_FOUND, 19 AKMS_ERR_CORRUPT, ...).
///
/// The passphrase comes from --passphrase-file, else $AKMS_PASSPHRASE_FILE, else
/// $AKMS_PASSPHRASE, else a prompt on the terminal; never from a command-line value.
#[derive(Parser)]
#[command(name = "akms", version, about, long_about, propagate_version = true)]
pub struct Cli {
    /// The store: a file path or a postgresql:// URI [default: $AKMS_STORE, else
    /// $XDG_DATA_HOME/akms/store.akms, else ~/.local/share/akms/store.akms; created on first use]
    #[arg(long, global = true, value_name = "LOCATION")]
    pub store: Option<String>,
    /// A file whose bytes are the passphrase (one trailing newline dropped) [default:
    /// $AKMS_PASSPHRASE_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands: the KMS operations in kebab case, `serve`, and `completions`.
#[derive(Subcommand)]
pub enum Command {
    /// Create a key (CreateKey) with its first version.
    CreateKey(CreateKey),
    /// Add a version (a new key pair) to an Enabled key.
    CreateKeyVersion(KeyArg),
    /// Import a PKCS#8 private key (DER or PEM) as a new key of origin EXTERNAL.
    ImportKey(ImportKey),
    /// Import a PKCS#8 private key (DER or PEM) as a new version of a key of the same spec.
    ImportKeyVersion(ImportKeyVersion),
    /// Show a key's metadata.
    DescribeKey(KeyArg),
    /// List every key's metadata.
    ListKeys,
    /// List a key's versions.
    ListKeyVersions(KeyArg),
    /// Create an alias (alias/NAME) for a key.
    CreateAlias(AliasKey),
    /// Point an existing alias at another key.
    UpdateAlias(AliasKey),
    /// Delete an alias (the key stays).
    DeleteAlias(AliasArg),
    /// Enable a Disabled key.
    EnableKey(KeyArg),
    /// Disable a key: it keeps its versions but does no cryptography.
    DisableKey(KeyArg),
    /// Schedule a key's deletion after a window of 7 to 30 days.
    ScheduleKeyDeletion(ScheduleKeyDeletion),
    /// Cancel a scheduled deletion; the key becomes Enabled.
    CancelKeyDeletion(KeyArg),
    /// Print (or write) a key version's public key, PEM SubjectPublicKeyInfo.
    GetPublicKey(GetPublicKey),
    /// Sign a digest or a message with a key version.
    Sign(Sign),
    /// Verify a signature; exit status 1 if it is invalid.
    Verify(Verify),
    /// Encrypt a file with a key version's public key.
    Encrypt(Crypt),
    /// Decrypt a ciphertext with a key version's private key.
    Decrypt(Crypt),
    /// Make a PKCS#10 certificate signing request signed by a key version.
    GenerateCsr(GenerateCsr),
    /// Serve the store over the Alibaba Cloud and AWS KMS wire protocols.
    Serve(ServeArgs),
    /// Print a shell completion script (e.g. `akms completions bash > /etc/bash_completion.d/akms`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The shells `akms completions` writes scripts for.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `--key K`.
#[derive(Args, Debug)]
pub struct KeyArg {
    /// The key: its id or an alias (alias/NAME).
    #[arg(long, value_name = "K")]
    pub key: String,
}

/// `--key K --key-version V`.
#[derive(Args, Debug)]
pub struct VersionArgs {
    /// The key: its id or an alias (alias/NAME).
    #[arg(long, value_name = "K")]
    pub key: String,
    /// The key version id (see list-key-versions).
    #[arg(long, value_name = "V")]
    pub key_version: String,
}

/// Options of `create-key`.
#[derive(Args, Debug)]
pub struct CreateKey {
    /// The key spec.
    #[arg(long, value_name = "S", value_parser = key_spec())]
    pub key_spec: KeySpec,
    /// The key usage (ENCRYPT/DECRYPT only for RSA and SM2 keys).
    #[arg(long, value_name = "U", value_parser = key_usage())]
    pub key_usage: KeyUsage,
    /// A description (at most 8192 bytes).
    #[arg(long, value_name = "D")]
    pub description: Option<String>,
}

/// Options of `import-key`.
#[derive(Args, Debug)]
pub struct ImportKey {
    /// The key usage (ENCRYPT/DECRYPT only for RSA and SM2 keys).
    #[arg(long, value_name = "U", value_parser = key_usage())]
    pub key_usage: KeyUsage,
    /// The unencrypted PKCS#8 private key, DER or PEM ("-----BEGIN PRIVATE KEY-----"), e.g.
    /// from `openssl genpkey`; - reads standard input. The spec is the key's own.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// A description (at most 8192 bytes).
    #[arg(long, value_name = "D")]
    pub description: Option<String>,
}

/// Options of `import-key-version`.
#[derive(Args, Debug)]
pub struct ImportKeyVersion {
    /// The key: its id or an alias (alias/NAME).
    #[arg(long, value_name = "K")]
    pub key: String,
    /// The unencrypted PKCS#8 private key, DER or PEM, of the key's spec; - reads standard input.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
}

/// `--alias A --key K`.
#[derive(Args, Debug)]
pub struct AliasKey {
    /// The alias: alias/ then 1 to 255 of [a-zA-Z0-9_/-].
    #[arg(long, value_name = "A")]
    pub alias: String,
    /// The key: its id or an alias.
    #[arg(long, value_name = "K")]
    pub key: String,
}

/// `--alias A`.
#[derive(Args, Debug)]
pub struct AliasArg {
    /// The alias: alias/ then 1 to 255 of [a-zA-Z0-9_/-].
    #[arg(long, value_name = "A")]
    pub alias: String,
}

/// Options of `schedule-key-deletion`.
#[derive(Args, Debug)]
pub struct ScheduleKeyDeletion {
    /// The key: its id or an alias (alias/NAME).
    #[arg(long, value_name = "K")]
    pub key: String,
    /// Days until the key is deleted, 7 to 30.
    #[arg(long, value_name = "N")]
    pub pending_window_days: u32,
}

/// Options of `get-public-key`.
#[derive(Args, Debug)]
pub struct GetPublicKey {
    #[command(flatten)]
    pub version: VersionArgs,
    /// Write the PEM to FILE (- for standard output) instead of the "PublicKey" field.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options of `sign`.
#[derive(Args, Debug)]
pub struct Sign {
    #[command(flatten)]
    pub version: VersionArgs,
    #[command(flatten)]
    pub data: SignedData,
    /// Write the DER signature to FILE (- for standard output) instead of the base64 "Value".
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options of `verify`.
#[derive(Args, Debug)]
pub struct Verify {
    #[command(flatten)]
    pub version: VersionArgs,
    #[command(flatten)]
    pub data: SignedData,
    /// The signature: a file of its raw bytes (DER for ECDSA and SM2DSA).
    #[arg(long, value_name = "FILE")]
    pub signature: PathBuf,
}

/// What sign and verify take: the algorithm, the message type and the data.
#[derive(Args, Debug)]
pub struct SignedData {
    /// The signing algorithm: RSA_PSS_SHA_256 (salt 32), RSA_PKCS1_SHA_256 (RSA keys),
    /// ECDSA_SHA_256 (EC_P256, EC_P256K), SM2DSA (EC_SM2).
    #[arg(long, value_name = "A", value_parser = algorithm())]
    pub algorithm: Algorithm,
    /// DIGEST: --in holds the 32-byte digest, e.g. from `openssl dgst -sha256 -binary FILE`
    /// (for SM2DSA, e = SM3(Z || M)). RAW: --in holds the message itself and akms hashes it
    /// (computing Z with the default id 1234567812345678 for SM2DSA).
    #[arg(long, value_name = "T", value_parser = message_type(), default_value = "DIGEST")]
    pub message_type: MessageType,
    /// The digest or message (see --message-type); - reads standard input.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
}

/// Options of `encrypt` and `decrypt`.
#[derive(Args, Debug)]
pub struct Crypt {
    #[command(flatten)]
    pub version: VersionArgs,
    /// RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256 (RSA keys; MGF1 with the same hash, empty label) or
    /// SM2PKE (EC_SM2; DER ciphertext).
    #[arg(long, value_name = "A", value_parser = algorithm())]
    pub algorithm: Algorithm,
    /// The plaintext (encrypt) or ciphertext (decrypt); - reads standard input.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Write the raw result to FILE (- for standard output) instead of the base64
    /// "CiphertextBlob" / "Plaintext" field. A plaintext file is created with mode 0600.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options of `generate-csr`.
#[derive(Args, Debug)]
pub struct GenerateCsr {
    #[command(flatten)]
    pub version: VersionArgs,
    /// The subject, an RFC 4514 string such as CN=example.com,O=Acme,C=CN.
    #[arg(long, value_name = "DN")]
    pub subject: String,
    /// A DNS subject alternative name (repeat for several).
    #[arg(long = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// Write the PEM to FILE (- for standard output) instead of the "Csr" field.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn key_spec() -> impl TypedValueParser<Value = KeySpec> {
    PossibleValuesParser::new(KeySpec::ALL.iter().map(|v| v.name())).map(|s| kms_name(&s))
}

fn key_usage() -> impl TypedValueParser<Value = KeyUsage> {
    PossibleValuesParser::new(KeyUsage::ALL.iter().map(|v| v.name())).map(|s| kms_name(&s))
}

fn algorithm() -> impl TypedValueParser<Value = Algorithm> {
    PossibleValuesParser::new(Algorithm::ALL.iter().map(|v| v.name())).map(|s| kms_name(&s))
}

fn message_type() -> impl TypedValueParser<Value = MessageType> {
    PossibleValuesParser::new(MessageType::ALL.iter().map(|v| v.name())).map(|s| kms_name(&s))
}

/// A name the possible-values parser has already accepted.
fn kms_name<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("clap accepted only the listed KMS names")
}
