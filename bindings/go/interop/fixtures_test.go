package interop

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"akms"
)

// One store and one key per (spec, usage), shared by the tests: key
// generation (RSA above all) is the slow part.

var (
	sharedMu    sync.Mutex
	sharedStore *akms.Store
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

func store(t testing.TB) *akms.Store {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedStore == nil {
		s, err := akms.NewStore()
		mustNoErr(t, err, "NewStore")
		sharedStore = s
	}
	return sharedStore
}

func key(t testing.TB, spec akms.KeySpec, usage akms.KeyUsage) testKey {
	t.Helper()
	s := store(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	id := [2]uint32{uint32(spec), uint32(usage)}
	if k, ok := sharedKeys[id]; ok {
		return k
	}
	kid, vid, err := s.CreateKey(spec, usage, fmt.Sprintf("interop test key %v %v", spec, usage))
	mustNoErr(t, err, "CreateKey")
	k := testKey{kid, vid}
	sharedKeys[id] = k
	return k
}

func signer(t testing.TB, s *akms.Store, k testKey) crypto.Signer {
	t.Helper()
	sg, err := s.Signer(k.ID, k.Version)
	mustNoErr(t, err, "Signer")
	return sg
}

func decrypter(t testing.TB, s *akms.Store, k testKey) crypto.Decrypter {
	t.Helper()
	d, err := s.Decrypter(k.ID, k.Version)
	mustNoErr(t, err, "Decrypter")
	return d
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

// wantErr fails unless err matches sentinel and wraps an *akms.Error.
func wantErr(t testing.TB, err error, sentinel *akms.Error, what string) {
	t.Helper()
	var e *akms.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("%s: got %v, want a detailed %v", what, err, sentinel.Status)
	}
}
