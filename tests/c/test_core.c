/* The core C ABI: every function, every status code a caller can provoke, ownership rules. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

static const uint8_t DIGEST[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_versions_and_names(void) {
    CHECK(strcmp(akms_version(), "0.1.0") == 0);
    CHECK(akms_abi_version() == AKMS_ABI_VERSION);
    CHECK(strcmp(akms_status_name(AKMS_OK), "AKMS_OK") == 0);
    CHECK(strcmp(akms_status_name(AKMS_ERR_NOT_FOUND), "AKMS_ERR_NOT_FOUND") == 0);
    CHECK(strcmp(akms_status_name(AKMS_ERR_INTERNAL), "AKMS_ERR_INTERNAL") == 0);
    CHECK(strcmp(akms_status_name(12345), "AKMS_UNKNOWN_STATUS") == 0);
}

/* Sign and verify with every spec and algorithm, DIGEST and RAW, and a flipped bit. */
static void test_sign_verify(akms_store *s) {
    struct { uint32_t spec; uint32_t alg; } cases[] = {
        {AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSA_PSS_SHA_256},
        {AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSA_PKCS1_SHA_256},
        {AKMS_KEY_SPEC_RSA_3072, AKMS_ALG_RSA_PSS_SHA_256},
        {AKMS_KEY_SPEC_EC_P256, AKMS_ALG_ECDSA_SHA_256},
        {AKMS_KEY_SPEC_EC_P256K, AKMS_ALG_ECDSA_SHA_256},
        {AKMS_KEY_SPEC_EC_SM2, AKMS_ALG_SM2DSA},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *key = NULL, *ver = NULL;
        CHECK_OK(akms_create_key(s, cases[i].spec, AKMS_KEY_USAGE_SIGN_VERIFY, "c test", &key, &ver));
        const uint8_t msg[] = "hello from C";
        uint32_t types[2] = {AKMS_MESSAGE_DIGEST, AKMS_MESSAGE_RAW};
        for (int t = 0; t < 2; t++) {
            const uint8_t *data = types[t] == AKMS_MESSAGE_DIGEST ? DIGEST : msg;
            size_t len = types[t] == AKMS_MESSAGE_DIGEST ? sizeof DIGEST : sizeof msg - 1;
            akms_bytes sig = {NULL, 0};
            CHECK_OK(akms_asymmetric_sign(s, key, ver, cases[i].alg, types[t], data, len, &sig));
            CHECK(sig.data != NULL && sig.len > 0);
            bool valid = false;
            CHECK_OK(akms_asymmetric_verify(s, key, ver, cases[i].alg, types[t], data, len, sig.data,
                                            sig.len, &valid));
            CHECK(valid);
            sig.data[sig.len / 2] ^= 0x01;
            valid = true;
            CHECK_OK(akms_asymmetric_verify(s, key, ver, cases[i].alg, types[t], data, len, sig.data,
                                            sig.len, &valid));
            CHECK(!valid);
            akms_bytes_free(&sig);
            CHECK(sig.data == NULL && sig.len == 0);
            akms_bytes_free(&sig); /* idempotent */
        }
        char *pem = NULL;
        CHECK_OK(akms_get_public_key(s, key, ver, &pem));
        CHECK(contains(pem, "-----BEGIN PUBLIC KEY-----\n"));
        akms_string_free(pem);
        akms_string_free(key);
        akms_string_free(ver);
    }
}

