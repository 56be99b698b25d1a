package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(store_open, (const char *path, const uint8_t *passphrase, size_t passphrase_len,
	akms_store **out), (path, passphrase, passphrase_len, out))

#cgo noescape akmsgo_store_open
#cgo nocallback akmsgo_store_open
*/
import "C"

// OpenStore opens the store file at path, creating it if absent. Key
// material and metadata are encrypted and authenticated at rest under a key
// derived from passphrase (a memory-hard KDF, so this takes a moment), and
// every change is on disk before the call that made it returns.
//
// A wrong passphrase or a tampered file is ErrCorrupt. Any number of stores,
// in this process or others, may open the same file at once: they see one
// store (each call sees every change committed before it started).
func OpenStore(path string, passphrase []byte) (*Store, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var cs cstrings
	p := cs.str(path)
	if cs.err != nil {
		return nil, cs.err
	}
	pp, pn := cbytes(passphrase)
	var ptr *C.akms_store
	r := C.akmsgo_store_open(p, pp, pn, &ptr)
	var store *Store
	if ptr != nil {
		store = newStore(ptr, newAuditSlot(), false) // before check: an audit callback may panic
	}
	if err := check(r); err != nil {
		return nil, err
	}
	return store, nil
}
