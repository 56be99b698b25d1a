/*
 * libsecp256k1 directly, for bench.c: one key, one digest, its signature parsed and as DER.
 *
 *   secp_direct_sign        secp256k1_ecdsa_sign (the signature in libsecp256k1's own form)
 *   secp_direct_sign_der    the same, then secp256k1_ecdsa_signature_serialize_der
 *   secp_direct_verify      secp256k1_ecdsa_verify of the parsed signature and public key
 *   secp_direct_verify_der  parse_der, normalize (s to the low half), then verify: what a
 *                           caller holding DER signatures does
 *   secp_direct_der_encode, _der_parse, _normalize   each step alone (a high-S signature for
 *                           _normalize, so that it flips s)
 *
 * Each returns 1 on success.
 */
#ifndef AKMS_BENCH_LIBSECP256K1_H
#define AKMS_BENCH_LIBSECP256K1_H

#include <stddef.h>
#include <stdint.h>

typedef struct secp_direct secp_direct;

/* A context randomized once with `seed`, the key `seckey`, its public key, and its signature
 * of `digest`; NULL if any step failed. */
secp_direct *secp_direct_new(const uint8_t seckey[32], const uint8_t digest[32], const uint8_t seed[32]);
void secp_direct_free(secp_direct *d);

/* The DER signature of the digest (`*len` bytes), as secp_direct_verify_der takes it. */
const uint8_t *secp_direct_der(const secp_direct *d, size_t *len);

int secp_direct_sign(secp_direct *d);
int secp_direct_sign_der(secp_direct *d);
int secp_direct_verify(secp_direct *d);
int secp_direct_verify_der(secp_direct *d);
int secp_direct_der_encode(secp_direct *d);
int secp_direct_der_parse(secp_direct *d);
int secp_direct_normalize(secp_direct *d);

#endif
