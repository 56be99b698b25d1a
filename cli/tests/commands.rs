//! Every `akms` command run as a user would: the JSON field names of each response, `--out`,
//! `--in -`, and the exit status and standard error line of each failure SPEC names.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{b64, expect_code, fields, json_of, names, p, s, Env};

const METADATA_FIELDS: &[&str] = &[
    "Aliases",
    "CreationDate",
    "Description",
    "KeyId",
    "KeySpec",
    "KeyState",
    "KeyUsage",
    "Origin",
];

#[test]
fn key_commands_print_the_kms_fields() {
    let env = Env::new();
    let v = env.ok(&[
        "create-key",
        "--key-spec",
        "EC_P256",
        "--key-usage",
        "SIGN/VERIFY",
        "--description",
        "release signing",
    ]);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "KeyMetadata"]));
    let key = s(&v["KeyId"]);
    let v1 = s(&v["KeyVersionId"]);
    let meta = &v["KeyMetadata"];
    assert_eq!(fields(meta), names(METADATA_FIELDS));
    assert_eq!(s(&meta["KeyId"]), key);
    assert_eq!(s(&meta["KeySpec"]), "EC_P256");
    assert_eq!(s(&meta["KeyUsage"]), "SIGN/VERIFY");
    assert_eq!(s(&meta["KeyState"]), "Enabled");
    assert_eq!(s(&meta["Description"]), "release signing");
    assert_eq!(s(&meta["Origin"]), "Aliyun_KMS");

    let v = env.ok(&["create-key-version", "--key", &key]);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    assert_eq!(s(&v["KeyId"]), key);
    let v2 = s(&v["KeyVersionId"]);
    assert_ne!(v1, v2);

    let v = env.ok(&["describe-key", "--key", &key]);
    assert_eq!(fields(&v), names(&["KeyMetadata"]));
    assert_eq!(fields(&v["KeyMetadata"]), names(METADATA_FIELDS));

    let v = env.ok(&["list-key-versions", "--key", &key]);
    assert_eq!(fields(&v), names(&["KeyVersions"]));
    let versions = v["KeyVersions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    for (entry, id) in versions.iter().zip([&v1, &v2]) {
        assert_eq!(
            fields(entry),
            names(&["KeyId", "KeyVersionId", "CreationDate"])
        );
        assert_eq!(s(&entry["KeyVersionId"]), *id);
    }

    let (other, _) = env.create_key("EC_SM2", "ENCRYPT/DECRYPT");
    let v = env.ok(&["list-keys"]);
    assert_eq!(fields(&v), names(&["Keys"]));
    let keys: Vec<String> = v["Keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| s(&k["KeyId"]))
        .collect();
    assert_eq!(keys, [key.clone(), other.clone()]);
}

#[test]
fn alias_commands_name_the_alias_and_its_key() {
    let env = Env::new();
    let (a, _) = env.create_key("EC_P256K", "SIGN/VERIFY");
    let (b, _) = env.create_key("EC_P256K", "SIGN/VERIFY");
    let v = env.ok(&["create-alias", "--alias", "alias/ci", "--key", &a]);
    assert_eq!(fields(&v), names(&["KeyId", "AliasName"]));
    assert_eq!(
        (s(&v["KeyId"]), s(&v["AliasName"])),
        (a.clone(), "alias/ci".into())
    );
    // An alias stands wherever a key is taken.
    let v = env.ok(&["describe-key", "--key", "alias/ci"]);
    assert_eq!(s(&v["KeyMetadata"]["KeyId"]), a);
    assert_eq!(v["KeyMetadata"]["Aliases"], serde_json::json!(["alias/ci"]));

    let v = env.ok(&["update-alias", "--alias", "alias/ci", "--key", &b]);
    assert_eq!(
        (s(&v["KeyId"]), s(&v["AliasName"])),
        (b.clone(), "alias/ci".into())
    );
    let v = env.ok(&["create-key-version", "--key", "alias/ci"]);
    assert_eq!(s(&v["KeyId"]), b);

    let v = env.ok(&["delete-alias", "--alias", "alias/ci"]);
    assert_eq!((s(&v["KeyId"]), s(&v["AliasName"])), (b, "alias/ci".into()));
    let err = env.fails(&["describe-key", "--key", "alias/ci"], 12);
    assert!(err.starts_with("akms: AKMS_ERR_NOT_FOUND: "), "{err}");
}

