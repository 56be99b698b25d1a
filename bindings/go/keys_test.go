package akms

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestKeyLifecycle(t *testing.T) {
	s := store(t)
	before := time.Now().Add(-2 * time.Second)
	kid, vid, err := s.CreateKey(KeySpecECP256, UsageSignVerify, "lifecycle test")
	mustNoErr(t, err, "CreateKey")
	if !uuidRE.MatchString(kid) || !uuidRE.MatchString(vid) {
		t.Fatalf("ids are not lowercase UUIDs: %q %q", kid, vid)
	}

	m, err := s.DescribeKey(kid)
	mustNoErr(t, err, "DescribeKey")
	if m.KeyID != kid || m.KeySpec != KeySpecECP256 || m.KeyUsage != UsageSignVerify ||
		m.KeyState != KeyStateEnabled || m.Description != "lifecycle test" || m.Origin != "Aliyun_KMS" {
		t.Errorf("DescribeKey = %+v", m)
	}
	if m.CreationDate.Before(before) || m.CreationDate.After(time.Now().Add(2*time.Second)) {
		t.Errorf("CreationDate %v is not now", m.CreationDate)
	}
	if !m.DeleteDate.IsZero() {
		t.Errorf("DeleteDate %v on an enabled key", m.DeleteDate)
	}

	v2, err := s.CreateKeyVersion(kid)
	mustNoErr(t, err, "CreateKeyVersion")
	versions, err := s.ListKeyVersions(kid)
	mustNoErr(t, err, "ListKeyVersions")
	var ids []string
	for _, v := range versions {
		if v.KeyID != kid || v.CreationDate.IsZero() {
			t.Errorf("version %+v", v)
		}
		ids = append(ids, v.KeyVersionID)
	}
	if len(ids) != 2 || !slices.Contains(ids, vid) || !slices.Contains(ids, v2) {
		t.Errorf("ListKeyVersions ids %v, want %s and %s", ids, vid, v2)
	}

	keys, err := s.ListKeys()
	mustNoErr(t, err, "ListKeys")
	if !slices.ContainsFunc(keys, func(m KeyMetadata) bool { return m.KeyID == kid }) {
		t.Errorf("ListKeys lacks %s", kid)
	}

	d := digestOf([]byte("lifecycle"))
	sign := func() error {
		_, err := s.AsymmetricSign(kid, v2, AlgECDSASHA256, MessageDigest, d)
		return err
	}
	mustNoErr(t, s.DisableKey(kid), "DisableKey")
	wantState(t, s, kid, KeyStateDisabled)
	wantErr(t, sign(), ErrInvalidState, "sign with a disabled key")
	_, err = s.CreateKeyVersion(kid)
	wantErr(t, err, ErrInvalidState, "new version of a disabled key")
	_, err = s.GetPublicKey(kid, vid)
	mustNoErr(t, err, "GetPublicKey of a disabled key")
	mustNoErr(t, s.EnableKey(kid), "EnableKey")
	mustNoErr(t, sign(), "sign after EnableKey")

	mustNoErr(t, s.ScheduleKeyDeletion(kid, 7), "ScheduleKeyDeletion")
	m = wantState(t, s, kid, KeyStatePendingDeletion)
	if want := time.Now().Add(7 * 24 * time.Hour); m.DeleteDate.Sub(want).Abs() > time.Minute {
		t.Errorf("DeleteDate %v, want about %v", m.DeleteDate, want)
	}
	wantErr(t, sign(), ErrInvalidState, "sign with a key pending deletion")
	wantErr(t, s.EnableKey(kid), ErrInvalidState, "EnableKey on a key pending deletion")
	wantErr(t, s.CreateAlias("alias/lifecycle-pending", kid), ErrInvalidState, "alias to a key pending deletion")
	_, err = s.GetPublicKey(kid, vid)
	mustNoErr(t, err, "GetPublicKey of a key pending deletion")
	mustNoErr(t, s.CancelKeyDeletion(kid), "CancelKeyDeletion")
	wantState(t, s, kid, KeyStateEnabled)
	wantErr(t, s.CancelKeyDeletion(kid), ErrInvalidState, "CancelKeyDeletion of an enabled key")
	mustNoErr(t, sign(), "sign after CancelKeyDeletion")
}

func wantState(t *testing.T, s *Store, kid string, want KeyState) KeyMetadata {
	t.Helper()
	m, err := s.DescribeKey(kid)
	mustNoErr(t, err, "DescribeKey")
	if m.KeyState != want {
		t.Fatalf("KeyState %q, want %q", m.KeyState, want)
	}
	return m
}

func TestAliases(t *testing.T) {
	s := store(t)
	a := newKey(t, s, KeySpecECP256, UsageSignVerify)
	b := newKey(t, s, KeySpecECP256, UsageSignVerify)
	const alias = "alias/go-test/signing_key-1"
	mustNoErr(t, s.CreateAlias(alias, a.ID), "CreateAlias")

	m, err := s.DescribeKey(alias)
	mustNoErr(t, err, "DescribeKey(alias)")
	if m.KeyID != a.ID || !slices.Contains(m.Aliases, alias) {
		t.Errorf("DescribeKey(alias) = %+v", m)
	}
	d := digestOf([]byte("alias"))
	sig, err := s.AsymmetricSign(alias, a.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "sign through alias")
	ok, err := s.AsymmetricVerify(a.ID, a.Version, AlgECDSASHA256, MessageDigest, d, sig)
	if err != nil || !ok {
		t.Errorf("verify by key id: %v, %v", ok, err)
	}

	mustNoErr(t, s.UpdateAlias(alias, b.ID), "UpdateAlias")
	_, err = s.GetPublicKey(alias, a.Version)
	wantErr(t, err, ErrNotFound, "old key's version through the moved alias")
	_, err = s.GetPublicKey(alias, b.Version)
	mustNoErr(t, err, "GetPublicKey through the moved alias")

	mustNoErr(t, s.DeleteAlias(alias), "DeleteAlias")
	_, err = s.DescribeKey(alias)
	wantErr(t, err, ErrNotFound, "DescribeKey of a deleted alias")
	wantErr(t, s.DeleteAlias(alias), ErrNotFound, "DeleteAlias twice")
	wantErr(t, s.UpdateAlias(alias, a.ID), ErrNotFound, "UpdateAlias of a deleted alias")
}

func TestKeyMetadataJSON(t *testing.T) {
	m := KeyMetadata{KeyID: "k", KeySpec: KeySpecECSM2, KeyUsage: UsageEncryptDecrypt, KeyState: KeyStateEnabled}
	b, err := json.Marshal(m)
	mustNoErr(t, err, "json.Marshal")
	var back map[string]any
	mustNoErr(t, json.Unmarshal(b, &back), "json.Unmarshal")
	if back["KeyId"] != "k" || back["KeySpec"] != "EC_SM2" || back["KeyUsage"] != "ENCRYPT/DECRYPT" ||
		back["KeyState"] != "Enabled" {
		t.Errorf("KeyMetadata JSON: %s", b)
	}
	if _, ok := back["DeleteDate"]; ok {
		t.Errorf("DeleteDate present without a date: %s", b)
	}
}
