//! Stores in PostgreSQL through the Rust API, on a real private cluster (tests/pg_common):
//! every operation and a reopen, a wrong passphrase and a modified database (CORRUPT), two
//! stores in one database, what a dump shows, and hosts — separate processes, each with its own
//! connections (this test binary re-executed as `host_child`) — following each other, racing
//! for an alias, disabling a key under another's feet, and one SIGKILLed while writing.
#![cfg(feature = "postgres")]

mod persist_common;
mod pg_common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use akms::core::{Algorithm, Error, KeySpec, KeyUsage, MessageType, Status, Store};
use persist_common::{cheap, snapshot};
use pg_common::{shared, unique};

const PASS: &[u8] = b"postgres store passphrase";

fn open(uri: &str, pass: &[u8]) -> akms::Result<Store> {
    Store::open_with(uri, pass, &cheap())
}

fn digest(n: u8) -> [u8; 32] {
    [n; 32]
}

/// A PKCS#8 DER private key made by OpenSSL (genpkey, then pkcs8 -topk8: OpenSSL 3.0 writes
/// EC keys in DER as SEC1).
fn openssl_pkcs8(algorithm: &[&str]) -> Vec<u8> {
    let pem = Command::new("openssl")
        .arg("genpkey")
        .args(algorithm)
        .output()
        .expect("openssl genpkey");
    assert!(pem.status.success());
    let mut child = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl pkcs8");
    child.stdin.take().unwrap().write_all(&pem.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn every_operation_survives_reopen() {
    let uri = shared().store(&unique("ops"));
    let store = open(&uri, PASS).unwrap();
    let mut keys = Vec::new();
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsage::SignVerify),
        (KeySpec::Rsa2048, KeyUsage::EncryptDecrypt),
        (KeySpec::EcP256, KeyUsage::SignVerify),
        (KeySpec::EcP256k, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::SignVerify),
        (KeySpec::EcSm2, KeyUsage::EncryptDecrypt),
    ] {
        let (k, v) = store
            .create_key(spec, usage, Some(&format!("{spec} {usage}")))
            .unwrap();
        keys.push((k, v, spec, usage));
    }
    let (p256, p256_v, ..) = keys[2].clone();
    let v2 = store.create_key_version(&p256).unwrap();
    let (imported, imported_v) = store
        .import_key(
            KeyUsage::SignVerify,
            &openssl_pkcs8(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            Some("imported"),
        )
        .unwrap();
    let imported_v2 = store
        .import_key_version(
            &imported,
            &openssl_pkcs8(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        )
        .unwrap();
    store.create_alias("alias/pg", &p256).unwrap();
    store.create_alias("alias/moved", &p256).unwrap();
    store.update_alias("alias/moved", &imported).unwrap();
    store.create_alias("alias/gone", &imported).unwrap();
    store.delete_alias("alias/gone").unwrap();
    assert_eq!(
        store
            .create_alias("alias/pg", &imported)
            .unwrap_err()
            .status(),
        Status::AlreadyExists
    );

    // Cryptography on the PostgreSQL store.
    let sig = store
        .asymmetric_sign(
            "alias/pg",
            &v2,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest(1),
        )
        .unwrap();
    let sig_imported = store
        .asymmetric_sign(
            "alias/moved",
            &imported_v2,
            Algorithm::EcdsaSha256,
            MessageType::Raw,
            b"message",
        )
        .unwrap();
    let (rsa_enc, rsa_enc_v, ..) = keys[1].clone();
    let ct = store
        .asymmetric_encrypt(&rsa_enc, &rsa_enc_v, Algorithm::RsaesOaepSha256, b"secret")
        .unwrap();
    let (sm2_enc, sm2_enc_v, ..) = keys[5].clone();
    let ct_sm2 = store
        .asymmetric_encrypt(&sm2_enc, &sm2_enc_v, Algorithm::Sm2Pke, b"sm2 secret")
        .unwrap();
    let csr = store
        .generate_csr(&p256, &p256_v, "CN=pg.example,O=Acme", &["pg.example"])
        .unwrap();
    assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

    // States.
    let (k256, k256_v, ..) = keys[3].clone();
    let (sm2_sign, ..) = keys[4].clone();
    store.disable_key(&k256).unwrap();
    store.disable_key(&sm2_sign).unwrap();
    store.enable_key(&sm2_sign).unwrap();
    let (rsa_sign, ..) = keys[0].clone();
    store.schedule_key_deletion(&rsa_sign, 7).unwrap();
    store.schedule_key_deletion(&sm2_sign, 30).unwrap();
    store.cancel_key_deletion(&sm2_sign).unwrap();
    assert_eq!(
        store
            .asymmetric_sign(
                &k256,
                &k256_v,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                &digest(2)
            )
            .unwrap_err()
            .status(),
        Status::InvalidState
    );

    let before = snapshot(&store);
    drop(store);
    let store = open(&uri, PASS).unwrap();
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.describe_key(&k256).unwrap().key_state, "Disabled");
    assert_eq!(
        store.describe_key(&rsa_sign).unwrap().key_state,
        "PendingDeletion"
    );
    assert_eq!(store.describe_key("alias/moved").unwrap().key_id, imported);
    assert_eq!(
        store.describe_key("alias/gone").unwrap_err().status(),
        Status::NotFound
    );
    assert_eq!(store.list_key_versions(&imported).unwrap().len(), 2);
    assert!(store
        .asymmetric_verify(
            "alias/pg",
            &v2,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest(1),
            &sig
        )
        .unwrap());
    assert!(store
        .asymmetric_verify(
            &imported,
            &imported_v2,
            Algorithm::EcdsaSha256,
            MessageType::Raw,
            b"message",
            &sig_imported
        )
        .unwrap());
    assert_eq!(
        &store
            .asymmetric_decrypt(&rsa_enc, &rsa_enc_v, Algorithm::RsaesOaepSha256, &ct)
            .unwrap()[..],
        b"secret"
    );
    assert_eq!(
        &store
            .asymmetric_decrypt(&sm2_enc, &sm2_enc_v, Algorithm::Sm2Pke, &ct_sm2)
            .unwrap()[..],
        b"sm2 secret"
    );
    assert!(store.get_public_key(&imported, &imported_v).is_ok());
    // Changes after the reopen persist as well.
    store.enable_key(&k256).unwrap();
    store.cancel_key_deletion(&rsa_sign).unwrap();
    let before = snapshot(&store);
    drop(store);
    assert_eq!(snapshot(&open(&uri, PASS).unwrap()), before);
}

#[test]
fn wrong_passphrase_is_corrupt() {
    let uri = shared().store(&unique("pass"));
    let store = open(&uri, PASS).unwrap();
    store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    drop(store);
    match open(&uri, b"not the passphrase") {
        Err(Error::Corrupt(m)) => assert!(m.contains("passphrase"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn a_flipped_byte_in_a_record_is_corrupt() {
    let name = unique("flip");
    let uri = shared().store(&name);
    let store = open(&uri, PASS).unwrap();
    let (k, _) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("flip me"))
        .unwrap();
    store.create_alias("alias/flip", &k).unwrap();
    drop(store);
    // The middle of the first record's ciphertext.
    shared().psql(&format!(
        "UPDATE akms.record SET sealed = set_byte(sealed, 40, get_byte(sealed, 40) # 1) \
         WHERE store = '{name}' AND seq = 0"
    ));
    match open(&uri, PASS) {
        Err(Error::Corrupt(_)) => {}
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn a_flipped_byte_in_the_last_record_is_corrupt() {
    // The last record is the last change's commit mark: in a database nothing is torn, so its
    // damage is never taken for an interrupted write.
    let name = unique("flip-last");
    let uri = shared().store(&name);
    let store = open(&uri, PASS).unwrap();
    store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    drop(store);
    shared().psql(&format!(
        "UPDATE akms.record SET sealed = set_byte(sealed, 30, get_byte(sealed, 30) # 1) \
         WHERE store = '{name}' AND seq = (SELECT max(seq) FROM akms.record WHERE store = '{name}')"
    ));
    let opened = open(&uri, PASS);
    let e = match opened {
        Err(e) => e,
        // Opened without the damaged change: the next change must refuse to go on.
        Ok(s) => s
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap_err(),
    };
    assert_eq!(e.status(), Status::Corrupt, "{e}");
}

#[test]
fn two_stores_in_one_database_are_isolated() {
    let a_uri = shared().store(&unique("a"));
    let b_uri = shared().store(&unique("b"));
    let a = open(&a_uri, b"passphrase a").unwrap();
    let b = open(&b_uri, b"passphrase b").unwrap();
    let (ka, _) = a
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let (kb, _) = b
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    a.create_alias("alias/same", &ka).unwrap();
    b.create_alias("alias/same", &kb).unwrap();
    assert_eq!(a.list_keys().unwrap().len(), 1);
    assert_eq!(b.describe_key(&ka).unwrap_err().status(), Status::NotFound);
    assert_eq!(a.describe_key("alias/same").unwrap().key_id, ka);
    assert_eq!(b.describe_key("alias/same").unwrap().key_id, kb);
    drop((a, b));
    // Each passphrase opens its own store only.
    assert_eq!(
        open(&a_uri, b"passphrase b").err().unwrap().status(),
        Status::Corrupt
    );
    assert_eq!(
        open(&b_uri, b"passphrase b").unwrap().list_keys().unwrap()[0].key_id,
        kb
    );
}

#[test]
fn a_dump_shows_no_key_id_alias_description_or_public_key() {
    let uri = shared().store(&unique("dump"));
    let store = open(&uri, PASS).unwrap();
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for spec in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcSm2] {
        let description = format!("very secret description of {spec}");
        let (k, v) = store
            .create_key(spec, KeyUsage::SignVerify, Some(&description))
            .unwrap();
        let alias = format!("alias/secret-{}", spec.to_string().to_lowercase());
        store.create_alias(&alias, &k).unwrap();
        store.disable_key(&k).unwrap();
        let pem = store.get_public_key(&k, &v).unwrap();
        let (_, spki) = pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        secrets.extend([
            k.into_bytes(),
            v.into_bytes(),
            description.into_bytes(),
            alias.into_bytes(),
            body.as_bytes()[body.len() - 40..].to_vec(),
            // The public key itself (the point), which a bytea column would show in hex.
            spki[spki.len() - 32..].to_vec(),
        ]);
    }
    let dump = shared().dump();
    assert!(dump.len() > 1000, "the dump holds the records");
    for s in &secrets {
        assert!(
            !dump.windows(s.len()).any(|w| w == &s[..]),
            "{} in the dump",
            String::from_utf8_lossy(s)
        );
        // bytea is dumped in hex: the raw bytes must not be there in hex either.
        let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!dump.windows(hex.len()).any(|w| w == hex.as_bytes()));
    }
    for word in ["Disabled", "SIGN/VERIFY", "EC_P256", "BEGIN PUBLIC KEY"] {
        assert!(!dump.windows(word.len()).any(|w| w == word.as_bytes()));
    }
}

#[test]
fn malformed_locations_are_invalid_arguments() {
    for bad in [
        "postgresql://u@h/db?akms_store=a/b",
        "postgres://u@h/db?akms_store=",
        "postgresql://u@h:port/db",
        "postgresql://u@h/db?unknown=1",
    ] {
        assert_eq!(
            open(bad, PASS).err().unwrap().status(),
            Status::InvalidArgument,
            "{bad}"
        );
    }
    // A database that is not there: Io, in bounded time.
    let start = Instant::now();
    let e = open(
        "postgresql://akms:x@127.0.0.1:1/akms?connect_timeout=5",
        PASS,
    )
    .err()
    .unwrap();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert!(e.message().contains("127.0.0.1:1"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(30));
}

// ---- hosts: other processes ----------------------------------------------------------------

/// Another host: this test binary re-executed as `host_child`, opening `uri` itself and
/// running the commands it is sent, one per line.
struct Host {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Host {
    fn start(uri: &str) -> Host {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "host_child", "--ignored", "--nocapture"])
            .env("AKMS_TEST_HOST_URI", uri)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut host = Host {
            child,
            input,
            output,
        };
        assert_eq!(host.reply(), "ready");
        host
    }

    fn send(&mut self, command: &str) {
        writeln!(self.input, "{command}").unwrap();
        self.input.flush().unwrap();
    }

    /// The next reply line (lines of the test harness are skipped).
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(self.output.read_line(&mut line).unwrap() > 0, "host ended");
            if let Some(r) = line.trim_end().strip_prefix("@@ ") {
                return r.to_owned();
            }
        }
    }

    fn call(&mut self, command: &str) -> String {
        self.send(command);
        self.reply()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a host process (run only by `Host::start`). Commands: `create`, `alias A K`,
/// `disable K`, `stream` (creates keys until killed, printing each acknowledged id).
#[test]
#[ignore = "a helper process of the tests above"]
fn host_child() {
    let Ok(uri) = std::env::var("AKMS_TEST_HOST_URI") else {
        return;
    };
    let store = open(&uri, PASS).unwrap();
    let out = |s: String| {
        let mut o = std::io::stdout().lock();
        writeln!(o, "@@ {s}").unwrap();
        o.flush().unwrap();
    };
    let status = |r: akms::Result<()>| match r {
        Ok(()) => "OK".to_owned(),
        Err(e) => e.status().name().to_owned(),
    };
    out("ready".into());
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["create"] => {
                let (k, v) = store
                    .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                    .unwrap();
                out(format!("{k} {v}"));
            }
            ["alias", alias, key] => out(status(store.create_alias(alias, key))),
            ["disable", key] => out(status(store.disable_key(key))),
            ["stream"] => loop {
                let (k, _) = store
                    .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                    .unwrap();
                out(k);
            },
            _ => panic!("unknown command {line}"),
        }
    }
}

/// Polls `f` every millisecond until it holds (at most 10 s); returns how long it took.
fn until(mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(10), "never happened");
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

#[test]
fn another_host_sees_a_change_within_a_second() {
    let uri = shared().store(&unique("visible"));
    let here = open(&uri, PASS).unwrap();
    let mut there = Host::start(&uri);
    let mut delays = Vec::new();
    for _ in 0..10 {
        let reply = there.call("create");
        let key = reply.split(' ').next().unwrap().to_owned();
        delays.push(until(|| here.describe_key(&key).is_ok()));
    }
    delays.sort();
    eprintln!(
        "change visibility between hosts: median {:?}, max {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
    // SPEC: a call starting 1 s after the acknowledgement sees the change.
    let reply = there.call("create");
    let key = reply.split(' ').next().unwrap().to_owned();
    std::thread::sleep(Duration::from_secs(1));
    assert!(here.describe_key(&key).is_ok());
    assert!(here.list_keys().unwrap().iter().any(|m| m.key_id == key));
}

#[test]
fn hosts_racing_for_an_alias_have_exactly_one_winner() {
    let uri = shared().store(&unique("race"));
    let mut hosts = [Host::start(&uri), Host::start(&uri)];
    for round in 0..20 {
        let keys: Vec<String> = hosts
            .iter_mut()
            .map(|h| h.call("create").split(' ').next().unwrap().to_owned())
            .collect();
        let alias = format!("alias/race-{round}");
        for (h, k) in hosts.iter_mut().zip(&keys) {
            h.send(&format!("alias {alias} {k}"));
        }
        let mut replies: Vec<String> = hosts.iter_mut().map(|h| h.reply()).collect();
        replies.sort();
        assert_eq!(replies, ["AKMS_ERR_ALREADY_EXISTS", "OK"], "round {round}");
    }
    // And the winner is what every opener sees.
    let store = open(&uri, PASS).unwrap();
    for round in 0..20 {
        assert!(store.describe_key(&format!("alias/race-{round}")).is_ok());
    }
}

#[test]
fn a_key_disabled_on_one_host_stops_signing_on_another() {
    let uri = shared().store(&unique("disable"));
    let here = open(&uri, PASS).unwrap();
    let mut there = Host::start(&uri);
    let mut delays = Vec::new();
    for _ in 0..5 {
        let (k, v) = here
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap();
        let sign = || {
            here.asymmetric_sign(
                &k,
                &v,
                Algorithm::EcdsaSha256,
                MessageType::Digest,
                &digest(3),
            )
        };
        assert!(sign().is_ok());
        assert_eq!(there.call(&format!("disable {k}")), "OK");
        delays.push(until(|| sign().is_err()));
        assert_eq!(sign().unwrap_err().status(), Status::InvalidState);
    }
    delays.sort();
    eprintln!(
        "disable on one host → sign fails on another: median {:?}, max {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
    // SPEC: a sign starting 1 s after the disable was acknowledged fails.
    let (k, v) = here
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    assert_eq!(there.call(&format!("disable {k}")), "OK");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        here.asymmetric_sign(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest(4)
        )
        .unwrap_err()
        .status(),
        Status::InvalidState
    );
}

#[test]
fn a_writer_killed_mid_stream_loses_nothing_acknowledged() {
    let uri = shared().store(&unique("kill"));
    for round in 0..3 {
        let mut writer = Host::start(&uri);
        writer.send("stream");
        let acknowledged: Vec<String> = (0..20 + 10 * round).map(|_| writer.reply()).collect();
        writer.child.kill().unwrap(); // SIGKILL, mid-stream
        writer.child.wait().unwrap();
        let store = open(&uri, PASS).unwrap();
        for k in &acknowledged {
            assert!(store.describe_key(k).is_ok(), "acknowledged key {k} lost");
        }
        // The store stays usable for everyone.
        store
            .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
            .unwrap();
    }
}

#[test]
fn a_role_with_only_the_readme_grants_can_use_a_store() {
    let c = shared();
    // The owner's first open creates the schema.
    open(&c.store(&unique("owner")), PASS).unwrap();
    c.psql(
        "DO $$ BEGIN CREATE ROLE signer LOGIN PASSWORD 'signer-pw'; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
         GRANT USAGE ON SCHEMA akms TO signer; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON akms.store, akms.record TO signer;",
    );
    let uri = c.store(&unique("signer"));
    let (scheme, rest) = uri.split_once("://").unwrap();
    let (_, host) = rest.split_once('@').unwrap();
    let uri = format!("{scheme}://signer:signer-pw@{host}");
    let store = open(&uri, PASS).unwrap();
    let (k, v) = store
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    // Enough dead changes for a compaction (which deletes rows) after a change.
    for _ in 0..150 {
        store.disable_key(&k).unwrap();
        store.enable_key(&k).unwrap();
    }
    drop(store);
    let store = open(&uri, PASS).unwrap();
    assert!(store
        .asymmetric_sign(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest(5)
        )
        .is_ok());
    // The role cannot create tables of its own: the grants are all it has.
    assert_eq!(
        c.psql("SELECT has_database_privilege('signer', 'akms', 'CREATE')"),
        "f"
    );
}

#[test]
fn compaction_while_another_host_follows() {
    let name = unique("compact");
    let uri = shared().store(&name);
    let here = open(&uri, PASS).unwrap();
    let mut there = Host::start(&uri);
    let (k, v) = here
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, Some("compacted"))
        .unwrap();
    here.create_alias("alias/compacted", &k).unwrap();
    let rows = |n: &str| -> u64 {
        shared()
            .psql(&format!(
                "SELECT count(*) FROM akms.record WHERE store = '{n}'"
            ))
            .parse()
            .unwrap()
    };
    // Toggle states until the log is compacted (a few hundred dead changes), the other host
    // changing the store in between.
    let mut peak = 0;
    let mut compacted = false;
    let mut created = 0;
    for i in 0..400 {
        here.disable_key(&k).unwrap();
        here.enable_key(&k).unwrap();
        if i % 50 == 0 {
            assert!(there.call("create").contains(' '));
            created += 1;
        }
        if i % 10 == 9 {
            let now = rows(&name);
            if now < peak {
                compacted = true;
                break;
            }
            peak = now;
        }
    }
    assert!(
        compacted,
        "no compaction after 800 state changes ({peak} rows)"
    );
    // The other host follows the new log: its changes and ours go on, and both see them.
    assert_eq!(there.call(&format!("disable {k}")), "OK");
    until(|| here.describe_key(&k).unwrap().key_state == "Disabled");
    assert_eq!(
        there.call(&format!("alias alias/compacted {k}")),
        "AKMS_ERR_ALREADY_EXISTS"
    );
    here.enable_key(&k).unwrap();
    assert!(here
        .asymmetric_sign(
            &k,
            &v,
            Algorithm::EcdsaSha256,
            MessageType::Digest,
            &digest(6)
        )
        .is_ok());
    let fresh = open(&uri, PASS).unwrap();
    assert_eq!(fresh.describe_key("alias/compacted").unwrap().key_id, k);
    assert_eq!(fresh.list_keys().unwrap().len(), 1 + created);
}
