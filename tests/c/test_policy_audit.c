/* Access policies on restricted handles and the audit callback, through the C ABI. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "fixtures.h"

static const uint8_t DIGEST[32] = {0xd1, 0x9e, 0x57, 0x0a, 0x42, 0x77, 0x13, 0xc8, 0x05, 0xbb, 0x6e,
                                   0x21, 0x90, 0x3f, 0xa4, 0x58, 0x6d, 0x12, 0xee, 0x7b, 0x30, 0x81,
                                   0xc9, 0x4a, 0x1f, 0x66, 0xd3, 0x08, 0xb5, 0x29, 0x94, 0x7c};
static const uint8_t PLAINTEXT[] = "the launch codes are 0000";

/* ---- collecting audit events -------------------------------------------------------- */

#define MAX_EVENTS 4096

typedef struct {
    pthread_mutex_t lock;
    char *events[MAX_EVENTS];
    size_t count;
    size_t dropped;
} event_log;

static char *copy(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL) {
        memcpy(c, s, n);
    }
    return c;
}

static void log_event(void *user_data, const char *event_json) {
    event_log *log = user_data;
    pthread_mutex_lock(&log->lock);
    if (log->count < MAX_EVENTS) {
        log->events[log->count++] = copy(event_json);
    } else {
        log->dropped++;
    }
    pthread_mutex_unlock(&log->lock);
}

static void log_init(event_log *log) {
    memset(log, 0, sizeof *log);
    pthread_mutex_init(&log->lock, NULL);
}

static void log_clear(event_log *log) {
    pthread_mutex_lock(&log->lock);
    for (size_t i = 0; i < log->count; i++) {
        free(log->events[i]);
    }
    log->count = 0;
    pthread_mutex_unlock(&log->lock);
}

static void log_destroy(event_log *log) {
    log_clear(log);
    pthread_mutex_destroy(&log->lock);
}

/* ---- a store with two keys of each usage --------------------------------------------- */

typedef struct {
    akms_store *root;
    char *sign[2], *sign_v[2], *enc[2], *enc_v[2];
    akms_bytes sig;
    akms_bytes ct[2];
} fixture;

static void fixture_init(fixture *fx) {
    memset(fx, 0, sizeof *fx);
    CHECK_OK(akms_store_new(&fx->root));
    for (int i = 0; i < 2; i++) {
        CHECK_OK(akms_create_key(fx->root, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_SIGN_VERIFY, NULL,
                                 &fx->sign[i], &fx->sign_v[i]));
        CHECK_OK(akms_create_key(fx->root, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_ENCRYPT_DECRYPT,
                                 NULL, &fx->enc[i], &fx->enc_v[i]));
        CHECK_OK(akms_asymmetric_encrypt(fx->root, fx->enc[i], fx->enc_v[i], AKMS_ALG_SM2PKE,
                                         PLAINTEXT, sizeof PLAINTEXT - 1, &fx->ct[i]));
    }
    CHECK_OK(akms_create_alias(fx->root, "alias/t-sign", fx->sign[0]));
    CHECK_OK(akms_create_alias(fx->root, "alias/o-sign", fx->sign[1]));
    CHECK_OK(akms_create_alias(fx->root, "alias/t-enc", fx->enc[0]));
    CHECK_OK(akms_create_alias(fx->root, "alias/o-enc", fx->enc[1]));
    CHECK_OK(akms_create_alias(fx->root, "alias/moving", fx->sign[0]));
    CHECK_OK(akms_asymmetric_sign(fx->root, fx->sign[0], fx->sign_v[0], AKMS_ALG_SM2DSA,
                                  AKMS_MESSAGE_DIGEST, DIGEST, sizeof DIGEST, &fx->sig));
}

static void fixture_free(fixture *fx) {
    for (int i = 0; i < 2; i++) {
        akms_string_free(fx->sign[i]);
        akms_string_free(fx->sign_v[i]);
        akms_string_free(fx->enc[i]);
        akms_string_free(fx->enc_v[i]);
        akms_bytes_free(&fx->ct[i]);
    }
    akms_bytes_free(&fx->sig);
    akms_store_free(fx->root);
}

static const char *KEY_OPS[] = {
    "CreateKeyVersion", "DescribeKey", "ListKeyVersions", "CreateAlias", "UpdateAlias",
    "DeleteAlias", "EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion",
    "GetPublicKey", "AsymmetricEncrypt", "AsymmetricDecrypt", "AsymmetricSign", "AsymmetricVerify",
    "ImportKeyVersion", "GenerateCSR",
};

static bool uses_enc(const char *op) {
    return strcmp(op, "AsymmetricEncrypt") == 0 || strcmp(op, "AsymmetricDecrypt") == 0;
}

/* Runs `op` through `h` on the target key (other = 0) or the other key, by id or by alias. */
static akms_status call_op(fixture *fx, akms_store *h, const char *op, int other, bool via_alias) {
    bool enc = uses_enc(op);
    const char *aliases[2][2] = {{"alias/t-sign", "alias/o-sign"}, {"alias/t-enc", "alias/o-enc"}};
    const char *key = via_alias ? aliases[enc][other] : (enc ? fx->enc : fx->sign)[other];
    const char *ver = (enc ? fx->enc_v : fx->sign_v)[other];
    char *str = NULL, *str2 = NULL;
    akms_bytes out = {NULL, 0};
    bool valid = false;
    akms_status s;
    if (strcmp(op, "CreateKeyVersion") == 0) {
        s = akms_create_key_version(h, key, &str);
    } else if (strcmp(op, "DescribeKey") == 0) {
        s = akms_describe_key(h, key, &str);
    } else if (strcmp(op, "ListKeyVersions") == 0) {
        s = akms_list_key_versions(h, key, &str);
    } else if (strcmp(op, "CreateAlias") == 0) {
        s = akms_create_alias(h, "alias/new", key);
    } else if (strcmp(op, "UpdateAlias") == 0) {
        s = akms_update_alias(h, "alias/moving", key);
    } else if (strcmp(op, "DeleteAlias") == 0) {
        s = akms_delete_alias(h, other ? "alias/o-sign" : "alias/moving");
    } else if (strcmp(op, "EnableKey") == 0) {
        s = akms_enable_key(h, key);
    } else if (strcmp(op, "DisableKey") == 0) {
        s = akms_disable_key(h, key);
    } else if (strcmp(op, "ScheduleKeyDeletion") == 0) {
        s = akms_schedule_key_deletion(h, key, 7);
    } else if (strcmp(op, "CancelKeyDeletion") == 0) {
        s = akms_cancel_key_deletion(h, key);
    } else if (strcmp(op, "GetPublicKey") == 0) {
        s = akms_get_public_key(h, key, ver, &str);
    } else if (strcmp(op, "AsymmetricEncrypt") == 0) {
        s = akms_asymmetric_encrypt(h, key, ver, AKMS_ALG_SM2PKE, PLAINTEXT, sizeof PLAINTEXT - 1,
                                    &out);
    } else if (strcmp(op, "AsymmetricDecrypt") == 0) {
        s = akms_asymmetric_decrypt(h, key, ver, AKMS_ALG_SM2PKE, fx->ct[other].data,
                                    fx->ct[other].len, &out);
    } else if (strcmp(op, "AsymmetricSign") == 0) {
        s = akms_asymmetric_sign(h, key, ver, AKMS_ALG_SM2DSA, AKMS_MESSAGE_DIGEST, DIGEST,
                                 sizeof DIGEST, &out);
    } else if (strcmp(op, "AsymmetricVerify") == 0) {
        s = akms_asymmetric_verify(h, key, ver, AKMS_ALG_SM2DSA, AKMS_MESSAGE_DIGEST, DIGEST,
                                   sizeof DIGEST, fx->sig.data, fx->sig.len, &valid);
    } else if (strcmp(op, "ImportKeyVersion") == 0) {
        s = akms_import_key_version(h, key, SM2_PKCS8, sizeof SM2_PKCS8, &str);
    } else if (strcmp(op, "GenerateCSR") == 0) {
        const char *names[] = {"signer.example.com"};
        s = akms_generate_csr(h, key, ver, "CN=signer,O=Acme,C=CN", names, 1, &str);
    } else if (strcmp(op, "ImportKey") == 0) {
        s = akms_import_key(h, AKMS_KEY_USAGE_SIGN_VERIFY, SM2_PKCS8, sizeof SM2_PKCS8, NULL, &str,
                            &str2);
    } else if (strcmp(op, "CreateKey") == 0) {
        s = akms_create_key(h, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &str, &str2);
    } else if (strcmp(op, "ListKeys") == 0) {
        s = akms_list_keys(h, &str);
    } else if (strcmp(op, "Restrict") == 0) {
        akms_store *r = NULL;
        s = akms_store_restrict(h, "{\"Statement\": []}", &r);
        akms_store_free(r);
    } else {
        fprintf(stderr, "unknown op %s\n", op);
        s = AKMS_ERR_INTERNAL;
    }
    akms_string_free(str);
    akms_string_free(str2);
    akms_bytes_free(&out);
    return s;
}

