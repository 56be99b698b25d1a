/*
 * libsecp256k1 called directly, the peer of akms's EC_P256K rows (see libsecp256k1.h).
 *
 * Built by bench/Makefile against the C sources that the `secp256k1-sys` crate vendors and
 * akms links (the same code, compiled with the same defines and -O3), so the only difference
 * between the two sides is what akms adds per call. The vendored library prefixes every
 * symbol (rustsecp256k1_v0_11_...); SECP_PREFIX, given by the Makefile, names that prefix.
 */
#include "libsecp256k1.h"

#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_preallocated.h>

#ifndef SECP_PREFIX
#error "SECP_PREFIX (the vendored library's symbol prefix) is set by bench/Makefile"
#endif
#define SECP_CAT2(a, b) a##b
#define SECP_CAT(a, b) SECP_CAT2(a, b)
#define SECP(name) SECP_CAT(SECP_PREFIX, name)

struct secp_direct {
    SECP(context) * ctx;
    void *ctx_mem;
    uint8_t seckey[32];
    uint8_t digest[32];
    SECP(pubkey) pubkey;
    SECP(ecdsa_signature) sig;       /* parsed, low-S */
    SECP(ecdsa_signature) high_sig;  /* its high-S twin, for the normalization cost */
    uint8_t der[72];
    size_t der_len;
};

secp_direct *secp_direct_new(const uint8_t seckey[32], const uint8_t digest[32], const uint8_t seed[32]) {
    secp_direct *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    size_t size = SECP(context_preallocated_size)(SECP256K1_CONTEXT_NONE);
    d->ctx_mem = aligned_alloc(16, (size + 15) / 16 * 16);
    if (!d->ctx_mem) goto fail;
    d->ctx = SECP(context_preallocated_create)(d->ctx_mem, SECP256K1_CONTEXT_NONE);
    /* Randomized once, as akms randomizes its context once. */
    if (!d->ctx || !SECP(context_randomize)(d->ctx, seed)) goto fail;
    memcpy(d->seckey, seckey, 32);
    memcpy(d->digest, digest, 32);
    if (!SECP(ec_pubkey_create)(d->ctx, &d->pubkey, d->seckey)) goto fail;
    if (!SECP(ecdsa_sign)(d->ctx, &d->sig, d->digest, d->seckey, NULL, NULL)) goto fail;
    d->der_len = sizeof d->der;
    if (!SECP(ecdsa_signature_serialize_der)(d->ctx, d->der, &d->der_len, &d->sig)) goto fail;
    /* The high-S twin: (r, n - s), through the compact form. */
    uint8_t compact[64];
    static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                  0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    SECP(ecdsa_signature_serialize_compact)(d->ctx, compact, &d->sig);
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int v = n[i] - compact[32 + i] - borrow;
        borrow = v < 0;
        compact[32 + i] = (uint8_t)(v + (borrow ? 256 : 0));
    }
    if (!SECP(ecdsa_signature_parse_compact)(d->ctx, &d->high_sig, compact)) goto fail;
    if (!secp_direct_verify(d) || !secp_direct_verify_der(d)) goto fail;
    return d;
fail:
    secp_direct_free(d);
    return NULL;
}

const uint8_t *secp_direct_der(const secp_direct *d, size_t *len) {
    *len = d->der_len;
    return d->der;
}

void secp_direct_free(secp_direct *d) {
    if (!d) return;
    if (d->ctx) SECP(context_preallocated_destroy)(d->ctx);
    free(d->ctx_mem);
    memset(d->seckey, 0, sizeof d->seckey);
    free(d);
}

int secp_direct_sign(secp_direct *d) {
    SECP(ecdsa_signature) sig;
    return SECP(ecdsa_sign)(d->ctx, &sig, d->digest, d->seckey, NULL, NULL);
}

int secp_direct_sign_der(secp_direct *d) {
    SECP(ecdsa_signature) sig;
    uint8_t der[72];
    size_t len = sizeof der;
    return SECP(ecdsa_sign)(d->ctx, &sig, d->digest, d->seckey, NULL, NULL) &&
           SECP(ecdsa_signature_serialize_der)(d->ctx, der, &len, &sig);
}

int secp_direct_verify(secp_direct *d) { return SECP(ecdsa_verify)(d->ctx, &d->sig, d->digest, &d->pubkey); }

int secp_direct_verify_der(secp_direct *d) {
    SECP(ecdsa_signature) sig;
    if (!SECP(ecdsa_signature_parse_der)(d->ctx, &sig, d->der, d->der_len)) return 0;
    SECP(ecdsa_signature_normalize)(d->ctx, &sig, &sig);
    return SECP(ecdsa_verify)(d->ctx, &sig, d->digest, &d->pubkey);
}

int secp_direct_der_encode(secp_direct *d) {
    uint8_t der[72];
    size_t len = sizeof der;
    int ok = SECP(ecdsa_signature_serialize_der)(d->ctx, der, &len, &d->sig);
    __asm__ volatile("" : : "r"(der) : "memory"); /* keep the output */
    return ok;
}

int secp_direct_der_parse(secp_direct *d) {
    SECP(ecdsa_signature) sig;
    int ok = SECP(ecdsa_signature_parse_der)(d->ctx, &sig, d->der, d->der_len);
    __asm__ volatile("" : : "r"(&sig) : "memory");
    return ok;
}

int secp_direct_normalize(secp_direct *d) {
    SECP(ecdsa_signature) sig;
    int flipped = SECP(ecdsa_signature_normalize)(d->ctx, &sig, &d->high_sig);
    __asm__ volatile("" : : "r"(&sig) : "memory");
    return flipped == 1;
}
