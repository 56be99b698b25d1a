package akms

/*
#include <akms.h>
*/
import "C"

import (
	"fmt"
	"strconv"
)

// KeySpec is the kind of key pair a key holds.
type KeySpec uint32

// Key specs.
const (
	KeySpecRSA2048 KeySpec = C.AKMS_KEY_SPEC_RSA_2048
	KeySpecRSA3072 KeySpec = C.AKMS_KEY_SPEC_RSA_3072
	KeySpecECP256  KeySpec = C.AKMS_KEY_SPEC_EC_P256  // NIST P-256
	KeySpecECP256K KeySpec = C.AKMS_KEY_SPEC_EC_P256K // secp256k1
	KeySpecECSM2   KeySpec = C.AKMS_KEY_SPEC_EC_SM2   // GB/T 32918
)

// KeyUsage is what a key may be used for.
type KeyUsage uint32

// Key usages.
const (
	UsageSignVerify     KeyUsage = C.AKMS_KEY_USAGE_SIGN_VERIFY
	UsageEncryptDecrypt KeyUsage = C.AKMS_KEY_USAGE_ENCRYPT_DECRYPT // RSA and SM2 only
)

// Algorithm is a signature or encryption algorithm.
type Algorithm uint32

// Algorithms.
const (
	AlgRSAPSSSHA256    Algorithm = C.AKMS_ALG_RSA_PSS_SHA_256    // MGF1-SHA-256, salt length 32
	AlgRSAPKCS1SHA256  Algorithm = C.AKMS_ALG_RSA_PKCS1_SHA_256  // PKCS#1 v1.5
	AlgECDSASHA256     Algorithm = C.AKMS_ALG_ECDSA_SHA_256      // DER SEQUENCE{r,s}
	AlgSM2DSA          Algorithm = C.AKMS_ALG_SM2DSA             // DER SEQUENCE{r,s}, e = SM3(Z‖M)
	AlgRSAESOAEPSHA1   Algorithm = C.AKMS_ALG_RSAES_OAEP_SHA_1   // MGF1-SHA-1, empty label
	AlgRSAESOAEPSHA256 Algorithm = C.AKMS_ALG_RSAES_OAEP_SHA_256 // MGF1-SHA-256, empty label
	AlgSM2PKE          Algorithm = C.AKMS_ALG_SM2PKE             // GB/T 32918 ASN.1 ciphertext
)

// MessageType says whether the data given to AsymmetricSign and
// AsymmetricVerify is a 32-byte digest or the message itself.
type MessageType uint32

// Message types.
const (
	MessageDigest MessageType = C.AKMS_MESSAGE_DIGEST // SHA-256 digest, or e for SM2DSA
	MessageRaw    MessageType = C.AKMS_MESSAGE_RAW    // the message; the library hashes it
)

// KeyState is the state of a key, as DescribeKey reports it.
type KeyState string

// Key states.
const (
	KeyStateEnabled         KeyState = "Enabled"
	KeyStateDisabled        KeyState = "Disabled"
	KeyStatePendingDeletion KeyState = "PendingDeletion"
)

var (
	keySpecNames = map[KeySpec]string{
		KeySpecRSA2048: "RSA_2048", KeySpecRSA3072: "RSA_3072", KeySpecECP256: "EC_P256",
		KeySpecECP256K: "EC_P256K", KeySpecECSM2: "EC_SM2",
	}
	keyUsageNames = map[KeyUsage]string{
		UsageSignVerify: "SIGN/VERIFY", UsageEncryptDecrypt: "ENCRYPT/DECRYPT",
	}
	algorithmNames = map[Algorithm]string{
		AlgRSAPSSSHA256: "RSA_PSS_SHA_256", AlgRSAPKCS1SHA256: "RSA_PKCS1_SHA_256",
		AlgECDSASHA256: "ECDSA_SHA_256", AlgSM2DSA: "SM2DSA", AlgRSAESOAEPSHA1: "RSAES_OAEP_SHA_1",
		AlgRSAESOAEPSHA256: "RSAES_OAEP_SHA_256", AlgSM2PKE: "SM2PKE",
	}
	messageTypeNames = map[MessageType]string{MessageDigest: "DIGEST", MessageRaw: "RAW"}
)

func enumString[T ~uint32](names map[T]string, typ string, v T) string {
	if s, ok := names[v]; ok {
		return s
	}
	return typ + "(" + strconv.FormatUint(uint64(v), 10) + ")"
}

func parseEnum[T ~uint32](names map[T]string, typ, s string) (T, error) {
	for v, name := range names {
		if name == s {
			return v, nil
		}
	}
	return 0, fmt.Errorf("akms: unknown %s %q", typ, s)
}

// String returns the KMS name of the key spec, e.g. "EC_P256".
func (k KeySpec) String() string { return enumString(keySpecNames, "KeySpec", k) }

// String returns the KMS name of the key usage, e.g. "SIGN/VERIFY".
func (u KeyUsage) String() string { return enumString(keyUsageNames, "KeyUsage", u) }

// String returns the KMS name of the algorithm, e.g. "ECDSA_SHA_256".
func (a Algorithm) String() string { return enumString(algorithmNames, "Algorithm", a) }

// String returns the KMS name of the message type, "DIGEST" or "RAW".
func (m MessageType) String() string { return enumString(messageTypeNames, "MessageType", m) }

// ParseKeySpec returns the key spec named s ("RSA_2048", "EC_SM2", ...).
func ParseKeySpec(s string) (KeySpec, error) { return parseEnum(keySpecNames, "key spec", s) }

// ParseKeyUsage returns the key usage named s ("SIGN/VERIFY" or "ENCRYPT/DECRYPT").
func ParseKeyUsage(s string) (KeyUsage, error) { return parseEnum(keyUsageNames, "key usage", s) }

// ParseAlgorithm returns the algorithm named s ("RSA_PSS_SHA_256", ...).
func ParseAlgorithm(s string) (Algorithm, error) { return parseEnum(algorithmNames, "algorithm", s) }

// ParseMessageType returns the message type named s ("DIGEST" or "RAW").
func ParseMessageType(s string) (MessageType, error) {
	return parseEnum(messageTypeNames, "message type", s)
}

// MarshalText encodes the key spec as its KMS name (so JSON holds "EC_P256").
func (k KeySpec) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a KMS key spec name.
func (k *KeySpec) UnmarshalText(b []byte) (err error) { *k, err = ParseKeySpec(string(b)); return }

// MarshalText encodes the key usage as its KMS name.
func (u KeyUsage) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText decodes a KMS key usage name.
func (u *KeyUsage) UnmarshalText(b []byte) (err error) { *u, err = ParseKeyUsage(string(b)); return }

// MarshalText encodes the algorithm as its KMS name.
func (a Algorithm) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes a KMS algorithm name.
func (a *Algorithm) UnmarshalText(b []byte) (err error) { *a, err = ParseAlgorithm(string(b)); return }

// MarshalText encodes the message type as "DIGEST" or "RAW".
func (m MessageType) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes "DIGEST" or "RAW".
func (m *MessageType) UnmarshalText(b []byte) (err error) {
	*m, err = ParseMessageType(string(b))
	return
}
