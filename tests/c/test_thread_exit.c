/* akms calls made while a thread exits, from a pthread TLS-key destructor, where Rust's
 * thread-locals are already destroyed (issue 12, item 2): no abort, the right status, and
 * akms_last_error_message() a valid string ("" when the message slot is gone); with an audit
 * callback set, every such call still gets its event. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

static pthread_key_t exit_key;

/* The audit events seen (the threads run one at a time, and the join orders them). */
static int events;
static int events_with_request_id;

static void count_event(void *user_data, const char *event_json) {
    (void)user_data;
    events++;
    if (contains(event_json, "\"RequestId\":\"") && contains(event_json, "\"Status\":\"AKMS_")) {
        events_with_request_id++;
    }
}

/* What the destructor calls, and what it got (checked by the main thread after the join). */
typedef struct {
    akms_store *store;
    const char *key;
    const char *version;
    akms_status not_found;
    bool message_is_string;
    akms_status bad_policy;
    akms_status public_key;
    bool pem_ok;
    akms_status restricted_denied;
    akms_status created;
    bool ran;
} at_exit;

static void on_thread_exit(void *value) {
    at_exit *x = value;
    char *json = NULL, *pem = NULL;
    akms_store *r = NULL, *reader = NULL;
    x->not_found = akms_describe_key(x->store, "alias/not-there", &json);
    const char *message = akms_last_error_message();
    x->message_is_string = message != NULL && strlen(message) < 4096;
    x->bad_policy = akms_store_restrict(x->store, "{\"Statement\": [", &r);
    x->public_key = akms_get_public_key(x->store, x->key, x->version, &pem);
    x->pem_ok = contains(pem, "BEGIN PUBLIC KEY");
    akms_string_free(pem);
    akms_string_free(json);
    /* A restricted handle made earlier is used and freed here. */
    if (akms_store_restrict(x->store,
                            "{\"Principal\": \"exit\", \"Statement\": [{\"Effect\": \"Allow\", "
                            "\"Action\": \"kms:ListKeys\", \"Resource\": \"*\"}]}",
                            &reader) == AKMS_OK) {
        x->restricted_denied = akms_describe_key(reader, x->key, &json);
        akms_string_free(json);
        akms_store_free(reader);
    }
    akms_store_free(r); /* NULL: the policy was refused */
    /* A new key (its ids come from the OS, not from the thread RNG that is gone by now). */
    char *k = NULL, *v = NULL;
    x->created = akms_create_key(x->store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY,
                                 NULL, &k, &v);
    akms_string_free(k);
    akms_string_free(v);
    x->ran = true;
}

static void *worker(void *arg) {
    at_exit *x = arg;
    /* Failing calls during the thread's life, so that its message slot exists (and is then
     * destroyed before the TLS-key destructors run). */
    char *json = NULL;
    CHECK_STATUS(akms_describe_key(x->store, "alias/missing", &json), AKMS_ERR_NOT_FOUND);
    CHECK(contains(akms_last_error_message(), "alias/missing"));
    pthread_setspecific(exit_key, x);
    return NULL;
}

static void test_calls_from_a_tls_destructor(void) {
    at_exit x;
    memset(&x, 0, sizeof x);
    char *k = NULL, *v = NULL;
    CHECK_OK(akms_store_new(&x.store));
    CHECK_OK(akms_create_key(x.store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &k,
                             &v));
    x.key = k;
    x.version = v;
    CHECK(pthread_key_create(&exit_key, on_thread_exit) == 0);
    for (int round = 0; round < 4; round++) {
        bool audited = round >= 2;
        CHECK_OK(akms_store_set_audit_callback(x.store, audited ? count_event : NULL, NULL));
        events = events_with_request_id = 0;
        x.ran = false;
        pthread_t t;
        CHECK(pthread_create(&t, NULL, worker, &x) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(x.ran);
        CHECK_STATUS(x.not_found, AKMS_ERR_NOT_FOUND);
        CHECK(x.message_is_string);
        CHECK_STATUS(x.bad_policy, AKMS_ERR_INVALID_ARGUMENT);
        CHECK_OK(x.public_key);
        CHECK(x.pem_ok);
        CHECK_STATUS(x.restricted_denied, AKMS_ERR_ACCESS_DENIED);
        CHECK_OK(x.created);
        /* One event for the thread's own call, six for the destructor's. */
        CHECK(events == (audited ? 7 : 0));
        CHECK(events_with_request_id == events);
    }
    CHECK_OK(akms_store_set_audit_callback(x.store, NULL, NULL));
    pthread_key_delete(exit_key);
    /* The main thread's own message slot is untouched. */
    char *json = NULL;
    CHECK_STATUS(akms_describe_key(x.store, "alias/main", &json), AKMS_ERR_NOT_FOUND);
    CHECK(contains(akms_last_error_message(), "alias/main"));
    akms_string_free(k);
    akms_string_free(v);
    akms_store_free(x.store);
}

int main(void) {
    test_calls_from_a_tls_destructor();
    return check_report();
}
