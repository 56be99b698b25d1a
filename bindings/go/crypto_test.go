package akms

import (
	"bytes"
	"fmt"
	"testing"
)

// Every (spec, algorithm) pair SPEC allows for signing, both message types:
// akms verifies its own signature and rejects a tampered one.
func TestSignVerifyRoundTrip(t *testing.T) {
	s := store(t)
	msg := []byte("round trip")
	for _, tc := range []struct {
		spec KeySpec
		alg  Algorithm
	}{
		{KeySpecRSA2048, AlgRSAPSSSHA256}, {KeySpecRSA2048, AlgRSAPKCS1SHA256},
		{KeySpecECP256, AlgECDSASHA256}, {KeySpecECP256K, AlgECDSASHA256}, {KeySpecECSM2, AlgSM2DSA},
	} {
		k := key(t, tc.spec, UsageSignVerify)
		for _, mt := range []MessageType{MessageDigest, MessageRaw} {
			name := fmt.Sprintf("%v/%v/%v", tc.spec, tc.alg, mt)
			data := msg
			if mt == MessageDigest {
				data = digestOf(msg) // for SM2DSA a 32-byte e, any value
			}
			sig, err := s.AsymmetricSign(k.ID, k.Version, tc.alg, mt, data)
			mustNoErr(t, err, name+": sign")
			ok, err := s.AsymmetricVerify(k.ID, k.Version, tc.alg, mt, data, sig)
			if err != nil || !ok {
				t.Errorf("%s: verify own signature: %v, %v", name, ok, err)
			}
			bad := bytes.Clone(sig)
			bad[len(bad)-1] ^= 1
			ok, err = s.AsymmetricVerify(k.ID, k.Version, tc.alg, mt, data, bad)
			if err != nil || ok {
				t.Errorf("%s: verify tampered signature: %v, %v (want false, nil)", name, ok, err)
			}
			ok, err = s.AsymmetricVerify(k.ID, k.Version, tc.alg, mt, data, nil)
			if err != nil || ok {
				t.Errorf("%s: verify empty signature: %v, %v (want false, nil)", name, ok, err)
			}
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	s := store(t)
	for _, tc := range []struct {
		spec KeySpec
		alg  Algorithm
		max  int
	}{
		{KeySpecRSA2048, AlgRSAESOAEPSHA1, 214}, {KeySpecRSA2048, AlgRSAESOAEPSHA256, 190},
		{KeySpecRSA3072, AlgRSAESOAEPSHA1, 342}, {KeySpecRSA3072, AlgRSAESOAEPSHA256, 318},
		{KeySpecECSM2, AlgSM2PKE, 6047},
	} {
		k := key(t, tc.spec, UsageEncryptDecrypt)
		min := 0
		if tc.alg == AlgSM2PKE {
			min = 1
		}
		for _, n := range []int{min, 1, 100, tc.max} {
			name := fmt.Sprintf("%v/%v/%d bytes", tc.spec, tc.alg, n)
			pt := randomBytes(t, n)
			ct, err := s.AsymmetricEncrypt(k.ID, k.Version, tc.alg, pt)
			mustNoErr(t, err, name+": encrypt")
			got, err := s.AsymmetricDecrypt(k.ID, k.Version, tc.alg, ct)
			mustNoErr(t, err, name+": decrypt")
			if !bytes.Equal(got, pt) {
				t.Errorf("%s: decrypted %x", name, got)
			}
			if got == nil {
				t.Errorf("%s: decrypt returned nil, want a non-nil slice", name)
			}
		}
		_, err := s.AsymmetricEncrypt(k.ID, k.Version, tc.alg, make([]byte, tc.max+1))
		wantErr(t, err, ErrInvalidArgument, fmt.Sprintf("%v/%v: %d bytes", tc.spec, tc.alg, tc.max+1))
	}
	k := key(t, KeySpecECSM2, UsageEncryptDecrypt)
	_, err := s.AsymmetricEncrypt(k.ID, k.Version, AlgSM2PKE, nil)
	wantErr(t, err, ErrInvalidArgument, "SM2PKE of an empty plaintext")
}

// Algorithms that do not fit the key's spec or usage.
func TestIncompatibleAlgorithms(t *testing.T) {
	s := store(t)
	d := digestOf([]byte("x"))
	for _, tc := range []struct {
		spec  KeySpec
		usage KeyUsage
		alg   Algorithm
		sign  bool
	}{
		{KeySpecRSA2048, UsageSignVerify, AlgECDSASHA256, true},
		{KeySpecRSA2048, UsageSignVerify, AlgSM2DSA, true},
		{KeySpecECP256, UsageSignVerify, AlgRSAPSSSHA256, true},
		{KeySpecECP256, UsageSignVerify, AlgSM2DSA, true},
		{KeySpecECSM2, UsageSignVerify, AlgECDSASHA256, true},
		{KeySpecRSA2048, UsageEncryptDecrypt, AlgRSAPSSSHA256, true}, // sign with an encryption key
		{KeySpecRSA2048, UsageSignVerify, AlgRSAESOAEPSHA256, false}, // encrypt with a signing key
		{KeySpecECSM2, UsageEncryptDecrypt, AlgRSAESOAEPSHA1, false},
		{KeySpecRSA2048, UsageEncryptDecrypt, AlgSM2PKE, false},
		{KeySpecECSM2, UsageSignVerify, AlgSM2PKE, false},
	} {
		k := key(t, tc.spec, tc.usage)
		name := fmt.Sprintf("%v %v key with %v", tc.spec, tc.usage, tc.alg)
		var err error
		if tc.sign {
			_, err = s.AsymmetricSign(k.ID, k.Version, tc.alg, MessageDigest, d)
		} else {
			_, err = s.AsymmetricEncrypt(k.ID, k.Version, tc.alg, d)
		}
		wantErr(t, err, ErrIncompatible, name)
	}
}

// Versions are separate key pairs: a signature by one does not verify
// under another, and each can be named explicitly.
func TestVersionsAreSeparateKeyPairs(t *testing.T) {
	s := store(t)
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	v2, err := s.CreateKeyVersion(k.ID)
	mustNoErr(t, err, "CreateKeyVersion")
	d := digestOf([]byte("versions"))
	sig, err := s.AsymmetricSign(k.ID, v2, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "sign with v2")
	if ok, err := s.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, sig); err != nil || ok {
		t.Errorf("v2 signature under v1: %v, %v", ok, err)
	}
	if ok, err := s.AsymmetricVerify(k.ID, v2, AlgECDSASHA256, MessageDigest, d, sig); err != nil || !ok {
		t.Errorf("v2 signature under v2: %v, %v", ok, err)
	}
	p1, _ := s.GetPublicKey(k.ID, k.Version)
	p2, _ := s.GetPublicKey(k.ID, v2)
	if p1 == p2 || p1 == "" {
		t.Error("versions share a public key")
	}
}
