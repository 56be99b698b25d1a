package akms

// crypto.Signer and crypto.Decrypter (signer.go) with the consumers of the
// standard library: crypto/x509 certificates and CSRs, crypto/tls handshakes,
// and crypto/rsa and crypto/ecdsa checking what the adapters produce.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func init() {
	extraClosedCalls = append(extraClosedCalls, func(s *Store, k testKey) map[string]func() error {
		return map[string]func() error{
			"Signer":    func() error { _, err := s.Signer(k.ID, k.Version); return err },
			"Decrypter": func() error { _, err := s.Decrypter(k.ID, k.Version); return err },
		}
	})
}

func signer(t testing.TB, s *Store, k testKey) crypto.Signer {
	t.Helper()
	sg, err := s.Signer(k.ID, k.Version)
	mustNoErr(t, err, "Signer")
	return sg
}

func decrypter(t testing.TB, s *Store, k testKey) crypto.Decrypter {
	t.Helper()
	d, err := s.Decrypter(k.ID, k.Version)
	mustNoErr(t, err, "Decrypter")
	return d
}

func TestSignerPublicTypes(t *testing.T) {
	s := store(t)
	for _, tc := range []struct {
		spec  KeySpec
		usage KeyUsage
	}{
		{KeySpecRSA2048, UsageSignVerify},
		{KeySpecRSA3072, UsageSignVerify},
		{KeySpecECP256, UsageSignVerify},
		{KeySpecECP256K, UsageSignVerify},
		{KeySpecECSM2, UsageSignVerify},
		{KeySpecRSA2048, UsageEncryptDecrypt},
		{KeySpecECSM2, UsageEncryptDecrypt},
	} {
		t.Run(tc.spec.String()+"/"+tc.usage.String(), func(t *testing.T) {
			k := key(t, tc.spec, tc.usage)
			var pub crypto.PublicKey
			if tc.usage == UsageSignVerify {
				pub = signer(t, s, k).Public()
			} else {
				pub = decrypter(t, s, k).Public()
			}
			pemText, err := s.GetPublicKey(k.ID, k.Version)
			mustNoErr(t, err, "GetPublicKey")
			block, _ := pem.Decode([]byte(pemText))
			switch tc.spec {
			case KeySpecRSA2048, KeySpecRSA3072:
				p, ok := pub.(*rsa.PublicKey)
				if !ok || !p.Equal(parsePublicKey(t, s, k)) {
					t.Fatalf("Public() = %T, want the key's *rsa.PublicKey", pub)
				}
			case KeySpecECP256:
				p, ok := pub.(*ecdsa.PublicKey)
				if !ok || p.Curve != elliptic.P256() || !p.Equal(parsePublicKey(t, s, k)) {
					t.Fatalf("Public() = %T, want the key's P-256 *ecdsa.PublicKey", pub)
				}
			default:
				p, ok := pub.(*PublicKey)
				if !ok || p.Spec != tc.spec || !bytes.Equal(p.DER, block.Bytes) {
					t.Fatalf("Public() = %#v, want *akms.PublicKey{%v, SubjectPublicKeyInfo}", pub, tc.spec)
				}
				if !p.Equal(&PublicKey{tc.spec, bytes.Clone(block.Bytes)}) || p.Equal(&PublicKey{KeySpecECP256, block.Bytes}) {
					t.Error("PublicKey.Equal")
				}
			}
		})
	}
}

