/* CSR generation and PKCS#8 import through the C ABI: akms_generate_csr, akms_import_key,
 * akms_import_key_version. Every status a caller can provoke, outputs untouched on failure,
 * ownership (every returned string freed). The OpenSSL interop of both lives in the Rust
 * tests tests/csr_openssl.rs and tests/import_openssl.rs. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "fixtures.h"

/* Test keys made with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:<P-256|SM2>;
 * openssl pkcs8 -topk8 -nocrypt -outform DER; openssl pkey -pubout. Test material only. */
static const uint8_t P256_PKCS8[138] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
    0x25, 0xf0, 0xc1, 0x41, 0xd8, 0x4d, 0xe9, 0x70, 0xec, 0x10, 0xf5, 0x92,
    0xa3, 0x3a, 0xd3, 0xd5, 0x41, 0xa0, 0xe5, 0x9b, 0xd9, 0x35, 0xaf, 0x7c,
    0x43, 0xde, 0xa4, 0x08, 0xf2, 0xe6, 0x65, 0x08, 0xa1, 0x44, 0x03, 0x42,
    0x00, 0x04, 0x77, 0xc6, 0xaa, 0x1b, 0x22, 0x8b, 0xab, 0xf6, 0x17, 0x5c,
    0x63, 0xc1, 0xa7, 0x0f, 0x2b, 0x69, 0xa1, 0x1b, 0xdb, 0xc9, 0x04, 0x50,
    0x80, 0x31, 0x03, 0x55, 0x9e, 0xc0, 0x0b, 0x40, 0x2d, 0xdf, 0xab, 0x84,
    0xc2, 0x30, 0xd7, 0xf4, 0x55, 0x92, 0x09, 0x67, 0x4f, 0x10, 0x23, 0xd7,
    0x1b, 0x11, 0xf6, 0x3c, 0xc2, 0x24, 0x15, 0x32, 0x29, 0x9b, 0x27, 0x39,
    0xfc, 0xbb, 0xc0, 0x84, 0x60, 0x60,
};
static const char P256_PUBLIC_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEd8aqGyKLq/YXXGPBpw8raaEb28kE\n"
    "UIAxA1WewAtALd+rhMIw1/RVkglnTxAj1xsR9jzCJBUyKZsnOfy7wIRgYA==\n"
    "-----END PUBLIC KEY-----\n";
static const char SM2_PUBLIC_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE1w+cdDWrXAYjDkGdpxrUuHEB5WlK\n"
    "ZAo1Fyd0kwyxUQHckSBsBJ4Vd16y7s1LYe70whueiIue35UiZZHcLBFiJA==\n"
    "-----END PUBLIC KEY-----\n";

/* A pointer no call may write on failure. */
static char SENTINEL_BYTE;
#define SENTINEL (&SENTINEL_BYTE)

static const char *const DNS[2] = {"signer.example.com", "www.example.com"};
static const char SUBJECT[] = "CN=signer.example.com,O=Acme Ltd,C=CN";

static void test_csr_every_spec(akms_store *s) {
    const uint32_t specs[] = {AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_SPEC_RSA_3072, AKMS_KEY_SPEC_EC_P256,
                              AKMS_KEY_SPEC_EC_P256K, AKMS_KEY_SPEC_EC_SM2};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char *key = NULL, *ver = NULL, *pem = NULL;
        CHECK_OK(akms_create_key(s, specs[i], AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver));
        CHECK_OK(akms_generate_csr(s, key, ver, SUBJECT, DNS, 2, &pem));
        CHECK(contains(pem, "-----BEGIN CERTIFICATE REQUEST-----\n"));
        CHECK(contains(pem, "-----END CERTIFICATE REQUEST-----\n"));
        akms_string_free(pem);
        pem = NULL;
        /* No DNS names: (NULL, 0). */
        CHECK_OK(akms_generate_csr(s, key, ver, "CN=bare", NULL, 0, &pem));
        CHECK(contains(pem, "CERTIFICATE REQUEST"));
        akms_string_free(pem);
        akms_string_free(key);
        akms_string_free(ver);
    }
}