/* Encrypt and decrypt with every algorithm, the plaintext limits, garbage ciphertext. */
static void test_encrypt_decrypt(akms_store *s) {
    struct { uint32_t spec; uint32_t alg; size_t max; } cases[] = {
        {AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSAES_OAEP_SHA_1, 214},
        {AKMS_KEY_SPEC_RSA_2048, AKMS_ALG_RSAES_OAEP_SHA_256, 190},
        {AKMS_KEY_SPEC_RSA_3072, AKMS_ALG_RSAES_OAEP_SHA_1, 342},
        {AKMS_KEY_SPEC_RSA_3072, AKMS_ALG_RSAES_OAEP_SHA_256, 318},
        {AKMS_KEY_SPEC_EC_SM2, AKMS_ALG_SM2PKE, 6047},
    };
    static uint8_t big[6048];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31 + 7);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *key = NULL, *ver = NULL;
        CHECK_OK(akms_create_key(s, cases[i].spec, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL, &key, &ver));
        akms_bytes ct = {NULL, 0}, pt = {NULL, 0};
        CHECK_OK(akms_asymmetric_encrypt(s, key, ver, cases[i].alg, big, cases[i].max, &ct));
        CHECK_OK(akms_asymmetric_decrypt(s, key, ver, cases[i].alg, ct.data, ct.len, &pt));
        CHECK(pt.len == cases[i].max && memcmp(pt.data, big, pt.len) == 0);
        akms_bytes_free(&pt);
        akms_bytes too_long = {NULL, 0};
        CHECK_STATUS(akms_asymmetric_encrypt(s, key, ver, cases[i].alg, big, cases[i].max + 1, &too_long),
                     AKMS_ERR_INVALID_ARGUMENT);
        CHECK(too_long.data == NULL);
        ct.data[ct.len - 1] ^= 0x01;
        CHECK_STATUS(akms_asymmetric_decrypt(s, key, ver, cases[i].alg, ct.data, ct.len, &pt),
                     AKMS_ERR_DECRYPTION_FAILED);
        CHECK(pt.data == NULL);
        const uint8_t garbage[] = "not a ciphertext";
        CHECK_STATUS(akms_asymmetric_decrypt(s, key, ver, cases[i].alg, garbage, sizeof garbage, &pt),
                     AKMS_ERR_DECRYPTION_FAILED);
        akms_bytes_free(&ct);
        if (cases[i].alg == AKMS_ALG_SM2PKE) {
            CHECK_STATUS(akms_asymmetric_encrypt(s, key, ver, cases[i].alg, NULL, 0, &ct),
                         AKMS_ERR_INVALID_ARGUMENT);
        } else {
            /* OAEP takes an empty plaintext, given as (NULL, 0). */
            CHECK_OK(akms_asymmetric_encrypt(s, key, ver, cases[i].alg, NULL, 0, &ct));
            CHECK_OK(akms_asymmetric_decrypt(s, key, ver, cases[i].alg, ct.data, ct.len, &pt));
            CHECK(pt.len == 0 && pt.data == NULL);
            akms_bytes_free(&ct);
        }
        /* Signing with an ENCRYPT/DECRYPT key does not fit. */
        akms_bytes sig = {NULL, 0};
        uint32_t sign_alg = cases[i].alg == AKMS_ALG_SM2PKE ? AKMS_ALG_SM2DSA : AKMS_ALG_RSA_PSS_SHA_256;
        CHECK_STATUS(akms_asymmetric_sign(s, key, ver, sign_alg, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig),
                     AKMS_ERR_INCOMPATIBLE);
        akms_string_free(key);
        akms_string_free(ver);
    }
}

