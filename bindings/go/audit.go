package akms

/*
#include "akmsgo.h"

// slot 0 removes the callback.
static akmsgo_result akmsgo_set_audit_callback(akms_store *s, uintptr_t slot) {
	return akmsgo_result_of(akms_store_set_audit_callback(
		s, slot != 0 ? akmsgo_audit_trampoline : NULL, (void *)slot));
}

#cgo noescape akmsgo_set_audit_callback
#cgo nocallback akmsgo_set_audit_callback
*/
import "C"

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// AuditEvent is one audit record: every call on a store, or on a handle
// restricted from it, allowed or not, produces one, delivered after the call.
// Events never hold plaintext, digests, signatures or key material.
type AuditEvent struct {
	EventTime    time.Time `json:"EventTime"`
	RequestID    string    `json:"RequestId"`
	Principal    string    `json:"Principal"` // "" for an unrestricted handle
	Operation    string    `json:"Operation"` // e.g. "AsymmetricSign"
	KeyID        string    `json:"KeyId,omitempty"`
	KeyVersionID string    `json:"KeyVersionId,omitempty"`
	Alias        string    `json:"Alias,omitempty"`
	Algorithm    string    `json:"Algorithm,omitempty"`
	Status       string    `json:"Status"` // status name, e.g. "AKMS_OK", "AKMS_ERR_ACCESS_DENIED"

	// JSON is the event exactly as the library wrote it.
	JSON string `json:"-"`
}

// SetAuditCallback makes fn receive the audit event of every later call on s
// and on the handles restricted from it; nil removes the callback. Events
// keep coming for every handle of the store as long as any of them is open:
// closing s, or dropping it, does not stop those of its restricted handles.
//
// fn runs on the goroutine that made the call, after the library has done
// the call's work and before the method returns. It may call methods of s
// (even Close, or SetAuditCallback). A panic in fn propagates to the caller
// of that method. Only an unrestricted store may set the callback (a handle
// made by Restrict gets ErrAccessDenied, and the callback stays as it was).
// Calls the binding refuses before they reach the library (on a closed
// store, or with a NUL byte in a string) have no event.
func (s *Store) SetAuditCallback(fn func(AuditEvent)) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	a := s.native.audit
	var id uintptr
	var newFn *func(AuditEvent)
	if fn != nil {
		id, newFn = a.id, &fn
	}
	if s.native.restricted {
		// The library refuses it; the family's callback is left alone, so
		// that no event goes to fn in the meantime.
		return check(C.akmsgo_set_audit_callback(h, C.uintptr_t(id)))
	}
	// The slot's function is set before the library starts calling it and
	// restored if the library refuses; the lock keeps two calls from
	// interleaving. It is released before check delivers this call's events,
	// so that the callback may itself call SetAuditCallback.
	a.mu.Lock()
	old := a.fn.Swap(newFn)
	r := C.akmsgo_set_audit_callback(h, C.uintptr_t(id))
	if r.status != C.AKMS_OK {
		a.fn.Store(old)
	}
	a.mu.Unlock()
	return check(r)
}

// How events reach Go: the C callback (akmsgo_audit_trampoline) queues each
// event with its user_data, a slot id, and the wrapper returns the queue with
// the call's result (see akmsgo.h); check hands it to deliverAuditEvents. The
// slot id is a number, not a Go pointer. A store family (an unrestricted
// store and every handle restricted from it, which the library sends to one
// callback) shares one slot, never reused, registered here while any handle
// of the family has its C handle: each native holds one reference.

// auditSlot is the audit callback of one store family.
type auditSlot struct {
	id   uintptr      // user_data given to the library, key in auditSlots
	refs atomic.Int64 // natives of the family whose C handle is not yet freed
	mu   sync.Mutex   // serializes SetAuditCallback
	fn   atomic.Pointer[func(AuditEvent)]
}

var (
	auditSlots    sync.Map // uintptr -> *auditSlot
	lastAuditSlot atomic.Uintptr
)

// newAuditSlot registers the slot of a new store family, with one reference.
func newAuditSlot() *auditSlot {
	a := &auditSlot{id: lastAuditSlot.Add(1)}
	a.refs.Store(1)
	auditSlots.Store(a.id, a)
	return a
}

// share takes one more reference, for a handle restricted from the family.
func (a *auditSlot) share() *auditSlot {
	a.refs.Add(1)
	return a
}

// release drops one reference, when a C handle of the family is freed; the
// last one unregisters the slot (the library calls it no more).
func (a *auditSlot) release() {
	if a.refs.Add(-1) == 0 {
		auditSlots.Delete(a.id)
	}
}

// deliverAuditEvents copies and frees a queue of events, then calls the
// callbacks, in order, on this goroutine.
func deliverAuditEvents(list *C.akmsgo_event) {
	type event struct {
		slot uintptr
		json string
	}
	var events []event
	for e := list; e != nil; e = e.next {
		events = append(events, event{uintptr(e.slot), C.GoString(e.json)})
	}
	C.akmsgo_free_events(list)
	for _, e := range events {
		a, ok := auditSlots.Load(e.slot)
		if !ok {
			continue
		}
		fn := a.(*auditSlot).fn.Load()
		if fn == nil || *fn == nil {
			continue
		}
		(*fn)(decodeAuditEvent(e.json))
	}
}

// decodeAuditEvent decodes the library's event JSON. Events are flat objects
// of string values, which decodeFlatEvent reads several times faster than
// encoding/json; anything else goes to encoding/json. A field that does not
// decode stays zero; the JSON field has it all.
func decodeAuditEvent(js string) AuditEvent {
	ev := AuditEvent{JSON: js}
	if !decodeFlatEvent(js, &ev) {
		ev = AuditEvent{JSON: js}
		_ = json.Unmarshal([]byte(js), &ev)
	}
	return ev
}

func decodeFlatEvent(js string, ev *AuditEvent) bool {
	i := skipSpace(js, 0)
	if i >= len(js) || js[i] != '{' {
		return false
	}
	i = skipSpace(js, i+1)
	if i < len(js) && js[i] == '}' {
		return skipSpace(js, i+1) == len(js)
	}
	for {
		key, j, ok := jsonString(js, i)
		if !ok {
			return false
		}
		j = skipSpace(js, j)
		if j >= len(js) || js[j] != ':' {
			return false
		}
		val, j, ok := jsonString(js, skipSpace(js, j+1))
		if !ok {
			return false // not a string: let encoding/json decide
		}
		switch key {
		case "EventTime":
			t, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				return false
			}
			ev.EventTime = t
		case "RequestId":
			ev.RequestID = val
		case "Principal":
			ev.Principal = val
		case "Operation":
			ev.Operation = val
		case "KeyId":
			ev.KeyID = val
		case "KeyVersionId":
			ev.KeyVersionID = val
		case "Alias":
			ev.Alias = val
		case "Algorithm":
			ev.Algorithm = val
		case "Status":
			ev.Status = val
		}
		i = skipSpace(js, j)
		if i >= len(js) {
			return false
		}
		switch js[i] {
		case ',':
			i = skipSpace(js, i+1)
		case '}':
			return skipSpace(js, i+1) == len(js)
		default:
			return false
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// jsonString reads the JSON string at s[i]; an escaped one is decoded by
// encoding/json. It returns the value and the index after the closing quote.
func jsonString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return s[i+1 : j], j + 1, true
			}
			var v string
			if json.Unmarshal([]byte(s[i:j+1]), &v) != nil {
				return "", j + 1, false
			}
			return v, j + 1, true
		}
	}
	return "", len(s), false
}
