/* A PostgreSQL store through the C ABI (make test-pg, which starts a private cluster and sets
 * AKMS_TEST_PG_URI): akms_store_open with a postgresql:// location, every operation once, a
 * reopen that keeps everything, a wrong passphrase (AKMS_ERR_CORRUPT) and a malformed URI
 * (AKMS_ERR_INVALID_ARGUMENT). Without AKMS_TEST_PG_URI it says so and fails. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "fixtures.h"

static const uint8_t PASS[] = "c postgres passphrase";
#define PASS_LEN (sizeof PASS - 1)

int main(void) {
    const char *base = getenv("AKMS_TEST_PG_URI");
    if (base == NULL || base[0] == '\0') {
        fprintf(stderr, "pg_store: AKMS_TEST_PG_URI is not set (run it through make test-pg)\n");
        return 1;
    }
    setenv("AKMS_KDF_PARAMS", "m=8,t=1,p=1", 1); /* runs under valgrind */
    char uri[1024];
    snprintf(uri, sizeof uri, "%s%cakms_store=c-%ld", base, strchr(base, '?') ? '&' : '?',
             (long)time(NULL));

    akms_store *s = NULL;
    CHECK_STATUS(akms_store_open("postgresql://u@h/db?akms_store=bad.name", PASS, PASS_LEN, &s),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL);
    CHECK_OK(akms_store_open(uri, PASS, PASS_LEN, &s));
    if (s == NULL) return check_report();

    char *key = NULL, *v1 = NULL, *v2 = NULL, *enc = NULL, *enc_v = NULL, *imp = NULL,
         *imp_v = NULL, *imp_v2 = NULL;
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "c on pg",
                             &key, &v1));
    CHECK_OK(akms_create_key_version(s, key, &v2));
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL, &enc,
                             &enc_v));
    CHECK_OK(akms_import_key(s, AKMS_KEY_USAGE_SIGN_VERIFY, SM2_PKCS8, sizeof SM2_PKCS8,
                             "imported", &imp, &imp_v));
    CHECK_OK(akms_import_key_version(s, imp, SM2_PKCS8, sizeof SM2_PKCS8, &imp_v2));
    CHECK_OK(akms_create_alias(s, "alias/c-pg", key));
    CHECK_STATUS(akms_create_alias(s, "alias/c-pg", enc), AKMS_ERR_ALREADY_EXISTS);
    CHECK_OK(akms_create_alias(s, "alias/c-moved", key));
    CHECK_OK(akms_update_alias(s, "alias/c-moved", imp));
    CHECK_OK(akms_create_alias(s, "alias/c-gone", imp));
    CHECK_OK(akms_delete_alias(s, "alias/c-gone"));

    uint8_t digest[32];
    for (int i = 0; i < 32; i++) digest[i] = (uint8_t)(i + 1);
    akms_bytes sig = {NULL, 0}, ct = {NULL, 0}, pt = {NULL, 0}, sm2sig = {NULL, 0};
    bool valid = false;
    CHECK_OK(akms_asymmetric_sign(s, "alias/c-pg", v2, AKMS_ALG_ECDSA_SHA_256,
                                  AKMS_MESSAGE_DIGEST, digest, sizeof digest, &sig));
    CHECK_OK(akms_asymmetric_sign(s, "alias/c-moved", imp_v2, AKMS_ALG_SM2DSA, AKMS_MESSAGE_RAW,
                                  (const uint8_t *)"raw", 3, &sm2sig));
    CHECK_OK(akms_asymmetric_encrypt(s, enc, enc_v, AKMS_ALG_RSAES_OAEP_SHA_256,
                                     (const uint8_t *)"secret", 6, &ct));
    char *pem = NULL, *csr = NULL, *described = NULL, *listed = NULL, *versions = NULL;
    CHECK_OK(akms_get_public_key(s, key, v1, &pem));
    const char *dns[] = {"pg.example"};
    CHECK_OK(akms_generate_csr(s, key, v1, "CN=pg.example,O=Acme", dns, 1, &csr));
    CHECK(contains(csr, "BEGIN CERTIFICATE REQUEST"));
    CHECK_OK(akms_disable_key(s, enc));
    CHECK_OK(akms_schedule_key_deletion(s, imp, 7));
    CHECK_OK(akms_cancel_key_deletion(s, imp));
    CHECK_OK(akms_schedule_key_deletion(s, imp, 30));
    akms_store_free(s);

    /* Reopen: everything is there. */
    s = NULL;
    CHECK_STATUS(akms_store_open(uri, (const uint8_t *)"wrong", 5, &s), AKMS_ERR_CORRUPT);
    CHECK(s == NULL);
    CHECK_OK(akms_store_open(uri, PASS, PASS_LEN, &s));
    if (s == NULL) return check_report();
    CHECK_OK(akms_describe_key(s, "alias/c-pg", &described));
    CHECK(contains(described, "\"Description\":\"c on pg\""));
    CHECK(contains(described, "alias/c-pg"));
    CHECK_OK(akms_list_keys(s, &listed));
    CHECK(contains(listed, "\"KeyState\":\"Disabled\""));
    CHECK(contains(listed, "\"KeyState\":\"PendingDeletion\""));
    CHECK(contains(listed, "alias/c-moved"));
    CHECK(!contains(listed, "alias/c-gone"));
    CHECK_OK(akms_list_key_versions(s, key, &versions));
    CHECK(contains(versions, v1) && contains(versions, v2));
    CHECK_OK(akms_asymmetric_verify(s, key, v2, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST,
                                    digest, sizeof digest, sig.data, sig.len, &valid));
    CHECK(valid);
    CHECK_STATUS(akms_asymmetric_decrypt(s, enc, enc_v, AKMS_ALG_RSAES_OAEP_SHA_256, ct.data,
                                         ct.len, &pt),
                 AKMS_ERR_INVALID_STATE);
    CHECK_OK(akms_enable_key(s, enc));
    CHECK_OK(akms_asymmetric_decrypt(s, enc, enc_v, AKMS_ALG_RSAES_OAEP_SHA_256, ct.data, ct.len,
                                     &pt));
    CHECK(pt.len == 6 && memcmp(pt.data, "secret", 6) == 0);
    char *pem2 = NULL;
    CHECK_OK(akms_get_public_key(s, key, v1, &pem2));
    CHECK(pem != NULL && pem2 != NULL && strcmp(pem, pem2) == 0);
    akms_store_free(s);

    akms_bytes_free(&sig);
    akms_bytes_free(&sm2sig);
    akms_bytes_free(&ct);
    akms_bytes_free(&pt);
    akms_string_free(key);
    akms_string_free(v1);
    akms_string_free(v2);
    akms_string_free(enc);
    akms_string_free(enc_v);
    akms_string_free(imp);
    akms_string_free(imp_v);
    akms_string_free(imp_v2);
    akms_string_free(pem);
    akms_string_free(pem2);
    akms_string_free(csr);
    akms_string_free(described);
    akms_string_free(listed);
    akms_string_free(versions);
    return check_report();
}
