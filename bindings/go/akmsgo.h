/*
 * akmsgo.h — C helpers shared by the cgo preambles of package akms.
 *
 * akms_last_error_message() is thread-local. A goroutine can move to another
 * OS thread between two cgo calls, and another goroutine can run a failing
 * akms call on this thread in between, so the Go side must never read the
 * message in a separate cgo call. Every akms call is therefore made through a
 * small static wrapper (AKMSGO_WRAP) that, in the same C call and on the same
 * thread, copies the message with strdup() when the status is not AKMS_OK.
 * The Go side converts that copy and frees it (akmsgo_result.message).
 */
#ifndef AKMSGO_H
#define AKMSGO_H

#include <stdlib.h>
#include <string.h>
#include <akms.h>

typedef struct akmsgo_result {
    uint32_t status;
    char *message; /* NULL on AKMS_OK; else a malloc'd copy the caller frees */
} akmsgo_result;

static inline akmsgo_result akmsgo_result_of(akms_status status) {
    akmsgo_result r;
    r.status = (uint32_t)status;
    r.message = NULL;
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

#endif
