//! `akms` against the OpenSSL command line, as a user would combine them: OpenSSL verifies
//! what `akms sign` signs (every key spec; PSS with salt 32; SM2 with the default distid),
//! `akms decrypt` opens what `openssl pkeyutl -encrypt` sealed (OAEP SHA-1 and SHA-256, SM2),
//! `openssl req -verify` accepts what `akms generate-csr` makes, and keys from
//! `openssl genpkey` import in DER and in PEM.

mod common;

use common::{openssl, openssl_ok, p, s, Env, SM2_DISTID};

const SPECS: [&str; 5] = ["RSA_2048", "RSA_3072", "EC_P256", "EC_P256K", "EC_SM2"];

/// The signing algorithms of a spec.
fn sign_algorithms(spec: &str) -> &'static [&'static str] {
    match spec {
        "RSA_2048" | "RSA_3072" => &["RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"],
        "EC_SM2" => &["SM2DSA"],
        _ => &["ECDSA_SHA_256"],
    }
}

/// Whether `openssl dgst` verifies `sig` over the file `msg` with the PEM public key `pubkey`.
fn openssl_verifies(alg: &str, pubkey: &str, msg: &str, sig: &str) -> bool {
    let mut args = vec!["dgst", if alg == "SM2DSA" { "-sm3" } else { "-sha256" }];
    args.extend(["-verify", pubkey, "-signature", sig]);
    match alg {
        "RSA_PSS_SHA_256" => args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
        ]),
        "SM2DSA" => args.extend(["-sigopt", SM2_DISTID]),
        _ => {}
    }
    args.push(msg);
    let (ok, text) = openssl(&args);
    assert_eq!(ok, text.contains("Verified OK"), "{text}");
    ok
}

#[test]
fn openssl_verifies_akms_signatures_for_every_spec() {
    let env = Env::new();
    let msg = env.write(
        "release.tar.gz",
        b"the release, byte for byte\n".repeat(100),
    );
    let digest = env.path("release.sha256");
    openssl_ok(&["dgst", "-sha256", "-binary", "-out", p(&digest), p(&msg)]);
    for spec in SPECS {
        let (key, ver) = env.create_key(spec, "SIGN/VERIFY");
        let pubkey = env.path(&format!("{spec}.pub.pem"));
        env.ok(&[
            "get-public-key",
            "--key",
            &key,
            "--key-version",
            &ver,
            "--out",
            p(&pubkey),
        ]);
        for alg in sign_algorithms(spec) {
            // RAW for every algorithm; DIGEST (the SHA-256 from openssl) where it is SHA-256.
            let mut kinds = vec![("RAW", &msg)];
            if *alg != "SM2DSA" {
                kinds.push(("DIGEST", &digest));
            }
            for (mt, input) in kinds {
                let sig = env.path(&format!("{spec}.{alg}.{mt}.sig"));
                // The key version, algorithm and input that sign and verify both take.
                let signed = [
                    "--key",
                    &key,
                    "--key-version",
                    &ver,
                    "--algorithm",
                    alg,
                    "--message-type",
                    mt,
                    "--in",
                    p(input),
                ];
                env.ok(&[&["sign"], &signed[..], &["--out", p(&sig)]].concat());
                assert!(
                    openssl_verifies(alg, p(&pubkey), p(&msg), p(&sig)),
                    "{spec} {alg} {mt}: OpenSSL rejects akms's signature"
                );
                let mut bad = std::fs::read(&sig).unwrap();
                let mid = bad.len() / 2;
                bad[mid] ^= 0x01;
                let bad_sig = env.write("bad.sig", bad);
                assert!(
                    !openssl_verifies(alg, p(&pubkey), p(&msg), p(&bad_sig)),
                    "{spec} {alg} {mt}: OpenSSL accepts a flipped bit"
                );
                let good = [&["verify"], &signed[..], &["--signature", p(&sig)]].concat();
                assert_eq!(env.ok(&good)["Value"], serde_json::json!(true));
                let tampered = [&["verify"], &signed[..], &["--signature", p(&bad_sig)]].concat();
                env.fails(&tampered, 1);
            }
        }
    }
}

