// Package cbench runs akms calls in tight C loops, with no Go in between, so
// that the benchmarks of package akms can report the binding's per-call
// overhead over C. It is for the benchmarks only.
package cbench

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../include
#cgo LDFLAGS: -L${SRCDIR}/../../../../target/release -lakms -Wl,-rpath,${SRCDIR}/../../../../target/release
#include <stdlib.h>
#include <akms.h>

typedef struct cb_fixture {
	akms_store *store;
	char *key;
	char *version;
	uint8_t digest[32];
	akms_bytes sig;
} cb_fixture;

// cb_new makes a store with one EC_P256 key and a signature over digest.
static cb_fixture *cb_new(void) {
	cb_fixture *f = calloc(1, sizeof *f);
	if (f == NULL) return NULL;
	for (int i = 0; i < 32; i++) f->digest[i] = (uint8_t)i;
	if (akms_store_new(&f->store) != AKMS_OK ||
	    akms_create_key(f->store, AKMS_KEY_SPEC_EC_P256, AKMS_KEY_USAGE_SIGN_VERIFY, NULL,
	                    &f->key, &f->version) != AKMS_OK ||
	    akms_asymmetric_sign(f->store, f->key, f->version, AKMS_ALG_ECDSA_SHA_256,
	                         AKMS_MESSAGE_DIGEST, f->digest, 32, &f->sig) != AKMS_OK) {
		akms_store_free(f->store);
		free(f);
		return NULL;
	}
	return f;
}

static void cb_free(cb_fixture *f) {
	akms_bytes_free(&f->sig);
	akms_string_free(f->key);
	akms_string_free(f->version);
	akms_store_free(f->store);
	free(f);
}

static int cb_get_public_key(cb_fixture *f, long n) {
	for (long i = 0; i < n; i++) {
		char *pem = NULL;
		if (akms_get_public_key(f->store, f->key, f->version, &pem) != AKMS_OK) return -1;
		akms_string_free(pem);
	}
	return 0;
}

static int cb_verify(cb_fixture *f, long n) {
	for (long i = 0; i < n; i++) {
		bool valid = false;
		if (akms_asymmetric_verify(f->store, f->key, f->version, AKMS_ALG_ECDSA_SHA_256,
		        AKMS_MESSAGE_DIGEST, f->digest, 32, f->sig.data, f->sig.len, &valid) != AKMS_OK || !valid)
			return -1;
	}
	return 0;
}

static int cb_sign(cb_fixture *f, long n) {
	for (long i = 0; i < n; i++) {
		akms_bytes sig = {0};
		if (akms_asymmetric_sign(f->store, f->key, f->version, AKMS_ALG_ECDSA_SHA_256,
		        AKMS_MESSAGE_DIGEST, f->digest, 32, &sig) != AKMS_OK) return -1;
		akms_bytes_free(&sig);
	}
	return 0;
}
*/
import "C"

import "errors"

// P256 is a store with one EC_P256 key, a digest and its signature, all in C memory.
type P256 struct{ f *C.cb_fixture }

// NewP256 makes the fixture.
func NewP256() (*P256, error) {
	f := C.cb_new()
	if f == nil {
		return nil, errors.New("cbench: setup failed")
	}
	return &P256{f}, nil
}

// Close frees the fixture.
func (p *P256) Close() { C.cb_free(p.f) }

func run(r C.int) error {
	if r != 0 {
		return errors.New("cbench: call failed")
	}
	return nil
}

// GetPublicKey calls akms_get_public_key n times in a C loop.
func (p *P256) GetPublicKey(n int) error { return run(C.cb_get_public_key(p.f, C.long(n))) }

// Verify calls akms_asymmetric_verify (ECDSA, digest) n times in a C loop.
func (p *P256) Verify(n int) error { return run(C.cb_verify(p.f, C.long(n))) }

// Sign calls akms_asymmetric_sign (ECDSA, digest) n times in a C loop.
func (p *P256) Sign(n int) error { return run(C.cb_sign(p.f, C.long(n))) }
