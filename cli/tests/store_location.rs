//! Where `akms` finds its store and its passphrase: the default location (created 0700/0600),
//! `$AKMS_STORE` and `--store`, and the passphrase sources in the contract's order.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{expect_code, json_of, p, Env, PASSPHRASE};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `akms` with `$AKMS_PASSPHRASE` only (no store variable).
fn with_passphrase(env: &Env) -> Command {
    let mut cmd = env.bare();
    cmd.env("AKMS_PASSPHRASE", PASSPHRASE);
    cmd
}

fn key_count(cmd: &mut Command) -> usize {
    let out = cmd.arg("list-keys").output().unwrap();
    json_of(&out, &["list-keys"])["Keys"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn the_default_store_is_under_home_created_private() {
    let env = Env::new();
    let out = with_passphrase(&env)
        .args([
            "create-key",
            "--key-spec",
            "EC_P256",
            "--key-usage",
            "SIGN/VERIFY",
        ])
        .output()
        .unwrap();
    json_of(&out, &["create-key"]);
    let dir = env.path("home/.local/share/akms");
    let file = dir.join("store.akms");
    assert!(file.is_file(), "the store is at {}", file.display());
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(key_count(&mut with_passphrase(&env)), 1);
}

#[test]
fn xdg_data_home_then_akms_store_then_store_option() {
    let env = Env::new();
    let xdg = env.path("xdg");
    let make = |cmd: &mut Command| {
        let out = cmd
            .args([
                "create-key",
                "--key-spec",
                "EC_P256K",
                "--key-usage",
                "SIGN/VERIFY",
            ])
            .output()
            .unwrap();
        json_of(&out, &["create-key"]);
    };
    make(with_passphrase(&env).env("XDG_DATA_HOME", &xdg));
    let file = xdg.join("akms/store.akms");
    assert!(file.is_file());
    assert_eq!(mode(&xdg.join("akms")), 0o700);
    assert_eq!(mode(&file), 0o600);
    assert!(!env.path("home/.local").exists(), "HOME is not used");

    // A relative XDG_DATA_HOME is ignored (XDG base directory rules): HOME's is used.
    make(with_passphrase(&env).env("XDG_DATA_HOME", "relative"));
    assert!(env.path("home/.local/share/akms/store.akms").is_file());

    // $AKMS_STORE comes before XDG_DATA_HOME, --store before $AKMS_STORE.
    let named = env.path("named.akms");
    let given = env.path("given.akms");
    make(
        with_passphrase(&env)
            .env("XDG_DATA_HOME", &xdg)
            .env("AKMS_STORE", &named),
    );
    make(
        with_passphrase(&env)
            .env("XDG_DATA_HOME", &xdg)
            .env("AKMS_STORE", &named)
            .args(["--store", p(&given)]),
    );
    assert_eq!(mode(&named), 0o600);
    assert_eq!(mode(&given), 0o600);
    assert_eq!(
        key_count(with_passphrase(&env).env("XDG_DATA_HOME", &xdg)),
        1
    );
    assert_eq!(
        key_count(with_passphrase(&env).env("AKMS_STORE", &named)),
        1
    );
    assert_eq!(
        key_count(with_passphrase(&env).args(["--store", p(&given)])),
        1
    );
}

#[test]
fn passphrase_sources_are_tried_in_order() {
    let env = Env::new();
    let store = env.path("s.akms");
    let one = env.write("one", "first secret\n");
    let two = env.write("two", "second secret");
    let base = |cmd: &mut Command| {
        cmd.env("AKMS_STORE", &store);
    };
    // Created with --passphrase-file: the passphrase is the file's bytes less one newline.
    let mut cmd = env.bare();
    base(&mut cmd);
    cmd.args(["--passphrase-file", p(&one)]);
    cmd.args([
        "create-key",
        "--key-spec",
        "EC_P256",
        "--key-usage",
        "SIGN/VERIFY",
    ]);
    json_of(&cmd.output().unwrap(), &["create-key"]);

    let run = |setup: &dyn Fn(&mut Command)| {
        let mut cmd = env.bare();
        base(&mut cmd);
        setup(&mut cmd);
        cmd.arg("list-keys").output().unwrap().status.code()
    };
    // $AKMS_PASSPHRASE alone, without the newline.
    assert_eq!(
        run(&|c| {
            c.env("AKMS_PASSPHRASE", "first secret");
        }),
        Some(0)
    );
    // --passphrase-file comes before $AKMS_PASSPHRASE_FILE and $AKMS_PASSPHRASE.
    assert_eq!(
        run(&|c| {
            c.args(["--passphrase-file", p(&one)])
                .env("AKMS_PASSPHRASE_FILE", &two)
                .env("AKMS_PASSPHRASE", "wrong");
        }),
        Some(0)
    );
    // $AKMS_PASSPHRASE_FILE comes before $AKMS_PASSPHRASE.
    assert_eq!(
        run(&|c| {
            c.env("AKMS_PASSPHRASE_FILE", &one)
                .env("AKMS_PASSPHRASE", "wrong");
        }),
        Some(0)
    );
    assert_eq!(
        run(&|c| {
            c.env("AKMS_PASSPHRASE_FILE", &two)
                .env("AKMS_PASSPHRASE", "first secret");
        }),
        Some(19)
    );
    assert_eq!(
        run(&|c| {
            c.args(["--passphrase-file", p(&two)])
                .env("AKMS_PASSPHRASE", "first secret");
        }),
        Some(19)
    );
    // Only one trailing newline is dropped.
    let twice = env.write("twice", "first secret\n\n");
    assert_eq!(
        run(&|c| {
            c.args(["--passphrase-file", p(&twice)]);
        }),
        Some(19)
    );
    // A passphrase file that cannot be read is an IO error.
    let out = {
        let mut cmd = env.bare();
        base(&mut cmd);
        cmd.args(["--passphrase-file", p(&env.path("absent")), "list-keys"]);
        cmd.output().unwrap()
    };
    let err = expect_code(&out, 18, &["--passphrase-file absent"]);
    assert!(err.starts_with("akms: AKMS_ERR_IO: "), "{err}");
}

/// No passphrase source and no terminal to ask on (setsid: no controlling terminal): exit 2.
#[test]
fn no_passphrase_and_no_terminal_is_a_usage_error() {
    let env = Env::new();
    let out = Command::new("setsid")
        .arg("--wait")
        .arg(env!("CARGO_BIN_EXE_akms"))
        .args(["--store", p(&env.path("s.akms")), "list-keys"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.path("home"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = expect_code(&out, 2, &["list-keys with no passphrase"]);
    assert!(err.contains("AKMS_PASSPHRASE"), "{err}");
    assert!(!env.path("s.akms").exists(), "nothing is created");
}

/// On a terminal (a pseudo-terminal from `script`), akms asks for the passphrase (rpassword, no
/// echo), twice for a new store, and prints pretty JSON.
#[test]
fn a_terminal_is_asked_for_the_passphrase() {
    let env = Env::new();
    let store = env.path("tty.akms");
    let akms = env!("CARGO_BIN_EXE_akms");
    let script = |cmdline: String, input: &str| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &cmdline, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", env.path("home"))
            .env("AKMS_KDF_PARAMS", common::CHEAP_KDF);
        let out = common::run_with_stdin(&mut cmd, input.as_bytes());
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let create = format!(
        "{akms} --store {} create-key --key-spec EC_P256 --key-usage SIGN/VERIFY",
        p(&store)
    );
    let (code, text) = script(create.clone(), "tty secret\ntty secret\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Passphrase for"), "{text}");
    assert!(text.contains("repeat the passphrase"), "{text}");
    // (Echo is not checked: input typed ahead of the prompt is echoed by the terminal itself.)
    assert!(
        text.contains("{\r\n  \"KeyId\""),
        "pretty JSON on a terminal: {text}"
    );

    let list = format!("{akms} --store {} list-keys", p(&store));
    let (code, text) = script(list.clone(), "tty secret\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        !text.contains("repeat"),
        "an existing store is asked once: {text}"
    );
    let (code, _) = script(list, "other\n");
    assert_eq!(code, Some(19));

    // A new store whose two entries differ is not created.
    let other = env.path("other.akms");
    let (code, text) = script(create.replace(p(&store), p(&other)), "one\ntwo\n");
    assert_eq!(code, Some(2), "{text}");
    assert!(!other.exists() || std::fs::metadata(&other).unwrap().len() == 0);
}

/// On a terminal, a spinner on standard error says what the wait is for while the store's key
/// is derived (here with the default, costly KDF).
#[test]
fn a_spinner_shows_on_a_terminal_while_the_kdf_runs() {
    let env = Env::new();
    let cmdline = format!(
        "{} --store {} list-keys",
        env!("CARGO_BIN_EXE_akms"),
        p(&env.path("slow.akms"))
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &cmdline, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.path("home"))
        // indicatif draws nothing on a terminal without TERM (taken as dumb).
        .env("TERM", "xterm")
        .env("AKMS_PASSPHRASE", PASSPHRASE);
    let out = common::run_with_stdin(&mut cmd, b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("deriving its key"), "{text}");
    assert!(text.contains("\"Keys\": []"), "{text}");
}
