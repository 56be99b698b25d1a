//! Access policies on restricted handles, and the audit event of every call.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akms::core::AuditEvent;
use akms::{Algorithm, KeySpec, KeyUsage, MessageType, Status, Store};

const DIGEST: [u8; 32] = [0x5a; 32];
const PLAINTEXT: &[u8] = b"attack at dawn, bring the secret sauce";

/// Every event a store's callback receives.
fn collect(store: &Store) -> Arc<Mutex<Vec<AuditEvent>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    store
        .set_audit_callback(Some(Arc::new(move |e: &AuditEvent| {
            sink.lock().unwrap().push(e.clone())
        })))
        .unwrap();
    events
}

fn status<T>(r: akms::Result<T>) -> Status {
    r.map_or_else(|e| e.status(), |_| Status::Ok)
}

fn policy(principal: &str, statements: &[(&str, &[&str], &[&str])]) -> String {
    let statements: Vec<_> = statements
        .iter()
        .map(|(effect, actions, resources)| {
            serde_json::json!({"Effect": effect, "Action": actions, "Resource": resources})
        })
        .collect();
    serde_json::json!({"Principal": principal, "Statement": statements}).to_string()
}

/// Two keys of each usage: `t` (the target of a policy) and `o` (another key), with aliases,
/// a signature and a ciphertext made by the unrestricted handle.
struct Fixture {
    root: Store,
    sign: [(String, String); 2],
    enc: [(String, String); 2],
    signature: Vec<u8>,
    ciphertext: [Vec<u8>; 2],
}

impl Fixture {
    fn new() -> Fixture {
        let root = Store::new();
        let mk = |usage| {
            root.create_key(KeySpec::EcSm2, usage, Some("test"))
                .unwrap()
        };
        let sign = [mk(KeyUsage::SignVerify), mk(KeyUsage::SignVerify)];
        let enc = [mk(KeyUsage::EncryptDecrypt), mk(KeyUsage::EncryptDecrypt)];
        root.create_alias("alias/t-sign", &sign[0].0).unwrap();
        root.create_alias("alias/o-sign", &sign[1].0).unwrap();
        root.create_alias("alias/t-enc", &enc[0].0).unwrap();
        root.create_alias("alias/o-enc", &enc[1].0).unwrap();
        root.create_alias("alias/moving", &sign[0].0).unwrap();
        let signature = root
            .asymmetric_sign(
                &sign[0].0,
                &sign[0].1,
                Algorithm::Sm2Dsa,
                MessageType::Digest,
                &DIGEST,
            )
            .unwrap();
        let ct = |k: &(String, String)| {
            root.asymmetric_encrypt(&k.0, &k.1, Algorithm::Sm2Pke, PLAINTEXT)
                .unwrap()
        };
        let ciphertext = [ct(&enc[0]), ct(&enc[1])];
        Fixture {
            root,
            sign,
            enc,
            signature,
            ciphertext,
        }
    }
}

/// The operations that name a key, as policy action names.
const KEY_OPS: [&str; 17] = [
    "CreateKeyVersion",
    "DescribeKey",
    "ListKeyVersions",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "GetPublicKey",
    "AsymmetricEncrypt",
    "AsymmetricDecrypt",
    "AsymmetricSign",
    "AsymmetricVerify",
    "GenerateCSR",
    "ImportKeyVersion",
];

/// The operations that name no key.
const KEYLESS_OPS: [&str; 4] = ["CreateKey", "ImportKey", "ListKeys", "Restrict"];

/// A fresh SM2 private key as PKCS#8 DER (the fixture's keys are SM2).
fn sm2_pkcs8() -> Vec<u8> {
    akms::core::keypair::KeyPair::generate(KeySpec::EcSm2)
        .unwrap()
        .to_pkcs8_der()
        .unwrap()
        .to_vec()
}

fn uses_enc(op: &str) -> bool {
    op == "AsymmetricEncrypt" || op == "AsymmetricDecrypt"
}

