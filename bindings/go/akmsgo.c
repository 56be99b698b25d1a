// akmsgo.c — the C half of the audit event queue described in akmsgo.h.

#include "akmsgo.h"

_Thread_local akmsgo_event *akmsgo_pending_events = NULL;

// The audit callback given to akms_store_set_audit_callback. It runs on the
// thread of the call being audited and only queues a copy of the event. An
// event that cannot be queued (out of memory) is dropped.
void akmsgo_audit_trampoline(void *user_data, const char *event_json) {
    if (event_json == NULL) return;
    size_t n = strlen(event_json);
    akmsgo_event *e = malloc(sizeof *e + n + 1);
    if (e == NULL) return;
    e->next = NULL;
    e->slot = (uintptr_t)user_data;
    e->json = (char *)(e + 1);
    memcpy(e->json, event_json, n + 1);
    akmsgo_event **tail = &akmsgo_pending_events;
    while (*tail != NULL) tail = &(*tail)->next;
    *tail = e;
}

void akmsgo_free_events(akmsgo_event *events) {
    while (events != NULL) {
        akmsgo_event *next = events->next;
        free(events);
        events = next;
    }
}
