//! A store file that was tampered with never opens as something it was not: a changed byte
//! anywhere is `Corrupt` (or, in the final record, that record's clean loss), a file cut short
//! opens as the records before the cut (and only a writer, under the lock, cuts the torn tail
//! off), a wrong passphrase is `Corrupt` saying so, and a second opener, in this process or
//! another, opens the same store. Nothing here may panic.

mod persist_common;

use std::process::Command;

use akms::core::{KeySpec, KeyUsage, Status, Store};
use persist_common::{open, snapshot, TempDir};

const PASS: &[u8] = b"tamper test passphrase";

/// A store built one record at a time: the file length and the snapshot after each record.
fn build(path: &std::path::Path) -> (Vec<u64>, Vec<String>) {
    let store = open(path, PASS).unwrap();
    let mut ends = vec![std::fs::metadata(path).unwrap().len()];
    let mut snaps = vec![snapshot(&store)];
    let mut step = |store: &Store| {
        ends.push(std::fs::metadata(path).unwrap().len());
        snaps.push(snapshot(store));
    };
    let (a, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("first"))
        .unwrap();
    step(&store);
    store.create_key_version(&a).unwrap();
    step(&store);
    store.create_alias("alias/a", &a).unwrap();
    step(&store);
    let (b, _) = store
        .create_key(KeySpec::EcSm2, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    step(&store);
    store.disable_key(&a).unwrap();
    step(&store);
    store.schedule_key_deletion(&b, 9).unwrap();
    step(&store);
    (ends, snaps)
}

#[test]
fn flipping_any_byte_is_corrupt_or_loses_only_the_final_record() {
    let dir = TempDir::new("flip");
    let original = dir.file("original.akms");
    let (ends, snaps) = build(&original);
    let bytes = std::fs::read(&original).unwrap();
    assert_eq!(bytes.len() as u64, *ends.last().unwrap());
    let n = ends.len() - 1;
    let copy = dir.file("copy.akms");
    let (mut corrupt, mut lost) = (0, 0);
    for pos in 0..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[pos] ^= 0xff;
        std::fs::write(&copy, &tampered).unwrap();
        // Which record the byte is in: 0 is the header.
        let record = ends.iter().position(|&e| (pos as u64) < e).unwrap();
        match open(&copy, PASS) {
            Err(e) => {
                assert_eq!(e.status(), Status::Corrupt, "byte {pos}: {e}");
                assert!(
                    !e.message().contains("wrong passphrase"),
                    "byte {pos} blamed on the passphrase: {e}"
                );
                corrupt += 1;
            }
            Ok(store) => {
                assert_eq!(
                    record, n,
                    "byte {pos} (record {record} of {n}) went unnoticed"
                );
                assert_eq!(snapshot(&store), snaps[n - 1], "byte {pos}");
                lost += 1;
            }
        }
    }
    assert!(corrupt > bytes.len() / 2, "{corrupt} corrupt, {lost} lost");
}

#[test]
fn a_file_cut_short_opens_as_the_records_before_the_cut() {
    let dir = TempDir::new("truncate");
    let original = dir.file("original.akms");
    let (ends, snaps) = build(&original);
    let bytes = std::fs::read(&original).unwrap();
    let copy = dir.file("copy.akms");
    for len in 0..bytes.len() {
        std::fs::write(&copy, &bytes[..len]).unwrap();
        let result = open(&copy, PASS);
        if len == 0 {
            // An empty file is a new store.
            assert_eq!(snapshot(&result.unwrap()), snaps[0]);
            continue;
        }
        if (len as u64) < ends[0] {
            let e = result.err().expect("a cut header must not open");
            assert_eq!(e.status(), Status::Corrupt, "length {len}: {e}");
            continue;
        }
        let whole = ends.iter().rposition(|&e| e <= len as u64).unwrap();
        let store = result.unwrap_or_else(|e| panic!("length {len}: {e}"));
        assert_eq!(snapshot(&store), snaps[whole], "length {len}");
        drop(store);
        // Opening (a reader) never repairs: the torn tail stays until a writer cuts it.
        assert_eq!(std::fs::metadata(&copy).unwrap().len(), len as u64);
    }
    // Appending after a repaired tail works and reopens.
    std::fs::write(&copy, &bytes[..bytes.len() - 3]).unwrap();
    let store = open(&copy, PASS).unwrap();
    store
        .create_key(KeySpec::EcP256k, KeyUsage::SignVerify, None)
        .unwrap();
    let after = snapshot(&store);
    drop(store);
    assert_eq!(snapshot(&open(&copy, PASS).unwrap()), after);
    // The writer cut the torn tail off before appending: the file is whole records only, so
    // every later cut of it opens too, as the records before the cut.
    let repaired = std::fs::read(&copy).unwrap();
    assert!(repaired.len() > ends[ends.len() - 2] as usize);
    for len in (ends[0] as usize..repaired.len()).step_by(7) {
        std::fs::write(&copy, &repaired[..len]).unwrap();
        open(&copy, PASS).unwrap_or_else(|e| panic!("repaired file cut at {len}: {e}"));
    }
}

#[test]
fn a_zero_filled_tail_is_a_torn_write() {
    let dir = TempDir::new("zeros");
    let original = dir.file("original.akms");
    let (ends, snaps) = build(&original);
    let mut bytes = std::fs::read(&original).unwrap();
    // The file system grew the file for the last record, but its data never landed.
    let last = ends[ends.len() - 2] as usize;
    bytes[last..].iter_mut().for_each(|b| *b = 0);
    std::fs::write(&original, &bytes).unwrap();
    assert_eq!(
        snapshot(&open(&original, PASS).unwrap()),
        snaps[snaps.len() - 2]
    );
    // Only the last 16 bytes zeroed: that is the tag of the final commit mark, which is never
    // torn (it is written on its own, within one sector, after the change is synced), so this
    // is damage to an acknowledged change, not a torn write (review fix 6a).
    let (_, snaps) = build(&dir.file("second.akms"));
    let mut bytes = std::fs::read(dir.file("second.akms")).unwrap();
    let len = bytes.len();
    bytes[len - 16..].iter_mut().for_each(|b| *b = 0);
    std::fs::write(dir.file("second.akms"), &bytes).unwrap();
    let e = open(&dir.file("second.akms"), PASS).err().unwrap();
    assert_eq!(e.status(), Status::Corrupt, "{e}");
    assert!(snaps.len() > 2);
}

#[test]
fn a_wrong_passphrase_is_corrupt_and_says_so() {
    let dir = TempDir::new("passphrase");
    let path = dir.file("store.akms");
    build(&path);
    let e = open(&path, b"tamper test passphrasE").err().unwrap();
    assert_eq!(e.status(), Status::Corrupt);
    assert!(e.message().contains("wrong passphrase"), "{e}");
    assert!(open(&path, PASS).is_ok());
}

#[test]
fn garbage_and_directories_are_refused_without_panicking() {
    let dir = TempDir::new("garbage");
    let path = dir.file("junk");
    std::fs::write(&path, b"this is not a store file at all, just some text").unwrap();
    let e = open(&path, PASS).err().unwrap();
    assert_eq!(e.status(), Status::Corrupt, "{e}");
    let mut big = b"AKMSTORE".to_vec();
    big.extend(std::iter::repeat_n(0xA5u8, 5000));
    std::fs::write(&path, &big).unwrap();
    assert_eq!(open(&path, PASS).err().unwrap().status(), Status::Corrupt);
    assert_eq!(open(&dir.0, PASS).err().unwrap().status(), Status::Io);
    let missing_dir = dir.0.join("no-such-dir").join("store.akms");
    assert_eq!(open(&missing_dir, PASS).err().unwrap().status(), Status::Io);
}

#[test]
fn a_second_opener_in_this_or_another_process_shares_the_store() {
    let dir = TempDir::new("share");
    let path = dir.file("store.akms");
    let first = open(&path, PASS).unwrap();
    let second = open(&path, PASS).unwrap();
    let (k, _) = first
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    // The second opener sees the first one's key on its very next call, and vice versa.
    assert_eq!(second.describe_key(&k).unwrap().key_id, k);
    second.disable_key(&k).unwrap();
    assert_eq!(first.describe_key(&k).unwrap().key_state, "Disabled");

    // Another process opens it too, while both are open, and sees the same key.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "share_child", "--nocapture", "--test-threads=1"])
        .env("AKMS_SHARE_CHILD", &path)
        .env("AKMS_SHARE_KEY", &k)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("child: Disabled, enabled"), "{stdout}");
    // Its change (EnableKey) is seen here on the next call.
    assert_eq!(first.describe_key(&k).unwrap().key_state, "Enabled");
    assert_eq!(second.describe_key(&k).unwrap().key_state, "Enabled");
}

/// Run by the test above in a child process: opens the shared store, reports the key's state,
/// and enables it.
#[test]
fn share_child() {
    let (Some(path), Ok(key)) = (
        std::env::var_os("AKMS_SHARE_CHILD"),
        std::env::var("AKMS_SHARE_KEY"),
    ) else {
        return;
    };
    let report = open(std::path::Path::new(&path), PASS).and_then(|store| {
        let state = store.describe_key(&key)?.key_state;
        store.enable_key(&key)?;
        Ok(state)
    });
    match report {
        Ok(state) => println!("child: {state}, enabled"),
        Err(e) => println!("child: {e}"),
    }
}

/// Openers that name the store through a symbolic link share the real file's lock, and a
/// compaction replaces the real file, leaving the link a link.
#[test]
fn a_symbolic_link_to_the_store_is_the_same_store() {
    let dir = TempDir::new("symlink");
    let real = dir.file("real.akms");
    let link = dir.file("link.akms");
    let direct = open(&real, PASS).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let linked = open(&link, PASS).unwrap();
    let (k, _) = linked
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    for _ in 0..5 {
        direct.disable_key(&k).unwrap();
        linked.enable_key(&k).unwrap();
    }
    drop((direct, linked));
    drop(open(&link, PASS).unwrap()); // compacts
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        open(&real, PASS)
            .unwrap()
            .describe_key(&k)
            .unwrap()
            .key_state,
        "Enabled"
    );
    assert!(!dir.file("link.akms.akms-lock").exists());
}
