/* akms quickstart: create a key of every spec and perform every operation on it.
 *
 * Build and run from the repository root with `make quickstart`. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akms.h"

/* Exits with the library's message when a call fails. */
static void must(akms_status status, const char *what) {
    if (status != AKMS_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, akms_status_name(status), akms_last_error_message());
        exit(1);
    }
}

static void sign_and_verify(akms_store *store, const char *key, const char *version, uint32_t alg,
                            const char *alg_name) {
    const char *message = "release-1.2.3.tar.gz contents";
    akms_bytes sig = {NULL, 0};
    must(akms_asymmetric_sign(store, key, version, alg, AKMS_MESSAGE_RAW, (const uint8_t *)message,
                              strlen(message), &sig),
         "AsymmetricSign");
    bool valid = false;
    must(akms_asymmetric_verify(store, key, version, alg, AKMS_MESSAGE_RAW, (const uint8_t *)message,
                                strlen(message), sig.data, sig.len, &valid),
         "AsymmetricVerify");
    printf("  %-18s signed %zu bytes -> %zu-byte signature, verify: %s\n", alg_name, strlen(message), sig.len,
           valid ? "valid" : "INVALID");
    akms_bytes_free(&sig);
    if (!valid) exit(1);
}

static void encrypt_and_decrypt(akms_store *store, const char *key, const char *version, uint32_t alg,
                                const char *alg_name) {
    const char *secret = "database password: correct horse battery staple";
    akms_bytes ct = {NULL, 0}, pt = {NULL, 0};
    must(akms_asymmetric_encrypt(store, key, version, alg, (const uint8_t *)secret, strlen(secret), &ct),
         "AsymmetricEncrypt");
    must(akms_asymmetric_decrypt(store, key, version, alg, ct.data, ct.len, &pt), "AsymmetricDecrypt");
    bool same = pt.len == strlen(secret) && memcmp(pt.data, secret, pt.len) == 0;
    printf("  %-18s encrypted %zu bytes -> %zu-byte ciphertext, decrypt: %s\n", alg_name, strlen(secret), ct.len,
           same ? "round trip ok" : "MISMATCH");
    akms_bytes_free(&ct);
    akms_bytes_free(&pt); /* zeroizes the plaintext */
    if (!same) exit(1);
}

