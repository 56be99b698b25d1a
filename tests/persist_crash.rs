//! kill -9 at any instant never loses an acknowledged change and never leaves a store that
//! cannot be opened.
//!
//! The test re-runs its own binary as a child (`crash_child`, selected by an environment
//! variable) that creates keys and versions, and toggles states, in a loop, printing each id once
//! the call that made it has returned. The parent kills it with SIGKILL at random moments (some
//! while it is still opening, and possibly compacting, the store), then opens the store and
//! checks every acknowledged id is there.

mod persist_common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use akms::core::{KeySpec, KeyUsage};
use persist_common::{open, TempDir};
use rand::RngExt;

const PASS: &[u8] = b"crash test passphrase";
const ROUNDS: usize = 36;

#[test]
fn sigkill_never_loses_an_acknowledged_change() {
    let started = Instant::now();
    let dir = TempDir::new("crash");
    let path = dir.file("store.akms");
    drop(open(&path, PASS).unwrap()); // created with the cheap KDF; the child opens it
    let mut rng = rand::rng();
    // key id → acknowledged version ids (the first included)
    let mut acked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut disabled: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("AKMS_CRASH_CHILD", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                // A line cut short by the kill is not an acknowledgement.
                if line.ends_with('\n') && tx.send(line.trim_end().to_string()).is_err() {
                    break;
                }
                line.clear();
            }
        });
        let mut lines = Vec::new();
        if round % 4 == 3 {
            // Kill at a random instant from the start: possibly during the open or compaction.
            std::thread::sleep(Duration::from_millis(rng.random_range(0..150)));
        } else {
            // Kill at a random instant while it is making changes.
            loop {
                let line = rx
                    .recv_timeout(Duration::from_secs(30))
                    .expect("the child did not get ready");
                let ready = line.ends_with("READY"); // the harness may prefix it
                lines.push(line);
                if ready {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(rng.random_range(20..250)));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());

        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["KEY", k, v] => {
                    acked.insert(k.to_string(), vec![v.to_string()]);
                }
                ["VERSION", k, v] => acked.get_mut(*k).unwrap().push(v.to_string()),
                ["DISABLED", k] => disabled.push(k.to_string()),
                _ => {}
            }
        }

        let store = open(&path, PASS)
            .unwrap_or_else(|e| panic!("round {round}: the store does not open after kill: {e}"));
        for (k, versions) in &acked {
            let listed: Vec<String> = store
                .list_key_versions(k)
                .unwrap_or_else(|e| panic!("round {round}: acknowledged key {k} lost: {e}"))
                .into_iter()
                .map(|v| v.key_version_id)
                .collect();
            for v in versions {
                assert!(
                    listed.contains(v),
                    "round {round}: acknowledged version {v} of {k} lost"
                );
            }
        }
        for k in &disabled {
            assert_eq!(
                store.describe_key(k).unwrap().key_state,
                "Disabled",
                "round {round}: acknowledged disable of {k} lost"
            );
        }
    }
    let versions: usize = acked.values().map(Vec::len).sum();
    eprintln!(
        "{ROUNDS} kills, {} keys and {versions} versions acknowledged ({} \
         disables), {:.1} s",
        acked.len(),
        disabled.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.len() >= 20,
        "too few keys acknowledged to mean anything"
    );
}

/// The child: opens the store and changes it until killed, acknowledging each change on stdout.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os("AKMS_CRASH_CHILD") else {
        return;
    };
    let store = open(std::path::Path::new(&path), PASS).expect("child open");
    println!("READY");
    for i in 0u64.. {
        let (k, v) = store
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("crash"))
            .unwrap();
        println!("KEY {k} {v}");
        if i % 2 == 0 {
            let v = store.create_key_version(&k).unwrap();
            println!("VERSION {k} {v}");
        }
        if i % 3 == 0 {
            // Dead records, so that some opens compact.
            store.disable_key(&k).unwrap();
            store.enable_key(&k).unwrap();
            store.disable_key(&k).unwrap();
            println!("DISABLED {k}");
        }
    }
}