static void test_csr_errors(akms_store *s) {
    char *key = NULL, *ver = NULL, *pem = SENTINEL;
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver));

    /* INVALID_ARGUMENT: NULLs, (NULL, n > 0), NULL entries, bad subject, bad DNS names. */
    CHECK_STATUS(akms_generate_csr(NULL, key, ver, SUBJECT, DNS, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_generate_csr(s, NULL, ver, SUBJECT, DNS, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_generate_csr(s, key, NULL, SUBJECT, DNS, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_generate_csr(s, key, ver, NULL, DNS, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, DNS, 2, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, NULL, 1, &pem), AKMS_ERR_INVALID_ARGUMENT);
    const char *with_null[2] = {"ok.example", NULL};
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, with_null, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "dns_names[1]"));
    const char *bad_dns[2] = {"ok.example", "not a name"};
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, bad_dns, 2, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "not a name"));
    CHECK_STATUS(akms_generate_csr(s, key, ver, "", NULL, 0, &pem), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "subject"));
    CHECK_STATUS(akms_generate_csr(s, key, ver, "not an RFC 4514 name", NULL, 0, &pem),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "subject"));
    /* Malformed input comes before NOT_FOUND. */
    CHECK_STATUS(akms_generate_csr(s, "no-such-key", ver, "", NULL, 0, &pem), AKMS_ERR_INVALID_ARGUMENT);

    /* NOT_FOUND: key or version. */
    CHECK_STATUS(akms_generate_csr(s, "no-such-key", ver, SUBJECT, NULL, 0, &pem), AKMS_ERR_NOT_FOUND);
    CHECK_STATUS(akms_generate_csr(s, key, "no-such-version", SUBJECT, NULL, 0, &pem),
                 AKMS_ERR_NOT_FOUND);

    /* INCOMPATIBLE: an ENCRYPT/DECRYPT key, before INVALID_STATE. */
    char *enc = NULL, *enc_ver = NULL;
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL, &enc, &enc_ver));
    CHECK_STATUS(akms_generate_csr(s, enc, enc_ver, SUBJECT, NULL, 0, &pem), AKMS_ERR_INCOMPATIBLE);
    CHECK_OK(akms_disable_key(s, enc));
    CHECK_STATUS(akms_generate_csr(s, enc, enc_ver, SUBJECT, NULL, 0, &pem), AKMS_ERR_INCOMPATIBLE);

    /* INVALID_STATE: Disabled, then fine again once Enabled; an alias stands for the key. */
    CHECK_OK(akms_disable_key(s, key));
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, DNS, 2, &pem), AKMS_ERR_INVALID_STATE);
    CHECK(pem == SENTINEL);
    CHECK_OK(akms_enable_key(s, key));
    CHECK_OK(akms_create_alias(s, "alias/c-csr", key));
    pem = NULL;
    CHECK_OK(akms_generate_csr(s, "alias/c-csr", ver, SUBJECT, DNS, 2, &pem));
    CHECK(contains(pem, "CERTIFICATE REQUEST"));
    akms_string_free(pem);

    akms_string_free(enc);
    akms_string_free(enc_ver);
    akms_string_free(key);
    akms_string_free(ver);
}