#[test]
fn state_commands_print_the_key_id_and_change_the_state() {
    let env = Env::new();
    let (key, _) = env.create_key("EC_P256", "SIGN/VERIFY");
    env.ok(&["create-alias", "--alias", "alias/s", "--key", &key]);
    let state = || s(&env.ok(&["describe-key", "--key", &key])["KeyMetadata"]["KeyState"]);
    for (cmd, expect) in [
        (&["disable-key", "--key", "alias/s"][..], "Disabled"),
        (&["enable-key", "--key", "alias/s"][..], "Enabled"),
        (
            &[
                "schedule-key-deletion",
                "--key",
                "alias/s",
                "--pending-window-days",
                "7",
            ][..],
            "PendingDeletion",
        ),
        (&["cancel-key-deletion", "--key", "alias/s"][..], "Enabled"),
    ] {
        let v = env.ok(cmd);
        assert_eq!(fields(&v), names(&["KeyId"]), "{cmd:?}");
        assert_eq!(s(&v["KeyId"]), key, "{cmd:?}");
        assert_eq!(state(), expect, "{cmd:?}");
    }
    env.ok(&[
        "schedule-key-deletion",
        "--key",
        &key,
        "--pending-window-days",
        "30",
    ]);
    let meta = &env.ok(&["describe-key", "--key", &key])["KeyMetadata"];
    assert!(meta["DeleteDate"].is_string(), "{meta}");
}

#[test]
fn sign_and_verify_take_stdin_and_write_out() {
    let env = Env::new();
    let (key, ver) = env.create_key("EC_P256", "SIGN/VERIFY");
    let message = b"release 1.2.3\n";
    let base = [
        "--key",
        &key,
        "--key-version",
        &ver,
        "--algorithm",
        "ECDSA_SHA_256",
    ];
    let mut args = vec!["sign"];
    args.extend(base);
    args.extend(["--message-type", "RAW", "--in", "-"]);

    // JSON: the signature as base64 "Value".
    let v = json_of(&env.run_stdin(&args, message), &args);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "Value"]));
    assert_eq!(
        (s(&v["KeyId"]), s(&v["KeyVersionId"])),
        (key.clone(), ver.clone())
    );
    let sig = b64(&v["Value"]);
    assert_eq!(sig[0], 0x30, "a DER SEQUENCE");

    // --out: the raw DER in the file, no "Value" in the JSON.
    let out = env.path("sig.der");
    args.extend(["--out", p(&out)]);
    let v = json_of(&env.run_stdin(&args, message), &args);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    let sig2 = env.read("sig.der");
    assert_eq!(sig2[0], 0x30);

    let msg = env.write("msg", message);
    let json_sig = env.write("sig.json.der", &sig);
    for sig_file in [&out, &json_sig] {
        let mut verify = vec!["verify"];
        verify.extend(base);
        verify.extend([
            "--message-type",
            "RAW",
            "--in",
            p(&msg),
            "--signature",
            p(sig_file),
        ]);
        let v = env.ok(&verify);
        assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "Value"]));
        assert_eq!(v["Value"], serde_json::json!(true));
    }
    // The message on standard input too.
    let mut verify = vec!["verify"];
    verify.extend(base);
    verify.extend(["--message-type", "RAW", "--in", "-", "--signature", p(&out)]);
    let v = json_of(&env.run_stdin(&verify, message), &verify);
    assert_eq!(v["Value"], serde_json::json!(true));

    // Another message: JSON with "Value": false and exit 1.
    let out_v = env.run_stdin(&verify, b"release 1.2.4\n");
    expect_code(&out_v, 1, &verify);
    let v: serde_json::Value = serde_json::from_slice(&out_v.stdout).unwrap();
    assert_eq!(v["Value"], serde_json::json!(false));

    // DIGEST (the default) takes the 32-byte SHA-256 of the message.
    use sha2_digest::sha256;
    let digest = env.write("digest", sha256(message));
    let mut verify = vec!["verify"];
    verify.extend(base);
    verify.extend(["--in", p(&digest), "--signature", p(&out)]);
    assert_eq!(env.ok(&verify)["Value"], serde_json::json!(true));
    // Both from standard input cannot be.
    let mut both = vec!["verify"];
    both.extend(base);
    both.extend(["--in", "-", "--signature", "-"]);
    env.fails(&both, 2);
}

