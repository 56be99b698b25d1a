//! RSA-OAEP decryption timing: is AsymmetricDecrypt a padding oracle?
//!
//! Times `Store::asymmetric_decrypt` (RSA_2048, RSAES_OAEP_SHA_256) on a valid ciphertext and
//! on ciphertexts that fail at each step of OAEP decoding — crafted with the public key, so
//! the attacker's view is exact — and prints each class's distribution and Welch's t against
//! the first bad class. Every bad class must give the same status and message (checked), and
//! the secret-dependent classes (classes 1 to 5) should be indistinguishable in time: |t| below
//! about 4.5 (the dudect threshold) at these sample sizes. Classes 6 and 7 fail on public
//! properties (length, range), where a different time reveals nothing secret.
//!
//!   cargo bench --bench oaep_timing [-- SAMPLES_PER_CLASS]    (default 400)
//!
//! A benchmark, not a test: timings on a shared CI machine are noisy; read the numbers.

use std::time::Instant;

use akms::{Algorithm, Error, KeySpec, KeyUsage, Store};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, RsaPublicKey};
use sha2::{Digest, Sha256};

const ALG: Algorithm = Algorithm::RsaesOaepSha256;
const K: usize = 256; // modulus length in bytes (RSA_2048)
const H: usize = 32; // SHA-256 output length

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::fill(&mut v[..]);
    v
}

/// MGF1 with SHA-256, XORed into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(H).enumerate() {
        let mask = Sha256::new()
            .chain_update(seed)
            .chain_update((counter as u32).to_be_bytes())
            .finalize();
        for (b, m) in chunk.iter_mut().zip(mask.iter()) {
            *b ^= m;
        }
    }
}

/// An OAEP encoding (RFC 8017 7.1.1) with `db` as the data block, `first` as EM's first byte.
fn encode_em(first: u8, db: &[u8]) -> Vec<u8> {
    assert_eq!(db.len(), K - H - 1);
    let seed = random_bytes(H);
    let mut masked_db = db.to_vec();
    mgf1_xor(&seed, &mut masked_db);
    let mut masked_seed = seed.clone();
    mgf1_xor(&masked_db, &mut masked_seed);
    let mut em = vec![first];
    em.extend_from_slice(&masked_seed);
    em.extend_from_slice(&masked_db);
    em
}

/// A data block: lHash (or a wrong one), zeros, then `separator` and the message.
fn data_block(lhash_ok: bool, separator: u8, message: &[u8]) -> Vec<u8> {
    let mut db = if lhash_ok {
        Sha256::digest(b"").to_vec()
    } else {
        random_bytes(H)
    };
    db.resize(K - H - 1 - message.len() - 1, 0);
    db.push(separator);
    db.extend_from_slice(message);
    db
}

/// The raw RSA encryption of `em` (m^e mod n), as K big-endian bytes.
fn raw_encrypt(public: &RsaPublicKey, em: &[u8]) -> Vec<u8> {
    let bits = public.n().as_ref().bits_precision();
    let m = BoxedUint::from_be_slice(em, bits).expect("EM fits the modulus");
    let c = rsa::hazmat::rsa_encrypt(public, &m).expect("raw RSA");
    let bytes = c.to_be_bytes();
    bytes[bytes.len() - K..].to_vec()
}

/// One class of ciphertexts: a name and a maker of fresh instances.
struct Class {
    name: &'static str,
    make: Box<dyn Fn() -> Vec<u8>>,
    valid: bool,
}

fn classes(store: &Store, key: &str, version: &str, public: &RsaPublicKey) -> Vec<Class> {
    let message = b"a 32-byte secret for the bench!!".to_vec();
    let (s, k, v) = (store.clone(), key.to_string(), version.to_string());
    let n_bytes = public.n().as_ref().to_be_bytes();
    let n_bytes = n_bytes[n_bytes.len() - K..].to_vec();
    let p = public.clone();
    let m = message.clone();
    let valid = move || s.asymmetric_encrypt(&k, &v, ALG, &m).unwrap();
    let p1 = p.clone();
    let p2 = p.clone();
    let p3 = p.clone();
    let p4 = p.clone();
    let p5 = p.clone();
    let (m2, m3, m4) = (message.clone(), message.clone(), message.clone());
    vec![
        Class {
            name: "0 valid",
            make: Box::new(valid),
            valid: true,
        },
        Class {
            name: "1 EM[0] != 0",
            make: Box::new(move || {
                let first = 1 + (random_bytes(1)[0] % 0x7f);
                raw_encrypt(&p1, &encode_em(first, &data_block(true, 1, &m2)))
            }),
            valid: false,
        },
        Class {
            name: "2 lHash wrong",
            make: Box::new(move || raw_encrypt(&p2, &encode_em(0, &data_block(false, 1, &m3)))),
            valid: false,
        },
        Class {
            name: "3 no 0x01 separator",
            make: Box::new(move || {
                let mut db = data_block(true, 0, &[]);
                db.resize(K - H - 1, 0);
                raw_encrypt(&p3, &encode_em(0, &db))
            }),
            valid: false,
        },
        Class {
            name: "4 PS byte not 0",
            make: Box::new(move || raw_encrypt(&p4, &encode_em(0, &data_block(true, 2, &m4)))),
            valid: false,
        },
        Class {
            name: "5 random < n",
            make: Box::new(move || {
                let mut em = random_bytes(K);
                em[0] &= 0x3f;
                raw_encrypt(&p5, &em)
            }),
            valid: false,
        },
        Class {
            name: "6 c >= n (public)",
            make: Box::new(move || n_bytes.clone()),
            valid: false,
        },
        Class {
            name: "7 255 bytes (public)",
            make: Box::new(|| random_bytes(K - 1)),
            valid: false,
        },
    ]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Welch's t statistic of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    (ma - mb) / (va / a.len() as f64 + vb / b.len() as f64).sqrt()
}

