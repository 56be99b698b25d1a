package akms

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func init() {
	extraClosedCalls = append(extraClosedCalls, func(s *Store, k testKey) map[string]func() error {
		return map[string]func() error{
			"GenerateCSR": func() error { _, err := s.GenerateCSR(k.ID, k.Version, "CN=x", nil); return err },
		}
	})
}

func TestCSRVerifiesWithGo(t *testing.T) {
	s := store(t)
	for _, tc := range []struct {
		spec KeySpec
		alg  x509.SignatureAlgorithm
	}{
		{KeySpecRSA2048, x509.SHA256WithRSA},
		{KeySpecECP256, x509.ECDSAWithSHA256},
	} {
		k := key(t, tc.spec, UsageSignVerify)
		names := []string{"example.com", "www.example.com"}
		pemText, err := s.GenerateCSR(k.ID, k.Version, "CN=example.com,O=Acme,C=CN", names)
		mustNoErr(t, err, "GenerateCSR")
		block, _ := pem.Decode([]byte(pemText))
		if block == nil || block.Type != "CERTIFICATE REQUEST" {
			t.Fatalf("GenerateCSR returned no CERTIFICATE REQUEST PEM:\n%s", pemText)
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		mustNoErr(t, err, "x509.ParseCertificateRequest")
		if err := csr.CheckSignature(); err != nil {
			t.Errorf("%v: CheckSignature: %v", tc.spec, err)
		}
		if csr.SignatureAlgorithm != tc.alg {
			t.Errorf("%v: signature algorithm %v, want %v", tc.spec, csr.SignatureAlgorithm, tc.alg)
		}
		if csr.Subject.CommonName != "example.com" || !slices.Equal(csr.Subject.Organization, []string{"Acme"}) ||
			!slices.Equal(csr.Subject.Country, []string{"CN"}) {
			t.Errorf("%v: subject %v", tc.spec, csr.Subject)
		}
		if !slices.Equal(csr.DNSNames, names) {
			t.Errorf("%v: DNS names %v, want %v", tc.spec, csr.DNSNames, names)
		}
		want, _ := x509.MarshalPKIXPublicKey(parsePublicKey(t, s, k))
		if string(want) != string(csr.RawSubjectPublicKeyInfo) {
			t.Errorf("%v: CSR public key differs from GetPublicKey", tc.spec)
		}
	}

	k := key(t, KeySpecECP256, UsageSignVerify)
	pemText, err := s.GenerateCSR(k.ID, k.Version, "CN=no-sans", nil)
	mustNoErr(t, err, "GenerateCSR without DNS names")
	block, _ := pem.Decode([]byte(pemText))
	if csr, err := x509.ParseCertificateRequest(block.Bytes); err != nil || len(csr.DNSNames) != 0 || csr.CheckSignature() != nil {
		t.Errorf("CSR without DNS names: %v", err)
	}

	_, err = s.GenerateCSR(k.ID, k.Version, "this is not a DN", nil)
	wantErr(t, err, ErrInvalidArgument, "GenerateCSR with a malformed subject")
	_, err = s.GenerateCSR(k.ID, k.Version, "CN=x", []string{"ok.example", "bad\x00.example"})
	wantErr(t, err, ErrInvalidArgument, "GenerateCSR with a NUL in a DNS name")
	ek := key(t, KeySpecRSA2048, UsageEncryptDecrypt)
	_, err = s.GenerateCSR(ek.ID, ek.Version, "CN=x", nil)
	wantErr(t, err, ErrIncompatible, "GenerateCSR for an ENCRYPT/DECRYPT key")
}

func TestOpenSSLVerifiesCSR(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	s := store(t)
	for _, spec := range []KeySpec{KeySpecECSM2, KeySpecECP256K, KeySpecRSA2048} {
		k := key(t, spec, UsageSignVerify)
		pemText, err := s.GenerateCSR(k.ID, k.Version, "CN=openssl.example,O=Acme,C=CN", []string{"openssl.example"})
		mustNoErr(t, err, "GenerateCSR("+spec.String()+")")
		dir := t.TempDir()
		mustNoErr(t, os.WriteFile(filepath.Join(dir, "req.pem"), []byte(pemText), 0o600), "write req.pem")
		runOpenSSL(t, dir, "req", "-verify", "-noout", "-in", "req.pem")
	}
}