/// SHA-256 through the OpenSSL command, so the test needs no hash crate.
mod sha2_digest {
    pub fn sha256(data: &[u8]) -> Vec<u8> {
        let out = super::common::run_with_stdin(
            std::process::Command::new("openssl").args(["dgst", "-sha256", "-binary"]),
            data,
        );
        assert!(out.status.success());
        out.stdout
    }
}

#[test]
fn encrypt_and_decrypt_round_trip_through_json_and_files() {
    let env = Env::new();
    let (key, ver) = env.create_key("RSA_2048", "ENCRYPT/DECRYPT");
    let base = [
        "--key",
        &key,
        "--key-version",
        &ver,
        "--algorithm",
        "RSAES_OAEP_SHA_256",
    ];
    let secret = b"session key 0123456789abcdef";

    let mut enc = vec!["encrypt"];
    enc.extend(base);
    enc.extend(["--in", "-"]);
    let v = json_of(&env.run_stdin(&enc, secret), &enc);
    assert_eq!(
        fields(&v),
        names(&["KeyId", "KeyVersionId", "CiphertextBlob"])
    );
    let blob = b64(&v["CiphertextBlob"]);
    assert_eq!(blob.len(), 256);
    let ct = env.write("ct", &blob);

    let mut dec = vec!["decrypt"];
    dec.extend(base);
    dec.extend(["--in", p(&ct)]);
    let v = env.ok(&dec);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "Plaintext"]));
    assert_eq!(b64(&v["Plaintext"]), secret);

    // --out: raw bytes; the plaintext file is private (0600).
    let pt = env.path("pt");
    dec.extend(["--out", p(&pt)]);
    let v = env.ok(&dec);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    assert_eq!(env.read("pt"), secret);
    let mode = std::fs::metadata(&pt).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let ct2 = env.path("ct2");
    let mut enc = vec!["encrypt"];
    enc.extend(base);
    enc.extend(["--in", "-", "--out", p(&ct2)]);
    let v = json_of(&env.run_stdin(&enc, secret), &enc);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    assert_eq!(env.read("ct2").len(), 256);
    // --out - writes the raw bytes to standard output.
    let mut dec = vec!["decrypt"];
    dec.extend(base);
    dec.extend(["--in", p(&ct2), "--out", "-"]);
    let out = env.run(&dec);
    expect_code(&out, 0, &dec);
    assert!(out.stdout.starts_with(secret), "{:?}", out.stdout);
}