/// Runs `op` through `h` on the target key (`other` false) or the other key, naming it by id or
/// by alias. `None` if the operation is not in this build.
fn call(fx: &Fixture, h: &Store, op: &str, other: bool, via_alias: bool) -> Option<Status> {
    let i = usize::from(other);
    let (keys, aliases) = if uses_enc(op) {
        (&fx.enc, ["alias/t-enc", "alias/o-enc"])
    } else {
        (&fx.sign, ["alias/t-sign", "alias/o-sign"])
    };
    let key = if via_alias { aliases[i] } else { &keys[i].0 };
    let version = &keys[i].1;
    Some(match op {
        "CreateKeyVersion" => status(h.create_key_version(key)),
        "DescribeKey" => status(h.describe_key(key)),
        "ListKeyVersions" => status(h.list_key_versions(key)),
        "CreateAlias" => status(h.create_alias("alias/new", key)),
        // alias/moving names the target key: move it to (the same or) the other key.
        "UpdateAlias" => status(h.update_alias("alias/moving", key)),
        // Deleting alias/moving touches the target key, alias/o-sign the other one.
        "DeleteAlias" => status(h.delete_alias(if other {
            "alias/o-sign"
        } else {
            "alias/moving"
        })),
        "EnableKey" => status(h.enable_key(key)),
        "DisableKey" => status(h.disable_key(key)),
        "ScheduleKeyDeletion" => status(h.schedule_key_deletion(key, 7)),
        "CancelKeyDeletion" => status(h.cancel_key_deletion(key)),
        "GetPublicKey" => status(h.get_public_key(key, version)),
        "AsymmetricEncrypt" => {
            status(h.asymmetric_encrypt(key, version, Algorithm::Sm2Pke, PLAINTEXT))
        }
        "AsymmetricDecrypt" => {
            status(h.asymmetric_decrypt(key, version, Algorithm::Sm2Pke, &fx.ciphertext[i]))
        }
        "AsymmetricSign" => status(h.asymmetric_sign(
            key,
            version,
            Algorithm::Sm2Dsa,
            MessageType::Digest,
            &DIGEST,
        )),
        "AsymmetricVerify" => status(h.asymmetric_verify(
            key,
            version,
            Algorithm::Sm2Dsa,
            MessageType::Digest,
            &DIGEST,
            &fx.signature,
        )),
        "ImportKeyVersion" => status(h.import_key_version(key, &sm2_pkcs8())),
        "GenerateCSR" => {
            status(h.generate_csr(key, version, "CN=signer,O=Acme", &["signer.example.com"]))
        }
        "ImportKey" => status(h.import_key(KeyUsage::SignVerify, &sm2_pkcs8(), None)),
        "CreateKey" => status(h.create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)),
        "ListKeys" => status(h.list_keys()),
        "Restrict" => status(h.restrict(r#"{"Statement": []}"#)),
        _ => return None,
    })
}

/// A fresh fixture, prepared so that `op` succeeds on both keys when allowed.
fn fixture_for(op: &str) -> Fixture {
    let fx = Fixture::new();
    if op == "CancelKeyDeletion" {
        for k in &fx.sign {
            fx.root.schedule_key_deletion(&k.0, 7).unwrap();
        }
    }
    fx
}

fn restricted(fx: &Fixture, statements: &[(&str, &[&str], &[&str])]) -> Store {
    fx.root.restrict(&policy("table", statements)).unwrap()
}

#[test]
fn policy_table_for_every_operation() {
    let mut covered = 0;
    for op in KEY_OPS {
        let action = format!("kms:{op}");
        let a: &[&str] = &[&action];
        let target_key = |fx: &Fixture| {
            if uses_enc(op) {
                format!("key/{}", fx.enc[0].0)
            } else {
                format!("key/{}", fx.sign[0].0)
            }
        };
        let target_alias = if uses_enc(op) {
            "alias/t-enc"
        } else {
            "alias/t-sign"
        };

        // Allowed on the target key, by id.
        let fx = fixture_for(op);
        let h = restricted(&fx, &[("Allow", a, &[&target_key(&fx)])]);
        let Some(got) = call(&fx, &h, op, false, false) else {
            continue; // not in this build
        };
        covered += 1;
        assert_eq!(got, Status::Ok, "{op} allowed");

        // Denied: the policy allows only other actions.
        let fx = fixture_for(op);
        let h = restricted(
            &fx,
            &[("Allow", &["kms:ListKeys", "kms:CreateKey"], &["*"])],
        );
        assert_eq!(
            call(&fx, &h, op, false, false),
            Some(Status::AccessDenied),
            "{op} not allowed"
        );

        // Denied by an explicit Deny, though kms:* on * is allowed.
        let fx = fixture_for(op);
        let h = restricted(
            &fx,
            &[
                ("Allow", &["kms:*"], &["*"]),
                ("Deny", a, &[&target_key(&fx)]),
            ],
        );
        assert_eq!(
            call(&fx, &h, op, false, false),
            Some(Status::AccessDenied),
            "{op} Deny"
        );
        // ... also when the Deny names the key by alias, and the call names it by id.
        let fx = fixture_for(op);
        let h = restricted(
            &fx,
            &[("Allow", &["*"], &["*"]), ("Deny", a, &[target_alias])],
        );
        assert_eq!(
            call(&fx, &h, op, false, false),
            Some(Status::AccessDenied),
            "{op} Deny alias"
        );

        // Allowed through an alias resource: calls by alias and by id both match.
        for via_alias in [true, false] {
            let fx = fixture_for(op);
            let h = restricted(&fx, &[("Allow", a, &[target_alias])]);
            assert_eq!(
                call(&fx, &h, op, false, via_alias),
                Some(Status::Ok),
                "{op} through alias (call by alias: {via_alias})"
            );
        }

        // Denied for another key.
        let fx = fixture_for(op);
        let h = restricted(&fx, &[("Allow", a, &[&target_key(&fx), target_alias])]);
        for via_alias in [true, false] {
            assert_eq!(
                call(&fx, &h, op, true, via_alias),
                Some(Status::AccessDenied),
                "{op} on another key (by alias: {via_alias})"
            );
        }
        // The unrestricted handle is unaffected.
        assert_eq!(
            call(&fx, &fx.root, op, true, false),
            Some(Status::Ok),
            "{op} root"
        );
    }
    assert_eq!(covered, KEY_OPS.len(), "every key operation is covered");

    for op in KEYLESS_OPS {
        let action = format!("kms:{op}");
        let a: &[&str] = &[&action];
        let fx = Fixture::new();
        let allowed = restricted(&fx, &[("Allow", a, &["*"])]);
        assert_eq!(
            call(&fx, &allowed, op, false, false),
            Some(Status::Ok),
            "{op} allowed"
        );
        let denied = restricted(&fx, &[("Allow", &["kms:DescribeKey"], &["*"])]);
        assert_eq!(
            call(&fx, &denied, op, false, false),
            Some(Status::AccessDenied),
            "{op}"
        );
        let deny = restricted(&fx, &[("Allow", &["*"], &["*"]), ("Deny", a, &["*"])]);
        assert_eq!(
            call(&fx, &deny, op, false, false),
            Some(Status::AccessDenied),
            "{op} Deny"
        );
        // A call that names no key matches only the resource `*`, not a key or an alias.
        let key_only = restricted(
            &fx,
            &[(
                "Allow",
                a,
                &["key/*", "alias/*", &format!("key/{}", fx.sign[0].0)],
            )],
        );
        assert_eq!(
            call(&fx, &key_only, op, false, false),
            Some(Status::AccessDenied),
            "{op}"
        );
        // A Deny on a key does not stop a call that names no key.
        let deny_key = restricted(&fx, &[("Allow", a, &["*"]), ("Deny", a, &["key/*"])]);
        assert_eq!(
            call(&fx, &deny_key, op, false, false),
            Some(Status::Ok),
            "{op}"
        );
    }
}

/// The seed scenario: a handle for "any authorized party" may use the public half of one key.
#[test]
fn public_operations_only_handle() {
    let root = Store::new();
    let (enc_key, enc_v) = root
        .create_key(KeySpec::EcSm2, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    let (sign_key, sign_v) = root
        .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
        .unwrap();
    let (other, other_v) = root
        .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
        .unwrap();
    root.create_alias("alias/public", &sign_key).unwrap();
    let public = root
        .restrict(
            &serde_json::json!({
                "Principal": "any-authorized-party",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["kms:GetPublicKey", "kms:AsymmetricEncrypt", "kms:AsymmetricVerify"],
                    "Resource": [format!("key/{enc_key}"), "alias/public"]
                }]
            })
            .to_string(),
        )
        .unwrap();
    let alg = Algorithm::Sm2Dsa;
    let sig = root
        .asymmetric_sign(&sign_key, &sign_v, alg, MessageType::Digest, &DIGEST)
        .unwrap();
    let ct = root
        .asymmetric_encrypt(&enc_key, &enc_v, Algorithm::Sm2Pke, PLAINTEXT)
        .unwrap();

    assert!(public.get_public_key(&enc_key, &enc_v).is_ok());
    assert!(public.get_public_key("alias/public", &sign_v).is_ok());
    assert!(public
        .asymmetric_encrypt(&enc_key, &enc_v, Algorithm::Sm2Pke, PLAINTEXT)
        .is_ok());
    assert!(public
        .asymmetric_verify(
            "alias/public",
            &sign_v,
            alg,
            MessageType::Digest,
            &DIGEST,
            &sig
        )
        .unwrap());
    let denied = |r: Status| assert_eq!(r, Status::AccessDenied);
    denied(status(public.asymmetric_decrypt(
        &enc_key,
        &enc_v,
        Algorithm::Sm2Pke,
        &ct,
    )));
    let e = public
        .asymmetric_sign(&sign_key, &sign_v, alg, MessageType::Digest, &DIGEST)
        .unwrap_err();
    assert_eq!(e.status(), Status::AccessDenied);
    assert!(e.message().contains("kms:AsymmetricSign"), "{e}");
    assert!(e.message().contains(&format!("key/{sign_key}")), "{e}");
    // On one key only (per usage): the other key is out of reach, even for public operations.
    denied(status(public.get_public_key(&other, &other_v)));
    denied(status(public.asymmetric_verify(
        &other,
        &other_v,
        alg,
        MessageType::Digest,
        &DIGEST,
        &sig,
    )));
    denied(status(public.list_keys()));
    denied(status(public.describe_key(&enc_key)));
    denied(status(public.restrict(r#"{"Statement": []}"#)));
    denied(status(public.set_audit_callback(None)));
    // When the alias moves, the rights move with it.
    root.update_alias("alias/public", &other).unwrap();
    denied(status(public.get_public_key(&sign_key, &sign_v)));
    assert!(public.get_public_key(&other, &other_v).is_ok());
}

#[test]
fn restricting_again_never_widens() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let parent = root
        .restrict(&policy(
            "parent",
            &[("Allow", &["kms:GetPublicKey", "kms:Restrict"], &["*"])],
        ))
        .unwrap();
    let child = parent
        .restrict(&policy("child", &[("Allow", &["kms:*"], &["*"])]))
        .unwrap();
    assert_eq!(child.principal(), "parent/child");
    assert!(child.get_public_key(&k, &v).is_ok());
    assert_eq!(status(child.describe_key(&k)), Status::AccessDenied);
    assert_eq!(
        status(child.asymmetric_sign(&k, &v, Algorithm::EcdsaSha256, MessageType::Digest, &DIGEST)),
        Status::AccessDenied
    );
    // The child may restrict itself further only as far as the parent allows Restrict.
    let grandchild = child
        .restrict(
            r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}"#,
        )
        .unwrap();
    assert_eq!(
        grandchild.principal(),
        "parent/child",
        "an absent Principal is inherited"
    );
    assert_eq!(
        status(grandchild.get_public_key(&k, &v)),
        Status::AccessDenied
    );
    assert_eq!(status(grandchild.describe_key(&k)), Status::AccessDenied);
    // Without kms:Restrict a handle cannot make another.
    let no_restrict = root
        .restrict(&policy("p", &[("Allow", &["kms:GetPublicKey"], &["*"])]))
        .unwrap();
    assert_eq!(
        status(no_restrict.restrict(r#"{"Statement": []}"#)),
        Status::AccessDenied
    );
    // Dropping restricted handles leaves the others working.
    drop(child);
    drop(parent);
    assert!(grandchild.restrict(r#"{"Statement": []}"#).is_err());
    assert!(root.describe_key(&k).is_ok());
}

#[test]
fn invalid_policies_are_invalid_argument_naming_the_field() {
    let root = Store::new();
    for (policy, field) in [
        ("not json", "not JSON"),
        (
            r#"{"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}"#,
            "Statement[0].Effect",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Fly", "Resource": "*"}]}"#,
            "Statement[0].Action[0]",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "keys/1"}]}"#,
            "Statement[0].Resource[0]",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Actions": "*", "Resource": "*"}]}"#,
            "Actions",
        ),
        (r#"{"Principal": ["a"], "Statement": []}"#, "Principal"),
        (r#"{"Principal": "a"}"#, "Statement"),
    ] {
        let e = root.restrict(policy).err().expect(policy);
        assert_eq!(e.status(), Status::InvalidArgument, "{policy}");
        assert!(e.message().contains(field), "{policy}: {e}");
    }
    // An invalid policy is INVALID_ARGUMENT even where Restrict would be denied.
    let none = root
        .restrict(r#"{"Principal": "none", "Statement": []}"#)
        .unwrap();
    assert_eq!(status(none.restrict("{")), Status::InvalidArgument);
}

#[test]
fn events_have_the_spec_fields() {
    let root = Store::new();
    let events = collect(&root);
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    root.create_alias("alias/fields", &k).unwrap();
    let h = root
        .restrict(&policy(
            "svc",
            &[("Allow", &["kms:AsymmetricSign"], &["alias/fields"])],
        ))
        .unwrap();
    h.asymmetric_sign(
        "alias/fields",
        &v,
        Algorithm::EcdsaSha256,
        MessageType::Digest,
        &DIGEST,
    )
    .unwrap();
    let _ = h.describe_key(&k);
    let _ = root.describe_key("3f9a0000-0000-4000-8000-000000000000");
    let events = events.lock().unwrap().clone();
    let ops: Vec<_> = events.iter().map(|e| (e.operation, e.status)).collect();
    assert_eq!(
        ops,
        [
            ("CreateKey", "AKMS_OK"),
            ("CreateAlias", "AKMS_OK"),
            ("Restrict", "AKMS_OK"),
            ("AsymmetricSign", "AKMS_OK"),
            ("DescribeKey", "AKMS_ERR_ACCESS_DENIED"),
            ("DescribeKey", "AKMS_ERR_NOT_FOUND"),
        ]
    );
    let sign: serde_json::Value = serde_json::from_str(&events[3].to_json()).unwrap();
    assert_eq!(sign["Principal"], "svc");
    assert_eq!(sign["Operation"], "AsymmetricSign");
    assert_eq!(sign["KeyId"], k.as_str());
    assert_eq!(sign["KeyVersionId"], v.as_str());
    assert_eq!(sign["Alias"], "alias/fields");
    assert_eq!(sign["Algorithm"], "ECDSA_SHA_256");
    assert_eq!(sign["Status"], "AKMS_OK");
    let time = sign["EventTime"].as_str().unwrap();
    assert_eq!(time.len(), "2026-11-22T15:39:20.123Z".len(), "{time}");
    assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.', "{time}");
    let id = sign["RequestId"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id.matches('-').count(), 4);
    let create: serde_json::Value = serde_json::from_str(&events[0].to_json()).unwrap();
    assert_eq!(create["Principal"], "");
    assert_eq!(create["KeyId"], k.as_str(), "the key a call created");
    assert!(create.get("Alias").is_none() && create.get("Algorithm").is_none());
    // A key id named but not found is still recorded.
    assert_eq!(
        events[5].key_id.as_deref(),
        Some("3f9a0000-0000-4000-8000-000000000000")
    );
    assert_eq!(events[4].principal, "svc");
}

#[test]
fn every_call_from_eight_threads_has_exactly_one_event() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let (other, _) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let events = collect(&root);
    let h = root
        .restrict(&policy(
            "worker",
            &[(
                "Allow",
                &["kms:AsymmetricSign", "kms:GetPublicKey"],
                &[&format!("key/{k}")],
            )],
        ))
        .unwrap();
    const PER_THREAD: usize = 60;
    let expected: Vec<(String, &'static str, &'static str)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let (h, root, k, v, other) = (&h, &root, &k, &v, &other);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..PER_THREAD {
                        let (principal, op, s) = match (t + i) % 5 {
                            0 => (
                                "worker",
                                "AsymmetricSign",
                                status(h.asymmetric_sign(
                                    k,
                                    v,
                                    Algorithm::EcdsaSha256,
                                    MessageType::Digest,
                                    &DIGEST,
                                )),
                            ),
                            1 => ("worker", "GetPublicKey", status(h.get_public_key(other, v))),
                            2 => ("worker", "DescribeKey", status(h.describe_key(k))),
                            3 => (
                                "",
                                "GetPublicKey",
                                status(root.get_public_key(k, "no-such-version")),
                            ),
                            _ => (
                                "",
                                "AsymmetricSign",
                                status(root.asymmetric_sign(
                                    k,
                                    v,
                                    Algorithm::EcdsaSha256,
                                    MessageType::Digest,
                                    &DIGEST[..31],
                                )),
                            ),
                        };
                        mine.push((principal.to_string(), op, s.name()));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let events = events.lock().unwrap().clone();
    // The Restrict call itself is the first event.
    assert_eq!(events[0].operation, "Restrict");
    let events = &events[1..];
    assert_eq!(events.len(), 8 * PER_THREAD);
    let ids: HashSet<_> = events.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(ids.len(), events.len(), "RequestIds are unique");
    let count = |items: Vec<(String, &'static str, &'static str)>| {
        let mut m: HashMap<_, usize> = HashMap::new();
        for item in items {
            *m.entry(item).or_default() += 1;
        }
        m
    };
    let got = count(
        events
            .iter()
            .map(|e| (e.principal.clone(), e.operation, e.status))
            .collect(),
    );
    let want = count(expected);
    assert_eq!(got, want);
    assert!(want.keys().any(|(_, _, s)| *s == "AKMS_ERR_ACCESS_DENIED"));
    assert!(want.keys().any(|(_, _, s)| *s == "AKMS_ERR_NOT_FOUND"));
    assert!(want
        .keys()
        .any(|(_, _, s)| *s == "AKMS_ERR_INVALID_ARGUMENT"));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &x)| n | u32::from(x) << (16 - 8 * i));
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn events_never_carry_data_digests_signatures_or_keys() {
    let fx = Fixture::new();
    let events = collect(&fx.root);
    let (sk, sv) = &fx.sign[0];
    let (ek, ev) = &fx.enc[0];
    let digest: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37) ^ 0xc3).collect();
    let message = b"the quarterly numbers, raw".to_vec();
    let mut secrets: Vec<Vec<u8>> = vec![digest.clone(), message.clone(), PLAINTEXT.to_vec()];
    for (mt, data) in [(MessageType::Digest, &digest), (MessageType::Raw, &message)] {
        let sig = fx
            .root
            .asymmetric_sign(sk, sv, Algorithm::Sm2Dsa, mt, data)
            .unwrap();
        assert!(fx
            .root
            .asymmetric_verify(sk, sv, Algorithm::Sm2Dsa, mt, data, &sig)
            .unwrap());
        secrets.push(sig);
    }
    let ct = fx
        .root
        .asymmetric_encrypt(ek, ev, Algorithm::Sm2Pke, PLAINTEXT)
        .unwrap();
    let pt = fx
        .root
        .asymmetric_decrypt(ek, ev, Algorithm::Sm2Pke, &ct)
        .unwrap();
    assert_eq!(&pt[..], PLAINTEXT);
    secrets.push(ct);
    let pem = fx.root.get_public_key(sk, sv).unwrap();
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 7);
    for e in &events {
        let json = e.to_json();
        for s in &secrets {
            for needle in [
                hex(s),
                hex(s).to_uppercase(),
                base64(s),
                String::from_utf8_lossy(s).into_owned(),
            ] {
                let prefix: String = needle.chars().take(12).collect();
                assert!(!json.contains(&prefix), "{json} leaks {needle}");
            }
        }
        assert!(
            !json.contains("BEGIN") && !json.contains(&pem[27..60]),
            "{json}"
        );
    }
}

#[test]
fn a_callback_may_call_back_into_the_store() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (inner, sink) = (root.clone(), seen.clone());
    let restricted = root
        .restrict(&policy("r", &[("Allow", &["kms:DescribeKey"], &["*"])]))
        .unwrap();
    let inner_restricted = restricted.clone();
    root.set_audit_callback(Some(Arc::new(move |e: &AuditEvent| {
        // Reads and writes through the root and through a restricted handle, from inside.
        let described = inner
            .describe_key(e.key_id.as_deref().unwrap_or("x"))
            .is_ok();
        let _ = inner.create_alias("alias/from-callback", e.key_id.as_deref().unwrap_or("x"));
        let _ = inner_restricted.list_keys();
        // Changing the callback from inside it is refused, not a deadlock.
        let set = inner.set_audit_callback(None).map_err(|e| e.status());
        sink.lock().unwrap().push((e.operation, described, set));
    })))
    .unwrap();
    let (done, finished) = mpsc::channel();
    let worker = {
        let (root, k, v) = (root.clone(), k.clone(), v.clone());
        std::thread::spawn(move || {
            root.asymmetric_sign(&k, &v, Algorithm::EcdsaSha256, MessageType::Digest, &DIGEST)
                .unwrap();
            restricted.describe_key(&k).unwrap();
            done.send(()).unwrap();
        })
    };
    finished
        .recv_timeout(Duration::from_secs(20))
        .expect("a callback calling into akms deadlocked");
    worker.join().unwrap();
    let seen = seen.lock().unwrap().clone();
    // One event per outside call: the calls made inside the callback are not audited.
    assert_eq!(
        seen,
        [
            ("AsymmetricSign", true, Err(Status::InvalidState)),
            ("DescribeKey", true, Err(Status::InvalidState)),
        ]
    );
    assert!(root.describe_key("alias/from-callback").is_ok());
}

