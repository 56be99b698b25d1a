//! Many processes on one store file (issue 13, SPEC "Sharing a store"): real processes, each
//! this test binary run again as a child (`child`, selected by `AKMS_SHARE_ROLE`), never
//! threads.
//!
//! - a *server* child opens the store and answers one command per line on stdin (the parent
//!   drives two or three of them step by step);
//! - a *random* child makes a few hundred random changes and logs each acknowledged one;
//! - a *writer* child changes the store in a loop, logging acknowledgements, until killed or
//!   told to stop.

mod persist_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use akms::core::{Algorithm, KeySpec, KeyUsage, MessageType, Status, Store};
use persist_common::{open, snapshot, TempDir};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};

const PASS: &[u8] = b"sharing test passphrase";
const DIGEST: [u8; 32] = [7; 32];

fn spawn(role: &str, path: &Path, extra: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("AKMS_SHARE_ROLE", role)
        .env("AKMS_SHARE_PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// A server child, driven one command at a time.
struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(path: &Path) -> Server {
        let mut child = spawn("server", path, &[]).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut s = Server {
            child,
            stdin,
            stdout,
        };
        assert_eq!(s.read(), "READY");
        s
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next answer (the test harness may print before it: lines are matched by prefix).
    fn read(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the child exited"
            );
            let line = line.trim_end();
            // The test harness prints "test child ... " before the child's first line.
            let line = line.strip_prefix("test child ... ").unwrap_or(line);
            if ["READY", "OK", "ERR"].iter().any(|t| line.starts_with(t)) {
                return line.to_string();
            }
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        self.send(line);
        self.read()
    }

    /// A command that must succeed; the words after "OK".
    fn ok(&mut self, line: &str) -> Vec<String> {
        let answer = self.cmd(line);
        assert!(answer.starts_with("OK"), "{line}: {answer}");
        answer.split(' ').skip(1).map(str::to_string).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn digest_of(store: &Store) -> String {
    Sha256::digest(snapshot(store).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_store(dir: &TempDir) -> PathBuf {
    let path = dir.file("store.akms");
    drop(open(&path, PASS).unwrap()); // created with the cheap KDF
    path
}

// ---- random operations from four processes ----------------------------------------------

/// What the logs of the random children say the store must hold.
#[derive(Default)]
struct Expected {
    versions: BTreeMap<String, BTreeSet<String>>,
    states: BTreeMap<String, String>,
    aliases: BTreeMap<String, Option<String>>,
    races: BTreeMap<String, Vec<String>>,
}

#[test]
fn four_processes_of_random_operations_agree_with_their_logs() {
    let dir = TempDir::new("random");
    let path = new_store(&dir);
    let started = Instant::now();
    let children: Vec<Child> = (0..4)
        .map(|i| {
            spawn(
                "random",
                &path,
                &[
                    ("AKMS_SHARE_ID", i.to_string()),
                    ("AKMS_SHARE_OPS", "250".into()),
                ],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    let readers: Vec<_> = children
        .into_iter()
        .map(|mut c| {
            let out = c.stdout.take().unwrap();
            std::thread::spawn(move || {
                let lines: Vec<String> =
                    BufReader::new(out).lines().map_while(|l| l.ok()).collect();
                (c.wait().unwrap(), lines)
            })
        })
        .collect();
    let mut logs: Vec<Vec<String>> = Vec::new();
    for r in readers {
        let (status, lines) = r.join().unwrap();
        assert!(status.success(), "a random child failed: {status}");
        logs.push(
            lines
                .into_iter()
                .filter_map(|l| l.find("LOG: ").map(|at| l[at + 5..].to_string()))
                .collect(),
        );
    }
    let mut expected = Expected::default();
    let acked: usize = logs.iter().map(Vec::len).sum();
    // Keys first: a process may log a version of another process's key.
    for line in logs.iter().flatten() {
        if let ["KEY", k, v] = line.split(' ').collect::<Vec<_>>().as_slice() {
            expected
                .versions
                .insert(k.to_string(), BTreeSet::from([v.to_string()]));
            expected.states.insert(k.to_string(), "Enabled".into());
        }
    }
    for line in logs.iter().flatten() {
        match line.split(' ').collect::<Vec<_>>().as_slice() {
            ["KEY", ..] | ["SIGNED"] => {}
            ["VERSION", k, v] => {
                expected.versions.get_mut(*k).unwrap().insert(v.to_string());
            }
            ["STATE", k, s] => {
                expected.states.insert(k.to_string(), s.to_string());
            }
            ["ALIAS", a, k] => {
                expected.aliases.insert(a.to_string(), Some(k.to_string()));
            }
            ["UNALIAS", a] => {
                expected.aliases.insert(a.to_string(), None);
            }
            ["WON", a, k] => expected
                .races
                .entry(a.to_string())
                .or_default()
                .push(k.to_string()),
            other => panic!("unexpected log line {other:?}"),
        }
    }
    eprintln!(
        "4 processes: {acked} acknowledged operations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        expected.versions.len() > 20,
        "too few keys to mean anything"
    );

    // A fresh opener holds exactly what the logs imply: no change lost, none applied twice.
    let store = open(&path, PASS).unwrap();
    let keys = store.list_keys().unwrap();
    assert_eq!(keys.len(), expected.versions.len());
    for (k, versions) in &expected.versions {
        let listed: BTreeSet<String> = store
            .list_key_versions(k)
            .unwrap()
            .into_iter()
            .map(|v| v.key_version_id)
            .collect();
        assert_eq!(&listed, versions, "versions of {k}");
        assert_eq!(
            store.describe_key(k).unwrap().key_state,
            expected.states[k],
            "state of {k}"
        );
    }
    for (a, target) in &expected.aliases {
        match target {
            Some(k) => assert_eq!(&store.describe_key(a).unwrap().key_id, k, "{a}"),
            None => assert_eq!(
                store.describe_key(a).unwrap_err().status(),
                Status::NotFound
            ),
        }
    }
    for (a, winners) in &expected.races {
        assert_eq!(winners.len(), 1, "{a} had winners {winners:?}");
        assert_eq!(store.describe_key(a).unwrap().key_id, winners[0], "{a}");
    }
}

/// The random child: `AKMS_SHARE_OPS` random operations, logging each acknowledged change.
fn random_child(store: &Store, id: u64, ops: usize) {
    let mut rng = StdRng::seed_from_u64(0x5eed ^ id);
    let mut own: Vec<(String, String, &'static str)> = Vec::new(); // key, version, state
    let mut aliases: BTreeMap<String, bool> = BTreeMap::new();
    let log = |s: String| println!("LOG: {s}");
    let acceptable = |e: &akms::Error| {
        matches!(
            e.status(),
            Status::InvalidState | Status::AlreadyExists | Status::NotFound
        )
    };
    for _ in 0..ops {
        let roll = rng.random_range(0..100);
        if own.is_empty() || roll < 15 {
            let (k, v) = store
                .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .unwrap();
            log(format!("KEY {k} {v}"));
            own.push((k, v, "Enabled"));
            continue;
        }
        let mine = rng.random_range(0..own.len());
        // Any key of the store, most likely another process's (freshness at work).
        let all = store.list_keys().unwrap();
        let any = all[rng.random_range(0..all.len())].key_id.clone();
        match roll {
            15..=29 => match store.create_key_version(&any) {
                Ok(v) => log(format!("VERSION {any} {v}")),
                Err(e) if acceptable(&e) => {}
                Err(e) => panic!("version: {e}"),
            },
            30..=44 => {
                let (k, _, state) = &mut own[mine];
                let result = match *state {
                    "Enabled" => store.disable_key(k).map(|()| "Disabled"),
                    "Disabled" if rng.random_bool(0.2) => store
                        .schedule_key_deletion(k, 7)
                        .map(|()| "PendingDeletion"),
                    "Disabled" => store.enable_key(k).map(|()| "Enabled"),
                    _ => store.cancel_key_deletion(k).map(|()| "Enabled"),
                };
                let new = result.unwrap_or_else(|e| panic!("state of own key: {e}"));
                *state = new;
                log(format!("STATE {k} {new}"));
            }
            45..=64 => {
                let name = format!("alias/p{id}-{}", rng.random_range(0..4));
                let (k, _, _) = &own[mine];
                let result = match aliases.get(&name) {
                    Some(true) if rng.random_bool(0.3) => store.delete_alias(&name).map(|()| None),
                    Some(true) => store.update_alias(&name, k).map(|()| Some(k)),
                    _ => store.create_alias(&name, k).map(|()| Some(k)),
                };
                match result {
                    Ok(Some(k)) => {
                        aliases.insert(name.clone(), true);
                        log(format!("ALIAS {name} {k}"));
                    }
                    Ok(None) => {
                        aliases.insert(name.clone(), false);
                        log(format!("UNALIAS {name}"));
                    }
                    Err(e) if acceptable(&e) => {}
                    Err(e) => panic!("own alias: {e}"),
                }
            }
            65..=74 => {
                let name = format!("alias/race-{}", rng.random_range(0..30));
                let (k, _, _) = &own[mine];
                match store.create_alias(&name, k) {
                    Ok(()) => log(format!("WON {name} {k}")),
                    Err(e) if acceptable(&e) => {}
                    Err(e) => panic!("race alias: {e}"),
                }
            }
            _ => {
                let versions = match store.list_key_versions(&any) {
                    Ok(v) => v,
                    Err(e) if acceptable(&e) => continue,
                    Err(e) => panic!("list versions: {e}"),
                };
                let v = &versions[rng.random_range(0..versions.len())].key_version_id;
                let alg = Algorithm::EcdsaSha256;
                match store.asymmetric_sign(&any, v, alg, MessageType::Digest, &DIGEST) {
                    Ok(sig) => {
                        let ok = store.asymmetric_verify(
                            &any,
                            v,
                            alg,
                            MessageType::Digest,
                            &DIGEST,
                            &sig,
                        );
                        match ok {
                            Ok(valid) => assert!(valid, "own signature does not verify"),
                            Err(e) if acceptable(&e) => {}
                            Err(e) => panic!("verify: {e}"),
                        }
                        log("SIGNED".into());
                    }
                    Err(e) if acceptable(&e) => {}
                    Err(e) => panic!("sign: {e}"),
                }
            }
        }
    }
}

// ---- freshness ---------------------------------------------------------------------------

/// A call that starts after another process's call returned OK sees that change, on the very
/// next call: disable/enable and alias re-pointing, 50 rounds, both directions.
#[test]
fn freshness_across_two_processes_50_rounds() {
    let dir = TempDir::new("fresh");
    let path = new_store(&dir);
    let mut a = Server::start(&path);
    let mut b = Server::start(&path);
    let k1 = a.ok("create_key");
    let k2 = a.ok("create_key");
    a.ok(&format!("alias_create alias/f {}", k1[0]));
    for round in 0..50 {
        let (writer, reader) = if round % 2 == 0 {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        writer.ok(&format!("disable {}", k1[0]));
        assert_eq!(
            reader.cmd(&format!("sign {} {}", k1[0], k1[1])),
            "ERR AKMS_ERR_INVALID_STATE",
            "round {round}: a sign after the disable"
        );
        writer.ok(&format!("enable {}", k1[0]));
        reader.ok(&format!("sign {} {}", k1[0], k1[1]));
        let (to, version) = if round % 2 == 0 {
            (&k2, &k2[1])
        } else {
            (&k1, &k1[1])
        };
        writer.ok(&format!("alias_update alias/f {}", to[0]));
        assert_eq!(
            reader.ok("describe alias/f")[0],
            to[0],
            "round {round}: the alias after UpdateAlias"
        );
        reader.ok(&format!("sign alias/f {version}"));
    }
    // A version added to a key another process scheduled for deletion is INVALID_STATE.
    a.ok(&format!("schedule {}", k2[0]));
    assert_eq!(
        b.cmd(&format!("version {}", k2[0])),
        "ERR AKMS_ERR_INVALID_STATE"
    );
    assert_eq!(a.ok("digest"), b.ok("digest"));
}

// ---- races -------------------------------------------------------------------------------

/// Three processes race to create one alias name, 50 times: exactly one OK each time, the
/// others ALREADY_EXISTS, and everyone then agrees on the winner.
#[test]
fn alias_races_have_exactly_one_winner_50_rounds() {
    let dir = TempDir::new("race");
    let path = new_store(&dir);
    let mut servers: Vec<Server> = (0..3).map(|_| Server::start(&path)).collect();
    let keys: Vec<String> = servers
        .iter_mut()
        .map(|s| s.ok("create_key")[0].clone())
        .collect();
    let mut wins = [0; 3];
    for round in 0..50 {
        let name = format!("alias/race-{round}");
        for (s, k) in servers.iter_mut().zip(&keys) {
            s.send(&format!("alias_create {name} {k}"));
        }
        let answers: Vec<String> = servers.iter_mut().map(Server::read).collect();
        let winners: Vec<usize> = (0..3).filter(|&i| answers[i] == "OK").collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (i, answer) in answers.iter().enumerate() {
            if i != winners[0] {
                assert_eq!(answer, "ERR AKMS_ERR_ALREADY_EXISTS", "round {round}");
            }
        }
        wins[winners[0]] += 1;
        for s in &mut servers {
            assert_eq!(s.ok(&format!("describe {name}"))[0], keys[winners[0]]);
        }
    }
    eprintln!("alias race wins per process: {wins:?}");
}

// ---- crashes -----------------------------------------------------------------------------

/// A writer is SIGKILLed 30 times at random moments (mid-append included) while another
/// process keeps writing and reading: nothing acknowledged by either is lost, the survivor
/// never gets an error, and a fresh open succeeds.
#[test]
fn thirty_sigkills_of_a_writer_while_another_keeps_writing() {
    let dir = TempDir::new("crashloop");
    let path = new_store(&dir);
    let stop = dir.file("stop");
    let started = Instant::now();
    let mut survivor = spawn(
        "writer",
        &path,
        &[("AKMS_SHARE_STOP", stop.display().to_string())],
    )
    .spawn()
    .unwrap();
    let survivor_out = survivor.stdout.take().unwrap();
    let survivor_log = std::thread::spawn(move || {
        BufReader::new(survivor_out)
            .lines()
            .map_while(|l| l.ok())
            .collect::<Vec<String>>()
    });
    let mut rng = rand::rng();
    let mut acked: Vec<String> = Vec::new();
    let mut files = BTreeSet::new(); // store files seen: each compaction makes a new one
    for round in 0..30 {
        // Victims also flip a key's state hundreds of times now and then, so that some are
        // killed while compacting the file the survivor is using.
        let mut victim = spawn("writer", &path, &[("AKMS_SHARE_FLIP", "1".into())])
            .spawn()
            .unwrap();
        let out = victim.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                // A line cut short by the kill is not an acknowledgement.
                if line.ends_with('\n') && tx.send(line.trim_end().to_string()).is_err() {
                    break;
                }
                line.clear();
            }
        });
        if round % 5 == 4 {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..60))); // mid-open
        } else {
            loop {
                let line = rx
                    .recv_timeout(Duration::from_secs(30))
                    .expect("the victim did not get ready");
                if line.ends_with("READY") {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(rng.random_range(5..150)));
        }
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter().filter(|l| l.contains("LOG:")));
        files.insert(std::fs::metadata(&path).unwrap().ino());
    }
    std::fs::write(&stop, b"").unwrap();
    let status = survivor.wait().unwrap();
    let survivor_lines = survivor_log.join().unwrap();
    assert!(status.success(), "the survivor failed: {status}");
    let errors: Vec<&String> = survivor_lines
        .iter()
        .filter(|l| l.contains("ERROR"))
        .collect();
    assert!(errors.is_empty(), "the survivor got errors: {errors:?}");
    let survivor_acked: Vec<&String> = survivor_lines
        .iter()
        .filter(|l| l.contains("LOG:"))
        .collect();

    let store = open(&path, PASS).unwrap_or_else(|e| panic!("a fresh open fails: {e}"));
    let names = std::fs::read_dir(&dir.0).unwrap().count();
    // The store, its lock file, the stop file, and at most a killed compaction's temporary.
    assert!(names <= 4, "{names} files beside the store");
    let mut checked = 0;
    for line in acked.iter().chain(survivor_acked.iter().copied()) {
        let w: Vec<&str> = line.split(' ').collect();
        let at = w.iter().position(|x| x.starts_with("LOG:")).unwrap();
        match &w[at + 1..] {
            ["KEY", k, v] => {
                let versions = store
                    .list_key_versions(k)
                    .unwrap_or_else(|e| panic!("acknowledged key {k} lost: {e}"));
                assert!(versions.iter().any(|x| &x.key_version_id == v));
            }
            ["DISABLED", k] => assert_eq!(store.describe_key(k).unwrap().key_state, "Disabled"),
            ["ALIAS", a, k] => assert_eq!(&store.describe_key(a).unwrap().key_id, k),
            other => panic!("unexpected {other:?}"),
        }
        checked += 1;
    }
    eprintln!(
        "crash loop: 30 SIGKILLs; {} acknowledged by the victims, {} by the survivor, all \
         present in a fresh open; {} store files seen (compactions); {:.1} s",
        acked.len(),
        survivor_acked.len(),
        files.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(checked > 60, "too few acknowledgements to mean anything");
}

/// The writer child: create a key, disable it, name it, read another key; log each change
/// once its call returned. Every error is logged as ERROR (the survivor must have none).
fn writer_child(store: &Store, stop: Option<PathBuf>, flip: bool) {
    let me = std::process::id();
    let mut i = 0u64;
    while stop.as_ref().is_none_or(|s| !s.exists()) {
        let step = (|| -> akms::Result<()> {
            let (k, v) = store.create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)?;
            println!("LOG: KEY {k} {v}");
            if flip && i % 4 == 1 {
                // Dead changes: a compaction after a change follows (DEAD_BEFORE_COMPACTING).
                for _ in 0..150 {
                    store.disable_key(&k)?;
                    store.enable_key(&k)?;
                }
            }
            if i.is_multiple_of(2) {
                store.disable_key(&k)?;
                println!("LOG: DISABLED {k}");
            } else {
                let alias = format!("alias/w{me}-{i}");
                store.create_alias(&alias, &k)?;
                println!("LOG: ALIAS {alias} {k}");
                store.asymmetric_sign(
                    &alias,
                    &v,
                    Algorithm::EcdsaSha256,
                    MessageType::Digest,
                    &DIGEST,
                )?;
            }
            let keys = store.list_keys()?;
            let other = &keys[(i as usize * 7) % keys.len()].key_id;
            store.describe_key(other)?;
            Ok(())
        })();
        if let Err(e) = step {
            println!("ERROR {e}");
        }
        i += 1;
    }
}

// ---- compaction while shared -------------------------------------------------------------

/// Enough state flips to make most of the log dead while another process holds the file open
/// throughout; openers come and go (and compact), the long-running ones compact too; everyone
/// keeps working and agrees.
#[test]
fn compaction_while_another_process_holds_the_store_open() {
    let dir = TempDir::new("compact");
    let path = new_store(&dir);
    let mut holder = Server::start(&path);
    let here = open(&path, PASS).unwrap();
    let (k, _) = here
        .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
        .unwrap();
    let held = holder.ok("create_key");
    // Each compaction writes a new file with a new random log id (header bytes 48..64); inode
    // numbers cannot tell the files apart, as the file system reuses a freed one.
    let log_id = |path: &std::path::Path| std::fs::read(path).unwrap()[48..64].to_vec();
    let mut logs = BTreeSet::from([log_id(&path)]);
    let mut largest = 0;
    for cycle in 0..4 {
        // 300 flips: more than enough dead changes for compaction after a change, too.
        for _ in 0..150 {
            here.disable_key(&k).unwrap();
            here.enable_key(&k).unwrap();
        }
        largest = largest.max(std::fs::metadata(&path).unwrap().len());
        logs.insert(log_id(&path));
        // The holder works on across the compaction it did not see coming.
        holder.ok(&format!("disable {}", held[0]));
        holder.ok(&format!(
            "sign {} {}",
            k,
            here.list_key_versions(&k).unwrap()[0].key_version_id
        ));
        let made = holder.ok("create_key");
        assert_eq!(here.describe_key(&made[0]).unwrap().key_id, made[0]);
        // Openers come and go; each may compact on open.
        for _ in 0..3 {
            let comer = open(&path, PASS).unwrap();
            logs.insert(log_id(&path));
            comer.disable_key(&k).unwrap();
            comer.enable_key(&k).unwrap();
            assert_eq!(digest_of(&comer), digest_of(&here), "cycle {cycle}");
            drop(comer);
        }
        holder.ok(&format!("enable {}", held[0]));
        assert_eq!(holder.ok("digest")[0], digest_of(&here), "cycle {cycle}");
    }
    let compactions = logs.len() - 1;
    let now = std::fs::metadata(&path).unwrap().len();
    eprintln!(
        "compaction under sharing: {compactions} new files, largest {largest} B, now {now} B"
    );
    assert!(compactions >= 4, "the log was compacted while shared");
    assert!(now * 4 < largest);
    let fresh = open(&path, PASS).unwrap();
    assert_eq!(digest_of(&fresh), digest_of(&here));
    assert_eq!(fresh.list_keys().unwrap().len(), 6);
}

// ---- the children ------------------------------------------------------------------------

#[test]
fn child() {
    let Ok(role) = std::env::var("AKMS_SHARE_ROLE") else {
        return;
    };
    let path = PathBuf::from(std::env::var_os("AKMS_SHARE_PATH").unwrap());
    let store = open(&path, PASS).expect("child open");
    match role.as_str() {
        "random" => {
            let id = std::env::var("AKMS_SHARE_ID").unwrap().parse().unwrap();
            let ops = std::env::var("AKMS_SHARE_OPS").unwrap().parse().unwrap();
            random_child(&store, id, ops);
        }
        "writer" => {
            println!("READY");
            writer_child(
                &store,
                std::env::var_os("AKMS_SHARE_STOP").map(PathBuf::from),
                std::env::var_os("AKMS_SHARE_FLIP").is_some(),
            );
        }
        "server" => server_child(&store),
        other => panic!("unknown role {other}"),
    }
}

/// The server child: one command per line, one answer per line ("OK ..." or "ERR STATUS").
fn server_child(store: &Store) {
    println!("READY");
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let w: Vec<&str> = line.split(' ').collect();
        let alg = Algorithm::EcdsaSha256;
        let answer: akms::Result<String> = match w.as_slice() {
            ["create_key"] => store
                .create_key(KeySpec::EcP256, KeyUsage::SignVerify, None)
                .map(|(k, v)| format!("{k} {v}")),
            ["version", k] => store.create_key_version(k),
            ["alias_create", a, k] => store.create_alias(a, k).map(|()| String::new()),
            ["alias_update", a, k] => store.update_alias(a, k).map(|()| String::new()),
            ["disable", k] => store.disable_key(k).map(|()| String::new()),
            ["enable", k] => store.enable_key(k).map(|()| String::new()),
            ["schedule", k] => store.schedule_key_deletion(k, 7).map(|()| String::new()),
            ["sign", k, v] => store
                .asymmetric_sign(k, v, alg, MessageType::Digest, &DIGEST)
                .map(|_| String::new()),
            ["describe", k] => store
                .describe_key(k)
                .map(|m| format!("{} {}", m.key_id, m.key_state)),
            ["digest"] => Ok(digest_of(store)),
            _ => panic!("unknown command {line:?}"),
        };
        match answer {
            Ok(s) if s.is_empty() => println!("OK"),
            Ok(s) => println!("OK {s}"),
            Err(e) => println!("ERR {}", e.status().name()),
        }
    }
}
