package akms

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func init() {
	extraClosedCalls = append(extraClosedCalls, func(s *Store, k testKey) map[string]func() error {
		return map[string]func() error{
			"ImportKey":        func() error { _, _, err := s.ImportKey(UsageSignVerify, []byte{0x30}, ""); return err },
			"ImportKeyVersion": func() error { _, err := s.ImportKeyVersion(k.ID, []byte{0x30}); return err },
		}
	})
}

func pkcs8(t *testing.T, priv any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	mustNoErr(t, err, "x509.MarshalPKCS8PrivateKey")
	return der
}

func samePublicKey(t *testing.T, s *Store, k testKey, pub any) {
	t.Helper()
	want, err := x509.MarshalPKIXPublicKey(pub)
	mustNoErr(t, err, "x509.MarshalPKIXPublicKey")
	pemText, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || !bytes.Equal(block.Bytes, want) {
		t.Errorf("GetPublicKey of the imported key differs from the Go key")
	}
}

func TestImportGoKeys(t *testing.T) {
	s := store(t)
	ec1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err, "ecdsa.GenerateKey")
	kid, vid, err := s.ImportKey(UsageSignVerify, pkcs8(t, ec1), "imported from Go")
	mustNoErr(t, err, "ImportKey(P-256)")
	m, err := s.DescribeKey(kid)
	mustNoErr(t, err, "DescribeKey")
	if m.Origin != "EXTERNAL" || m.KeySpec != KeySpecECP256 || m.KeyUsage != UsageSignVerify || m.Description != "imported from Go" {
		t.Errorf("imported key: %+v", m)
	}
	samePublicKey(t, s, testKey{kid, vid}, &ec1.PublicKey)
	d := digestOf([]byte("imported"))
	sig, err := s.AsymmetricSign(kid, vid, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "AsymmetricSign")
	if !ecdsa.VerifyASN1(&ec1.PublicKey, d, sig) {
		t.Error("Go rejects the signature by its own imported key")
	}

	// A second version from another Go key.
	ec2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err, "ecdsa.GenerateKey")
	v2, err := s.ImportKeyVersion(kid, pkcs8(t, ec2))
	mustNoErr(t, err, "ImportKeyVersion")
	samePublicKey(t, s, testKey{kid, v2}, &ec2.PublicKey)
	goSig, err := ecdsa.SignASN1(rand.Reader, ec2, d)
	mustNoErr(t, err, "ecdsa.SignASN1")
	if ok, err := s.AsymmetricVerify(kid, v2, AlgECDSASHA256, MessageDigest, d, goSig); err != nil || !ok {
		t.Errorf("akms rejects Go's signature under the imported version: %v, %v", ok, err)
	}

	// An RSA key for decryption.
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	mustNoErr(t, err, "rsa.GenerateKey")
	rid, rvid, err := s.ImportKey(UsageEncryptDecrypt, pkcs8(t, rk), "")
	mustNoErr(t, err, "ImportKey(RSA)")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &rk.PublicKey, []byte("to the imported key"), nil)
	mustNoErr(t, err, "rsa.EncryptOAEP")
	pt, err := s.AsymmetricDecrypt(rid, rvid, AlgRSAESOAEPSHA256, ct)
	if err != nil || string(pt) != "to the imported key" {
		t.Errorf("decrypt with the imported RSA key: %q, %v", pt, err)
	}

	// Mistakes.
	_, err = s.ImportKeyVersion(kid, pkcs8(t, rk))
	wantErr(t, err, ErrIncompatible, "RSA key as a version of an EC_P256 key")
	_, _, err = s.ImportKey(UsageEncryptDecrypt, pkcs8(t, ec1), "")
	wantErr(t, err, ErrIncompatible, "EC_P256 key imported for ENCRYPT/DECRYPT")
	_, _, err = s.ImportKey(UsageSignVerify, []byte("-----BEGIN PRIVATE KEY-----"), "")
	wantErr(t, err, ErrInvalidArgument, "PEM where DER is expected")
	_, _, err = s.ImportKey(UsageSignVerify, nil, "")
	wantErr(t, err, ErrInvalidArgument, "empty key")
	_, err = s.ImportKeyVersion("00000000-0000-4000-8000-000000000000", pkcs8(t, ec2))
	wantErr(t, err, ErrNotFound, "ImportKeyVersion into an unknown key")
}

// secp256k1 and SM2 keys, which Go cannot make, come from openssl genpkey.
func TestImportOpenSSLKeys(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	s := store(t)
	for _, tc := range []struct {
		spec KeySpec
		alg  Algorithm
		gen  []string
	}{
		{KeySpecECP256K, AlgECDSASHA256, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1", "-pkeyopt", "ec_param_enc:named_curve"}},
		{KeySpecECSM2, AlgSM2DSA, []string{"-algorithm", "SM2"}},
	} {
		dir := t.TempDir()
		runOpenSSL(t, dir, append([]string{"genpkey", "-out", "key.pem"}, tc.gen...)...)
		runOpenSSL(t, dir, "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der")
		der, err := os.ReadFile(filepath.Join(dir, "key.der"))
		mustNoErr(t, err, "read key.der")
		kid, vid, err := s.ImportKey(UsageSignVerify, der, "")
		mustNoErr(t, err, "ImportKey("+tc.spec.String()+")")
		m, err := s.DescribeKey(kid)
		mustNoErr(t, err, "DescribeKey")
		if m.KeySpec != tc.spec {
			t.Errorf("imported key spec %v, want %v", m.KeySpec, tc.spec)
		}
		msg := []byte("signed by an imported OpenSSL key")
		sig, err := s.AsymmetricSign(kid, vid, tc.alg, MessageRaw, msg)
		mustNoErr(t, err, "AsymmetricSign")
		mustNoErr(t, os.WriteFile(filepath.Join(dir, "msg"), msg, 0o600), "write msg")
		mustNoErr(t, os.WriteFile(filepath.Join(dir, "sig"), sig, 0o600), "write sig")
		if tc.spec == KeySpecECSM2 {
			runOpenSSL(t, dir, "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
				"-inkey", "key.pem", "-in", "msg", "-sigfile", "sig")
		} else {
			runOpenSSL(t, dir, "dgst", "-sha256", "-prverify", "key.pem", "-signature", "sig", "msg")
		}
	}
}
