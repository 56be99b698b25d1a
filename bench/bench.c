/*
 * akms vs OpenSSL, side by side, in one process.
 *
 * For every key spec and operation, the same loop runs one operation per iteration through
 * akms's C ABI (store, key id, version id, a fresh output buffer freed each time) and through
 * OpenSSL's EVP API on a key of the same spec held in memory. The two alternate in rounds
 * (akms first in even rounds, OpenSSL first in odd ones) so that a slow moment of the machine
 * hits both; each side's ops/s is the median of its rounds, and each ratio the median of the
 * rounds' ratios.
 *
 * OpenSSL runs two ways:
 *   "ctx/op"  an EVP_PKEY_CTX made, initialised and freed for each operation: the same work
 *             akms does per call (it looks the key up and makes a fresh context each time);
 *   "reused"  one EVP_PKEY_CTX initialised once and reused for every operation: OpenSSL's
 *             fastest way, and a bound on what any per-call API could reach.
 * The ratio column is akms / OpenSSL ctx/op; "ratio(reused)" is akms / OpenSSL reused.
 *
 * Then 1 vs 2 threads on one key: the operations per second of two threads calling akms on the
 * same key version at once, against one thread ("scaling", which needs two idle cores to reach
 * 2.0), and the operations per CPU-second of a thread with two running against one running
 * ("per-CPU-second": 1.0 means the threads do not slow each other down, however busy the
 * machine is).
 *
 * EC_P256K also runs against libsecp256k1 called directly (libsecp256k1.c, the same C code
 * akms links), in alternating rounds with akms and OpenSSL, and the pieces akms adds per call
 * (the call without the cryptography, DER encoding and parsing, high-S normalization) are
 * timed one by one, in nanoseconds.
 *
 * Sign and verify take 32-byte digests (AKMS_MESSAGE_DIGEST; EVP_PKEY_sign on the digest).
 * Plaintexts are 32 bytes. These are measurements, not tests: nothing here fails on a number.
 *
 * Usage: bench [-t seconds-per-run] [-r rounds] [-f filter-substring] [-T | -C | -S]
 * (-T: threads only, -C: the comparison only, -S: the libsecp256k1 table only)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "akms.h"
#include "libsecp256k1.h"

static double run_seconds = 0.25;
static int rounds = 5;
static const char *filter = NULL;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench: %s failed", what);
    unsigned long e = ERR_get_error();
    if (e) fprintf(stderr, " (OpenSSL: %s)", ERR_error_string(e, NULL));
    const char *m = akms_last_error_message();
    if (m && *m) fprintf(stderr, " (akms: %s)", m);
    fprintf(stderr, "\n");
    exit(2);
}

/* ---- the keys ----------------------------------------------------------------------------- */

typedef enum { OP_SIGN, OP_VERIFY, OP_ENCRYPT, OP_DECRYPT } op_kind;

typedef struct {
    const char *spec_name;
    uint32_t spec;
    const char *ossl_type; /* "RSA", "EC", "SM2" */
    const char *ossl_arg;  /* bits or curve */
} spec_info;

static const spec_info SPECS[] = {
    {"RSA_2048", AKMS_KEY_SPEC_RSA_2048, "RSA", "2048"},
    {"RSA_3072", AKMS_KEY_SPEC_RSA_3072, "RSA", "3072"},
    {"EC_P256", AKMS_KEY_SPEC_EC_P256, "EC", "P-256"},
    {"EC_P256K", AKMS_KEY_SPEC_EC_P256K, "EC", "secp256k1"},
    {"EC_SM2", AKMS_KEY_SPEC_EC_SM2, "SM2", NULL},
};

typedef struct {
    const spec_info *spec;
    const char *alg_name;
    uint32_t alg;
    op_kind op;
} row;

