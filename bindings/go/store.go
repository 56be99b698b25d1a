package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(store_new, (akms_store **out), (out))

// Frees a handle, and drops any audit event the library reports for it.
static void akmsgo_store_free(akms_store *s) {
	akms_store_free(s);
	akmsgo_free_events(akmsgo_pending_events);
	akmsgo_pending_events = NULL;
}

#cgo noescape akmsgo_store_new
#cgo nocallback akmsgo_store_new
#cgo nocallback akmsgo_store_free
*/
import "C"

import (
	"runtime"
	"sync/atomic"
)

// Store is a handle on an akms key store. Make one with NewStore (in
// memory) or OpenStore (a file, encrypted at rest) and release it with Close.
//
// A *Store is safe for concurrent use by any number of goroutines. After
// Close every method returns an error that matches ErrClosed (and
// ErrInvalidArgument); none of them crashes.
type Store struct {
	native *native // set once before the Store is shared; freed exactly once

	// state counts the calls in flight on the handle; closedBit marks Close. A
	// call enters only while closedBit is clear, and whoever brings the state to
	// exactly closedBit (Close with no call in flight, or the last call to
	// leave after Close) frees the handle. Unlike a mutex, this lets an audit
	// callback call back into the store, even Close, without deadlock.
	state atomic.Int64

	cleanup runtime.Cleanup // safety net for a Store dropped without Close
}

const closedBit = int64(1) << 62

// NewStore returns a new, empty store that lives in memory only.
func NewStore() (*Store, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var ptr *C.akms_store
	r := C.akmsgo_store_new(&ptr)
	var store *Store
	if ptr != nil {
		store = newStore(ptr, newAuditSlot(), false) // before check: an audit callback may panic
	}
	if err := check(r); err != nil {
		return nil, err
	}
	return store, nil
}

// native is the C handle and the Go state tied to its lifetime. It is a
// separate object so that the cleanup can free it without referring to (and
// so keeping alive) the Store.
type native struct {
	ptr        *C.akms_store
	audit      *auditSlot // the audit callback of the store family, shared (audit.go)
	restricted bool       // made by Restrict
}

// free releases the C handle and the Go state tied to it.
func (n *native) free() {
	C.akmsgo_store_free(n.ptr)
	n.audit.release()
}

// newStore wraps a C handle the caller owns, taking over one reference to
// the family's audit slot.
func newStore(ptr *C.akms_store, audit *auditSlot, restricted bool) *Store {
	n := &native{ptr: ptr, audit: audit, restricted: restricted}
	s := &Store{native: n}
	s.cleanup = runtime.AddCleanup(s, (*native).free, n)
	return s
}

// Close releases the store handle. It is idempotent and always returns nil.
// Calls already running on other goroutines finish normally, and the native
// handle is freed when the last of them returns; calls made after Close fail
// with ErrClosed. Close does not affect handles made by Restrict.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	old := s.state.Or(closedBit)
	if old&closedBit != 0 {
		return nil // already closed
	}
	if old == 0 {
		s.free()
	}
	return nil
}

// acquire enters a call: it returns the native handle, or ErrClosed. Every
// successful acquire is paired with release.
func (s *Store) acquire() (*C.akms_store, error) {
	if s == nil {
		return nil, closedError()
	}
	for {
		st := s.state.Load()
		if st&closedBit != 0 {
			return nil, closedError()
		}
		if s.state.CompareAndSwap(st, st+1) {
			return s.native.ptr, nil
		}
	}
}

// release leaves a call, freeing the handle if it was the last call after Close.
func (s *Store) release() {
	if s.state.Add(-1) == closedBit {
		s.free()
	}
	runtime.KeepAlive(s)
}

func (s *Store) free() {
	s.cleanup.Stop()
	s.native.free()
}