static void test_import(akms_store *s) {
    char *key = SENTINEL, *ver = SENTINEL, *json = NULL, *pem = NULL;

    /* INVALID_ARGUMENT: NULLs, (NULL, n > 0), unknown usage, garbage, truncated, trailing. */
    CHECK_STATUS(akms_import_key(NULL, AKMS_KEY_USAGE_SIGN_VERIFY, P256_PKCS8, sizeof P256_PKCS8, NULL,
                                 &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, 10, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, 0, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, 99, P256_PKCS8, sizeof P256_PKCS8, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, P256_PKCS8, sizeof P256_PKCS8, NULL,
                                 NULL, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, P256_PKCS8, sizeof P256_PKCS8, NULL,
                                 &key, NULL),
                 AKMS_ERR_INVALID_ARGUMENT);
    const uint8_t garbage[] = "not a key";
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, garbage, sizeof garbage, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, P256_PKCS8, sizeof P256_PKCS8 - 1, NULL,
                                 &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    uint8_t trailing[sizeof P256_PKCS8 + 1];
    memcpy(trailing, P256_PKCS8, sizeof P256_PKCS8);
    trailing[sizeof P256_PKCS8] = 0;
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, trailing, sizeof trailing, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    /* INCOMPATIBLE: ENCRYPT/DECRYPT for a P-256 key. */
    CHECK_STATUS(akms_import_key(s, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, P256_PKCS8, sizeof P256_PKCS8, NULL,
                                 &key, &ver),
                 AKMS_ERR_INCOMPATIBLE);
    CHECK(key == SENTINEL && ver == SENTINEL);
    CHECK_OK(akms_list_keys(s, &json));
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    akms_string_free(json);

    /* A P-256 key: Origin EXTERNAL, the public key OpenSSL computed. */
    CHECK_OK(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, P256_PKCS8, sizeof P256_PKCS8, "imported",
                             &key, &ver));
    CHECK_OK(akms_describe_key(s, key, &json));
    CHECK(contains(json, "\"Origin\":\"EXTERNAL\""));
    CHECK(contains(json, "\"KeySpec\":\"EC_P256\""));
    akms_string_free(json);
    CHECK_OK(akms_get_public_key(s, key, ver, &pem));
    CHECK(pem != NULL && strcmp(pem, P256_PUBLIC_PEM) == 0);
    akms_string_free(pem);
    pem = NULL;
    CHECK_OK(akms_generate_csr(s, key, ver, SUBJECT, DNS, 2, &pem));
    CHECK(contains(pem, "CERTIFICATE REQUEST"));
    akms_string_free(pem);

    /* ImportKeyVersion: same spec works; another spec is INCOMPATIBLE; order of errors. */
    char *v2 = SENTINEL;
    CHECK_STATUS(akms_import_key_version(NULL, key, P256_PKCS8, sizeof P256_PKCS8, &v2),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key_version(s, NULL, P256_PKCS8, sizeof P256_PKCS8, &v2),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key_version(s, key, NULL, 3, &v2), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key_version(s, key, P256_PKCS8, sizeof P256_PKCS8, NULL),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key_version(s, "no-such-key", garbage, sizeof garbage, &v2),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_import_key_version(s, "no-such-key", P256_PKCS8, sizeof P256_PKCS8, &v2),
                 AKMS_ERR_NOT_FOUND);
    CHECK_STATUS(akms_import_key_version(s, key, SM2_PKCS8, sizeof SM2_PKCS8, &v2), AKMS_ERR_INCOMPATIBLE);
    CHECK_OK(akms_disable_key(s, key));
    CHECK_STATUS(akms_import_key_version(s, key, P256_PKCS8, sizeof P256_PKCS8, &v2),
                 AKMS_ERR_INVALID_STATE);
    CHECK(v2 == SENTINEL);
    CHECK_OK(akms_enable_key(s, key));
    CHECK_OK(akms_import_key_version(s, key, P256_PKCS8, sizeof P256_PKCS8, &v2));
    CHECK(v2 != SENTINEL && v2 != NULL && strlen(v2) == 36);
    CHECK_OK(akms_list_key_versions(s, key, &json));
    CHECK(contains(json, v2) && contains(json, ver));
    akms_string_free(json);
    akms_string_free(v2);
    akms_string_free(key);
    akms_string_free(ver);

    /* An SM2 key for ENCRYPT/DECRYPT: encrypt and decrypt round trip, public key as OpenSSL's. */
    CHECK_OK(akms_import_key(s, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, SM2_PKCS8, sizeof SM2_PKCS8, NULL, &key,
                             &ver));
    CHECK_OK(akms_get_public_key(s, key, ver, &pem));
    CHECK(pem != NULL && strcmp(pem, SM2_PUBLIC_PEM) == 0);
    akms_string_free(pem);
    const uint8_t secret[] = "imported SM2";
    akms_bytes ct = {NULL, 0}, pt = {NULL, 0};
    CHECK_OK(akms_asymmetric_encrypt(s, key, ver, AKMS_ALG_SM2PKE, secret, sizeof secret, &ct));
    CHECK_OK(akms_asymmetric_decrypt(s, key, ver, AKMS_ALG_SM2PKE, ct.data, ct.len, &pt));
    CHECK(pt.len == sizeof secret && memcmp(pt.data, secret, sizeof secret) == 0);
    akms_bytes_free(&ct);
    akms_bytes_free(&pt);
    pem = SENTINEL;
    CHECK_STATUS(akms_generate_csr(s, key, ver, SUBJECT, NULL, 0, &pem), AKMS_ERR_INCOMPATIBLE);
    CHECK(pem == SENTINEL);
    akms_string_free(key);
    akms_string_free(ver);
}

int main(void) {
    akms_store *s = NULL;
    CHECK_OK(akms_store_new(&s));
    if (s == NULL) {
        return check_report();
    }
    test_import(s);
    test_csr_every_spec(s);
    test_csr_errors(s);
    akms_store_free(s);
    return check_report();
}
