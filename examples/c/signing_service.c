/* akms signing service: the key owner gives a service a handle that may only sign with one
 * alias, and writes the audit stream of every call to a JSON-lines file.
 *
 * Build with `make examples`; run `examples/c/build/signing_service [audit.jsonl]`. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akms.h"

/* Exits with the library's message when a call fails. */
static void must(akms_status status, const char *what) {
    if (status != AKMS_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, akms_status_name(status),
                akms_last_error_message());
        exit(1);
    }
}

/* The audit sink: one JSON object per line. Events come from whichever thread made the call,
 * so writes are serialized. */
typedef struct {
    pthread_mutex_t lock;
    FILE *file;
    unsigned long lines;
} audit_file;

static void write_event(void *user_data, const char *event_json) {
    audit_file *audit = user_data;
    pthread_mutex_lock(&audit->lock);
    fputs(event_json, audit->file);
    fputc('\n', audit->file);
    fflush(audit->file);
    audit->lines++;
    pthread_mutex_unlock(&audit->lock);
}

/* The service: it holds only its restricted handle and the key version to use. */
static void run_service(akms_store *handle, const char *version) {
    const char *invoices[] = {"invoice 2026-0001: 1200.00 EUR", "invoice 2026-0002: 80.50 EUR"};
    for (int i = 0; i < 2; i++) {
        akms_bytes sig = {NULL, 0};
        must(akms_asymmetric_sign(handle, "alias/invoice-signing", version, AKMS_ALG_ECDSA_SHA_256,
                                  AKMS_MESSAGE_RAW, (const uint8_t *)invoices[i],
                                  strlen(invoices[i]), &sig),
             "AsymmetricSign");
        printf("service: signed \"%s\" (%zu-byte signature)\n", invoices[i], sig.len);
        akms_bytes_free(&sig);
    }
    /* Anything else is refused, and audited as refused. */
    char *json = NULL;
    akms_status s = akms_list_keys(handle, &json);
    printf("service: ListKeys -> %s\n", akms_status_name(s));
    s = akms_disable_key(handle, "alias/invoice-signing");
    printf("service: DisableKey -> %s (%s)\n", akms_status_name(s), akms_last_error_message());
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "audit.jsonl";
    audit_file audit = {PTHREAD_MUTEX_INITIALIZER, fopen(path, "w"), 0};
    if (audit.file == NULL) {
        perror(path);
        return 1;
    }

    /* The key owner: an unrestricted store, a signing key under an alias, the audit sink. */
    akms_store *store = NULL;
    must(akms_store_new(&store), "akms_store_new");
    must(akms_store_set_audit_callback(store, write_event, &audit), "set_audit_callback");
    char *key = NULL, *version = NULL;
    must(akms_create_key(store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "invoices",
                         &key, &version),
         "CreateKey");
    must(akms_create_alias(store, "alias/invoice-signing", key), "CreateAlias");

    /* The service's handle: AsymmetricSign on the key the alias names, nothing else. */
    const char *policy =
        "{\"Principal\": \"invoice-service\", \"Statement\": [{\"Effect\": \"Allow\", "
        "\"Action\": [\"kms:AsymmetricSign\"], \"Resource\": [\"alias/invoice-signing\"]}]}";
    akms_store *service = NULL;
    must(akms_store_restrict(store, policy, &service), "Restrict");
    run_service(service, version);
    akms_store_free(service);

    /* Everyone may check a signature with the public key. */
    char *pem = NULL;
    must(akms_get_public_key(store, key, version, &pem), "GetPublicKey");
    akms_string_free(pem);

    must(akms_store_set_audit_callback(store, NULL, NULL), "set_audit_callback");
    akms_string_free(key);
    akms_string_free(version);
    akms_store_free(store);
    fclose(audit.file);
    printf("wrote %lu audit events to %s\n", audit.lines, path);
    return 0;
}