/* A fresh fixture in which `op` succeeds on both keys when allowed. */
static void fixture_for(fixture *fx, const char *op) {
    fixture_init(fx);
    if (strcmp(op, "CancelKeyDeletion") == 0) {
        CHECK_OK(akms_schedule_key_deletion(fx->root, fx->sign[0], 7));
        CHECK_OK(akms_schedule_key_deletion(fx->root, fx->sign[1], 7));
    }
}

/* A handle on fx->root restricted by `policy` (NULL on failure, counted as a failed check). */
static akms_store *restrict_to(fixture *fx, const char *policy) {
    akms_store *h = NULL;
    CHECK_OK(akms_store_restrict(fx->root, policy, &h));
    return h;
}

static void expect(fixture *fx, const char *policy, const char *op, int other, bool via_alias,
                   akms_status want, const char *what) {
    akms_store *h = restrict_to(fx, policy);
    akms_status got = call_op(fx, h, op, other, via_alias);
    if (got == want) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "%s (%s): got %s, expected %s (last error: %s)\n  policy: %s\n", op, what,
                akms_status_name(got), akms_status_name(want), akms_last_error_message(), policy);
    }
    akms_store_free(h);
}

static void test_policy_table(void) {
    char policy[1024];
    for (size_t i = 0; i < sizeof KEY_OPS / sizeof KEY_OPS[0]; i++) {
        const char *op = KEY_OPS[i];
        const char *t_alias = uses_enc(op) ? "alias/t-enc" : "alias/t-sign";
        fixture fx;

        fixture_for(&fx, op);
        const char *t_key = uses_enc(op) ? fx.enc[0] : fx.sign[0];
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"c\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": "
                 "[\"kms:%s\"], \"Resource\": [\"key/%s\"]}]}",
                 op, t_key);
        expect(&fx, policy, op, 0, false, AKMS_OK, "allowed");
        fixture_free(&fx);

        fixture_for(&fx, op);
        expect(&fx,
               "{\"Principal\": \"p\", "
               "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"kms:ListKeys\"], "
               "\"Resource\": \"*\"}]}",
               op, 0, false, AKMS_ERR_ACCESS_DENIED, "denied");
        fixture_free(&fx);

        fixture_for(&fx, op);
        t_key = uses_enc(op) ? fx.enc[0] : fx.sign[0];
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", "
                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:*\", \"Resource\": "
                 "\"*\"}, {\"Effect\": \"Deny\", \"Action\": \"kms:%s\", \"Resource\": "
                 "\"key/%s\"}]}",
                 op, t_key);
        expect(&fx, policy, op, 0, false, AKMS_ERR_ACCESS_DENIED, "explicit Deny");
        fixture_free(&fx);

        for (int via_alias = 0; via_alias < 2; via_alias++) {
            fixture_for(&fx, op);
            snprintf(policy, sizeof policy,
                     "{\"Principal\": \"p\", "
                     "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"kms:%s\"], "
                     "\"Resource\": [\"%s\"]}]}",
                     op, t_alias);
            expect(&fx, policy, op, 0, via_alias, AKMS_OK, "allowed through alias");
            fixture_free(&fx);
        }

        fixture_for(&fx, op);
        t_key = uses_enc(op) ? fx.enc[0] : fx.sign[0];
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", "
                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"kms:%s\"], "
                 "\"Resource\": [\"key/%s\", \"%s\"]}]}",
                 op, t_key, t_alias);
        expect(&fx, policy, op, 1, false, AKMS_ERR_ACCESS_DENIED, "another key");
        expect(&fx, policy, op, 1, true, AKMS_ERR_ACCESS_DENIED, "another key by alias");
        CHECK_STATUS(call_op(&fx, fx.root, op, 1, false), AKMS_OK);
        fixture_free(&fx);
    }

    const char *keyless[] = {"CreateKey", "ImportKey", "ListKeys", "Restrict"};
    for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++) {
        const char *op = keyless[i];
        fixture fx;
        fixture_init(&fx);
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", "
                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:%s\", \"Resource\": "
                 "\"*\"}]}",
                 op);
        expect(&fx, policy, op, 0, false, AKMS_OK, "allowed");
        expect(&fx, "{\"Principal\": \"p\", "
                    "\"Statement\": []}", op, 0, false, AKMS_ERR_ACCESS_DENIED, "denied");
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", "
                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}, "
                 "{\"Effect\": \"Deny\", \"Action\": \"kms:%s\", \"Resource\": \"*\"}]}",
                 op);
        expect(&fx, policy, op, 0, false, AKMS_ERR_ACCESS_DENIED, "explicit Deny");
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", "
                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:%s\", \"Resource\": "
                 "[\"key/*\", \"alias/*\"]}]}",
                 op);
        expect(&fx, policy, op, 0, false, AKMS_ERR_ACCESS_DENIED, "names no key: only * matches");
        fixture_free(&fx);
    }
}

