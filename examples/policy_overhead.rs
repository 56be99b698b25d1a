//! Measures what an access policy costs a call: GetPublicKey and AsymmetricVerify through the
//! unrestricted handle and through a handle restricted by a 20-statement policy (the allowing
//! statement last, the key named by alias, 10 Deny statements that do not apply).
//!
//! `cargo run --release --example policy_overhead [rounds]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akms::core::{AuditCallback, AuditEvent};
use akms::{Algorithm, KeySpec, KeyUsage, MessageType, Store};

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
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
    // A fleet of keys called in turn: more than the per-thread cache of allowed calls holds,
    // so most calls are decided by the policy itself (the cold path).
    let fleet: Vec<(String, String)> = (0..256)
        .map(|i| {
            let (k, v) = root
                .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .unwrap();
            root.create_alias(&format!("alias/fleet-{i}"), &k).unwrap();
            (k, v)
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
        "Resource": ["alias/app-2", "alias/fleet-*"]
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

    println!("policy: 20 statements (10 Deny, 10 Allow; the key allowed by alias in the last)");
    report("GetPublicKey", &root, &restricted, 1000, rounds, get);
    report("AsymmetricVerify", &root, &restricted, 4, rounds, verify);
    let next = std::cell::Cell::new(0usize);
    let fleet_get = |s: &Store| {
        let (k, v) = &fleet[next.get() % fleet.len()];
        next.set(next.get() + 1);
        std::hint::black_box(s.get_public_key(k, v).unwrap());
    };
    // For comparison: what an audit event costs (a callback that only counts), alternating
    // blocks with the callback set and removed.
    let events = Arc::new(AtomicU64::new(0));
    let callback: AuditCallback = {
        let events = events.clone();
        Arc::new(move |_e: &AuditEvent| {
            events.fetch_add(1, Ordering::Relaxed);
        })
    };
    let (mut off, mut on, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds / 4 {
        let block = |s: &Store| {
            let start = Instant::now();
            for _ in 0..1000 {
                get(s);
            }
            start.elapsed().as_secs_f64() / 1000.0
        };
        root.set_audit_callback(None).unwrap();
        let x = block(&restricted);
        root.set_audit_callback(Some(callback.clone())).unwrap();
        let y = block(&restricted);
        off.push(x);
        on.push(y);
        ratios.push(y / x);
    }
    root.set_audit_callback(None).unwrap();
    assert!(events.load(Ordering::Relaxed) > 0);
    let (x, y, r) = (median(&mut off), median(&mut on), median(&mut ratios));
    println!(
        "GetPublicKey, restricted, audit callback off {:.2?} / on {:.2?}: an event adds {:.0?} (x{r:.1})",
        Duration::from_secs_f64(x),
        Duration::from_secs_f64(y),
        Duration::from_secs_f64(y - x),
    );
    report(
        "GetPublicKey, 256 keys in turn (cold)",
        &root,
        &restricted,
        1024,
        rounds / 4,
        fleet_get,
    );
}

/// Times `f` on both handles in many short alternating blocks (so both see the same load on a
/// busy machine) and prints the median time per call of each and the median of the per-block
/// ratios.
fn report(name: &str, root: &Store, restricted: &Store, n: u32, rounds: usize, f: impl Fn(&Store)) {
    let time = |s: &Store| {
        let start = Instant::now();
        for _ in 0..n {
            f(s);
        }
        start.elapsed().as_secs_f64() / f64::from(n)
    };
    time(root);
    time(restricted);
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which handle goes first.
        let (x, y) = if round % 2 == 0 {
            let x = time(root);
            (x, time(restricted))
        } else {
            let y = time(restricted);
            (time(root), y)
        };
        a.push(x);
        b.push(y);
        ratios.push(y / x);
    }
    let (ta, tb) = (median(&mut a), median(&mut b));
    let overhead = (median(&mut ratios) - 1.0) * 100.0;
    println!(
        "{name:>17}: unrestricted {:>10.2?}  restricted {:>10.2?}  overhead {overhead:+.1}% (median of {rounds} paired blocks of {n})",
        Duration::from_secs_f64(ta),
        Duration::from_secs_f64(tb)
    );
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