#[test]
fn public_key_and_csr_print_pem_or_write_it() {
    let env = Env::new();
    let (key, ver) = env.create_key("EC_P256", "SIGN/VERIFY");
    let v = env.ok(&["get-public-key", "--key", &key, "--key-version", &ver]);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "PublicKey"]));
    let pem = s(&v["PublicKey"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    let out = env.path("pub.pem");
    let v = env.ok(&[
        "get-public-key",
        "--key",
        &key,
        "--key-version",
        &ver,
        "--out",
        p(&out),
    ]);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    assert_eq!(env.read("pub.pem"), pem.as_bytes());

    let csr_args = [
        "generate-csr",
        "--key",
        &key,
        "--key-version",
        &ver,
        "--subject",
        "CN=build.example.com,O=Acme,C=CN",
        "--dns",
        "build.example.com",
        "--dns",
        "ci.example.com",
    ];
    let v = env.ok(&csr_args);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId", "Csr"]));
    assert!(s(&v["Csr"]).starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    let out = env.path("req.pem");
    let mut args = csr_args.to_vec();
    args.extend(["--out", p(&out)]);
    let v = env.ok(&args);
    assert_eq!(fields(&v), names(&["KeyId", "KeyVersionId"]));
    let text = String::from_utf8(env.read("req.pem")).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
}

/// Each exit status SPEC names, with the one-line `akms: NAME: message` on standard error.
#[test]
fn errors_exit_with_ten_plus_the_status() {
    let env = Env::new();
    let (rsa, rsa_v) = env.create_key("RSA_2048", "ENCRYPT/DECRYPT");
    let (ec, ec_v) = env.create_key("EC_P256", "SIGN/VERIFY");
    env.ok(&["create-alias", "--alias", "alias/taken", "--key", &ec]);
    let digest = env.write("digest", [7u8; 32]);
    let short = env.write("short", [7u8; 31]);
    let garbage = env.write("garbage", [1u8; 256]);
    let sign = |key: &str, ver: &str, alg: &str, file: &std::path::Path| {
        vec![
            "sign".to_string(),
            "--key".into(),
            key.into(),
            "--key-version".into(),
            ver.into(),
            "--algorithm".into(),
            alg.into(),
            "--in".into(),
            p(file).into(),
        ]
    };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            strings(&[
                "schedule-key-deletion",
                "--key",
                &ec,
                "--pending-window-days",
                "3",
            ]),
            11,
            "AKMS_ERR_INVALID_ARGUMENT",
        ),
        (
            sign(&ec, &ec_v, "ECDSA_SHA_256", &short),
            11,
            "AKMS_ERR_INVALID_ARGUMENT",
        ),
        (
            strings(&["create-alias", "--alias", "bad", "--key", &ec]),
            11,
            "AKMS_ERR_INVALID_ARGUMENT",
        ),
        (
            strings(&["describe-key", "--key", "alias/none"]),
            12,
            "AKMS_ERR_NOT_FOUND",
        ),
        (
            sign(&ec, "no-such-version", "ECDSA_SHA_256", &digest),
            12,
            "AKMS_ERR_NOT_FOUND",
        ),
        (
            strings(&["create-alias", "--alias", "alias/taken", "--key", &rsa]),
            13,
            "AKMS_ERR_ALREADY_EXISTS",
        ),
        (
            sign(&ec, &ec_v, "RSA_PSS_SHA_256", &digest),
            14,
            "AKMS_ERR_INCOMPATIBLE",
        ),
        (
            strings(&[
                "create-key",
                "--key-spec",
                "EC_P256",
                "--key-usage",
                "ENCRYPT/DECRYPT",
            ]),
            14,
            "AKMS_ERR_INCOMPATIBLE",
        ),
        (
            strings(&[
                "decrypt",
                "--key",
                &rsa,
                "--key-version",
                &rsa_v,
                "--algorithm",
                "RSAES_OAEP_SHA_1",
                "--in",
                p(&garbage),
            ]),
            16,
            "AKMS_ERR_DECRYPTION_FAILED",
        ),
        (
            sign(&ec, &ec_v, "ECDSA_SHA_256", &env.path("absent")),
            18,
            "AKMS_ERR_IO",
        ),
    ];
    for (args, code, name) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = env.fails(&args, code);
        let prefix = format!("akms: {name}: ");
        assert!(err.starts_with(&prefix), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.len() > prefix.len() + 1, "{args:?}: a message: {err}");
    }

    // INVALID_STATE: a Disabled key does no cryptography.
    env.ok(&["disable-key", "--key", &ec]);
    let args = sign(&ec, &ec_v, "ECDSA_SHA_256", &digest);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = env.fails(&args, 15);
    assert!(err.starts_with("akms: AKMS_ERR_INVALID_STATE: "), "{err}");

    // A store in a directory that does not exist: IO.
    let out = env
        .cmd()
        .args(["--store", p(&env.path("no/such/dir/s.akms")), "list-keys"])
        .output()
        .unwrap();
    let err = expect_code(&out, 18, &["--store no/such/dir"]);
    assert!(err.starts_with("akms: AKMS_ERR_IO: "), "{err}");
}

#[test]
fn a_wrong_passphrase_is_corrupt_exit_19() {
    let env = Env::new();
    env.create_key("EC_P256", "SIGN/VERIFY");
    let out = env
        .cmd()
        .env("AKMS_PASSPHRASE", "not the passphrase")
        .arg("list-keys")
        .output()
        .unwrap();
    let err = expect_code(&out, 19, &["list-keys with a wrong passphrase"]);
    assert!(err.starts_with("akms: AKMS_ERR_CORRUPT: "), "{err}");
    assert!(err.contains("passphrase"), "{err}");
    assert!(out.stdout.is_empty());
}