#[test]
fn a_panicking_callback_does_not_break_the_call() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    root.set_audit_callback(Some(Arc::new(move |_e: &AuditEvent| {
        *counter.lock().unwrap() += 1;
        panic!("callback bug");
    })))
    .unwrap();
    let sig = root
        .asymmetric_sign(&k, &v, Algorithm::EcdsaSha256, MessageType::Digest, &DIGEST)
        .unwrap();
    assert!(root
        .asymmetric_verify(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &DIGEST,
            &sig
        )
        .unwrap());
    assert_eq!(status(root.describe_key("alias/none")), Status::NotFound);
    assert_eq!(*calls.lock().unwrap(), 3);
    // Removing the callback stops the events.
    root.set_audit_callback(None).unwrap();
    root.list_keys().unwrap();
    assert_eq!(*calls.lock().unwrap(), 3);
}

#[test]
fn events_go_to_the_root_callback_whichever_handle_calls() {
    let root = Store::new();
    let events = collect(&root);
    let h = root
        .restrict(&policy(
            "a",
            &[("Allow", &["kms:Restrict", "kms:ListKeys"], &["*"])],
        ))
        .unwrap();
    let hh = h
        .restrict(&policy("b", &[("Allow", &["*"], &["*"])]))
        .unwrap();
    assert_eq!(status(hh.set_audit_callback(None)), Status::AccessDenied);
    hh.list_keys().unwrap();
    root.clone().list_keys().unwrap();
    let got: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.principal.clone(), e.operation))
        .collect();
    assert_eq!(
        got,
        [
            (String::new(), "Restrict"),
            ("a".to_string(), "Restrict"),
            ("a/b".to_string(), "ListKeys"),
            (String::new(), "ListKeys"),
        ]
    );
}

