//! A PostgreSQL store while its database goes away (`pg_ctl stop -m immediate`) and comes back,
//! on a private cluster of this test alone: changes fail with `Io` naming the cause in bounded
//! time, cryptography goes on with the last state seen, and once the server is back changes
//! work again and the other host follows again, without reopening anything.
#![cfg(feature = "postgres")]

mod persist_common;
mod pg_common;

use std::time::{Duration, Instant};

use akms::core::{Algorithm, KeySpec, KeyUsage, MessageType, Status, Store};
use persist_common::cheap;
use pg_common::Cluster;

const PASS: &[u8] = b"outage passphrase";

#[test]
fn an_outage_fails_changes_in_bounded_time_and_recovers_by_itself() {
    let cluster = Cluster::new("outage");
    let uri = cluster.store_verified("outage");
    let a = Store::open_with(&uri, PASS, &cheap()).unwrap();
    let b = Store::open_with(&uri, PASS, &cheap()).unwrap();
    let (k, v) = a
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let sign = |s: &Store| {
        s.asymmetric_sign(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &[7; 32],
        )
    };
    let start = Instant::now();
    while b.describe_key(&k).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(5));
    }

    cluster.stop("immediate");
    let mut failures = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let e = a
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap_err();
        failures.push(start.elapsed());
        assert_eq!(e.status(), Status::Io, "{e}");
        assert!(e.message().contains("127.0.0.1"), "names the database: {e}");
        let e = b.disable_key(&k).unwrap_err();
        assert_eq!(e.status(), Status::Io, "{e}");
        // SPEC: within 30 s, never hanging.
        assert!(failures.last().unwrap() < &Duration::from_secs(30));
    }
    eprintln!("changes during the outage failed after {failures:?}");
    // Cryptography and reads on the last state seen.
    for s in [&a, &b] {
        let sig = sign(s).unwrap();
        assert!(s
            .asymmetric_verify(
                &k,
                &v,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                &[7; 32],
                &sig
            )
            .unwrap());
        assert_eq!(s.list_keys().unwrap().len(), 1);
    }

    cluster.start();
    let back = Instant::now();
    // The first change after the restart works (a new connection), without reopening.
    let (k2, _) = a
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let first_change = back.elapsed();
    // The other host's follower reconnects by itself (backoff ≤ 2 s) and sees it.
    while b.describe_key(&k2).is_err() {
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "b never followed again"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let followed = back.elapsed();
    eprintln!("after the restart: first change {first_change:?}, other host followed {followed:?}");
    b.disable_key(&k).unwrap();
    let start = Instant::now();
    while sign(&a).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a never saw the disable"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sign(&a).unwrap_err().status(), Status::InvalidState);
}

/// Every process of the cluster's server (the postmaster and its children).
fn server_pids(cluster: &Cluster) -> Vec<String> {
    let pid_file = std::fs::read_to_string(cluster.dir().join("data/postmaster.pid")).unwrap();
    let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
    let children = std::process::Command::new("ps")
        .args(["-o", "pid=", "--ppid", &postmaster])
        .output()
        .unwrap();
    let mut pids: Vec<String> = String::from_utf8(children.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    pids.push(postmaster);
    pids
}

fn signal(pids: &[String], sig: &str) {
    let status = std::process::Command::new("kill")
        .arg(sig)
        .args(pids)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_database_that_stops_answering_fails_changes_in_seconds() {
    // SIGSTOP on the server: connections stay open (the kernel still acknowledges), nothing
    // answers. akms gives up when neither of its connections has heard from the server for
    // 5 s (well before the 25 s deadline); the change does not hold the store's state lock
    // meanwhile, so other calls go on.
    let cluster = Cluster::new("frozen");
    let uri = cluster.store("frozen");
    let a = Store::open_with(&uri, PASS, &cheap()).unwrap();
    let (k, v) = a
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let pids = server_pids(&cluster);
    signal(&pids, "-STOP");
    let start = Instant::now();
    let changer = {
        let a = a.clone();
        std::thread::spawn(move || {
            let e = a
                .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .unwrap_err();
            (e, start.elapsed())
        })
    };
    // Signing goes on meanwhile, on the last state seen: the change waiting for the database
    // does not hold the store's state lock (it fails only after 5 s of silence).
    std::thread::sleep(Duration::from_millis(300));
    let signed = a
        .asymmetric_sign(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &[1; 32],
        )
        .is_ok();
    let signed_while_the_change_waited = !changer.is_finished();
    let (e, took) = changer.join().unwrap();
    signal(&pids, "-CONT");
    eprintln!("a change against a frozen database failed after {took:?}: {e}");
    assert_eq!(e.status(), Status::Io, "{e}");
    assert!(e.message().contains("stopped answering"), "{e}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(signed);
    assert!(
        signed_while_the_change_waited,
        "the sign waited for the change ({took:?})"
    );
    // Thawed: changes work again, on a new connection.
    let (k2, _) = a
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let fresh = Store::open_with(&uri, PASS, &cheap()).unwrap();
    assert!(fresh.describe_key(&k2).is_ok());
}