// Signer on an ENCRYPT/DECRYPT key and Decrypter on a SIGN/VERIFY key fail at
// once; an unknown version too. A disabled key fails each Sign and Decrypt,
// with the library's error inside.
func TestSignerErrors(t *testing.T) {
	s := store(t)
	_, err := s.Signer(key(t, KeySpecRSA2048, UsageEncryptDecrypt).ID, key(t, KeySpecRSA2048, UsageEncryptDecrypt).Version)
	wantErr(t, err, ErrIncompatible, "Signer on an ENCRYPT/DECRYPT key")
	sv := key(t, KeySpecECSM2, UsageSignVerify)
	_, err = s.Decrypter(sv.ID, sv.Version)
	wantErr(t, err, ErrIncompatible, "Decrypter on a SIGN/VERIFY key")
	_, err = s.Signer(sv.ID, key(t, KeySpecECP256, UsageSignVerify).Version)
	wantErr(t, err, ErrNotFound, "Signer with another key's version")
	_, err = s.Signer("alias/no-such-alias", sv.Version)
	wantErr(t, err, ErrNotFound, "Signer on an unknown alias")

	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	mustNoErr(t, s.CreateAlias("alias/signer-errors", k.ID), "CreateAlias")
	sg, err := s.Signer("alias/signer-errors", k.Version)
	mustNoErr(t, err, "Signer by alias")
	mustNoErr(t, s.DisableKey(k.ID), "DisableKey")
	_, err = sg.Sign(nil, digestOf([]byte("m")), crypto.SHA256)
	wantErr(t, err, ErrInvalidState, "Sign with a disabled key")
	if !strings.Contains(err.Error(), k.ID) {
		t.Errorf("the error does not name the key: %v", err)
	}
	mustNoErr(t, s.EnableKey(k.ID), "EnableKey")
	_, err = sg.Sign(nil, digestOf([]byte("m")), crypto.SHA256)
	mustNoErr(t, err, "Sign after EnableKey")

	dk := newKey(t, s, KeySpecECSM2, UsageEncryptDecrypt)
	d := decrypter(t, s, dk)
	ct, err := s.AsymmetricEncrypt(dk.ID, dk.Version, AlgSM2PKE, []byte("m"))
	mustNoErr(t, err, "AsymmetricEncrypt")
	mustNoErr(t, s.DisableKey(dk.ID), "DisableKey")
	_, err = d.Decrypt(nil, ct, nil)
	wantErr(t, err, ErrInvalidState, "Decrypt with a disabled key")
	mustNoErr(t, s.EnableKey(dk.ID), "EnableKey")
	_, err = d.Decrypt(nil, append(ct[:len(ct)-1:len(ct)-1], ct[len(ct)-1]^1), nil)
	wantErr(t, err, ErrDecryptionFailed, "Decrypt of a damaged ciphertext")

	// The adapter is only as able as its handle.
	r, err := s.Restrict(policy("signer", statement("Allow", `"kms:DescribeKey", "kms:GetPublicKey"`, `"*"`)))
	mustNoErr(t, err, "Restrict")
	defer r.Close()
	rs, err := r.Signer(k.ID, k.Version)
	mustNoErr(t, err, "Signer on a restricted handle")
	_, err = rs.Sign(nil, digestOf(nil), crypto.SHA256)
	wantErr(t, err, ErrAccessDenied, "Sign without kms:AsymmetricSign")
	r.Close()
	_, err = rs.Sign(nil, digestOf(nil), crypto.SHA256)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Sign on a closed handle: %v, want ErrClosed", err)
	}
}

