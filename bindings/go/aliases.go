package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(create_alias, (akms_store *s, const char *alias, const char *key_id), (s, alias, key_id))
AKMSGO_WRAP(update_alias, (akms_store *s, const char *alias, const char *key_id), (s, alias, key_id))
AKMSGO_WRAP(delete_alias, (akms_store *s, const char *alias), (s, alias))
*/
import "C"

// Aliases are names of the form "alias/<name>" (1–255 of [a-zA-Z0-9_/-],
// not "alias/acs/..."). An alias names one key; wherever a key is taken, an
// alias may stand.

// CreateAlias makes alias name the key keyID. An alias in use is
// ErrAlreadyExists; a key pending deletion is ErrInvalidState.
func (s *Store) CreateAlias(alias, keyID string) error {
	return s.aliasCall(alias, keyID, func(h *C.akms_store, a, k *C.char) C.akmsgo_result {
		return C.akmsgo_create_alias(h, a, k)
	})
}

// UpdateAlias makes an existing alias name another key.
func (s *Store) UpdateAlias(alias, keyID string) error {
	return s.aliasCall(alias, keyID, func(h *C.akms_store, a, k *C.char) C.akmsgo_result {
		return C.akmsgo_update_alias(h, a, k)
	})
}

// DeleteAlias removes an alias; the key it named is unaffected.
func (s *Store) DeleteAlias(alias string) error {
	return s.keyCall(alias, func(h *C.akms_store, a *C.char) C.akmsgo_result {
		return C.akmsgo_delete_alias(h, a)
	})
}

func (s *Store) aliasCall(alias, keyID string, call func(*C.akms_store, *C.char, *C.char) C.akmsgo_result) error {
	a, k, err := cstr2(alias, keyID)
	if err != nil {
		return err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(call(h, a, k))
}
