package akms

// Interop with the openssl CLI (3.0) for what Go's standard library lacks:
// secp256k1 and SM2, and a TLS client whose signature scheme preferences
// differ from Go's. Skipped when openssl is not on PATH.

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// crypto/tls picks the signature scheme in the client's order of preference.
// An OpenSSL client that prefers SHA-384 gets it from an RSA certificate, and
// akms refuses to sign it, unless the certificate lists TLSSignatureSchemes.
func TestOpenSSLClientTLSSignatureSchemes(t *testing.T) {
	s := store(t)
	caKey := signer(t, s, key(t, KeySpecECP256, UsageSignVerify))
	ca := newCA(t, caKey, "akms TLS CA", 0)
	dir := opensslFiles(t, map[string][]byte{
		"ca.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
	})
	serverKey := signer(t, s, key(t, KeySpecRSA2048, UsageSignVerify))
	cert := tlsIdentity(t, ca, caKey, serverKey, "server.example")
	for _, tc := range []struct {
		version uint16
		flag    string
		sigalgs string
	}{
		{tls.VersionTLS13, "-tls1_3", "rsa_pss_rsae_sha384:rsa_pss_rsae_sha256"},
		{tls.VersionTLS12, "-tls1_2", "RSA+SHA384:rsa_pss_rsae_sha384:RSA+SHA256"},
	} {
		for _, restricted := range []bool{true, false} {
			name := tls.VersionName(tc.version) + map[bool]string{true: "/with schemes", false: "/without"}[restricted]
			t.Run(name, func(t *testing.T) {
				c := cert
				if !restricted {
					c.SupportedSignatureAlgorithms = nil
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				mustNoErr(t, err, "Listen")
				defer ln.Close()
				served := make(chan error, 1)
				go func() {
					conn, err := ln.Accept()
					if err != nil {
						served <- err
						return
					}
					defer conn.Close()
					srv := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{c},
						MinVersion: tc.version, MaxVersion: tc.version})
					err = srv.Handshake()
					if err == nil {
						_, err = io.Copy(io.Discard, srv) // until the client closes
					}
					served <- err
				}()
				cmd := exec.Command("openssl", "s_client", "-connect", ln.Addr().String(),
					"-servername", "server.example", "-CAfile", "ca.pem", "-verify_return_error",
					tc.flag, "-sigalgs", tc.sigalgs, "-brief")
				cmd.Dir = dir
				out, clientErr := cmd.CombinedOutput()
				serverErr := <-served
				if restricted {
					mustNoErr(t, serverErr, "server handshake")
					if clientErr != nil || !strings.Contains(string(out), "Hash used: SHA256") {
						t.Fatalf("openssl s_client: %v\n%s", clientErr, out)
					}
					return
				}
				// crypto/tls keeps only the text of the signer's error.
				if serverErr == nil || !strings.Contains(serverErr.Error(), "AKMS_ERR_INVALID_ARGUMENT") ||
					!strings.Contains(serverErr.Error(), "SHA-384") {
					t.Fatalf("server handshake without the schemes: %v, want akms refusing SHA-384", serverErr)
				}
			})
		}
	}
}