/* The seed scenario: public key operations for any authorized party, on one key only. */
static void test_public_operations_only(void) {
    fixture fx;
    fixture_init(&fx);
    char policy[1024];
    snprintf(policy, sizeof policy,
             "{\"Principal\": \"any-authorized-party\", \"Statement\": [{\"Effect\": \"Allow\", "
             "\"Action\": [\"kms:GetPublicKey\", \"kms:AsymmetricEncrypt\", "
             "\"kms:AsymmetricVerify\"], \"Resource\": [\"key/%s\", \"key/%s\"]}]}",
             fx.sign[0], fx.enc[0]);
    akms_store *pub = restrict_to(&fx, policy);
    CHECK_STATUS(call_op(&fx, pub, "GetPublicKey", 0, false), AKMS_OK);
    CHECK_STATUS(call_op(&fx, pub, "AsymmetricEncrypt", 0, false), AKMS_OK);
    CHECK_STATUS(call_op(&fx, pub, "AsymmetricVerify", 0, true), AKMS_OK);
    CHECK_STATUS(call_op(&fx, pub, "AsymmetricDecrypt", 0, false), AKMS_ERR_ACCESS_DENIED);
    CHECK_STATUS(call_op(&fx, pub, "AsymmetricSign", 0, false), AKMS_ERR_ACCESS_DENIED);
    CHECK(contains(akms_last_error_message(), "kms:AsymmetricSign"));
    CHECK(contains(akms_last_error_message(), fx.sign[0]));
    CHECK_STATUS(call_op(&fx, pub, "GetPublicKey", 1, false), AKMS_ERR_ACCESS_DENIED);
    CHECK_STATUS(call_op(&fx, pub, "AsymmetricVerify", 1, false), AKMS_ERR_ACCESS_DENIED);
    CHECK_STATUS(call_op(&fx, pub, "ListKeys", 0, false), AKMS_ERR_ACCESS_DENIED);
    CHECK_STATUS(call_op(&fx, pub, "Restrict", 0, false), AKMS_ERR_ACCESS_DENIED);
    /* ACCESS_DENIED comes after NOT_FOUND and before INCOMPATIBLE. */
    akms_bytes out = {NULL, 0};
    CHECK_STATUS(akms_asymmetric_sign(pub, fx.sign[0], "no-such-version", AKMS_ALG_SM2DSA,
                                      AKMS_MESSAGE_DIGEST, DIGEST, sizeof DIGEST, &out),
                 AKMS_ERR_NOT_FOUND);
    CHECK_STATUS(akms_asymmetric_decrypt(pub, fx.enc[0], fx.enc_v[0], AKMS_ALG_RSAES_OAEP_SHA_1,
                                         fx.ct[0].data, fx.ct[0].len, &out),
                 AKMS_ERR_ACCESS_DENIED);
    CHECK(out.data == NULL);
    /* A restricted handle cannot take over the audit stream. */
    CHECK_STATUS(akms_store_set_audit_callback(pub, NULL, NULL), AKMS_ERR_ACCESS_DENIED);
    /* Freeing the root first leaves the restricted handle working, and the other way round. */
    akms_store *root2 = NULL;
    CHECK_OK(akms_store_restrict(fx.root, "{\"Principal\": \"p\", "
                                          "\"Statement\": [{\"Effect\": \"Allow\", "
                                          "\"Action\": \"*\", \"Resource\": \"*\"}]}",
                                 &root2));
    akms_store_free(fx.root);
    fx.root = root2;
    CHECK_STATUS(call_op(&fx, pub, "GetPublicKey", 0, false), AKMS_OK);
    akms_store_free(pub);
    CHECK_STATUS(call_op(&fx, fx.root, "AsymmetricSign", 0, false), AKMS_OK);
    fixture_free(&fx);
}