#[test]
fn remembered_decisions_belong_to_one_handle_and_one_store_state() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let (k2, v2) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    root.create_alias("alias/a", &k).unwrap();
    let allowed = root
        .restrict(&policy(
            "yes",
            &[("Allow", &["kms:GetPublicKey"], &["alias/a"])],
        ))
        .unwrap();
    let denied = root
        .restrict(&policy(
            "no",
            &[("Allow", &["kms:DescribeKey"], &["alias/a"])],
        ))
        .unwrap();
    for _ in 0..3 {
        assert!(allowed.get_public_key(&k, &v).is_ok());
        assert_eq!(status(denied.get_public_key(&k, &v)), Status::AccessDenied);
        assert_eq!(status(allowed.describe_key(&k)), Status::AccessDenied);
        assert!(denied.describe_key(&k).is_ok());
    }
    // Any change to the store forgets what was allowed: here the alias moves away.
    root.update_alias("alias/a", &k2).unwrap();
    assert_eq!(status(allowed.get_public_key(&k, &v)), Status::AccessDenied);
    assert!(allowed.get_public_key(&k2, &v2).is_ok());
    root.delete_alias("alias/a").unwrap();
    assert_eq!(
        status(allowed.get_public_key(&k2, &v2)),
        Status::AccessDenied
    );
}

