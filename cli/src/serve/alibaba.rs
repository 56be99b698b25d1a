//! Alibaba Cloud KMS OpenAPI 2016-01-20 (RPC style), as `alibabacloud-kms20160120` and the Go
//! SDK call it: the action in `x-acs-action` (ACS3) or `Action` (RPC signature), parameters in
//! the query and a form body, JSON responses with `RequestId`, errors as
//! `{"RequestId", "HostId", "Code", "Message"}`.

use serde_json::{json, Value};

use akms::{Algorithm, KeySpec, KeyUsage, MessageType};

use super::auth::{self, parse_form};
use super::errors::{lookup, Fault};
use super::handler::{b64_decode, b64_encode, json_response, Outcome, Response, Server};
use super::request::Request;

/// The region and account in Alibaba ARNs (`acs:kms:REGION:ACCOUNT:key/ID`).
const REGION: &str = "local";
const ACCOUNT: &str = "0";

/// Each action and the akms operation it is authorized (and audited) as.
pub const ACTIONS: &[(&str, &str)] = &[
    ("CreateKey", "CreateKey"),
    ("DescribeKey", "DescribeKey"),
    ("ListKeys", "ListKeys"),
    ("CreateKeyVersion", "CreateKeyVersion"),
    ("DescribeKeyVersion", "ListKeyVersions"),
    ("ListKeyVersions", "ListKeyVersions"),
    ("CreateAlias", "CreateAlias"),
    ("UpdateAlias", "UpdateAlias"),
    ("DeleteAlias", "DeleteAlias"),
    ("ListAliases", "ListKeys"),
    ("ListAliasesByKeyId", "DescribeKey"),
    ("EnableKey", "EnableKey"),
    ("DisableKey", "DisableKey"),
    ("ScheduleKeyDeletion", "ScheduleKeyDeletion"),
    ("CancelKeyDeletion", "CancelKeyDeletion"),
    ("GetPublicKey", "GetPublicKey"),
    ("AsymmetricSign", "AsymmetricSign"),
    ("AsymmetricVerify", "AsymmetricVerify"),
    ("AsymmetricEncrypt", "AsymmetricEncrypt"),
    ("AsymmetricDecrypt", "AsymmetricDecrypt"),
];

/// The akms operation of `action`, if it is one of ours.
pub fn operation(action: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, op)| *op)
}

/// The action a request names (header or parameter), without parsing the body.
pub fn action_of(req: &Request) -> Option<String> {
    if let Some(a) = req.header("x-acs-action") {
        return Some(a.trim().to_owned());
    }
    parse_form(&req.query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v)
}

/// The key a request names (`KeyId`), for scheduling only.
pub fn key_name_of(req: &Request) -> Option<String> {
    let params = parameters(req).ok()?;
    let key = params.into_iter().rev().find(|(k, _)| k == "KeyId")?.1;
    Some(if key.starts_with("alias/") {
        key
    } else {
        key.to_ascii_lowercase()
    })
}

pub fn error_response(fault: &Fault, request_id: &str) -> Response {
    let row = lookup(fault.kind);
    json_response(
        row.alibaba_http,
        "application/json;charset=utf-8",
        &json!({
            "RequestId": request_id,
            "HostId": "akms",
            "Code": row.alibaba_code,
            "Message": fault.message,
        }),
    )
}

/// The request's parameters: query, then a form body.
fn parameters(req: &Request) -> Result<Vec<(String, String)>, Fault> {
    let mut params = parse_form(&req.query).map_err(Fault::invalid)?;
    let form = req.header("content-type").is_some_and(|c| {
        c.trim_start()
            .starts_with("application/x-www-form-urlencoded")
    });
    if form && !req.body.is_empty() {
        let body = std::str::from_utf8(&req.body)
            .map_err(|_| Fault::invalid("the form body is not UTF-8"))?;
        params.extend(parse_form(body).map_err(Fault::invalid)?);
    }
    Ok(params)
}

/// The access key a request claims, for the audit log, before it is verified.
fn claimed_key(req: &Request, params: &[(String, String)]) -> String {
    if let Some(a) = req.header("authorization") {
        if let Ok(p) = auth::acs3::parse_authorization(a) {
            return p.access_key_id;
        }
        return String::new();
    }
    params
        .iter()
        .rev()
        .find(|(k, _)| k == "AccessKeyId")
        .map_or_else(String::new, |(_, v)| v.clone())
}

