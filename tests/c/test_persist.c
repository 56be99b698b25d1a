/* Persistent stores through the C ABI: akms_store_open. Argument checks (outputs untouched on
 * failure), keys surviving akms_store_free and reopen, a second opener sharing the store, a wrong passphrase
 * and a changed byte (AKMS_ERR_CORRUPT), a directory as path (AKMS_ERR_IO). The crash, tamper
 * and round-trip suites are the Rust tests tests/persist_*.rs. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static const uint8_t PASS[] = "c test passphrase";
#define PASS_LEN (sizeof PASS - 1)

static char SENTINEL_BYTE;
#define SENTINEL ((akms_store *)&SENTINEL_BYTE)

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* XORs one byte of the file at `offset`. */
static void flip_byte(const char *path, long offset) {
    FILE *f = fopen(path, "r+b");
    if (f == NULL) return;
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 0xff, f);
    fclose(f);
}

int main(void) {
    /* Cheap Argon2id for the new store: this program runs under valgrind. Never do this with a
     * real passphrase. */
    setenv("AKMS_KDF_PARAMS", "m=8,t=1,p=1", 1);

    char dir[] = "/tmp/akms-c-persist-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/store.akms", dir);

    /* Arguments. */
    akms_store *s = SENTINEL;
    CHECK_STATUS(akms_store_open(NULL, PASS, PASS_LEN, &s), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_open(path, NULL, 5, &s), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_open(path, NULL, 0, &s), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "passphrase"));
    CHECK_STATUS(akms_store_open("", PASS, PASS_LEN, &s), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_open(path, PASS, PASS_LEN, NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(s == SENTINEL);
    CHECK_STATUS(akms_store_open(dir, PASS, PASS_LEN, &s), AKMS_ERR_IO);
    CHECK(s == SENTINEL);

    /* Create, use, close. */
    s = NULL;
    CHECK_OK(akms_store_open(path, PASS, PASS_LEN, &s));
    char *key = NULL, *version = NULL, *version2 = NULL, *other = NULL, *other_v = NULL;
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "persisted",
                             &key, &version));
    CHECK_OK(akms_create_key_version(s, key, &version2));
    CHECK_OK(akms_create_alias(s, "alias/persisted", key));
    CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL,
                             &other, &other_v));
    CHECK_OK(akms_disable_key(s, other));
    uint8_t digest[32];
    for (int i = 0; i < 32; i++) digest[i] = (uint8_t)(i * 7);
    akms_bytes sig = {NULL, 0};
    CHECK_OK(akms_asymmetric_sign(s, "alias/persisted", version2, AKMS_ALG_ECDSA_SHA_256,
                                  AKMS_MESSAGE_DIGEST, digest, sizeof digest, &sig));
    char *described = NULL, *listed = NULL, *pem = NULL;
    CHECK_OK(akms_describe_key(s, key, &described));
    CHECK_OK(akms_list_keys(s, &listed));
    CHECK_OK(akms_get_public_key(s, key, version, &pem));

    /* A second opener shares the store: each sees the other's changes on its next call. */
    akms_store *second = NULL;
    CHECK_OK(akms_store_open(path, PASS, PASS_LEN, &second));
    char *shared = NULL;
    CHECK_OK(akms_describe_key(second, "alias/persisted", &shared));
    CHECK(contains(shared, key));
    akms_string_free(shared);
    CHECK_OK(akms_enable_key(second, other));
    CHECK_OK(akms_disable_key(s, other));
    shared = NULL;
    CHECK_OK(akms_describe_key(second, other, &shared));
    CHECK(contains(shared, "\"Disabled\""));
    akms_string_free(shared);
    akms_store_free(second);
    akms_store_free(s);
    s = NULL;

    /* A wrong passphrase. */
    akms_store *wrong = SENTINEL;
    CHECK_STATUS(akms_store_open(path, (const uint8_t *)"c test passphrasE", PASS_LEN, &wrong),
                 AKMS_ERR_CORRUPT);
    CHECK(contains(akms_last_error_message(), "wrong passphrase"));
    CHECK(wrong == SENTINEL);

    /* Reopen: everything is back. */
    CHECK_OK(akms_store_open(path, PASS, PASS_LEN, &s));
    char *described2 = NULL, *listed2 = NULL, *pem2 = NULL, *state = NULL;
    CHECK_OK(akms_describe_key(s, "alias/persisted", &described2));
    CHECK_OK(akms_list_keys(s, &listed2));
    CHECK_OK(akms_get_public_key(s, key, version, &pem2));
    CHECK(described2 != NULL && described != NULL && strcmp(described, described2) == 0);
    CHECK(listed2 != NULL && listed != NULL && strcmp(listed, listed2) == 0);
    CHECK(pem2 != NULL && pem != NULL && strcmp(pem, pem2) == 0);
    CHECK_OK(akms_describe_key(s, other, &state));
    CHECK(contains(state, "\"KeyState\":\"Disabled\""));
    bool valid = false;
    CHECK_OK(akms_asymmetric_verify(s, key, version2, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST,
                                    digest, sizeof digest, sig.data, sig.len, &valid));
    CHECK(valid);
    CHECK_OK(akms_delete_alias(s, "alias/persisted"));
    akms_store_free(s);
    s = NULL;

    /* A changed byte inside a committed record (the first: the header is 136 bytes). */
    long size = file_size(path);
    CHECK(size > 400);
    flip_byte(path, 200);
    akms_store *bad = SENTINEL;
    CHECK_STATUS(akms_store_open(path, PASS, PASS_LEN, &bad), AKMS_ERR_CORRUPT);
    CHECK(contains(akms_last_error_message(), "modified or damaged"));
    CHECK(bad == SENTINEL);

    akms_store_free(NULL);
    akms_bytes_free(&sig);
    akms_string_free(key);
    akms_string_free(version);
    akms_string_free(version2);
    akms_string_free(other);
    akms_string_free(other_v);
    akms_string_free(described);
    akms_string_free(described2);
    akms_string_free(listed);
    akms_string_free(listed2);
    akms_string_free(pem);
    akms_string_free(pem2);
    akms_string_free(state);
    unlink(path);
    rmdir(dir);
    return check_report();
}
