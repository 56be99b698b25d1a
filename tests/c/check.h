/* Minimal test helpers shared by the C test programs: count checks, report failures with the
 * library's last error, and print the closing "N passed, N failed" line. */
#ifndef AKMS_TEST_CHECK_H
#define AKMS_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akms.h"

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (cond) {                                                                          \
            check_passed++;                                                                  \
        } else {                                                                             \
            check_failed++;                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, akms_last_error_message());                                       \
        }                                                                                    \
    } while (0)

/* Checks that `call` returns `want`, printing both status names when it does not. */
#define CHECK_STATUS(call, want)                                                                \
    do {                                                                                        \
        akms_status got_ = (call);                                                              \
        if (got_ == (want)) {                                                                   \
            check_passed++;                                                                     \
        } else {                                                                                \
            check_failed++;                                                                     \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, \
                    __LINE__, #call, akms_status_name(got_), akms_status_name(want),            \
                    akms_last_error_message());                                                 \
        }                                                                                       \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, AKMS_OK)

/* Whether `haystack` (which may be NULL) contains `needle`. */
static inline bool contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Copies the string value of `"name":"` in the JSON object `event` into `out`, truncated to
 * `out_len` (empty if absent). Enough for the audit events' flat string fields. */
static inline void json_field(const char *event, const char *name, char *out, size_t out_len) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", name);
    out[0] = '\0';
    const char *at = strstr(event, pattern);
    if (at == NULL) {
        return;
    }
    at += strlen(pattern);
    size_t n = 0;
    while (at[n] != '\0' && at[n] != '"' && n + 1 < out_len) {
        n++;
    }
    memcpy(out, at, n);
    out[n] = '\0';
}

/* Prints the closing line and returns the process exit code. */
static int check_report(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif
