/* A C program as a user outside the akms repository writes it: built against an installed akms
 * (pkg-config), it creates a key, signs a message, verifies it, and prints the ABI version. */
#include <stdio.h>
#include <string.h>

#include <akms.h>

static int fail(const char *what, akms_status s) {
    fprintf(stderr, "%s: %s: %s\n", what, akms_status_name(s), akms_last_error_message());
    return 1;
}

int main(void) {
    akms_store *store = NULL;
    akms_status s = akms_store_new(&store);
    if (s != AKMS_OK) return fail("akms_store_new", s);
    char *key = NULL, *version = NULL;
    s = akms_create_key(store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "installed",
                        &key, &version);
    if (s != AKMS_OK) return fail("akms_create_key", s);
    const char *msg = "hello from an installed akms";
    akms_bytes sig = {NULL, 0};
    s = akms_asymmetric_sign(store, key, version, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_RAW,
                             (const uint8_t *)msg, strlen(msg), &sig);
    if (s != AKMS_OK) return fail("akms_asymmetric_sign", s);
    bool valid = false;
    s = akms_asymmetric_verify(store, key, version, AKMS_ALG_ECDSA_SHA_256, AKMS_MESSAGE_RAW,
                               (const uint8_t *)msg, strlen(msg), sig.data, sig.len, &valid);
    if (s != AKMS_OK) return fail("akms_asymmetric_verify", s);
    printf("abi=%u version=%s valid=%s\n", akms_abi_version(), akms_version(),
           valid ? "true" : "false");
    akms_bytes_free(&sig);
    akms_string_free(key);
    akms_string_free(version);
    akms_store_free(store);
    return valid ? 0 : 1;
}
