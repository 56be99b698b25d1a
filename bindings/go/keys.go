package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(create_key, (akms_store *s, uint32_t spec, uint32_t usage, const char *description,
	char **key_id, char **version_id), (s, spec, usage, description, key_id, version_id))
AKMSGO_WRAP(create_key_version, (akms_store *s, const char *key, char **version_id),
	(s, key, version_id))
AKMSGO_WRAP(describe_key, (akms_store *s, const char *key, char **json), (s, key, json))
AKMSGO_WRAP(list_keys, (akms_store *s, char **json), (s, json))
AKMSGO_WRAP(list_key_versions, (akms_store *s, const char *key, char **json), (s, key, json))
AKMSGO_WRAP(enable_key, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP(disable_key, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP(schedule_key_deletion, (akms_store *s, const char *key, uint32_t days), (s, key, days))
AKMSGO_WRAP(cancel_key_deletion, (akms_store *s, const char *key), (s, key))
AKMSGO_WRAP(get_public_key, (akms_store *s, const char *key, const char *version, char **pem),
	(s, key, version, pem))
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
	var desc *C.char
	if description != "" {
		if desc, err = cstr1(description); err != nil {
			return "", "", err
		}
	}
	h, err := s.acquire()
	if err != nil {
		return "", "", err
	}
	defer s.release()
	var k, v *C.char
	if err := check(C.akmsgo_create_key(h, C.uint32_t(spec), C.uint32_t(usage), desc, &k, &v)); err != nil {
		return "", "", err
	}
	return takeString(k), takeString(v), nil
}

// CreateKeyVersion adds a new version (a new key pair) to an Enabled key,
// named by id or alias, and returns its id.
func (s *Store) CreateKeyVersion(key string) (versionID string, err error) {
	return s.keyString(key, func(h *C.akms_store, k *C.char, out **C.char) C.akmsgo_result {
		return C.akmsgo_create_key_version(h, k, out)
	})
}

// DescribeKey returns the metadata of a key, named by id or alias.
func (s *Store) DescribeKey(key string) (KeyMetadata, error) {
	var m KeyMetadata
	js, err := s.keyString(key, func(h *C.akms_store, k *C.char, out **C.char) C.akmsgo_result {
		return C.akmsgo_describe_key(h, k, out)
	})
	if err != nil {
		return m, err
	}
	return m, decodeJSON(js, "KeyMetadata", &m)
}

// ListKeys returns the metadata of every key in the store.
func (s *Store) ListKeys() ([]KeyMetadata, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	var out *C.char
	if err := check(C.akmsgo_list_keys(h, &out)); err != nil {
		return nil, err
	}
	keys := []KeyMetadata{}
	return keys, decodeJSON(takeString(out), "Keys", &keys)
}

// ListKeyVersions returns the versions of a key, named by id or alias.
func (s *Store) ListKeyVersions(key string) ([]KeyVersion, error) {
	js, err := s.keyString(key, func(h *C.akms_store, k *C.char, out **C.char) C.akmsgo_result {
		return C.akmsgo_list_key_versions(h, k, out)
	})
	if err != nil {
		return nil, err
	}
	versions := []KeyVersion{}
	return versions, decodeJSON(js, "KeyVersions", &versions)
}

// EnableKey makes a Disabled key Enabled. A key pending deletion is
// ErrInvalidState (use CancelKeyDeletion).
func (s *Store) EnableKey(key string) error {
	return s.keyCall(key, func(h *C.akms_store, k *C.char) C.akmsgo_result { return C.akmsgo_enable_key(h, k) })
}

// DisableKey makes a key Disabled: it keeps its versions but does no
// cryptography until enabled again.
func (s *Store) DisableKey(key string) error {
	return s.keyCall(key, func(h *C.akms_store, k *C.char) C.akmsgo_result { return C.akmsgo_disable_key(h, k) })
}

// ScheduleKeyDeletion puts a key in PendingDeletion; it is deleted for good
// when pendingWindowDays (7 to 30) have passed.
func (s *Store) ScheduleKeyDeletion(key string, pendingWindowDays int) error {
	if pendingWindowDays < 0 || int64(pendingWindowDays) > 1<<32-1 {
		return invalidArgument("pending window out of range")
	}
	return s.keyCall(key, func(h *C.akms_store, k *C.char) C.akmsgo_result {
		return C.akmsgo_schedule_key_deletion(h, k, C.uint32_t(pendingWindowDays))
	})
}

// CancelKeyDeletion makes a key pending deletion Enabled again.
func (s *Store) CancelKeyDeletion(key string) error {
	return s.keyCall(key, func(h *C.akms_store, k *C.char) C.akmsgo_result {
		return C.akmsgo_cancel_key_deletion(h, k)
	})
}

// GetPublicKey returns the public key of a key version as PEM
// ("PUBLIC KEY", SubjectPublicKeyInfo). It works in every key state.
func (s *Store) GetPublicKey(key, version string) (string, error) {
	k, v, err := cstr2(key, version)
	if err != nil {
		return "", err
	}
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.release()
	var pem *C.char
	if err := check(C.akmsgo_get_public_key(h, k, v, &pem)); err != nil {
		return "", err
	}
	return takeString(pem), nil
}

// keyCall runs a call that takes one key (or alias) argument.
func (s *Store) keyCall(key string, call func(*C.akms_store, *C.char) C.akmsgo_result) error {
	k, err := cstr1(key)
	if err != nil {
		return err
	}
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	return check(call(h, k))
}

// keyString runs a call that takes one key (or alias) argument and returns a string.
func (s *Store) keyString(key string, call func(*C.akms_store, *C.char, **C.char) C.akmsgo_result) (string, error) {
	k, err := cstr1(key)
	if err != nil {
		return "", err
	}
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.release()
	var out *C.char
	if err := check(call(h, k, &out)); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// decodeJSON decodes a JSON result into v. It accepts the value itself or,
// as the cloud KMS API returns it, an object that wraps it under wrapper.
func decodeJSON(js, wrapper string, v any) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(js), &obj) == nil {
		if inner, ok := obj[wrapper]; ok {
			js = string(inner)
		}
	}
	if err := json.Unmarshal([]byte(js), v); err != nil {
		return &Error{Status: StatusInternal, Message: "cannot decode the library's JSON: " + err.Error()}
	}
	return nil
}