/// A resource is exactly `*`, `key/<pattern>` or `alias/<pattern>`; anything else is
/// INVALID_ARGUMENT, in a Deny as in an Allow, instead of a pattern that matches nothing, so a
/// Deny meant as a safety net cannot silently fail open (issue 12, item 3).
#[test]
fn resources_other_than_star_key_or_alias_are_invalid() {
    let root = Store::new();
    let (k, v) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let bad = [
        "keys/*".to_string(),
        "KEY/*".to_string(),
        " key/*".to_string(),
        "key/* ".to_string(),
        "Alias/*".to_string(),
        format!("acs:kms:*:*:key/{k}*"),
        format!("acs:kms:cn-hangzhou:123:key/{k}"),
        "**".to_string(),
        "".to_string(),
        "key/".to_string(),
        "alias/".to_string(),
        "key/not-a-key*".to_string(),
        "key/1234".to_string(),
        "alias/team name*".to_string(),
        "alias/bad name".to_string(),
    ];
    for resource in &bad {
        for effect in ["Allow", "Deny"] {
            let doc = policy(
                "p",
                &[
                    ("Allow", &["kms:*"], &["*"]),
                    (effect, &["kms:*"], &[resource.as_str()]),
                ],
            );
            let e = root.restrict(&doc).err().unwrap_or_else(|| {
                panic!("{effect} on {resource:?} was accepted: it can match nothing")
            });
            assert_eq!(e.status(), Status::InvalidArgument, "{resource:?}");
            assert!(
                e.message().contains("Statement[1].Resource[0]"),
                "{resource:?}: {e}"
            );
        }
    }
    // An uppercase key id names the same (lowercase) key, exactly or in a pattern.
    let upper = k.to_uppercase();
    let deny = |resource: &str| {
        root.restrict(&policy(
            "p",
            &[
                ("Allow", &["kms:*"], &["*"]),
                ("Deny", &["kms:GetPublicKey"], &[resource]),
            ],
        ))
        .unwrap()
    };
    for resource in [
        format!("key/{upper}"),
        format!("key/{}*", &upper[..8]),
        "key/*".to_string(),
    ] {
        let h = deny(&resource);
        assert_eq!(
            status(h.get_public_key(&k, &v)),
            Status::AccessDenied,
            "Deny {resource}"
        );
        assert!(h.describe_key(&k).is_ok());
    }
    let allow = root
        .restrict(&policy(
            "p",
            &[("Allow", &["kms:GetPublicKey"], &[&format!("key/{upper}")])],
        ))
        .unwrap();
    assert!(allow.get_public_key(&k, &v).is_ok());
    // Alias patterns keep their case (aliases are case-sensitive).
    root.create_alias("alias/Team-A", &k).unwrap();
    let h = deny("alias/Team-*");
    assert_eq!(status(h.get_public_key(&k, &v)), Status::AccessDenied);
    let h = deny("alias/team-*");
    assert!(h.get_public_key(&k, &v).is_ok());
}