#[test]
fn akms_decrypts_what_openssl_encrypts() {
    let env = Env::new();
    let oaep = |md: &'static str| -> Vec<&'static str> {
        let (oaep_md, mgf1_md) = match md {
            "sha1" => ("rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"),
            _ => ("rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"),
        };
        vec![
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            oaep_md,
            "-pkeyopt",
            mgf1_md,
        ]
    };
    let cases: [(&str, &str, Vec<&str>, usize); 5] = [
        ("RSA_2048", "RSAES_OAEP_SHA_1", oaep("sha1"), 214),
        ("RSA_2048", "RSAES_OAEP_SHA_256", oaep("sha256"), 190),
        ("RSA_3072", "RSAES_OAEP_SHA_1", oaep("sha1"), 342),
        ("RSA_3072", "RSAES_OAEP_SHA_256", oaep("sha256"), 318),
        ("EC_SM2", "SM2PKE", vec![], 6047),
    ];
    for (spec, alg, opts, max) in cases {
        let (key, ver) = env.create_key(spec, "ENCRYPT/DECRYPT");
        let pubkey = env.path("enc.pub.pem");
        env.ok(&[
            "get-public-key",
            "--key",
            &key,
            "--key-version",
            &ver,
            "--out",
            p(&pubkey),
        ]);
        for n in [1, max] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            let pt = env.write("plain", &plain);
            let ct = env.path("ct");
            let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", p(&pubkey)];
            args.extend(&opts);
            args.extend(["-in", p(&pt), "-out", p(&ct)]);
            openssl_ok(&args);
            let out = env.path("opened");
            env.ok(&[
                "decrypt",
                "--key",
                &key,
                "--key-version",
                &ver,
                "--algorithm",
                alg,
                "--in",
                p(&ct),
                "--out",
                p(&out),
            ]);
            assert_eq!(env.read("opened"), plain, "{spec} {alg} {n} bytes");
        }
        // One byte over the limit: akms encrypt refuses it (the API's INVALID_ARGUMENT).
        let over = env.write("over", vec![1u8; max + 1]);
        let err = env.fails(
            &[
                "encrypt",
                "--key",
                &key,
                "--key-version",
                &ver,
                "--algorithm",
                alg,
                "--in",
                p(&over),
            ],
            11,
        );
        assert!(
            err.starts_with("akms: AKMS_ERR_INVALID_ARGUMENT: "),
            "{err}"
        );
    }
}

/// `openssl req -verify` prints "verify OK" for a good request (OpenSSL 3.0 exits 0 even when
/// the self-signature fails, so the verdict is read from its output).
#[test]
fn openssl_req_verifies_akms_csrs_for_every_spec() {
    let env = Env::new();
    for spec in SPECS {
        let (key, ver) = env.create_key(spec, "SIGN/VERIFY");
        let csr = env.path(&format!("{spec}.csr"));
        env.ok(&[
            "generate-csr",
            "--key",
            &key,
            "--key-version",
            &ver,
            "--subject",
            "CN=release.example.com,O=Acme,C=CN",
            "--dns",
            "release.example.com",
            "--out",
            p(&csr),
        ]);
        let mut args = vec!["req", "-in", p(&csr), "-verify", "-noout", "-subject"];
        if spec == "EC_SM2" {
            args.extend(["-vfyopt", SM2_DISTID]);
        }
        let (_, text) = openssl(&args);
        assert!(text.contains("verify OK"), "{spec}: {text}");
        assert!(text.contains("CN = release.example.com"), "{spec}: {text}");
    }
}

fn genpkey(env: &Env, spec: &str, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let opt = match spec {
        "RSA_2048" => ["RSA", "rsa_keygen_bits:2048"],
        "RSA_3072" => ["RSA", "rsa_keygen_bits:3072"],
        "EC_P256" => ["EC", "ec_paramgen_curve:P-256"],
        "EC_P256K" => ["EC", "ec_paramgen_curve:secp256k1"],
        _ => ["EC", "ec_paramgen_curve:SM2"],
    };
    let pem = env.path(&format!("{name}.pem"));
    let der = env.path(&format!("{name}.der"));
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        opt[0],
        "-pkeyopt",
        opt[1],
        "-out",
        p(&pem),
    ]);
    openssl_ok(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        p(&pem),
        "-outform",
        "DER",
        "-out",
        p(&der),
    ]);
    (pem, der)
}