/// The fastest half: preemption and interrupts on a shared machine only ever add time, so
/// the lower half of each class is where a systematic difference shows (dudect crops too).
fn trimmed(sorted: &[f64]) -> &[f64] {
    &sorted[..sorted.len() / 2]
}

fn main() {
    let samples: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(400);
    let store = Store::new();
    let (key, version) = store
        .create_key(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, None)
        .unwrap();
    // The attacker's view: the public key, as GetPublicKey gives it.
    let pem = store.get_public_key(&key, &version).unwrap();
    let public = RsaPublicKey::from_public_key_pem(&pem).unwrap();
    let classes = classes(&store, &key, &version, &public);

    // Ciphertexts made up front, so that only decryption is timed.
    let inputs: Vec<Vec<Vec<u8>>> = classes
        .iter()
        .map(|c| (0..samples).map(|_| (c.make)()).collect())
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(samples); classes.len()];
    let mut message: Option<String> = None;
    // Warm up, then interleave the classes (in a shuffled order each round) so that drift
    // in machine load affects every class alike.
    for c in &inputs {
        let _ = store.asymmetric_decrypt(&key, &version, ALG, &c[0]);
    }
    let mut order: Vec<usize> = (0..classes.len()).collect();
    // Round `i` takes the i-th ciphertext of every class.
    #[allow(clippy::needless_range_loop)]
    for i in 0..samples {
        for j in (1..order.len()).rev() {
            let r = usize::from(random_bytes(1)[0]) % (j + 1);
            order.swap(j, r);
        }
        for &c in &order {
            let ct = &inputs[c][i];
            let start = Instant::now();
            let result = store.asymmetric_decrypt(&key, &version, ALG, ct);
            let elapsed = start.elapsed().as_secs_f64() * 1e6;
            match (classes[c].valid, result) {
                (true, Ok(_)) => {}
                (false, Err(Error::DecryptionFailed(m))) => match &message {
                    None => message = Some(m),
                    Some(first) => assert_eq!(first, &m, "messages differ between bad classes"),
                },
                (valid, r) => panic!("class {}: valid={valid} gave {r:?}", classes[c].name),
            }
            times[c].push(elapsed);
        }
    }

    println!(
        "RSA_2048 RSAES_OAEP_SHA_256 AsymmetricDecrypt, {samples} samples per class, microseconds"
    );
    println!("every bad class: AKMS_ERR_DECRYPTION_FAILED, message {message:?}");
    println!(
        "{:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>8}",
        "class", "min", "p10", "p25", "median", "p75", "p90", "p99", "t vs 1 (fastest half)"
    );
    let mut sorted: Vec<Vec<f64>> = times.clone();
    for s in &mut sorted {
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    let baseline = trimmed(&sorted[1]).to_vec();
    for (c, s) in sorted.iter().enumerate() {
        let t = if c == 1 {
            0.0
        } else {
            welch_t(trimmed(s), &baseline)
        };
        println!(
            "{:<22} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}   {:>8.2}",
            classes[c].name,
            s[0],
            percentile(s, 0.10),
            percentile(s, 0.25),
            percentile(s, 0.50),
            percentile(s, 0.75),
            percentile(s, 0.90),
            percentile(s, 0.99),
            t
        );
    }
    let worst = (2..=5)
        .map(|c| welch_t(trimmed(&sorted[c]), &baseline).abs())
        .fold(0.0, f64::max);
    println!(
        "largest |t| among the secret-dependent bad classes (2-5 vs 1): {worst:.2} ({})",
        if worst < 4.5 {
            "no timing difference detected"
        } else {
            "DIFFERENCE: investigate"
        }
    );
}