static void test_restrict_arguments(void) {
    akms_store *s = NULL, *r = NULL;
    CHECK_OK(akms_store_new(&s));
    CHECK_STATUS(akms_store_restrict(NULL, "{\"Principal\": \"p\", "
                                           "\"Statement\": []}", &r), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_restrict(s, NULL, &r), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_restrict(s, "{\"Principal\": \"p\", "
                                        "\"Statement\": []}", NULL), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_restrict(s, "{\"Principal\": \"p\", "
                                        "\"Statement\": [", &r), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_store_restrict(s,
                                     "{\"Principal\": \"p\", "
                                     "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": "
                                     "\"kms:Sing\", \"Resource\": \"*\"}]}",
                                     &r),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "Statement[0].Action[0]"));
    CHECK_STATUS(akms_store_restrict(s,
                                     "{\"Principal\": \"p\", "
                                     "\"Statement\": [{\"Effect\": \"Permit\", \"Action\": "
                                     "\"*\", \"Resource\": \"*\"}]}",
                                     &r),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "Statement[0].Effect"));
    CHECK(r == NULL);
    /* Narrowing: the child's kms:* is cut down to what the parent allows. */
    akms_store *parent = NULL, *child = NULL;
    CHECK_OK(akms_store_restrict(s,
                                 "{\"Principal\": \"p\", "
                                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": "
                                 "[\"kms:Restrict\", \"kms:ListKeys\"], \"Resource\": \"*\"}]}",
                                 &parent));
    CHECK_OK(akms_store_restrict(parent,
                                 "{\"Principal\": \"p\", "
                                 "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"kms:*\", "
                                 "\"Resource\": \"*\"}]}",
                                 &child));
    char *json = NULL, *k = NULL, *v = NULL;
    CHECK_OK(akms_list_keys(child, &json));
    akms_string_free(json);
    CHECK_STATUS(akms_create_key(child, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL,
                                 &k, &v),
                 AKMS_ERR_ACCESS_DENIED);
    CHECK(k == NULL && v == NULL);
    akms_store_free(parent);
    CHECK_OK(akms_list_keys(child, &json));
    akms_string_free(json);
    akms_store_free(child);
    akms_store_free(s);
}

/* ---- audit --------------------------------------------------------------------------- */

