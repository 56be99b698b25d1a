package akms

import (
	"fmt"
	"strings"
	"testing"
)

func init() {
	extraClosedCalls = append(extraClosedCalls, func(s *Store, k testKey) map[string]func() error {
		return map[string]func() error{
			"Restrict": func() error { _, err := s.Restrict(`{"Statement":[]}`); return err },
		}
	})
}

func policy(principal string, statements ...string) string {
	return fmt.Sprintf(`{"Principal": %q, "Statement": [%s]}`, principal, strings.Join(statements, ","))
}

func statement(effect, actions, resources string) string {
	return fmt.Sprintf(`{"Effect": %q, "Action": [%s], "Resource": [%s]}`, effect, actions, resources)
}

func TestRestrict(t *testing.T) {
	s := store(t)
	a := newKey(t, s, KeySpecECP256, UsageSignVerify)
	b := newKey(t, s, KeySpecECP256, UsageSignVerify)
	mustNoErr(t, s.CreateAlias("alias/policy-test/b", b.ID), "CreateAlias")
	d := digestOf([]byte("policy"))

	r, err := s.Restrict(policy("billing-service",
		statement("Allow", `"kms:AsymmetricSign", "kms:Get*"`, fmt.Sprintf(`"key/%s"`, a.ID)),
		statement("Allow", `"kms:AsymmetricVerify"`, `"alias/policy-test/*"`),
		statement("Allow", `"kms:Restrict"`, `"*"`)))
	mustNoErr(t, err, "Restrict")
	defer r.Close()

	_, err = r.AsymmetricSign(a.ID, a.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "allowed sign")
	_, err = r.GetPublicKey(a.ID, a.Version)
	mustNoErr(t, err, "allowed GetPublicKey (kms:Get*)")
	_, err = r.AsymmetricSign(b.ID, b.Version, AlgECDSASHA256, MessageDigest, d)
	wantErr(t, err, ErrAccessDenied, "sign with a key the policy does not name")
	if err != nil && !strings.Contains(err.Error(), "AsymmetricSign") {
		t.Errorf("denial does not name the action: %v", err)
	}
	sig, err := s.AsymmetricSign(b.ID, b.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "sign with the unrestricted store")
	if ok, err := r.AsymmetricVerify(b.ID, b.Version, AlgECDSASHA256, MessageDigest, d, sig); err != nil || !ok {
		t.Errorf("verify allowed through alias/policy-test/*: %v, %v", ok, err)
	}
	_, err = r.AsymmetricVerify(a.ID, a.Version, AlgECDSASHA256, MessageDigest, d, sig)
	wantErr(t, err, ErrAccessDenied, "verify with a key outside alias/policy-test/*")
	_, _, err = r.CreateKey(KeySpecECP256, UsageSignVerify, "")
	wantErr(t, err, ErrAccessDenied, "CreateKey on a sign-only handle")
	_, err = r.ListKeys()
	wantErr(t, err, ErrAccessDenied, "ListKeys on a sign-only handle")
	wantErr(t, r.DisableKey(a.ID), ErrAccessDenied, "DisableKey on a sign-only handle")
	wantErr(t, r.SetAuditCallback(func(AuditEvent) {}), ErrAccessDenied, "SetAuditCallback on a restricted handle")

	// Restricting a restricted handle narrows it: kms:* here grants no more.
	r2, err := r.Restrict(policy("narrower", statement("Allow", `"kms:*"`, `"*"`)))
	mustNoErr(t, err, "Restrict of a restricted handle")
	defer r2.Close()
	_, err = r2.AsymmetricSign(b.ID, b.Version, AlgECDSASHA256, MessageDigest, d)
	wantErr(t, err, ErrAccessDenied, "sign through a widened restriction")
	_, err = r2.AsymmetricSign(a.ID, a.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "sign allowed by both policies")

	// An explicit Deny wins over an Allow.
	r3, err := s.Restrict(policy("deny-wins",
		statement("Allow", `"kms:*"`, `"*"`),
		statement("Deny", `"kms:AsymmetricSign"`, fmt.Sprintf(`"key/%s"`, a.ID))))
	mustNoErr(t, err, "Restrict")
	defer r3.Close()
	_, err = r3.AsymmetricSign(a.ID, a.Version, AlgECDSASHA256, MessageDigest, d)
	wantErr(t, err, ErrAccessDenied, "sign denied explicitly")
	_, err = r3.AsymmetricSign(b.ID, b.Version, AlgECDSASHA256, MessageDigest, d)
	mustNoErr(t, err, "sign with the other key")

	for _, bad := range []string{`not json`, `{"Statement": [{"Effect": "Maybe", "Action": ["kms:*"], "Resource": ["*"]}]}`} {
		_, err = s.Restrict(bad)
		wantErr(t, err, ErrInvalidArgument, "Restrict("+bad+")")
	}
}

// A restricted handle outlives the store it came from.
func TestRestrictedHandleOutlivesParent(t *testing.T) {
	s, err := NewStore()
	mustNoErr(t, err, "NewStore")
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	r, err := s.Restrict(policy("child", statement("Allow", `"kms:*"`, `"*"`)))
	mustNoErr(t, err, "Restrict")
	defer r.Close()
	mustNoErr(t, s.Close(), "Close parent")
	_, err = r.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, digestOf(nil))
	mustNoErr(t, err, "sign through the child after the parent closed")
}