// Every accepted and every refused option of Sign.
func TestSignerOptions(t *testing.T) {
	s := store(t)
	d := digestOf([]byte("options"))
	d384 := sha512.Sum384([]byte("options"))
	verifyPSS := func(pub crypto.PublicKey, sig []byte) error {
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, d, sig, &rsa.PSSOptions{SaltLength: 32})
	}
	verifyPKCS1 := func(pub crypto.PublicKey, sig []byte) error {
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d, sig)
	}
	verifyECDSA := func(pub crypto.PublicKey, sig []byte) error {
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	verifyWith := func(k testKey, alg Algorithm) func(crypto.PublicKey, []byte) error {
		return func(_ crypto.PublicKey, sig []byte) error {
			ok, err := s.AsymmetricVerify(k.ID, k.Version, alg, MessageDigest, d, sig)
			if err == nil && !ok {
				err = errors.New("signature does not verify in akms")
			}
			return err
		}
	}
	rsaKey := key(t, KeySpecRSA2048, UsageSignVerify)
	p256 := key(t, KeySpecECP256, UsageSignVerify)
	k256 := key(t, KeySpecECP256K, UsageSignVerify)
	sm2 := key(t, KeySpecECSM2, UsageSignVerify)
	type accepted struct {
		name   string
		k      testKey
		opts   crypto.SignerOpts
		verify func(crypto.PublicKey, []byte) error
	}
	for _, tc := range []accepted{
		{"RSA/SHA256 is PKCS#1 v1.5", rsaKey, crypto.SHA256, verifyPKCS1},
		{"RSA/PSS salt auto", rsaKey, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}, verifyPSS},
		{"RSA/PSS salt equals hash", rsaKey, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}, verifyPSS},
		{"RSA/PSS salt 32", rsaKey, &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}, verifyPSS},
		{"P256/SHA256", p256, crypto.SHA256, verifyECDSA},
		{"P256K/SHA256", k256, crypto.SHA256, verifyWith(k256, AlgECDSASHA256)},
		{"SM2/nil", sm2, nil, verifyWith(sm2, AlgSM2DSA)},
		{"SM2/hash 0", sm2, crypto.Hash(0), verifyWith(sm2, AlgSM2DSA)},
		{"SM2/SHA256", sm2, crypto.SHA256, verifyWith(sm2, AlgSM2DSA)},
	} {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			sg := signer(t, s, tc.k)
			sig, err := sg.Sign(rand.Reader, d, tc.opts)
			mustNoErr(t, err, "Sign")
			mustNoErr(t, tc.verify(sg.Public(), sig), "verify")
		})
	}
	// Only PSS with salt 32 verifies with a PSS verifier that insists on a
	// salt length: the one akms signs with, whatever Auto means to crypto/rsa.
	sig, err := signer(t, s, rsaKey).Sign(nil, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256})
	mustNoErr(t, err, "Sign PSS auto")
	if rsa.VerifyPSS(rsaPublicKey(t, s, rsaKey), crypto.SHA256, d, sig, &rsa.PSSOptions{SaltLength: 222}) == nil {
		t.Error("PSS with salt auto produced the maximum salt; akms signs with 32")
	}

	type refused struct {
		name   string
		k      testKey
		digest []byte
		opts   crypto.SignerOpts
	}
	for _, tc := range []refused{
		{"RSA/nil", rsaKey, d, nil},
		{"RSA/hash 0", rsaKey, d, crypto.Hash(0)},
		{"RSA/SHA384", rsaKey, d384[:], crypto.SHA384},
		{"RSA/SHA1", rsaKey, d[:20], crypto.SHA1},
		{"RSA/SHA512", rsaKey, make([]byte, 64), crypto.SHA512},
		{"RSA/PSS SHA384", rsaKey, d384[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA384}},
		{"RSA/PSS hash 0", rsaKey, d, &rsa.PSSOptions{SaltLength: 32}},
		{"RSA/PSS salt 20", rsaKey, d, &rsa.PSSOptions{SaltLength: 20, Hash: crypto.SHA256}},
		{"RSA/PSS salt 64", rsaKey, d, &rsa.PSSOptions{SaltLength: 64, Hash: crypto.SHA256}},
		{"RSA/PSS nil pointer", rsaKey, d, (*rsa.PSSOptions)(nil)},
		{"RSA/31-byte digest", rsaKey, d[:31], crypto.SHA256},
		{"RSA/33-byte digest", rsaKey, append(bytes.Clone(d), 0), crypto.SHA256},
		{"P256/nil", p256, d, nil},
		{"P256/SHA384", p256, d384[:], crypto.SHA384},
		{"P256/PSS", p256, d, &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}},
		{"P256/31-byte digest", p256, d[:31], crypto.SHA256},
		{"P256K/SHA384", k256, d384[:], crypto.SHA384},
		{"SM2/SHA384", sm2, d384[:], crypto.SHA384},
		{"SM2/PSS", sm2, d, &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}},
		{"SM2/31-byte digest", sm2, d[:31], nil},
	} {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			sig, err := signer(t, s, tc.k).Sign(rand.Reader, tc.digest, tc.opts)
			if sig != nil {
				t.Errorf("a signature came back: %x", sig)
			}
			wantErr(t, err, ErrInvalidArgument, "Sign")
		})
	}
}