static const row ROWS[] = {
    {&SPECS[0], "RSA_PSS_SHA_256", AKMS_ALG_RSA_PSS_SHA_256, OP_SIGN},
    {&SPECS[0], "RSA_PSS_SHA_256", AKMS_ALG_RSA_PSS_SHA_256, OP_VERIFY},
    {&SPECS[0], "RSA_PKCS1_SHA_256", AKMS_ALG_RSA_PKCS1_SHA_256, OP_SIGN},
    {&SPECS[0], "RSA_PKCS1_SHA_256", AKMS_ALG_RSA_PKCS1_SHA_256, OP_VERIFY},
    {&SPECS[0], "RSAES_OAEP_SHA_1", AKMS_ALG_RSAES_OAEP_SHA_1, OP_ENCRYPT},
    {&SPECS[0], "RSAES_OAEP_SHA_1", AKMS_ALG_RSAES_OAEP_SHA_1, OP_DECRYPT},
    {&SPECS[0], "RSAES_OAEP_SHA_256", AKMS_ALG_RSAES_OAEP_SHA_256, OP_ENCRYPT},
    {&SPECS[0], "RSAES_OAEP_SHA_256", AKMS_ALG_RSAES_OAEP_SHA_256, OP_DECRYPT},
    {&SPECS[1], "RSA_PSS_SHA_256", AKMS_ALG_RSA_PSS_SHA_256, OP_SIGN},
    {&SPECS[1], "RSA_PSS_SHA_256", AKMS_ALG_RSA_PSS_SHA_256, OP_VERIFY},
    {&SPECS[1], "RSA_PKCS1_SHA_256", AKMS_ALG_RSA_PKCS1_SHA_256, OP_SIGN},
    {&SPECS[1], "RSA_PKCS1_SHA_256", AKMS_ALG_RSA_PKCS1_SHA_256, OP_VERIFY},
    {&SPECS[1], "RSAES_OAEP_SHA_1", AKMS_ALG_RSAES_OAEP_SHA_1, OP_ENCRYPT},
    {&SPECS[1], "RSAES_OAEP_SHA_1", AKMS_ALG_RSAES_OAEP_SHA_1, OP_DECRYPT},
    {&SPECS[1], "RSAES_OAEP_SHA_256", AKMS_ALG_RSAES_OAEP_SHA_256, OP_ENCRYPT},
    {&SPECS[1], "RSAES_OAEP_SHA_256", AKMS_ALG_RSAES_OAEP_SHA_256, OP_DECRYPT},
    {&SPECS[2], "ECDSA_SHA_256", AKMS_ALG_ECDSA_SHA_256, OP_SIGN},
    {&SPECS[2], "ECDSA_SHA_256", AKMS_ALG_ECDSA_SHA_256, OP_VERIFY},
    {&SPECS[3], "ECDSA_SHA_256", AKMS_ALG_ECDSA_SHA_256, OP_SIGN},
    {&SPECS[3], "ECDSA_SHA_256", AKMS_ALG_ECDSA_SHA_256, OP_VERIFY},
    {&SPECS[4], "SM2DSA", AKMS_ALG_SM2DSA, OP_SIGN},
    {&SPECS[4], "SM2DSA", AKMS_ALG_SM2DSA, OP_VERIFY},
    {&SPECS[4], "SM2PKE", AKMS_ALG_SM2PKE, OP_ENCRYPT},
    {&SPECS[4], "SM2PKE", AKMS_ALG_SM2PKE, OP_DECRYPT},
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

static const char *OP_NAMES[] = {"sign", "verify", "encrypt", "decrypt"};

/* Everything one row's loops need: the akms key and the OpenSSL key, an input, and (for
 * verify and decrypt) a signature or ciphertext each side made with its own key. */
typedef struct {
    const row *r;
    akms_store *store;
    char *key_id, *version_id;
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *reused; /* initialised once for the "reused" runs */
    uint8_t input[32];
    akms_bytes akms_out;             /* akms's signature or ciphertext */
    uint8_t ossl_out[512];           /* OpenSSL's signature or ciphertext */
    size_t ossl_out_len;
    secp_direct *secp;               /* libsecp256k1 directly (EC_P256K table only) */
} bench_case;

static EVP_PKEY *ossl_keygen(const spec_info *s) {
    EVP_PKEY *k = NULL;
    if (strcmp(s->ossl_type, "RSA") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(s->ossl_arg));
    } else if (strcmp(s->ossl_type, "EC") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", s->ossl_arg);
    } else {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    }
    if (!k) die("OpenSSL key generation");
    return k;
}

