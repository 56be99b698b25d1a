/*
 * akmsgo.h — C helpers shared by the cgo preambles of package akms.
 *
 * Error messages. akms_last_error_message() is thread-local. A goroutine can
 * move to another OS thread between two cgo calls, and another goroutine can
 * make a failing akms call on this thread in between, so the Go side never
 * reads the message in a separate cgo call. Every akms call goes through a
 * small static wrapper (AKMSGO_WRAP*) that, in the same C call and on the same
 * thread, copies the message with strdup() when the status is not AKMS_OK.
 * The Go side converts that copy and frees it (akmsgo_result.message).
 *
 * Results. A string or byte result that fits in the caller's scratch buffer
 * (akmsgo_scratch, a Go stack variable) is copied there and freed by the
 * wrapper (AKMSGO_WRAP_STRING, AKMSGO_WRAP_BYTES), so the usual call costs one
 * cgo transition instead of two. A larger result is left in the out-parameter
 * for the Go side to copy and free.
 *
 * Audit events. The library calls the audit callback on the calling thread,
 * inside the akms call. The callback registered by package akms,
 * akmsgo_audit_trampoline (akmsgo.c), does not call into Go: it queues the
 * event in a thread-local list, which the wrapper hands back with the result
 * of the same call (akmsgo_result.events) and Go delivers before the method
 * returns. Since no akms call ever calls back into Go, every wrapper is
 * marked "#cgo nocallback" and "#cgo noescape", which lets Go keep the
 * wrappers' arguments (cstrings, out-parameters, scratch) on the stack.
 */
#ifndef AKMSGO_H
#define AKMSGO_H

#include <stdlib.h>
#include <string.h>
#include <akms.h>

/* A queued audit event: the slot is the user_data the callback was given. */
typedef struct akmsgo_event {
    struct akmsgo_event *next;
    uintptr_t slot;
    char *json; /* points into the same allocation */
} akmsgo_event;

/* This thread's queued events, oldest first (defined in akmsgo.c). */
extern _Thread_local akmsgo_event *akmsgo_pending_events;

void akmsgo_audit_trampoline(void *user_data, const char *event_json);
void akmsgo_free_events(akmsgo_event *events);

typedef struct akmsgo_result {
    uint32_t status;
    char *message;          /* NULL on AKMS_OK; else a malloc'd copy the caller frees */
    akmsgo_event *events;   /* audit events of the call; the caller frees them */
} akmsgo_result;

static inline akmsgo_result akmsgo_result_of(akms_status status) {
    akmsgo_result r;
    r.status = (uint32_t)status;
    r.message = NULL;
    r.events = akmsgo_pending_events;
    akmsgo_pending_events = NULL;
    if (status != AKMS_OK) {
        const char *m = akms_last_error_message();
        r.message = strdup(m != NULL ? m : "");
    }
    return r;
}

/* AKMSGO_WRAP(name, (params), (args)) defines akmsgo_<name>, which calls
 * akms_<name> and captures its error message on the same thread. */
#define AKMSGO_WRAP(name, params, args) \
    static akmsgo_result akmsgo_##name params { return akmsgo_result_of(akms_##name args); }

#define AKMSGO_SCRATCH 1024

typedef struct akmsgo_scratch {
    size_t len;
    uint8_t data[AKMSGO_SCRATCH];
} akmsgo_scratch;

/* Moves *s into scratch and sets *s to NULL if it fits; else leaves it. */
static inline void akmsgo_keep_string(char **s, akmsgo_scratch *scratch) {
    size_t n = strlen(*s);
    if (n <= AKMSGO_SCRATCH) {
        memcpy(scratch->data, *s, n);
        scratch->len = n;
        akms_string_free(*s);
        *s = NULL;
    }
}

/* Moves b into scratch (b becomes {NULL, 0}) if it fits; else leaves it. */
static inline void akmsgo_keep_bytes(akms_bytes *b, akmsgo_scratch *scratch) {
    if (b->len <= AKMSGO_SCRATCH) {
        if (b->len > 0) memcpy(scratch->data, b->data, b->len);
        scratch->len = b->len;
        akms_bytes_free(b);
        b->data = NULL;
        b->len = 0;
    }
}

/* AKMSGO_WRAP_STRING(name, (params), (args), out): as AKMSGO_WRAP, for a
 * function with the string out-parameter `out`; params end with
 * `akmsgo_scratch *scratch`. AKMSGO_WRAP_BYTES: the same for an akms_bytes *out. */
#define AKMSGO_WRAP_STRING(name, params, args, out) \
    static akmsgo_result akmsgo_##name params { \
        akms_status st = akms_##name args; \
        if (st == AKMS_OK) akmsgo_keep_string(out, scratch); \
        return akmsgo_result_of(st); \
    }

#define AKMSGO_WRAP_BYTES(name, params, args, out) \
    static akmsgo_result akmsgo_##name params { \
        akms_status st = akms_##name args; \
        if (st == AKMS_OK) akmsgo_keep_bytes(out, scratch); \
        return akmsgo_result_of(st); \
    }

#endif