// Every accepted and every refused option of Decrypt, with ciphertexts
// from crypto/rsa.
func TestDecrypterOAEP(t *testing.T) {
	s := store(t)
	for _, spec := range []KeySpec{KeySpecRSA2048, KeySpecRSA3072} {
		t.Run(spec.String(), func(t *testing.T) {
			k := key(t, spec, UsageEncryptDecrypt)
			dec := decrypter(t, s, k)
			pub := dec.Public().(*rsa.PublicKey)
			for _, tc := range []struct {
				hash crypto.Hash
				mgf  crypto.Hash
			}{{crypto.SHA1, 0}, {crypto.SHA256, 0}, {crypto.SHA1, crypto.SHA1}, {crypto.SHA256, crypto.SHA256}} {
				var h = sha256.New()
				if tc.hash == crypto.SHA1 {
					h = sha1.New()
				}
				msg := []byte("decrypted by akms " + tc.hash.String())
				ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, msg, nil)
				mustNoErr(t, err, "rsa.EncryptOAEP")
				pt, err := dec.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: tc.hash, MGFHash: tc.mgf})
				mustNoErr(t, err, "Decrypt "+tc.hash.String())
				if !bytes.Equal(pt, msg) {
					t.Errorf("%v: %q, want %q", tc.hash, pt, msg)
				}
			}
			ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("x"), nil)
			mustNoErr(t, err, "rsa.EncryptOAEP")
			for name, opts := range map[string]crypto.DecrypterOpts{
				"nil (PKCS#1 v1.5)":  nil,
				"PKCS1v15":           &rsa.PKCS1v15DecryptOptions{},
				"OAEP SHA384":        &rsa.OAEPOptions{Hash: crypto.SHA384},
				"OAEP hash 0":        &rsa.OAEPOptions{},
				"OAEP with a label":  &rsa.OAEPOptions{Hash: crypto.SHA256, Label: []byte("l")},
				"OAEP MGF1 mismatch": &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1},
				"OAEP nil pointer":   (*rsa.OAEPOptions)(nil),
				"a crypto.Hash":      crypto.SHA256,
			} {
				pt, err := dec.Decrypt(nil, ct, opts)
				if pt != nil {
					t.Errorf("%s: a plaintext came back", name)
				}
				wantErr(t, err, ErrInvalidArgument, "Decrypt with "+name)
			}
			_, err = dec.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA1})
			wantErr(t, err, ErrDecryptionFailed, "Decrypt a SHA-256 ciphertext as SHA-1")
		})
	}
	sm2 := decrypter(t, s, key(t, KeySpecECSM2, UsageEncryptDecrypt))
	_, err := sm2.Decrypt(nil, []byte("x"), &rsa.OAEPOptions{Hash: crypto.SHA256})
	wantErr(t, err, ErrInvalidArgument, "SM2 Decrypt with OAEP options")
}

// newCA makes a self-signed CA certificate whose key is the signer.
func newCA(t testing.TB, sg crypto.Signer, name string, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		SignatureAlgorithm:    alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, sg.Public(), sg)
	mustNoErr(t, err, "x509.CreateCertificate (CA)")
	ca, err := x509.ParseCertificate(der)
	mustNoErr(t, err, "x509.ParseCertificate (CA)")
	return ca
}