/* Initialises `c` for the row's operation and sets its padding and digest. */
static int ossl_init(EVP_PKEY_CTX *c, const row *r) {
    int ok;
    switch (r->op) {
    case OP_SIGN: ok = EVP_PKEY_sign_init(c); break;
    case OP_VERIFY: ok = EVP_PKEY_verify_init(c); break;
    case OP_ENCRYPT: ok = EVP_PKEY_encrypt_init(c); break;
    default: ok = EVP_PKEY_decrypt_init(c); break;
    }
    if (ok != 1) return 0;
    switch (r->alg) {
    case AKMS_ALG_RSA_PSS_SHA_256:
        return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(c, 32) == 1;
    case AKMS_ALG_RSA_PKCS1_SHA_256:
        return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
               EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1;
    case AKMS_ALG_RSAES_OAEP_SHA_1:
    case AKMS_ALG_RSAES_OAEP_SHA_256: {
        const EVP_MD *md = r->alg == AKMS_ALG_RSAES_OAEP_SHA_1 ? EVP_sha1() : EVP_sha256();
        return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_oaep_md(c, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1;
    }
    case AKMS_ALG_ECDSA_SHA_256: return EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1;
    default: return 1; /* SM2: the digest given is e; encryption defaults to SM3 */
    }
}

/* One OpenSSL operation on `c` (already initialised). */
static int ossl_do(bench_case *bc, EVP_PKEY_CTX *c) {
    uint8_t out[512];
    size_t out_len = sizeof out;
    switch (bc->r->op) {
    case OP_SIGN: return EVP_PKEY_sign(c, out, &out_len, bc->input, 32) == 1;
    case OP_VERIFY: return EVP_PKEY_verify(c, bc->ossl_out, bc->ossl_out_len, bc->input, 32) == 1;
    case OP_ENCRYPT: return EVP_PKEY_encrypt(c, out, &out_len, bc->input, 32) == 1;
    default: return EVP_PKEY_decrypt(c, out, &out_len, bc->ossl_out, bc->ossl_out_len) == 1 && out_len == 32;
    }
}

static int ossl_op_fresh(bench_case *bc) {
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, bc->pkey, NULL);
    int ok = c && ossl_init(c, bc->r) && ossl_do(bc, c);
    EVP_PKEY_CTX_free(c);
    return ok;
}

static int ossl_op_reused(bench_case *bc) { return ossl_do(bc, bc->reused); }

static int akms_op(bench_case *bc) {
    akms_bytes out = {NULL, 0};
    akms_status s;
    bool valid = false;
    switch (bc->r->op) {
    case OP_SIGN:
        s = akms_asymmetric_sign(bc->store, bc->key_id, bc->version_id, bc->r->alg, AKMS_MESSAGE_DIGEST,
                                 bc->input, 32, &out);
        break;
    case OP_VERIFY:
        s = akms_asymmetric_verify(bc->store, bc->key_id, bc->version_id, bc->r->alg, AKMS_MESSAGE_DIGEST,
                                   bc->input, 32, bc->akms_out.data, bc->akms_out.len, &valid);
        return s == AKMS_OK && valid;
    case OP_ENCRYPT:
        s = akms_asymmetric_encrypt(bc->store, bc->key_id, bc->version_id, bc->r->alg, bc->input, 32, &out);
        break;
    default:
        s = akms_asymmetric_decrypt(bc->store, bc->key_id, bc->version_id, bc->r->alg, bc->akms_out.data,
                                    bc->akms_out.len, &out);
        break;
    }
    akms_bytes_free(&out);
    return s == AKMS_OK;
}