#[test]
fn openssl_genpkey_keys_import_as_pem_and_der() {
    let env = Env::new();
    for spec in SPECS {
        // PEM as a new key, DER (on standard input) as its second version.
        let (pem, _) = genpkey(&env, spec, "first");
        let v = env.ok(&[
            "import-key",
            "--key-usage",
            "SIGN/VERIFY",
            "--in",
            p(&pem),
            "--description",
            "from openssl",
        ]);
        let key = s(&v["KeyId"]);
        assert_eq!(s(&v["KeyMetadata"]["KeySpec"]), spec);
        assert_eq!(s(&v["KeyMetadata"]["Origin"]), "EXTERNAL");
        let v1 = s(&v["KeyVersionId"]);
        let (pem2, der2) = genpkey(&env, spec, "second");
        let out = common::run_with_stdin(
            env.cmd()
                .args(["import-key-version", "--key", &key, "--in", "-"]),
            &std::fs::read(&der2).unwrap(),
        );
        let v = common::json_of(&out, &["import-key-version"]);
        assert_eq!(
            common::fields(&v),
            common::names(&["KeyId", "KeyVersionId"])
        );
        let v2 = s(&v["KeyVersionId"]);

        // Each version's public key is OpenSSL's, and signs for it.
        let msg = env.write("m", b"imported");
        for (ver, private) in [(&v1, &pem), (&v2, &pem2)] {
            let got =
                s(&env.ok(&["get-public-key", "--key", &key, "--key-version", ver])["PublicKey"]);
            let want = openssl_ok(&["pkey", "-in", p(private), "-pubout"]);
            assert_eq!(got, want, "{spec}: public key");
            let sig = env.path("imported.sig");
            let alg = sign_algorithms(spec)[0];
            env.ok(&[
                "sign",
                "--key",
                &key,
                "--key-version",
                ver,
                "--algorithm",
                alg,
                "--message-type",
                "RAW",
                "--in",
                p(&msg),
                "--out",
                p(&sig),
            ]);
            let pubkey = env.write("imported.pub.pem", &want);
            assert!(
                openssl_verifies(alg, p(&pubkey), p(&msg), p(&sig)),
                "{spec}"
            );
        }
    }
    // An imported RSA key can decrypt what OpenSSL encrypts to it.
    let (pem, _) = genpkey(&env, "RSA_2048", "enc");
    let v = env.ok(&[
        "import-key",
        "--key-usage",
        "ENCRYPT/DECRYPT",
        "--in",
        p(&pem),
    ]);
    let (key, ver) = (s(&v["KeyId"]), s(&v["KeyVersionId"]));
    let pt = env.write("pt", b"wrapped data key");
    let ct = env.path("ct");
    openssl_ok(&[
        "pkeyutl",
        "-encrypt",
        "-inkey",
        p(&pem),
        "-in",
        p(&pt),
        "-out",
        p(&ct),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    let v = env.ok(&[
        "decrypt",
        "--key",
        &key,
        "--key-version",
        &ver,
        "--algorithm",
        "RSAES_OAEP_SHA_256",
        "--in",
        p(&ct),
    ]);
    assert_eq!(common::b64(&v["Plaintext"]), b"wrapped data key");
}

#[test]
fn keys_that_are_not_pkcs8_are_refused_with_a_reason() {
    let env = Env::new();
    let (pem, _) = genpkey(&env, "EC_P256", "k");
    // A traditional "EC PRIVATE KEY" PEM: the message says how to convert it.
    let traditional = env.path("trad.pem");
    openssl_ok(&["ec", "-in", p(&pem), "-out", p(&traditional)]);
    let err = env.fails(
        &[
            "import-key",
            "--key-usage",
            "SIGN/VERIFY",
            "--in",
            p(&traditional),
        ],
        11,
    );
    assert!(
        err.contains("EC PRIVATE KEY") && err.contains("-topk8"),
        "{err}"
    );
    // An encrypted PKCS#8 key.
    let encrypted = env.path("enc.pem");
    openssl_ok(&[
        "pkcs8",
        "-topk8",
        "-in",
        p(&pem),
        "-out",
        p(&encrypted),
        "-passout",
        "pass:x",
    ]);
    let err = env.fails(
        &[
            "import-key",
            "--key-usage",
            "SIGN/VERIFY",
            "--in",
            p(&encrypted),
        ],
        11,
    );
    assert!(err.contains("encrypted"), "{err}");
    // Garbage, and a PEM that is not base64.
    let junk = env.write("junk", b"not a key");
    env.fails(
        &["import-key", "--key-usage", "SIGN/VERIFY", "--in", p(&junk)],
        11,
    );
    let bad_pem = env.write(
        "bad.pem",
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
    );
    env.fails(
        &[
            "import-key",
            "--key-usage",
            "SIGN/VERIFY",
            "--in",
            p(&bad_pem),
        ],
        11,
    );
    assert_eq!(env.ok(&["list-keys"])["Keys"].as_array().unwrap().len(), 0);
}