int main(void) {
    printf("akms %s (ABI %u)\n", akms_version(), akms_abi_version());
    akms_store *store = NULL;
    must(akms_store_new(&store), "akms_store_new");

    struct {
        uint32_t spec;
        const char *name;
        uint32_t sign_algs[2];
        const char *sign_names[2];
        uint32_t enc_algs[2];
        const char *enc_names[2];
    } specs[] = {
        {AKMS_KEY_SPEC_RSA_2048, "RSA_2048", {AKMS_ALG_RSA_PSS_SHA_256, AKMS_ALG_RSA_PKCS1_SHA_256},
         {"RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"}, {AKMS_ALG_RSAES_OAEP_SHA_1, AKMS_ALG_RSAES_OAEP_SHA_256},
         {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
        {AKMS_KEY_SPEC_RSA_3072, "RSA_3072", {AKMS_ALG_RSA_PSS_SHA_256, AKMS_ALG_RSA_PKCS1_SHA_256},
         {"RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"}, {AKMS_ALG_RSAES_OAEP_SHA_1, AKMS_ALG_RSAES_OAEP_SHA_256},
         {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
        {AKMS_KEY_SPEC_EC_P256, "EC_P256", {AKMS_ALG_ECDSA_SHA_256, 0}, {"ECDSA_SHA_256", NULL}, {0, 0},
         {NULL, NULL}},
        {AKMS_KEY_SPEC_EC_P256K, "EC_P256K", {AKMS_ALG_ECDSA_SHA_256, 0}, {"ECDSA_SHA_256", NULL}, {0, 0},
         {NULL, NULL}},
        {AKMS_KEY_SPEC_EC_SM2, "EC_SM2", {AKMS_ALG_SM2DSA, 0}, {"SM2DSA", NULL}, {AKMS_ALG_SM2PKE, 0},
         {"SM2PKE", NULL}},
    };

    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char *key = NULL, *version = NULL, *pem = NULL;
        must(akms_create_key(store, specs[i].spec, AKMS_KEY_USAGE_SIGN_VERIFY, "quickstart signing key", &key,
                             &version),
             "CreateKey");
        must(akms_get_public_key(store, key, version, &pem), "GetPublicKey");
        printf("%s SIGN/VERIFY key %s, version %s\n", specs[i].name, key, version);
        printf("  GetPublicKey       %.*s... (%zu-byte PEM)\n", 26, pem, strlen(pem));
        for (int a = 0; a < 2 && specs[i].sign_names[a]; a++) {
            sign_and_verify(store, key, version, specs[i].sign_algs[a], specs[i].sign_names[a]);
        }
        const char *dns_names[] = {"signer.example.com", "www.example.com"};
        char *csr = NULL;
        must(akms_generate_csr(store, key, version, "CN=signer.example.com,O=Acme Ltd,C=CN", dns_names, 2, &csr),
             "GenerateCSR");
        printf("  GenerateCSR        %.*s... (%zu-byte PEM)\n", 35, csr, strlen(csr));
        akms_string_free(csr);
        akms_string_free(pem);
        akms_string_free(key);
        akms_string_free(version);

        if (specs[i].enc_names[0] == NULL) continue;
        must(akms_create_key(store, specs[i].spec, AKMS_KEY_USAGE_ENCRYPT_DECRYPT, "quickstart encryption key", &key,
                             &version),
             "CreateKey");
        printf("%s ENCRYPT/DECRYPT key %s\n", specs[i].name, key);
        for (int a = 0; a < 2 && specs[i].enc_names[a]; a++) {
            encrypt_and_decrypt(store, key, version, specs[i].enc_algs[a], specs[i].enc_names[a]);
        }
        akms_string_free(key);
        akms_string_free(version);
    }

    /* Versions, aliases and states on one key. */
    char *key = NULL, *v1 = NULL, *v2 = NULL, *json = NULL;
    must(akms_create_key(store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "code signing", &key, &v1),
         "CreateKey");
    must(akms_create_key_version(store, key, &v2), "CreateKeyVersion");
    must(akms_create_alias(store, "alias/code-signing", key), "CreateAlias");
    sign_and_verify(store, "alias/code-signing", v2, AKMS_ALG_ECDSA_SHA_256, "via alias, v2");
    must(akms_list_key_versions(store, "alias/code-signing", &json), "ListKeyVersions");
    printf("ListKeyVersions: %s\n", json);
    akms_string_free(json);
    must(akms_disable_key(store, key), "DisableKey");
    akms_bytes sig = {NULL, 0};
    uint8_t digest[32] = {0};
    akms_status st = akms_asymmetric_sign(store, key, v1, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_DIGEST, digest,
                                          sizeof digest, &sig);
    printf("Sign with a disabled key: %s (%s)\n", akms_status_name(st), akms_last_error_message());
    must(akms_enable_key(store, key), "EnableKey");
    must(akms_schedule_key_deletion(store, key, 7), "ScheduleKeyDeletion");
    must(akms_describe_key(store, "alias/code-signing", &json), "DescribeKey");
    printf("DescribeKey: %s\n", json);
    akms_string_free(json);
    must(akms_cancel_key_deletion(store, key), "CancelKeyDeletion");
    must(akms_update_alias(store, "alias/code-signing", key), "UpdateAlias");
    must(akms_delete_alias(store, "alias/code-signing"), "DeleteAlias");
    must(akms_list_keys(store, &json), "ListKeys");
    printf("ListKeys: %zu bytes of JSON\n", strlen(json));
    akms_string_free(json);
    akms_string_free(key);
    akms_string_free(v1);
    akms_string_free(v2);
    akms_store_free(store);
    printf("quickstart: done\n");
    return st == AKMS_ERR_INVALID_STATE ? 0 : 1;
}