static void setup_case(bench_case *bc, const row *r, akms_store *store) {
    memset(bc, 0, sizeof *bc);
    bc->r = r;
    bc->store = store;
    for (int i = 0; i < 32; i++) bc->input[i] = (uint8_t)(i * 7 + 1);
    uint32_t usage = (r->op == OP_SIGN || r->op == OP_VERIFY) ? AKMS_KEY_USAGE_SIGN_VERIFY
                                                              : AKMS_KEY_USAGE_ENCRYPT_DECRYPT;
    if (akms_create_key(store, r->spec->spec, usage, "bench", &bc->key_id, &bc->version_id) != AKMS_OK)
        die("akms_create_key");
    bc->pkey = ossl_keygen(r->spec);
    /* The verify and decrypt inputs: each side's own signature / ciphertext. */
    if (r->op == OP_VERIFY || r->op == OP_DECRYPT) {
        akms_status s = r->op == OP_VERIFY
                            ? akms_asymmetric_sign(store, bc->key_id, bc->version_id, r->alg, AKMS_MESSAGE_DIGEST,
                                                   bc->input, 32, &bc->akms_out)
                            : akms_asymmetric_encrypt(store, bc->key_id, bc->version_id, r->alg, bc->input, 32,
                                                      &bc->akms_out);
        if (s != AKMS_OK) die("akms input");
        row maker = *r;
        maker.op = r->op == OP_VERIFY ? OP_SIGN : OP_ENCRYPT;
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, bc->pkey, NULL);
        bc->ossl_out_len = sizeof bc->ossl_out;
        int ok = c && ossl_init(c, &maker) &&
                 (maker.op == OP_SIGN ? EVP_PKEY_sign(c, bc->ossl_out, &bc->ossl_out_len, bc->input, 32)
                                      : EVP_PKEY_encrypt(c, bc->ossl_out, &bc->ossl_out_len, bc->input, 32)) == 1;
        EVP_PKEY_CTX_free(c);
        if (!ok) die("OpenSSL input");
    }
    bc->reused = EVP_PKEY_CTX_new_from_pkey(NULL, bc->pkey, NULL);
    if (!bc->reused || !ossl_init(bc->reused, r)) die("OpenSSL context");
    /* Each way must work before it is timed. */
    if (!akms_op(bc)) die("akms operation");
    if (!ossl_op_fresh(bc)) die("OpenSSL operation");
    if (!ossl_op_reused(bc)) die("OpenSSL operation (reused context)");
}