static void test_key_management(akms_store *s) {
    char *key = NULL, *v1 = NULL, *v2 = NULL, *json = NULL, *other = NULL, *ov = NULL;
    CHECK_STATUS(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL, &key, &v1),
                 AKMS_ERR_INCOMPATIBLE);
    CHECK(key == NULL && v1 == NULL);
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "management", &key, &v1));
    CHECK(strlen(key) == 36 && strlen(v1) == 36);
    CHECK_OK(akms_create_key_version(s, key, &v2));
    CHECK(strcmp(v1, v2) != 0);
    CHECK_OK(akms_list_key_versions(s, key, &json));
    CHECK(contains(json, v1) && contains(json, v2) && contains(json, "\"KeyVersionId\""));
    akms_string_free(json);

    CHECK_OK(akms_create_alias(s, "alias/c/test", key));
    CHECK_STATUS(akms_create_alias(s, "alias/c/test", key), AKMS_ERR_ALREADY_EXISTS);
    CHECK_STATUS(akms_create_alias(s, "alias/acs/reserved", key), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_alias(s, "no-prefix", key), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_alias(s, "alias/x", "00000000-0000-4000-8000-000000000000"), AKMS_ERR_NOT_FOUND);
    CHECK_OK(akms_describe_key(s, "alias/c/test", &json));
    CHECK(contains(json, "\"KeyId\":\"") && contains(json, key) && contains(json, "\"KeySpec\":\"EC_P256\"") &&
          contains(json, "\"KeyUsage\":\"SIGN/VERIFY\"") && contains(json, "\"KeyState\":\"Enabled\"") &&
          contains(json, "\"Description\":\"management\"") && contains(json, "\"CreationDate\":\"") &&
          contains(json, "\"Origin\":\"Aliyun_KMS\"") && contains(json, "\"Aliases\":[\"alias/c/test\"]"));
    akms_string_free(json);
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &other, &ov));
    CHECK_OK(akms_update_alias(s, "alias/c/test", other));
    CHECK_STATUS(akms_update_alias(s, "alias/c/none", other), AKMS_ERR_NOT_FOUND);
    CHECK_OK(akms_describe_key(s, "alias/c/test", &json));
    CHECK(contains(json, other));
    akms_string_free(json);
    CHECK_OK(akms_delete_alias(s, "alias/c/test"));
    CHECK_STATUS(akms_delete_alias(s, "alias/c/test"), AKMS_ERR_NOT_FOUND);
    CHECK_STATUS(akms_describe_key(s, "alias/c/test", &json), AKMS_ERR_NOT_FOUND);

    /* States. */
    akms_bytes sig = {NULL, 0};
    CHECK_OK(akms_disable_key(s, key));
    CHECK_STATUS(akms_asymmetric_sign(s, key, v1, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig),
                 AKMS_ERR_INVALID_STATE);
    CHECK(contains(akms_last_error_message(), "Disabled"));
    char *v3 = NULL;
    CHECK_STATUS(akms_create_key_version(s, key, &v3), AKMS_ERR_INVALID_STATE);
    CHECK_OK(akms_enable_key(s, key));
    CHECK_OK(akms_asymmetric_sign(s, key, v1, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig));
    akms_bytes_free(&sig);
    CHECK_STATUS(akms_schedule_key_deletion(s, key, 6), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_schedule_key_deletion(s, key, 31), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_cancel_key_deletion(s, key), AKMS_ERR_INVALID_STATE);
    CHECK_OK(akms_schedule_key_deletion(s, key, 7));
    CHECK_OK(akms_describe_key(s, key, &json));
    CHECK(contains(json, "\"KeyState\":\"PendingDeletion\"") && contains(json, "\"DeleteDate\":\""));
    akms_string_free(json);
    CHECK_STATUS(akms_enable_key(s, key), AKMS_ERR_INVALID_STATE);
    CHECK_STATUS(akms_disable_key(s, key), AKMS_ERR_INVALID_STATE);
    CHECK_STATUS(akms_create_alias(s, "alias/c/pending", key), AKMS_ERR_INVALID_STATE);
    CHECK_STATUS(akms_asymmetric_sign(s, key, v1, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig),
                 AKMS_ERR_INVALID_STATE);
    char *pem = NULL;
    CHECK_OK(akms_get_public_key(s, key, v1, &pem)); /* works in every state */
    akms_string_free(pem);
    CHECK_OK(akms_cancel_key_deletion(s, key));
    CHECK_OK(akms_describe_key(s, key, &json));
    CHECK(contains(json, "\"KeyState\":\"Enabled\"") && !contains(json, "DeleteDate"));
    akms_string_free(json);

    CHECK_OK(akms_list_keys(s, &json));
    CHECK(json[0] == '[' && contains(json, key) && contains(json, other));
    akms_string_free(json);

    /* Not found: unknown key, unknown version, version of another key. */
    json = NULL;
    pem = NULL;
    CHECK_STATUS(akms_describe_key(s, "no-such-key", &json), AKMS_ERR_NOT_FOUND);
    CHECK(json == NULL);
    CHECK_STATUS(akms_get_public_key(s, key, "no-such-version", &pem), AKMS_ERR_NOT_FOUND);
    CHECK_STATUS(akms_get_public_key(s, other, v1, &pem), AKMS_ERR_NOT_FOUND);
    CHECK(pem == NULL);
    /* The wrong algorithm for the key. */
    CHECK_STATUS(akms_asymmetric_sign(s, key, v1, AKMS_ALG_SM2DSA, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig),
                 AKMS_ERR_INCOMPATIBLE);
    CHECK_STATUS(akms_asymmetric_encrypt(s, key, v1, AKMS_ALG_SM2PKE, DIGEST, 32, &sig), AKMS_ERR_INCOMPATIBLE);
    akms_string_free(key);
    akms_string_free(v1);
    akms_string_free(v2);
    akms_string_free(other);
    akms_string_free(ov);
}

