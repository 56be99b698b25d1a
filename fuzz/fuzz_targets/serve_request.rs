//! `akms serve`'s request handling: raw HTTP requests through the protocol detection, the three
//! signature checks and the whole handler, and correctly signed requests (AWS SigV4, Alibaba
//! ACS3) whose operation and body come from the input, so the fuzzer reaches the operation
//! code behind the authentication.
//!
//! Input: `mode op rest...`. Mode 0: `rest` is a raw HTTP/1.1 request. Mode 1: an AWS request
//! for operation `op` with body `rest`, signed. Mode 2: an Alibaba action `op` with query
//! `rest`, ACS3-signed. Every request gets a response: 2xx or 4xx (never 5xx: the in-memory
//! store cannot fail), and a panic is a crash.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use akms::{KeyUsage, Store};
use akms_cli::serve::audit::{self, AuditLog};
use akms_cli::serve::auth::{acs3, sigv4};
use akms_cli::serve::credentials::Credentials;
use akms_cli::serve::handler::{now_secs, Server};
use akms_cli::serve::request::Request;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret";

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let store = Store::new();
        // Every spec for signing, and the RSA and SM2 ones for encryption too.
        let mut i = 0;
        for (spec, der) in akms_fuzz::KEYS_PKCS8.iter() {
            for usage in [KeyUsage::SignVerify, KeyUsage::EncryptDecrypt] {
                if !spec.supports(usage) {
                    continue;
                }
                let (key, _) = store.import_key(usage, der, None).unwrap();
                store.create_alias(&format!("alias/k{i}"), &key).unwrap();
                i += 1;
            }
        }
        let creds = Credentials::parse(
            &format!(r#"{{"AccessKeys":[{{"AccessKeyId":"fuzz","AccessKeySecret":"{SECRET}"}}]}}"#),
            &store,
        )
        .unwrap();
        audit::install(&store).unwrap();
        Server::new(store, creds, AuditLog::none())
    })
}

const AWS_OPS: &[&str] = &[
    "DescribeKey",
    "ListKeys",
    "ListAliases",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "GetPublicKey",
    "Sign",
    "Verify",
    "Encrypt",
    "Decrypt",
    "Bogus",
];
const ALI_ACTIONS: &[&str] = &[
    "DescribeKey",
    "ListKeys",
    "DescribeKeyVersion",
    "ListKeyVersions",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "ListAliasesByKeyId",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "GetPublicKey",
    "AsymmetricSign",
    "AsymmetricVerify",
    "AsymmetricEncrypt",
    "AsymmetricDecrypt",
    "Bogus",
];

/// `YYYYMMDDTHHMMSSZ` (SigV4's X-Amz-Date) of Unix seconds `t`: the library's RFC 3339 form
/// without its separators.
fn amz_date(t: i64) -> String {
    akms::core::clock::rfc3339(t * 1000).replace(['-', ':'], "")
}

fn aws_signed(op: &str, body: &[u8]) -> Request {
    let date = amz_date(now_secs());
    let mut req = Request {
        method: "POST".into(),
        path: "/".into(),
        headers: vec![
            ("host".into(), "127.0.0.1:1".into()),
            ("x-amz-date".into(), date.clone()),
            ("x-amz-target".into(), format!("TrentService.{op}")),
        ],
        body: body.to_vec(),
        source_ip: "127.0.0.1".into(),
        ..Default::default()
    };
    let auth = sigv4::SigV4Auth {
        access_key_id: "fuzz".into(),
        date: date[..8].into(),
        region: "us-east-1".into(),
        service: "kms".into(),
        signed_headers: vec!["host".into(), "x-amz-date".into(), "x-amz-target".into()],
        signature: vec![],
    };
    let sig = sigv4::sign(&req, &auth, &date, SECRET.as_bytes()).unwrap();
    req.headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential=fuzz/{}/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature={}",
            &date[..8],
            hex::encode(sig)
        ),
    ));
    req
}

fn alibaba_signed(action: &str, query: &str) -> Option<Request> {
    static NONCE: AtomicU64 = AtomicU64::new(0);
    let date = amz_date(now_secs());
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &date[0..4],
        &date[4..6],
        &date[6..8],
        &date[9..11],
        &date[11..13],
        &date[13..15]
    );
    let mut req = Request {
        method: "POST".into(),
        path: "/".into(),
        query: query.to_owned(),
        headers: vec![
            ("host".into(), "127.0.0.1:1".into()),
            ("x-acs-action".into(), action.into()),
            ("x-acs-date".into(), iso),
            (
                "x-acs-signature-nonce".into(),
                NONCE.fetch_add(1, Ordering::Relaxed).to_string(),
            ),
        ],
        source_ip: "127.0.0.1".into(),
        ..Default::default()
    };
    let header = "ACS3-HMAC-SHA256 Credential=fuzz,SignedHeaders=host;x-acs-action;x-acs-date;x-acs-signature-nonce,Signature=00";
    let auth = acs3::parse_authorization(header).ok()?;
    let sig = acs3::sign(&req, &auth, SECRET.as_bytes()).ok()?; // a query that does not parse
    req.headers.push((
        "authorization".into(),
        header.replace("Signature=00", &format!("Signature={}", hex::encode(sig))),
    ));
    Some(req)
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    let (mode, op, rest) = match data {
        [m, o, rest @ ..] => (*m % 3, *o as usize, rest),
        _ => return,
    };
    let req = match mode {
        0 => match Request::parse_raw(rest) {
            Some(r) => r,
            None => return,
        },
        1 => aws_signed(AWS_OPS[op % AWS_OPS.len()], rest),
        _ => match alibaba_signed(
            ALI_ACTIONS[op % ALI_ACTIONS.len()],
            &String::from_utf8_lossy(rest),
        ) {
            Some(r) => r,
            None => return,
        },
    };
    let resp = s.handle(&req);
    assert!(
        (200..500).contains(&resp.status) || resp.status == 503,
        "status {}",
        resp.status
    );
});
