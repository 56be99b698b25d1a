//! AWS KMS, JSON 1.1 (`X-Amz-Target: TrentService.<Operation>`), as boto3, the AWS CLI and
//! aws-sdk-go-v2 call it. ARNs as `KeyId` in responses, epoch-second timestamps, DER public
//! keys, errors as `{"__type", "message"}` with `x-amzn-ErrorType`.
//!
//! AWS has no key versions: a key id, key ARN, alias or alias ARN means the key's newest
//! version; a key version id given as `KeyId` means that version (the response then carries
//! `KeyVersionId` too).

use serde_json::{json, Map, Value};

use akms::{Algorithm, KeySpec, KeyUsage, MessageType};

use super::auth::{self, sigv4};
use super::errors::{lookup, Fault, Kind};
use super::handler::{b64_decode, b64_encode, pem_body, Outcome, Response, Server};
use super::request::Request;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Each operation and the akms operation it is authorized (and audited) as.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("CreateKey", "CreateKey"),
    ("DescribeKey", "DescribeKey"),
    ("ListKeys", "ListKeys"),
    ("ListAliases", "ListKeys"),
    ("CreateAlias", "CreateAlias"),
    ("UpdateAlias", "UpdateAlias"),
    ("DeleteAlias", "DeleteAlias"),
    ("EnableKey", "EnableKey"),
    ("DisableKey", "DisableKey"),
    ("ScheduleKeyDeletion", "ScheduleKeyDeletion"),
    ("CancelKeyDeletion", "CancelKeyDeletion"),
    ("GetPublicKey", "GetPublicKey"),
    ("Sign", "AsymmetricSign"),
    ("Verify", "AsymmetricVerify"),
    ("Encrypt", "AsymmetricEncrypt"),
    ("Decrypt", "AsymmetricDecrypt"),
];

/// The operation a request names in `X-Amz-Target`.
pub fn operation_of(req: &Request) -> Option<&str> {
    req.header("x-amz-target")?
        .trim()
        .strip_prefix("TrentService.")
}

/// The key a request's body names (`KeyId`), as the store takes it; for scheduling only.
pub fn key_name_of(req: &Request) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct KeyOnly {
        #[serde(rename = "KeyId")]
        key_id: String,
    }
    let k: KeyOnly = serde_json::from_slice(&req.body).ok()?;
    Some(strip_arn(&k.key_id).unwrap_or(k.key_id))
}

/// `arn:...:key/ID` → ID, `arn:...:alias/NAME` → alias/NAME; `None` if not an ARN.
fn strip_arn(given: &str) -> Option<String> {
    let rest = given.strip_prefix("arn:")?;
    let resource = rest.splitn(5, ':').nth(4)?;
    match resource.strip_prefix("key/") {
        Some(id) => Some(id.to_ascii_lowercase()),
        None => Some(resource.to_owned()),
    }
}

pub fn akms_operation(op: &str) -> Option<&'static str> {
    OPERATIONS.iter().find(|(o, _)| *o == op).map(|(_, a)| *a)
}

// ---- names: AWS ↔ akms ------------------------------------------------------------------

fn spec_from_aws(s: &str) -> Option<KeySpec> {
    Some(match s {
        "RSA_2048" => KeySpec::Rsa2048,
        "RSA_3072" => KeySpec::Rsa3072,
        "ECC_NIST_P256" => KeySpec::EcP256,
        "ECC_SECG_P256K1" => KeySpec::EcP256k,
        "SM2" => KeySpec::EcSm2,
        _ => return None,
    })
}

fn spec_to_aws(s: &str) -> &'static str {
    match s {
        "RSA_2048" => "RSA_2048",
        "RSA_3072" => "RSA_3072",
        "EC_P256" => "ECC_NIST_P256",
        "EC_P256K" => "ECC_SECG_P256K1",
        _ => "SM2",
    }
}

