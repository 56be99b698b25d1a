package akms

import (
	"errors"
	"strings"
	"testing"
)

// Each sentinel, provoked by a mistake a user could make.
func TestSentinelErrors(t *testing.T) {
	s := store(t)
	ec := key(t, KeySpecECP256, UsageSignVerify)
	d := digestOf([]byte("x"))

	t.Run("InvalidArgument/short digest", func(t *testing.T) {
		_, err := s.AsymmetricSign(ec.ID, ec.Version, AlgECDSASHA256, MessageDigest, d[:31])
		wantErr(t, err, ErrInvalidArgument, "sign a 31-byte digest")
	})
	t.Run("InvalidArgument/message passed as digest", func(t *testing.T) {
		_, err := s.AsymmetricSign(ec.ID, ec.Version, AlgECDSASHA256, MessageDigest, []byte("hello, world"))
		wantErr(t, err, ErrInvalidArgument, "sign a message as DIGEST")
	})
	t.Run("InvalidArgument/bad alias name", func(t *testing.T) {
		wantErr(t, s.CreateAlias("my-key", ec.ID), ErrInvalidArgument, "alias without alias/ prefix")
		wantErr(t, s.CreateAlias("alias/acs/reserved", ec.ID), ErrInvalidArgument, "alias/acs/ alias")
	})
	t.Run("InvalidArgument/unknown enum", func(t *testing.T) {
		_, _, err := s.CreateKey(KeySpec(42), UsageSignVerify, "")
		wantErr(t, err, ErrInvalidArgument, "CreateKey(KeySpec(42))")
		_, err = s.AsymmetricSign(ec.ID, ec.Version, Algorithm(42), MessageDigest, d)
		wantErr(t, err, ErrInvalidArgument, "sign with Algorithm(42)")
		_, err = s.AsymmetricSign(ec.ID, ec.Version, AlgECDSASHA256, MessageType(42), d)
		wantErr(t, err, ErrInvalidArgument, "sign with MessageType(42)")
	})
	t.Run("InvalidArgument/NUL in key id", func(t *testing.T) {
		_, err := s.GetPublicKey(ec.ID+"\x00junk", ec.Version)
		wantErr(t, err, ErrInvalidArgument, "key id with NUL")
	})
	t.Run("InvalidArgument/deletion window", func(t *testing.T) {
		wantErr(t, s.ScheduleKeyDeletion(ec.ID, 3), ErrInvalidArgument, "3-day deletion window")
		wantErr(t, s.ScheduleKeyDeletion(ec.ID, -1), ErrInvalidArgument, "negative deletion window")
	})
	t.Run("NotFound/version of another key", func(t *testing.T) {
		other := key(t, KeySpecECP256K, UsageSignVerify)
		_, err := s.AsymmetricSign(ec.ID, other.Version, AlgECDSASHA256, MessageDigest, d)
		wantErr(t, err, ErrNotFound, "sign with another key's version id")
	})
	t.Run("NotFound/unknown key", func(t *testing.T) {
		_, err := s.DescribeKey("00000000-0000-4000-8000-000000000000")
		wantErr(t, err, ErrNotFound, "describe an unknown key")
	})
	t.Run("NotFound/unknown alias", func(t *testing.T) {
		_, err := s.GetPublicKey("alias/never-created", ec.Version)
		wantErr(t, err, ErrNotFound, "unknown alias")
	})
	t.Run("AlreadyExists/alias twice", func(t *testing.T) {
		mustNoErr(t, s.CreateAlias("alias/errors-test-dup", ec.ID), "CreateAlias")
		defer s.DeleteAlias("alias/errors-test-dup")
		wantErr(t, s.CreateAlias("alias/errors-test-dup", ec.ID), ErrAlreadyExists, "CreateAlias twice")
	})
	t.Run("Incompatible/ECDSA on RSA key", func(t *testing.T) {
		rk := key(t, KeySpecRSA2048, UsageSignVerify)
		_, err := s.AsymmetricSign(rk.ID, rk.Version, AlgECDSASHA256, MessageDigest, d)
		wantErr(t, err, ErrIncompatible, "ECDSA_SHA_256 with an RSA key")
	})
	t.Run("Incompatible/encrypt with signing key", func(t *testing.T) {
		rk := key(t, KeySpecRSA2048, UsageSignVerify)
		_, err := s.AsymmetricEncrypt(rk.ID, rk.Version, AlgRSAESOAEPSHA256, []byte("secret"))
		wantErr(t, err, ErrIncompatible, "encrypt with a SIGN/VERIFY key")
	})
	t.Run("Incompatible/EC_P256 for encryption", func(t *testing.T) {
		_, _, err := s.CreateKey(KeySpecECP256, UsageEncryptDecrypt, "")
		wantErr(t, err, ErrIncompatible, "EC_P256 key with ENCRYPT/DECRYPT")
	})
	t.Run("InvalidState/sign with disabled key", func(t *testing.T) {
		k := newKey(t, s, KeySpecECP256, UsageSignVerify)
		mustNoErr(t, s.DisableKey(k.ID), "DisableKey")
		_, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
		wantErr(t, err, ErrInvalidState, "sign with a disabled key")
	})
	t.Run("DecryptionFailed/tampered ciphertext", func(t *testing.T) {
		rk := key(t, KeySpecRSA2048, UsageEncryptDecrypt)
		ct, err := s.AsymmetricEncrypt(rk.ID, rk.Version, AlgRSAESOAEPSHA256, []byte("secret"))
		mustNoErr(t, err, "AsymmetricEncrypt")
		ct[len(ct)/2] ^= 1
		_, err = s.AsymmetricDecrypt(rk.ID, rk.Version, AlgRSAESOAEPSHA256, ct)
		wantErr(t, err, ErrDecryptionFailed, "decrypt a tampered ciphertext")
	})
	t.Run("DecryptionFailed/wrong OAEP hash", func(t *testing.T) {
		rk := key(t, KeySpecRSA2048, UsageEncryptDecrypt)
		ct, err := s.AsymmetricEncrypt(rk.ID, rk.Version, AlgRSAESOAEPSHA256, []byte("secret"))
		mustNoErr(t, err, "AsymmetricEncrypt")
		_, err = s.AsymmetricDecrypt(rk.ID, rk.Version, AlgRSAESOAEPSHA1, ct)
		wantErr(t, err, ErrDecryptionFailed, "decrypt OAEP-SHA-256 as OAEP-SHA-1")
	})
	// ErrAccessDenied (Restrict), ErrIO and ErrCorrupt (OpenStore) are provoked
	// in policy_test.go and persist_test.go. ErrInternal means a bug in the
	// library, which no mistake of the caller can cause; its matching is
	// checked in TestErrorMatching.
}

