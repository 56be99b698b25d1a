/* 8 threads hammering one store: sign, verify, encrypt, decrypt, create versions, list. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 12

static akms_store *store;
static char *sign_key, *sign_ver, *enc_key, *enc_ver, *sm2_key, *sm2_ver;
static int failures[THREADS];

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    uint8_t digest[32];
    for (int round = 0; round < ROUNDS; round++) {
        memset(digest, id * 16 + round, sizeof digest);
        akms_bytes sig = {NULL, 0}, ct = {NULL, 0}, pt = {NULL, 0};
        bool valid = false;
        const char *key = (round % 2) ? sm2_key : sign_key;
        const char *ver = (round % 2) ? sm2_ver : sign_ver;
        uint32_t alg = (round % 2) ? AKMS_ALG_SM2DSA : AKMS_ALG_ECDSA_SHA_256;
        if (akms_asymmetric_sign(store, key, ver, alg, AKMS_MESSAGE_DIGEST, digest, 32, &sig) != AKMS_OK ||
            akms_asymmetric_verify(store, key, ver, alg, AKMS_MESSAGE_DIGEST, digest, 32, sig.data, sig.len,
                                   &valid) != AKMS_OK ||
            !valid) {
            failures[id]++;
        }
        if (akms_asymmetric_encrypt(store, enc_key, enc_ver, AKMS_ALG_RSAES_OAEP_SHA_256, digest, 32, &ct) !=
                AKMS_OK ||
            akms_asymmetric_decrypt(store, enc_key, enc_ver, AKMS_ALG_RSAES_OAEP_SHA_256, ct.data, ct.len, &pt) !=
                AKMS_OK ||
            pt.len != 32 || memcmp(pt.data, digest, 32) != 0) {
            failures[id]++;
        }
        akms_bytes_free(&sig);
        akms_bytes_free(&ct);
        akms_bytes_free(&pt);
        if (round % 4 == 0) {
            char *v = NULL, *json = NULL;
            if (akms_create_key_version(store, sign_key, &v) != AKMS_OK) failures[id]++;
            if (akms_list_keys(store, &json) != AKMS_OK) failures[id]++;
            akms_string_free(json);
            if (akms_list_key_versions(store, sign_key, &json) != AKMS_OK) failures[id]++;
            akms_string_free(json);
            akms_string_free(v);
        }
        /* A failing call on this thread leaves this thread's message, and only here. */
        char *pem = NULL;
        if (akms_get_public_key(store, sign_key, "missing-version", &pem) != AKMS_ERR_NOT_FOUND ||
            strstr(akms_last_error_message(), "missing-version") == NULL) {
            failures[id]++;
        }
    }
    return NULL;
}

int main(void) {
    CHECK_OK(akms_store_new(&store));
    CHECK_OK(akms_create_key(store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &sign_key, &sign_ver));
    CHECK_OK(akms_create_key(store, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &sm2_key, &sm2_ver));
    CHECK_OK(akms_create_key(store, AKMS_KEY_SPEC_RSA_2048, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, NULL, &enc_key,
                             &enc_ver));
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(failures[i] == 0);
    }
    char *json = NULL;
    CHECK_OK(akms_list_key_versions(store, sign_key, &json));
    /* 1 first version + THREADS * (ROUNDS / 4) new ones. */
    int versions = 0;
    for (const char *p = json; (p = strstr(p, "KeyVersionId")) != NULL; p++) versions++;
    CHECK(versions == 1 + THREADS * (ROUNDS / 4));
    akms_string_free(json);
    akms_string_free(sign_key);
    akms_string_free(sign_ver);
    akms_string_free(sm2_key);
    akms_string_free(sm2_ver);
    akms_string_free(enc_key);
    akms_string_free(enc_ver);
    akms_store_free(store);
    return check_report();
}
