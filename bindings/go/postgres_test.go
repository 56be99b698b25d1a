package akms

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// A PostgreSQL store through the Go binding: OpenStore with a postgresql:// location, every
// operation once, reopen, a wrong passphrase. Runs when AKMS_TEST_PG_URI names a database
// (make test-pg starts a private cluster and sets it); skipped otherwise.
func TestPostgresStoreEveryOperation(t *testing.T) {
	base := os.Getenv("AKMS_TEST_PG_URI")
	if base == "" {
		t.Skip("AKMS_TEST_PG_URI is not set (make test-pg sets it)")
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	uri := fmt.Sprintf("%s%sakms_store=go-%d", base, sep, time.Now().UnixNano())
	pass := []byte("go postgres passphrase")

	_, err := OpenStore("postgresql://u@h/db?akms_store=no.dots", pass)
	wantErr(t, err, ErrInvalidArgument, "OpenStore with a malformed URI")

	s, err := OpenStore(uri, pass)
	mustNoErr(t, err, "OpenStore (create)")
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	v2, err := s.CreateKeyVersion(k.ID)
	mustNoErr(t, err, "CreateKeyVersion")
	enc := newKey(t, s, KeySpecRSA2048, UsageEncryptDecrypt)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err, "ecdsa.GenerateKey")
	der := pkcs8(t, priv)
	imp, impV, err := s.ImportKey(UsageSignVerify, der, "imported")
	mustNoErr(t, err, "ImportKey")
	impV2, err := s.ImportKeyVersion(imp, der)
	mustNoErr(t, err, "ImportKeyVersion")
	mustNoErr(t, s.CreateAlias("alias/go-pg", k.ID), "CreateAlias")
	wantErr(t, s.CreateAlias("alias/go-pg", enc.ID), ErrAlreadyExists, "CreateAlias taken")
	mustNoErr(t, s.CreateAlias("alias/go-moved", k.ID), "CreateAlias")
	mustNoErr(t, s.UpdateAlias("alias/go-moved", imp), "UpdateAlias")
	mustNoErr(t, s.CreateAlias("alias/go-gone", imp), "CreateAlias")
	mustNoErr(t, s.DeleteAlias("alias/go-gone"), "DeleteAlias")
	d := digestOf([]byte("postgres"))
	sig, err := s.AsymmetricSign("alias/go-pg", v2, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "AsymmetricSign")
	rawSig, err := s.AsymmetricSign("alias/go-moved", impV2, AlgECDSASHA256, MessageRaw, []byte("raw"))
	mustNoErr(t, err, "AsymmetricSign RAW")
	ct, err := s.AsymmetricEncrypt(enc.ID, enc.Version, AlgRSAESOAEPSHA256, []byte("secret"))
	mustNoErr(t, err, "AsymmetricEncrypt")
	pub, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	csr, err := s.GenerateCSR(k.ID, k.Version, "CN=pg.example,O=Acme", []string{"pg.example"})
	mustNoErr(t, err, "GenerateCSR")
	if !strings.HasPrefix(csr, "-----BEGIN CERTIFICATE REQUEST-----") {
		t.Errorf("CSR: %q", csr)
	}
	mustNoErr(t, s.DisableKey(enc.ID), "DisableKey")
	mustNoErr(t, s.ScheduleKeyDeletion(imp, 7), "ScheduleKeyDeletion")
	mustNoErr(t, s.CancelKeyDeletion(imp), "CancelKeyDeletion")
	mustNoErr(t, s.ScheduleKeyDeletion(imp, 30), "ScheduleKeyDeletion")
	mustNoErr(t, s.Close(), "Close")

	_, err = OpenStore(uri, []byte("wrong passphrase"))
	wantErr(t, err, ErrCorrupt, "OpenStore with a wrong passphrase")
	s2, err := OpenStore(uri, pass)
	mustNoErr(t, err, "OpenStore (reopen)")
	defer s2.Close()
	m, err := s2.DescribeKey("alias/go-pg")
	mustNoErr(t, err, "DescribeKey")
	if m.KeyID != k.ID || m.Description != t.Name() {
		t.Errorf("after reopen: %+v", m)
	}
	keys, err := s2.ListKeys()
	mustNoErr(t, err, "ListKeys")
	states := map[string]KeyState{}
	for _, km := range keys {
		states[km.KeyID] = km.KeyState
	}
	if states[k.ID] != KeyStateEnabled || states[enc.ID] != KeyStateDisabled || states[imp] != KeyStatePendingDeletion {
		t.Errorf("states after reopen: %v", states)
	}
	moved, err := s2.DescribeKey("alias/go-moved")
	mustNoErr(t, err, "DescribeKey moved")
	if moved.KeyID != imp {
		t.Errorf("alias/go-moved names %s, want %s", moved.KeyID, imp)
	}
	_, err = s2.DescribeKey("alias/go-gone")
	wantErr(t, err, ErrNotFound, "DescribeKey deleted alias")
	versions, err := s2.ListKeyVersions(imp)
	mustNoErr(t, err, "ListKeyVersions")
	if len(versions) != 2 || versions[0].KeyVersionID != impV {
		t.Errorf("versions after reopen: %+v", versions)
	}
	pub2, err := s2.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey after reopen")
	if pub2 != pub {
		t.Error("public key changed across reopen")
	}
	ok, err := s2.AsymmetricVerify(k.ID, v2, AlgECDSASHA256, MessageDigest, d, sig)
	if err != nil || !ok {
		t.Errorf("verify after reopen: %v %v", ok, err)
	}
	mustNoErr(t, s2.CancelKeyDeletion(imp), "CancelKeyDeletion")
	ok, err = s2.AsymmetricVerify(imp, impV2, AlgECDSASHA256, MessageRaw, []byte("raw"), rawSig)
	if err != nil || !ok {
		t.Errorf("verify RAW after reopen: %v %v", ok, err)
	}
	mustNoErr(t, s2.EnableKey(enc.ID), "EnableKey")
	pt, err := s2.AsymmetricDecrypt(enc.ID, enc.Version, AlgRSAESOAEPSHA256, ct)
	mustNoErr(t, err, "AsymmetricDecrypt")
	if string(pt) != "secret" {
		t.Errorf("decrypted %q", pt)
	}
}