// issue makes a leaf certificate for pub, signed by the CA's signer.
func issue(t testing.TB, ca *x509.Certificate, caKey crypto.Signer, pub crypto.PublicKey, dnsName string, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(2),
		Subject:            pkix.Name{CommonName: dnsName},
		DNSNames:           []string{dnsName},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(24 * time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		SignatureAlgorithm: alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	mustNoErr(t, err, "x509.CreateCertificate (leaf)")
	leaf, err := x509.ParseCertificate(der)
	mustNoErr(t, err, "x509.ParseCertificate (leaf)")
	return leaf
}

// A CA whose key is in akms issues a leaf from a CSR signed by an akms key;
// x509.Verify accepts the chain.
func TestSignerX509(t *testing.T) {
	s := store(t)
	for _, tc := range []struct {
		spec KeySpec
		alg  x509.SignatureAlgorithm // 0: crypto/x509's default for the key
		want x509.SignatureAlgorithm
	}{
		{KeySpecECP256, 0, x509.ECDSAWithSHA256},
		{KeySpecRSA2048, 0, x509.SHA256WithRSA},
		{KeySpecRSA2048, x509.SHA256WithRSAPSS, x509.SHA256WithRSAPSS},
		{KeySpecRSA3072, 0, x509.SHA256WithRSA},
		{KeySpecRSA3072, x509.SHA256WithRSAPSS, x509.SHA256WithRSAPSS},
	} {
		t.Run(tc.spec.String()+"/"+tc.want.String(), func(t *testing.T) {
			caKey := signer(t, s, key(t, tc.spec, UsageSignVerify))
			ca := newCA(t, caKey, "akms test CA", tc.alg)
			if ca.SignatureAlgorithm != tc.want {
				t.Errorf("CA signature algorithm %v, want %v", ca.SignatureAlgorithm, tc.want)
			}
			mustNoErr(t, ca.CheckSignatureFrom(ca), "CA CheckSignatureFrom itself")

			leafKey := signer(t, s, key(t, KeySpecECP256, UsageSignVerify))
			csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
				Subject:  pkix.Name{CommonName: "server.example"},
				DNSNames: []string{"server.example"},
			}, leafKey)
			mustNoErr(t, err, "x509.CreateCertificateRequest")
			csr, err := x509.ParseCertificateRequest(csrDER)
			mustNoErr(t, err, "x509.ParseCertificateRequest")
			mustNoErr(t, csr.CheckSignature(), "CSR CheckSignature")

			leaf := issue(t, ca, caKey, csr.PublicKey, csr.DNSNames[0], tc.alg)
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "server.example"})
			mustNoErr(t, err, "x509 Verify")
			if len(chains) != 1 || len(chains[0]) != 2 {
				t.Errorf("chains %v", chains)
			}
		})
	}
	// A CSR signed with each RSA option crypto/x509 has, and a refused one.
	rsaKey := signer(t, s, key(t, KeySpecRSA2048, UsageSignVerify))
	for _, alg := range []x509.SignatureAlgorithm{x509.SHA256WithRSA, x509.SHA256WithRSAPSS} {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: "rsa"}, SignatureAlgorithm: alg}, rsaKey)
		mustNoErr(t, err, "x509.CreateCertificateRequest "+alg.String())
		csr, err := x509.ParseCertificateRequest(der)
		mustNoErr(t, err, "x509.ParseCertificateRequest")
		mustNoErr(t, csr.CheckSignature(), "CheckSignature "+alg.String())
	}
	_, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "rsa"}, SignatureAlgorithm: x509.SHA384WithRSA}, rsaKey)
	wantErr(t, err, ErrInvalidArgument, "a SHA384WithRSA CSR")
}

// tlsIdentity is a certificate for key, issued by ca.
func tlsIdentity(t testing.TB, ca *x509.Certificate, caKey, key crypto.Signer, name string) tls.Certificate {
	t.Helper()
	leaf := issue(t, ca, caKey, key.Public(), name, 0)
	return tls.Certificate{
		Certificate:                  [][]byte{leaf.Raw},
		PrivateKey:                   key,
		Leaf:                         leaf,
		SupportedSignatureAlgorithms: TLSSignatureSchemes(key),
	}
}

