package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP_STRING(generate_csr, (akms_store *s, const char *key, const char *version,
	const char *subject, const char *const *dns_names, size_t dns_names_len, char **pem,
	akmsgo_scratch *scratch), (s, key, version, subject, dns_names, dns_names_len, pem), pem)

#cgo noescape akmsgo_generate_csr
#cgo nocallback akmsgo_generate_csr
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// GenerateCSR returns a PKCS#10 certificate signing request (PEM
// "CERTIFICATE REQUEST") for the public key of a key version, signed by its
// private key: sha256WithRSAEncryption, ecdsa-with-SHA256 or SM2-with-SM3.
// subject is an RFC 4514 string such as "CN=example.com,O=Acme,C=CN";
// dnsNames, which may be empty, become DNS subject alternative names. Only
// SIGN/VERIFY keys have CSRs (else ErrIncompatible).
func (s *Store) GenerateCSR(key, version, subject string, dnsNames []string) (string, error) {
	var cs cstrings
	k, v, subj := cs.str(key), cs.str(version), cs.str(subject)
	if cs.err != nil {
		return "", cs.err
	}
	// The array of names is Go memory holding Go pointers, which cgo allows
	// only when the memory they point to is pinned.
	var pinner runtime.Pinner
	defer pinner.Unpin()
	var names **C.char
	if len(dnsNames) > 0 {
		ptrs := make([]*C.char, len(dnsNames))
		for i, name := range dnsNames {
			if strings.IndexByte(name, 0) >= 0 {
				return "", invalidArgument("DNS name contains a NUL byte")
			}
			b := make([]byte, len(name)+1)
			copy(b, name)
			pinner.Pin(&b[0])
			ptrs[i] = (*C.char)(unsafe.Pointer(&b[0]))
		}
		names = &ptrs[0]
	}
	h, err := s.acquire()
	if err != nil {
		return "", err
	}
	defer s.release()
	var pem *C.char
	var sc C.akmsgo_scratch
	r := C.akmsgo_generate_csr(h, k, v, subj, names, C.size_t(len(dnsNames)), &pem, &sc)
	result := scratchString(pem, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return "", err
	}
	return result, nil
}