static void test_bad_arguments(akms_store *s) {
    char *key = NULL, *ver = NULL, *out = NULL;
    akms_bytes sig = {NULL, 0};
    bool valid = false;
    CHECK_STATUS(akms_store_new(NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "out"));
    CHECK_STATUS(akms_create_key(NULL, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key(s, 0, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key(s, 99, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, 7, NULL, &key, &ver), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, NULL, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "\xff\xfe", &key, &ver),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "UTF-8"));
    CHECK(key == NULL && ver == NULL);
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &key, &ver));
    CHECK_STATUS(akms_create_key_version(s, NULL, &out), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_create_key_version(s, "", &out), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_describe_key(s, key, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_list_keys(NULL, &out), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_list_key_versions(s, NULL, &out), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_update_alias(s, "alias/a", NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_delete_alias(s, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_enable_key(NULL, key), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_disable_key(s, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_schedule_key_deletion(s, NULL, 7), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_cancel_key_deletion(s, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_get_public_key(s, key, ver, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_sign(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, NULL, 32, &sig),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_sign(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 31, &sig),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "32 bytes"));
    CHECK_STATUS(akms_asymmetric_sign(s, key, ver, 0, AKMS_MESSAGE_DIGEST, DIGEST, 32, &sig),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_sign(s, key, ver, AKMS_ALG_ECDSA_SHA_256, 2, DIGEST, 32, &sig),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_sign(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, NULL),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_verify(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, NULL,
                                        8, &valid),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_verify(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32,
                                        DIGEST, 8, NULL),
                 AKMS_ERR_INVALID_ARGUMENT);
    /* A malformed signature is OK + false. */
    valid = true;
    CHECK_OK(akms_asymmetric_verify(s, key, ver, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, DIGEST, 32, NULL, 0,
                                    &valid));
    CHECK(!valid);
    CHECK_STATUS(akms_asymmetric_encrypt(s, key, ver, AKMS_ALG_RSAES_OAEP_SHA_1, NULL, 5, &sig),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_decrypt(s, key, ver, 42, DIGEST, 32, &sig), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(sig.data == NULL);
    /* Free functions are NULL-safe. */
    akms_store_free(NULL);
    akms_string_free(NULL);
    akms_bytes_free(NULL);
    akms_string_free(key);
    akms_string_free(ver);
}

int main(void) {
    akms_store *s = NULL;
    CHECK_OK(akms_store_new(&s));
    test_versions_and_names();
    test_sign_verify(s);
    test_encrypt_decrypt(s);
    test_key_management(s);
    test_bad_arguments(s);
    akms_store_free(s);
    return check_report();
}