static void free_case(bench_case *bc) {
    secp_direct_free(bc->secp);
    akms_bytes_free(&bc->akms_out);
    akms_string_free(bc->key_id);
    akms_string_free(bc->version_id);
    EVP_PKEY_CTX_free(bc->reused);
    EVP_PKEY_free(bc->pkey);
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `op` for run_seconds; returns operations per second, and (if `ops_per_cpu` is not NULL)
 * operations per second of this thread's CPU time. */
static double timed_cpu(int (*op)(bench_case *), bench_case *bc, double *ops_per_cpu) {
    long n = 0;
    double cpu = thread_cpu();
    double start = now(), end = start + run_seconds, t;
    do {
        if (!op(bc)) die("operation during timing");
        n++;
    } while ((t = now()) < end);
    if (ops_per_cpu) *ops_per_cpu = (double)n / (thread_cpu() - cpu);
    return (double)n / (t - start);
}

static double timed(int (*op)(bench_case *), bench_case *bc) { return timed_cpu(op, bc, NULL); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool selected(const row *r) {
    if (!filter) return true;
    char name[128];
    snprintf(name, sizeof name, "%s %s %s", r->spec->spec_name, r->alg_name, OP_NAMES[r->op]);
    return strstr(name, filter) != NULL;
}

static void compare(akms_store *store) {
    printf("| key spec | algorithm | op | akms ops/s | OpenSSL ctx/op ops/s | ratio | OpenSSL reused ops/s | "
           "ratio(reused) |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &ROWS[i];
        if (!selected(r)) continue;
        bench_case bc;
        setup_case(&bc, r, store);
        double a[64], o[64], u[64], ra[64], ru[64];
        for (int k = 0; k < rounds && k < 64; k++) {
            if (k % 2 == 0) {
                a[k] = timed(akms_op, &bc);
                o[k] = timed(ossl_op_fresh, &bc);
                u[k] = timed(ossl_op_reused, &bc);
            } else {
                u[k] = timed(ossl_op_reused, &bc);
                o[k] = timed(ossl_op_fresh, &bc);
                a[k] = timed(akms_op, &bc);
            }
            ra[k] = a[k] / o[k];
            ru[k] = a[k] / u[k];
        }
        int n = rounds < 64 ? rounds : 64;
        /* The ratios are the medians of each round's ratio: the two sides of one round ran
         * back to back, so a busy moment of the machine weighs on both. */
        double am = median(a, n), om = median(o, n), um = median(u, n);
        printf("| %s | %s | %s | %.0f | %.0f | %.2f | %.0f | %.2f |\n", r->spec->spec_name, r->alg_name,
               OP_NAMES[r->op], am, om, median(ra, n), um, median(ru, n));
        fflush(stdout);
        free_case(&bc);
    }
}

/* ---- EC_P256K: akms against libsecp256k1 directly ---------------------------------------- */

static int direct_sign(bench_case *bc) { return secp_direct_sign(bc->secp); }
static int direct_sign_der(bench_case *bc) { return secp_direct_sign_der(bc->secp); }
static int direct_verify(bench_case *bc) { return secp_direct_verify(bc->secp); }
static int direct_verify_der(bench_case *bc) { return secp_direct_verify_der(bc->secp); }
static int direct_der_encode(bench_case *bc) { return secp_direct_der_encode(bc->secp); }
static int direct_der_parse(bench_case *bc) { return secp_direct_der_parse(bc->secp); }
static int direct_normalize(bench_case *bc) { return secp_direct_normalize(bc->secp); }

/* akms_asymmetric_verify of a 2-byte non-signature: the whole call (argument checks, the key
 * looked up under the read lock, the audit record, the answer written) with no cryptography. */
static int akms_verify_nothing(bench_case *bc) {
    static const uint8_t not_a_signature[2] = {0x30, 0x00};
    bool valid = true;
    akms_status s = akms_asymmetric_verify(bc->store, bc->key_id, bc->version_id, AKMS_ALG_ECDSA_SHA_256,
                                           AKMS_MESSAGE_DIGEST, bc->input, 32, not_a_signature, 2, &valid);
    return s == AKMS_OK && !valid;
}

/* The same call followed by a direct verify: against the direct verify alone, what the call
 * costs with the caches as the cryptography leaves them (libsecp256k1's verify tables alone are
 * 1 MiB, larger than this machine's L2). */
static int nothing_then_direct_verify(bench_case *bc) {
    return akms_verify_nothing(bc) && secp_direct_verify_der(bc->secp);
}

/* Nanoseconds per call of a cheap `op`: batches of 1000 between clock reads, median of rounds. */
static double ns_per_call(int (*op)(bench_case *), bench_case *bc) {
    double v[64];
    int n = rounds < 64 ? rounds : 64;
    for (int k = 0; k < n; k++) {
        long calls = 0;
        double start = now(), end = start + run_seconds / 4, t;
        do {
            for (int i = 0; i < 1000; i++)
                if (!op(bc)) die("operation during timing");
            calls += 1000;
        } while ((t = now()) < end);
        v[k] = (t - start) * 1e9 / (double)calls;
    }
    return median(v, n);
}

/* Operations per second of this thread's CPU time, over a fifth of run_seconds: on a machine
 * shared with other work, CPU time is what a busy moment changes least, and short slices in
 * many alternating rounds put the two sides of a ratio close together in time. */
static double cpu_rate(int (*op)(bench_case *), bench_case *bc) {
    long n = 0;
    double cpu = thread_cpu(), end = now() + run_seconds / 5;
    do {
        if (!op(bc)) die("operation during timing");
        n++;
    } while (now() < end);
    return (double)n / (thread_cpu() - cpu);
}

/* The row's case on one key for akms and libsecp256k1: a random secret imported into akms as
 * PKCS#8 (SEC1 ECPrivateKey without the optional public key) and given to libsecp256k1, so that
 * both sides sign the same digest with the same key and verify the same signature (RFC 6979
 * makes it the same bytes on both sides; verification time depends on the signature). */
static void secp_setup(bench_case *bc, const row *r, akms_store *store) {
    setup_case(bc, r, store);
    static const uint8_t pkcs8_head[] = {0x30, 0x3e, 0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x04,
                                         0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20};
    uint8_t pkcs8[sizeof pkcs8_head + 32], seed[32];
    memcpy(pkcs8, pkcs8_head, sizeof pkcs8_head);
    uint8_t *key = pkcs8 + sizeof pkcs8_head;
    if (RAND_bytes(key, 32) != 1 || RAND_bytes(seed, 32) != 1) die("RAND_bytes");
    bc->secp = secp_direct_new(key, bc->input, seed);
    if (!bc->secp) die("libsecp256k1 setup");
    akms_string_free(bc->key_id);
    akms_string_free(bc->version_id);
    if (akms_import_key(store, AKMS_KEY_USAGE_SIGN_VERIFY, pkcs8, sizeof pkcs8, "bench", &bc->key_id,
                        &bc->version_id) != AKMS_OK)
        die("akms_import_key");
    OPENSSL_cleanse(pkcs8, sizeof pkcs8);
    akms_bytes_free(&bc->akms_out);
    if (akms_asymmetric_sign(store, bc->key_id, bc->version_id, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST,
                             bc->input, 32, &bc->akms_out) != AKMS_OK)
        die("akms_asymmetric_sign");
    size_t len;
    const uint8_t *der = secp_direct_der(bc->secp, &len);
    if (len != bc->akms_out.len || memcmp(der, bc->akms_out.data, len) != 0)
        die("the same signature from akms and libsecp256k1");
    if (!akms_op(bc)) die("akms operation");
}

static void secp_compare(akms_store *store) {
    printf("\nEC_P256K, ECDSA_SHA_256: akms through the C ABI against libsecp256k1 called directly "
           "(the same C code akms links) and OpenSSL; ops per CPU-second, %d alternating rounds of "
           "%.2f s\n\n", rounds < 64 ? 5 * rounds : 320, run_seconds / 5);
    printf("| op | akms ops/s | libsecp256k1 direct ops/s | akms / direct | direct + DER ops/s | "
           "akms / (direct + DER) | OpenSSL ctx/op ops/s | akms / OpenSSL | akms − direct, ns/op |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const row *found[2] = {NULL, NULL};
    for (size_t i = 0; i < NROWS; i++)
        if (ROWS[i].spec->spec == AKMS_KEY_SPEC_EC_P256K && ROWS[i].op <= OP_VERIFY) found[ROWS[i].op] = &ROWS[i];
    bench_case pieces;
    bool have_pieces = false;
    for (int j = 0; j < 2; j++) {
        const row *r = found[j];
        if (!r || !selected(r)) continue;
        bench_case bc;
        secp_setup(&bc, r, store);
        int (*direct)(bench_case *) = r->op == OP_SIGN ? direct_sign : direct_verify;
        int (*direct_der)(bench_case *) = r->op == OP_SIGN ? direct_sign_der : direct_verify_der;
        double a[320], d[320], dd[320], o[320], rd[320], rdd[320], ro[320], ns[320];
        int n = rounds < 64 ? 5 * rounds : 320;
        for (int k = 0; k < n; k++) {
            if (k % 2 == 0) {
                a[k] = cpu_rate(akms_op, &bc);
                d[k] = cpu_rate(direct, &bc);
                dd[k] = cpu_rate(direct_der, &bc);
                o[k] = cpu_rate(ossl_op_fresh, &bc);
            } else {
                o[k] = cpu_rate(ossl_op_fresh, &bc);
                dd[k] = cpu_rate(direct_der, &bc);
                d[k] = cpu_rate(direct, &bc);
                a[k] = cpu_rate(akms_op, &bc);
            }
            rd[k] = a[k] / d[k];
            rdd[k] = a[k] / dd[k];
            ro[k] = a[k] / o[k];
            ns[k] = 1e9 / a[k] - 1e9 / d[k];
        }
        printf("| %s | %.0f | %.0f | %.3f | %.0f | %.3f | %.0f | %.2f | %.0f |\n", OP_NAMES[r->op], median(a, n),
               median(d, n), median(rd, n), median(dd, n), median(rdd, n), median(o, n), median(ro, n),
               median(ns, n));
        fflush(stdout);
        if (!have_pieces) {
            pieces = bc;
            have_pieces = true;
        } else {
            free_case(&bc);
        }
    }
    if (!have_pieces) return;
    printf("\n| what akms adds per EC_P256K call | ns/call |\n|---|---:|\n");
    printf("| the call without cryptography (akms_asymmetric_verify of a 2-byte non-signature) | %.0f |\n",
           ns_per_call(akms_verify_nothing, &pieces));
    printf("| DER encoding (secp256k1_ecdsa_signature_serialize_der), sign | %.0f |\n",
           ns_per_call(direct_der_encode, &pieces));
    printf("| strict DER parsing (secp256k1_ecdsa_signature_parse_der), verify | %.0f |\n",
           ns_per_call(direct_der_parse, &pieces));
    printf("| high-S normalization (secp256k1_ecdsa_signature_normalize), verify | %.0f |\n",
           ns_per_call(direct_normalize, &pieces));
    double cold[320];
    int n = rounds < 64 ? 5 * rounds : 320;
    for (int k = 0; k < n; k++) {
        double with = cpu_rate(nothing_then_direct_verify, &pieces);
        double without = cpu_rate(direct_verify_der, &pieces);
        cold[k] = 1e9 / with - 1e9 / without;
    }
    printf("| the call without cryptography, between verifications (caches as a verify leaves them) | %.0f |\n",
           median(cold, n));
    fflush(stdout);
    free_case(&pieces);
}

/* ---- 1 vs 2 threads on one key ------------------------------------------------------------- */

typedef struct {
    bench_case *bc;
    int (*op)(bench_case *);
    double ops, ops_per_cpu;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *t = p;
    t->ops = timed_cpu(t->op, t->bc, &t->ops_per_cpu);
    return NULL;
}

/* Runs `op` on `threads` threads at once; returns their total operations per second, and in
 * `*ops_per_cpu` the mean operations per CPU-second of one thread (which falls if the threads
 * slow each other down, whatever share of the machine they got). */
static double threaded(int (*op)(bench_case *), bench_case *bc, int threads, double *ops_per_cpu) {
    pthread_t th[2];
    thread_arg args[2];
    for (int i = 0; i < threads; i++) {
        args[i] = (thread_arg){bc, op, 0, 0};
        if (pthread_create(&th[i], NULL, thread_main, &args[i]) != 0) die("pthread_create");
    }
    double total = 0, per_cpu = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += args[i].ops;
        per_cpu += args[i].ops_per_cpu / threads;
    }
    *ops_per_cpu = per_cpu;
    return total;
}

static void scaling(akms_store *store) {
    printf("\n| key spec | algorithm | op | akms 1 thread ops/s | akms 2 threads ops/s | scaling | "
           "per-CPU-second, 2 vs 1 | OpenSSL ctx/op scaling |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &ROWS[i];
        /* One signing and one verifying row per spec, and RSA_2048 decryption. */
        bool wanted = (r->op == OP_SIGN || r->op == OP_VERIFY) &&
                      (r->alg != AKMS_ALG_RSA_PKCS1_SHA_256);
        wanted = wanted || (r->op == OP_DECRYPT && r->alg == AKMS_ALG_RSAES_OAEP_SHA_256);
        if (!wanted || !selected(r)) continue;
        bench_case bc;
        setup_case(&bc, r, store);
        double one[64], two[64], sa[64], sc[64], so[64], c1, c2, unused;
        int n = rounds < 64 ? rounds : 64;
        for (int k = 0; k < n; k++) {
            one[k] = threaded(akms_op, &bc, 1, &c1);
            two[k] = threaded(akms_op, &bc, 2, &c2);
            sa[k] = two[k] / one[k];
            sc[k] = c2 / c1;
            double o1 = threaded(ossl_op_fresh, &bc, 1, &unused);
            so[k] = threaded(ossl_op_fresh, &bc, 2, &unused) / o1;
        }
        double m1 = median(one, n), m2 = median(two, n);
        printf("| %s | %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f |\n", r->spec->spec_name, r->alg_name,
               OP_NAMES[r->op], m1, m2, median(sa, n), median(sc, n), median(so, n));
        fflush(stdout);
        free_case(&bc);
    }
}

int main(int argc, char **argv) {
    bool threads_only = false, compare_only = false, secp_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) run_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) filter = argv[++i];
        else if (strcmp(argv[i], "-T") == 0) threads_only = true;
        else if (strcmp(argv[i], "-C") == 0) compare_only = true;
        else if (strcmp(argv[i], "-S") == 0) secp_only = true;
        else {
            fprintf(stderr, "usage: %s [-t seconds-per-run] [-r rounds] [-f filter] [-T | -C | -S]\n", argv[0]);
            return 2;
        }
    }
    if (rounds < 1) rounds = 1;
    if (akms_abi_version() != AKMS_ABI_VERSION) die("ABI version check");
    akms_store *store = NULL;
    if (akms_store_new(&store) != AKMS_OK) die("akms_store_new");
    printf("akms %s vs %s; %.2f s per run, %d alternating rounds, medians\n\n", akms_version(),
           OpenSSL_version(OPENSSL_VERSION), run_seconds, rounds);
    if (!threads_only && !secp_only) compare(store);
    if (!threads_only) secp_compare(store);
    if (!compare_only && !secp_only) scaling(store);
    akms_store_free(store);
    return 0;
}
