//! The PostgreSQL medium on a real private cluster (tests/pg_common): the storage seam's
//! contract (medium.rs) as the journal relies on it, below the store.
#![cfg(feature = "postgres")]

mod pg_common;

use std::time::{Duration, Instant};

use akms::core::persist::medium::{Append, Cursor, Medium, Tail};
use akms::core::persist::postgres::PostgresMedium;
use akms::core::Error;
use pg_common::{shared, unique};

fn medium(uri: &str) -> PostgresMedium {
    PostgresMedium::new(uri).unwrap()
}

/// Appends `blobs` after whatever others appended; returns what the section was shown.
fn append(m: &PostgresMedium, from: &Cursor, blobs: &[&[u8]]) -> (Vec<Vec<u8>>, Cursor) {
    let mut shown = Vec::new();
    let end = m
        .append(from, &mut |tail: Tail| {
            shown = tail.records.iter().map(|r| r.blob.clone()).collect();
            Ok(Append {
                keep: tail.records.len(),
                records: blobs.iter().map(|b| b.to_vec()).collect(),
                barrier: blobs.len().saturating_sub(1),
            })
        })
        .unwrap();
    (shown, end)
}

/// Waits (bounded) until `m`'s generation differs from `seen`.
fn wait_generation(m: &PostgresMedium, seen: u64) -> Duration {
    let start = Instant::now();
    while m.generation() == seen {
        assert!(start.elapsed() < Duration::from_secs(10), "no notification");
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

#[test]
fn create_is_race_safe_and_open_finds_it() {
    let uri = shared().store(&unique("create"));
    let a = medium(&uri);
    let b = medium(&uri);
    assert!(a.open().unwrap().is_none());
    let (ha, ca) = a.create(b"header A").unwrap();
    assert_eq!(ha, b"header A");
    assert_eq!(ca.seq, 0);
    // The second creator gets the winner's header.
    let (hb, cb) = b.create(b"header B").unwrap();
    assert_eq!(hb, b"header A");
    assert_eq!(cb, ca);
    let (h, c) = medium(&uri).open().unwrap().unwrap();
    assert_eq!((h, c), (ha, ca));
    assert!(
        !a.location().contains(&shared().uri[20..40]),
        "password in the location"
    );
}

#[test]
fn appends_are_serialized_and_followed() {
    let uri = shared().store(&unique("append"));
    let a = medium(&uri);
    let b = medium(&uri);
    let (_, ca) = a.create(b"h").unwrap();
    let (_, cb) = b.open().unwrap().unwrap();
    assert!(b.read(&cb).unwrap().records.is_empty());

    let seen = b.generation();
    let (shown, ca) = append(&a, &ca, &[b"one", b"two"]);
    assert!(shown.is_empty());
    assert_eq!(ca.seq, 2);
    // b follows without asking the database: the generation moves, the read is the cache.
    let delay = wait_generation(&b, seen);
    eprintln!("follower saw the append after {delay:?}");
    let tail = b.read(&cb).unwrap();
    let blobs: Vec<&[u8]> = tail.records.iter().map(|r| &r.blob[..]).collect();
    assert_eq!(blobs, [&b"one"[..], b"two"]);
    assert_eq!(tail.records[1].seq, 1);
    assert_eq!(tail.end.seq, 2);

    // b appends from a stale cursor: the section shows it what a appended since, in order.
    let (shown, cb2) = append(&b, &cb, &[b"three"]);
    assert_eq!(shown, [b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(cb2.seq, 3);
    let (shown, ca) = append(&a, &ca, &[b"four"]);
    assert_eq!(shown, [b"three".to_vec()]);
    assert_eq!(ca.seq, 4);
    // A fresh opener reads all four, numbered 0..4.
    let c = medium(&uri);
    let (_, cc) = c.open().unwrap().unwrap();
    let tail = c.read(&cc).unwrap();
    let seqs: Vec<u64> = tail.records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
}

#[test]
fn a_failing_section_writes_nothing() {
    let uri = shared().store(&unique("fail"));
    let a = medium(&uri);
    let (_, c) = a.create(b"h").unwrap();
    let e = a
        .append(&c, &mut |_| Err(Error::AlreadyExists("alias/x".into())))
        .unwrap_err();
    assert_eq!(e, Error::AlreadyExists("alias/x".into()));
    let (_, c2) = append(&a, &c, &[b"after"]);
    assert_eq!(c2.seq, 1);
    // A section that refuses to keep a record (one failing authentication) is Corrupt, and the
    // database keeps it.
    let e = a
        .append(&c, &mut |tail| {
            Ok(Append {
                keep: tail.records.len() - 1,
                records: vec![b"x".to_vec()],
                barrier: 0,
            })
        })
        .unwrap_err();
    assert!(matches!(e, Error::Corrupt(_)), "{e:?}");
    let fresh = medium(&uri);
    let (_, c) = fresh.open().unwrap().unwrap();
    assert_eq!(fresh.read(&c).unwrap().records.len(), 1);
}

#[test]
fn compaction_replaces_the_log_for_followers() {
    let uri = shared().store(&unique("compact"));
    let a = medium(&uri);
    let b = medium(&uri);
    let (_, ca) = a.create(b"h1").unwrap();
    let (_, cb) = b.open().unwrap().unwrap();
    let (_, ca) = append(&a, &ca, &[b"1", b"2", b"3"]);
    // b follows the appends first.
    let mut cb = cb;
    let start = Instant::now();
    while cb.seq < 3 {
        assert!(start.elapsed() < Duration::from_secs(10));
        cb = b.read(&cb).unwrap().end;
        std::thread::sleep(Duration::from_millis(1));
    }
    // A compaction from a stale cursor is refused.
    let stale = Cursor {
        seq: 1,
        ..ca.clone()
    };
    assert!(a
        .compact(&stale, b"h2", &[b"s".to_vec()])
        .unwrap()
        .is_none());
    let seen = b.generation();
    let ca = a.compact(&ca, b"h2", &[b"snap".to_vec()]).unwrap().unwrap();
    assert_eq!(ca.seq, 1);
    wait_generation(&b, seen);
    let tail = b.read(&cb).unwrap();
    assert_eq!(tail.replaced.as_deref(), Some(&b"h2"[..]));
    assert_eq!(tail.records.len(), 1);
    assert_eq!(tail.records[0].blob, b"snap");
    assert_eq!(tail.records[0].seq, 0);
    // Appends go on after the snapshot, for both.
    let (_, cb) = append(&b, &tail.end, &[b"after"]);
    assert_eq!(cb.seq, 2);
    let (shown, _) = append(&a, &ca, &[]);
    assert_eq!(shown, [b"after".to_vec()]);
}

#[test]
fn a_deleted_record_is_corrupt() {
    let name = unique("gap");
    let uri = shared().store(&name);
    let a = medium(&uri);
    let (_, c) = a.create(b"h").unwrap();
    append(&a, &c, &[b"0", b"1", b"2"]);
    shared().psql(&format!(
        "DELETE FROM akms.record WHERE store = '{name}' AND seq = 1"
    ));
    let b = medium(&uri);
    match b.open() {
        Err(Error::Corrupt(m)) => assert!(m.contains("record 1 is missing"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn tls_verify_full_against_the_cluster_certificate() {
    let name = unique("tls");
    let a = medium(&shared().store_verified(&name));
    a.create(b"h").unwrap();
    // The certificate is for localhost and 127.0.0.1; any other name fails verify-full, and
    // passes verify-ca (the chain only).
    let other_name = |uri: String| {
        let port = uri
            .split("127.0.0.1:")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        uri.replace(
            &format!("@127.0.0.1:{port}/akms?"),
            &format!("@db.example:{port}/akms?hostaddr=127.0.0.1&"),
        )
    };
    medium(
        &shared()
            .store_verified(&name)
            .replace("@127.0.0.1:", "@localhost:"),
    )
    .open()
    .unwrap()
    .unwrap();
    match medium(&other_name(shared().store_verified(&name))).open() {
        Err(Error::Io(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    let chain_only = other_name(shared().store_verified(&name)).replace("verify-full", "verify-ca");
    medium(&chain_only).open().unwrap().unwrap();
    // SCRAM-SHA-256-PLUS: the password exchange is bound to the TLS session (also with
    // sslmode=require, where the certificate is not checked).
    let bound = format!("{}&channel_binding=require", shared().store(&name));
    medium(&bound).open().unwrap().unwrap();
    let no_ca = shared().store(&name).replace(
        "sslmode=require",
        "sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
    );
    match medium(&no_ca).open() {
        Err(Error::Io(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn bad_locations_are_invalid_arguments() {
    for bad in [
        "postgresql://u@h/db?akms_store=no%2Fslash",
        "postgresql://u@h/db?akms_store=",
        "postgresql://u@h:99999/db",
        "postgresql://u@h/db?sslmode=sometimes",
        "postgresql://u@h/db?bogus=1",
    ] {
        match PostgresMedium::new(bad) {
            Err(Error::InvalidArgument(_)) => {}
            other => panic!("{bad}: {:?}", other.err()),
        }
    }
    // A wrong password: Io naming the cause, in bounded time.
    let uri = shared().store("x").replace("akms:", "akms:wrong");
    let start = Instant::now();
    match medium(&uri).open() {
        Err(Error::Io(m)) => assert!(m.contains("password"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    assert!(start.elapsed() < Duration::from_secs(30));
}
