package akms

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOpenStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.akms")
	pass := []byte("correct horse battery staple")
	s, err := OpenStore(path, pass)
	mustNoErr(t, err, "OpenStore (create)")
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	mustNoErr(t, s.CreateAlias("alias/persisted", k.ID), "CreateAlias")
	d := digestOf([]byte("persist"))
	sig, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "AsymmetricSign")
	pub, err := s.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey")
	mustNoErr(t, s.DisableKey(k.ID), "DisableKey")

	// A second opener shares the store: it sees the first one's changes.
	second, err := OpenStore(path, pass)
	mustNoErr(t, err, "second OpenStore of an open file")
	if m, err := second.DescribeKey("alias/persisted"); err != nil || m.KeyState != KeyStateDisabled {
		t.Errorf("second opener: %+v, %v", m, err)
	}
	mustNoErr(t, second.Close(), "Close (second)")
	mustNoErr(t, s.Close(), "Close")

	_, err = OpenStore(path, []byte("wrong passphrase"))
	wantErr(t, err, ErrCorrupt, "OpenStore with a wrong passphrase")

	s2, err := OpenStore(path, pass)
	mustNoErr(t, err, "OpenStore (reopen)")
	defer s2.Close()
	m, err := s2.DescribeKey("alias/persisted")
	mustNoErr(t, err, "DescribeKey after reopen")
	if m.KeyID != k.ID || m.KeyState != KeyStateDisabled {
		t.Errorf("after reopen: %+v", m)
	}
	pub2, err := s2.GetPublicKey(k.ID, k.Version)
	mustNoErr(t, err, "GetPublicKey after reopen")
	if pub2 != pub {
		t.Error("public key changed across reopen")
	}
	mustNoErr(t, s2.EnableKey(k.ID), "EnableKey")
	ok, err := s2.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, sig)
	if err != nil || !ok {
		t.Errorf("signature from before reopen: %v, %v", ok, err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() == 0 {
		t.Errorf("store file: %v", err)
	}
}

func TestOpenStoreErrors(t *testing.T) {
	_, err := OpenStore(filepath.Join(t.TempDir(), "no-such-dir", "keys.akms"), []byte("p"))
	wantErr(t, err, ErrIO, "OpenStore in a missing directory")
	_, err = OpenStore("bad\x00path", []byte("p"))
	wantErr(t, err, ErrInvalidArgument, "OpenStore of a path with NUL")
}

func TestOpenStoreDetectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.akms")
	pass := []byte("passphrase")
	s, err := OpenStore(path, pass)
	mustNoErr(t, err, "OpenStore")
	for range 6 {
		newKey(t, s, KeySpecECP256, UsageSignVerify)
	}
	mustNoErr(t, s.Close(), "Close")
	data, err := os.ReadFile(path)
	mustNoErr(t, err, "read store file")
	data[len(data)/2] ^= 0x01 // inside a committed record, with more after it
	mustNoErr(t, os.WriteFile(path, data, 0o600), "write store file")
	_, err = OpenStore(path, pass)
	wantErr(t, err, ErrCorrupt, "OpenStore of a file with a changed byte")

	_, err = OpenStore(filepath.Join(t.TempDir(), "new.akms"), nil)
	wantErr(t, err, ErrInvalidArgument, "OpenStore with an empty passphrase")
}
