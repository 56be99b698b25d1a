//! Measures what an access policy costs a call: GetPublicKey and AsymmetricVerify through the
//! unrestricted handle and through a handle restricted by a 20-statement policy (the allowing
//! statement last, the key named by alias, 10 Deny statements that do not apply).
//!
//! `cargo run --release --example policy_overhead [iterations]`

use std::time::{Duration, Instant};

use akms::{Algorithm, KeySpec, KeyUsage, MessageType, Store};

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let root = Store::new();
    let (key, version) = root
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    for i in 0..3 {
        root.create_alias(&format!("alias/app-{i}"), &key).unwrap();
    }
    // Other keys, so that the store is not trivially small.
    let others: Vec<String> = (0..50)
        .map(|_| {
            root.create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .unwrap()
                .0
        })
        .collect();
    let mut statements = Vec::new();
    for (i, other) in others.iter().take(10).enumerate() {
        statements.push(serde_json::json!({
            "Effect": "Deny",
            "Action": ["kms:*"],
            "Resource": [format!("key/{other}"), format!("alias/blocked-{i}-*")]
        }));
    }
    for (i, other) in others.iter().skip(10).take(9).enumerate() {
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": ["kms:GetPublicKey", "kms:AsymmetricVerify", "kms:Describe*"],
            "Resource": [format!("key/{other}"), format!("alias/svc-{i}")]
        }));
    }
    statements.push(serde_json::json!({
        "Effect": "Allow",
        "Action": ["kms:GetPublicKey", "kms:AsymmetricVerify"],
        "Resource": ["alias/app-2"]
    }));
    assert_eq!(statements.len(), 20);
    let policy = serde_json::json!({"Principal": "bench", "Statement": statements}).to_string();
    let restricted = root.restrict(&policy).unwrap();

    let digest = [7u8; 32];
    let sig = root
        .asymmetric_sign(
            &key,
            &version,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest,
        )
        .unwrap();
    let get = |s: &Store| {
        std::hint::black_box(s.get_public_key(&key, &version).unwrap());
    };
    let verify = |s: &Store| {
        assert!(s
            .asymmetric_verify(
                &key,
                &version,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                &digest,
                &sig
            )
            .unwrap());
    };

    println!("policy: 20 statements; {iterations} GetPublicKey / {} AsymmetricVerify calls per round, best of 7 rounds", iterations / 100);
    report("GetPublicKey", &root, &restricted, iterations, get);
    report(
        "AsymmetricVerify",
        &root,
        &restricted,
        iterations / 100,
        verify,
    );
}

/// Times `f` on both handles in alternating rounds and prints the best per-call time of each.
fn report(name: &str, root: &Store, restricted: &Store, n: u32, f: impl Fn(&Store)) {
    let time = |s: &Store| {
        let start = Instant::now();
        for _ in 0..n {
            f(s);
        }
        start.elapsed() / n
    };
    time(root);
    time(restricted);
    let (mut best_root, mut best_restricted) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        best_root = best_root.min(time(root));
        best_restricted = best_restricted.min(time(restricted));
    }
    let overhead = (best_restricted.as_secs_f64() / best_root.as_secs_f64() - 1.0) * 100.0;
    println!(
        "{name:>17}: unrestricted {best_root:>10.2?}  restricted {best_restricted:>10.2?}  overhead {overhead:+.1}%"
    );
}