/// Usage errors exit 2 with clap's message; names that are not the contract's list the valid ones.
#[test]
fn usage_errors_exit_2_and_list_valid_names() {
    let env = Env::new();
    let (key, ver) = env.create_key("EC_P256", "SIGN/VERIFY");
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (vec!["no-such-command"], &["no-such-command"]),
        (vec!["list-keys", "--no-such-option"], &["--no-such-option"]),
        (vec!["describe-key"], &["--key"]),
        (
            vec![
                "create-key",
                "--key-spec",
                "RSA_1024",
                "--key-usage",
                "SIGN/VERIFY",
            ],
            &[
                "RSA_1024", "RSA_2048", "RSA_3072", "EC_P256", "EC_P256K", "EC_SM2",
            ],
        ),
        (
            vec!["create-key", "--key-spec", "EC_P256", "--key-usage", "SIGN"],
            &["SIGN/VERIFY", "ENCRYPT/DECRYPT"],
        ),
        (
            vec![
                "sign",
                "--key",
                &key,
                "--key-version",
                &ver,
                "--algorithm",
                "ECDSA",
                "--in",
                "-",
            ],
            &[
                "ECDSA_SHA_256",
                "SM2DSA",
                "RSA_PSS_SHA_256",
                "RSAES_OAEP_SHA_1",
                "SM2PKE",
            ],
        ),
        (
            vec![
                "sign",
                "--key",
                &key,
                "--key-version",
                &ver,
                "--algorithm",
                "ECDSA_SHA_256",
                "--message-type",
                "HASH",
                "--in",
                "-",
            ],
            &["DIGEST", "RAW"],
        ),
        (
            vec![
                "schedule-key-deletion",
                "--key",
                &key,
                "--pending-window-days",
                "seven",
            ],
            &["--pending-window-days"],
        ),
        (vec!["completions", "powershell"], &["bash", "zsh", "fish"]),
        (vec![], &["Usage"]),
    ];
    for (args, expect) in cases {
        let err = env.fails(&args, 2);
        for word in expect {
            assert!(err.contains(word), "{args:?}: {word:?} in {err}");
        }
    }
    // The passphrase is never a command-line value.
    env.fails(&["--passphrase", "x", "list-keys"], 2);
}

#[test]
fn every_command_has_help_and_akms_has_a_version() {
    let env = Env::new();
    let commands = [
        "create-key",
        "create-key-version",
        "import-key",
        "import-key-version",
        "describe-key",
        "list-keys",
        "list-key-versions",
        "create-alias",
        "update-alias",
        "delete-alias",
        "enable-key",
        "disable-key",
        "schedule-key-deletion",
        "cancel-key-deletion",
        "get-public-key",
        "sign",
        "verify",
        "encrypt",
        "decrypt",
        "generate-csr",
        "serve",
        "completions",
    ];
    let top = env.bare().arg("--help").output().unwrap();
    let top = String::from_utf8(top.stdout).unwrap();
    for cmd in commands {
        assert!(top.contains(cmd), "akms --help lists {cmd}");
        let out = env.bare().args([cmd, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("Usage: akms {cmd}")),
            "{cmd}: {text}"
        );
    }
    // sign --help says what DIGEST and RAW take.
    let out = env.bare().args(["sign", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("32-byte digest"), "{text}");
    assert!(text.contains("openssl dgst -sha256 -binary"), "{text}");

    let out = env.bare().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("akms {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.bare().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("create-key") && text.contains("key-spec"),
            "{shell}"
        );
    }
    // No store is opened for completions.
    assert!(!env.path("home/.local/share/akms").exists());
}

/// A RAW message of any size is the API's to judge: akms signs a 1 MiB message; an empty
/// DIGEST is the API's INVALID_ARGUMENT.
#[test]
fn raw_messages_go_to_the_api_whole() {
    let env = Env::new();
    let (key, ver) = env.create_key("EC_SM2", "SIGN/VERIFY");
    let big = env.write("big", vec![0x5a; 1 << 20]);
    let empty = env.write("empty", b"");
    let base = [
        "--key",
        &key,
        "--key-version",
        &ver,
        "--algorithm",
        "SM2DSA",
    ];
    let sig = env.path("sig");
    let mut args = vec!["sign"];
    args.extend(base);
    args.extend(["--message-type", "RAW", "--in", p(&big), "--out", p(&sig)]);
    env.ok(&args);
    let mut args = vec!["verify"];
    args.extend(base);
    args.extend([
        "--message-type",
        "RAW",
        "--in",
        p(&big),
        "--signature",
        p(&sig),
    ]);
    assert_eq!(env.ok(&args)["Value"], serde_json::json!(true));
    let mut args = vec!["sign"];
    args.extend(base);
    args.extend(["--in", p(&empty)]);
    let err = env.fails(&args, 11);
    assert!(err.contains("32 bytes"), "{err}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}
