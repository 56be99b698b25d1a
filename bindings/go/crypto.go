package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP_BYTES(asymmetric_encrypt, (akms_store *s, const char *key, const char *version,
	uint32_t alg, const uint8_t *plaintext, size_t len, akms_bytes *ciphertext,
	akmsgo_scratch *scratch), (s, key, version, alg, plaintext, len, ciphertext), ciphertext)
AKMSGO_WRAP_BYTES(asymmetric_decrypt, (akms_store *s, const char *key, const char *version,
	uint32_t alg, const uint8_t *ciphertext, size_t len, akms_bytes *plaintext,
	akmsgo_scratch *scratch), (s, key, version, alg, ciphertext, len, plaintext), plaintext)
AKMSGO_WRAP_BYTES(asymmetric_sign, (akms_store *s, const char *key, const char *version,
	uint32_t alg, uint32_t message_type, const uint8_t *data, size_t len, akms_bytes *signature,
	akmsgo_scratch *scratch), (s, key, version, alg, message_type, data, len, signature), signature)
AKMSGO_WRAP(asymmetric_verify, (akms_store *s, const char *key, const char *version, uint32_t alg,
	uint32_t message_type, const uint8_t *data, size_t len, const uint8_t *signature, size_t sig_len,
	bool *valid),
	(s, key, version, alg, message_type, data, len, signature, sig_len, valid))

#cgo noescape akmsgo_asymmetric_encrypt
#cgo nocallback akmsgo_asymmetric_encrypt
#cgo noescape akmsgo_asymmetric_decrypt
#cgo nocallback akmsgo_asymmetric_decrypt
#cgo noescape akmsgo_asymmetric_sign
#cgo nocallback akmsgo_asymmetric_sign
#cgo noescape akmsgo_asymmetric_verify
#cgo nocallback akmsgo_asymmetric_verify
*/
import "C"

// Every cryptographic call names a key (id or alias) and a key version id;
// the key must be Enabled (else ErrInvalidState) and the algorithm must fit
// its spec and usage (else ErrIncompatible).

// AsymmetricEncrypt encrypts plaintext with the public key of a key version
// (usage ENCRYPT/DECRYPT): RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 for RSA
// keys (plaintext up to 214/190 bytes for RSA_2048, 342/318 for RSA_3072;
// may be empty), SM2PKE for SM2 keys (1 to 6047 bytes). Too long is
// ErrInvalidArgument.
func (s *Store) AsymmetricEncrypt(key, version string, alg Algorithm, plaintext []byte) ([]byte, error) {
	var cs cstrings
	k, v := cs.str(key), cs.str(version)
	if cs.err != nil {
		return nil, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	p, n := cbytes(plaintext)
	var out C.akms_bytes
	var sc C.akmsgo_scratch
	r := C.akmsgo_asymmetric_encrypt(h, k, v, C.uint32_t(alg), p, n, &out, &sc)
	result := scratchBytes(&out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return nil, err
	}
	return result, nil
}

// AsymmetricDecrypt decrypts ciphertext with the private key of a key
// version. A ciphertext that does not decrypt is ErrDecryptionFailed. SM2PKE
// takes the GB/T 32918 DER form or raw 04‖x‖y‖C3‖C2.
func (s *Store) AsymmetricDecrypt(key, version string, alg Algorithm, ciphertext []byte) ([]byte, error) {
	var cs cstrings
	k, v := cs.str(key), cs.str(version)
	if cs.err != nil {
		return nil, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	p, n := cbytes(ciphertext)
	var out C.akms_bytes
	var sc C.akmsgo_scratch
	r := C.akmsgo_asymmetric_decrypt(h, k, v, C.uint32_t(alg), p, n, &out, &sc)
	pt := scratchBytes(&out, &sc) // before check: an audit callback may panic
	clear(sc.data[:sc.len])       // leave no plaintext on the stack
	if err := check(r); err != nil {
		return nil, err
	}
	return pt, nil
}

// AsymmetricSign signs with the private key of a key version (usage
// SIGN/VERIFY). With MessageDigest, data is the 32-byte digest (SHA-256, or
// e = SM3(Z‖M) for SM2DSA; any other length is ErrInvalidArgument); with
// MessageRaw, data is the message and the library hashes it. ECDSA and SM2
// signatures are DER SEQUENCE{r,s}.
func (s *Store) AsymmetricSign(key, version string, alg Algorithm, messageType MessageType, data []byte) ([]byte, error) {
	var cs cstrings
	k, v := cs.str(key), cs.str(version)
	if cs.err != nil {
		return nil, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	p, n := cbytes(data)
	var out C.akms_bytes
	var sc C.akmsgo_scratch
	r := C.akmsgo_asymmetric_sign(h, k, v, C.uint32_t(alg), C.uint32_t(messageType), p, n, &out, &sc)
	result := scratchBytes(&out, &sc) // before check: an audit callback may panic
	if err := check(r); err != nil {
		return nil, err
	}
	return result, nil
}

// AsymmetricVerify checks a signature made by AsymmetricSign (or by anyone
// holding the private key) over data, taken as for AsymmetricSign. A wrong
// signature is (false, nil); an error means the check could not be made.
func (s *Store) AsymmetricVerify(key, version string, alg Algorithm, messageType MessageType, data, signature []byte) (bool, error) {
	var cs cstrings
	k, v := cs.str(key), cs.str(version)
	if cs.err != nil {
		return false, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return false, err
	}
	defer s.release()
	p, n := cbytes(data)
	sp, sn := cbytes(signature)
	var valid C.bool
	if err := check(C.akmsgo_asymmetric_verify(h, k, v, C.uint32_t(alg), C.uint32_t(messageType), p, n, sp, sn, &valid)); err != nil {
		return false, err
	}
	return bool(valid), nil
}