/// No handle can speak for another in the audit trail: the root's restrict must name a
/// non-empty Principal, and a child of a restricted handle is `<parent>/<child>` (or the
/// parent's when its policy names none) (issue 12, item 4).
#[test]
fn principals_cannot_be_spoofed() {
    let root = Store::new();
    let events = collect(&root);
    let all: &[(&str, &[&str], &[&str])] = &[("Allow", &["kms:*"], &["*"])];
    for doc in [
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#.to_string(),
        policy("", all),
        r#"{"Principal": null, "Statement": []}"#.to_string(),
    ] {
        let e = root.restrict(&doc).err().expect(&doc);
        assert_eq!(e.status(), Status::InvalidArgument, "{doc}");
        assert!(e.message().contains("Principal"), "{doc}: {e}");
    }
    let billing = root.restrict(&policy("billing", all)).unwrap();
    assert_eq!(billing.principal(), "billing");
    // A child naming the root's "" (none), another service, or a path, stays under billing.
    let same = billing.restrict(&policy("", all)).unwrap();
    assert_eq!(same.principal(), "billing");
    let absent = billing
        .restrict(r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#)
        .unwrap();
    assert_eq!(absent.principal(), "billing");
    let other = billing.restrict(&policy("payroll", all)).unwrap();
    assert_eq!(other.principal(), "billing/payroll");
    let deeper = other.restrict(&policy("../root", all)).unwrap();
    assert_eq!(deeper.principal(), "billing/payroll/../root");
    events.lock().unwrap().clear();
    for h in [&root, &billing, &same, &absent, &other, &deeper] {
        h.list_keys().unwrap();
    }
    let got: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.principal.clone())
        .collect();
    assert_eq!(
        got,
        [
            "",
            "billing",
            "billing",
            "billing",
            "billing/payroll",
            "billing/payroll/../root"
        ]
    );
    assert!(got[1..].iter().all(|p| p.starts_with("billing")));
}