pub fn handle(server: &Server, req: &Request, request_id: &str) -> Outcome {
    let mut outcome = Outcome {
        response: Response {
            status: 200,
            content_type: "",
            headers: vec![],
            body: vec![],
        },
        operation: None,
        access_key_id: String::new(),
        principal: None,
        fault: None,
    };
    let result = (|| -> Result<Value, Fault> {
        let params = parameters(req)?;
        outcome.access_key_id = claimed_key(req, &params);
        let action = match req.header("x-acs-action") {
            Some(a) => Some(a.trim().to_owned()),
            None => params
                .iter()
                .rev()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone()),
        };
        outcome.operation = action.as_deref().and_then(operation);
        let authn = auth::verify_alibaba(
            req,
            &params,
            &server.credentials,
            &server.nonces,
            super::handler::now_secs(),
        )?;
        let principal = server
            .credentials
            .get(&authn.access_key_id)
            .expect("verified keys are listed");
        outcome.principal = Some(principal.store.principal().to_owned());
        let action = action.ok_or_else(|| Fault::missing("Action"))?;
        if outcome.operation.is_none() {
            return Err(Fault::new(
                super::errors::Kind::UnknownAction,
                format!("the action {action:?} is not supported"),
            ));
        }
        let p = Params(&params);
        call(server, &principal.store, &action, &p)
    })();
    match result {
        Ok(mut body) => {
            body["RequestId"] = Value::String(request_id.to_owned());
            outcome.response = json_response(200, "application/json;charset=utf-8", &body);
        }
        Err(fault) => {
            outcome.response = error_response(&fault, request_id);
            outcome.fault = Some(fault);
        }
    }
    outcome
}

/// Typed access to the parameters (the last value of a name wins).
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn req(&self, name: &str) -> Result<&str, Fault> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Fault::missing(name))
    }
    fn b64(&self, name: &str) -> Result<Vec<u8>, Fault> {
        b64_decode(name, self.req(name)?)
    }
    fn number(
        &self,
        name: &str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, Fault> {
        match self.get(name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    Fault::invalid(format!(
                        "{name} must be a number from {} to {}",
                        range.start(),
                        range.end()
                    ))
                }),
        }
    }
    fn algorithm(&self) -> Result<Algorithm, Fault> {
        self.req("Algorithm")?
            .parse()
            .map_err(|e: akms::Error| Fault::invalid(e.message()))
    }
}

fn key_arn(id: &str) -> String {
    format!("acs:kms:{REGION}:{ACCOUNT}:key/{id}")
}

/// The key id that `key` (an id or an alias) names, as the response should show it.
fn key_id_of(server: &Server, key: &str) -> String {
    if key.starts_with("alias/") {
        if let Ok(m) = server.root.describe_key(key) {
            return m.key_id;
        }
    }
    key.to_ascii_lowercase()
}

/// A key's metadata in Alibaba's shape.
fn metadata(server: &Server, key: &str) -> Result<Value, Fault> {
    let m = server.root.describe_key(key)?;
    let primary = server
        .root
        .list_key_versions(&m.key_id)?
        .last()
        .map(|v| v.key_version_id.clone());
    let mut v = json!({
        "KeyId": m.key_id,
        "Arn": key_arn(&m.key_id),
        "KeySpec": m.key_spec,
        "KeyUsage": m.key_usage,
        "KeyState": m.key_state,
        "Description": m.description,
        "CreationDate": m.creation_date,
        "Creator": "akms",
        "Origin": m.origin,
        "ProtectionLevel": "SOFTWARE",
        "AutomaticRotation": "Disabled",
        "DeletionProtection": "Disabled",
        "PrimaryKeyVersion": primary.unwrap_or_default(),
    });
    if let Some(d) = m.delete_date {
        v["DeleteDate"] = Value::String(d);
    }
    Ok(v)
}

/// One page of `items`: (page, total).
fn page<T: Clone>(p: &Params, items: &[T]) -> Result<(Vec<T>, u32, u32), Fault> {
    let number = p.number("PageNumber", 1, 1..=u32::MAX)?;
    let size = p.number("PageSize", 10, 1..=100)?;
    let start = (number as usize - 1).saturating_mul(size as usize);
    let slice = items
        .iter()
        .skip(start)
        .take(size as usize)
        .cloned()
        .collect();
    Ok((slice, number, size))
}

