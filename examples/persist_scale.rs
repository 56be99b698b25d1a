//! Scale benchmark of a persistent store (a program, not a test):
//!
//! ```text
//! cargo run --release --example persist_scale [EC_KEYS [RSA_KEYS [DIR]]]   # default 100000 1000
//! ```
//!
//! Creates EC_KEYS EC_P256 keys one after another in a new store file (default Argon2id
//! parameters), printing the mean cost of a create over the last 1,000 creates at 1k, 10k, 100k
//! …; then RSA_KEYS RSA_2048 keys (generated on two threads; the commits are serialized). Prints
//! the file size per key and the resident memory, then reopens the file in a fresh process and
//! prints the open time and that process's resident memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use akms::core::{KeySpec, KeyUsage, Store};

const PASSPHRASE: &[u8] = b"persist_scale benchmark passphrase";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--open" {
        reopen(Path::new(&args[2]));
        return;
    }
    let ec: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let rsa: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let dir: PathBuf = args
        .get(3)
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("akms-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the benchmark directory");
    let path = dir.join("store.akms");

    let t = Instant::now();
    let store = Store::open(&path, PASSPHRASE).expect("create the store");
    println!(
        "create store file (Argon2id default): {:.0} ms",
        ms(t.elapsed())
    );

    let window = 1_000.min(ec.max(1));
    let mut window_start = Instant::now();
    for i in 1..=ec {
        store
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("bench"))
            .expect("create an EC_P256 key");
        if i % window == 0 {
            let per = ms(window_start.elapsed()) / window as f64;
            if i.is_power_of_two() || i == 1_000 || i % 10_000 == 0 {
                println!("EC_P256 keys: {i:>7}  mean create over the last {window}: {per:.3} ms");
            }
            window_start = Instant::now();
        }
    }
    let ec_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if ec > 0 {
        println!(
            "file after {ec} EC_P256 keys: {} bytes, {:.0} bytes per key",
            ec_size,
            ec_size as f64 / ec as f64
        );
    }
    println!("resident memory after creating: {}", rss());

    if rsa > 0 {
        let t = Instant::now();
        std::thread::scope(|s| {
            for part in [rsa / 2, rsa - rsa / 2] {
                let store = &store;
                s.spawn(move || {
                    for _ in 0..part {
                        store
                            .create_key(KeySpec::Rsa2048, KeyUsage::SignVerify, None)
                            .expect("create an RSA_2048 key");
                    }
                });
            }
        });
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "RSA_2048 keys: {rsa}  {:.1} ms per create (2 threads, key generation included), \
             {:.0} bytes per key",
            ms(t.elapsed()) / rsa as f64,
            (size - ec_size) as f64 / rsa as f64
        );
    }
    println!("resident memory with every key: {}", rss());
    drop(store);

    let out = Command::new(std::env::current_exe().expect("current exe"))
        .arg("--open")
        .arg(&path)
        .output()
        .expect("run the reopen");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

fn reopen(path: &Path) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let store = Store::open(path, PASSPHRASE).expect("reopen the store");
    let elapsed = t.elapsed();
    let keys = store.list_keys().expect("list").len();
    println!(
        "reopen in a fresh process: {keys} keys, {size} bytes, open took {:.0} ms; resident \
         memory {}",
        ms(elapsed),
        rss()
    );
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// This process's resident set size (and peak), from /proc.
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".to_string(), |kb| {
                format!("{:.1} MiB", kb as f64 / 1024.0)
            })
    };
    format!("{} (peak {})", field("VmRSS:"), field("VmHWM:"))
}