/// The four calls that create a version report the new version's id in their event
/// (`KeyVersionId`), through the root and through a restricted handle; a failed one does not.
#[test]
fn events_of_calls_that_create_a_version_carry_its_id() {
    let root = Store::new();
    let events = collect(&root);
    let h = root
        .restrict(&policy("maker", &[("Allow", &["kms:*"], &["*"])]))
        .unwrap();
    for store in [&root, &h] {
        events.lock().unwrap().clear();
        let (k1, v1) = store
            .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
            .unwrap();
        let v2 = store.create_key_version(&k1).unwrap();
        let (k2, v3) = store
            .import_key(KeyUsage::SignVerify, &sm2_pkcs8(), None)
            .unwrap();
        let v4 = store.import_key_version(&k1, &sm2_pkcs8()).unwrap();
        root.disable_key(&k1).unwrap();
        assert_eq!(status(store.create_key_version(&k1)), Status::InvalidState);
        let got: Vec<_> = events
            .lock()
            .unwrap()
            .iter()
            .map(|e| (e.operation, e.key_id.clone(), e.key_version_id.clone()))
            .collect();
        let s = |x: &String| Some(x.clone());
        assert_eq!(
            got,
            [
                ("CreateKey", s(&k1), s(&v1)),
                ("CreateKeyVersion", s(&k1), s(&v2)),
                ("ImportKey", s(&k2), s(&v3)),
                ("ImportKeyVersion", s(&k1), s(&v4)),
                ("DisableKey", s(&k1), None),
                ("CreateKeyVersion", s(&k1), None),
            ]
        );
        let json: serde_json::Value =
            serde_json::from_str(&events.lock().unwrap()[1].to_json()).unwrap();
        assert_eq!(json["KeyVersionId"], v2.as_str());
    }
}