/// One of ListKeys' `Filters`: `{"Key": "KeyState" | "KeySpec" | "KeyUsage", "Values": [...]}`
/// (a key matches when its field is one of the values; every filter must match).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

impl Filter {
    fn matches(&self, k: &akms::core::KeyMetadata) -> bool {
        let field = match self.key.as_str() {
            "KeyState" => k.key_state,
            "KeySpec" => k.key_spec,
            _ => k.key_usage,
        };
        self.values.iter().any(|v| v == field)
    }
}

fn parse_filters(text: Option<&str>) -> Result<Vec<Filter>, Fault> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let filters: Vec<Filter> = serde_json::from_str(text).map_err(|e| {
        Fault::invalid(format!(
            "Filters is not a JSON list of {{Key, Values}}: {e}"
        ))
    })?;
    if let Some(f) = filters
        .iter()
        .find(|f| !matches!(f.key.as_str(), "KeyState" | "KeySpec" | "KeyUsage"))
    {
        return Err(Fault::invalid(format!(
            "the filter key {:?} is not supported (KeyState, KeySpec, KeyUsage)",
            f.key
        )));
    }
    Ok(filters)
}

fn version_json(v: &akms::core::KeyVersionInfo) -> Value {
    json!({"KeyId": v.key_id, "KeyVersionId": v.key_version_id, "CreationDate": v.creation_date})
}

fn alias_json(alias: &str, key_id: &str) -> Value {
    json!({"AliasName": alias, "AliasArn": format!("acs:kms:{REGION}:{ACCOUNT}:{alias}"), "KeyId": key_id})
}