static void test_audit_fields_and_early_failures(void) {
    fixture fx;
    fixture_init(&fx);
    event_log log;
    log_init(&log);
    CHECK_STATUS(akms_store_set_audit_callback(NULL, log_event, &log), AKMS_ERR_INVALID_ARGUMENT);
    CHECK_OK(akms_store_set_audit_callback(fx.root, log_event, &log));
    char policy[512];
    snprintf(policy, sizeof policy,
             "{\"Principal\": \"signer\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": "
             "\"kms:AsymmetricSign\", \"Resource\": \"alias/t-sign\"}]}");
    akms_store *h = restrict_to(&fx, policy);
    CHECK_STATUS(call_op(&fx, h, "AsymmetricSign", 0, true), AKMS_OK);
    CHECK_STATUS(call_op(&fx, h, "DescribeKey", 0, false), AKMS_ERR_ACCESS_DENIED);
    /* Failures found before the core is reached are audited too. */
    akms_bytes out = {NULL, 0};
    CHECK_STATUS(akms_asymmetric_sign(h, NULL, fx.sign_v[0], AKMS_ALG_SM2DSA, AKMS_MESSAGE_DIGEST,
                                      DIGEST, sizeof DIGEST, &out),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(akms_asymmetric_sign(fx.root, fx.sign[0], fx.sign_v[0], 99, AKMS_MESSAGE_DIGEST,
                                      DIGEST, sizeof DIGEST, &out),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK_OK(akms_store_set_audit_callback(fx.root, NULL, NULL));
    CHECK_STATUS(call_op(&fx, fx.root, "ListKeys", 0, false), AKMS_OK); /* not delivered */

    CHECK(log.count == 5);
    const char *want[][3] = {
        {"Restrict", "AKMS_OK", ""},
        {"AsymmetricSign", "AKMS_OK", "signer"},
        {"DescribeKey", "AKMS_ERR_ACCESS_DENIED", "signer"},
        {"AsymmetricSign", "AKMS_ERR_INVALID_ARGUMENT", "signer"},
        {"AsymmetricSign", "AKMS_ERR_INVALID_ARGUMENT", ""},
    };
    char buf[128];
    for (size_t i = 0; i < log.count && i < 5; i++) {
        json_field(log.events[i], "Operation", buf, sizeof buf);
        CHECK(strcmp(buf, want[i][0]) == 0);
        json_field(log.events[i], "Status", buf, sizeof buf);
        CHECK(strcmp(buf, want[i][1]) == 0);
        CHECK(contains(log.events[i], "\"Principal\":\""));
        json_field(log.events[i], "Principal", buf, sizeof buf);
        CHECK(strcmp(buf, want[i][2]) == 0);
        json_field(log.events[i], "RequestId", buf, sizeof buf);
        CHECK(strlen(buf) == 36);
        json_field(log.events[i], "EventTime", buf, sizeof buf);
        CHECK(strlen(buf) == 24 && buf[10] == 'T' && buf[19] == '.' && buf[23] == 'Z');
    }
    if (log.count >= 2) {
        const char *sign = log.events[1];
        json_field(sign, "KeyId", buf, sizeof buf);
        CHECK(strcmp(buf, fx.sign[0]) == 0);
        json_field(sign, "KeyVersionId", buf, sizeof buf);
        CHECK(strcmp(buf, fx.sign_v[0]) == 0);
        json_field(sign, "Alias", buf, sizeof buf);
        CHECK(strcmp(buf, "alias/t-sign") == 0);
        json_field(sign, "Algorithm", buf, sizeof buf);
        CHECK(strcmp(buf, "SM2DSA") == 0);
    }
    /* No digest, signature or plaintext in any event, in hex or as text. */
    char hex[65];
    for (size_t i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", DIGEST[i]);
    }
    for (size_t i = 0; i < log.count; i++) {
        CHECK(!contains(log.events[i], hex));
        CHECK(!contains(log.events[i], "launch codes"));
        CHECK(!contains(log.events[i], "BEGIN"));
    }
    log_destroy(&log);
    akms_store_free(h);
    fixture_free(&fx);
}

/* N calls from 8 threads: exactly N events, unique RequestIds, the right statuses. */
#define THREADS 8
#define PER_THREAD 40

typedef struct {
    fixture *fx;
    akms_store *h;
    int index;
    int ok, denied, not_found;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        akms_status s;
        switch ((w->index + i) % 3) {
        case 0:
            s = call_op(w->fx, w->h, "AsymmetricSign", 0, (i & 1) != 0);
            break;
        case 1:
            s = call_op(w->fx, w->h, "AsymmetricSign", 1, false);
            break;
        default:
            s = akms_delete_alias(w->h, "alias/never-made");
            break;
        }
        w->ok += s == AKMS_OK;
        w->denied += s == AKMS_ERR_ACCESS_DENIED;
        w->not_found += s == AKMS_ERR_NOT_FOUND;
    }
    return NULL;
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_audit_from_threads(void) {
    fixture fx;
    fixture_init(&fx);
    akms_store *h = restrict_to(&fx, "{\"Principal\": \"w\", \"Statement\": [{\"Effect\": "
                                     "\"Allow\", \"Action\": \"kms:*\", \"Resource\": "
                                     "\"alias/t-*\"}]}");
    event_log log;
    log_init(&log);
    CHECK_OK(akms_store_set_audit_callback(fx.root, log_event, &log));
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){.fx = &fx, .h = h, .index = t};
        CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0);
    }
    int ok = 0, denied = 0, not_found = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        ok += workers[t].ok;
        denied += workers[t].denied;
        not_found += workers[t].not_found;
    }
    CHECK(ok + denied + not_found == THREADS * PER_THREAD);
    CHECK(ok > 0 && denied > 0 && not_found > 0);
    CHECK(log.count == THREADS * PER_THREAD && log.dropped == 0);
    int ev_ok = 0, ev_denied = 0, ev_not_found = 0;
    char *ids[MAX_EVENTS];
    char buf[128];
    for (size_t i = 0; i < log.count; i++) {
        json_field(log.events[i], "Status", buf, sizeof buf);
        ev_ok += strcmp(buf, "AKMS_OK") == 0;
        ev_denied += strcmp(buf, "AKMS_ERR_ACCESS_DENIED") == 0;
        ev_not_found += strcmp(buf, "AKMS_ERR_NOT_FOUND") == 0;
        json_field(log.events[i], "Principal", buf, sizeof buf);
        CHECK(strcmp(buf, "w") == 0);
        ids[i] = malloc(64);
        json_field(log.events[i], "RequestId", ids[i], 64);
    }
    CHECK(ev_ok == ok && ev_denied == denied && ev_not_found == not_found);
    qsort(ids, log.count, sizeof ids[0], by_string);
    int duplicates = 0;
    for (size_t i = 0; i + 1 < log.count; i++) {
        duplicates += strcmp(ids[i], ids[i + 1]) == 0;
    }
    CHECK(duplicates == 0);
    for (size_t i = 0; i < log.count; i++) {
        free(ids[i]);
    }
    CHECK_OK(akms_store_set_audit_callback(fx.root, NULL, NULL));
    log_destroy(&log);
    akms_store_free(h);
    fixture_free(&fx);
}

