package interop

// The SM2 Signer and Decrypter against an outside SM2 implementation,
// github.com/emmansun/gmsm: its ciphertexts decrypt through the Decrypter,
// and the Signer's signatures verify there with the default id.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"testing"

	"akms"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// gmsmPublicKey parses the DER of an SM2 adapter's *PublicKey with gmsm.
func gmsmPublicKey(t *testing.T, pub any) *ecdsa.PublicKey {
	t.Helper()
	p, ok := pub.(*akms.PublicKey)
	if !ok || p.Spec != akms.KeySpecECSM2 {
		t.Fatalf("Public() = %T, want *akms.PublicKey of EC_SM2", pub)
	}
	parsed, err := smx509.ParsePKIXPublicKey(p.DER)
	mustNoErr(t, err, "smx509.ParsePKIXPublicKey")
	ec, ok := parsed.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(ec) {
		t.Fatalf("gmsm parsed %T, not an SM2 public key", parsed)
	}
	return ec
}

func TestGmsmVerifiesSM2Signer(t *testing.T) {
	s := store(t)
	sg := signer(t, s, key(t, akms.KeySpecECSM2, akms.UsageSignVerify))
	pub := gmsmPublicKey(t, sg.Public())
	za, err := sm2.CalculateZA(pub, []byte("1234567812345678")) // the default id
	mustNoErr(t, err, "sm2.CalculateZA")
	for _, msg := range [][]byte{[]byte("akms SM2 signer"), {}, bytes.Repeat([]byte{0xa5}, 5000)} {
		h := sm3.New()
		h.Write(za)
		h.Write(msg)
		e := h.Sum(nil)
		sig, err := sg.Sign(rand.Reader, e, nil)
		mustNoErr(t, err, "Sign")
		if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
			t.Fatalf("gmsm rejects the signature over a %d-byte message", len(msg))
		}
		if sm2.VerifyASN1WithSM2(pub, nil, append(bytes.Clone(msg), 0), sig) {
			t.Fatal("gmsm accepts the signature over another message")
		}
	}
}

func TestGmsmCiphertextDecrypts(t *testing.T) {
	s := store(t)
	dec := decrypter(t, s, key(t, akms.KeySpecECSM2, akms.UsageEncryptDecrypt))
	pub := gmsmPublicKey(t, dec.Public())
	for _, n := range []int{1, 32, 6047} {
		msg := randomBytes(t, n)
		der, err := sm2.EncryptASN1(rand.Reader, pub, msg)
		mustNoErr(t, err, "sm2.EncryptASN1")
		raw, err := sm2.Encrypt(rand.Reader, pub, msg, nil) // 04‖x‖y‖C3‖C2
		mustNoErr(t, err, "sm2.Encrypt")
		if raw[0] != 0x04 {
			t.Fatalf("gmsm's plain ciphertext starts with %#x", raw[0])
		}
		for form, ct := range map[string][]byte{"ASN.1": der, "raw C1C3C2": raw} {
			pt, err := dec.Decrypt(rand.Reader, ct, nil)
			mustNoErr(t, err, "Decrypt "+form)
			if !bytes.Equal(pt, msg) {
				t.Fatalf("%s, %d bytes: the plaintext differs", form, n)
			}
		}
	}
}