func TestErrorMatching(t *testing.T) {
	sentinels := []*Error{ErrInvalidArgument, ErrNotFound, ErrAlreadyExists, ErrIncompatible,
		ErrInvalidState, ErrDecryptionFailed, ErrAccessDenied, ErrIO, ErrCorrupt, ErrInternal}
	for i, want := range sentinels {
		err := error(&Error{Status: want.Status, Message: "detail"})
		wrapped := errors.Join(errors.New("context"), err)
		for j, other := range sentinels {
			if got := errors.Is(wrapped, other); got != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", err, other.Status, got)
			}
		}
		if errors.Is(err, ErrClosed) {
			t.Errorf("%v matches ErrClosed", err)
		}
		if got, c := want.Status.String(), cStatusName(want.Status); got != c {
			t.Errorf("Status(%d).String() = %q, library says %q", want.Status, got, c)
		}
	}
	if got := (&Error{Status: StatusNotFound, Message: "key x"}).Error(); got != "akms: AKMS_ERR_NOT_FOUND: key x" {
		t.Errorf("Error() = %q", got)
	}
	if got := Status(99).String(); got != "Status(99)" {
		t.Errorf("Status(99).String() = %q", got)
	}
}

func TestUseAfterClose(t *testing.T) {
	s, err := NewStore()
	mustNoErr(t, err, "NewStore")
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	mustNoErr(t, s.Close(), "Close")
	mustNoErr(t, s.Close(), "second Close")
	d := digestOf([]byte("x"))
	calls := map[string]func() error{
		"CreateKey":           func() error { _, _, err := s.CreateKey(KeySpecECP256, UsageSignVerify, ""); return err },
		"CreateKeyVersion":    func() error { _, err := s.CreateKeyVersion(k.ID); return err },
		"DescribeKey":         func() error { _, err := s.DescribeKey(k.ID); return err },
		"ListKeys":            func() error { _, err := s.ListKeys(); return err },
		"ListKeyVersions":     func() error { _, err := s.ListKeyVersions(k.ID); return err },
		"CreateAlias":         func() error { return s.CreateAlias("alias/closed", k.ID) },
		"UpdateAlias":         func() error { return s.UpdateAlias("alias/closed", k.ID) },
		"DeleteAlias":         func() error { return s.DeleteAlias("alias/closed") },
		"EnableKey":           func() error { return s.EnableKey(k.ID) },
		"DisableKey":          func() error { return s.DisableKey(k.ID) },
		"ScheduleKeyDeletion": func() error { return s.ScheduleKeyDeletion(k.ID, 7) },
		"CancelKeyDeletion":   func() error { return s.CancelKeyDeletion(k.ID) },
		"GetPublicKey":        func() error { _, err := s.GetPublicKey(k.ID, k.Version); return err },
		"AsymmetricEncrypt":   func() error { _, err := s.AsymmetricEncrypt(k.ID, k.Version, AlgSM2PKE, d); return err },
		"AsymmetricDecrypt":   func() error { _, err := s.AsymmetricDecrypt(k.ID, k.Version, AlgSM2PKE, d); return err },
		"AsymmetricSign": func() error {
			_, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
			return err
		},
		"AsymmetricVerify": func() error {
			_, err := s.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, d)
			return err
		},
	}
	for _, extra := range extraClosedCalls {
		for name, f := range extra(s, k) {
			calls[name] = f
		}
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	var nilStore *Store
	if _, err := nilStore.ListKeys(); !errors.Is(err, ErrClosed) {
		t.Errorf("ListKeys on a nil *Store: %v", err)
	}
	mustNoErr(t, nilStore.Close(), "Close on a nil *Store")
	if !strings.Contains(closedError().Error(), "closed") {
		t.Errorf("closed error text: %v", closedError())
	}
}

// extraClosedCalls lets the files of later features (CSR, import, policies,
// audit) add their methods to TestUseAfterClose.
var extraClosedCalls []func(s *Store, k testKey) map[string]func() error
