/* An audit callback may free any handle, also the one whose call it is reporting and the
 * store's last one (issue 12, item 1). Run under valgrind: a use-after-free of the store's
 * shared parts (the callback lock released after the callback) shows as an invalid read. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

/* What the callback frees, and what it saw. */
typedef struct {
    akms_store **free_on_event; /* freed (and set to NULL) by the next event, if not NULL */
    int events;
    char last_operation[64];
    char last_status[64];
} freeing;

static void free_a_handle(void *user_data, const char *event_json) {
    freeing *f = user_data;
    f->events++;
    json_field(event_json, "Operation", f->last_operation, sizeof f->last_operation);
    json_field(event_json, "Status", f->last_status, sizeof f->last_status);
    if (f->free_on_event != NULL && *f->free_on_event != NULL) {
        akms_store_free(*f->free_on_event);
        *f->free_on_event = NULL;
        f->free_on_event = NULL;
    }
}

/* The callback frees the only handle, from the event of a call made on that handle. */
static void test_free_the_only_handle(void) {
    for (int failing = 0; failing < 2; failing++) {
        akms_store *s = NULL;
        freeing f = {NULL, 0, "", ""};
        char *k = NULL, *v = NULL, *json = NULL;
        CHECK_OK(akms_store_new(&s));
        CHECK_OK(akms_create_key(s, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, "x", &k,
                                 &v));
        CHECK_OK(akms_store_set_audit_callback(s, free_a_handle, &f));
        f.free_on_event = &s;
        if (failing) {
            CHECK_STATUS(akms_describe_key(s, "alias/none", &json), AKMS_ERR_NOT_FOUND);
            CHECK(contains(akms_last_error_message(), "alias/none"));
            CHECK(json == NULL);
        } else {
            CHECK_OK(akms_describe_key(s, k, &json));
            CHECK(contains(json, k));
        }
        CHECK(s == NULL);
        CHECK(f.events == 1);
        CHECK(strcmp(f.last_operation, "DescribeKey") == 0);
        CHECK(strcmp(f.last_status, failing ? "AKMS_ERR_NOT_FOUND" : "AKMS_OK") == 0);
        akms_string_free(json);
        akms_string_free(k);
        akms_string_free(v);
    }
}

/* The root is gone; the last handle, a restricted one, is freed by its own call's event. */
static void test_free_the_last_restricted_handle(void) {
    akms_store *root = NULL, *h = NULL;
    freeing f = {NULL, 0, "", ""};
    char *k = NULL, *v = NULL, *pem = NULL;
    CHECK_OK(akms_store_new(&root));
    CHECK_OK(akms_create_key(root, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &k,
                             &v));
    CHECK_OK(akms_store_set_audit_callback(root, free_a_handle, &f));
    CHECK_OK(akms_store_restrict(root,
                                 "{\"Principal\": \"reader\", \"Statement\": [{\"Effect\": "
                                 "\"Allow\", \"Action\": \"kms:GetPublicKey\", \"Resource\": "
                                 "\"*\"}]}",
                                 &h));
    akms_store_free(root);
    f.events = 0;
    f.free_on_event = &h;
    CHECK_OK(akms_get_public_key(h, k, v, &pem));
    CHECK(contains(pem, "BEGIN PUBLIC KEY"));
    CHECK(h == NULL);
    CHECK(f.events == 1);
    CHECK(strcmp(f.last_operation, "GetPublicKey") == 0);
    akms_string_free(pem);
    akms_string_free(k);
    akms_string_free(v);
}

/* The callback frees another handle (the root) during a restricted handle's call, and a
 * restricted handle during the root's: each remaining handle keeps working. */
static void test_free_another_handle(void) {
    akms_store *root = NULL, *a = NULL, *b = NULL;
    freeing f = {NULL, 0, "", ""};
    char *k = NULL, *v = NULL, *json = NULL;
    CHECK_OK(akms_store_new(&root));
    CHECK_OK(akms_create_key(root, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &k,
                             &v));
    const char *policy = "{\"Principal\": \"svc\", \"Statement\": [{\"Effect\": \"Allow\", "
                         "\"Action\": \"*\", \"Resource\": \"*\"}]}";
    CHECK_OK(akms_store_restrict(root, policy, &a));
    CHECK_OK(akms_store_restrict(root, policy, &b));
    CHECK_OK(akms_store_set_audit_callback(root, free_a_handle, &f));
    f.free_on_event = &a;
    CHECK_OK(akms_list_keys(root, &json));
    akms_string_free(json);
    CHECK(a == NULL);
    f.free_on_event = &root;
    CHECK_OK(akms_describe_key(b, k, &json));
    akms_string_free(json);
    CHECK(root == NULL);
    /* Events keep coming for b, whose store lives on. */
    f.events = 0;
    CHECK_OK(akms_list_keys(b, &json));
    akms_string_free(json);
    CHECK(f.events == 1);
    akms_store_free(b);
    akms_string_free(k);
    akms_string_free(v);
}

int main(void) {
    test_free_the_only_handle();
    test_free_the_last_restricted_handle();
    test_free_another_handle();
    return check_report();
}
