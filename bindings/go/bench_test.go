package akms

import (
	"crypto"
	"testing"

	"akms/internal/cbench"
)

// Per-call cost of the binding: each benchmark runs the same akms call from
// Go (sub-benchmark Go) and in a tight C loop (sub-benchmark C, package
// internal/cbench). The difference is the Go binding's overhead per call:
// the cgo transition, argument conversion, the store guard, copying and
// freeing the result.

func benchFixture(b *testing.B) (*cbench.P256, *Store, testKey, []byte, []byte) {
	b.Helper()
	c, err := cbench.NewP256()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	s := store(b)
	k := key(b, KeySpecECP256, UsageSignVerify)
	d := digestOf([]byte("benchmark"))
	sig, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
	if err != nil {
		b.Fatal(err)
	}
	return c, s, k, d, sig
}

func BenchmarkGetPublicKey(b *testing.B) {
	c, s, k, _, _ := benchFixture(b)
	b.Run("Go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetPublicKey(k.ID, k.Version); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("C", func(b *testing.B) {
		if err := c.GetPublicKey(b.N); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkVerifyP256(b *testing.B) {
	c, s, k, d, sig := benchFixture(b)
	b.Run("Go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, sig); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("C", func(b *testing.B) {
		if err := c.Verify(b.N); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSignP256(b *testing.B) {
	c, s, k, d, _ := benchFixture(b)
	b.Run("Go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same call through the crypto.Signer adapter (signer.go).
	b.Run("Signer", func(b *testing.B) {
		sg, err := s.Signer(k.ID, k.Version)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sg.Sign(nil, d, crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("C", func(b *testing.B) {
		if err := c.Sign(b.N); err != nil {
			b.Fatal(err)
		}
	})
}

// The error path: a failing call, its message copied on the same thread.
func BenchmarkErrorPath(b *testing.B) {
	s := store(b)
	k := key(b, KeySpecECP256, UsageSignVerify)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, nil); err == nil {
			b.Fatal("no error")
		}
	}
}

// Verify from all Ps at once, to show the store guard does not serialise calls.
func BenchmarkVerifyP256Parallel(b *testing.B) {
	_, s, k, d, sig := benchFixture(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := s.AsymmetricVerify(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d, sig); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

// GetPublicKey with an audit callback set: adds the library's event, its
// queueing in C and its delivery (JSON decoding) in Go.
func BenchmarkGetPublicKeyAudited(b *testing.B) {
	s, err := NewStore()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	k := newKey(b, s, KeySpecECP256, UsageSignVerify)
	var n int
	if err := s.SetAuditCallback(func(AuditEvent) { n++ }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetPublicKey(k.ID, k.Version); err != nil {
			b.Fatal(err)
		}
	}
	if n < b.N {
		b.Fatalf("%d events for %d calls", n, b.N)
	}
}