fn usage_from_aws(s: &str) -> Option<KeyUsage> {
    match s {
        "SIGN_VERIFY" => Some(KeyUsage::SignVerify),
        "ENCRYPT_DECRYPT" => Some(KeyUsage::EncryptDecrypt),
        _ => None,
    }
}

fn usage_to_aws(s: &str) -> &'static str {
    if s == KeyUsage::SignVerify.name() {
        "SIGN_VERIFY"
    } else {
        "ENCRYPT_DECRYPT"
    }
}

const ALGORITHMS: &[(&str, Algorithm)] = &[
    ("RSASSA_PSS_SHA_256", Algorithm::RsaPssSha256),
    ("RSASSA_PKCS1_V1_5_SHA_256", Algorithm::RsaPkcs1Sha256),
    ("ECDSA_SHA_256", Algorithm::EcdsaSha256),
    ("SM2DSA", Algorithm::Sm2Dsa),
    ("RSAES_OAEP_SHA_1", Algorithm::RsaesOaepSha1),
    ("RSAES_OAEP_SHA_256", Algorithm::RsaesOaepSha256),
    ("SM2PKE", Algorithm::Sm2Pke),
];

/// AWS algorithm names that no akms key supports.
const OTHER_AWS_ALGORITHMS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "ML_DSA_SHAKE_256",
];

fn alg_from_aws(s: &str) -> Option<Algorithm> {
    ALGORITHMS.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
}

fn alg_to_aws(a: Algorithm) -> &'static str {
    ALGORITHMS
        .iter()
        .find(|(_, x)| *x == a)
        .map_or("", |(n, _)| n)
}

/// `SigningAlgorithms` or `EncryptionAlgorithms` of a key, with the field name.
fn algorithms(spec: &str, usage: &str) -> (&'static str, Vec<&'static str>) {
    let spec: KeySpec = spec.parse().unwrap_or(KeySpec::EcP256);
    let usage: KeyUsage = usage.parse().unwrap_or(KeyUsage::SignVerify);
    let field = match usage {
        KeyUsage::SignVerify => "SigningAlgorithms",
        KeyUsage::EncryptDecrypt => "EncryptionAlgorithms",
    };
    let list = ALGORITHMS
        .iter()
        .filter(|(_, a)| a.fits_spec(spec) && a.usage() == usage)
        .map(|(n, _)| *n)
        .collect();
    (field, list)
}

// ---- requests and responses ---------------------------------------------------------------

pub fn error_response(fault: &Fault, request_id: &str) -> Response {
    let row = lookup(fault.kind);
    Response {
        status: row.aws_http,
        content_type: CONTENT_TYPE,
        headers: vec![
            ("x-amzn-errortype", row.aws_type.to_owned()),
            ("x-amzn-requestid", request_id.to_owned()),
        ],
        body: serde_json::to_vec(&json!({"__type": row.aws_type, "message": fault.message}))
            .unwrap_or_default(),
    }
}

pub fn handle(server: &Server, req: &Request, request_id: &str) -> Outcome {
    let mut outcome = Outcome {
        response: Response {
            status: 200,
            content_type: CONTENT_TYPE,
            headers: vec![],
            body: vec![],
        },
        operation: None,
        access_key_id: String::new(),
        principal: None,
        fault: None,
    };
    let op = operation_of(req).map(str::to_owned);
    outcome.operation = op.as_deref().and_then(akms_operation);
    let auth = sigv4::parse_authorization(req.header("authorization").unwrap_or(""));
    // The access key the request claims, for the audit log, before it is verified.
    if let Ok(a) = &auth {
        outcome.access_key_id.clone_from(&a.access_key_id);
    }
    let result = (|| -> Result<Value, Fault> {
        let (authn, region) =
            sigv4::verify(req, auth?, &server.credentials, super::handler::now_secs())?;
        let principal = server
            .credentials
            .get(&authn.access_key_id)
            .expect("verified keys are listed");
        outcome.principal = Some(principal.store.principal().to_owned());
        let op = op.ok_or_else(|| {
            Fault::new(
                Kind::UnknownAction,
                "X-Amz-Target must be TrentService.<Operation>",
            )
        })?;
        if outcome.operation.is_none() {
            return Err(Fault::new(
                Kind::UnknownAction,
                format!("the operation {op:?} is not supported"),
            ));
        }
        let body: Value = if req.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&req.body)
                .map_err(|e| Fault::invalid(format!("the body is not JSON: {e}")))?
        };
        let Value::Object(input) = body else {
            return Err(Fault::invalid("the body must be a JSON object"));
        };
        let ctx = Ctx {
            server,
            store: &principal.store,
            region: &region,
            input: &input,
        };
        ctx.call(&op)
    })();
    match result {
        Ok(body) => {
            outcome
                .response
                .headers
                .push(("x-amzn-requestid", request_id.to_owned()));
            outcome.response.body = serde_json::to_vec(&body).unwrap_or_default();
        }
        Err(fault) => {
            outcome.response = error_response(&fault, request_id);
            outcome.fault = Some(fault);
        }
    }
    outcome
}