// handshake runs a TLS handshake over net.Pipe and sends one message each way.
func handshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, tls.ConnectionState) {
	t.Helper()
	c1, c2 := net.Pipe()
	// The pipe is closed under the TLS connections: a tls.Conn's Close would
	// wait (up to 5 s) for the peer to read its close_notify.
	defer c1.Close()
	defer c2.Close()
	srv, cli := tls.Server(c1, server), tls.Client(c2, client)
	errs := make(chan error, 1)
	go func() {
		if err := srv.Handshake(); err != nil {
			errs <- err
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(srv, buf); err != nil {
			errs <- err
			return
		}
		_, err := srv.Write(buf)
		errs <- err
	}()
	if err := cli.Handshake(); err != nil {
		c2.Close()
		t.Fatalf("client handshake: %v (server: %v)", err, <-errs)
	}
	if _, err := cli.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(cli, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q %v", buf, err)
	}
	mustNoErr(t, <-errs, "server")
	return srv.ConnectionState(), cli.ConnectionState()
}

// TLS 1.2 and 1.3 with the server's key in akms (ECDSA P-256, RSA), and
// mutual TLS with the client's key in akms too.
func TestSignerTLS(t *testing.T) {
	s := store(t)
	caKey := signer(t, s, key(t, KeySpecECP256, UsageSignVerify))
	ca := newCA(t, caKey, "akms TLS CA", 0)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, spec := range []KeySpec{KeySpecECP256, KeySpecRSA2048} {
		serverKey := signer(t, s, key(t, spec, UsageSignVerify))
		server := tlsIdentity(t, ca, caKey, serverKey, "server.example")
		clientKey := signer(t, s, newKey(t, s, spec, UsageSignVerify))
		client := tlsIdentity(t, ca, caKey, clientKey, "client.example")
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, mutual := range []bool{false, true} {
				name := spec.String() + "/" + tls.VersionName(version)
				if mutual {
					name += "/mTLS"
				}
				t.Run(name, func(t *testing.T) {
					sc := &tls.Config{Certificates: []tls.Certificate{server}, MinVersion: version, MaxVersion: version}
					cc := &tls.Config{RootCAs: pool, ServerName: "server.example", MinVersion: version, MaxVersion: version}
					if mutual {
						sc.ClientAuth = tls.RequireAndVerifyClientCert
						sc.ClientCAs = pool
						cc.Certificates = []tls.Certificate{client}
					}
					ss, cs := handshake(t, sc, cc)
					if cs.Version != version || ss.Version != version {
						t.Errorf("version %x/%x, want %x", cs.Version, ss.Version, version)
					}
					if mutual && (len(ss.PeerCertificates) == 0 || ss.PeerCertificates[0].Subject.CommonName != "client.example") {
						t.Errorf("server saw client certificates %v", ss.PeerCertificates)
					}
				})
			}
		}
	}
}

func TestTLSSignatureSchemes(t *testing.T) {
	s := store(t)
	for spec, want := range map[KeySpec][]tls.SignatureScheme{
		KeySpecRSA2048: {tls.PSSWithSHA256, tls.PKCS1WithSHA256},
		KeySpecRSA3072: {tls.PSSWithSHA256, tls.PKCS1WithSHA256},
		KeySpecECP256:  {tls.ECDSAWithP256AndSHA256},
		KeySpecECP256K: nil,
		KeySpecECSM2:   nil,
	} {
		if got := TLSSignatureSchemes(signer(t, s, key(t, spec, UsageSignVerify))); !slices.Equal(got, want) {
			t.Errorf("%v: %v, want %v", spec, got, want)
		}
	}
	local, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err, "ecdsa.GenerateKey")
	if got := TLSSignatureSchemes(local); got != nil {
		t.Errorf("a signer from elsewhere: %v, want nil", got)
	}
}

// One Signer, many goroutines.
func TestSignerConcurrent(t *testing.T) {
	s := store(t)
	for _, spec := range []KeySpec{KeySpecECP256, KeySpecRSA2048} {
		sg := signer(t, s, key(t, spec, UsageSignVerify))
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					d := digestOf([]byte{byte(g), byte(i)})
					var opts crypto.SignerOpts = crypto.SHA256
					if i%2 == 1 && spec == KeySpecRSA2048 {
						opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
					}
					sig, err := sg.Sign(rand.Reader, d, opts)
					if err != nil {
						t.Error(err)
						return
					}
					switch pub := sg.Public().(type) {
					case *ecdsa.PublicKey:
						err = nil
						if !ecdsa.VerifyASN1(pub, d, sig) {
							err = errors.New("ECDSA signature does not verify")
						}
					case *rsa.PublicKey:
						if _, pss := opts.(*rsa.PSSOptions); pss {
							err = rsa.VerifyPSS(pub, crypto.SHA256, d, sig, nil)
						} else {
							err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig)
						}
					}
					if err != nil {
						t.Errorf("%v goroutine %d signature %d: %v", spec, g, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}
