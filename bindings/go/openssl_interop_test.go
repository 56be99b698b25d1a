package akms

// Interop with the openssl CLI (3.0) for what Go's standard library lacks:
// secp256k1 and SM2. Skipped when openssl is not on PATH.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func opensslFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runOpenSSL(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

func TestOpenSSLVerifiesSecp256k1(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecECP256K, UsageSignVerify)
	pub, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	msg := []byte("akms secp256k1 interop")
	for _, mt := range []MessageType{MessageDigest, MessageRaw} {
		data := msg
		if mt == MessageDigest {
			data = digestOf(msg)
		}
		sig, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, mt, data)
		mustNoErr(t, err, "AsymmetricSign")
		dir := opensslFiles(t, map[string][]byte{"pub.pem": []byte(pub), "msg": msg, "sig": sig})
		out := runOpenSSL(t, dir, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg")
		if !bytes.Contains(out, []byte("Verified OK")) {
			t.Errorf("%v: openssl: %s", mt, out)
		}
	}
}

func TestOpenSSLVerifiesSM2DSA(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecECSM2, UsageSignVerify)
	pub, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	msg := []byte("akms SM2DSA interop")
	sig, err := s.AsymmetricSign(k.ID, k.Version, AlgSM2DSA, MessageRaw, msg)
	mustNoErr(t, err, "AsymmetricSign")
	dir := opensslFiles(t, map[string][]byte{"pub.pem": []byte(pub), "msg": msg, "sig": sig})
	out := runOpenSSL(t, dir, "pkeyutl", "-verify", "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:1234567812345678", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-sigfile", "sig")
	if !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		t.Errorf("openssl: %s", out)
	}
}

func TestOpenSSLSM2CiphertextDecryptsInAkms(t *testing.T) {
	s := store(t)
	k := key(t, KeySpecECSM2, UsageEncryptDecrypt)
	pub, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	msg := []byte("akms SM2PKE interop: encrypted by OpenSSL")
	dir := opensslFiles(t, map[string][]byte{"pub.pem": []byte(pub), "msg": msg})
	runOpenSSL(t, dir, "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "ct")
	ct, err := os.ReadFile(filepath.Join(dir, "ct"))
	mustNoErr(t, err, "read ciphertext")
	pt, err := s.AsymmetricDecrypt(k.ID, k.Version, AlgSM2PKE, ct)
	mustNoErr(t, err, "AsymmetricDecrypt")
	if !bytes.Equal(pt, msg) {
		t.Errorf("decrypted %q, want %q", pt, msg)
	}
}