fn call(server: &Server, store: &akms::Store, action: &str, p: &Params) -> Result<Value, Fault> {
    Ok(match action {
        "CreateKey" => {
            let spec = p.get("KeySpec").unwrap_or("Aliyun_AES_256");
            let spec: KeySpec = spec.parse().map_err(|_| {
                Fault::invalid(format!(
                    "KeySpec {spec:?} is not supported (asymmetric specs only)"
                ))
            })?;
            let usage = p.get("KeyUsage").unwrap_or("ENCRYPT/DECRYPT");
            let usage: KeyUsage = usage
                .parse()
                .map_err(|e: akms::Error| Fault::invalid(e.message()))?;
            if let Some(origin) = p.get("Origin").filter(|o| *o != "Aliyun_KMS") {
                return Err(Fault::invalid(format!(
                    "Origin {origin:?} is not supported"
                )));
            }
            let (id, _) = store.create_key(spec, usage, p.get("Description"))?;
            json!({"KeyMetadata": metadata(server, &id)?})
        }
        "DescribeKey" => {
            let key = p.req("KeyId")?;
            store.describe_key(key)?;
            json!({"KeyMetadata": metadata(server, key)?})
        }
        "ListKeys" => {
            let filters = parse_filters(p.get("Filters"))?;
            let keys: Vec<_> = store
                .list_keys()?
                .into_iter()
                .filter(|k| filters.iter().all(|f| f.matches(k)))
                .collect();
            let (items, number, size) = page(p, &keys)?;
            let items: Vec<Value> = items
                .iter()
                .map(|k| json!({"KeyId": k.key_id, "KeyArn": key_arn(&k.key_id)}))
                .collect();
            json!({"Keys": {"Key": items}, "TotalCount": keys.len(), "PageNumber": number, "PageSize": size})
        }
        "CreateKeyVersion" => {
            let key = p.req("KeyId")?;
            let version = store.create_key_version(key)?;
            let key_id = key_id_of(server, key);
            let versions = server.root.list_key_versions(&key_id)?;
            let v = versions
                .iter()
                .find(|v| v.key_version_id == version)
                .ok_or_else(|| Fault::invalid("version vanished"))?;
            json!({"KeyVersion": version_json(v)})
        }
        "DescribeKeyVersion" => {
            let key = p.req("KeyId")?;
            let version = p.req("KeyVersionId")?;
            let versions = store.list_key_versions(key)?;
            let v = versions
                .iter()
                .find(|v| v.key_version_id == version)
                .ok_or_else(|| {
                    Fault::new(
                        super::errors::Kind::VersionNotFound,
                        format!("key {key} has no version {version:?}"),
                    )
                })?;
            json!({"KeyVersion": version_json(v)})
        }
        "ListKeyVersions" => {
            let versions = store.list_key_versions(p.req("KeyId")?)?;
            let (items, number, size) = page(p, &versions)?;
            let items: Vec<Value> = items.iter().map(version_json).collect();
            json!({"KeyVersions": {"KeyVersion": items}, "TotalCount": versions.len(), "PageNumber": number, "PageSize": size})
        }
        "CreateAlias" => {
            store.create_alias(p.req("AliasName")?, p.req("KeyId")?)?;
            json!({})
        }
        "UpdateAlias" => {
            store.update_alias(p.req("AliasName")?, p.req("KeyId")?)?;
            json!({})
        }
        "DeleteAlias" => {
            store.delete_alias(p.req("AliasName")?)?;
            json!({})
        }
        "ListAliases" | "ListAliasesByKeyId" => {
            let keys = if action == "ListAliases" {
                store.list_keys()?
            } else {
                vec![store.describe_key(p.req("KeyId")?)?]
            };
            let mut aliases: Vec<(String, String)> = keys
                .iter()
                .flat_map(|k| k.aliases.iter().map(|a| (a.clone(), k.key_id.clone())))
                .collect();
            aliases.sort();
            let (items, number, size) = page(p, &aliases)?;
            let items: Vec<Value> = items.iter().map(|(a, k)| alias_json(a, k)).collect();
            json!({"Aliases": {"Alias": items}, "TotalCount": aliases.len(), "PageNumber": number, "PageSize": size})
        }
        "EnableKey" => {
            store.enable_key(p.req("KeyId")?)?;
            json!({})
        }
        "DisableKey" => {
            store.disable_key(p.req("KeyId")?)?;
            json!({})
        }
        "ScheduleKeyDeletion" => {
            let days = p.req("PendingWindowInDays")?;
            let days: u32 = days
                .trim()
                .parse()
                .map_err(|_| Fault::invalid("PendingWindowInDays must be a number of days"))?;
            store.schedule_key_deletion(p.req("KeyId")?, days)?;
            json!({})
        }
        "CancelKeyDeletion" => {
            store.cancel_key_deletion(p.req("KeyId")?)?;
            json!({})
        }
        "GetPublicKey" => {
            let (key, version) = (p.req("KeyId")?, p.req("KeyVersionId")?);
            let pem = store.get_public_key(key, version)?;
            json!({"KeyId": key_id_of(server, key), "KeyVersionId": version, "PublicKey": pem})
        }
        "AsymmetricSign" => {
            let (key, version, alg) = (p.req("KeyId")?, p.req("KeyVersionId")?, p.algorithm()?);
            let digest = p.b64("Digest")?;
            let sig = store.asymmetric_sign(key, version, alg, MessageType::Digest, &digest)?;
            json!({"KeyId": key_id_of(server, key), "KeyVersionId": version, "Value": b64_encode(&sig)})
        }
        "AsymmetricVerify" => {
            let (key, version, alg) = (p.req("KeyId")?, p.req("KeyVersionId")?, p.algorithm()?);
            let (digest, sig) = (p.b64("Digest")?, p.b64("Value")?);
            let ok =
                store.asymmetric_verify(key, version, alg, MessageType::Digest, &digest, &sig)?;
            json!({"KeyId": key_id_of(server, key), "KeyVersionId": version, "Value": ok})
        }
        "AsymmetricEncrypt" => {
            let (key, version, alg) = (p.req("KeyId")?, p.req("KeyVersionId")?, p.algorithm()?);
            let plaintext = zeroize::Zeroizing::new(p.b64("Plaintext")?);
            let ct = store.asymmetric_encrypt(key, version, alg, &plaintext)?;
            json!({"KeyId": key_id_of(server, key), "KeyVersionId": version, "CiphertextBlob": b64_encode(&ct)})
        }
        "AsymmetricDecrypt" => {
            let (key, version, alg) = (p.req("KeyId")?, p.req("KeyVersionId")?, p.algorithm()?);
            let ct = p.b64("CiphertextBlob")?;
            let pt = store.asymmetric_decrypt(key, version, alg, &ct)?;
            json!({"KeyId": key_id_of(server, key), "KeyVersionId": version, "Plaintext": b64_encode(&pt)})
        }
        other => {
            return Err(Fault::new(
                super::errors::Kind::UnknownAction,
                format!("the action {other:?} is not supported"),
            ))
        }
    })
}