/// A key as a request named it, resolved: what to give the store, and the version to use.
struct Target {
    /// The key id or alias to pass to the store.
    key: String,
    /// The key's id.
    key_id: String,
    version: String,
    /// The request named this version itself (KeyId was a version id).
    explicit_version: bool,
}

struct Ctx<'a> {
    server: &'a Server,
    store: &'a akms::Store,
    region: &'a str,
    input: &'a Map<String, Value>,
}

impl Ctx<'_> {
    fn arn(&self, key_id: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{key_id}",
            self.region, self.server.account
        )
    }

    fn opt_str(&self, name: &str) -> Result<Option<&str>, Fault> {
        match self.input.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Fault::invalid(format!("{name} must be a string"))),
        }
    }

    fn str(&self, name: &str) -> Result<&str, Fault> {
        self.opt_str(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Fault::missing(name))
    }

    fn blob(&self, name: &str) -> Result<Vec<u8>, Fault> {
        b64_decode(name, self.str(name)?)
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>, Fault> {
        match self.input.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Fault::invalid(format!("{name} must be an integer"))),
        }
    }

    /// A key id, key ARN, alias name or alias ARN as the store takes it (id or alias).
    fn key_name(&self, given: &str) -> Result<String, Fault> {
        if let Some(rest) = given.strip_prefix("arn:") {
            // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() != 5 || parts[1] != "kms" {
                return Err(Fault::new(
                    Kind::KeyNotFound,
                    format!("{given:?} is not a KMS key ARN"),
                ));
            }
            let resource = parts[4];
            return match resource.strip_prefix("key/") {
                Some(id) => Ok(id.to_ascii_lowercase()),
                None if resource.starts_with("alias/") => Ok(resource.to_owned()),
                None => Err(Fault::new(
                    Kind::KeyNotFound,
                    format!("{given:?} is not a key or alias ARN"),
                )),
            };
        }
        if given.starts_with("alias/") {
            Ok(given.to_owned())
        } else {
            Ok(given.to_ascii_lowercase())
        }
    }

    /// Resolves `KeyId` (or another field) to the key and version to use.
    fn target(&self, field: &str) -> Result<Target, Fault> {
        let name = self.key_name(self.str(field)?)?;
        let server = self.server;
        match server.root.list_key_versions(&name) {
            Ok(versions) => {
                let newest = versions
                    .last()
                    .ok_or_else(|| Fault::new(Kind::KeyNotFound, "the key has no versions"))?;
                Ok(Target {
                    key: name,
                    key_id: newest.key_id.clone(),
                    version: newest.key_version_id.clone(),
                    explicit_version: false,
                })
            }
            Err(e) if e.status() == akms::Status::NotFound && akms::core::id::is_uuid(&name) => {
                let owner = self.owner_of_version(&name).ok_or_else(|| Fault::from(e))?;
                Ok(Target {
                    key: owner.clone(),
                    key_id: owner,
                    version: name,
                    explicit_version: true,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The key a version id belongs to (cached; the cache is refreshed on a miss).
    fn owner_of_version(&self, version: &str) -> Option<String> {
        let server = self.server;
        if let Some(k) = server
            .version_owner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(version)
        {
            return Some(k.clone());
        }
        let keys = server.root.list_keys().ok()?;
        let mut map = server
            .version_owner
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for k in keys {
            if let Ok(vs) = server.root.list_key_versions(&k.key_id) {
                for v in vs {
                    map.insert(v.key_version_id, v.key_id);
                }
            }
        }
        map.get(version).cloned()
    }

    /// A key's metadata in AWS's shape.
    fn metadata(&self, key: &str) -> Result<Value, Fault> {
        let m = self.server.root.describe_key(key)?;
        let created = auth::parse_iso8601(&m.creation_date).unwrap_or(0);
        let (field, algs) = algorithms(m.key_spec, m.key_usage);
        let mut v = json!({
            "AWSAccountId": self.server.account,
            "KeyId": m.key_id,
            "Arn": self.arn(&m.key_id),
            "CreationDate": created,
            "Enabled": m.key_state == "Enabled",
            "Description": m.description,
            "KeyUsage": usage_to_aws(m.key_usage),
            "KeyState": m.key_state,
            "Origin": if m.origin == "EXTERNAL" { "EXTERNAL" } else { "AWS_KMS" },
            "KeyManager": "CUSTOMER",
            "CustomerMasterKeySpec": spec_to_aws(m.key_spec),
            "KeySpec": spec_to_aws(m.key_spec),
            "MultiRegion": false,
        });
        v[field] = json!(algs);
        if let Some(d) = m.delete_date.as_deref().and_then(auth::parse_iso8601) {
            v["DeletionDate"] = json!(d);
        }
        Ok(v)
    }

    /// `{"KeyId": ARN}` plus `KeyVersionId` when the request named a version.
    fn key_fields(&self, t: &Target) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("KeyId".into(), json!(self.arn(&t.key_id)));
        if t.explicit_version {
            m.insert("KeyVersionId".into(), json!(t.version));
        }
        m
    }

    /// The algorithm named in `field`: one of akms's; an AWS algorithm akms has no key for
    /// (SHA-384, symmetric, ...) is `InvalidKeyUsageException` as AWS answers it for a key
    /// that lacks it; a name AWS does not know is `ValidationException`.
    fn algorithm(&self, field: &str) -> Result<Algorithm, Fault> {
        let name = self.opt_str(field)?.unwrap_or("SYMMETRIC_DEFAULT");
        alg_from_aws(name).ok_or_else(|| {
            if OTHER_AWS_ALGORITHMS.contains(&name) {
                Fault::new(
                    Kind::Incompatible,
                    format!("{field} {name:?} is not supported by this key"),
                )
            } else {
                Fault::invalid(format!("{field} {name:?} is not a valid algorithm"))
            }
        })
    }

    fn message_type(&self) -> Result<MessageType, Fault> {
        match self.opt_str("MessageType")?.unwrap_or("RAW") {
            "RAW" => Ok(MessageType::Raw),
            "DIGEST" => Ok(MessageType::Digest),
            other => Err(Fault::invalid(format!(
                "MessageType {other:?} must be RAW or DIGEST"
            ))),
        }
    }

    /// Paging of ListKeys and ListAliases: (start, limit).
    fn paging(&self) -> Result<(usize, usize), Fault> {
        let limit = self.opt_int("Limit")?.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(Fault::invalid("Limit must be from 1 to 1000"));
        }
        let start = match self.opt_str("Marker")? {
            None => 0,
            Some(m) => m
                .parse::<usize>()
                .map_err(|_| Fault::invalid("Marker is not one this server returned"))?,
        };
        Ok((start, limit as usize))
    }

    fn page<T>(&self, items: Vec<T>, field: &str, f: impl Fn(&T) -> Value) -> Result<Value, Fault> {
        let (start, limit) = self.paging()?;
        let page: Vec<Value> = items.iter().skip(start).take(limit).map(f).collect();
        let mut out = json!({ field: page, "Truncated": start + limit < items.len() });
        if start + limit < items.len() {
            out["NextMarker"] = json!((start + limit).to_string());
        }
        Ok(out)
    }

    fn call(&self, op: &str) -> Result<Value, Fault> {
        let store = self.store;
        Ok(match op {
            "CreateKey" => {
                let spec_name = match (
                    self.opt_str("KeySpec")?,
                    self.opt_str("CustomerMasterKeySpec")?,
                ) {
                    (Some(s), _) | (None, Some(s)) => s,
                    (None, None) => "SYMMETRIC_DEFAULT",
                };
                let spec = spec_from_aws(spec_name).ok_or_else(|| {
                    Fault::invalid(format!(
                        "KeySpec {spec_name:?} is not supported (asymmetric specs only)"
                    ))
                })?;
                let usage_name = self.opt_str("KeyUsage")?.unwrap_or("ENCRYPT_DECRYPT");
                let usage = usage_from_aws(usage_name).ok_or_else(|| {
                    Fault::invalid(format!("KeyUsage {usage_name:?} is not supported"))
                })?;
                if let Some(origin) = self.opt_str("Origin")?.filter(|o| *o != "AWS_KMS") {
                    return Err(Fault::invalid(format!(
                        "Origin {origin:?} is not supported"
                    )));
                }
                let (id, _) = store.create_key(spec, usage, self.opt_str("Description")?)?;
                json!({"KeyMetadata": self.metadata(&id)?})
            }
            "DescribeKey" => {
                let t = self.target("KeyId")?;
                store.describe_key(&t.key)?;
                json!({"KeyMetadata": self.metadata(&t.key_id)?})
            }
            "ListKeys" => {
                let keys = store.list_keys()?;
                self.page(
                    keys,
                    "Keys",
                    |k| json!({"KeyId": k.key_id, "KeyArn": self.arn(&k.key_id)}),
                )?
            }
            "ListAliases" => {
                let only = match self.opt_str("KeyId")? {
                    Some(k) => Some(self.target_key_id(k)?),
                    None => None,
                };
                let keys = store.list_keys()?;
                let mut aliases: Vec<(String, String)> = keys
                    .iter()
                    .filter(|k| only.as_ref().is_none_or(|o| *o == k.key_id))
                    .flat_map(|k| k.aliases.iter().map(|a| (a.clone(), k.key_id.clone())))
                    .collect();
                aliases.sort();
                self.page(aliases, "Aliases", |(a, k)| {
                    json!({
                        "AliasName": a,
                        "AliasArn": format!("arn:aws:kms:{}:{}:{a}", self.region, self.server.account),
                        "TargetKeyId": k,
                    })
                })?
            }
            "CreateAlias" | "UpdateAlias" => {
                let alias = self.str("AliasName")?;
                let key = self.key_name(self.str("TargetKeyId")?)?;
                if op == "CreateAlias" {
                    store.create_alias(alias, &key)?;
                } else {
                    store.update_alias(alias, &key)?;
                }
                json!({})
            }
            "DeleteAlias" => {
                store.delete_alias(self.str("AliasName")?)?;
                json!({})
            }
            "EnableKey" | "DisableKey" | "CancelKeyDeletion" => {
                let t = self.target("KeyId")?;
                match op {
                    "EnableKey" => store.enable_key(&t.key)?,
                    "DisableKey" => store.disable_key(&t.key)?,
                    _ => store.cancel_key_deletion(&t.key)?,
                }
                if op == "CancelKeyDeletion" {
                    json!({"KeyId": self.arn(&t.key_id)})
                } else {
                    json!({})
                }
            }
            "ScheduleKeyDeletion" => {
                let t = self.target("KeyId")?;
                let days = self.opt_int("PendingWindowInDays")?.unwrap_or(30);
                let days = u32::try_from(days)
                    .map_err(|_| Fault::invalid("PendingWindowInDays must be from 7 to 30"))?;
                store.schedule_key_deletion(&t.key, days)?;
                let m = self.server.root.describe_key(&t.key_id)?;
                json!({
                    "KeyId": self.arn(&t.key_id),
                    "DeletionDate": m.delete_date.as_deref().and_then(auth::parse_iso8601),
                    "KeyState": m.key_state,
                    "PendingWindowInDays": days,
                })
            }
            "GetPublicKey" => {
                let t = self.target("KeyId")?;
                let pem = store.get_public_key(&t.key, &t.version)?;
                let (spec, usage) = self
                    .server
                    .spec_of(&t.key_id)
                    .ok_or_else(|| Fault::new(Kind::KeyNotFound, "the key is gone"))?;
                let mut out = self.key_fields(&t);
                let (field, algs) = algorithms(spec, usage);
                out.insert("PublicKey".into(), json!(pem_body(&pem)));
                out.insert("CustomerMasterKeySpec".into(), json!(spec_to_aws(spec)));
                out.insert("KeySpec".into(), json!(spec_to_aws(spec)));
                out.insert("KeyUsage".into(), json!(usage_to_aws(usage)));
                out.insert(field.into(), json!(algs));
                Value::Object(out)
            }
            "Sign" | "Verify" => {
                let t = self.target("KeyId")?;
                let alg = self.algorithm("SigningAlgorithm")?;
                let message_type = self.message_type()?;
                let message = zeroize::Zeroizing::new(self.blob("Message")?);
                let mut out = self.key_fields(&t);
                out.insert("SigningAlgorithm".into(), json!(alg_to_aws(alg)));
                if op == "Sign" {
                    let sig =
                        store.asymmetric_sign(&t.key, &t.version, alg, message_type, &message)?;
                    out.insert("Signature".into(), json!(b64_encode(&sig)));
                } else {
                    let sig = self.blob("Signature")?;
                    if !store.asymmetric_verify(
                        &t.key,
                        &t.version,
                        alg,
                        message_type,
                        &message,
                        &sig,
                    )? {
                        return Err(Fault::new(
                            Kind::InvalidSignature,
                            "the signature is not valid",
                        ));
                    }
                    out.insert("SignatureValid".into(), json!(true));
                }
                Value::Object(out)
            }
            "Encrypt" => {
                let t = self.target("KeyId")?;
                let alg = self.algorithm("EncryptionAlgorithm")?;
                let plaintext = zeroize::Zeroizing::new(self.blob("Plaintext")?);
                let ct = store.asymmetric_encrypt(&t.key, &t.version, alg, &plaintext)?;
                let mut out = self.key_fields(&t);
                out.insert("CiphertextBlob".into(), json!(b64_encode(&ct)));
                out.insert("EncryptionAlgorithm".into(), json!(alg_to_aws(alg)));
                Value::Object(out)
            }
            "Decrypt" => {
                let t = self.target("KeyId")?;
                let alg = self.algorithm("EncryptionAlgorithm")?;
                let ct = self.blob("CiphertextBlob")?;
                let pt = store.asymmetric_decrypt(&t.key, &t.version, alg, &ct)?;
                let mut out = self.key_fields(&t);
                out.insert("Plaintext".into(), json!(b64_encode(&pt)));
                out.insert("EncryptionAlgorithm".into(), json!(alg_to_aws(alg)));
                Value::Object(out)
            }
            other => {
                return Err(Fault::new(
                    Kind::UnknownAction,
                    format!("the operation {other:?} is not supported"),
                ))
            }
        })
    }

    /// The key id a ListAliases `KeyId` names.
    fn target_key_id(&self, given: &str) -> Result<String, Fault> {
        let name = self.key_name(given)?;
        Ok(self.server.root.describe_key(&name)?.key_id)
    }
}
