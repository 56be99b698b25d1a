package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(import_key, (akms_store *s, uint32_t usage, const uint8_t *der, size_t len,
	const char *description, char **key_id, char **version_id),
	(s, usage, der, len, description, key_id, version_id))
AKMSGO_WRAP_STRING(import_key_version, (akms_store *s, const char *key, const uint8_t *der,
	size_t len, char **version_id, akmsgo_scratch *scratch), (s, key, der, len, version_id),
	version_id)

#cgo noescape akmsgo_import_key
#cgo nocallback akmsgo_import_key
#cgo noescape akmsgo_import_key_version
#cgo nocallback akmsgo_import_key_version
*/
import "C"

// ImportKey makes a new key (Origin "EXTERNAL") from a PKCS#8 DER private key
// of one of the five key specs, which it reads from the key, with the given
// usage, and returns the ids of the key and its one version. An empty
// description means none. A key that is not PKCS#8 DER of a supported spec is
// ErrInvalidArgument; an EC_P256 or EC_P256K key for UsageEncryptDecrypt is
// ErrIncompatible.
func (s *Store) ImportKey(usage KeyUsage, pkcs8 []byte, description string) (keyID, versionID string, err error) {
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
	p, n := cbytes(pkcs8)
	var k, v *C.char
	r := C.akmsgo_import_key(h, C.uint32_t(usage), p, n, desc, &k, &v)
	keyID, versionID = takeString(k), takeString(v) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", "", err
	}
	return keyID, versionID, nil
}

// ImportKeyVersion adds a PKCS#8 DER private key as a new version of an
// existing Enabled key (id or alias) of the same key spec, and returns its id.
func (s *Store) ImportKeyVersion(key string, pkcs8 []byte) (versionID string, err error) {
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
	p, n := cbytes(pkcs8)
	var out *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_import_key_version(h, k, p, n, &out, &sc)
	result := scratchString(out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", err
	}
	return result, nil
}
