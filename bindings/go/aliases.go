package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(create_alias, (akms_store *s, const char *alias, const char *key_id), (s, alias, key_id))
AKMSGO_WRAP(update_alias, (akms_store *s, const char *alias, const char *key_id), (s, alias, key_id))
AKMSGO_WRAP(delete_alias, (akms_store *s, const char *alias), (s, alias))

#cgo noescape akmsgo_create_alias
#cgo nocallback akmsgo_create_alias
#cgo noescape akmsgo_update_alias
#cgo nocallback akmsgo_update_alias
#cgo noescape akmsgo_delete_alias
#cgo nocallback akmsgo_delete_alias
*/
import "C"

// Aliases are names of the form "alias/<name>" (1–255 of [a-zA-Z0-9_/-],
// not "alias/acs/..."). An alias names one key; wherever a key is taken, an
// alias may stand.

// CreateAlias makes alias name the key keyID. An alias in use is
// ErrAlreadyExists; a key pending deletion is ErrInvalidState.
func (s *Store) CreateAlias(alias, keyID string) error {
	var cs cstrings
	a, k := cs.str(alias), cs.str(keyID)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_create_alias(h, a, k))
}

// UpdateAlias makes an existing alias name another key.
func (s *Store) UpdateAlias(alias, keyID string) error {
	var cs cstrings
	a, k := cs.str(alias), cs.str(keyID)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_update_alias(h, a, k))
}

// DeleteAlias removes an alias; the key it named is unaffected.
func (s *Store) DeleteAlias(alias string) error {
	var cs cstrings
	a := cs.str(alias)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_delete_alias(h, a))
}