/* A callback that calls back into akms (and tries to change the callback) does not deadlock. */
typedef struct {
    akms_store *store;
    int events;
    akms_status nested;
    akms_status reset;
} reentrant;

static void call_back_in(void *user_data, const char *event_json) {
    reentrant *r = user_data;
    (void)event_json;
    r->events++;
    char *json = NULL;
    r->nested = akms_list_keys(r->store, &json);
    akms_string_free(json);
    r->reset = akms_store_set_audit_callback(r->store, NULL, NULL);
}

static void test_reentrant_callback(void) {
    reentrant r = {NULL, 0, AKMS_ERR_INTERNAL, AKMS_OK};
    CHECK_OK(akms_store_new(&r.store));
    CHECK_OK(akms_store_set_audit_callback(r.store, call_back_in, &r));
    char *k = NULL, *v = NULL;
    CHECK_OK(akms_create_key(r.store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL, &k,
                             &v));
    CHECK(r.events == 1); /* the nested ListKeys is not audited */
    CHECK(r.nested == AKMS_OK);
    CHECK(r.reset == AKMS_ERR_INVALID_STATE);
    akms_string_free(k);
    akms_string_free(v);
    akms_store_free(r.store);
}

/* Principals cannot be spoofed: the root's restrict must name one, a child's is prefixed. */
static void test_principals(void) {
    akms_store *root = NULL, *h = NULL, *child = NULL, *inherit = NULL, *r = NULL;
    CHECK_OK(akms_store_new(&root));
    event_log log;
    log_init(&log);
    CHECK_OK(akms_store_set_audit_callback(root, log_event, &log));
    const char *no_principal =
        "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}";
    CHECK_STATUS(akms_store_restrict(root, no_principal, &r), AKMS_ERR_INVALID_ARGUMENT);
    CHECK(contains(akms_last_error_message(), "Principal"));
    CHECK_STATUS(akms_store_restrict(root,
                                     "{\"Principal\": \"\", \"Statement\": [{\"Effect\": "
                                     "\"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}",
                                     &r),
                 AKMS_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_OK(akms_store_restrict(root,
                                 "{\"Principal\": \"billing\", \"Statement\": [{\"Effect\": "
                                 "\"Allow\", \"Action\": [\"kms:Restrict\", \"kms:ListKeys\"], "
                                 "\"Resource\": \"*\"}]}",
                                 &h));
    /* A child naming the root's "" or another service still speaks as billing/... */
    CHECK_OK(akms_store_restrict(h,
                                 "{\"Principal\": \"admin\", \"Statement\": [{\"Effect\": "
                                 "\"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}",
                                 &child));
    CHECK_OK(akms_store_restrict(h, no_principal, &inherit));
    log_clear(&log);
    char *json = NULL;
    CHECK_OK(akms_list_keys(child, &json));
    akms_string_free(json);
    CHECK_OK(akms_list_keys(inherit, &json));
    akms_string_free(json);
    CHECK(log.count == 2);
    char buf[128];
    if (log.count == 2) {
        json_field(log.events[0], "Principal", buf, sizeof buf);
        CHECK(strcmp(buf, "billing/admin") == 0);
        json_field(log.events[1], "Principal", buf, sizeof buf);
        CHECK(strcmp(buf, "billing") == 0);
    }
    /* A resource that is not *, key/... or alias/... is refused, in a Deny too. */
    const char *bad[] = {"keys/*", "KEY/*", " key/*", "acs:kms:*:*:key/*", "key/", "alias/a b*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char policy[512];
        snprintf(policy, sizeof policy,
                 "{\"Principal\": \"p\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": "
                 "\"*\", \"Resource\": \"*\"}, {\"Effect\": \"Deny\", \"Action\": \"*\", "
                 "\"Resource\": \"%s\"}]}",
                 bad[i]);
        r = NULL;
        CHECK_STATUS(akms_store_restrict(root, policy, &r), AKMS_ERR_INVALID_ARGUMENT);
        CHECK(contains(akms_last_error_message(), "Statement[1].Resource[0]"));
        CHECK(r == NULL);
    }
    CHECK_OK(akms_store_set_audit_callback(root, NULL, NULL));
    log_destroy(&log);
    akms_store_free(inherit);
    akms_store_free(child);
    akms_store_free(h);
    akms_store_free(root);
}

/* The calls that create a version report the new version's id in their event. */
static void test_new_version_ids(void) {
    akms_store *root = NULL;
    CHECK_OK(akms_store_new(&root));
    event_log log;
    log_init(&log);
    CHECK_OK(akms_store_set_audit_callback(root, log_event, &log));
    char *ids[4] = {NULL, NULL, NULL, NULL}, *keys[2] = {NULL, NULL};
    CHECK_OK(akms_create_key(root, AKMS_KEY_SPEC_EC_SM2, AKMS_KEY_USAGE_SIGN_VERIFY, NULL,
                             &keys[0], &ids[0]));
    CHECK_OK(akms_create_key_version(root, keys[0], &ids[1]));
    CHECK_OK(akms_import_key(root, AKMS_KEY_USAGE_SIGN_VERIFY, SM2_PKCS8, sizeof SM2_PKCS8, NULL,
                             &keys[1], &ids[2]));
    CHECK_OK(akms_import_key_version(root, keys[0], SM2_PKCS8, sizeof SM2_PKCS8, &ids[3]));
    const char *ops[4] = {"CreateKey", "CreateKeyVersion", "ImportKey", "ImportKeyVersion"};
    CHECK(log.count == 4);
    for (size_t i = 0; i < 4 && i < log.count; i++) {
        char buf[128];
        json_field(log.events[i], "Operation", buf, sizeof buf);
        CHECK(strcmp(buf, ops[i]) == 0);
        json_field(log.events[i], "KeyVersionId", buf, sizeof buf);
        CHECK(ids[i] != NULL && strcmp(buf, ids[i]) == 0);
        json_field(log.events[i], "KeyId", buf, sizeof buf);
        CHECK(keys[i == 2] != NULL && strcmp(buf, keys[i == 2]) == 0);
    }
    CHECK_OK(akms_store_set_audit_callback(root, NULL, NULL));
    log_destroy(&log);
    for (size_t i = 0; i < 4; i++) {
        akms_string_free(ids[i]);
    }
    akms_string_free(keys[0]);
    akms_string_free(keys[1]);
    akms_store_free(root);
}

int main(void) {
    test_policy_table();
    test_public_operations_only();
    test_restrict_arguments();
    test_audit_fields_and_early_failures();
    test_audit_from_threads();
    test_reentrant_callback();
    test_principals();
    test_new_version_ids();
    return check_report();
}
