package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(create_key, (akms_store *s, uint32_t spec, uint32_t usage, const char *description,
	char **key_id, char **version_id), (s, spec, usage, description, key_id, version_id))
AKMSGO_WRAP_STRING(create_key_version, (akms_store *s, const char *key, char **version_id,
	akmsgo_scratch *scratch), (s, key, version_id), version_id)
AKMSGO_WRAP_STRING(describe_key, (akms_store *s, const char *key, char **json,
	akmsgo_scratch *scratch), (s, key, json), json)
AKMSGO_WRAP_STRING(list_keys, (akms_store *s, char **json, akmsgo_scratch *scratch),
	(s, json), json)
AKMSGO_WRAP_STRING(list_key_versions, (akms_store *s, const char *key, char **json,
	akmsgo_scratch *scratch), (s, key, json), json)
AKMSGO_WRAP(enable_key, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP(disable_key, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP(schedule_key_deletion, (akms_store *s, const char *key, uint32_t days), (s, key, days))
AKMSGO_WRAP(cancel_key_deletion, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP_STRING(get_public_key, (akms_store *s, const char *key, const char *version, char **pem,
	akmsgo_scratch *scratch), (s, key, version, pem), pem)

#cgo noescape akmsgo_create_key
#cgo nocallback akmsgo_create_key
#cgo noescape akmsgo_create_key_version
#cgo nocallback akmsgo_create_key_version
#cgo noescape akmsgo_describe_key
#cgo nocallback akmsgo_describe_key
#cgo noescape akmsgo_list_keys
#cgo nocallback akmsgo_list_keys
#cgo noescape akmsgo_list_key_versions
#cgo nocallback akmsgo_list_key_versions
#cgo noescape akmsgo_enable_key
#cgo nocallback akmsgo_enable_key
#cgo noescape akmsgo_disable_key
#cgo nocallback akmsgo_disable_key
#cgo noescape akmsgo_schedule_key_deletion
#cgo nocallback akmsgo_schedule_key_deletion
#cgo noescape akmsgo_cancel_key_deletion
#cgo nocallback akmsgo_cancel_key_deletion
#cgo noescape akmsgo_get_public_key
#cgo nocallback akmsgo_get_public_key
*/
import "C"

import (
	"encoding/json"
	"time"
)

// KeyMetadata describes a key (the CMK), as DescribeKey and ListKeys return
// it. The JSON tags are the cloud KMS field names the library uses.
type KeyMetadata struct {
	KeyID        string    `json:"KeyId"`
	KeySpec      KeySpec   `json:"KeySpec"`
	KeyUsage     KeyUsage  `json:"KeyUsage"`
	KeyState     KeyState  `json:"KeyState"`
	Description  string    `json:"Description"`
	CreationDate time.Time `json:"CreationDate"`
	Origin       string    `json:"Origin"`              // "Aliyun_KMS" or "EXTERNAL" (imported)
	DeleteDate   time.Time `json:"DeleteDate,omitzero"` // set only when KeyState is PendingDeletion
	Aliases      []string  `json:"Aliases"`
}

// KeyVersion describes one version (key pair) of a key.
type KeyVersion struct {
	KeyID        string    `json:"KeyId"`
	KeyVersionID string    `json:"KeyVersionId"`
	CreationDate time.Time `json:"CreationDate"`
}

// CreateKey creates a key with one version and returns the ids of both.
// An empty description means none. EC_P256 and EC_P256K keys cannot have
// UsageEncryptDecrypt (ErrIncompatible).
func (s *Store) CreateKey(spec KeySpec, usage KeyUsage, description string) (keyID, versionID string, err error) {
	var cs cstrings
	desc := cs.optional(description)
	if cs.err != nil {
		return "", "", cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return "", "", err
	}
	defer s.release()
	var k, v *C.char
	r := C.akmsgo_create_key(h, C.uint32_t(spec), C.uint32_t(usage), desc, &k, &v)
	keyID, versionID = takeString(k), takeString(v) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", "", err
	}
	return keyID, versionID, nil
}

// CreateKeyVersion adds a new version (a new key pair) to an Enabled key,
// named by id or alias, and returns its id.
func (s *Store) CreateKeyVersion(key string) (versionID string, err error) {
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return "", cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.release()
	var out *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_create_key_version(h, k, &out, &sc)
	result := scratchString(out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", err
	}
	return result, nil
}

// DescribeKey returns the metadata of a key, named by id or alias. It works
// in every key state.
func (s *Store) DescribeKey(key string) (KeyMetadata, error) {
	var m KeyMetadata
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return m, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return m, err
	}
	defer s.release()
	var out *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_describe_key(h, k, &out, &sc)
	js := scratchString(out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return m, err
	}
	return m, decodeJSON(js, &m)
}

// ListKeys returns the metadata of every key in the store, oldest first.
func (s *Store) ListKeys() ([]KeyMetadata, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	var out *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_list_keys(h, &out, &sc)
	js := scratchString(out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return nil, err
	}
	keys := []KeyMetadata{}
	return keys, decodeJSON(js, &keys)
}

// ListKeyVersions returns the versions of a key, named by id or alias.
func (s *Store) ListKeyVersions(key string) ([]KeyVersion, error) {
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return nil, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	var out *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_list_key_versions(h, k, &out, &sc)
	js := scratchString(out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return nil, err
	}
	versions := []KeyVersion{}
	return versions, decodeJSON(js, &versions)
}

// EnableKey makes a Disabled key Enabled. A key pending deletion is
// ErrInvalidState (use CancelKeyDeletion).
func (s *Store) EnableKey(key string) error {
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_enable_key(h, k))
}

// DisableKey makes a key Disabled: it keeps its versions but does no
// cryptography and gets no new version until enabled again.
func (s *Store) DisableKey(key string) error {
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_disable_key(h, k))
}

// ScheduleKeyDeletion puts a key in PendingDeletion; it is deleted for good
// (ErrNotFound) when pendingWindowDays, 7 to 30, have passed.
func (s *Store) ScheduleKeyDeletion(key string, pendingWindowDays int) error {
	days := C.uint32_t(pendingWindowDays)
	if pendingWindowDays < 0 || int64(pendingWindowDays) > 1<<32-1 {
		days = 0 // out of range too: the library refuses it (and audits the call)
	}
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_schedule_key_deletion(h, k, days))
}

// CancelKeyDeletion makes a key pending deletion Enabled again.
func (s *Store) CancelKeyDeletion(key string) error {
	var cs cstrings
	k := cs.str(key)
	if cs.err != nil {
		return cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(C.akmsgo_cancel_key_deletion(h, k))
}

// GetPublicKey returns the public key of a key version as PEM
// ("PUBLIC KEY", SubjectPublicKeyInfo). It works in every key state.
func (s *Store) GetPublicKey(key, version string) (string, error) {
	var cs cstrings
	k, v := cs.str(key), cs.str(version)
	if cs.err != nil {
		return "", cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.release()
	var pem *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_get_public_key(h, k, v, &pem, &sc)
	result := scratchString(pem, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", err
	}
	return result, nil
}

func decodeJSON(js string, v any) error {
	if err := json.Unmarshal([]byte(js), v); err != nil {
		return &Error{Status: StatusInternal, Message: "cannot decode the library's JSON: " + err.Error()}
	}
	return nil
}
