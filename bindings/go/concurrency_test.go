package akms

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// 16 goroutines on one store sign, verify and create versions at once.
func TestConcurrentUse(t *testing.T) {
	s := store(t)
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	const goroutines, rounds = 16, 20
	var wg sync.WaitGroup
	var newVersions sync.Map
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				d := digestOf([]byte{byte(g), byte(i)})
				v := k.Version
				if i%5 == 4 {
					nv, err := s.CreateKeyVersion(k.ID)
					if err != nil {
						errs <- err
						return
					}
					newVersions.Store(nv, true)
					v = nv
				}
				sig, err := s.AsymmetricSign(k.ID, v, AlgECDSASHA256, MessageDigest, d)
				if err != nil {
					errs <- err
					return
				}
				ok, err := s.AsymmetricVerify(k.ID, v, AlgECDSASHA256, MessageDigest, d, sig)
				if err != nil || !ok {
					errs <- errors.Join(errors.New("own signature does not verify"), err)
					return
				}
				// A failing call on every round: its message must be this
				// call's, whatever OS thread the goroutine ran on.
				_, err = s.AsymmetricSign(k.ID, v, AlgECDSASHA256, MessageDigest, d[:g+1])
				var e *Error
				if !errors.As(err, &e) || e.Status != StatusInvalidArgument || e.Message == "" {
					errs <- errors.Join(errors.New("short digest"), err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	versions, err := s.ListKeyVersions(k.ID)
	mustNoErr(t, err, "ListKeyVersions")
	n := 0
	newVersions.Range(func(any, any) bool { n++; return true })
	if n != goroutines*rounds/5 || len(versions) != n+1 {
		t.Errorf("%d new version ids, %d versions listed; want %d and %d", n, len(versions), goroutines*rounds/5, goroutines*rounds/5+1)
	}
}

// Close while 16 goroutines are calling: every call either works or fails
// with ErrClosed, and nothing crashes.
func TestCloseDuringUse(t *testing.T) {
	s, err := NewStore()
	mustNoErr(t, err, "NewStore")
	k := newKey(t, s, KeySpecECP256, UsageSignVerify)
	d := digestOf([]byte("close"))
	var wg sync.WaitGroup
	var okCalls, closedCalls atomic.Int64
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				_, err := s.AsymmetricSign(k.ID, k.Version, AlgECDSASHA256, MessageDigest, d)
				switch {
				case err == nil:
					okCalls.Add(1)
				case errors.Is(err, ErrClosed):
					closedCalls.Add(1)
					return
				default:
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		}()
	}
	close(start)
	for okCalls.Load() < 50 {
		runtime.Gosched()
	}
	mustNoErr(t, s.Close(), "Close")
	wg.Wait()
	if closedCalls.Load() != 16 {
		t.Errorf("%d goroutines saw ErrClosed, want 16", closedCalls.Load())
	}
	if st := s.state.Load(); st != closedBit {
		t.Errorf("state after all calls returned: %#x, want closedBit", st)
	}
}

// A Store dropped without Close is freed by its cleanup, without a crash.
func TestDroppedStoreIsCleanedUp(t *testing.T) {
	for range 10 {
		s, err := NewStore()
		mustNoErr(t, err, "NewStore")
		newKey(t, s, KeySpecECP256, UsageSignVerify)
	}
	runtime.GC()
	runtime.GC()
}
