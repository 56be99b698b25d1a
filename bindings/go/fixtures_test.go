package akms

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// Key generation (RSA above all) is the slow part of the suite, so tests
// that only use a key share one store and one key per (spec, usage). Tests
// that change a key's state or aliases make their own key.

var (
	sharedMu    sync.Mutex
	sharedStore *Store
	sharedKeys  = map[[2]uint32]testKey{}
)

type testKey struct{ ID, Version string }

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedStore != nil {
		sharedStore.Close()
	}
	os.Exit(code)
}

// store returns the store shared by the tests.
func store(t testing.TB) *Store {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedStore == nil {
		s, err := NewStore()
		if err != nil {
			t.Fatalf("NewStore: %v", err)
		}
		sharedStore = s
	}
	return sharedStore
}

// key returns the shared key of this spec and usage, creating it once.
func key(t testing.TB, spec KeySpec, usage KeyUsage) testKey {
	t.Helper()
	s := store(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	id := [2]uint32{uint32(spec), uint32(usage)}
	if k, ok := sharedKeys[id]; ok {
		return k
	}
	kid, vid, err := s.CreateKey(spec, usage, fmt.Sprintf("shared test key %v %v", spec, usage))
	if err != nil {
		t.Fatalf("CreateKey(%v, %v): %v", spec, usage, err)
	}
	k := testKey{kid, vid}
	sharedKeys[id] = k
	return k
}

// newKey creates a key of its own for a test that changes it.
func newKey(t testing.TB, s *Store, spec KeySpec, usage KeyUsage) testKey {
	t.Helper()
	kid, vid, err := s.CreateKey(spec, usage, t.Name())
	if err != nil {
		t.Fatalf("CreateKey(%v, %v): %v", spec, usage, err)
	}
	return testKey{kid, vid}
}

func digestOf(msg []byte) []byte {
	d := sha256.Sum256(msg)
	return d[:]
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustNoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails unless err matches sentinel (with errors.Is) and is an *Error
// of that status with a detail message.
func wantErr(t testing.TB, err error, sentinel *Error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, sentinel.Status)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s: got %v, want %v", what, err, sentinel.Status)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not *akms.Error", what, err)
	}
	if e.Message == "" {
		t.Errorf("%s: %v has no detail message", what, err)
	}
}
