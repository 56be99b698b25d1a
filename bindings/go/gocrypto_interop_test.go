package akms

// Interop with Go's standard crypto: public keys parse with crypto/x509,
// signatures verify with crypto/rsa and crypto/ecdsa, and ciphertexts made
// by crypto/rsa decrypt in akms.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"hash"
	"math/big"
	"testing"
)

func parsePublicKey(t testing.TB, s *Store, k testKey) any {
	t.Helper()
	pemText, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	block, rest := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "PUBLIC KEY" || len(rest) != 0 && len(rest) != 1 {
		t.Fatalf("GetPublicKey returned no single PUBLIC KEY PEM block:\n%s", pemText)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	mustNoErr(t, err, "x509.ParsePKIXPublicKey")
	return pub
}

func rsaPublicKey(t testing.TB, s *Store, k testKey) *rsa.PublicKey {
	t.Helper()
	pub, ok := parsePublicKey(t, s, k).(*rsa.PublicKey)
	if !ok {
		t.Fatalf("public key is not RSA")
	}
	return pub
}

func TestX509ParsesPublicKeys(t *testing.T) {
	s := store(t)
	for _, tc := range []struct {
		spec  KeySpec
		usage KeyUsage
		bits  int
	}{
		{KeySpecRSA2048, UsageSignVerify, 2048},
		{KeySpecRSA2048, UsageEncryptDecrypt, 2048},
		{KeySpecRSA3072, UsageEncryptDecrypt, 3072},
		{KeySpecECP256, UsageSignVerify, 256},
	} {
		t.Run(tc.spec.String()+"/"+tc.usage.String(), func(t *testing.T) {
			switch pub := parsePublicKey(t, s, key(t, tc.spec, tc.usage)).(type) {
			case *rsa.PublicKey:
				if pub.N.BitLen() != tc.bits || pub.E != 65537 {
					t.Errorf("RSA key has %d bits, e=%d", pub.N.BitLen(), pub.E)
				}
			case *ecdsa.PublicKey:
				if pub.Curve != elliptic.P256() {
					t.Errorf("EC key on %v, want P-256", pub.Curve.Params().Name)
				}
			default:
				t.Fatalf("unexpected public key type %T", pub)
			}
		})
	}
}

func TestRSAPSSVerifiesWithGo(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecRSA2048, UsageSignVerify)
	pub := rsaPublicKey(t, s, k)
	msg := []byte("akms RSA-PSS interop")
	for _, mt := range []MessageType{MessageDigest, MessageRaw} {
		data := msg
		if mt == MessageDigest {
			data = digestOf(msg)
		}
		sig, err := s.AsymmetricSign(k.ID, k.Version, AlgRSAPSSSHA256, mt, data)
		mustNoErr(t, err, "AsymmetricSign")
		// SaltLength 32 makes Go insist on exactly 32 bytes of salt.
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digestOf(msg), sig, &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}); err != nil {
			t.Errorf("%v: rsa.VerifyPSS: %v", mt, err)
		}
	}
}

func TestRSAPKCS1VerifiesWithGo(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecRSA2048, UsageSignVerify)
	pub := rsaPublicKey(t, s, k)
	msg := []byte("akms RSA PKCS#1 v1.5 interop")
	for _, mt := range []MessageType{MessageDigest, MessageRaw} {
		data := msg
		if mt == MessageDigest {
			data = digestOf(msg)
		}
		sig, err := s.AsymmetricSign(k.ID, k.Version, AlgRSAPKCS1SHA256, mt, data)
		mustNoErr(t, err, "AsymmetricSign")
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digestOf(msg), sig); err != nil {
			t.Errorf("%v: rsa.VerifyPKCS1v15: %v", mt, err)
		}
	}
}

func TestECDSAVerifiesWithGo(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecECP256, UsageSignVerify)
	pub := parsePublicKey(t, s, k).(*ecdsa.PublicKey)
	msg := []byte("akms ECDSA P-256 interop")
	for _, mt := range []MessageType{MessageDigest, MessageRaw} {
		data := msg
		if mt == MessageDigest {
			data = digestOf(msg)
		}
		sig, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, mt, data)
		mustNoErr(t, err, "AsymmetricSign")
		if !ecdsa.VerifyASN1(pub, digestOf(msg), sig) {
			t.Errorf("%v: ecdsa.VerifyASN1 rejects the akms signature", mt)
		}
	}
}

// TestAkmsVerifiesHighSECDSA re-encodes an akms signature in its other valid
// form (r, n-s), which Go accepts, and checks that akms accepts it too
// (SPEC: verify accepts any valid signature, also high-S).
func TestAkmsVerifiesHighSECDSA(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecECP256, UsageSignVerify)
	d := digestOf([]byte("high-S"))
	sig, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "AsymmetricSign")
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatalf("signature is not DER SEQUENCE{r,s}: %v", err)
	}
	rs.S = new(big.Int).Sub(elliptic.P256().Params().N, rs.S)
	flipped, err := asn1.Marshal(rs)
	mustNoErr(t, err, "asn1.Marshal")
	pub := parsePublicKey(t, s, k).(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(pub, d, flipped) {
		t.Fatal("Go rejects the (r, n-s) signature; test is wrong")
	}
	ok, err := s.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, flipped)
	mustNoErr(t, err, "AsymmetricVerify")
	if !ok {
		t.Error("akms rejects the (r, n-s) form of its own signature")
	}
}

func TestGoOAEPDecryptsInAkms(t *testing.T) {
	s := store(t)
	for _, spec := range []KeySpec{KeySpecRSA2048, KeySpecRSA3072} {
		k := key(t, spec, UsageEncryptDecrypt)
		pub := rsaPublicKey(t, s, k)
		for _, tc := range []struct {
			alg  Algorithm
			hash func() hash.Hash
		}{
			{AlgRSAESOAEPSHA1, sha1.New},
			{AlgRSAESOAEPSHA256, sha256.New},
		} {
			for _, n := range []int{0, 1, oaepLimit(spec, tc.alg)} {
				msg := randomBytes(t, n)
				ct, err := rsa.EncryptOAEP(tc.hash(), rand.Reader, pub, msg, nil)
				mustNoErr(t, err, "rsa.EncryptOAEP")
				pt, err := s.AsymmetricDecrypt(k.ID, k.Version, tc.alg, ct)
				if err != nil {
					t.Errorf("%v %v, %d bytes: AsymmetricDecrypt: %v", spec, tc.alg, n, err)
					continue
				}
				if string(pt) != string(msg) {
					t.Errorf("%v %v, %d bytes: decrypted %x, want %x", spec, tc.alg, n, pt, msg)
				}
			}
		}
	}
}

// oaepLimit is SPEC's largest OAEP plaintext: k - 2*hLen - 2.
func oaepLimit(spec KeySpec, alg Algorithm) int {
	k := 256
	if spec == KeySpecRSA3072 {
		k = 384
	}
	if alg == AlgRSAESOAEPSHA1 {
		return k - 2*20 - 2
	}
	return k - 2*32 - 2
}