/// What the root does to the key while a restricted handle's new version is being made.
#[derive(Clone, Copy, Debug)]
enum Meanwhile {
    /// `alias/team`, the handle's only right, moves from key A to key B.
    MoveAlias,
    /// `alias/frozen`, which a Deny names, is put on key A.
    AddDeniedAlias,
}

/// A call is authorized against the state in which it takes effect (issue 12, item 5): if the
/// alias that granted CreateKeyVersion / ImportKeyVersion moves away from the key, or a Deny
/// starts to match it, while the new key pair is made or read (no lock held), the call is
/// ACCESS_DENIED and adds nothing.
///
/// The race is forced deterministically: the store's clock is the test's, and on its k-th
/// reading during the call (k = 1, 2, ...: each point where the call reads the time, between
/// lookups, authorization, key generation and the write) the root changes the key. For each k
/// the outcome must be consistent with one order of the two: a version is added to A only if
/// it was there before the root's change, and a change between authorization and the write
/// (which some k hits) is ACCESS_DENIED.
#[test]
fn a_new_version_is_authorized_again_when_it_is_added() {
    type Hook = Box<dyn FnOnce() + Send>;
    let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let trigger = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
    let hook: Arc<Mutex<Option<Hook>>> = Arc::new(Mutex::new(None));
    let clock = {
        let (reads, trigger, hook) = (reads.clone(), trigger.clone(), hook.clone());
        akms::core::clock::Clock::from_fn(move || {
            let n = reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if n == trigger.load(std::sync::atomic::Ordering::SeqCst) {
                let action = hook.lock().unwrap().take();
                if let Some(action) = action {
                    action();
                }
            }
            1_795_000_000_000
        })
    };
    let root = Store::with_clock(clock);
    for op in ["CreateKeyVersion", "ImportKeyVersion"] {
        // The clock readings at which moving the alias hit the window between authorization
        // and the write (an earlier move is authorized against the alias's new key).
        let mut window = Vec::new();
        for meanwhile in [Meanwhile::MoveAlias, Meanwhile::AddDeniedAlias] {
            let mut tried = 0;
            for k in 1.. {
                let (a, _) = root
                    .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
                    .unwrap();
                let (b, _) = root
                    .create_key(KeySpec::EcSm2, KeyUsage::SignVerify, None)
                    .unwrap();
                let alias = format!("alias/team-{op}-{meanwhile:?}-{k}");
                root.create_alias(&alias, &a).unwrap();
                let frozen = format!("alias/frozen-{op}-{meanwhile:?}-{k}");
                let action = format!("kms:{op}");
                let h = root
                    .restrict(&policy(
                        "team",
                        &[
                            ("Allow", &[action.as_str()], &[alias.as_str()]),
                            ("Deny", &["kms:*"], &[frozen.as_str()]),
                        ],
                    ))
                    .unwrap();
                let count = |key: &str| root.list_key_versions(key).unwrap().len();
                let (a_before, b_before) = (count(&a), count(&b));
                let a_at_change = Arc::new(Mutex::new(None));
                let action: Hook = {
                    let (root, a, b, alias, frozen, seen) = (
                        root.clone(),
                        a.clone(),
                        b.clone(),
                        alias.clone(),
                        frozen.clone(),
                        a_at_change.clone(),
                    );
                    Box::new(move || {
                        *seen.lock().unwrap() = Some(root.list_key_versions(&a).unwrap().len());
                        match meanwhile {
                            Meanwhile::MoveAlias => root.update_alias(&alias, &b).unwrap(),
                            Meanwhile::AddDeniedAlias => root.create_alias(&frozen, &a).unwrap(),
                        }
                    })
                };
                *hook.lock().unwrap() = Some(action);
                let pkcs8 = sm2_pkcs8();
                trigger.store(
                    reads.load(std::sync::atomic::Ordering::SeqCst) + k,
                    std::sync::atomic::Ordering::SeqCst,
                );
                let result = match op {
                    "CreateKeyVersion" => h.create_key_version(&alias),
                    _ => h.import_key_version(&alias, &pkcs8),
                };
                trigger.store(usize::MAX, std::sync::atomic::Ordering::SeqCst);
                if hook.lock().unwrap().take().is_some() {
                    // The call read the clock fewer than k times: every point has been tried.
                    break;
                }
                tried = k;
                let a_at_change = a_at_change.lock().unwrap().expect("the change ran");
                let (a_after, b_after) = (count(&a), count(&b));
                let what = format!("{op}, {meanwhile:?} at clock reading {k}: {result:?}");
                assert!(
                    a_after == a_at_change,
                    "{what}: a version was added to {a} after the right to it was withdrawn"
                );
                match &result {
                    Ok(_) => assert_eq!(a_after + b_after, a_before + b_before + 1, "{what}"),
                    Err(e) => {
                        assert_eq!(e.status(), Status::AccessDenied, "{what}");
                        assert_eq!((a_after, b_after), (a_before, b_before), "{what}");
                        if matches!(meanwhile, Meanwhile::MoveAlias) {
                            window.push(k);
                        }
                    }
                }
            }
            assert!(
                !window.is_empty() && window.iter().all(|&k| k <= tried),
                "{op}, {meanwhile:?}: no clock reading fell between authorization and the write"
            );
        }
    }
}
