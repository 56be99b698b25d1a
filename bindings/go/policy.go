package akms

/*
#include "akmsgo.h"

AKMSGO_WRAP(store_restrict, (akms_store *s, const char *policy_json, akms_store **out),
	(s, policy_json, out))

#cgo noescape akmsgo_store_restrict
#cgo nocallback akmsgo_store_restrict
*/
import "C"

// Restrict returns a new handle on the same keys that may do only what the
// policy allows, and only what s itself may do (restricting a restricted
// handle narrows it). The policy is JSON in the style of cloud RAM/IAM
// policies:
//
//	{"Principal": "billing-service",
//	 "Statement": [{"Effect": "Allow", "Action": ["kms:AsymmetricSign", "kms:Get*"],
//	                "Resource": ["alias/billing/*"]}]}
//
// Default deny; an explicit Deny wins. A denied call fails with
// ErrAccessDenied; an invalid policy is ErrInvalidArgument. The new handle is
// closed on its own: Close on either handle leaves the other working. Audit
// events of its calls go to the callback of the unrestricted store it comes
// from, for as long as any handle of that store is open, even after that
// store itself is closed or collected.
func (s *Store) Restrict(policyJSON string) (*Store, error) {
	var cs cstrings
	p := cs.str(policyJSON)
	if cs.err != nil {
		return nil, cs.err
	}
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	var ptr *C.akms_store
	r := C.akmsgo_store_restrict(h, p, &ptr)
	var store *Store
	if ptr != nil {
		store = newStore(ptr, s.native.audit.share(), true) // before check: an audit callback may panic
	}
	if err := check(r); err != nil {
		return nil, err
	}
	return store, nil
}
