//! PostgreSQL stores against the file store and the in-memory store, on a private cluster on
//! this machine (scripts/pg-cluster.sh): create-key latency, sign throughput (the database is
//! not on the cryptographic path), and the delay before a change made through one store is
//! seen through another with its own connections.
//!
//! ```sh
//! cargo bench --bench pg_store            # or: make -C bench pg
//! ```
//! Figures, not tests: nothing fails on a number. See bench/README.md.

#[path = "../tests/pg_common/mod.rs"]
mod pg_common;

use std::time::{Duration, Instant};

use akms::core::persist::{KdfParams, PersistOptions};
use akms::core::{Algorithm, KeySpec, KeyUsage, MessageType, Store};

const PASS: &[u8] = b"benchmark passphrase";
const CREATES: usize = 200;
const VISIBILITY_ROUNDS: usize = 200;
const SIGN_SECONDS: f64 = 2.0;

fn options() -> PersistOptions {
    // The KDF runs once per open; it is not what is measured.
    PersistOptions::new().kdf(KdfParams {
        memory_kib: 8,
        passes: 1,
        lanes: 1,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// Latencies of `n` EC_P256 CreateKey calls (generation and the durable commit).
fn create_latency(store: &Store, n: usize) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            store
                .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .unwrap();
            start.elapsed()
        })
        .collect();
    out.sort();
    out
}

/// ECDSA P-256 signatures per second on one key, one thread.
fn sign_rate(store: &Store) -> f64 {
    let (k, v) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let digest = [9u8; 32];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < SIGN_SECONDS {
        for _ in 0..100 {
            store
                .asymmetric_sign(&k, &v, Algorithm::EcdsaSha256, MessageType::Digest, &digest)
                .unwrap();
        }
        n += 100;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let cluster = pg_common::Cluster::new("bench");
    let dir = std::env::temp_dir().join(format!("akms-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = Store::open_with(dir.join("store.akms"), PASS, &options()).unwrap();
    let pg = Store::open_with(cluster.store("bench"), PASS, &options()).unwrap();
    let memory = Store::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load.trim());
    println!();

    // Warm-up: connections, caches.
    create_latency(&file, 10);
    create_latency(&pg, 10);

    let f = create_latency(&file, CREATES);
    let p = create_latency(&pg, CREATES);
    println!("## CreateKey EC_P256 latency, {CREATES} calls (ms)");
    println!();
    println!("| store | median | p99 | max |");
    println!("|---|---|---|---|");
    for (name, l) in [
        ("file (fdatasync)", &f),
        ("PostgreSQL (localhost, TLS)", &p),
    ] {
        println!(
            "| {name} | {} | {} | {} |",
            ms(percentile(l, 0.5)),
            ms(percentile(l, 0.99)),
            ms(l[l.len() - 1])
        );
    }
    println!();

    let m = sign_rate(&memory);
    let s = sign_rate(&pg);
    println!("## AsymmetricSign ECDSA_SHA_256, one thread (ops/s)");
    println!();
    println!("| in memory | PostgreSQL | ratio |");
    println!("|---|---|---|");
    println!("| {m:.0} | {s:.0} | {:.3} |", s / m);
    println!();

    // The per-call freshness check (one generation load after a pid check) on the cheapest call.
    let per_call = |store: &Store| -> f64 {
        let (k, v) = store
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap();
        let n = 200_000;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(store.get_public_key(&k, &v).unwrap());
        }
        start.elapsed().as_nanos() as f64 / n as f64
    };
    let (gm, gp) = (per_call(&memory), per_call(&pg));
    println!("## GetPublicKey, one thread (ns/call)");
    println!();
    println!("| in memory | PostgreSQL | difference |");
    println!("|---|---|---|");
    println!("| {gm:.0} | {gp:.0} | {:.0} |", gp - gm);
    println!();

    // Visibility: a key created through one store, polled for through another (own
    // connections, own follower) until DescribeKey finds it.
    let other = Store::open_with(cluster.store("bench"), PASS, &options()).unwrap();
    let mut delays = Vec::with_capacity(VISIBILITY_ROUNDS);
    for _ in 0..VISIBILITY_ROUNDS {
        let (k, _) = pg
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap();
        let start = Instant::now();
        while other.describe_key(&k).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "never seen");
            std::hint::spin_loop();
        }
        delays.push(start.elapsed());
    }
    delays.sort();
    println!("## Change visibility between two stores, {VISIBILITY_ROUNDS} changes (ms)");
    println!();
    println!("| median | p99 | max |");
    println!("|---|---|---|");
    println!(
        "| {} | {} | {} |",
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99)),
        ms(delays[delays.len() - 1])
    );
    drop((file, pg, other));
    std::fs::remove_dir_all(&dir).ok();
}
